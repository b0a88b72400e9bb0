"""Questions about the programme: today, now, next, a day, a stream, search.

An :class:`Agenda` is built once per programme version and is immutable, so
lookups are plain list and dict reads: ``now`` and ``next`` by binary search
over start times, a day or a stream by key, ``search`` through a
:class:`~bot.programme.index.TextIndex` with its results remembered for the
version (a delegate paging through them costs nothing more).
"""

from __future__ import annotations

import asyncio
import bisect
import datetime as dt
import enum
import functools
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from babel import Locale
from babel.dates import get_day_names, get_month_names

from bot.programme.index import TextIndex
from bot.programme.model import Programme, Session, Stream
from bot.understanding import patterns
from bot.understanding.phrases import Phrases, phrases

T = TypeVar("T")


class Phase(str, enum.Enum):
    BEFORE = "before"
    DURING = "during"
    AFTER = "after"


def fold(text: str) -> str:
    """Case- and accent-insensitive form: ``Bogotá`` and ``BOGOTA`` both become ``bogota``."""
    if text.isascii():  # nothing to decompose, no accents; casefold() is lower() in ASCII
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _texts(value: Any) -> Iterable[str]:
    if value is None:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        yield from (str(v) for v in value.values())


#: Sessions longer than this (registration desks, exhibitions, a whole-day visit) are kept apart for ``now``,
#: so the binary search over the others looks back only as far as the longest of them.
LONG_SESSION = dt.timedelta(hours=4)
#: Searches remembered per programme version (their results, for paging).
SEARCH_MEMORY = 256


@dataclass(frozen=True)
class DayOutline:
    """One day of one programme version: its sessions by starting hour (in the event's zone), counts by room and stream."""

    by_hour: Mapping[int, tuple[Session, ...]]
    venues: Counter[str]
    streams: Counter[str]


