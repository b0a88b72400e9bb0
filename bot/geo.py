"""Map datums, distances and map links: WGS-84 (GPS, Telegram, Apple Maps, OpenStreetMap),
GCJ-02 (China's official "Mars coordinates": Amap, Tencent, WeChat) and BD-09 (Baidu Maps).

Chinese map services place WGS-84 coordinates hundreds of metres off, so a
point is stored in one datum and converted for each consumer.  GCJ-02 is an
obfuscation of WGS-84 defined only inside mainland China; its published
forward transform is below, and the inverse is found by iteration to well
under a metre.  BD-09 is a fixed rotation and scaling of GCJ-02.

:func:`map_link` gives each map service the datum it expects (see
:func:`datum_for`), so a pin lands on the same door whichever app opens it.
"""

from __future__ import annotations

import enum
import math
from typing import Final
from urllib.parse import quote, urlencode

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


def in_datums_range(latitude: float, longitude: float, datum: Datum) -> bool:
    """Whether a point can be one of ``datum``'s: on the globe, and for the Chinese datums inside China.

    GCJ-02 and BD-09 are defined for mainland China only: a point outside it
    given in one of them is a mistake (most often WGS-84 coordinates labelled
    with the wrong datum, or latitude and longitude swapped).
    """
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return False
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return False
    if datum is Datum.BD09:
        latitude, longitude = bd09_to_gcj02(latitude, longitude)
    return datum is Datum.WGS84 or in_china(latitude, longitude)


# -- getting there on foot --------------------------------------------------

#: Walking pace of a visitor in a city, with crossings and looking for the way (4.5 km/h).
WALKING_M_PER_MIN: Final = 75.0
#: Streets are longer than the straight line: the usual ratio of route to great-circle distance in a city grid.
DETOUR: Final = 1.3


def walking_minutes(distance: float) -> int:
    """Minutes on foot for a straight-line ``distance`` in metres (at least 1)."""
    return max(1, math.ceil(distance * DETOUR / WALKING_M_PER_MIN))


# -- map links ----------------------------------------------------------------


class MapService(str, enum.Enum):
    """The map apps a venue card links to."""

    AMAP = "amap"
    BAIDU = "baidu"
    APPLE = "apple"
    GOOGLE = "google"
    OSM = "osm"


#: Amap's web marker (opens in a browser, inside WeChat, or in the Amap app); ``coordinate=gaode`` says GCJ-02.
AMAP_MARKER: Final = "https://uri.amap.com/marker"
#: Baidu's web marker; ``coord_type=bd09ll`` says BD-09 (longitude/latitude); ``src`` names the caller, as Baidu asks.
BAIDU_MARKER: Final = "https://api.map.baidu.com/marker"
BAIDU_SOURCE: Final = "webapp.delegate-companion"
APPLE_MAPS: Final = "https://maps.apple.com/"
GOOGLE_SEARCH: Final = "https://www.google.com/maps/search/"
OSM_SITE: Final = "https://www.openstreetmap.org/"
#: The services that only cover (or only make sense in) mainland China.
CHINESE_SERVICES: Final = frozenset({MapService.AMAP, MapService.BAIDU})


def datum_for(service: MapService, latitude: float, longitude: float, datum: Datum = Datum.WGS84) -> Datum:
    """The datum ``service`` reads coordinates in, for this point.

    * Amap: GCJ-02.  Baidu: BD-09 (the link says so with ``coord_type``).
    * Apple Maps: WGS-84.  Its map of China is drawn in GCJ-02, but Apple
      shifts the coordinates it is given (and the phone's GPS position) onto
      it itself, so a GCJ-02 point would be shifted twice.
    * Google Maps: GCJ-02 inside mainland China, where its street map is
      drawn in GCJ-02 and it places the pin at the coordinates as given;
      WGS-84 elsewhere.
    * OpenStreetMap: WGS-84 everywhere (its data is mapped from GPS traces).
    """
    if service is MapService.AMAP:
        return Datum.GCJ02
    if service is MapService.BAIDU:
        return Datum.BD09
    if service is MapService.GOOGLE and in_china(*convert(latitude, longitude, datum, Datum.WGS84)):
        return Datum.GCJ02
    return Datum.WGS84


def services_for(latitude: float, longitude: float, datum: Datum = Datum.WGS84) -> tuple[MapService, ...]:
    """The map services worth offering for a point: the Chinese ones only inside China."""
    china = in_china(*convert(latitude, longitude, datum, Datum.WGS84))
    return tuple(s for s in MapService if china or s not in CHINESE_SERVICES)


def map_link(service: MapService, latitude: float, longitude: float, datum: Datum = Datum.WGS84, name: str = "") -> str:
    """A web link that opens ``service`` with a pin at the point, given in the datum ``service`` expects."""
    lat, lon = convert(latitude, longitude, datum, datum_for(service, latitude, longitude, datum))
    if service is MapService.AMAP:
        query = {"position": f"{lon:.6f},{lat:.6f}", "name": name, "coordinate": "gaode"}
        return f"{AMAP_MARKER}?{urlencode(query, safe=',')}"
    if service is MapService.BAIDU:
        query = {
            "location": f"{lat:.6f},{lon:.6f}", "title": name, "content": name, "output": "html",
            "coord_type": "bd09ll", "src": BAIDU_SOURCE,
        }
        return f"{BAIDU_MARKER}?{urlencode(query, safe=',')}"
    if service is MapService.APPLE:
        query = {"ll": f"{lat:.6f},{lon:.6f}", "q": name or f"{lat:.6f},{lon:.6f}"}
        return f"{APPLE_MAPS}?{urlencode(query, safe=',')}"
    if service is MapService.GOOGLE:
        return f"{GOOGLE_SEARCH}?{urlencode({'api': 1, 'query': f'{lat:.6f},{lon:.6f}'}, safe=',')}"
    fragment = quote(f"map=17/{lat:.5f}/{lon:.5f}", safe="=/")
    return f"{OSM_SITE}?{urlencode({'mlat': f'{lat:.6f}', 'mlon': f'{lon:.6f}'})}#{fragment}"


def primary_service(latitude: float, longitude: float, datum: Datum = Datum.WGS84) -> MapService:
    """The one link for a QR code or a single map line: Amap in China (it opens in any browser and in
    WeChat, without an app or a foreign service), OpenStreetMap elsewhere."""
    return MapService.AMAP if in_china(*convert(latitude, longitude, datum, Datum.WGS84)) else MapService.OSM
