"""Read a programme file and report every problem with file, line and column.

A file is read once per start or reload.  The quick reader, yaml-rs (Rust, YAML
1.2), turns the text into plain data; pydantic checks the shape, a chunk of
sessions at a time; :func:`_check_references` checks what the shape cannot
(references, ordering, dates, duplicates).  Only when there is a problem to
place is the file read again, by ruamel.yaml's C composer (ruamel.yaml.clib),
whose nodes know where they stood (or, without it, by its round-trip loader,
twenty times slower).  Every problem is reported as
``PATH:LINE:COLUMN: message`` (1-based), all at once, so an organiser can fix
a file in one pass.

Both readers read YAML 1.2 (``no``, ``on`` and ``yes`` are text, ``010`` is
ten, ``12:30`` is text).  What the quick reader does not do the same way goes
to the round-trip reader from the start: merge keys (``<<:``), keys that are
not text, a file that is not one mapping, anything yaml-rs refuses.

A file is refused, with a clear reason, when it is larger than
:data:`MAX_BYTES`, nested deeper than :data:`MAX_DEPTH`, or when its aliases
(``*name``) would repeat more than :data:`MAX_ALIAS_VALUES` values (an "alias
bomb" of a few hundred bytes can stand for billions).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, TypeAdapter, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.composer import MaxDepthExceededError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.main import CParser
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

try:  # the quick reader; without it every file is read by ruamel.yaml (correct, twenty times slower)
    import yaml_rs
except ImportError:  # pragma: no cover - it is a dependency; kept for a broken install
    yaml_rs = None

from bot.geo import Datum, in_datums_range
from bot.programme.model import (
    Contact,
    Day,
    Event,
    InfoEntry,
    Link,
    Organiser,
    Presenter,
    Programme,
    Session,
    SiteVisit,
    Speaker,
    Stream,
    Transit,
    Venue,
    has_text_in,
)
from bot.programme.model import BUILTIN_QUESTIONS, FeedbackOption, FeedbackQuestion, QuestionKind

logger = logging.getLogger(__name__)

Loc = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a programme file, where it is and why."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class ProgrammeError(Exception):
    """A programme file that cannot be used; ``problems`` says why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(sorted(set(problems)))
        super().__init__("\n".join(str(p) for p in self.problems))


#: The largest programme file read (a 16,000-session congress with descriptions in two languages is about 21 MB).
MAX_BYTES: Final = 32 * 2**20
#: Mappings and lists inside one another: a programme needs about six levels; more is a broken or hostile file.
MAX_DEPTH: Final = 32
#: Values that aliases (``*name``) may add by repeating what an anchor (``&name``) stands for.
MAX_ALIAS_VALUES: Final = 100_000
#: Sessions validated per pydantic call: each call holds the interpreter, so a reload in a thread
#: lets the event loop in between (about 5 ms each on the development machine).
CHUNK: Final = 200

#: A line whose indentation and block indicators are this long may nest deeper than :data:`MAX_DEPTH`
#: (each level takes at least one character); such a file is read by the reader that counts levels.
_DEEP_LINE = re.compile(r"^[ \t?:-]{%d,}" % (4 * MAX_DEPTH), re.MULTILINE)
#: A merge key, which YAML 1.2 (and so yaml-rs) does not know and ruamel.yaml does.
_MERGE_KEY = re.compile(r"(?:^|[\s{,\[])<<\s*:")

_SESSIONS: TypeAdapter[list[Session]] = TypeAdapter(list[Session])


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.1f} MB"


def _too_large(path: str, size: int) -> ProgrammeError:
    return ProgrammeError([Problem(
        path, 1, 1,
        f"the file is {_megabytes(size)}; a programme file may be at most {MAX_BYTES // 2**20} MB "
        "(shorten the descriptions, or split the event into several programmes)",
    )])


