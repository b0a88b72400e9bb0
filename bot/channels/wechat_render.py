"""Replies as WeChat text: numbered choices, venues with a map link, parts that fit.

WeChat has no buttons in a chat, so choices are numbered lines and the
delegate answers with the number (the router's ChoiceMemory turns "2" back
into the second choice).  A message longer than :data:`MAX_TEXT_BYTES` is cut
into parts on line boundaries.  Rendering uses ``_()``, so call it inside the
delegate's locale (``i18n.use``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final
from urllib.parse import urlencode

from bot.conversation import Choices, File, Image, Poll, Reply, Text, Venue
from bot.i18n import _

#: WeChat cuts text messages at 2048 bytes (passive and customer-service); keep some room.
MAX_TEXT_BYTES: Final = 2000
AMAP_MARKER: Final = "https://uri.amap.com/marker"


def title_line(title: str) -> str:
    return f"【{title}】"


def map_link(venue: Venue) -> str | None:
    """The venue's own map link, else an Amap marker (opens inside WeChat) from its WGS-84 position."""
    if venue.map_url:
        return venue.map_url
    if venue.latitude is None or venue.longitude is None:
        return None
    query = urlencode({"position": f"{venue.longitude:.6f},{venue.latitude:.6f}", "name": venue.name, "coordinate": "wgs84"})
    return f"{AMAP_MARKER}?{query}"


def render_one(reply: Reply) -> str:
    """One reply as a block of text."""
    lines: list[str] = []
    title = getattr(reply, "title", None)
    if title:
        lines.append(title_line(title))
    if isinstance(reply, Text):
        lines.append(reply.body)
    elif isinstance(reply, Choices):
        if reply.body:
            lines.append(reply.body)
        lines.extend(f"{number}. {choice.label}" for number, choice in enumerate(reply.options, 1))
        if reply.options:
            lines.append(_("Reply with the number of your choice."))
    elif isinstance(reply, Venue):
        lines.append(f"📍 {reply.name}")
        if reply.address:
            lines.append(reply.address)
        if reply.directions:
            lines.append(reply.directions)
        link = map_link(reply)
        if link:
            lines.append(_("Map: {url}").format(url=link))
    elif isinstance(reply, Poll):
        lines.append(f"📊 {reply.question}")
        lines.extend(f"{number}. {option}" for number, option in enumerate(reply.options, 1))
    elif isinstance(reply, Image):
        lines.append(_("[Picture: {name}]").format(name=reply.filename))
        if reply.caption:
            lines.append(reply.caption)
    elif isinstance(reply, File):
        lines.append(_("[File: {name}]").format(name=reply.filename))
        if reply.caption:
            lines.append(reply.caption)
    return "\n".join(lines)


def render_text(replies: Sequence[Reply]) -> str:
    """Every reply in one text, blocks separated by a blank line."""
    return "\n\n".join(block for block in (render_one(r) for r in replies) if block)


def _cut_line(line: str, limit: int) -> list[str]:
    """A single line longer than ``limit`` bytes, cut between characters."""
    if len(line.encode("utf-8")) <= limit:
        return [line]
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit and current:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(ch)
        size += width
    if current:
        pieces.append("".join(current))
    return pieces


def split_text(text: str, limit: int = MAX_TEXT_BYTES) -> list[str]:
    """Parts of at most ``limit`` UTF-8 bytes, cut at line ends where possible; no empty parts."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        for piece in _cut_line(line, limit) or [""]:
            width = len(piece.encode("utf-8"))
            extra = width + (1 if current else 0)
            if current and size + extra > limit:
                parts.append("\n".join(current))
                current, size = [], 0
                extra = width
            current.append(piece)
            size += extra
    if current:
        parts.append("\n".join(current))
    parts = [p.strip("\n") for p in parts]
    return [p for p in parts if p.strip()]


def render_parts(replies: Sequence[Reply], limit: int = MAX_TEXT_BYTES) -> list[str]:
    """The replies as WeChat text messages, each within ``limit`` bytes."""
    return split_text(render_text(replies), limit)