class Agenda:
    """Read-only index over one programme version."""

    def __init__(self, programme: Programme) -> None:
        self.programme = programme
        self.zone = programme.zone
        self.sessions: tuple[Session, ...] = tuple(sorted(programme.sessions, key=lambda s: (s.start, s.end, s.id)))
        self._starts = [s.start for s in self.sessions]
        self._by_id = {s.id.casefold(): s for s in self.sessions}
        self._venues = {v.id: v for v in programme.venues}
        self._streams = {s.id: s for s in programme.streams}
        by_date: dict[dt.date, list[Session]] = defaultdict(list)
        by_stream: dict[str, list[Session]] = defaultdict(list)
        zone = self.zone
        for s in self.sessions:
            by_date[s.start.astimezone(zone).date()].append(s)
            if s.stream:
                by_stream[s.stream].append(s)
        self._by_date = {k: tuple(v) for k, v in by_date.items()}
        self._by_stream = {k: tuple(v) for k, v in by_stream.items()}
        folded: dict[str, str] = {}  # venue names, stream titles, roles: the same texts in many sessions

        def fold_once(text: str) -> str:
            found = folded.get(text)
            if found is None:
                found = fold(text)
                if len(text) < 200:
                    folded[text] = found
            return found

        # folding each text is folding the whole: the separator is a starter, so no mark moves across it
        self._haystacks = [(s, " \n ".join(map(fold_once, self._search_texts(s)))) for s in self.sessions]
        self.index = TextIndex([hay for _s, hay in self._haystacks])
        """Candidate sessions for search, by position in :attr:`sessions`."""
        self._found: dict[tuple[str, ...], tuple[Session, ...]] = {}
        self._long = [i for i, s in enumerate(self.sessions) if s.end - s.start > LONG_SESSION]
        self._longest = max((s.end - s.start for s in self.sessions if s.end - s.start <= LONG_SESSION), default=dt.timedelta(0))
        self._outlines: dict[dt.date, DayOutline] = {}
        self.memo: dict[tuple[object, ...], object] = {}
        """Rendered views of this programme version (by session, locale, zone); gone on reload."""
        self.derived: dict[str, object] = {}
        """What other layers build once per version (the search index, the understanding of messages): kept with
        it and taken apart with it (:func:`bot.programme.reader.release`).  Nothing here may hold the agenda
        strongly: the version would hold itself, and once frozen out of the collector's passes never go."""
        self._deriving: dict[str, asyncio.Future[Any]] = {}

    async def derive(self, key: str, build: Callable[[], T]) -> T:
        """What ``build`` makes of this version (and keeps in :attr:`derived`), made in a worker thread, once
        however many requests await it meanwhile: never on the event loop, where a congress's search index or
        understanding takes seconds.  A build that fails is tried again by the next request."""
        building = self._deriving.get(key)
        if building is None:
            building = self._deriving[key] = asyncio.ensure_future(asyncio.to_thread(build))
            building.add_done_callback(lambda _done: self._deriving.pop(key, None))
        return cast(T, await asyncio.shield(building))

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
        venue = self._venues.get(s.venue) if s.venue else None
        if venue:
            yield from _texts(venue.name)
            yield from _texts(venue.district)
        stream = self._streams.get(s.stream) if s.stream else None
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

    def outline(self, date: dt.date) -> DayOutline:
        """The sessions of :meth:`on` ``date`` by the hour they start, and how many per room and per stream.

        Worked out once per day and version: a big day's overview and its
        pages (a congress day has thousands of sessions) then cost lookups.
        """
        found = self._outlines.get(date)
        if found is None:
            by_hour: dict[int, list[Session]] = defaultdict(list)
            venues: Counter[str] = Counter()
            streams: Counter[str] = Counter()
            zone = self.zone
            for s in self.on(date):
                by_hour[s.start.astimezone(zone).hour].append(s)
                if s.venue:
                    venues[s.venue] += 1
                if s.stream:
                    streams[s.stream] += 1
            found = DayOutline({h: tuple(v) for h, v in sorted(by_hour.items())}, venues, streams)
            self._outlines[date] = found
        return found

    def in_progress(self, now: dt.datetime) -> list[Session]:
        """Sessions that have started and not yet ended, in programme order."""
        hi = bisect.bisect_right(self._starts, now)
        lo = bisect.bisect_left(self._starts, now - self._longest, 0, hi)
        found = [i for i in range(lo, hi) if self.sessions[i].end > now]
        found += [i for i in self._long if i < lo and self.sessions[i].end > now]
        return [self.sessions[i] for i in sorted(found)]

    def upcoming(self, now: dt.datetime) -> list[Session]:
        """The sessions of the next time slot: those that start soonest after ``now``."""
        i = bisect.bisect_right(self._starts, now)
        if i >= len(self.sessions):
            return []
        return list(self.sessions[i : bisect.bisect_right(self._starts, self._starts[i], i)])

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
        a substring.  The index names the sessions that may match; each is
        checked; the answer is remembered for this version.
        """
        words = tuple(fold(w) for w in query.split() if w.strip())
        if not words:
            return []
        found = self._found.get(words)
        if found is None:
            candidates = self.index.candidates(words)
            if candidates is not None and self.index.exact(words):
                found = tuple(self.sessions[i] for i in candidates)
            else:
                pool = self._haystacks if candidates is None else [self._haystacks[i] for i in candidates]
                found = tuple(s for s, hay in pool if all(w in hay for w in words))
            if len(self._found) >= SEARCH_MEMORY:
                self._found.clear()
            self._found[words] = found
        return list(found)

    # -- reading a day ----------------------------------------------------

    def resolve_day(
        self, text: str, today: dt.date, locales: Sequence[str] = ("en",), words: Phrases | None = None
    ) -> dt.date | None:
        """A day from ``2025-06-05``, ``day 2``, ``2``, ``第2天``, ``thursday``, ``周四``,
        ``5 June``, ``June 5``, ``6月5日``, ``today``, ``tomorrow``, ``明天``.

        Month and weekday names are CLDR's for ``locales``; every other word
        comes from the phrase data (``words``, by default the shipped one).
        """
        known = _day_words(words or phrases())
        token = fold(text).strip().rstrip(".")
        if not token:
            return None
        relative = known.relative.get(token)
        if relative is not None:
            return today + dt.timedelta(days=relative)
        counted = known.of_the_event.get(token)
        if counted is not None:
            return self.day_of_the_event(counted)
        try:
            return dt.date.fromisoformat(token)
        except ValueError:
            pass
        n = known.day_number(token)
        if n is not None:
            if 1 <= n <= len(self.dates()):
                return self.first_day + dt.timedelta(days=n - 1)
            return None
        weekday = known.weekdays.get(token, _names("day", _tags(locales)).get(token))
        if weekday is not None:
            for date in self.dates():
                if date.weekday() == weekday:
                    return date
            return None
        month_day = known.month_day(token, _names("month", _tags(locales)))
        if month_day is not None:
            return self._in_event_year(*month_day)
        return None

    def day_of_the_event(self, n: int) -> dt.date | None:
        """The ``n``-th day of the event (1 the first), or counted from its end (-1 the last); None past either end."""
        dates = self.dates()
        if 1 <= n <= len(dates):
            return dates[n - 1]
        if -len(dates) <= n <= -1:
            return dates[n]
        return None

    def _in_event_year(self, month: int, day: int) -> dt.date | None:
        for year in sorted({self.first_day.year, self.last_day.year}):
            try:
                return dt.date(year, month, day)
            except ValueError:
                continue
        return None


def relative_day(text: str, words: Phrases | None = None) -> int | None:
    """Days from today that ``text`` names ("tomorrow" -> 1), or ``None`` if it names none."""
    return _day_words(words or phrases()).relative.get(fold(text).strip().rstrip("."))


@dataclass(frozen=True)
class _DayWords:
    """The phrase data about days, folded as :func:`fold` folds what delegates write."""

    relative: Mapping[str, int]
    of_the_event: Mapping[str, int]
    weekdays: Mapping[str, int]
    day_number_pattern: re.Pattern[str]
    dates: tuple[re.Pattern[str], ...]

    def day_number(self, token: str) -> int | None:
        """``2``, ``day 2``, ``第2天``, ``第2``, ``2天`` -> 2."""
        m = self.day_number_pattern.fullmatch(token)
        return int(m.group("n")) if m else None

    def month_day(self, token: str, months: Mapping[str, int]) -> tuple[int, int] | None:
        """``5 june``, ``june 5th``, ``6月5日`` -> (month, day), with CLDR's month names in ``months``."""
        for pattern in self.dates:
            m = pattern.fullmatch(token)
            if not m:
                continue
            found = m.groupdict()
            if found.get("month") is not None:
                return int(found["month"]), int(found["day"])
            if found["month_name"] in months:
                return months[found["month_name"]], int(found["day"])
        return None