def load_programme(path: str | Path) -> Programme:
    """Load and validate the programme at ``path`` or raise :class:`ProgrammeError`."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise _too_large(str(path), size)
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProgrammeError([Problem(str(path), 1, 1, "file not found")]) from None
    except UnicodeDecodeError as exc:
        raise ProgrammeError([Problem(str(path), 1, 1, f"not UTF-8 text ({exc.reason})")]) from None
    except OSError as exc:
        raise ProgrammeError([Problem(str(path), 1, 1, f"cannot read file: {exc.strerror}")]) from None
    return parse_programme(text, str(path))


def parse_programme(text: str, path: str = "<programme>") -> Programme:
    """Validate programme YAML given as text; ``path`` names it in messages."""
    return build_programme(*read_document(text, path))


def read_document(text: str, path: str = "<programme>") -> tuple[dict[str, Any], _Locator]:
    """The file as plain data, and where each part of it stands; :class:`ProgrammeError` if it is not YAML.

    The quick reader is tried first; the round-trip reader reads what it
    cannot, and is asked where things stand only if a problem must be placed.
    """
    if len(text) > MAX_BYTES:
        raise _too_large(path, len(text.encode("utf-8")))
    doc = _quick_document(text)
    if doc is not None:
        return doc, _LaterLocator(text, path)
    tree = _careful_document(text, path)
    if not isinstance(tree, CommentedMap):
        raise ProgrammeError([Problem(path, 1, 1, "the programme must be a mapping with 'event' and 'sessions'")])
    return _plain(tree), _Locator(tree, path)


def build_programme(doc: dict[str, Any], locate: _Locator) -> Programme:
    """The validated programme from the file's plain data, or :class:`ProgrammeError` with every problem."""
    programme = _validate(doc, locate)
    programme = _localize_times(programme)
    problems = [locate(loc, msg) for loc, msg in _check_references(programme)]
    if problems:
        raise ProgrammeError(problems)
    return programme


def _validate(doc: dict[str, Any], locate: _Locator) -> Programme:
    """``Programme.model_validate(doc)``, with the sessions a chunk at a time (the same problems, found in pieces)."""
    sessions = doc.get("sessions")
    errors: list[Any] = []
    if isinstance(sessions, list) and len(sessions) > CHUNK:
        valid: list[Session] = []
        for start in range(0, len(sessions), CHUNK):
            try:
                valid.extend(_SESSIONS.validate_python(sessions[start : start + CHUNK]))
            except ValidationError as exc:
                errors.extend({**e, "loc": ("sessions", e["loc"][0] + start, *e["loc"][1:])} for e in exc.errors(include_url=False))
        doc = {**doc, "sessions": valid}
    try:
        programme = Programme.model_validate(doc)
    except ValidationError as exc:
        errors.extend(exc.errors(include_url=False))
    if errors:
        raise ProgrammeError(_shape_problems(errors, locate))
    return programme


