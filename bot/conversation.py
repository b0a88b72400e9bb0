"""Channel-neutral request and reply types.

A channel turns a platform update into a :class:`Request`; handlers return a
list of :data:`Reply` objects; the channel renders each in its own idiom.
Handlers never import a channel; channels never decide content.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from bot.geo import Datum


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
