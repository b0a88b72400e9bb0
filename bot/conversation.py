"""Channel-neutral request and reply types.

A channel turns a platform update into a :class:`Request`; handlers return a
list of :data:`Reply` objects; the channel renders each in its own idiom.
Handlers never import a channel; channels never decide content.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Union

from bot.geo import Datum

#: The longest text a request is read with: Telegram's own limit for a message.
MAX_INPUT: Final = 4096
#: A display name or a location label longer than this is cut (Telegram allows 64 for a first name).
MAX_NAME: Final = 64
#: How much of what a person typed a reply quotes back ("There is no session "…"").
ECHO: Final = 40

#: ANSI escape sequences (CSI and OSC), which would recolour or retitle a terminal.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
#: Control characters but tab and newline, and the bidi embeddings, overrides and isolates
#: (U+202A-U+202E, U+2066-U+2069), which reorder what follows them; LRM and RLM stay.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8}){0,4}$")


def clean_input(text: str, limit: int = MAX_INPUT) -> str:
    """What a person typed, safe to store, match and quote: no lone surrogates (U+FFFD instead),
    no terminal escapes or controls but tab and newline, no bidi overrides; at most ``limit`` characters."""
    if len(text) > limit:
        text = text[:limit]
    if text.isascii():
        if text.isprintable():
            return text
        return _CONTROLS.sub("", _ANSI.sub("", text))
    text = _LONE_SURROGATE.sub("\ufffd", text)
    return _CONTROLS.sub("", _ANSI.sub("", text))


#: The longest body one reply may have (about three Telegram messages); lists are paged well below it.
MAX_REPLY: Final = 12_000
#: The most replies one request may have.
MAX_REPLIES: Final = 8


def bounded(replies: Sequence[Reply]) -> list[Reply]:
    """A safety net under every answer: at most :data:`MAX_REPLIES` replies, none longer than :data:`MAX_REPLY`.

    Handlers page their lists and quote input with :func:`echo`; this only
    catches what they missed, so no input makes the bot send dozens of
    messages (or spend a WeChat follower's quota on them).
    """
    out: list[Reply] = []
    for reply in replies[:MAX_REPLIES]:
        body = getattr(reply, "body", None)
        if isinstance(body, str) and len(body) > MAX_REPLY:
            reply = dataclasses.replace(reply, body=body[: MAX_REPLY - 1].rstrip() + "…")  # type: ignore[type-var]
        out.append(reply)
    return out


def echo(text: str, limit: int = ECHO) -> str:
    """What a person typed, as a reply quotes it: one line, cut to ``limit`` characters with "…"."""
    line = " ".join(clean_input(text, limit * 4).split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class UserRef:
    """Who sent a request: the channel's name and the platform's user id."""

    channel: str
    platform_id: str


@dataclass(frozen=True)
class Location:
    """A point on the map, in the datum its coordinates are in.

    A delegate shares one (a request); the bot can send one (a reply: a map
    pin).  Channels convert it to the datum their platform expects
    (:func:`bot.geo.convert`): Telegram wants WGS-84, Amap GCJ-02, Baidu BD-09.
    """

    latitude: float
    longitude: float
    label: str | None = None
    datum: Datum = Datum.WGS84


@dataclass(frozen=True)
class PollAnswer:
    """Options picked in a poll: a native poll's vote, or numbers typed under a poll shown as text."""

    poll_id: str
    option_ids: tuple[int, ...]


@dataclass(frozen=True)
class Request:
    """One thing a person said or did.

    Exactly one of ``text``, ``command``, ``payload``, ``location`` or
    ``poll_answer`` is set by a channel; the router parses free text into a
    command.
    """

    user: UserRef
    text: str | None = None
    command: str | None = None
    args: str = ""
    payload: str | None = None
    location: Location | None = None
    poll_answer: PollAnswer | None = None
    language_hint: str | None = None
    display_name: str | None = None
    message_id: str | None = None

    def cleaned(self) -> Request:
        """The request with every text field passed through :func:`clean_input` (done once, on the way in)."""
        hint = self.language_hint
        if hint is not None and not _LANGUAGE_TAG.match(hint):
            hint = None  # not a language tag: no hint
        changes = dict(
            text=clean_input(self.text) if self.text is not None else None,
            command=clean_input(self.command, 64) if self.command is not None else None,
            args=clean_input(self.args),
            payload=clean_input(self.payload) if self.payload is not None else None,
            language_hint=hint,
            display_name=clean_input(self.display_name, MAX_NAME) if self.display_name is not None else None,
            message_id=clean_input(self.message_id, 64) if self.message_id is not None else None,
        )
        if self.location is not None and self.location.label is not None:
            changes["location"] = dataclasses.replace(self.location, label=clean_input(self.location.label, MAX_NAME * 4))
        if all(getattr(self, k) == v for k, v in changes.items()):
            return self
        return dataclasses.replace(self, **changes)

    def with_command(self, command: str, args: str = "") -> Request:
        return Request(
            user=self.user,
            command=command,
            args=args,
            language_hint=self.language_hint,
            display_name=self.display_name,
            message_id=self.message_id,
        )

    def with_payload(self, payload: str) -> Request:
        return Request(
            user=self.user,
            payload=payload,
            language_hint=self.language_hint,
            display_name=self.display_name,
            message_id=self.message_id,
        )

    def with_poll_answer(self, answer: PollAnswer) -> Request:
        return Request(
            user=self.user,
            poll_answer=answer,
            language_hint=self.language_hint,
            display_name=self.display_name,
            message_id=self.message_id,
        )


@dataclass(frozen=True)
class Choice:
    """One option a person can pick; ``payload`` comes back as a button press.

    ``label`` is the full line; ``short`` is what fits on a button, where a
    channel has buttons and the label is too long for one.
    """

    label: str
    payload: str
    short: str | None = None

    @property
    def button(self) -> str:
        return self.short or self.label


@dataclass(frozen=True)
class Text:
    """A message: an optional bold ``title`` then the ``body`` (plain text)."""

    body: str
    title: str | None = None
    edit_key: str | None = None
    """A pushed message with the same key replaces this one where the channel can edit messages (progress)."""
    transient: bool = False
    """Soon superseded by another with the same ``edit_key``: a channel that cannot edit may skip it."""


@dataclass(frozen=True)
class Choices:
    """A message with options (buttons, or numbered lines where none exist).

    ``navigation`` marks a reply to a button press that replaces the message
    the button was on (paging, drilling into a list) where the channel can
    edit messages in place.
    """

    body: str
    options: tuple[Choice, ...]
    title: str | None = None
    navigation: bool = False
    columns: int = 1


@dataclass(frozen=True)
class Venue:
    """A place with a name and an address, and where known its position (in ``datum``).

    ``directions`` is the text that goes with the pin (how to get there, the
    entrance, the transport); ``links`` are its map links (each service's
    link already in the datum that service expects, see
    :func:`bot.geo.map_link`), shown as link buttons where the channel has
    them and as "label: url" lines elsewhere.  ``map_url`` is the one link
    for channels that show a single map line.
    """

    name: str
    latitude: float | None
    longitude: float | None
    address: str | None = None
    directions: str | None = None
    map_url: str | None = None
    datum: Datum = Datum.WGS84
    links: tuple[LinkButton, ...] = ()


@dataclass(frozen=True)
class Poll:
    question: str
    options: tuple[str, ...]
    poll_id: str
    allows_multiple: bool = False


@dataclass(frozen=True)
class Image:
    data: bytes
    filename: str
    caption: str | None = None
    mime_type: str = "image/png"


@dataclass(frozen=True)
class Document:
    """A file to download (a calendar, a CSV export); channels that cannot send files give a link."""

    data: bytes
    filename: str
    caption: str | None = None
    mime_type: str = "application/octet-stream"


File = Document
"""The earlier name of :class:`Document`."""


@dataclass(frozen=True)
class LinkButton:
    """A button that opens a web page (a map, a meeting link)."""

    label: str
    url: str


@dataclass(frozen=True)
class WebAppButton:
    """A button that opens a web page inside the chat app (Telegram mini app); elsewhere a plain link."""

    label: str
    url: str


@dataclass(frozen=True)
class Links:
    """A message with link buttons; channels without them list each as "label: url"."""

    body: str
    buttons: tuple[LinkButton | WebAppButton, ...]
    title: str | None = None


Reply = Union[Text, Choices, Venue, Poll, Image, Document, Location, Links]
REPLY_TYPES: tuple[type, ...] = (Text, Choices, Venue, Poll, Image, Document, Location, Links)
"""Every kind of reply; each channel renders each one, or declares its fallback (see the renderer maps)."""