@functools.lru_cache(maxsize=8)
def _day_words(words: Phrases) -> _DayWords:
    date = {
        "day": rf"(?P<day>\d{{1,2}})(?:{patterns.alternatives(fold(e) for e in words.ordinal_endings)})?",
        "month": r"(?P<month>\d{1,2})",
        "month_name": r"(?P<month_name>[^\d\s]+)",
    }
    return _DayWords(
        relative={fold(w): n for w, n in words.relative_days.items()},
        of_the_event={fold(w): n for w, n in words.event_days.items()},
        weekdays={fold(w): n for w, n in words.weekdays.items()},
        day_number_pattern=_day_number_pattern(words.day_numbers + words.day_numbers_short),
        dates=tuple(re.compile(patterns.template(fold(t), date)) for t in words.dates),
    )


def _day_number_pattern(templates: Sequence[str]) -> re.Pattern[str]:
    """A number alone, or with any of the words that come before and after it in ``templates``.

    Either side may be left out where a day is expected, so ``第{n}天`` also
    reads ``第2`` and ``2天``.
    """
    before: set[str] = set()
    after: set[str] = set()
    for template in templates:
        head, _, tail = fold(template).partition("{n}")
        before.add(patterns.template(head, {}))
        after.add(patterns.template(tail, {}))
    return re.compile(rf"{_optional(before)}\s*(?P<n>\d{{1,2}})\s*{_optional(after)}")


def _optional(expressions: set[str]) -> str:
    """A group matching any of ``expressions`` (longest first) or nothing."""
    found = sorted(expressions - {""}, key=len, reverse=True)
    return f"(?:{'|'.join(found)})?" if found else ""


@functools.lru_cache(maxsize=64)
def _names(kind: str, locales: tuple[str, ...]) -> dict[str, int]:
    """CLDR's day or month names (wide and abbreviated) in ``locales``, folded -> number."""
    names: dict[str, int] = {}
    for tag in locales:
        locale = Locale.parse(tag)
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                table = (get_day_names if kind == "day" else get_month_names)(width, context, locale)
                for number, name in table.items():
                    names[fold(name).rstrip(".")] = number
    return names


def _tags(locales: Sequence[str]) -> tuple[str, ...]:
    return tuple(sorted({"en", *locales}))
