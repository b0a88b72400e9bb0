"""What a channel may use of the core: narrow ports, not the whole core.

A channel turns platform updates into :class:`~bot.conversation.Request`
objects and asks :attr:`ChannelPorts.answer`; it pushes through
:attr:`ChannelPorts.push` (attaching its sender); it looks up delegates and
their language to render pushes.  It never sees handlers, the router's
middleware or the reminder engine.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.clock import SystemClock
from bot.privacy import Caches
from bot.web.health import Contacts
from bot.web.metrics import Metrics

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from bot.clock import Clock
    from bot.config import Settings
    from bot.conversation import Location, Reply, Request, UserRef
    from bot.i18n import Catalogs, Localizer, Locales
    from bot.notify.outbox import PushPort
    from bot.router import Command
    from bot.store.db import Database
    from bot.store.users import UserRecord, Users
    from bot.web.files import FileLinks


@dataclass(frozen=True)
class Answer:
    """The core's replies to one request, with whom they are for and the language they are in."""

    replies: list[Reply]
    user: UserRecord | None
    localizer: Localizer


@dataclass(frozen=True)
class ChannelPorts:
    settings: Settings
    clock: Clock
    db: Database
    """For the channel's own bookkeeping tables (update log, callbacks, windows)."""
    answer: Callable[[Request], Awaitable[Answer]]
    push: PushPort
    users: Users
    catalogs: Catalogs
    locales: Locales
    menu: Callable[[], Sequence[Command]]
    """The commands to publish as platform menus."""
    event_name: Callable[[str], str]
    """The event's (short) name in a locale, e.g. as a template message's title."""
    event_zone: Callable[[], ZoneInfo]
    files: FileLinks
    """Documents as expiring links, for channels that cannot send files."""
    report_location: Callable[[UserRef, Location], Awaitable[bool]]
    """Keep a location the platform reported on its own (WeChat's LOCATION event) as the delegate's last
    known one, without answering; False for someone the bot does not know yet."""
    metrics: Metrics = field(default_factory=Metrics)
    """Counters a channel adds to (WeChat's window and quota refusals); never a personal label."""
    contacts: Contacts = field(default_factory=lambda: Contacts(SystemClock().now))
    """Where a channel notes each successful (or failed) contact with its platform, for /healthz."""
    caches: Caches = field(default_factory=Caches)
    """Where a channel registers what it keeps of people in memory, so /forget and the purge clear it."""

    async def handle(self, request: Request) -> list[Reply]:
        return (await self.answer(request)).replies
