"""What an export says, in one shape whatever its format: the conference, its rooms, tracks and events.

The readers (:mod:`bot.importers.frab` for ``schedule.xml``,
:mod:`bot.importers.c3voc` for ``schedule.json``) fill these;
:mod:`bot.importers.convert` turns them into the programme's YAML.  Every
item remembers where it stood in its file (:class:`Where`), so that a
problem found later is still reported as ``PATH:LINE:COLUMN``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser

from bot.programme.loader import Problem


class Where:
    """A place in the export: 1-based line and column.

    In a JSON export it is given as the path to the value and found in the
    text only when a problem needs it (:mod:`bot.importers.jsonpos`).
    """

    __slots__ = ("_line", "_column", "_text", "_path")

    def __init__(self, line: int = 1, column: int = 1, *, text: str | None = None, path: tuple[str | int, ...] = ()) -> None:
        self._line, self._column = line, column
        self._text, self._path = text, path

    def _find(self) -> None:
        if self._text is not None:
            from bot.importers.jsonpos import locate

            self._line, self._column = locate(self._text, self._path)
            self._text = None

    @property
    def line(self) -> int:
        self._find()
        return self._line

    @property
    def column(self) -> int:
        self._find()
        return self._column

    def problem(self, path: str, message: str) -> Problem:
        return Problem(path, self.line, self.column, message)


class ScheduleError(Exception):
    """An export that cannot be imported; ``problems`` says where and why, one line each."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(sorted(set(problems)))
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Person:
    name: str
    key: str | None = None
    """The export's id (or pretalx code) of the person."""


@dataclass(frozen=True)
class SourceLink:
    url: str
    title: str | None = None
    kind: str | None = None


@dataclass(frozen=True)
class SourceRecording:
    license: str | None = None
    optout: bool = False
    url: str | None = None


@dataclass(frozen=True)
class SourceRoom:
    name: str
    slug: str | None = None
    guid: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class SourceTrack:
    name: str
    slug: str | None = None


@dataclass
class SourceEvent:
    """One event (a talk, a workshop) of the export, as it gives it."""

    where: Where
    title: str
    start: dt.datetime
    """As the export gives it: with its own UTC offset, or naive (then in the conference's zone)."""
    duration: dt.timedelta
    guid: str | None = None
    id: str | None = None
    code: str | None = None
    slug: str | None = None
    subtitle: str | None = None
    abstract: str | None = None
    description: str | None = None
    room: str | None = None
    track: str | None = None
    type: str | None = None
    language: str | None = None
    persons: list[Person] = field(default_factory=list)
    links: list[SourceLink] = field(default_factory=list)
    url: str | None = None
    recording: SourceRecording | None = None

    @property
    def keys(self) -> list[str]:
        """How a later export of the same source names this event, most stable first (for the id map)."""
        out = []
        if self.guid:
            out.append(f"guid:{self.guid.lower()}")
        if self.code:
            out.append(f"code:{self.code}")
        if self.id:
            out.append(f"id:{self.id}")
        if self.slug:
            out.append(f"slug:{self.slug}")
        if not out:
            out.append(f"title:{self.title}@{self.start.isoformat()}")
        return out


@dataclass
class SourceSchedule:
    """A whole export."""

    path: str
    format: str
    """What it is, for people: ``frab/Pentabarf schedule.xml``, ``pretalx schedule.json``..."""
    title: str
    acronym: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    zone_name: str | None = None
    zone_where: Where = field(default_factory=Where)
    city: str | None = None
    venue: str | None = None
    url: str | None = None
    rooms: list[SourceRoom] = field(default_factory=list)
    tracks: list[SourceTrack] = field(default_factory=list)
    day_starts: list[dt.datetime] = field(default_factory=list)
    """The start of each day, as the export gives it (with its offset): compared with the events'."""
    events: list[SourceEvent] = field(default_factory=list)


# -- reading values ---------------------------------------------------------------------

_DURATION = re.compile(r"^(?:(?P<d>\d+):(?=\d+:\d+:\d+$))?(?P<h>\d{1,3}):(?P<m>\d{2})(?::(?P<s>\d{2}))?$")


def parse_duration(text: str) -> dt.timedelta:
    """``00:25``, ``1:30``, ``01:30:00`` or ``1:00:30:00`` (days first) -> a timedelta; ValueError otherwise."""
    m = _DURATION.match(text.strip())
    if not m:
        raise ValueError(f"duration {text!r} is not HH:MM")
    return dt.timedelta(
        days=int(m.group("d") or 0), hours=int(m.group("h")), minutes=int(m.group("m")), seconds=int(m.group("s") or 0)
    )


def parse_instant(text: str) -> dt.datetime:
    """An ISO-8601 date and time, with or without its offset (``Z`` is UTC); ValueError otherwise."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    return dt.datetime.fromisoformat(value)


def parse_date(text: str) -> dt.date:
    """A date, or the date of a date and time (``2019-08-21`` or ``2019-08-21T09:00:00+02:00``)."""
    value = text.strip()
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def clean(text: str | None) -> str | None:
    """Text as a person reads it: HTML turned into paragraphs, Windows line ends and stray spaces gone; None if empty."""
    if text is None:
        return None
    value = text.replace("\r\n", "\n").replace("\r", "\n")
    if _LOOKS_LIKE_HTML.search(value):
        value = html_to_text(value)
    paragraphs = [" ".join(p.split()) if "\n" not in p.strip() else _tidy_lines(p) for p in re.split(r"\n\s*\n", value)]
    out = "\n\n".join(p for p in paragraphs if p)
    return out or None


def _tidy_lines(paragraph: str) -> str:
    return "\n".join(" ".join(line.split()) for line in paragraph.strip().splitlines() if line.strip())


_LOOKS_LIKE_HTML = re.compile(r"<(?:p|br|div|ul|ol|li|a\s|em|strong|b|i|h[1-6]|pre|code|blockquote)\b[^>]*>", re.I)
_BLOCKS = {"p", "div", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "table", "tr"}


class _TextOfHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.out.append("\n\n")
        elif tag == "br":
            self.out.append("\n")
        elif tag == "li":
            self.out.append("\n• ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.out.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.out.append(data)


def html_to_text(value: str) -> str:
    """The text of an HTML fragment: paragraphs kept, list items as bullets (a chat shows no link targets in text)."""
    parser = _TextOfHtml()
    parser.feed(value)
    parser.close()
    text = "".join(parser.out)
    text = re.sub(r"[ \t]*\n[ \t]*", "\n", text)
    # single line breaks inside a paragraph are the source's wrapping, except before a bullet
    text = re.sub(r"(?<!\n)\n(?![\n•])", " ", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def first(values: Iterable[str | None]) -> str | None:
    return next((v for v in values if v), None)
