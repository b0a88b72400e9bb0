"""Map datums: conversions checked against a published reference point both ways, ranges, distances, map links."""

from __future__ import annotations

import math
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.geo import (
    DETOUR,
    WALKING_M_PER_MIN,
    Datum,
    MapService,
    convert,
    datum_for,
    distance_m,
    in_china,
    in_datums_range,
    map_link,
    primary_service,
    services_for,
    walking_minutes,
)

# Guangzhou, as published (longitude, latitude in the source; here latitude first)
WGS84 = (23.131788, 113.2590543)
GCJ02 = (23.1291146, 113.2643859)
BD09 = (23.135343, 113.2708188)


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return distance_m(a, b)


@pytest.mark.parametrize(
    "source, point, target, expected",
    [
        (Datum.WGS84, WGS84, Datum.GCJ02, GCJ02),
        (Datum.GCJ02, GCJ02, Datum.BD09, BD09),
        (Datum.WGS84, WGS84, Datum.BD09, BD09),
        (Datum.GCJ02, GCJ02, Datum.WGS84, WGS84),
        (Datum.BD09, BD09, Datum.GCJ02, GCJ02),
        (Datum.BD09, BD09, Datum.WGS84, WGS84),
    ],
)
def test_conversions_match_the_published_guangzhou_points_within_a_metre(source, point, target, expected) -> None:
    assert metres(convert(*point, source, target), expected) < 1.0


def test_the_chinese_datums_are_hundreds_of_metres_off_wgs84() -> None:
    assert 500 < metres(WGS84, GCJ02) < 700
    assert metres(WGS84, convert(*WGS84, Datum.WGS84, Datum.WGS84)) == 0


def test_outside_china_gcj02_is_wgs84() -> None:
    madrid = (40.4168, -3.7038)
    assert not in_china(*madrid)
    assert convert(*madrid, Datum.WGS84, Datum.GCJ02) == madrid


def test_distance_is_the_great_circle_in_metres() -> None:
    # one degree of latitude is about 111.2 km anywhere; one of longitude at 23.13 N about 102.3 km
    assert abs(distance_m((23.0, 113.0), (24.0, 113.0)) - 111_195) < 10
    assert abs(distance_m((23.13, 113.0), (23.13, 114.0)) - 102_300) < 200


# -- plausible ranges --------------------------------------------------------------


def test_a_chinese_datum_is_only_plausible_inside_china() -> None:
    assert in_datums_range(*WGS84, Datum.WGS84) and in_datums_range(*GCJ02, Datum.GCJ02) and in_datums_range(*BD09, Datum.BD09)
    madrid = (40.4168, -3.7038)
    assert in_datums_range(*madrid, Datum.WGS84)
    assert not in_datums_range(*madrid, Datum.GCJ02) and not in_datums_range(*madrid, Datum.BD09)
    assert not in_datums_range(113.26, 23.13, Datum.WGS84)  # latitude and longitude swapped: off the globe
    assert not in_datums_range(float("nan"), 113.0, Datum.WGS84)


# -- getting there on foot ------------------------------------------------------------


def test_walking_time_counts_the_detour_at_a_visitors_pace() -> None:
    assert walking_minutes(0) == 1
    assert walking_minutes(750) == math.ceil(750 * DETOUR / WALKING_M_PER_MIN) == 13
    assert walking_minutes(2000) > walking_minutes(1000) > walking_minutes(500)


# -- map links: each service gets the datum it reads ---------------------------------------


def _query(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    return {k: v[0] for k, v in parse_qs(parts.query).items()}


def _latlon(text: str, *, lon_first: bool = False) -> tuple[float, float]:
    a, b = (float(x) for x in text.split(","))
    return (b, a) if lon_first else (a, b)


@pytest.mark.parametrize("stored, datum", [(WGS84, Datum.WGS84), (GCJ02, Datum.GCJ02), (BD09, Datum.BD09)], ids=["wgs84", "gcj02", "bd09"])
def test_each_map_link_carries_the_published_point_in_the_datum_its_service_reads(stored, datum) -> None:
    """Whatever datum the venue is stored in, Amap gets GCJ-02, Baidu BD-09, Apple and OpenStreetMap WGS-84,
    and Google (inside China) GCJ-02: each link lands on the published point of its datum."""
    amap = map_link(MapService.AMAP, *stored, datum, name="六榕")
    assert amap.startswith("https://uri.amap.com/marker?")
    q = _query(amap)
    assert q["coordinate"] == "gaode" and q["name"] == "六榕"
    assert metres(_latlon(q["position"], lon_first=True), GCJ02) < 1.0  # Amap writes longitude first

    baidu = map_link(MapService.BAIDU, *stored, datum, name="六榕")
    assert baidu.startswith("https://api.map.baidu.com/marker?")
    q = _query(baidu)
    assert q["coord_type"] == "bd09ll" and q["output"] == "html" and q["src"] and q["title"] == "六榕"
    assert metres(_latlon(q["location"]), BD09) < 1.0  # Baidu writes latitude first

    apple = map_link(MapService.APPLE, *stored, datum, name="Liurong")
    assert apple.startswith("https://maps.apple.com/?")
    q = _query(apple)
    assert q["q"] == "Liurong" and metres(_latlon(q["ll"]), WGS84) < 1.0  # Apple shifts WGS-84 onto its map of China itself

    google = map_link(MapService.GOOGLE, *stored, datum)
    assert google.startswith("https://www.google.com/maps/search/?")
    q = _query(google)
    assert q["api"] == "1" and metres(_latlon(q["query"]), GCJ02) < 1.0  # its street map of China is drawn in GCJ-02

    osm = map_link(MapService.OSM, *stored, datum)
    parts = urlsplit(osm)
    assert (parts.scheme, parts.netloc) == ("https", "www.openstreetmap.org")
    q = _query(osm)
    assert metres((float(q["mlat"]), float(q["mlon"])), WGS84) < 1.0
    zoom, lat, lon = parts.fragment.removeprefix("map=").split("/")
    assert zoom == "17" and metres((float(lat), float(lon)), WGS84) < 2.0


def test_which_datum_each_service_reads() -> None:
    assert datum_for(MapService.AMAP, *WGS84) is Datum.GCJ02
    assert datum_for(MapService.BAIDU, *WGS84) is Datum.BD09
    assert datum_for(MapService.APPLE, *WGS84) is Datum.WGS84
    assert datum_for(MapService.OSM, *GCJ02, Datum.GCJ02) is Datum.WGS84
    assert datum_for(MapService.GOOGLE, *WGS84) is Datum.GCJ02
    assert datum_for(MapService.GOOGLE, 40.4168, -3.7038) is Datum.WGS84  # outside China Google is WGS-84


def test_outside_china_only_the_worldwide_maps_are_offered_and_the_main_link_is_openstreetmap() -> None:
    madrid = (40.4168, -3.7038)
    assert services_for(*madrid) == (MapService.APPLE, MapService.GOOGLE, MapService.OSM)
    assert services_for(*GCJ02, Datum.GCJ02) == tuple(MapService)
    assert primary_service(*madrid) is MapService.OSM and primary_service(*BD09, Datum.BD09) is MapService.AMAP
    q = _query(map_link(MapService.GOOGLE, *madrid))
    assert _latlon(q["query"]) == madrid  # no shift outside China
