"""Questions about the programme: today, now, next, a day, a stream, search.

An :class:`Agenda` is built once per programme version and is immutable, so
lookups are plain list and dict reads.
"""

from __future__ import annotations

import bisect
import datetime as dt
import enum
import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from babel import Locale
from babel.dates import get_day_names, get_month_names

from bot.programme.model import Programme, Session, Stream


class Phase(str, enum.Enum):
    BEFORE = "before"
    DURING = "during"
    AFTER = "after"


def fold(text: str) -> str:
    """Case- and accent-insensitive form: ``Bogotá`` and ``BOGOTA`` both become ``bogota``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _texts(value: Any) -> Iterable[str]:
    if value is None:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        yield from (str(v) for v in value.values())


class Agenda:
    """Read-only index over one programme version."""

    def __init__(self, programme: Programme) -> None:
        self.programme = programme
        self.zone = programme.zone
        self.sessions: tuple[Session, ...] = tuple(sorted(programme.sessions, key=lambda s: (s.start, s.end, s.id)))
        self._starts = [s.start for s in self.sessions]
        self._by_id = {s.id.casefold(): s for s in self.sessions}
        by_date: dict[dt.date, list[Session]] = defaultdict(list)
        by_stream: dict[str, list[Session]] = defaultdict(list)
        for s in self.sessions:
            by_date[self.local_date(s.start)].append(s)
            if s.stream:
                by_stream[s.stream].append(s)
        self._by_date = {k: tuple(v) for k, v in by_date.items()}
        self._by_stream = {k: tuple(v) for k, v in by_stream.items()}
        self._haystacks = [(s, fold(" \n ".join(self._search_texts(s)))) for s in self.sessions]
        self._longest = max((s.end - s.start for s in self.sessions), default=dt.timedelta(0))
        self.memo: dict[tuple[object, ...], object] = {}
        """Rendered views of this programme version (by session, locale, zone); gone on reload."""

    def _search_texts(self, s: Session) -> Iterable[str]:
        yield s.id
        for value in (s.title, s.description):
            yield from _texts(value)
        for person in (*s.speakers, *s.moderators):
            for value in (person.name, person.role, person.organisation, person.city):
                yield from _texts(value)
        for p in s.presenters:
            for value in (p.city, p.country, p.initiative, p.speaker):
                yield from _texts(value)
        venue = self.programme.venue(s.venue)
        if venue:
            yield from _texts(venue.name)
            yield from _texts(venue.district)
        stream = self.programme.stream(s.stream) if s.stream else None
        if stream:
            yield from _texts(stream.title)

    # -- time -------------------------------------------------------------

    def local_date(self, instant: dt.datetime) -> dt.date:
        return instant.astimezone(self.zone).date()

    @property
    def first_day(self) -> dt.date:
        return self.programme.event.start_date

    @property
    def last_day(self) -> dt.date:
        return self.programme.event.end_date

    def dates(self) -> list[dt.date]:
        """Every date of the event, first to last."""
        n = (self.last_day - self.first_day).days
        return [self.first_day + dt.timedelta(days=i) for i in range(n + 1)]

    def phase(self, now: dt.datetime) -> Phase:
        today = self.local_date(now)
        if today < self.first_day:
            return Phase.BEFORE
        if today > self.last_day:
            return Phase.AFTER
        return Phase.DURING

    def day_number(self, date: dt.date) -> int:
        return (date - self.first_day).days + 1

    # -- lookups ----------------------------------------------------------

    def on(self, date: dt.date) -> tuple[Session, ...]:
        return self._by_date.get(date, ())

    def in_progress(self, now: dt.datetime) -> list[Session]:
        """Sessions that have started and not yet ended."""
        hi = bisect.bisect_right(self._starts, now)
        lo = bisect.bisect_left(self._starts, now - self._longest)
        return [s for s in self.sessions[lo:hi] if s.end > now]

    def upcoming(self, now: dt.datetime) -> list[Session]:
        """The sessions of the next time slot: those that start soonest after ``now``."""
        i = bisect.bisect_right(self._starts, now)
        if i >= len(self.sessions):
            return []
        first = self.sessions[i].start
        return [s for s in self.sessions[i:] if s.start == first]

    def session(self, session_id: str) -> Session | None:
        return self._by_id.get(session_id.strip().casefold())

    def stream_sessions(self, stream_id: str) -> tuple[Session, ...]:
        return self._by_stream.get(stream_id, ())

    def streams(self) -> tuple[Stream, ...]:
        return tuple(sorted(self.programme.streams, key=lambda s: s.number))

    def find_stream(self, token: str) -> Stream | None:
        """A stream by number (``2``), id (``s2``) or a word of its title."""
        token = token.strip().lstrip("#").strip()
        if not token:
            return None
        if token.isdigit():
            return next((s for s in self.programme.streams if s.number == int(token)), None)
        for stream in self.programme.streams:
            if token.casefold() == stream.id.casefold():
                return stream
        wanted = fold(token)
        matches = [s for s in self.programme.streams if any(wanted in fold(t) for t in _texts(s.title))]
        return matches[0] if len(matches) == 1 else None

    def search(self, query: str) -> list[Session]:
        """Sessions whose text contains every word of ``query`` (accent- and case-blind).

        Words are split on spaces; Chinese, written without spaces, matches as
        a substring.
        """
        words = [fold(w) for w in query.split() if w.strip()]
        if not words:
            return []
        return [s for s, hay in self._haystacks if all(w in hay for w in words)]

    # -- reading a day ----------------------------------------------------

    def resolve_day(self, text: str, today: dt.date, locales: Sequence[str] = ("en",)) -> dt.date | None:
        """A day from ``2025-06-05``, ``day 2``, ``2``, ``第2天``, ``thursday``, ``周四``,
        ``5 June``, ``June 5``, ``6月5日``, ``today``, ``tomorrow``, ``明天``."""
        raw = text.strip()
        token = fold(raw).strip().rstrip(".")
        if not token:
            return None
        relative = _RELATIVE.get(token)
        if relative is not None:
            return today + dt.timedelta(days=relative)
        try:
            return dt.date.fromisoformat(token)
        except ValueError:
            pass
        m = re.fullmatch(r"(?:day\s*|d|第\s*)?(\d{1,2})(?:\s*天)?", token)
        if m:
            n = int(m.group(1))
            if 1 <= n <= len(self.dates()):
                return self.first_day + dt.timedelta(days=n - 1)
            return None
        m = re.fullmatch(r"(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?", token)
        if m:
            return self._in_event_year(int(m.group(1)), int(m.group(2)))
        weekday = _weekday(token, locales)
        if weekday is not None:
            for date in self.dates():
                if date.weekday() == weekday:
                    return date
            return None
        month_day = _month_day(token, locales)
        if month_day is not None:
            return self._in_event_year(*month_day)
        return None

    def _in_event_year(self, month: int, day: int) -> dt.date | None:
        for year in sorted({self.first_day.year, self.last_day.year}):
            try:
                return dt.date(year, month, day)
            except ValueError:
                continue
        return None


_RELATIVE = {
    "today": 0, "tomorrow": 1, "yesterday": -1,
    "今天": 0, "今日": 0, "明天": 1, "明日": 1, "昨天": -1, "后天": 2,
}


@functools.lru_cache(maxsize=64)
def _names(kind: str, locales: tuple[str, ...]) -> dict[str, int]:
    names: dict[str, int] = {}
    for tag in locales:
        locale = Locale.parse(tag)
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                table = (get_day_names if kind == "day" else get_month_names)(width, context, locale)
                for number, name in table.items():
                    names[fold(name).rstrip(".")] = number
    if kind == "day":
        for number, name in enumerate("一二三四五六日"):
            names[f"周{name}"] = number
            names[f"星期{name}"] = number
        names["星期天"] = names["周天"] = 6
    return names


def _tags(locales: Sequence[str]) -> tuple[str, ...]:
    return tuple(sorted({"en", *locales}))


def _weekday(token: str, locales: Sequence[str]) -> int | None:
    return _names("day", _tags(locales)).get(token)


def _month_day(token: str, locales: Sequence[str]) -> tuple[int, int] | None:
    months = _names("month", _tags(locales))
    m = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([^\d\s]+)", token) or None
    if m and m.group(2) in months:
        return months[m.group(2)], int(m.group(1))
    m = re.fullmatch(r"([^\d\s]+)\s+(\d{1,2})(?:st|nd|rd|th)?", token)
    if m and m.group(1) in months:
        return months[m.group(1)], int(m.group(2))
    return None
