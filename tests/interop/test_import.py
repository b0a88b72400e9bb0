"""delegate-bot import: frab XML, c3voc JSON and pretalx exports become programmes that validate and keep their ids."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli import main
from bot.importers import ScheduleError, Watcher, ids_path, import_file, read_schedule
from bot.importers.convert import kind_of
from bot.importers.source import clean
from bot.programme import load_programme
from tests.conftest import Chat, at, make_core
from tests.interop.helpers import C3VOC, FRAB, PRETALX, copy, edit, imported, schedules
from tests.notify.helpers import RecordingSender

LISBON = ZoneInfo("Europe/Lisbon")


# -- the real exports in ../shared -----------------------------------------------------


def test_fosdem_2025_keeps_its_943_events_rooms_tracks_and_zone(tmp_path: Path) -> None:
    from lxml import etree

    source = schedules("fosdem-2025.xml")
    root = etree.parse(str(source)).getroot()
    events = root.findall("day/room/event")
    rooms_with_events = {r.get("name") for r in root.findall("day/room") if r.findall("event")}
    tracks = {e.findtext("track") for e in events}
    result, out = imported(source, tmp_path)
    p = result.programme
    assert len(p.sessions) == len(events) == 943
    assert {v.name for v in p.venues} == rooms_with_events and len(rooms_with_events) == 29
    assert {s.title for s in p.streams} == tracks and len(tracks) == 69
    assert sorted(s.number for s in p.streams) == list(range(1, 70))
    assert p.event.timezone == "Europe/Brussels" and (p.event.start_date, p.event.end_date) == (dt.date(2025, 2, 1), dt.date(2025, 2, 2))
    talk = next(s for s in p.sessions if s.id == "6210")
    brussels = ZoneInfo("Europe/Brussels")
    assert talk.title == "A New Approach to Callee-Saved Registers in LLVM"
    assert talk.start == dt.datetime(2025, 2, 1, 10, 35, tzinfo=brussels) and talk.end - talk.start == dt.timedelta(minutes=25)
    assert p.venue(talk.venue).name == "K.3.201" and p.stream(talk.stream).title == "LLVM"
    assert [s.name for s in talk.speakers] == ["Mikhail Gudim"]
    assert talk.description.startswith("Currently LLVM saves and restores") and "<p>" not in talk.description
    assert talk.language == "en" and talk.url.endswith("fosdem-2025-6210-a-new-approach-to-callee-saved-registers-in-llvm/")
    linked = next(s for s in p.sessions if s.id == "4176")
    assert {"https://sydbox.exherbolinux.org", "https://gitlab.exherbo.org/sydbox/sydbox"} <= {link.url for link in linked.links}
    assert p.venue(talk.venue).address == "ULB (Université Libre de Bruxelles), Brussels"
    assert result.unused_rooms == 11  # 40 rooms are listed; 11 hold no event and are left out
    assert main(["validate", str(out)]) == 0


def test_camp_2019_keeps_its_rooms_tracks_languages_and_persons(tmp_path: Path) -> None:
    source = schedules("camp2019.json")
    doc = json.loads(source.read_text(encoding="utf-8"))
    events = [e for day in doc["schedule"]["conference"]["days"] for room in day["rooms"].values() for e in room]
    result, out = imported(source, tmp_path)
    p = result.programme
    assert len(p.sessions) == len(events) == 79
    assert {v.name for v in p.venues} == {"Curie", "Meitner"}
    assert {s.title for s in p.streams} == {e["track"] for e in events}
    assert p.event.timezone == "Europe/Berlin" and p.event.id == "Camp2019"
    languages = [s.language for s in p.sessions]
    assert (languages.count("en"), languages.count("de")) == (55, 24)
    opening = next(s for s in p.sessions if s.id == "10386")
    assert opening.title == "Opening Ceremony" and [s.name for s in opening.speakers] == ["jinxx", "smtw"]
    assert opening.start == dt.datetime(2019, 8, 21, 11, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert opening.kind.value == "presentation"  # its type is "lecture"
    assert result.notes == []
    assert main(["validate", str(out)]) == 0


def test_pretalx_democon_keeps_the_events_offsets_although_it_says_utc(tmp_path: Path) -> None:
    source = schedules("pretalx-democon.json")
    result, out = imported(source, tmp_path)
    p = result.programme
    assert result.schedule.format == "pretalx schedule.json"
    assert len(p.sessions) == 36 and {v.name for v in p.venues} == {"Gray Room", "Tan Room"}
    assert {s.title for s in p.streams} == {"Horizontal", "Phased"}
    first = next(s for s in p.sessions if s.id == "25")
    assert first.start == dt.datetime(2020, 12, 14, 8, 0, tzinfo=dt.timezone.utc)  # 09:00+01:00, as the event says
    assert first.start.astimezone(p.zone).strftime("%H:%M") == "09:00"  # shown at 09:00, as pretalx shows it
    assert p.event.timezone == "Etc/GMT-1"
    assert any("time_zone_name is UTC" in note and "+01:00" in note for note in result.notes)
    assert main(["validate", str(out)]) == 0


# -- the samples written for these tests ------------------------------------------------


def test_a_frab_sample_maps_tracks_rooms_persons_links_recordings_and_the_night(tmp_path: Path) -> None:
    result, out = imported(FRAB, tmp_path)
    p = result.programme
    assert p.event.timezone == "Europe/Lisbon" and p.event.id == "citylab-2026"
    assert [(s.id, s.number, s.title) for s in p.streams] == [("mobility", 1, "Mobility"), ("housing", 2, "Housing & Land")]
    assert [v.name for v in p.venues] == ["Main Hall", "Room K.1.105 (Garden)"]  # the empty room is left out
    opening = next(s for s in p.sessions if s.id == "101")
    assert opening.description == "Why the programme starts with open data\n\nHow three cities publish their bus timetables.\n\n• Lisbon\n• Porto"
    assert [(link.url, link.kind) for link in opening.links] == [
        ("https://data.example.org/buses", None), ("https://citylab.example.org/slides/101.pdf", "slides")]
    assert opening.recording.license == "CC BY 4.0" and opening.recording.url.endswith("101.mp4")
    assert [s.name for s in opening.speakers] == ["Ana Sousa", "Li Wei"]
    panel = next(s for s in p.sessions if s.id == "102")
    assert panel.kind.value == "panel" and panel.recording.optout and panel.language == "pt"
    night = next(s for s in p.sessions if s.id == "104")
    assert night.start == dt.datetime(2026, 3, 21, 1, 0, tzinfo=LISBON)  # day 1 runs past midnight
    assert load_programme(out) == p


def test_a_c3voc_sample_without_a_zone_name_gets_a_zone_of_its_offsets(tmp_path: Path) -> None:
    result, _out = imported(C3VOC, tmp_path)
    p = result.programme
    assert p.event.timezone == "Etc/GMT-8" and any("names no time zone" in n for n in result.notes)
    assert p.sessions[0].start.astimezone(p.zone).strftime("%H:%M") == "09:00"
    assert [s.title for s in p.streams] == ["Public space", "Walking"]
    kerbs = next(s for s in p.sessions if s.id == "202")
    assert kerbs.recording.optout and kerbs.kind.value == "workshop" and len(kerbs.speakers) == 2
    assert [link.kind for link in next(s for s in p.sessions if s.id == "203").links] == ["slides"]


def test_timezone_option_names_the_zone_and_is_checked(tmp_path: Path) -> None:
    result, _out = imported(C3VOC, tmp_path, timezone="Asia/Shanghai")
    assert result.programme.event.timezone == "Asia/Shanghai" and result.notes == []
    with pytest.raises(ScheduleError, match="not an IANA time zone"):
        import_file(C3VOC, tmp_path / "other.yaml", timezone="Mars/Olympus")


def test_a_zone_is_found_from_the_city_when_the_offsets_change_within_the_event(tmp_path: Path) -> None:
    source = copy(FRAB, tmp_path)
    edit(source, "    <time_zone_name>Europe/Lisbon</time_zone_name>\n", "")
    edit(source, "<title>City Lab Days 2026</title>", "<title>City Lab Days 2026</title><city>Lisbon</city>")
    # the second day moves to summer time: two offsets, which no fixed zone fits
    edit(source, "<date>2026-03-21T10:00:00+00:00</date>", "<date>2026-03-29T10:00:00+01:00</date>")
    result, _out = imported(source, tmp_path)
    assert result.programme.event.timezone == "Europe/Lisbon"
    edit(source, "<city>Lisbon</city>", "")
    with pytest.raises(ScheduleError, match=r"several UTC offsets \(\+00:00, \+01:00\).*--timezone"):
        import_file(source, tmp_path / "again.yaml")


def test_pretalx_sample_is_told_apart_and_its_room_descriptions_kept(tmp_path: Path) -> None:
    result, _out = imported(PRETALX, tmp_path)
    p = result.programme
    assert result.schedule.format == "pretalx schedule.json" and p.event.timezone == "Etc/GMT-1"
    assert p.venue("harbour-room").directions == "First floor, by the lifts"
    assert {s.language for s in p.sessions} == {"en", "fr"}


@pytest.mark.parametrize("event_type, kind", [
    ("lecture", "presentation"), ("Talk", "presentation"), ("devroom", "presentation"), ("Workshop", "workshop"),
    ("podium", "panel"), ("performance", "social"), ("Keynote", "plenary"), ("meeting", "roundtable"), (None, "presentation"),
])
def test_event_types_become_kinds(event_type: str | None, kind: str) -> None:
    assert kind_of(event_type) == kind


def test_html_abstracts_read_as_text() -> None:
    assert clean("<p>One <em>two</em>\nthree.</p><p>Four &amp; five</p><ul><li>a</li><li>b</li></ul>") == "One two three.\n\nFour & five\n\n• a\n• b"
    assert clean("Plain *markdown* stays.\r\n\r\nTwo.") == "Plain *markdown* stays.\n\nTwo."


# -- re-imports ------------------------------------------------------------------------


async def test_a_reimport_keeps_ids_bookmarks_and_cancels_what_is_gone(tmp_path: Path) -> None:
    source = copy(FRAB, tmp_path)
    _result, out = imported(source, tmp_path)
    core = await make_core(tmp_path, dt.datetime(2026, 3, 19, 12, 0, tzinfo=LISBON), programme=out)
    sender = RecordingSender()
    core.push.attach(sender)
    try:
        alice = Chat(core, "alice")
        await alice.say("/bookmark 103")
        await alice.say("/bookmark 105")
        await alice.say("/subscribe housing")
        # the conference renumbers event 103 (same guid), moves it an hour, and drops the closing
        edit(source, '<event guid="3f1c1b1e-0c55-4a58-9b0e-1d2a3b4c5d03" id="103">', '<event guid="3f1c1b1e-0c55-4a58-9b0e-1d2a3b4c5d03" id="903">')
        edit(source, "<date>2026-03-20T14:00:00+00:00</date>", "<date>2026-03-20T15:00:00+00:00</date>")
        text = source.read_text(encoding="utf-8")
        start = text.index('<event guid="3f1c1b1e-0c55-4a58-9b0e-1d2a3b4c5d05"')
        source.write_text(text[:start] + text[text.index("</event>", start) + len("</event>"):], encoding="utf-8")
        again, _ = imported(source, tmp_path)
        assert again.changed == ["103"] and again.cancelled == ["105"] and again.added == []
        ids = {s.id for s in again.programme.sessions}
        assert ids == {"101", "102", "103", "104", "105"}  # 903 is still 103; 105 stays, cancelled
        assert next(s for s in again.programme.sessions if s.id == "105").cancelled
        await core.programmes.reload()
        agenda = await alice.say("/myagenda")
        assert "Workshop: map your street" in agenda and "Closing and next year" in agenda and "(cancelled)" in agenda
        await core.clock.advance(dt.timedelta(minutes=2))
        await core.wakeups.fire_due()
        await core.push.drain()
        told = [r[0].body for _user, r in sender.sent if "Closing and next year" in getattr(r[0], "body", "")]
        assert told, "those who bookmarked the closing are told it is cancelled"
    finally:
        await core.close()


def test_what_the_organiser_added_to_the_output_survives_a_reimport(tmp_path: Path) -> None:
    source = copy(FRAB, tmp_path)
    _result, out = imported(source, tmp_path)
    edit(out, "  - id: main-hall\n    name: Main Hall\n",
         "  - id: main-hall\n    name: Main Hall\n    address: Rua do Exemplo 1, Lisboa\n    latitude: 38.7223\n    longitude: -9.1393\n")
    edit(out, "  default_language: en\n", "  default_language: en\n  local_language: pt\n")
    edit(out, "    title: 'Workshop: map your street'\n", "    title: 'Workshop: map your street'\n    online:\n      url: https://meet.example.org/street\n")
    edit(source, "<title>Workshop: map your street</title>", "<title>Workshop: map your own street</title>")
    again, _ = imported(source, tmp_path)
    p = again.programme
    hall = p.venue("main-hall")
    assert (hall.address, hall.latitude, hall.longitude) == ("Rua do Exemplo 1, Lisboa", 38.7223, -9.1393)
    assert p.event.local_language == "pt"
    workshop = next(s for s in p.sessions if s.id == "103")
    assert workshop.title == "Workshop: map your own street" and workshop.online.url == "https://meet.example.org/street"


def test_a_previous_import_turned_into_an_alias_bomb_is_refused_with_its_place(tmp_path: Path) -> None:
    from tests.programme.test_reading import ALIAS_BOMB

    _result, out = imported(FRAB, tmp_path)
    out.write_text(ALIAS_BOMB, encoding="utf-8")
    with pytest.raises(ScheduleError, match=r"the previous import cannot be read: aliases of the anchor here repeat more than") as caught:
        import_file(FRAB, out)
    (problem,) = caught.value.problems
    assert problem.path == str(out) and problem.line > 1


def test_a_programme_no_import_wrote_is_not_overwritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "programme.yaml"
    out.write_text("# written by hand\n", encoding="utf-8")
    assert main(["import", str(FRAB), "--out", str(out)]) == 1
    assert "no import wrote it" in capsys.readouterr().err and out.read_text(encoding="utf-8") == "# written by hand\n"
    assert main(["import", str(FRAB), "--out", str(out), "--replace"]) == 0
    assert ids_path(out).exists() and load_programme(out).event.id == "citylab-2026"


def test_the_command_line_says_what_it_imported_and_that_a_second_run_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "p.yaml"
    assert main(["import", str(FRAB), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "City Lab Days 2026" in said and "5 sessions, 2 streams, 2 venues" in said and "1 rooms without sessions" in said
    assert main(["import", str(FRAB), "--out", str(out)]) == 0
    assert "the programme is unchanged" in capsys.readouterr().out


def test_import_needs_an_output_besides_the_shipped_programme(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BOT_PROGRAMME", raising=False)
    assert main(["import", str(FRAB)]) == 2
    assert "--out" in capsys.readouterr().err


# -- broken input ----------------------------------------------------------------------


@pytest.mark.parametrize("name, content, expected", [
    ("a.xml", "<schedule><conference><title>a</title></conference>\n<day><room name='x'></day></schedule>", r"a\.xml:2:\d+: not well-formed XML"),
    ("b.json", '{"schedule": {"conference": {"title": "x",\n  "days": [}}}', r"b\.json:2:\d+: not valid JSON"),
    ("c.json", '{"schedule": {"conference": {"title": "x", "days": [\n {"rooms": {"A": [\n  {"title": "t", "date": "2020-13-01T10:00", "duration": "0:30"}]}}]}}}',
     r"c\.json:3:\d+: event date '2020-13-01T10:00' is not an ISO-8601 date and time"),
    ("d.json", '{"schedule": {"conference": {"title": "x", "days": [\n {"rooms": {"A": [\n  {"title": "t", "date": "2020-12-01T10:00+01:00"}]}}]}}}',
     r"d\.json:3:3: event 't' has no \"duration\""),
    ("e.xml", "<schedule><conference><title>a</title></conference>\n<day date='2020-01-01'><room name='x'>\n  <event id='1' guid='g'><duration>00:30</duration></event></room></day></schedule>",
     r"e\.xml:3:3: event without a <title>"),
    ("f.txt", "BEGIN:VCALENDAR", r"f\.txt:1:1: not a schedule export"),
    ("g.json", '{"version": 1}', r"g\.json:1:1: expected a c3voc/pretalx schedule\.json"),
    ("h.xml", "<rss/>", r"h\.xml:1:1: expected a <schedule> document"),
])
def test_broken_exports_get_path_line_column_and_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert main(["import", str(path), "--out", str(tmp_path / "out.yaml")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    import re

    assert re.search(expected, err.replace(str(tmp_path) + "/", "")), err
    assert not (tmp_path / "out.yaml").exists()


def test_a_missing_export_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", str(tmp_path / "nowhere.xml"), "--out", str(tmp_path / "o.yaml")]) == 1
    assert capsys.readouterr().err.strip().endswith("nowhere.xml:1:1: file not found")


def test_every_problem_of_an_export_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "two.json"
    path.write_text('{"schedule": {"conference": {"title": "x", "days": [{"rooms": {"A": [\n{"title": "t"},\n{"date": "x", "duration": "1"}]}}]}}}', encoding="utf-8")
    with pytest.raises(ScheduleError) as caught:
        read_schedule(path)
    lines = [p.line for p in caught.value.problems]
    assert 2 in lines and 3 in lines and len(caught.value.problems) >= 3


# -- watching the export ---------------------------------------------------------------


async def test_watch_reimports_on_change_and_the_bot_reloads_and_tells_those_concerned(tmp_path: Path) -> None:
    source = copy(FRAB, tmp_path)
    out = tmp_path / "programme.yaml"
    imports, errors = [], []
    watcher = Watcher(source, out, imports.append, errors.append)
    assert watcher.check() and not watcher.check()  # once, then nothing until the export changes
    core = await make_core(tmp_path, dt.datetime(2026, 3, 19, 12, 0, tzinfo=LISBON), programme=out)
    sender = RecordingSender()
    core.push.attach(sender)
    try:
        await Chat(core, "bea").say("/bookmark 101")
        edit(source, "<date>2026-03-20T09:30:00+00:00</date>", "<date>2026-03-20T09:45:00+00:00</date>")
        assert watcher.check() and len(imports) == 2 and imports[-1].changed == ["101"]
        assert await core.programmes.reload_if_changed()  # the bot's own watch of its programme file
        await core.clock.advance(dt.timedelta(minutes=2))
        await core.wakeups.fire_due()
        await core.push.drain()
        assert [user.platform_id for user, _r in sender.sent] == ["bea"]
        edit(source, "<title>City Lab Days 2026</title>", "<title>City Lab Days 2026")  # broken mid-write
        assert not watcher.check() and len(errors) == 1 and "not well-formed XML" in str(errors[0])
        assert load_programme(out).sessions[0].start == dt.datetime(2026, 3, 20, 9, 45, tzinfo=LISBON)  # the last good one stays
    finally:
        await core.close()


def test_the_id_map_lives_beside_the_programme(tmp_path: Path) -> None:
    _result, out = imported(FRAB, tmp_path)
    data = json.loads(ids_path(out).read_text(encoding="utf-8"))
    assert data["sessions"]["guid:3f1c1b1e-0c55-4a58-9b0e-1d2a3b4c5d01"] == "101"
    assert data["streams"] == {"Mobility": "mobility", "Housing & Land": "housing"}
    assert data["stream_numbers"] == {"mobility": 1, "housing": 2}
    assert at("2025-06-05T10:00")  # the shared fixtures still import


async def test_an_imported_session_shows_its_language_links_and_recording(tmp_path: Path) -> None:
    _result, out = imported(FRAB, tmp_path)
    core = await make_core(tmp_path, dt.datetime(2026, 3, 19, 12, 0, tzinfo=LISBON), programme=out)
    try:
        chat = Chat(core, "carla")
        opening = await chat.say("/session 101")
        assert "• Open bus data: https://data.example.org/buses" in opening
        assert "https://citylab.example.org/2026/schedule/event/101/" in opening and "101.mp4" in opening
        assert "Language:" not in opening  # the event's own language goes without saying
        panel = await chat.say("/session 102")
        assert "Language: Portuguese" in panel and "not recorded, at the speakers' request" in panel
        chat.language = "es"
        assert "Idioma: portugués" in await Chat(core, "diego", language="es").say("/session 102")
    finally:
        await core.close()