def _quick_document(text: str) -> dict[str, Any] | None:
    """The file read by yaml-rs, or None where the round-trip reader must read it (see the module's docstring)."""
    if yaml_rs is None or _DEEP_LINE.search(text) or _MERGE_KEY.search(text):
        return None
    limits = yaml_rs.AliasLimits(
        max_total_replayed_events=MAX_ALIAS_VALUES, max_replay_stack_depth=MAX_DEPTH,
    )
    try:
        # dates stay text here: pydantic reads them (yaml-rs would also turn a *quoted* "2025-06-03" into a date)
        doc = yaml_rs.loads(text, parse_datetime=False, alias_limits=limits)
    except (yaml_rs.YAMLDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(doc, dict) or not _plain_enough(doc):
        return None
    return doc


def _plain_enough(doc: dict[str, Any]) -> bool:
    """Every key a text, and no deeper than :data:`MAX_DEPTH`, as the round-trip reader would give it."""
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return False
        if isinstance(node, dict):
            for key, value in node.items():
                if type(key) is not str:
                    return False
                if isinstance(value, (dict, list)):
                    stack.append((value, depth + 1))
        else:
            stack.extend((item, depth + 1) for item in node if isinstance(item, (dict, list)))
    return True


def _careful_document(text: str, path: str) -> Any:
    """The file read by ruamel.yaml's round-trip loader, with the nesting and alias limits."""
    yaml = YAML(typ="rt", pure=True)
    yaml.max_depth = MAX_DEPTH
    try:
        doc = yaml.load(text)
    except MaxDepthExceededError as exc:
        line, col = _mark(exc)
        raise ProgrammeError([Problem(
            path, line, col, f"nested more than {MAX_DEPTH} levels deep (a programme needs about six)",
        )]) from None
    except MarkedYAMLError as exc:
        line, col = _mark(exc)
        reason = exc.problem or exc.context or "invalid YAML"
        raise ProgrammeError([Problem(path, line, col, f"YAML syntax error: {reason}")]) from None
    except YAMLError as exc:
        raise ProgrammeError([Problem(path, 1, 1, f"YAML syntax error: {exc}")]) from None
    except RecursionError:
        raise ProgrammeError([Problem(path, 1, 1, f"nested more than {MAX_DEPTH} levels deep")]) from None
    _check_aliases(doc, path)
    return doc


def _mark(exc: MarkedYAMLError) -> tuple[int, int]:
    mark = exc.problem_mark or exc.context_mark
    return (mark.line + 1, mark.column + 1) if mark else (1, 1)


def _check_aliases(doc: Any, path: str) -> None:
    """Refuse a document whose aliases repeat more than :data:`MAX_ALIAS_VALUES` values.

    An alias is the same object met again; the values it stands for are
    counted once per object (so the count takes time in proportion to the
    file, not to what it expands to) and added up for every time it is met.
    """
    sizes: dict[int, int] = {}
    repeated = 0

    def size(node: Any) -> int:
        nonlocal repeated
        if not isinstance(node, (CommentedMap, CommentedSeq)):
            return 1
        known = sizes.get(id(node))
        if known is not None:
            repeated += known
            if repeated > MAX_ALIAS_VALUES:
                line, col = node.lc.line + 1, node.lc.col + 1
                raise ProgrammeError([Problem(
                    path, line, col,
                    f"aliases of the anchor here repeat more than {MAX_ALIAS_VALUES:,} values; "
                    "a programme needs no such repetition (write the values out, or use fewer aliases)",
                )])
            return known
        children = node.values() if isinstance(node, CommentedMap) else node
        total = 1 + sum(size(child) for child in children)
        sizes[id(node)] = total
        return total

    size(doc)


def _plain(node: Any) -> Any:
    """Turn ruamel's commented containers into plain dicts and lists."""
    if isinstance(node, CommentedMap):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, CommentedSeq):
        return [_plain(v) for v in node]
    return node


class _Locator:
    """Map a path inside the document to a 1-based line and column."""

    def __init__(self, doc: CommentedMap, path: str) -> None:
        self.doc = doc
        self.path = path

    def position(self, loc: Loc, *, key: bool = False) -> tuple[int, int]:
        node: Any = self.doc
        line, col = node.lc.line, node.lc.col
        for i, part in enumerate(loc):
            last = i == len(loc) - 1
            if isinstance(node, CommentedMap) and part in node:
                line, col = node.lc.key(part) if (last and key) else node.lc.value(part)
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
                line, col = node.lc.item(part)
                node = node[part]
            else:
                break
        return line + 1, col + 1

    def __call__(self, loc: Loc, message: str, *, key: bool = False) -> Problem:
        line, col = self.position(loc, key=key)
        return Problem(self.path, line, col, message)

    def describe(self, loc: Loc) -> str:
        """``loc`` as an organiser finds it in the file: ``session 'opening' speakers[0].name``.

        A session, stream or venue is named by its ``id`` and a day by its
        ``date`` (the index is kept where the item has none).
        """
        if len(loc) >= 2 and isinstance(loc[0], str) and loc[0] in _NAMED_ITEMS and isinstance(loc[1], int):
            noun, key = _NAMED_ITEMS[loc[0]]
            items = self.doc.get(loc[0])
            item = items[loc[1]] if isinstance(items, CommentedSeq) and 0 <= loc[1] < len(items) else None
            ident = item.get(key) if isinstance(item, CommentedMap) else None
            if isinstance(ident, (str, int, dt.date)) and not isinstance(ident, bool) and str(ident).strip():
                rest = _dotted(loc[2:])
                return f"{noun} {str(ident)!r}" + (f" {rest}" if rest else "")
        return _dotted(loc)


