"""Replies to and from JSON, for the outbox table.

Every reply type of :mod:`bot.conversation` round-trips: bytes as base64,
enums by value, nested buttons and choices by their type name.  Items
written before :class:`~bot.conversation.Document` was renamed (``File``)
still load.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import json
import typing
from typing import Any

from bot import conversation
from bot.conversation import REPLY_TYPES, Choice, LinkButton, Reply, WebAppButton

_NESTED: tuple[type, ...] = (Choice, LinkButton, WebAppButton)
_TYPES: dict[str, type] = {cls.__name__: cls for cls in (*REPLY_TYPES, *_NESTED)}
_TYPES["File"] = conversation.Document  # rows written before the rename


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data: dict[str, Any] = {"type": type(value).__name__}
        for f in dataclasses.fields(value):
            data[f.name] = _encode(getattr(value, f.name))
        return data
    if isinstance(value, bytes):
        return {"b64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    return value


@typing.no_type_check
def _decode(data: Any, hint: Any = None) -> Any:
    if isinstance(data, dict) and "type" in data:
        cls = _TYPES[data["type"]]
        hints = typing.get_type_hints(cls, vars(conversation))
        kwargs = {k: _decode(v, hints.get(k)) for k, v in data.items() if k != "type"}
        return cls(**kwargs)
    if isinstance(data, dict) and set(data) == {"b64"}:
        return base64.b64decode(data["b64"])
    if isinstance(data, list):
        element = next(iter(typing.get_args(hint)), None)
        if element is Choice and all(isinstance(v, list) for v in data):  # rows written as [label, payload, short]
            return tuple(Choice(*v) for v in data)
        return tuple(_decode(v) for v in data)
    if isinstance(data, str) and isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(data)
    if isinstance(data, str) and hint is bytes:  # rows written when bytes were bare base64
        return base64.b64decode(data)
    return data


def dumps(replies: tuple[Reply, ...] | list[Reply]) -> str:
    return json.dumps([_encode(r) for r in replies], ensure_ascii=False, separators=(",", ":"))


def loads(text: str) -> tuple[Reply, ...]:
    return tuple(_decode(item) for item in json.loads(text))
