"""Where a value stands in a JSON text: ``("schedule", "conference", "days", 2)`` -> (line, column).

The standard library parses JSON fast but forgets positions; a problem
found in the parsed data is located afterwards by walking the text along
its path, skipping the values beside it with the standard decoder.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

_DECODER = json.JSONDecoder()
_SPACE = " \t\n\r"


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in _SPACE:
        i += 1
    return i


def _skip_value(text: str, i: int) -> int:
    _value, end = _DECODER.raw_decode(text, i)
    return end


def offset(text: str, path: Sequence[str | int]) -> int:
    """The index in ``text`` where the value at ``path`` starts (as far along the path as it exists)."""
    i = _skip_space(text, 0)
    for part in path:
        if i >= len(text):
            break
        if text[i] == "{" and isinstance(part, str):
            found = _member(text, i, part)
        elif text[i] == "[" and isinstance(part, int):
            found = _item(text, i, part)
        else:
            found = None
        if found is None:
            break
        i = found
    return i


def _member(text: str, i: int, name: str) -> int | None:
    i = _skip_space(text, i + 1)
    while i < len(text) and text[i] != "}":
        key, i = json.decoder.scanstring(text, i + 1)
        i = _skip_space(text, i)
        i = _skip_space(text, i + 1)  # the colon
        if key == name:
            return i
        i = _skip_space(text, _skip_value(text, i))
        if i < len(text) and text[i] == ",":
            i = _skip_space(text, i + 1)
    return None


def _item(text: str, i: int, index: int) -> int | None:
    i = _skip_space(text, i + 1)
    n = 0
    while i < len(text) and text[i] != "]":
        if n == index:
            return i
        i = _skip_space(text, _skip_value(text, i))
        if i < len(text) and text[i] == ",":
            i = _skip_space(text, i + 1)
        n += 1
    return None


def line_column(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of ``index``."""
    line = text.count("\n", 0, index) + 1
    start = text.rfind("\n", 0, index) + 1
    return line, index - start + 1


def locate(text: str, path: Sequence[str | int]) -> tuple[int, int]:
    return line_column(text, offset(text, path))
