"""Read a frab/Pentabarf ``schedule.xml`` (also what pretalx and FOSDEM publish) into a :class:`SourceSchedule`.

The format is c3voc's (https://c3voc.de/schedule/schema.xsd): ``<schedule>``
holds ``<conference>``, then ``<day>``s of ``<room>``s of ``<event>``s.  Real
exports add elements the schema does not name (FOSDEM's ``<tracks>``,
``<venue>``, ``<city>``, ``<day_change>``); they are read where useful and
otherwise ignored.  What an event needs (a title, a date, a duration) is
checked, and every problem is reported with the line of its element.

The file is parsed with lxml, safely: no DTD, no entities resolved, no
network.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from lxml import etree

from bot.importers.source import (
    Person,
    ScheduleError,
    SourceEvent,
    SourceLink,
    SourceRecording,
    SourceRoom,
    SourceSchedule,
    SourceTrack,
    Where,
    clean,
    parse_date,
    parse_duration,
    parse_instant,
)
from bot.programme.loader import Problem

FORMAT = "frab/Pentabarf schedule.xml"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True, huge_tree=False)


class _Reader:
    def __init__(self, path: str, data: bytes) -> None:
        self.path = path
        self.lines = data.decode("utf-8", errors="replace").splitlines()
        self.problems: list[Problem] = []

    def where(self, element: etree._Element) -> Where:
        line = element.sourceline or 1
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        column = text.find(f"<{element.tag}")
        return Where(line, column + 1 if column >= 0 else 1)

    def problem(self, element: etree._Element, message: str) -> None:
        where = self.where(element)
        self.problems.append(Problem(self.path, where.line, where.column, message))

    def text(self, element: etree._Element, tag: str) -> str | None:
        child = element.find(tag)
        if child is None or child.text is None:
            return None
        value = child.text.strip()
        return value or None


def read(path: str | Path, data: bytes) -> SourceSchedule:
    """The schedule in ``data`` (the bytes of ``path``), or :class:`ScheduleError`."""
    name = str(path)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (1, 1)
        raise ScheduleError([Problem(name, line or 1, max(column, 1), f"not well-formed XML: {exc.msg}")]) from None
    r = _Reader(name, data)
    if root.tag != "schedule":
        raise ScheduleError([Problem(name, *_at(r, root), f"expected a <schedule> document (frab/Pentabarf), found <{root.tag}>")])
    conference = root.find("conference")
    if conference is None:
        raise ScheduleError([Problem(name, *_at(r, root), "the <schedule> has no <conference>")])
    title = r.text(conference, "title")
    if title is None:
        r.problem(conference, "the <conference> has no <title>")
    schedule = SourceSchedule(
        path=name, format=FORMAT, title=title or "", acronym=r.text(conference, "acronym"),
        city=r.text(conference, "city"), venue=r.text(conference, "venue"),
        url=r.text(conference, "url") or r.text(conference, "base_url"),
    )
    if root.find("generator") is not None and (root.find("generator").get("name") or "").lower() == "pretalx":
        schedule.format = "pretalx schedule.xml"
    for field in ("start", "end"):
        element = conference.find(field)
        if element is not None and element.text and element.text.strip():
            try:
                setattr(schedule, field, parse_date(element.text))
            except ValueError as exc:
                r.problem(element, f"conference {field}: {exc}")
            if "T" in element.text:
                _day_start(r, schedule, element)
    zone = conference.find("time_zone_name")
    if zone is not None and zone.text and zone.text.strip():
        schedule.zone_name = zone.text.strip()
        schedule.zone_where = r.where(zone)

    # tracks: FOSDEM lists them in <tracks>, the schema in <conference><track name=...>
    for track in [*root.findall("tracks/track"), *conference.findall("track")]:
        name_ = (track.get("name") or track.text or "").strip()
        if name_:
            schedule.tracks.append(SourceTrack(name_, track.get("slug")))

    days = root.findall("day")
    if not days:
        r.problem(root, "the <schedule> has no <day>")
    rooms: dict[str, SourceRoom] = {}
    for day in days:
        if day.get("start"):
            _day_start(r, schedule, day, day.get("start", ""))
        day_date, day_begin = None, None
        if day.get("start"):
            try:
                day_begin = parse_instant(day.get("start", ""))
            except ValueError:
                day_begin = None
        if day.get("date"):
            try:
                day_date = parse_date(day.get("date", ""))
            except ValueError as exc:
                r.problem(day, f"day: {exc}")
        for room in day.findall("room"):
            room_name = (room.get("name") or "").strip()
            if room_name and room_name not in rooms:
                rooms[room_name] = SourceRoom(room_name, room.get("slug"), room.get("guid"))
            for event in room.findall("event"):
                found = _event(r, event, room_name, day_date, day_begin)
                if found is not None:
                    schedule.events.append(found)
    schedule.rooms = list(rooms.values())
    if r.problems:
        raise ScheduleError(r.problems)
    return schedule


def _at(r: _Reader, element: etree._Element) -> tuple[int, int]:
    where = r.where(element)
    return where.line, where.column


def _day_start(r: _Reader, schedule: SourceSchedule, element: etree._Element, text: str | None = None) -> None:
    try:
        value = parse_instant(text if text is not None else element.text or "")
    except ValueError:
        return  # the date alone is read elsewhere; an unreadable day start is only a hint
    if value.tzinfo is not None:
        schedule.day_starts.append(value)


def _event(
    r: _Reader, event: etree._Element, room: str, day_date: dt.date | None, day_begin: dt.datetime | None
) -> SourceEvent | None:
    title = r.text(event, "title")
    ok = True
    if title is None:
        r.problem(event, "event without a <title>")
        ok = False
    start = _start(r, event, day_date, day_begin)
    if start is None:
        ok = False
    duration = dt.timedelta(0)
    text = r.text(event, "duration")
    if text is None:
        r.problem(event, f"event {title or event.get('id')!r} has no <duration>")
        ok = False
    else:
        try:
            duration = parse_duration(text)
        except ValueError as exc:
            r.problem(event.find("duration"), f"event {title!r}: {exc}")
            ok = False
    if not ok or start is None or title is None:
        return None
    persons = [
        Person(" ".join((p.text or "").split()), p.get("id") or p.get("guid"))
        for p in event.findall("persons/person") if (p.text or "").strip()
    ]
    links = [
        SourceLink(link.get("href", "").strip(), clean(link.text), link.get("type"))
        for link in event.findall("links/link") if link.get("href", "").strip()
    ]
    links += [
        SourceLink(att.get("href", "").strip(), clean(att.text), att.get("type") or "attachment")
        for att in event.findall("attachments/attachment") if att.get("href", "").strip()
    ]
    recording = None
    rec = event.find("recording")
    if rec is not None:
        recording = SourceRecording(
            license=r.text(rec, "license"), optout=(r.text(rec, "optout") or "").lower() == "true",
            url=r.text(rec, "url") or r.text(rec, "link"),
        )
    video = r.text(event, "video_download_url")
    if video:
        recording = SourceRecording(recording.license if recording else None, recording.optout if recording else False, video)
    return SourceEvent(
        where=r.where(event), title=title, start=start, duration=duration,
        guid=event.get("guid"), id=event.get("id"), code=event.get("code"), slug=r.text(event, "slug"),
        subtitle=clean(r.text(event, "subtitle")), abstract=clean(r.text(event, "abstract")),
        description=clean(r.text(event, "description")), room=r.text(event, "room") or room or None,
        track=r.text(event, "track"), type=r.text(event, "type"), language=r.text(event, "language"),
        persons=persons, links=links, url=r.text(event, "url"), recording=recording,
    )


def _start(r: _Reader, event: etree._Element, day_date: dt.date | None, day_begin: dt.datetime | None) -> dt.datetime | None:
    """The event's ``<date>`` (a full date and time), else its day's date and ``<start>``.

    A day runs past midnight (``day_change``): a ``<start>`` earlier than the
    day's own start is on the next calendar date.
    """
    text = r.text(event, "date")
    if text is not None:
        try:
            value = parse_instant(text)
        except ValueError:
            r.problem(event.find("date"), f"event date {text!r} is not an ISO-8601 date and time")
            return None
        if "T" in text or " " in text.strip():
            return value
    clock = r.text(event, "start")
    if clock is None or day_date is None:
        r.problem(event, "event without a <date> (or a <start> time within a dated <day>)")
        return None
    try:
        hours, minutes = (int(x) for x in clock.split(":")[:2])
        value = dt.datetime.combine(day_date, dt.time(hours % 24, minutes)) + dt.timedelta(days=hours // 24)
    except ValueError:
        r.problem(event.find("start"), f"event start {clock!r} is not HH:MM")
        return None
    if day_begin is not None and value.time() < day_begin.time() and value.date() == day_date:
        value += dt.timedelta(days=1)
    return value
