"""A :class:`SourceSchedule` -> the programme's YAML, with ids that last from one import to the next.

- **Zone.** Event times keep the instants the export gives.  The
  programme's zone is the export's ``time_zone_name`` where the events'
  UTC offsets agree with it; where they do not (pretalx once wrote ``UTC``
  above times at ``+01:00``), or where the export names none, it is a zone
  that agrees with every offset: the zone of the conference's city, else a
  fixed offset (``Etc/GMT-1``).  ``--timezone`` decides instead.
- **Ids.** The export's own ids may not fit the programme's (``[A-Za-z0-9._-]``,
  48 characters) or may change; each event is matched by its guid (then its
  code, id, slug) in the id map kept beside the output, so a later import
  gives it the same session id, and bookmarks, reminders and calendars
  follow it.  Streams and venues keep their ids and stream numbers too.
- **What the organiser added.** A later import keeps what the export does
  not carry and the organiser wrote into the output (a venue's address and
  position, an event's contact, a session's meeting link, days' titles,
  staff).  A session gone from the export stays, cancelled, so that those
  who bookmarked it are told; sessions written by hand are kept as they are.
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import io
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import LiteralScalarString

from bot.importers.source import ScheduleError, SourceEvent, SourceSchedule
from bot.programme.loader import Problem, ProgrammeError, parse_programme
from bot.programme.model import Programme

IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,47}$")
ID_LIMIT = 48
#: An event without a duration still takes this long (the programme needs an end after the start).
MIN_DURATION = dt.timedelta(minutes=5)
ID_MAP_VERSION = 1

#: What the export decides, always; every other field the organiser may set in the output and keep.
SOURCE_FIELDS = {
    "event": {"id", "name", "timezone", "start_date", "end_date"},
    "stream": {"id", "number", "title"},
    "venue": {"id", "name"},
    "session": {"id", "title", "start", "end", "stream", "venue", "description", "speakers", "language", "url",
                "links", "recording", "cancelled"},
}

#: Words of an event's ``type`` (as frab, pretalx and FOSDEM write it) -> the programme's kind.
_KINDS = (
    ("workshop", "workshop"), ("hands-on", "workshop"), ("tutorial", "workshop"),
    ("panel", "panel"), ("podium", "panel"), ("discussion", "panel"),
    ("keynote", "plenary"), ("plenary", "plenary"),
    ("meeting", "roundtable"), ("bof", "roundtable"), ("roundtable", "roundtable"), ("round table", "roundtable"),
    ("performance", "social"), ("concert", "social"), ("party", "social"), ("music", "social"), ("social", "social"),
    ("ceremony", "ceremony"), ("break", "break"), ("lunch", "break"), ("coffee", "break"),
)


def kind_of(event_type: str | None) -> str:
    """The programme's kind for an export's event type (a talk, lecture or devroom slot is a presentation)."""
    wanted = (event_type or "").casefold()
    return next((kind for word, kind in _KINDS if word in wanted), "presentation")


def slug(text: str, limit: int = ID_LIMIT) -> str:
    """``K.1.105 (La Fontaine)`` -> ``k-1-105-la-fontaine``: lower-case ASCII letters, digits and dashes."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:limit].rstrip("-")


def _free(candidate: str, taken: set[str], fallback: str) -> str:
    base = candidate if IDENTIFIER.match(candidate) else fallback
    if base not in taken:
        return base
    n = 2
    while f"{base[: ID_LIMIT - len(str(n)) - 1]}-{n}" in taken:
        n += 1
    return f"{base[: ID_LIMIT - len(str(n)) - 1]}-{n}"


# -- the id map --------------------------------------------------------------------