#: Items of these lists are named by a field in messages (a session by its id), not by their index.
_NAMED_ITEMS: dict[str, tuple[str, str]] = {
    "sessions": ("session", "id"), "streams": ("stream", "id"), "venues": ("venue", "id"), "days": ("day", "date"),
}


class _LaterLocator(_Locator):
    """A :class:`_Locator` that reads the file again, with positions, only when a problem must be placed.

    The file passed the quick reader (at most :data:`MAX_DEPTH` levels, no
    merge keys), so ruamel.yaml's C composer, which recurses in C, reads it
    safely and in linear time: a 5 MB programme in about 2 s, where the
    round-trip loader takes 30 s.
    """

    def __init__(self, text: str | Callable[[], str], path: str) -> None:
        self.text = text
        self.path = path
        self._doc: Any = None

    @property
    def doc(self) -> Any:  # type: ignore[override]
        """The composed document: a tree of ruamel.yaml nodes (or a CommentedMap without the C composer)."""
        if self._doc is None:
            try:
                text = self.text if isinstance(self.text, str) else self.text()
                tree = _composed(text) if CParser is not None else _careful_document(text, self.path)
            except (ProgrammeError, YAMLError, OSError, UnicodeDecodeError) as exc:  # read by the quick reader only
                logger.warning("cannot place problems in %s: %s", self.path, exc)
                tree = None
            self._doc = tree if isinstance(tree, (MappingNode, CommentedMap)) else CommentedMap()
        return self._doc

    @doc.setter
    def doc(self, value: Any) -> None:
        self._doc = value

    def position(self, loc: Loc, *, key: bool = False) -> tuple[int, int]:
        node = self.doc
        if not isinstance(node, Node):
            return super().position(loc, key=key)
        mark = node.start_mark
        for i, part in enumerate(loc):
            last = i == len(loc) - 1
            if isinstance(node, MappingNode):
                pair = next((p for p in node.value if p[0].value == part), None)
                if pair is None:
                    break
                mark = pair[0].start_mark if (last and key) else pair[1].start_mark
                node = pair[1]
            elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                node = node.value[part]
                mark = node.start_mark
            else:
                break
        return mark.line + 1, mark.column + 1


    def describe(self, loc: Loc) -> str:
        """As :meth:`_Locator.describe`, read from the composed nodes (whose scalars are text)."""
        node = self.doc
        if not isinstance(node, Node):
            return super().describe(loc)
        if len(loc) >= 2 and isinstance(loc[0], str) and loc[0] in _NAMED_ITEMS and isinstance(loc[1], int):
            noun, key = _NAMED_ITEMS[loc[0]]
            items = next((v for k, v in node.value if k.value == loc[0]), None) if isinstance(node, MappingNode) else None
            item = items.value[loc[1]] if isinstance(items, SequenceNode) and 0 <= loc[1] < len(items.value) else None
            ident = next((v for k, v in item.value if k.value == key), None) if isinstance(item, MappingNode) else None
            if isinstance(ident, ScalarNode) and ident.value.strip() and ident.value not in ("true", "false"):
                rest = _dotted(loc[2:])
                return f"{noun} {ident.value!r}" + (f" {rest}" if rest else "")
        return _dotted(loc)


def _composed(text: str) -> Node | None:
    """The document as ruamel.yaml's C composer builds it: nodes with their places, nothing constructed."""
    yaml = YAML(typ="safe", pure=False)
    return yaml.compose(text)


