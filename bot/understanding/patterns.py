"""Regular expressions built from phrase data: command words and ``{placeholder}`` patterns."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from bot.understanding.phrases import PLACEHOLDER, Word

#: What may follow a word of a language with spaces: spaces, or anything but
#: a letter, so "stream2" is "stream" + "2" but "streamline" is no "stream".
_AFTER_SPACED = r"(?:\s+|(?![^\W\d_]))"
#: Languages without spaces run words together: "分论坛2".
_AFTER_UNSPACED = r"\s*"


def words(items: Iterable[Word]) -> str | None:
    """A group matching any of ``items`` and what may follow it, longest first; ``None`` for none."""
    ordered = sorted(items, key=lambda w: len(w.text), reverse=True)
    if not ordered:
        return None
    return "(?:" + "|".join(_word(w) for w in ordered) + ")"


def _word(word: Word) -> str:
    body = r"\s+".join(re.escape(part) for part in word.text.split())
    return body + (_AFTER_SPACED if word.spaced else _AFTER_UNSPACED)


def template(pattern: str, slots: Mapping[str, str]) -> str:
    r"""``"第{n}天"`` with ``{"n": r"\d+"}`` -> ``第\s*(?:\d+)\s*天``.

    Each ``{slot}`` becomes its expression; spaces between the parts are
    optional, so ``"day {n}"`` also reads ``day2``.
    """
    parts: list[str] = []
    position = 0
    for m in PLACEHOLDER.finditer(pattern):
        parts += [re.escape(w) for w in pattern[position:m.start()].split()]
        parts.append(f"(?:{slots[m.group(1)]})")
        position = m.end()
    parts += [re.escape(w) for w in pattern[position:].split()]
    return r"\s*".join(parts)


def alternatives(texts: Iterable[str]) -> str:
    """A group matching any of ``texts`` literally, longest first (empty texts give a group that never matches)."""
    ordered = sorted((t for t in texts if t), key=len, reverse=True)
    return "(?:" + "|".join(re.escape(t) for t in ordered) + ")" if ordered else "(?!)"