@dataclass
class IdMap:
    """What each of the export's events, tracks and rooms is called in the programme, kept between imports."""

    sessions: dict[str, str] = field(default_factory=dict)
    """An event's key (``guid:...``, ``code:...``, ``id:...``, ``slug:...``) -> session id."""
    streams: dict[str, str] = field(default_factory=dict)
    """Track name -> stream id."""
    numbers: dict[str, int] = field(default_factory=dict)
    """Stream id -> stream number."""
    venues: dict[str, str] = field(default_factory=dict)
    """Room name -> venue id."""
    source: str | None = None

    @classmethod
    def load(cls, path: Path) -> IdMap | None:
        """The map at ``path``; None if there is none; :class:`ScheduleError` if it is unreadable."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise ScheduleError([Problem(str(path), 1, 1, f"cannot read the id map: {exc}")]) from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ScheduleError([Problem(str(path), exc.lineno, exc.colno, f"the id map is not valid JSON: {exc.msg}")]) from None
        if not isinstance(data, dict) or data.get("version") != ID_MAP_VERSION:
            raise ScheduleError([Problem(str(path), 1, 1, f"not an id map of delegate-bot import (version {ID_MAP_VERSION})")])
        return cls(
            sessions=dict(data.get("sessions", {})), streams=dict(data.get("streams", {})),
            numbers={k: int(v) for k, v in data.get("stream_numbers", {}).items()},
            venues=dict(data.get("venues", {})), source=data.get("source"),
        )

    def dumps(self) -> str:
        return json.dumps(
            {"version": ID_MAP_VERSION, "source": self.source, "sessions": self.sessions, "streams": self.streams,
             "stream_numbers": self.numbers, "venues": self.venues},
            ensure_ascii=False, indent=1, sort_keys=False,
        ) + "\n"


# -- the zone ----------------------------------------------------------------------


@functools.cache
def _zones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def _agrees(zone: ZoneInfo, instants: Iterable[dt.datetime]) -> bool:
    return all(value.utcoffset() == value.astimezone(zone).utcoffset() for value in instants)


def _offset_text(offset: dt.timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def resolve_zone(schedule: SourceSchedule, override: str | None) -> tuple[str, list[str]]:
    """The programme's IANA zone and what the organiser should know about how it was chosen."""
    notes: list[str] = []
    if override:
        try:
            ZoneInfo(override)
        except (ZoneInfoNotFoundError, ValueError):
            raise ScheduleError([Problem(schedule.path, 1, 1, f"--timezone {override!r} is not an IANA time zone (such as Europe/Brussels)")]) from None
        return override, notes
    aware = [e.start for e in schedule.events if e.start.tzinfo is not None]
    offsets = sorted({_offset_text(v.utcoffset() or dt.timedelta(0)) for v in aware})
    declared: ZoneInfo | None = None
    if schedule.zone_name:
        try:
            declared = ZoneInfo(schedule.zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            notes.append(f"{schedule.path}:{schedule.zone_where.line}:{schedule.zone_where.column}: "
                         f"time_zone_name {schedule.zone_name!r} is not an IANA time zone")
    if declared is not None and _agrees(declared, aware):
        starts = [v for v in schedule.day_starts if not _agrees(declared, [v])]
        if starts:
            notes.append(
                f"the conference's day starts carry {', '.join(sorted({_offset_text(v.utcoffset()) for v in starts}))}, "
                f"unlike its events and {schedule.zone_name}; the events' times are used"
            )
        return declared.key, notes
    if not aware:
        if declared is not None:
            return declared.key, notes
        raise ScheduleError([Problem(schedule.path, 1, 1, "the export names no time zone and its times carry no UTC offset: give --timezone (such as --timezone Europe/Berlin)")])
    chosen = _zone_for(schedule.city, aware)
    if chosen is None:
        raise ScheduleError([Problem(
            schedule.path, schedule.zone_where.line, schedule.zone_where.column,
            f"the events' times carry several UTC offsets ({', '.join(offsets)}) and no zone names them: give --timezone",
        )])
    if declared is not None:
        notes.append(
            f"{schedule.path}:{schedule.zone_where.line}:{schedule.zone_where.column}: time_zone_name is "
            f"{schedule.zone_name}, but the events' times carry {', '.join(offsets)}: they are kept as the events give them, "
            f"in {chosen}; give --timezone to name the conference's zone"
        )
    else:
        notes.append(f"the export names no time zone; its events' offsets ({', '.join(offsets)}) give {chosen}; give --timezone to name another")
    return chosen, notes


def _zone_for(city: str | None, aware: list[dt.datetime]) -> str | None:
    """A zone agreeing with every instant's offset: the city's (``Brussels`` -> Europe/Brussels), else a fixed one."""
    if city:
        wanted = slug(city).replace("-", "_")
        for name in _zones():
            if slug(name.rsplit("/", 1)[-1]).replace("-", "_") == wanted and _agrees(ZoneInfo(name), aware):
                return name
    offsets = {v.utcoffset() for v in aware}
    if len(offsets) != 1:
        return None
    (offset,) = offsets
    assert offset is not None
    hours, rest = divmod(int(offset.total_seconds()), 3600)
    if rest:
        return None
    if hours == 0:
        return "UTC"
    return f"Etc/GMT{-hours:+d}"  # POSIX signs: UTC+01:00 is Etc/GMT-1


# -- the conversion ----------------------------------------------------------------


@dataclass
class ImportResult:
    schedule: SourceSchedule
    text: str
    """The programme YAML, validated."""
    programme: Programme
    ids: IdMap
    zone: str
    notes: list[str]
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    """Sessions gone from the export, kept as cancelled."""
    unused_rooms: int = 0
    unused_tracks: int = 0


def _language(tag: str | None) -> str | None:
    if not tag:
        return None
    m = re.fullmatch(r"([A-Za-z]{2,3})(?:[-_]([A-Za-z]{4}|[A-Za-z]{2}|\d{3}))?", tag.strip())
    if not m:
        return None
    language, region = m.group(1).lower(), m.group(2)
    if region is None:
        return language
    return f"{language}_{region.title() if len(region) == 4 else region.upper()}"


def _shipped_languages() -> set[str]:
    from bot.resources import resource_dir

    return {p.name for p in resource_dir("locales").iterdir() if (p / "LC_MESSAGES").is_dir()}


def _description(event: SourceEvent) -> str | None:
    parts: list[str] = []
    for part in (event.subtitle, event.abstract, event.description):
        if part and all(part not in done for done in parts):
            parts.append(part)
    return "\n\n".join(parts) or None


def _text(value: str) -> str | LiteralScalarString:
    return LiteralScalarString(value) if "\n" in value else value


def convert(
    schedule: SourceSchedule,
    *,
    out: Path,
    ids: IdMap | None,
    previous: dict[str, Any] | None,
    timezone: str | None = None,
) -> ImportResult:
    """The programme for ``schedule``, to be written at ``out``; ``ids`` and ``previous`` from the last import."""
    ids = ids or IdMap()
    zone_name, notes = resolve_zone(schedule, timezone)
    zone = ZoneInfo(zone_name)
    previous = previous or {}

    used_tracks = {e.track for e in schedule.events if e.track}
    used_rooms = {e.room for e in schedule.events if e.room}
    track_order = [t.name for t in schedule.tracks] + [e.track for e in schedule.events if e.track]
    tracks = [name for name in dict.fromkeys(track_order) if name in used_tracks]
    streams, stream_ids = _streams(tracks, {t.name: t.slug for t in schedule.tracks}, ids)
    venue_rows, venue_ids = _venues([r for r in schedule.rooms if r.name in used_rooms] + [
        r for r in _rooms_not_listed(schedule, used_rooms)], schedule, ids)

    sessions: list[dict[str, Any]] = []
    taken = set(ids.sessions.values())
    claimed: set[str] = set()
    for event in sorted(schedule.events, key=lambda e: (_aware(e.start, zone), e.room or "", e.title)):
        start = _aware(event.start, zone).astimezone(zone)
        duration = event.duration
        if duration <= dt.timedelta(0):
            notes.append(f"{schedule.path}:{event.where.line}:{event.where.column}: event {event.title!r} has no duration; it is given {MIN_DURATION.seconds // 60} minutes")
            duration = MIN_DURATION
        session_id = _session_id(event, ids, taken, claimed)
        row: dict[str, Any] = {"id": session_id, "title": event.title, "kind": kind_of(event.type), "start": start, "end": start + duration}
        if event.track:
            row["stream"] = stream_ids[event.track]
        if event.room:
            row["venue"] = venue_ids[event.room]
        description = _description(event)
        if description:
            row["description"] = _text(description)
        if event.persons:
            row["speakers"] = [{"name": p.name} for p in dict.fromkeys(event.persons)]
        language = _language(event.language)
        if language:
            row["language"] = language
        if event.url and event.url.startswith(("http://", "https://")):
            row["url"] = event.url
        links = [
            {k: v for k, v in (("url", link.url), ("title", link.title), ("kind", link.kind)) if v}
            for link in dict.fromkeys(event.links) if link.url.startswith(("http://", "https://"))
        ]
        if links:
            row["links"] = links
        rec = event.recording
        if rec is not None and (rec.optout or rec.license or rec.url):
            recording: dict[str, Any] = {}
            if rec.optout:
                recording["optout"] = True
            if rec.license:
                recording["license"] = rec.license
            if rec.url and rec.url.startswith(("http://", "https://")):
                recording["url"] = rec.url
            if recording:
                row["recording"] = recording
        sessions.append(row)

    result_ids = IdMap(ids.sessions, ids.streams, ids.numbers, ids.venues, schedule.acronym or schedule.title)
    event = _event(schedule, zone_name, sessions)
    doc = _merge(previous, event, streams, venue_rows, sessions, result_ids, notes)
    _fit_dates(doc, zone)
    text = _dump(doc, schedule)
    try:
        programme = parse_programme(text, str(out))
    except ProgrammeError as exc:
        raise ScheduleError([Problem(p.path, p.line, p.column, f"the imported programme does not validate: {p.message}") for p in exc.problems]) from None
    result = ImportResult(
        schedule=schedule, text=text, programme=programme, ids=result_ids, zone=zone_name, notes=notes,
        unused_rooms=len({r.name for r in schedule.rooms} - used_rooms),
        unused_tracks=len({t.name for t in schedule.tracks} - used_tracks),
    )
    if previous:
        _compare(previous, doc, result)
    return result


def _aware(value: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def _rooms_not_listed(schedule: SourceSchedule, used: set[str]) -> list[Any]:
    from bot.importers.source import SourceRoom

    listed = {r.name for r in schedule.rooms}
    return [SourceRoom(name) for name in dict.fromkeys(e.room for e in schedule.events if e.room) if name not in listed and name in used]


def _streams(tracks: list[str], slugs: dict[str, str | None], ids: IdMap) -> tuple[list[dict[str, Any]], dict[str, str]]:
    taken = set(ids.streams.values())
    out: dict[str, str] = {}
    for name in tracks:
        if name in ids.streams:
            out[name] = ids.streams[name]
            continue
        candidate = slug(slugs.get(name) or name) or "track"
        out[name] = ids.streams[name] = _free(candidate, taken, "track")
        taken.add(out[name])
    used_numbers = set(ids.numbers.values())
    rows = []
    for name in tracks:
        stream_id = out[name]
        if stream_id not in ids.numbers:
            number = max(used_numbers, default=0) + 1
            ids.numbers[stream_id] = number
            used_numbers.add(number)
        rows.append({"id": stream_id, "number": ids.numbers[stream_id], "title": name})
    return rows, out


def _venues(rooms: list[Any], schedule: SourceSchedule, ids: IdMap) -> tuple[list[dict[str, Any]], dict[str, str]]:
    taken = set(ids.venues.values())
    out: dict[str, str] = {}
    rows = []
    address = ", ".join(x for x in (schedule.venue, schedule.city) if x) or None
    for room in rooms:
        if room.name in ids.venues:
            venue_id = ids.venues[room.name]
        else:
            venue_id = ids.venues[room.name] = _free(slug(room.slug or "") or slug(room.name) or "room", taken, "room")
            taken.add(venue_id)
        out[room.name] = venue_id
        row: dict[str, Any] = {"id": venue_id, "name": room.name}
        if address:
            row["address"] = address
        if room.description:
            row["directions"] = _text(room.description)
        rows.append(row)
    return rows, out


def _session_id(event: SourceEvent, ids: IdMap, taken: set[str], claimed: set[str]) -> str:
    keys = event.keys
    found = next((ids.sessions[k] for k in keys if k in ids.sessions and ids.sessions[k] not in claimed), None)
    if found is None:
        candidates = [c for c in (event.id, event.code, slug(event.slug or ""), slug(event.title)) if c]
        fitting = next((c for c in candidates if IDENTIFIER.match(c) and c not in taken), None)
        found = fitting or _free(candidates[0] if candidates else "session", taken, "session")
    for k in keys:
        ids.sessions.setdefault(k, found)
    taken.add(found)
    claimed.add(found)
    return found


def _event(schedule: SourceSchedule, zone: str, sessions: list[dict[str, Any]]) -> dict[str, Any]:
    event_id = schedule.acronym if schedule.acronym and IDENTIFIER.match(schedule.acronym) else slug(schedule.acronym or schedule.title) or "conference"
    row: dict[str, Any] = {"id": event_id, "name": schedule.title or event_id, "timezone": zone}
    dates = [s["start"].date() for s in sessions] + [(s["end"] - dt.timedelta(microseconds=1)).date() for s in sessions]
    first = min([d for d in (schedule.start, *dates) if d is not None], default=dt.date.today())
    last = max([d for d in (schedule.end, *dates) if d is not None], default=first)
    row["start_date"], row["end_date"] = first, max(last, first)
    if schedule.city:
        row["city"] = schedule.city
    if schedule.url and schedule.url.startswith(("http://", "https://")):
        row["url"] = schedule.url
    spoken = collections.Counter(s["language"].split("_")[0] for s in sessions if s.get("language"))
    shipped = _shipped_languages()
    common = next((tag for tag, _n in spoken.most_common() if tag in shipped), "en")
    row["default_language"] = common
    row["languages"] = [common]
    return row


def _keep(previous: dict[str, Any] | None, produced: dict[str, Any], kind: str) -> dict[str, Any]:
    """``produced``, with the fields of ``previous`` that the export does not decide (the organiser's)."""
    if not previous:
        return produced
    fixed = SOURCE_FIELDS[kind]
    merged = dict(produced)
    for key, value in previous.items():
        if key not in fixed:
            merged[key] = value
    order = list(produced) + [k for k in merged if k not in produced]
    return {k: merged[k] for k in order}


def _by_id(rows: Any) -> dict[str, dict[str, Any]]:
    return {str(r["id"]): r for r in rows or () if isinstance(r, dict) and "id" in r}


def _merge(
    previous: dict[str, Any], event: dict[str, Any], streams: list[dict[str, Any]], venues: list[dict[str, Any]],
    sessions: list[dict[str, Any]], ids: IdMap, notes: list[str],
) -> dict[str, Any]:
    old_streams, old_venues, old_sessions = _by_id(previous.get("streams")), _by_id(previous.get("venues")), _by_id(previous.get("sessions"))
    doc: dict[str, Any] = {"event": _keep(previous.get("event") if isinstance(previous.get("event"), dict) else None, event, "event")}
    if previous.get("days"):
        doc["days"] = previous["days"]
    new_sessions = [_keep(old_sessions.get(s["id"]), s, "session") for s in sessions]
    produced = {s["id"] for s in sessions}
    imported = set(ids.sessions.values())
    kept = []
    for sid, old in old_sessions.items():
        if sid in produced:
            continue
        row = dict(old)
        if sid in imported:
            row["cancelled"] = True  # gone from the export: stays, cancelled, so that those concerned are told
        kept.append(row)
    all_sessions = new_sessions + kept
    stream_rows = [_keep(old_streams.get(s["id"]), s, "stream") for s in streams]
    venue_rows = [_keep(old_venues.get(v["id"]), v, "venue") for v in venues]
    # what kept sessions (and the organiser's own) still refer to
    have_streams, have_venues = {s["id"] for s in stream_rows}, {v["id"] for v in venue_rows}
    for row in kept:
        if row.get("stream") and row["stream"] not in have_streams and row["stream"] in old_streams:
            stream_rows.append(old_streams[row["stream"]])
            have_streams.add(row["stream"])
        for ref in (row.get("venue"), (row.get("site_visit") or {}).get("meeting_point")):
            if ref and ref not in have_venues and ref in old_venues:
                venue_rows.append(old_venues[ref])
                have_venues.add(ref)
    for vid, old in old_venues.items():
        if vid not in have_venues and vid not in set(ids.venues.values()):
            venue_rows.append(old)  # a venue the organiser added (a meeting point, a hotel)
            have_venues.add(vid)
    for sid, old in old_streams.items():
        if sid not in have_streams and sid not in set(ids.streams.values()):
            stream_rows.append(old)
    if stream_rows:
        doc["streams"] = stream_rows
    if venue_rows:
        doc["venues"] = venue_rows
    doc["sessions"] = sorted(all_sessions, key=lambda s: (str(s.get("start")), str(s.get("id"))))
    if previous.get("staff"):
        doc["staff"] = previous["staff"]
    return doc


def _fit_dates(doc: dict[str, Any], zone: ZoneInfo) -> None:
    """The event's dates cover every session (kept ones too); days outside them are dropped."""
    event = doc["event"]
    first, last = _date(event["start_date"]), _date(event["end_date"])
    for s in doc["sessions"]:
        for key in ("start", "end"):
            value = s.get(key)
            if isinstance(value, str):
                value = dt.datetime.fromisoformat(value)
            if isinstance(value, dt.datetime):
                local = _aware(value, zone).astimezone(zone)
                if key == "end":
                    local -= dt.timedelta(microseconds=1)
                first, last = min(first, local.date()), max(last, local.date())
    event["start_date"], event["end_date"] = first, last
    if "days" in doc:
        doc["days"] = [d for d in doc["days"] if isinstance(d, dict) and first <= _date(d.get("date")) <= last]
        if not doc["days"]:
            del doc["days"]


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _dump(doc: dict[str, Any], schedule: SourceSchedule) -> str:
    yaml = YAML(typ="rt", pure=True)
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    root = CommentedMap(doc)
    root.yaml_set_start_comment(
        f"Imported by `delegate-bot import` from {Path(schedule.path).name} ({schedule.format}).\n"
        "The next import replaces what the export says (titles, times, rooms, speakers); what you add\n"
        "that it does not carry (a venue's address and position, a meeting link, days' titles, staff) is kept."
    )
    out = io.StringIO()
    yaml.dump(root, out)
    return out.getvalue()


def _compare(previous: dict[str, Any], doc: dict[str, Any], result: ImportResult) -> None:
    old = _by_id(previous.get("sessions"))
    for row in doc["sessions"]:
        sid = str(row["id"])
        before = old.get(sid)
        if before is None:
            result.added.append(sid)
        elif row.get("cancelled") and not before.get("cancelled"):
            result.cancelled.append(sid)
        elif _plain(before) != _plain(row):
            result.changed.append(sid)


def _plain(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v))
