"""Free text to commands, for channels without slash commands (WeChat) and for people.

The words come from every language's ``phrases.toml`` (:mod:`bot.understanding.phrases`),
so a Chinese delegate typing ``next`` and an English one typing a Chinese word
are both understood. This module knows only the shapes: a whole message that
stands for a command, "day 2", and a command word followed by what it is about.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.understanding import patterns
from bot.understanding.phrases import WORD_COMMANDS, Phrases, key, phrases, plain


@dataclass(frozen=True)
class Intent:
    command: str
    args: str = ""


_REST = r"(?P<args>\S.*?)"  # everything after the command word
_TOKEN = r"(?P<args>\S+)"  # one word: an id
_OPTIONAL_TOKEN = r"(?P<args>\S*)"  # one word or none: "lang", "lang zh"

#: What follows the command word, per command of :data:`WORD_COMMANDS`.
_ARGUMENTS: Mapping[str, str] = {
    "stream": _REST, "day": _REST, "search": _REST, "session": _TOKEN, "lang": _OPTIONAL_TOKEN,
    "unsubscribe": _REST, "subscribe": _REST, "unbookmark": _TOKEN, "bookmark": _TOKEN,
    "join": _REST, "leave": _REST, "reminders": _REST, "timezone": _REST, "venue": _REST,
}


@dataclass(frozen=True)
class _Grammar:
    """The phrase data compiled for matching."""

    whole: Mapping[str, Intent]
    sentence_end: frozenset[str]
    day_numbers: tuple[re.Pattern[str], ...]
    rules: tuple[tuple[re.Pattern[str], str], ...]
    heads: Mapping[str, re.Pattern[str]]


@functools.lru_cache(maxsize=8)
def _grammar(words: Phrases) -> _Grammar:
    rules: list[tuple[re.Pattern[str], str]] = []
    heads: dict[str, re.Pattern[str]] = {}
    for command in WORD_COMMANDS:
        head = patterns.words(words.command_words[command])
        if head is None:
            continue
        link = patterns.words(words.linking_words[command])
        linked = f"{head}(?:{link})?" if link else head
        rules.append((re.compile(rf"^{linked}{_ARGUMENTS[command]}\s*$", re.I), command))
        heads[command] = re.compile(rf"^{head}", re.I)
    number = {"n": r"\d{1,2}"}
    return _Grammar(
        whole={phrase: Intent(*meaning) for phrase, meaning in words.commands.items()},
        sentence_end=words.sentence_end,
        day_numbers=tuple(re.compile(patterns.template(p, number), re.I) for p in words.day_numbers),
        rules=tuple(rules),
        heads=heads,
    )


def parse(text: str, words: Phrases | None = None) -> Intent | None:
    """The command a message asks for, or ``None`` if it is not one we know.

    ``words`` defaults to the shipped phrases.
    """
    grammar = _grammar(words or phrases())
    text = plain(text)
    if not text:
        return None
    if text.startswith("/"):
        head, _, rest = text[1:].partition(" ")
        command = head.split("@", 1)[0].lower()
        return Intent(command, rest.strip()) if command else None
    return _whole(grammar, text) or _day_number(grammar, text) or _with_words(grammar, text)


def _whole(grammar: _Grammar, text: str) -> Intent | None:
    """A message that is one of the phrases of ``[commands]``, maybe with "?" or "!" after it."""
    wanted = key(text)
    while wanted:
        found = grammar.whole.get(wanted)
        if found is not None:
            return found
        if wanted[-1] not in grammar.sentence_end and not wanted[-1].isspace():
            return None
        wanted = wanted[:-1]
    return None


def _day_number(grammar: _Grammar, text: str) -> Intent | None:
    """ "day 2": the day command, with the whole text to read."""
    if any(p.fullmatch(text) for p in grammar.day_numbers):
        return Intent("day", text)
    return None


def _with_words(grammar: _Grammar, text: str) -> Intent | None:
    """A command word and what it is about: "stream 2", "search Seoul"."""
    for pattern, command in grammar.rules:
        m = pattern.match(text)
        if m:
            return Intent(command, m.group("args"))
    return None


def without_command_word(command: str, text: str, words: Phrases | None = None) -> str:
    """``text`` without a leading word of ``command``: ("stream", "stream 2") -> "2"."""
    head = _grammar(words or phrases()).heads.get(command)
    text = text.strip()
    return head.sub("", text, count=1).strip() if head is not None else text
