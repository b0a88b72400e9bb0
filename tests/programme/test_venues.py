"""Venues in a programme file: positions with their datum, transport, the driver's language; what validate refuses."""

from __future__ import annotations

import pytest

from bot.geo import Datum, distance_m
from bot.programme import ProgrammeError, parse_programme
from bot.programme.model import TransitMode, exactly
from tests.conftest import DATA, PROGRAMME, shared_path, shipped

MINIMAL = (DATA / "minimal.yaml").read_text(encoding="utf-8")
HALL = "    name: Main hall\n"
# the published Guangzhou reference point in each datum
WGS84 = (23.131788, 113.2590543)
GCJ02 = (23.1291146, 113.2643859)
BD09 = (23.135343, 113.2708188)


def with_hall(*lines: str) -> str:
    """MINIMAL with these lines added to the venue ``hall`` (its name is line 14; the first added is line 15)."""
    return MINIMAL.replace(HALL, HALL + "".join(f"    {line}\n" for line in lines))


def problems(text: str) -> list[str]:
    with pytest.raises(ProgrammeError) as info:
        parse_programme(text, "p.yaml")
    return [str(p) for p in info.value.problems]


def test_a_position_is_stored_in_its_datum_and_converted_on_request() -> None:
    programme = parse_programme(with_hall(f"latitude: {BD09[0]}", f"longitude: {BD09[1]}", "datum: bd09"))
    hall = programme.venue("hall")
    assert hall is not None and hall.datum is Datum.BD09 and (hall.latitude, hall.longitude) == BD09
    assert distance_m(hall.point(Datum.WGS84), WGS84) < 1.0
    assert distance_m(hall.point(Datum.GCJ02), GCJ02) < 1.0
    assert hall.point(Datum.BD09) == BD09


@pytest.mark.parametrize("written", ["GCJ-02", "gcj02", "GCJ_02"])
def test_a_datum_may_be_written_as_people_write_it(written: str) -> None:
    hall = parse_programme(with_hall(f"latitude: {GCJ02[0]}", f"longitude: {GCJ02[1]}", f"datum: {written}")).venue("hall")
    assert hall is not None and hall.datum is Datum.GCJ02


def test_without_a_datum_a_position_is_wgs84_and_without_a_position_there_is_no_point() -> None:
    hall = parse_programme(with_hall(f"latitude: {WGS84[0]}", f"longitude: {WGS84[1]}")).venue("hall")
    assert hall is not None and hall.datum is Datum.WGS84 and hall.point() == WGS84
    bare = parse_programme(MINIMAL).venue("hall")
    assert bare is not None and not bare.has_position and bare.point() is None


def test_a_latitude_off_the_globe_is_refused_where_it_stands_with_a_hint_when_swapped() -> None:
    assert problems(with_hall("latitude: 113.26", "longitude: 23.13")) == [
        "p.yaml:15:15: venue 'hall': latitude 113.26 is outside WGS-84's range (-90 to 90) (latitude and longitude swapped?)"
    ]


def test_a_longitude_off_the_globe_is_refused() -> None:
    assert problems(with_hall("latitude: 23.13", "longitude: 213.26")) == [
        "p.yaml:16:16: venue 'hall': longitude 213.26 is outside WGS-84's range (-180 to 180)"
    ]


@pytest.mark.parametrize("datum, name", [("gcj02", "GCJ-02"), ("bd09", "BD-09")])
def test_a_chinese_map_datum_for_a_point_outside_china_is_refused(datum: str, name: str) -> None:
    madrid = with_hall("latitude: 40.4168", "longitude: -3.7038", f"datum: {datum}")
    assert problems(madrid) == [
        f"p.yaml:17:12: venue 'hall': (40.4168, -3.7038) is outside China, where {name} (a datum of Chinese maps) "
        "is not defined; give the position in WGS-84 (datum: wgs84)"
    ]
    assert parse_programme(madrid.replace(f"datum: {datum}", "datum: wgs84")).venue("hall") is not None


def test_half_a_position_is_refused() -> None:
    assert problems(with_hall("latitude: 23.13")) == ["p.yaml:15:15: venue 'hall' has a latitude but no longitude"]
    assert problems(with_hall("longitude: 113.26")) == ["p.yaml:15:16: venue 'hall' has a longitude but no latitude"]


