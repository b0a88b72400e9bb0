"""Map datums and distances: WGS-84 (GPS, Telegram, Apple/Google/OpenStreetMap outside China),
GCJ-02 (China's official "Mars coordinates": Amap, Tencent, WeChat) and BD-09 (Baidu Maps).

Chinese map services place WGS-84 coordinates hundreds of metres off, so a
point is stored in one datum and converted for each consumer.  GCJ-02 is an
obfuscation of WGS-84 defined only inside mainland China; its published
forward transform is below, and the inverse is found by iteration to well
under a metre.  BD-09 is a fixed rotation and scaling of GCJ-02.
"""

from __future__ import annotations

import enum
import math
from typing import Final

#: Krasovsky 1940, the ellipsoid the GCJ-02 transform is defined on.
_A: Final = 6378245.0
_EE: Final = 0.00669342162296594323
_X_PI: Final = math.pi * 3000.0 / 180.0
EARTH_RADIUS_M: Final = 6371008.8


class Datum(str, enum.Enum):
    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"


def in_china(latitude: float, longitude: float) -> bool:
    """Roughly mainland China's bounding box, where GCJ-02 applies (outside it GCJ-02 equals WGS-84)."""
    return 72.004 <= longitude <= 137.8347 and 0.8293 <= latitude <= 55.8271


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(latitude: float, longitude: float) -> tuple[float, float]:
    if not in_china(latitude, longitude):
        return latitude, longitude
    d_lat = _transform_lat(longitude - 105.0, latitude - 35.0)
    d_lon = _transform_lon(longitude - 105.0, latitude - 35.0)
    rad_lat = latitude / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return latitude + d_lat, longitude + d_lon


def gcj02_to_wgs84(latitude: float, longitude: float) -> tuple[float, float]:
    """The inverse of :func:`wgs84_to_gcj02`, by fixed-point iteration (converges to centimetres)."""
    if not in_china(latitude, longitude):
        return latitude, longitude
    lat, lon = latitude, longitude
    for _ in range(30):
        g_lat, g_lon = wgs84_to_gcj02(lat, lon)
        d_lat, d_lon = g_lat - latitude, g_lon - longitude
        lat, lon = lat - d_lat, lon - d_lon
        if abs(d_lat) < 1e-10 and abs(d_lon) < 1e-10:
            break
    return lat, lon


def gcj02_to_bd09(latitude: float, longitude: float) -> tuple[float, float]:
    z = math.sqrt(longitude * longitude + latitude * latitude) + 0.00002 * math.sin(latitude * _X_PI)
    theta = math.atan2(latitude, longitude) + 0.000003 * math.cos(longitude * _X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def bd09_to_gcj02(latitude: float, longitude: float) -> tuple[float, float]:
    x, y = longitude - 0.0065, latitude - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.sin(theta), z * math.cos(theta)


def convert(latitude: float, longitude: float, source: Datum, target: Datum) -> tuple[float, float]:
    """The same place in another datum."""
    if source is target:
        return latitude, longitude
    if source is Datum.BD09:
        latitude, longitude = bd09_to_gcj02(latitude, longitude)
        source = Datum.GCJ02
    if source is Datum.WGS84 and target in (Datum.GCJ02, Datum.BD09):
        latitude, longitude = wgs84_to_gcj02(latitude, longitude)
        source = Datum.GCJ02
    if source is Datum.GCJ02 and target is Datum.WGS84:
        return gcj02_to_wgs84(latitude, longitude)
    if target is Datum.BD09:
        return gcj02_to_bd09(latitude, longitude)
    return latitude, longitude


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (latitude, longitude) points of the same datum."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