_TYPE_TAG = re.compile(r"^(?:str|constrained-str|int|float|bool|dict\[.*\]|list\[.*\]|function-\w+\[.*\]|union\[.*\])$")


def _is_type_tag(part: str | int) -> bool:
    """pydantic puts the member of a union it tried into ``loc``; it is not a key."""
    return isinstance(part, str) and bool(_TYPE_TAG.match(part))


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _shape_problems(exc: ValidationError | Sequence[Any], locate: _Locator) -> list[Problem]:
    problems: dict[tuple[Loc, str], Problem] = {}
    errors = exc.errors(include_url=False) if isinstance(exc, ValidationError) else exc
    for err in errors:
        loc: Loc = tuple(p for p in err["loc"] if not _is_type_tag(p))
        in_union = len(loc) != len(err["loc"])
        kind = err["type"]
        where = locate.describe(loc)
        if kind == "extra_forbidden":
            message = f"unknown field {loc[-1]!r}" + (f" in {locate.describe(loc[:-1])}" if len(loc) > 1 else "")
            problem = locate(loc, message, key=True)
        elif kind == "missing":
            parent = loc[:-1]
            message = f"missing required field {loc[-1]!r}" + (f" in {locate.describe(parent)}" if parent else "")
            problem = locate(parent, message)
        elif kind in {"string_type", "dict_type"} and in_union:
            message = f"{where}: expected a text, or a map of language to text"
            problem = locate(loc, message)
        elif kind == "string_type":
            problem = locate(loc, f"{where}: expected a text (quote numbers and dates in YAML to keep them as text)")
        else:
            reason = err["msg"]
            if reason.startswith("Value error, "):
                reason = reason[len("Value error, "):]
            reason = reason[0].lower() + reason[1:] if reason else reason
            problem = locate(loc, f"{where}: {reason}")
        problems.setdefault((loc, problem.message), problem)
    return list(problems.values())


def _localize_times(programme: Programme) -> Programme:
    """Give every naive time in the file the event's zone."""
    zone = programme.zone

    def aware(value: dt.datetime) -> dt.datetime:
        return value.replace(tzinfo=zone) if value.tzinfo is None else value

    sessions = []
    for s in programme.sessions:
        update: dict[str, Any] = {"start": aware(s.start), "end": aware(s.end)}
        if s.site_visit is not None:
            update["site_visit"] = s.site_visit.model_copy(update={"departure": aware(s.site_visit.departure)})
        sessions.append(s.model_copy(update=update))
    return programme.model_copy(update={"sessions": tuple(sessions)})


def _duplicates(ids: Iterable[str]) -> Iterable[tuple[int, str]]:
    seen: set[str] = set()
    for i, value in enumerate(ids):
        if value in seen:
            yield i, value
        seen.add(value)