def test_an_unknown_datum_a_bad_phone_and_a_map_url_that_is_no_web_address_are_refused() -> None:
    found = problems(with_hall("latitude: 23.13", "longitude: 113.26", "datum: mars", "phone: call us", "map_url: amap.com/x"))
    assert found[0].startswith("p.yaml:17:12: venue 'hall' datum: input should be 'wgs84', 'gcj02' or 'bd09'")
    assert found[1].startswith("p.yaml:18:12: venue 'hall' phone: string should match pattern")
    assert len(found) == 2  # the shape comes first; the map_url is checked once the shape is right
    assert problems(with_hall("map_url: amap.com/x")) == ["p.yaml:15:14: venue 'hall': map_url must be a web address (https://...)"]


def test_transport_entrance_floor_access_and_phone_are_read() -> None:
    hall = parse_programme(with_hall(
        "transport:",
        "  - {line: {en: Metro Line 1, zh_Hans: 地铁1号线}, station: Ximenkou, exit: C, walk_minutes: 5}",
        "  - {mode: bus, line: '58', station: Liurong Road, tbc: true}",
        "entrance: {en: North gate, zh_Hans: 北门}",
        "floor: 3F",
        "accessibility: Step-free from the north gate",
        "phone: +86 20 8888 0000",
        "local_language: zh_Hans",
    )).venue("hall")
    assert hall is not None
    metro, bus = hall.transport
    assert (metro.mode, metro.station, metro.exit, metro.walk_minutes, metro.tbc) == (TransitMode.METRO, "Ximenkou", "C", 5, False)
    assert (bus.mode, bus.line, bus.tbc) == (TransitMode.BUS, "58", True)
    assert (hall.floor, hall.phone, hall.local_language) == ("3F", "+86 20 8888 0000", "zh_Hans")


def test_exactly_finds_a_text_only_in_the_language_asked_for() -> None:
    name = {"en": "Liurong community", "zh_Hans": "六榕社区"}
    assert exactly(name, "zh_Hans") == "六榕社区" and exactly(name, "zh") == "六榕社区"
    assert exactly(name, "ja") is None and exactly("Liurong", "zh_Hans") is None and exactly(name, None) is None


# -- the shipped programme ------------------------------------------------------------


def test_every_shipped_venue_has_its_name_and_address_in_chinese_and_a_position_with_its_datum() -> None:
    programme = shipped(PROGRAMME)
    assert programme.event.local_language == "zh_Hans"
    for venue in programme.venues:
        assert exactly(venue.name, "zh_Hans") and exactly(venue.address, "zh_Hans"), venue.id
        assert exactly(venue.name, "en") and exactly(venue.address, "en"), venue.id
        assert venue.has_position and venue.datum is Datum.WGS84, venue.id


def test_no_shipped_position_entrance_or_station_claims_more_than_the_event_documents_say() -> None:
    """The documents give no address, position, phone or station: every position marks an area, every
    station is to be confirmed, and no phone, floor or exit is made up."""
    for venue in shipped(PROGRAMME).venues:
        assert venue.position_tbc, venue.id
        assert venue.phone is None and venue.floor is None, venue.id
        assert all(stop.tbc and stop.exit is None for stop in venue.transport), venue.id


def test_the_only_confirmed_venue_is_the_place_the_event_documents_name() -> None:
    seeds = "\n".join(p.read_text(encoding="utf-8") for p in shared_path("seeds").glob("*.txt"))
    confirmed = [v for v in shipped(PROGRAMME).venues if not v.tbc]
    assert [v.id for v in confirmed] == ["liurong"]
    assert "Liurong" in seeds and "Yuexiu District" in seeds


def test_site_visits_meet_at_venues_with_a_position_before_they_start() -> None:
    programme = shipped(PROGRAMME)
    visits = [s for s in programme.sessions if s.site_visit is not None]
    assert visits
    for s in visits:
        point = programme.venue(s.site_visit.meeting_point)
        assert point is not None and point.has_position and s.site_visit.departure <= s.start, s.id
