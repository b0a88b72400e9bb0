"""The words of natural languages, read from ``locales/<tag>/phrases.toml``.

Each language has one file, whose header explains every table to a
translator. :func:`load` reads every such file under a directory and merges
them into one :class:`Phrases`, since every phrase is understood whatever the
delegate's language. :func:`phrases` is the shipped set, read once.

A mistake in a file raises :class:`PhraseError`, whose text is one line:
``PATH: reason``.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn, TypeVar

from bot.resources import resource_dir

FILE_NAME = "phrases.toml"

#: Commands a word can begin ("stream 2", "search Seoul"), in the order they are tried.
WORD_COMMANDS = (
    "stream", "day", "search", "session", "lang", "unsubscribe", "subscribe",
    "unbookmark", "bookmark", "join", "leave", "reminders", "timezone", "venue",
)
#: Keys of ``[weekdays]``, Monday (0) first, as ``datetime.date.weekday`` counts.
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: Keys of ``[parts_of_day]``; a day's sessions are shown by the part of the day they start in.
PARTS_OF_DAY = ("morning", "afternoon", "evening")
#: What a question of ``[questions]`` may leave open, in braces: the bot finds it in the message.
SLOTS = ("day", "part", "stream", "session", "venue")

_TOP = ("spaces_between_words", "sentence_end", "commands", "command_words", "linking_words",
        "days", "weekdays", "numbers", "reminders", "timezone", "filters", "parts_of_day", "ask", "questions")
_ASK = ("filler", "same")
_QUESTION_KEY = re.compile(r"[a-z][a-z0-9_]*(?: (?:\{[a-z]+\}|[^\s{}]+))*")
_DAYS = ("numbered", "numbered_short", "dates", "ordinal_endings", "relative", "of_the_event")
_REMINDERS = ("off", "on", "default", "minutes")
_TIMEZONE = ("clear",)
#: What a day's list can be narrowed to: "today in room K.1.105", "tomorrow stream 2".
FILTERS = ("venue", "stream")
_COMMAND = re.compile(r"[a-z][a-z0-9_]*(?: \S.*)?")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

T = TypeVar("T")


class PhraseError(ValueError):
    """A phrases file that cannot be used; its text is ``PATH: reason``, one line."""


@dataclass(frozen=True)
class Word:
    """A word that begins a command or links it to what it is about.

    ``spaced`` says whether its language puts spaces between words: such a
    word must not run straight on into a letter ("streamline" is no "stream").
    """

    text: str
    spaced: bool


@dataclass(frozen=True)
class Question:
    """A way of asking for a command in plain words: ``"what's on {day}"`` for ``day {day}``.

    ``command`` is the command line to run, with the same ``{slots}`` as
    ``text``; ``language`` is the tag of the file it is written in (for the
    explanation), ``where`` the table and key it stands under.
    """

    command: str
    text: str
    language: str
    spaced: bool

    @property
    def slots(self) -> tuple[str, ...]:
        return tuple(PLACEHOLDER.findall(self.text))


@dataclass(frozen=True, eq=False)
class Phrases:
    """Every language's words, merged. Texts are compared case-folded (see :func:`key`).

    Instances compare and hash by identity, so derived tables can be cached per instance.
    """

    sources: tuple[Path, ...]
    #: a whole message (its :func:`key`) -> (command, arguments)
    commands: Mapping[str, tuple[str, str]]
    #: command in :data:`WORD_COMMANDS` -> the words that begin it
    command_words: Mapping[str, tuple[Word, ...]]
    #: command -> words skipped after a command word ("subscribe *to* stream 2")
    linking_words: Mapping[str, tuple[Word, ...]]
    #: single characters that may end a message without changing it
    sentence_end: frozenset[str]
    #: "day {n}" patterns that ask for a day of the event
    day_numbers: tuple[str, ...]
    #: shorter "d{n}" patterns, read only where a day is expected
    day_numbers_short: tuple[str, ...]
    #: "{day} {month_name}", "{month}月{day}日" patterns
    dates: tuple[str, ...]
    #: "st", "nd": endings a day of the month may carry
    ordinal_endings: tuple[str, ...]
    #: "tomorrow" -> 1
    relative_days: Mapping[str, int]
    #: "first day" -> 1, "last day" -> -1: a day counted from the event's first (1, 2...) or last (-1, -2...)
    event_days: Mapping[str, int]
    #: extra weekday names -> 0 (Monday) .. 6
    weekdays: Mapping[str, int]
    #: number words -> digits, for stream numbers
    numbers: Mapping[str, str]
    reminders_off: frozenset[str]
    reminders_on: frozenset[str]
    reminders_default: frozenset[str]
    #: words for "minutes" after a lead time, longest first
    minute_words: tuple[str, ...]
    timezone_clear: frozenset[str]
    #: "venue" / "stream" -> "in room {name}" patterns that narrow a day's list
    filters: Mapping[str, tuple[str, ...]]
    #: a word for a part of the day -> its key in :data:`PARTS_OF_DAY`
    parts_of_day: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: words that add nothing to a question ("please", "the"), per language (spaced, words)
    filler: tuple[tuple[bool, str], ...] = ()
    #: plain-word questions for commands, with slots
    questions: tuple[Question, ...] = ()
    #: (a word, the word it means the same as): "啥" is "什么", compared as one
    same: tuple[tuple[str, str], ...] = ()
    #: the language tag of each source file (its folder's name), in the order of ``sources``
    languages: tuple[str, ...] = ()


def key(text: str) -> str:
    """How texts are compared: spaces collapsed, typographic apostrophes plain, case-folded."""
    return plain(text).casefold()


def plain(text: str) -> str:
    """Spaces collapsed and typographic apostrophes folded, so "what’s  next" reads "what's next"."""
    return " ".join(text.split()).replace("\u2019", "'").replace("\u2018", "'")


@functools.cache
def phrases() -> Phrases:
    """The shipped phrases (``locales/*/phrases.toml``), read once."""
    return load(resource_dir("locales"))


def load(directory: Path) -> Phrases:
    """Read and merge ``<directory>/*/phrases.toml`` in the order of their language tags."""
    files = sorted(Path(directory).glob(f"*/{FILE_NAME}"))
    if not files:
        raise PhraseError(f"{directory}: no */{FILE_NAME} in this directory")
    merged = _Merged()
    for path in files:
        merged.add(_File(path, _read(path)))
    return merged.freeze()


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise PhraseError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise PhraseError(f"{path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise PhraseError(f"{path}: {exc}") from None


class _File:
    """One language's file, checked table by table; every reader raises ``PATH: where: reason``."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.data = self.table(data, "", _TOP)
        spaced = data.get("spaces_between_words")
        if not isinstance(spaced, bool):
            self.fail("spaces_between_words", "write true or false (does the language put spaces between words?)")
        self.spaced = spaced

    def fail(self, where: str, reason: str) -> NoReturn:
        raise PhraseError(f"{self.path}: {where}: {reason}" if where else f"{self.path}: {reason}")

    def table(self, value: Any, where: str, known: Iterable[str] | None = None) -> dict[str, Any]:
        """``value`` as a table whose keys are all in ``known`` (any key if ``None``)."""
        if not isinstance(value, dict):
            self.fail(where, f"expected a table, got {_shown(value)}")
        if known is not None:
            allowed = tuple(known)
            for name in value:
                if name not in allowed:
                    self.fail(_joined(where, name), f"unknown name; expected one of: {', '.join(allowed)}")
        return value

    def section(self, *names: str, known: Iterable[str] | None = None) -> dict[str, Any]:
        """The table at ``names`` (``("days", "relative")``), empty if the file has none."""
        value: Any = self.data
        for depth, name in enumerate(names):
            value = value.get(name, {})
            value = self.table(value, ".".join(names[: depth + 1]), known if depth == len(names) - 1 else None)
        return value

    def texts(self, value: Any, where: str) -> tuple[str, ...]:
        """A list of non-empty texts, spaces collapsed."""
        if not isinstance(value, list):
            self.fail(where, f"expected a list of texts in quotes, got {_shown(value)}")
        out: list[str] = []
        for item in value:
            if not isinstance(item, str) or not item.strip():
                self.fail(where, f"expected a text in quotes, got {_shown(item)}")
            out.append(" ".join(item.split()))
        return tuple(out)

    def number(self, value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(where, f"expected a whole number, got {_shown(value)}")
        return value

    def patterns(self, value: Any, where: str, required: tuple[frozenset[str], ...]) -> tuple[str, ...]:
        """Patterns with ``{placeholders}``: exactly one of each set in ``required``, nothing else."""
        allowed = frozenset().union(*required)
        patterns = self.texts(value, where)
        for pattern in patterns:
            found = PLACEHOLDER.findall(pattern)
            unknown = [name for name in found if name not in allowed]
            if unknown or "{" in PLACEHOLDER.sub("", pattern) or "}" in PLACEHOLDER.sub("", pattern):
                self.fail(where, f"{pattern!r}: use only {', '.join('{' + n + '}' for n in sorted(allowed))}")
            for group in required:
                if sum(found.count(name) for name in group) != 1:
                    names = " or ".join("{" + n + "}" for n in sorted(group))
                    self.fail(where, f"{pattern!r} needs {names} exactly once")
        return patterns


class _Merged:
    """Tables being merged; a text meaning one thing in one file and another elsewhere is an error."""

    def __init__(self) -> None:
        self.sources: list[Path] = []
        self.commands: dict[str, tuple[tuple[str, str], Path]] = {}
        self.command_words: dict[str, list[Word]] = {c: [] for c in WORD_COMMANDS}
        self.linking_words: dict[str, list[Word]] = {c: [] for c in WORD_COMMANDS}
        self.sentence_end: set[str] = set()
        #: plain lists, by where they are in a file: "days.dates", "reminders.off"
        self.lists: dict[str, list[str]] = defaultdict(list)
        self.relative: dict[str, tuple[int, Path]] = {}
        self.event_days: dict[str, tuple[int, Path]] = {}
        self.weekdays: dict[str, tuple[int, Path]] = {}
        self.numbers: dict[str, tuple[str, Path]] = {}
        self.parts: dict[str, tuple[str, Path]] = {}
        self.filler: list[tuple[bool, str]] = []
        self.questions: list[Question] = []
        self._seen_questions: set[Question] = set()
        self.same: list[tuple[str, str]] = []

    def add(self, f: _File) -> None:
        self.sources.append(f.path)
        self._signs(f)
        self._commands(f)
        self._words(f, "command_words", self.command_words)
        self._words(f, "linking_words", self.linking_words)
        self._days(f)
        self._weekdays(f)
        self._numbers(f)
        self._answers(f, "reminders", _REMINDERS)
        self._answers(f, "timezone", _TIMEZONE)
        self._filters(f)
        self._parts(f)
        self._ask(f)
        self._questions(f)

    def _parts(self, f: _File) -> None:
        for name, value in f.section("parts_of_day", known=PARTS_OF_DAY).items():
            for word in f.texts(value, f"parts_of_day.{name}"):
                _put(f, self.parts, f"parts_of_day.{name}", key(word), name)

    def _ask(self, f: _File) -> None:
        ask = f.section("ask", known=_ASK)
        for word in f.texts(ask.get("filler", []), "ask.filler"):
            if (f.spaced, key(word)) not in self.filler:
                self.filler.append((f.spaced, key(word)))
        for canonical, value in f.section("ask", "same").items():
            where = f"ask.same.{canonical}"
            if not canonical.strip():
                f.fail(where, "the word on the left is empty")
            for word in f.texts(value, where):
                if (key(word), key(canonical)) not in self.same:
                    self.same.append((key(word), key(canonical)))

    def _questions(self, f: _File) -> None:
        for command, value in f.section("questions").items():
            where = f"questions.\"{command}\"" if " " in command else f"questions.{command}"
            if not _QUESTION_KEY.fullmatch(command):
                f.fail(where, "the name on the left must be a command as typed after \"/\", such as today or \"day {day}\"")
            wanted = PLACEHOLDER.findall(command)
            unknown = [name for name in wanted if name not in SLOTS]
            if unknown or len(set(wanted)) != len(wanted):
                f.fail(where, f"use each of {', '.join('{' + n + '}' for n in SLOTS)} at most once in the name")
            for text in f.texts(value, where):
                found = PLACEHOLDER.findall(text)
                if sorted(found) != sorted(wanted) or "{" in PLACEHOLDER.sub("", text) or "}" in PLACEHOLDER.sub("", text):
                    needs = ", ".join("{" + n + "}" for n in wanted) or "no {...}"
                    f.fail(where, f"{text!r}: write exactly {needs}, each once, as in the name on the left")
                question = Question(command, text, f.path.parent.name, f.spaced)
                if question not in self._seen_questions:  # a set: a list's `in` made loading quadratic (0.3 s)
                    self._seen_questions.add(question)
                    self.questions.append(question)

    def _filters(self, f: _File) -> None:
        for name, value in f.section("filters", known=FILTERS).items():
            self.lists[f"filters.{name}"] += f.patterns(value, f"filters.{name}", (frozenset({"name"}),))

    def _signs(self, f: _File) -> None:
        for sign in f.texts(f.data.get("sentence_end", []), "sentence_end"):
            if len(sign) != 1 or sign.isalnum():
                f.fail("sentence_end", f"{sign!r}: write each sign on its own, such as \"?\"")
            self.sentence_end.add(sign)

    def _commands(self, f: _File) -> None:
        for command, value in f.section("commands").items():
            where = f"commands.{command}" if " " not in command else f"commands.\"{command}\""
            if not _COMMAND.fullmatch(command):
                f.fail(where, "the name on the left must be a command as typed after \"/\", such as today or \"day tomorrow\"")
            name, _, args = command.partition(" ")
            for phrase in f.texts(value, where):
                _put(f, self.commands, where, key(phrase), (name, args))

    def _words(self, f: _File, table: str, into: dict[str, list[Word]]) -> None:
        for command, value in f.section(table, known=WORD_COMMANDS).items():
            words = into[command]
            for text in f.texts(value, f"{table}.{command}"):
                word = Word(text, f.spaced)
                if word not in words:
                    words.append(word)

    def _days(self, f: _File) -> None:
        days = f.section("days", known=_DAYS)
        number = (frozenset({"n"}),)
        date = (frozenset({"day"}), frozenset({"month", "month_name"}))
        for name, placeholders in (("numbered", number), ("numbered_short", number), ("dates", date)):
            self.lists[f"days.{name}"] += f.patterns(days.get(name, []), f"days.{name}", placeholders)
        self.lists["days.ordinal_endings"] += [key(w) for w in f.texts(days.get("ordinal_endings", []), "days.ordinal_endings")]
        for word, value in f.section("days", "relative").items():
            where = f"days.relative.{word}"
            if not word.strip():
                f.fail(where, "the word on the left is empty")
            _put(f, self.relative, where, key(word), f.number(value, where))
        for word, value in f.section("days", "of_the_event").items():
            where = f"days.of_the_event.{word}"
            if not word.strip():
                f.fail(where, "the word on the left is empty")
            n = f.number(value, where)
            if n == 0:
                f.fail(where, "write 1 for the first day, 2 for the second..., -1 for the last, -2 for the one before")
            _put(f, self.event_days, where, key(word), n)

    def _weekdays(self, f: _File) -> None:
        for name, value in f.section("weekdays", known=WEEKDAYS).items():
            for word in f.texts(value, f"weekdays.{name}"):
                _put(f, self.weekdays, f"weekdays.{name}", key(word), WEEKDAYS.index(name))

    def _numbers(self, f: _File) -> None:
        for word, value in f.section("numbers").items():
            where = f"numbers.{word}"
            if not word.strip() or f.number(value, where) < 0:
                f.fail(where, "expected a word = a number from 0 up")
            _put(f, self.numbers, where, key(word), str(value))

    def _answers(self, f: _File, table: str, known: tuple[str, ...]) -> None:
        """Plain lists of words, such as [reminders] off."""
        for name, value in f.section(table, known=known).items():
            self.lists[f"{table}.{name}"] += [key(w) for w in f.texts(value, f"{table}.{name}")]

    def freeze(self) -> Phrases:
        def unique(name: str) -> tuple[str, ...]:
            return tuple(dict.fromkeys(self.lists[name]))

        def longest_first(name: str) -> tuple[str, ...]:
            return tuple(sorted(unique(name), key=len, reverse=True))

        return Phrases(
            sources=tuple(self.sources),
            commands=_frozen(self.commands),
            command_words=MappingProxyType({c: tuple(w) for c, w in self.command_words.items()}),
            linking_words=MappingProxyType({c: tuple(w) for c, w in self.linking_words.items()}),
            sentence_end=frozenset(self.sentence_end),
            day_numbers=unique("days.numbered"),
            day_numbers_short=unique("days.numbered_short"),
            dates=unique("days.dates"),
            ordinal_endings=longest_first("days.ordinal_endings"),
            relative_days=_frozen(self.relative),
            event_days=_frozen(self.event_days),
            weekdays=_frozen(self.weekdays),
            numbers=_frozen(self.numbers),
            reminders_off=frozenset(self.lists["reminders.off"]),
            reminders_on=frozenset(self.lists["reminders.on"]),
            reminders_default=frozenset(self.lists["reminders.default"]),
            minute_words=longest_first("reminders.minutes"),
            timezone_clear=frozenset(self.lists["timezone.clear"]),
            filters=MappingProxyType({name: longest_first(f"filters.{name}") for name in FILTERS}),
            parts_of_day=_frozen(self.parts),
            filler=tuple(self.filler),
            questions=tuple(self.questions),
            same=tuple(self.same),
            languages=tuple(path.parent.name for path in self.sources),
        )


def _put(f: _File, table: dict[str, tuple[T, Path]], where: str, word: str, value: T) -> None:
    """``table[word] = value``, unless ``word`` already means something else."""
    before = table.get(word)
    if before is not None and before[0] != value:
        elsewhere = "earlier in this file" if before[1] == f.path else f"in {before[1]}"
        f.fail(where, f"{word!r} means {_meaning(value)} here but {_meaning(before[0])} {elsewhere}")
    table.setdefault(word, (value, f.path))


def _meaning(value: object) -> str:
    if isinstance(value, tuple):
        return "/" + " ".join(part for part in value if part)
    return repr(value)


def _frozen(table: Mapping[str, tuple[T, Path]]) -> Mapping[str, T]:
    return MappingProxyType({word: value for word, (value, _path) in table.items()})


def _joined(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
