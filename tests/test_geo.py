"""Map datums: conversions checked against a published reference point, and distances."""

from __future__ import annotations

import pytest

from bot.geo import Datum, convert, distance_m, in_china

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