def _check_references(p: Programme) -> Iterable[tuple[Loc, str]]:
    """Everything the schema alone cannot check, as (location, message) pairs."""
    ev = p.event
    zone = p.zone
    if ev.end_date < ev.start_date:
        yield ("event", "end_date"), f"event ends ({ev.end_date}) before it starts ({ev.start_date})"
    if ev.default_language not in ev.languages:
        yield ("event", "default_language"), f"default language {ev.default_language!r} is not among the event's languages"

    for i, day in enumerate(p.days):
        if not ev.start_date <= day.date <= ev.end_date:
            yield ("days", i, "date"), f"day {day.date} is outside the event's dates ({ev.start_date} to {ev.end_date})"
    for i, value in _duplicates(str(d.date) for d in p.days):
        yield ("days", i, "date"), f"duplicate day {value}"
    for i, value in _duplicates(s.id for s in p.streams):
        yield ("streams", i, "id"), f"duplicate stream id {value!r}"
    for i, value in _duplicates(str(s.number) for s in p.streams):
        yield ("streams", i, "number"), f"duplicate stream number {value}"
    for i, value in _duplicates(v.id for v in p.venues):
        yield ("venues", i, "id"), f"duplicate venue id {value!r}"
    for i, value in _duplicates(s.id for s in p.sessions):
        yield ("sessions", i, "id"), f"duplicate session id {value!r}"

    for i, venue in enumerate(p.venues):
        yield from _check_venue(i, venue)

    stream_ids = {s.id for s in p.streams}
    venue_ids = {v.id for v in p.venues}
    for i, s in enumerate(p.sessions):
        yield from _check_session(i, s, ev.start_date, ev.end_date, zone, stream_ids, venue_ids)
    session_ids = {s.id for s in p.sessions}
    for i, member in enumerate(p.staff):
        scope = (member.scope or "").strip()
        if scope in ("", "event"):
            continue
        kind, _sep, ident = scope.partition(":")
        known = stream_ids if kind == "stream" else session_ids if kind == "session" else None
        if known is None or not ident:
            yield ("staff", i, "scope"), f"staff scope {scope!r} is not event, stream:<id> or session:<id>"
        elif ident not in known:
            yield ("staff", i, "scope"), f"staff scope names unknown {kind} {ident!r}"
    yield from _check_feedback(p)
    yield from _check_info(p, venue_ids)


def _check_info(p: Programme, venue_ids: set[str]) -> Iterable[tuple[Loc, str]]:
    """Practical information: unique ids, known venues, and no question that two entries both answer."""
    for i, value in _duplicates(entry.id for entry in p.info):
        yield ("info", i, "id"), f"duplicate info entry id {value!r}"
    asked: dict[str, str] = {}
    for i, entry in enumerate(p.info):
        if entry.venue is not None and entry.venue not in venue_ids:
            yield ("info", i, "venue"), f"info entry {entry.id!r} names unknown venue {entry.venue!r}"
        if entry.url is not None and not entry.url.startswith(("https://", "http://")):
            yield ("info", i, "url"), f"info entry {entry.id!r}: url must be a web address (https://...)"
        if entry.email is not None and "@" not in entry.email:
            yield ("info", i, "email"), f"info entry {entry.id!r}: {entry.email!r} is not an e-mail address"
        questions = entry.questions
        lists = questions.items() if isinstance(questions, dict) else ((None, questions),)
        for tag, texts in lists:
            for j, question in enumerate(texts):
                wanted = " ".join(question.casefold().split())
                other = asked.setdefault(wanted, entry.id)
                if other != entry.id:
                    where: Loc = ("info", i, "questions") + ((tag,) if tag else ()) + (j,)
                    yield where, f"info entry {entry.id!r}: the question {question!r} is also one of {other!r}'s"


#: How a datum is written in messages.
_DATUM_NAMES = {Datum.WGS84: "WGS-84", Datum.GCJ02: "GCJ-02", Datum.BD09: "BD-09"}


def _check_venue(i: int, v: Venue) -> Iterable[tuple[Loc, str]]:
    """A venue's position: both coordinates or neither, on the globe, and a Chinese datum only in China."""
    here: Loc = ("venues", i)
    if v.map_url is not None and not v.map_url.startswith(("https://", "http://")):
        yield here + ("map_url",), f"venue {v.id!r}: map_url must be a web address (https://...)"
    if (v.latitude is None) != (v.longitude is None):
        given, missing = ("latitude", "longitude") if v.longitude is None else ("longitude", "latitude")
        yield here + (given,), f"venue {v.id!r} has a {given} but no {missing}"
        return
    if v.latitude is None or v.longitude is None:
        if v.position_tbc:
            yield here + ("position_tbc",), f"venue {v.id!r}: position_tbc, but the venue has no position"
        return
    lat, lon, datum = v.latitude, v.longitude, v.datum
    name = _DATUM_NAMES[datum]
    swapped = " (latitude and longitude swapped?)" if abs(lon) <= 90 < abs(lat) <= 180 else ""
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        yield here + ("latitude",), f"venue {v.id!r}: latitude {lat} is outside {name}'s range (-90 to 90){swapped}"
        return
    if not (math.isfinite(lon) and -180 <= lon <= 180):
        yield here + ("longitude",), f"venue {v.id!r}: longitude {lon} is outside {name}'s range (-180 to 180)"
        return
    if not in_datums_range(lat, lon, datum):
        swapped = " (latitude and longitude swapped?)" if in_datums_range(lon, lat, datum) else ""
        yield here + ("datum",), (
            f"venue {v.id!r}: ({lat}, {lon}) is outside China, where {name} (a datum of Chinese maps) is not defined"
            f"{swapped}; give the position in WGS-84 (datum: wgs84)"
        )


