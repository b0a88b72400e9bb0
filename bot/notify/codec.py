"""Replies to and from JSON, for the outbox table."""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any

from bot.conversation import Choice, Choices, File, Image, Poll, Reply, Text, Venue

_TYPES: dict[str, type] = {cls.__name__: cls for cls in (Text, Choices, Venue, Poll, Image, File)}


def _encode(reply: Reply) -> dict[str, Any]:
    data: dict[str, Any] = {"type": type(reply).__name__}
    for f in dataclasses.fields(reply):
        value = getattr(reply, f.name)
        if isinstance(value, bytes):
            value = base64.b64encode(value).decode("ascii")
        elif f.name == "options" and isinstance(reply, Choices):
            value = [[c.label, c.payload, c.short] for c in value]
        elif isinstance(value, tuple):
            value = list(value)
        data[f.name] = value
    return data


def _decode(data: dict[str, Any]) -> Reply:
    data = dict(data)
    cls = _TYPES[data.pop("type")]
    if cls in (Image, File):
        data["data"] = base64.b64decode(data["data"])
    if cls is Choices:
        data["options"] = tuple(Choice(*option) for option in data["options"])
    if cls is Poll:
        data["options"] = tuple(data["options"])
    return cls(**data)


def dumps(replies: tuple[Reply, ...] | list[Reply]) -> str:
    return json.dumps([_encode(r) for r in replies], ensure_ascii=False, separators=(",", ":"))


def loads(text: str) -> tuple[Reply, ...]:
    return tuple(_decode(item) for item in json.loads(text))
