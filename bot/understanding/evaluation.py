"""The evaluation set: questions delegates type, the answers they should get, and how many the bot gets right.

A set is a folder of ``<language>.toml`` files (``tests/data/questions/``),
each with ``now`` (the instant the questions are asked at, in the event's
zone) and ``questions``, a list of ``[text, expected command line]``.
:func:`evaluate` reads each question as the running bot does (the
understanding middleware, then a command typed without its slash, then the
search fallback) and compares the command line it runs with the expected one
*by meaning* (:class:`Canon`): ``/today`` and ``/day 2025-06-05`` are the
same request on 5 June, ``/stream 2`` and ``/stream s2`` the same stream.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.programme.agenda import Agenda
from bot.understanding.phrases import Phrases, phrases
from bot.understanding.slots import split_part_of_day
from bot.understanding.text import normal
from bot.understanding.understand import Meaning, Understanding

Resolve = Callable[[str], object | None]
"""The router's lookup of a command name or alias (``Router.resolve``): something with a ``name``, or None."""


@dataclass(frozen=True)
class Question:
    language: str
    text: str
    expected: str


@dataclass(frozen=True)
class Result:
    question: Question
    got: str
    """The command line the bot runs."""
    correct: bool
    meaning: Meaning | None


def load(folder: Path) -> tuple[list[Question], dict[str, dt.datetime]]:
    """Every question of the set, and each language's ``now`` (naive: in the event's zone)."""
    questions: list[Question] = []
    clocks: dict[str, dt.datetime] = {}
    for path in sorted(Path(folder).glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        clocks[path.stem] = dt.datetime.fromisoformat(data["now"])
        for text, expected in data["questions"]:
            questions.append(Question(path.stem, text, expected))
    return questions, clocks


class Canon:
    """Command lines by meaning, for one programme version and one day."""

    def __init__(self, agenda: Agenda, understanding: Understanding, today: dt.date, resolve: Resolve,
                 words: Phrases | None = None) -> None:
        self.agenda = agenda
        self.understanding = understanding
        self.today = today
        self.resolve = resolve
        self.words = words or phrases()
        self.tags = understanding.tags

    def __call__(self, line: str) -> str:
        command, _sep, args = line.strip().lstrip("/").partition(" ")
        found = self.resolve(command)
        name = getattr(found, "name", command.casefold())
        args = args.strip()
        if name == "today":
            name, args = "day", self.today.isoformat()
        reader = getattr(self, f"_{name}", None)
        shown = reader(args) if reader is not None and args else normal(args)
        return f"/{name} {shown}".strip()

    def _day_text(self, text: str) -> str | None:
        date = self.agenda.resolve_day(text, self.today, self.tags, self.words)
        return date.isoformat() if date is not None else None

    def _day(self, args: str) -> str:
        rest, part = split_part_of_day(args, self.words)
        date = self._day_text(rest) if rest else self.today.isoformat()
        return " ".join(x for x in (date or normal(rest), part) if x)

    def _stream_id(self, text: str) -> str | None:
        token = str(self.understanding.slots.numbers.get(normal(text), text))
        for word in sorted((normal(w.text) for w in self.words.command_words.get("stream", ())), key=len, reverse=True):
            plain = normal(token)
            if plain.startswith(word) and plain != word:
                token = plain[len(word):].strip()
                break
        token = str(self.understanding.slots.numbers.get(normal(token), token))
        stream = self.agenda.find_stream(token)
        return stream.id if stream is not None else None

    def _stream(self, args: str) -> str:
        found = self._stream_id(args)
        if found is not None:
            return found
        words = args.split()
        for cut in range(len(words) - 1, 0, -1):
            stream, date = self._stream_id(" ".join(words[:cut])), self._day_text(" ".join(words[cut:]))
            if stream is not None and date is not None:
                return f"{stream} {date}"
        return normal(args)

    def _subscribe(self, args: str) -> str:
        return self._stream_id(args) or normal(args)

    _unsubscribe = _subscribe

    def _venue(self, args: str) -> str:
        if self.agenda.programme.venue(args) is not None:
            return args
        found = self.understanding.slots.venues.find(normal(args), "venue")
        if found and isinstance(found[0].value, tuple) and len(found[0].value) == 1:
            return found[0].value[0]
        return normal(args)

    def _session(self, args: str) -> str:
        found = self.agenda.session(args)
        if found is not None:
            return found.id
        named = [f for f in self.understanding.slots.find(normal(args), self.today) if f.slot == "session"]
        if named and isinstance(named[0].value, tuple) and len(named[0].value) == 1:
            return named[0].value[0]
        return normal(args)

    _directions = _speakers = _bookmark = _unbookmark = _join = _leave = _session

    def _myagenda(self, args: str) -> str:
        return self._day_text(args) or normal(args)

    def _reminders(self, args: str) -> str:
        plain = normal(args)
        if plain in {normal(w) for w in self.words.reminders_off}:
            return "off"
        if plain in {normal(w) for w in self.words.reminders_on}:
            return "on"
        return plain


def read(understanding: Understanding, text: str, today: dt.date, language: str, resolve: Resolve) -> tuple[str, Meaning | None]:
    """The command line the bot runs for ``text``, as the running bot reads it, and the reading."""
    meaning = understanding.understand(text, today, language)
    if meaning is not None:
        return meaning.line, meaning
    head, _sep, rest = text.strip().partition(" ")
    if head and resolve(head.lstrip("/")) is not None:
        return f"/{head.lstrip('/')} {rest}".strip(), None
    return f"/search {text.strip()}", None


def evaluate(agenda: Agenda, understanding: Understanding, questions: Sequence[Question],
             clocks: dict[str, dt.datetime], resolve: Resolve) -> list[Result]:
    """Every question read and compared with its answer."""
    results: list[Result] = []
    canons: dict[dt.date, Canon] = {}
    for q in questions:
        now = clocks[q.language].replace(tzinfo=agenda.zone) if clocks[q.language].tzinfo is None else clocks[q.language]
        today = agenda.local_date(now)
        canon = canons.setdefault(today, Canon(agenda, understanding, today, resolve, understanding.words))
        got, meaning = read(understanding, q.text, today, q.language, resolve)
        results.append(Result(q, got, canon(got) == canon(q.expected), meaning))
    return results


def accuracy(results: Sequence[Result]) -> dict[str, tuple[int, int]]:
    """Per language (and ``all``): (correct, asked)."""
    out: dict[str, tuple[int, int]] = {}
    for r in results:
        for key in (r.question.language, "all"):
            right, asked = out.get(key, (0, 0))
            out[key] = (right + r.correct, asked + 1)
    return out