def _check_session(
    i: int,
    s: Session,
    first: dt.date,
    last: dt.date,
    zone: dt.tzinfo,
    stream_ids: set[str],
    venue_ids: set[str],
) -> Iterable[tuple[Loc, str]]:
    here: Loc = ("sessions", i)
    if s.end <= s.start:
        yield here + ("end",), f"session {s.id!r} ends ({s.end:%Y-%m-%d %H:%M}) before or when it starts ({s.start:%Y-%m-%d %H:%M})"
    # an end at midnight belongs to the day before it
    for field, value in (("start", s.start), ("end", s.end - dt.timedelta(microseconds=1))):
        local = value.astimezone(zone).date()
        if not first <= local <= last:
            yield here + (field,), f"session {s.id!r} {field}s on {local}, outside the event's dates ({first} to {last})"
    if s.stream is not None and s.stream not in stream_ids:
        yield here + ("stream",), f"session {s.id!r} names unknown stream {s.stream!r}"
    if s.venue is not None and s.venue not in venue_ids:
        yield here + ("venue",), f"session {s.id!r} names unknown venue {s.venue!r}"
    visit = s.site_visit
    if visit is not None:
        if visit.meeting_point not in venue_ids:
            yield here + ("site_visit", "meeting_point"), f"site visit {s.id!r} meets at unknown venue {visit.meeting_point!r}"
        if visit.departure > s.start:
            yield here + ("site_visit", "departure"), f"site visit {s.id!r} departs after it starts"


#: The fields that are translated, per part of the programme (``validate --strict`` checks them).
#: Names of people (a speaker's ``name``, a presenter's ``speaker``) are the same in every language.
TRANSLATED_FIELDS: dict[type, tuple[str, ...]] = {
    Event: ("name", "short_name", "theme", "description", "city"),
    Organiser: ("name",),
    Contact: ("note",),
    Day: ("title", "note"),
    Stream: ("title", "description"),
    Venue: ("name", "address", "district", "directions", "entrance", "floor", "accessibility"),
    Transit: ("line", "station", "exit", "note"),
    Session: ("title", "description"),
    Speaker: ("role", "organisation", "city"),
    Presenter: ("city", "country", "initiative"),
    SiteVisit: ("meeting_note", "bring", "hosts"),
    InfoEntry: ("title", "answer", "questions"),
    Link: ("title",),
    FeedbackQuestion: ("text", "low", "high"),
    FeedbackOption: ("label",),
}


def translation_problems(path: str | Path, programme: Programme | None = None) -> list[Problem]:
    """What ``validate --strict`` adds: every text without a version in one of the event's languages.

    One problem per text and language, ``PATH:LINE:COLUMN: zh_Hans: session 'panel' title
    has no text in this language (en is shown)``, sorted by language.  A
    language that can be derived (Traditional Chinese from Simplified) is
    not missing.  Raises :class:`ProgrammeError` if the file is not valid.
    ``programme``: the file as :func:`load_programme` just read it (it is
    then not read again unless a missing text must be placed).
    """
    path = Path(path)
    if programme is None:
        programme = load_programme(path)
    locate = _LaterLocator(lambda: path.read_text(encoding="utf-8"), str(path))
    ev = programme.event
    found: list[tuple[str, Problem]] = []
    for loc, value in _translated_texts(programme, ()):
        for language in ev.languages:
            if has_text_in(value, language, ev.default_language) is False:
                shown = ev.default_language if isinstance(value, str) or ev.default_language in value else next(iter(value))
                message = f"{language}: {locate.describe(loc)} has no text in this language ({shown} is shown)"
                found.append((language, locate(loc, message)))
    return [problem for _language, problem in sorted(found, key=lambda item: (item[0], item[1]))]


