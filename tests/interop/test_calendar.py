"""Calendar files: "Add to calendar", /myagenda ics and export-ics parse back with their events, zones and alarms."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from bot.cli import main
from bot.conversation import Choices, Document
from tests.conftest import PROGRAMME, SEMINAR, Chat, at, make_core, shipped
from tests.interop.helpers import FRAB, imported

LISBON = ZoneInfo("Europe/Lisbon")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def parsed(document: Document) -> icalendar.Calendar:
    assert document.mime_type == "text/calendar" and document.filename.endswith(".ics")
    return icalendar.Calendar.from_ical(document.data)


def events(cal: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(e["UID"]).split("@")[0]: e for e in cal.walk("VEVENT")}


def zones(cal: icalendar.Calendar) -> set[str]:
    return {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")}


async def test_add_to_calendar_is_under_every_session_and_sends_its_event(core) -> None:
    chat = Chat(core, "ana")
    await chat.say("/session opening")
    reply = chat.replies[-1]
    assert isinstance(reply, Choices) and "/ics opening" in {c.payload for c in reply.options}
    await chat.press("/ics opening")
    (document,) = chat.replies
    assert isinstance(document, Document) and "Introductory session" in document.caption
    cal = parsed(document)
    (event,) = cal.walk("VEVENT")
    session = core.programmes.agenda.session("opening")
    assert event.decoded("dtstart") == session.start and event.decoded("dtend") == session.end
    assert event["DTSTART"].params["TZID"] == "Asia/Shanghai" and zones(cal) == {"Asia/Shanghai"}
    assert str(event["UID"]) == "opening@wtl2025.delegate-companion"
    assert str(event["STATUS"]) == "TENTATIVE"  # the shipped programme is still to be confirmed
    assert "Plenary hall" in str(event["LOCATION"])
    venue = core.programmes.programme.venue(session.venue)
    assert event.decoded("geo") is not None and abs(event["GEO"].latitude - venue.latitude) < 1e-6
    (alarm,) = event.walk("VALARM")
    assert alarm.decoded("trigger") == -dt.timedelta(minutes=15)
    again = Chat(core, "ana")
    await again.press("/ics opening")
    assert str(events(parsed(again.replies[0]))["opening"]["UID"]) == str(event["UID"])  # stable


async def test_the_alarm_follows_the_delegates_lead_time_and_a_visits_departure(core) -> None:
    chat = Chat(core, "ben")
    await chat.say("/reminders 30")
    await chat.press("/ics s3-visit-transport")
    event = events(parsed(chat.replies[0]))["s3-visit-transport"]
    session = core.programmes.agenda.session("s3-visit-transport")
    (alarm,) = event.walk("VALARM")
    assert event.decoded("dtstart") + alarm.decoded("trigger") == session.site_visit.departure - dt.timedelta(minutes=30)
    assert "Meet at" in str(event["DESCRIPTION"])


async def test_myagenda_ics_holds_bookmarks_visits_and_followed_streams(core) -> None:
    chat = Chat(core, "cai", language="zh-CN")
    await chat.say("/bookmark opening")
    await chat.say("/join s3-visit-transport")
    await chat.say("/subscribe 1")
    await chat.say("/myagenda ics")
    (document,) = chat.replies
    cal = parsed(document)
    found = events(cal)
    stream_1 = {s.id for s in core.programmes.agenda.stream_sessions("s1")}
    assert set(found) == {"opening", "s3-visit-transport"} | stream_1
    assert str(found["opening"]["SUMMARY"]) == "开幕式" or "开" in str(found["opening"]["SUMMARY"])  # in her language
    assert "议程" in document.caption and all(e.walk("VALARM") for e in found.values())


async def test_an_empty_agenda_has_no_file(core) -> None:
    chat = Chat(core, "dan")
    assert "Nothing in your agenda yet" in await chat.say("/myagenda ics")


async def test_an_online_session_carries_its_meeting_and_the_seminars_zone(tmp_path: Path) -> None:
    core = await make_core(tmp_path, at("2023-11-01T10:00"), programme=SEMINAR)
    try:
        chat = Chat(core, "eve")
        session = shipped(SEMINAR).sessions[0]
        await chat.press(f"/ics {session.id}")
        event = events(parsed(chat.replies[0]))[session.id]
        assert "Meeting ID: 823 1893 7943" in str(event["DESCRIPTION"]) and "Passcode: 807001" in str(event["DESCRIPTION"])
        assert event.decoded("dtstart") == session.start
    finally:
        await core.close()


async def test_a_meeting_link_is_the_events_url_and_conference(tmp_path: Path) -> None:
    _result, out = imported(FRAB, tmp_path)
    text = out.read_text(encoding="utf-8").replace(
        "    title: 'Workshop: map your street'\n",
        "    title: 'Workshop: map your street'\n    online:\n      platform: Jitsi\n      url: https://meet.example.org/street\n")
    out.write_text(text, encoding="utf-8")
    core = await make_core(tmp_path, dt.datetime(2026, 3, 19, 12, 0, tzinfo=LISBON), programme=out)
    try:
        chat = Chat(core, "fay")
        await chat.press("/ics 103")
        event = events(parsed(chat.replies[0]))["103"]
        assert str(event["URL"]) == "https://meet.example.org/street"
        assert str(event["CONFERENCE"]) == "https://meet.example.org/street" and event["CONFERENCE"].params["LABEL"] == "Jitsi"
        assert event["DTSTART"].params["TZID"] == "Europe/Lisbon"
        assert "Stream 1: Mobility" in str(event["DESCRIPTION"]) and [str(c) for c in event["CATEGORIES"].cats] == ["Mobility"]
    finally:
        await core.close()


def test_export_ics_writes_the_whole_programme_with_its_zone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "programme.ics"
    assert main(["export-ics", "--programme", str(PROGRAMME), "--out", str(out)]) == 0
    cal = icalendar.Calendar.from_ical(out.read_bytes())
    programme = shipped(PROGRAMME)
    found = events(cal)
    assert set(found) == {s.id for s in programme.sessions}
    assert zones(cal) == {"Asia/Shanghai"} and not any(e.walk("VALARM") for e in found.values())
    for s in programme.sessions:
        assert found[s.id].decoded("dtstart") == s.start and found[s.id].decoded("dtend") == s.end
    assert main(["export-ics", "--programme", str(PROGRAMME), "--lang", "zh"]) == 0
    written = capsys.readouterr().out
    assert "BEGIN:VCALENDAR" in written and "开幕" in icalendar.Calendar.from_ical(written).to_ical().decode()


def test_export_ics_of_an_import_keeps_its_zone_and_summer_time(tmp_path: Path) -> None:
    _result, programme = imported(FRAB, tmp_path)
    out = tmp_path / "citylab.ics"
    assert main(["export-ics", "--programme", str(programme), "--out", str(out)]) == 0
    cal = icalendar.Calendar.from_ical(out.read_bytes())
    assert zones(cal) == {"Europe/Lisbon"}
    night = events(cal)["104"]
    assert night.decoded("dtstart") == dt.datetime(2026, 3, 21, 1, 0, tzinfo=LISBON)


async def test_a_cancelled_session_is_cancelled_in_its_file(tmp_path: Path) -> None:
    source = tmp_path / "p.yaml"
    source.write_text(PROGRAMME.read_text(encoding="utf-8").replace(
        "  - id: opening\n", "  - id: opening\n    cancelled: true\n", 1), encoding="utf-8")
    core = await make_core(tmp_path, at("2025-06-01T10:00"), programme=source)
    try:
        chat = Chat(core, "gus")
        await chat.press("/ics opening")
        event = events(parsed(chat.replies[0]))["opening"]
        assert str(event["STATUS"]) == "CANCELLED" and not event.walk("VALARM")
        assert at("2025-06-04T09:00").astimezone(SHANGHAI) == event.decoded("dtstart")
    finally:
        await core.close()
