"""Read a c3voc ``schedule.json`` (frab's, pretalx's) into a :class:`SourceSchedule`.

The format is c3voc's (https://c3voc.de/schedule/schema.json): ``schedule``
-> ``conference`` -> ``days`` -> ``rooms`` (a map of room name to its
events).  pretalx writes the same shape and adds ``conference.rooms`` (with
guids and descriptions) and persons with a ``code``; it is told apart by
those.  The file is parsed with the standard library; a problem found in the
data is located in the text afterwards (:mod:`bot.importers.jsonpos`).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

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

FORMAT = "c3voc schedule.json"
PRETALX = "pretalx schedule.json"

Path_ = tuple[str | int, ...]


class _Reader:
    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.problems: list[Problem] = []

    def where(self, at: Path_) -> Where:
        return Where(text=self.text, path=at)

    def problem(self, at: Path_, message: str) -> None:
        self.problems.append(self.where(at).problem(self.path, message))

    def fail(self, at: Path_, message: str) -> ScheduleError:
        return ScheduleError([self.where(at).problem(self.path, message)])


def _string(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value.strip() or None
    return None


def read(path: str | Path, data: bytes) -> SourceSchedule:
    """The schedule in ``data`` (the bytes of ``path``), or :class:`ScheduleError`."""
    name = str(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScheduleError([Problem(name, 1, 1, f"not UTF-8 text ({exc.reason})")]) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScheduleError([Problem(name, exc.lineno, exc.colno, f"not valid JSON: {exc.msg}")]) from None
    r = _Reader(name, text)
    if not isinstance(doc, dict) or not isinstance(doc.get("schedule"), dict):
        raise r.fail((), "expected a c3voc/pretalx schedule.json: an object with a \"schedule\"")
    schedule_doc = doc["schedule"]
    conference = schedule_doc.get("conference")
    if not isinstance(conference, dict):
        raise r.fail(("schedule",), "the \"schedule\" has no \"conference\" object")
    at: Path_ = ("schedule", "conference")
    if not isinstance(conference.get("days"), list):
        if isinstance(schedule_doc.get("events"), list):
            raise r.fail(("schedule", "events"), "this is c3voc's draft schedule format 2 (a list of events); export the schedule.json of format 1 or the schedule.xml")
        raise r.fail(at, "the \"conference\" has no \"days\" list")
    title = _string(conference.get("title"))
    if title is None:
        r.problem(at, "the \"conference\" has no \"title\"")
    pretalx = isinstance(conference.get("rooms"), list) or _generator(doc) == "pretalx"
    schedule = SourceSchedule(
        path=name, format=PRETALX if pretalx else FORMAT, title=title or "",
        acronym=_string(conference.get("acronym")), city=_string(conference.get("city")),
        venue=_string(conference.get("venue")),
        url=_string(conference.get("url")) or _string(schedule_doc.get("base_url")),
    )
    for field in ("start", "end"):
        value = _string(conference.get(field))
        if value:
            try:
                setattr(schedule, field, parse_date(value))
            except ValueError as exc:
                r.problem(at + (field,), f"conference {field}: {exc}")
            if "T" in value:
                _offset_hint(schedule, value)
    zone = _string(conference.get("time_zone_name"))
    if zone:
        schedule.zone_name = zone
        schedule.zone_where = r.where(at + ("time_zone_name",))
    for i, track in enumerate(conference.get("tracks") or []):
        name_ = _string(track.get("name")) if isinstance(track, dict) else _string(track)
        if name_:
            schedule.tracks.append(SourceTrack(name_, _string(track.get("slug")) if isinstance(track, dict) else None))
    rooms: dict[str, SourceRoom] = {}
    for room in conference.get("rooms") or []:
        if isinstance(room, dict) and _string(room.get("name")):
            room_name = _string(room.get("name")) or ""
            rooms.setdefault(room_name, SourceRoom(room_name, _string(room.get("slug")), _string(room.get("guid")), clean(_string(room.get("description")))))
    for d, day in enumerate(conference["days"]):
        here = at + ("days", d)
        if not isinstance(day, dict):
            r.problem(here, "a day must be an object")
            continue
        if _string(day.get("day_start")):
            _offset_hint(schedule, _string(day.get("day_start")) or "")
        day_date = None
        if _string(day.get("date")):
            try:
                day_date = parse_date(_string(day.get("date")) or "")
            except ValueError as exc:
                r.problem(here + ("date",), f"day: {exc}")
        day_rooms = day.get("rooms", {})
        if not isinstance(day_rooms, dict):
            r.problem(here + ("rooms",), "a day's \"rooms\" must be an object: room name -> its events")
            continue
        for room_name, events in day_rooms.items():
            rooms.setdefault(room_name, SourceRoom(room_name))
            if not isinstance(events, list):
                r.problem(here + ("rooms", room_name), f"room {room_name!r}: expected a list of events")
                continue
            for k, event in enumerate(events):
                found = _event(r, event, here + ("rooms", room_name, k), room_name, day_date)
                if found is not None:
                    schedule.events.append(found)
    schedule.rooms = list(rooms.values())
    if r.problems:
        raise ScheduleError(r.problems)
    return schedule


def _generator(doc: dict[str, Any]) -> str | None:
    generator = doc.get("generator") or doc["schedule"].get("generator")
    if isinstance(generator, dict):
        return (_string(generator.get("name")) or "").lower() or None
    return None


def _offset_hint(schedule: SourceSchedule, text: str) -> None:
    try:
        value = parse_instant(text)
    except ValueError:
        return
    if value.tzinfo is not None:
        schedule.day_starts.append(value)


def _event(r: _Reader, event: Any, at: Path_, room: str, day_date: dt.date | None) -> SourceEvent | None:
    if not isinstance(event, dict):
        r.problem(at, "an event must be an object")
        return None
    title = _string(event.get("title"))
    ok = title is not None
    if title is None:
        r.problem(at, "event without a \"title\"")
    start = None
    date = _string(event.get("date"))
    if date is None:
        r.problem(at, f"event {title!r} has no \"date\"")
        ok = False
    else:
        try:
            start = parse_instant(date)
        except ValueError:
            r.problem(at + ("date",), f"event date {date!r} is not an ISO-8601 date and time")
            ok = False
    duration = dt.timedelta(0)
    text = _string(event.get("duration"))
    if text is None:
        r.problem(at, f"event {title!r} has no \"duration\"")
        ok = False
    else:
        try:
            duration = parse_duration(text)
        except ValueError as exc:
            r.problem(at + ("duration",), f"event {title!r}: {exc}")
            ok = False
    if not ok or start is None or title is None:
        return None
    persons = []
    for person in event.get("persons") or []:
        if isinstance(person, dict):
            name = _string(person.get("public_name")) or _string(person.get("full_public_name")) or _string(person.get("name"))
            key = _string(person.get("code")) or _string(person.get("guid")) or _string(person.get("id"))
        else:
            name, key = _string(person), None
        if name:
            persons.append(Person(" ".join(name.split()), key))
    links = [_link(item, None) for item in event.get("links") or []]
    links += [_link(item, "attachment") for item in event.get("attachments") or []]
    recording = _recording(event)
    return SourceEvent(
        where=r.where(at), title=title, start=start, duration=duration,
        guid=_string(event.get("guid")), id=_string(event.get("id")), code=_string(event.get("code")),
        slug=_string(event.get("slug")), subtitle=clean(_string(event.get("subtitle"))),
        abstract=clean(_string(event.get("abstract"))), description=clean(_string(event.get("description"))),
        room=_string(event.get("room")) or room, track=_track(event.get("track")), type=_string(event.get("type")),
        language=_string(event.get("language")), persons=persons, links=[link for link in links if link is not None],
        url=_string(event.get("url")), recording=recording,
    )


def _track(value: Any) -> str | None:
    if isinstance(value, dict):
        return _string(value.get("name"))
    return _string(value)


def _link(item: Any, kind: str | None) -> SourceLink | None:
    if isinstance(item, str):
        return SourceLink(item.strip(), None, kind) if item.strip() else None
    if not isinstance(item, dict):
        return None
    url = _string(item.get("url")) or _string(item.get("href"))
    if not url:
        return None
    return SourceLink(url, clean(_string(item.get("title"))), _string(item.get("type")) or kind)


def _recording(event: dict[str, Any]) -> SourceRecording | None:
    rec = event.get("recording")
    if isinstance(rec, dict):
        return SourceRecording(_string(rec.get("license")), bool(rec.get("optout")), _string(rec.get("url")) or _string(rec.get("link")))
    license_ = _string(event.get("recording_license"))
    optout = bool(event.get("do_not_record"))
    video = _string(event.get("video_download_url"))
    if license_ or optout or video:
        return SourceRecording(license_, optout, video)
    return None