def _translated_texts(node: Any, loc: Loc) -> Iterable[tuple[Loc, Any]]:
    """(location, value) of every translated text in a part of the programme, in file order."""
    if isinstance(node, tuple):
        for i, item in enumerate(node):
            yield from _translated_texts(item, loc + (i,))
        return
    if not isinstance(node, BaseModel):
        return
    translated = TRANSLATED_FIELDS.get(type(node), ())
    for name in type(node).model_fields:
        value = getattr(node, name)
        if name in translated:
            if isinstance(value, tuple):
                for i, item in enumerate(value):
                    yield loc + (name, i), item
            elif value is not None:
                yield loc + (name,), value
        elif isinstance(value, (BaseModel, tuple)):
            yield from _translated_texts(value, loc + (name,))


#: The most options a choice question may have (what a Telegram poll shows).
MAX_FEEDBACK_OPTIONS = 10


def _check_feedback(p: Programme) -> Iterable[tuple[Loc, str]]:
    """Feedback questionnaires: ids, options per kind, wording, and when delegates are asked."""
    template = p.event.feedback
    if template is not None:
        yield from _check_questions(("event", "feedback", "questions"), template.questions, "the event's feedback")
    for i, s in enumerate(p.sessions):
        own = s.feedback
        if own is None:
            continue
        here: Loc = ("sessions", i, "feedback")
        if own.questions is not None:
            if not own.questions and own.enabled:
                yield here + ("questions",), f"session {s.id!r}: feedback has no questions (write feedback: off to ask none)"
            yield from _check_questions(here + ("questions",), own.questions, f"session {s.id!r}")
        lead = own.prompt_before_end
        minutes = (s.end - s.start).total_seconds() / 60
        if lead is not None and lead > minutes:
            yield here + ("prompt_before_end",), (
                f"session {s.id!r}: prompt_before_end is {lead} minutes but the session lasts {minutes:g}; "
                "delegates would be asked before it starts"
            )


def _check_questions(here: Loc, questions: Sequence[FeedbackQuestion], owner: str) -> Iterable[tuple[Loc, str]]:
    for j, value in _duplicates(q.id for q in questions):
        yield here + (j, "id"), f"{owner}: duplicate question id {value!r}"
    for j, q in enumerate(questions):
        at = here + (j,)
        builtin = BUILTIN_QUESTIONS.get(q.id) is q.kind
        if q.text is None and not builtin:
            names = ", ".join(f"{k} ({v.value})" for k, v in BUILTIN_QUESTIONS.items())
            yield at, f"{owner}: question {q.id!r} needs a text (only {names} have one built in)"
        choice = q.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE)
        if choice and len(q.options) < 2:
            yield at + ("options",) if q.options else at, f"{owner}: question {q.id!r} ({q.kind.value} choice) needs at least two options"
        if choice and len(q.options) > MAX_FEEDBACK_OPTIONS:
            yield at + ("options",), f"{owner}: question {q.id!r} has {len(q.options)} options; at most {MAX_FEEDBACK_OPTIONS}"
        if not choice and q.options:
            yield at + ("options",), f"{owner}: question {q.id!r} is a {q.kind.value} question and takes no options"
        for k, value in _duplicates(o.id for o in q.options):
            yield at + ("options", k, "id"), f"{owner}: question {q.id!r} has a duplicate option id {value!r}"
        if q.kind is not QuestionKind.RATING:
            for name in ("low", "high"):
                if getattr(q, name) is not None:
                    yield at + (name,), f"{owner}: question {q.id!r}: {name} is only for rating questions"
