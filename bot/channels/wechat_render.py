"""Replies as WeChat text: numbered choices, venues with a map link, parts that fit.

WeChat has no buttons in a chat, so choices are numbered lines and the
delegate answers with the number (the router's ChoiceMemory turns "2" back
into the second choice).  A message longer than :data:`MAX_TEXT_BYTES` is cut
into parts on line boundaries.  Rendering uses ``_()``, so call it inside the
delegate's locale (``i18n.use``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from bot import geo
from bot.conversation import Choices, Document, Image, Links, Location, Poll, Reply, Text, Venue
from bot.geo import Datum
from bot.i18n import _

#: WeChat cuts text messages at 2048 bytes (passive and customer-service); keep some room.
MAX_TEXT_BYTES: Final = 2000
AMAP_MARKER: Final = geo.AMAP_MARKER


def title_line(title: str) -> str:
    return f"【{title}】"


def amap_marker(latitude: float, longitude: float, datum: Datum, name: str) -> str:
    """An Amap marker link (it opens inside WeChat), given GCJ-02 coordinates as Amap expects."""
    return geo.map_link(geo.MapService.AMAP, latitude, longitude, datum, name)


def map_link(venue: Venue) -> str | None:
    """The venue's own map link, else an Amap marker from its position."""
    if venue.map_url:
        return venue.map_url
    if venue.latitude is None or venue.longitude is None:
        return None
    return amap_marker(venue.latitude, venue.longitude, venue.datum, venue.name)


def _text(reply: Text) -> list[str]:
    return [reply.body]


def _choices(reply: Choices) -> list[str]:
    lines = [reply.body] if reply.body else []
    lines.extend(f"{number}. {choice.label}" for number, choice in enumerate(reply.options, 1))
    if reply.options:
        lines.append(_("Reply with the number of your choice."))
    return lines


def _venue(reply: Venue) -> list[str]:
    """The place as text: its map links one a line (WeChat makes them clickable), else one Amap link."""
    lines = [f"📍 {reply.name}"]
    lines.extend(x for x in (reply.address, reply.directions) if x)
    if reply.links:
        lines.extend(f"{button.label}: {button.url}" for button in reply.links)
        return lines
    link = map_link(reply)
    if link:
        lines.append(_("Map: {url}").format(url=link))
    return lines


def _poll_as_numbers(reply: Poll) -> list[str]:
    """Fallback: no polls in a chat; numbered options, answered with the number (the router reads it)."""
    lines = [f"📊 {reply.question}"]
    lines.extend(f"{number}. {option}" for number, option in enumerate(reply.options, 1))
    lines.append(_("Reply with the number of your choice.") if not reply.allows_multiple
                 else _("Reply with the numbers of your choices, e.g. 1 3."))
    return lines


def _location_as_link(reply: Location) -> list[str]:
    """Fallback: no map pins in a passive reply; the place and an Amap link."""
    name = reply.label or _("Location")
    return [f"📍 {name}", _("Map: {url}").format(url=amap_marker(reply.latitude, reply.longitude, reply.datum, name))]


def _links_as_lines(reply: Links) -> list[str]:
    """Fallback: no link buttons; each link on its own line (WeChat makes it clickable)."""
    lines = [reply.body] if reply.body else []
    lines.extend(f"{button.label}: {button.url}" for button in reply.buttons)
    return lines


def _image_as_text(reply: Image) -> list[str]:
    """Fallback for the text of a reply: the picture itself goes out as an image message (media upload)."""
    lines = [_("[Picture: {name}]").format(name=reply.filename)]
    if reply.caption:
        lines.append(reply.caption)
    return lines


def _document_as_text(reply: Document) -> list[str]:
    """Fallback where no link could be made (no public address configured): the file's name."""
    lines = [_("[File: {name}] (files cannot be sent in WeChat)").format(name=reply.filename)]
    if reply.caption:
        lines.append(reply.caption)
    return lines


#: What WeChat shows natively as text.
RENDERERS: Final[Mapping[type, Callable[[Any], list[str]]]] = {Text: _text, Choices: _choices, Venue: _venue}
#: Declared fallbacks: WeChat has no polls, pins, link buttons or files in a chat.  Pictures go out as
#: image messages beside the text (see :mod:`bot.channels.wechat_push`); documents as a link the
#: bot's web server serves (:mod:`bot.web.files`) where a public address is configured.
FALLBACKS: Final[Mapping[type, Callable[[Any], list[str]]]] = {
    Poll: _poll_as_numbers,
    Location: _location_as_link,
    Links: _links_as_lines,
    Image: _image_as_text,
    Document: _document_as_text,
}


def render_one(reply: Reply) -> str:
    """One reply as a block of text."""
    title = getattr(reply, "title", None)
    lines = [title_line(title)] if title else []
    render = RENDERERS.get(type(reply)) or FALLBACKS[type(reply)]
    lines += render(reply)
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
