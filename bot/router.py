"""Request -> handler: commands, button payloads, free text and numbered answers.

Cross-cutting concerns are middleware around every handler call: who the
user is, which language they read, turning an exception into a polite reply.
Button payloads are command lines (``/session opening``), so a button press and
a typed command reach the same handler.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot import i18n, intents
from bot.conversation import Choice, Choices, Reply, Request, Text
from bot.i18n import Localizer, _
from bot.store.users import UserRecord

if TYPE_CHECKING:
    from bot.app import Core
    from bot.programme import Agenda, Programme

logger = logging.getLogger(__name__)

Handler = Callable[[Request, "Context"], Awaitable[Sequence[Reply]]]
Next = Callable[[Request, "Context"], Awaitable[Sequence[Reply]]]
Middleware = Callable[[Request, "Context", Next], Awaitable[Sequence[Reply]]]


@dataclass
class Context:
    """What a handler may use: the core services, the user and their locale."""

    core: Core
    user: UserRecord | None = None
    localizer: Localizer = field(default_factory=lambda: Localizer(i18n.SOURCE_LOCALE))
    via_button: bool = False

    @property
    def now(self) -> dt.datetime:
        return self.core.clock.now()

    @property
    def agenda(self) -> Agenda:
        return self.core.programmes.agenda

    @property
    def programme(self) -> Programme:
        return self.core.programmes.programme

    @property
    def locale(self) -> str:
        return self.localizer.tag

    @property
    def today(self) -> dt.date:
        return self.agenda.local_date(self.now)

    @property
    def user_id(self) -> int:
        if self.user is None:
            raise RuntimeError("no user in this context")
        return self.user.id


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    description: str | None  # untranslated msgid; None hides it from menus
    aliases: tuple[str, ...] = ()
    hidden: bool = False


class Router:
    """Dispatches requests to handlers; all registration goes through here."""

    def __init__(self) -> None:
        self.commands: dict[str, Command] = {}
        self._aliases: dict[str, str] = {}
        self._fallback: Handler | None = None
        self._location: Handler | None = None
        self.middlewares: list[Middleware] = []

    def command(
        self, name: str, *aliases: str, description: str | None = None, hidden: bool = False
    ) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            if name in self.commands:
                raise ValueError(f"command /{name} registered twice")
            self.commands[name] = Command(name, fn, description, aliases, hidden)
            for alias in aliases:
                self._aliases[alias] = name
            return fn

        return register

    def fallback(self, fn: Handler) -> Handler:
        """Handles free text that is no known command."""
        self._fallback = fn
        return fn

    def location(self, fn: Handler) -> Handler:
        """Handles a shared location."""
        self._location = fn
        return fn

    def use(self, middleware: Middleware) -> None:
        self.middlewares.append(middleware)

    def menu(self) -> list[Command]:
        """The commands to offer in help texts and platform menus, in registration order."""
        return [c for c in self.commands.values() if c.description and not c.hidden]

    def resolve(self, name: str) -> Command | None:
        name = name.lower()
        return self.commands.get(self._aliases.get(name, name))

    async def handle(self, request: Request, ctx: Context) -> list[Reply]:
        """Run the middleware chain and the handler the request asks for."""

        async def call(index: int, req: Request, c: Context) -> Sequence[Reply]:
            if index < len(self.middlewares):
                return await self.middlewares[index](req, c, lambda r, cc: call(index + 1, r, cc))
            return await self._dispatch(req, c)

        return list(await call(0, request, ctx))

    async def _dispatch(self, req: Request, ctx: Context) -> Sequence[Reply]:
        if req.payload is not None:
            ctx.via_button = True
            intent = intents.parse(req.payload)
            if intent is None:
                return [Text(_("That button has expired. Send /help to see what I can do."))]
            req = req.with_command(intent.command, intent.args)
        elif req.location is not None and self._location is not None:
            return await self._location(req, ctx)
        elif req.command is None and req.text is not None:
            intent = intents.parse(req.text)
            if intent is not None:
                req = req.with_command(intent.command, intent.args)
            else:
                # a command typed without its slash ("myagenda", "bookmark opening")
                head, _sep, rest = req.text.strip().partition(" ")
                if head and self.resolve(head) is not None:
                    req = req.with_command(head.lower(), rest.strip())
        if req.command is not None:
            command = self.resolve(req.command)
            if command is None:
                return [Text(_("I don't know the command /{command}. Send /help to see what I can do.").format(command=req.command))]
            return await command.handler(req, ctx)
        if self._fallback is not None:
            return await self._fallback(req, ctx)
        return [Text(_("Send /help to see what I can do."))]


class ChoiceMemory:
    """Remembers each user's last offered choices, so "2" picks the second.

    Channels without buttons (console, WeChat) show choices as numbered lines;
    this middleware turns a bare number back into that choice's payload.
    """

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._last: OrderedDict[int, tuple[Choice, ...]] = OrderedDict()

    def get(self, user_id: int) -> tuple[Choice, ...]:
        return self._last.get(user_id, ())

    def remember(self, user_id: int, options: tuple[Choice, ...]) -> None:
        self._last[user_id] = options
        self._last.move_to_end(user_id)
        while len(self._last) > self.capacity:
            self._last.popitem(last=False)

    async def __call__(self, req: Request, ctx: Context, call_next: Next) -> Sequence[Reply]:
        if ctx.user is not None and req.text is not None and req.command is None:
            number = req.text.strip().rstrip(".)")
            if number.isdigit():
                options = self.get(ctx.user.id)
                index = int(number) - 1
                if options and 0 <= index < len(options):
                    req = Request(
                        user=req.user, payload=options[index].payload,
                        language_hint=req.language_hint, message_id=req.message_id,
                    )
                elif options:
                    return [Text(_("Please answer with a number from 1 to {count}.").format(count=len(options)))]
        replies = await call_next(req, ctx)
        if ctx.user is not None:
            offered = [r for r in replies if isinstance(r, Choices)]
            if offered:
                self.remember(ctx.user.id, offered[-1].options)
        return replies


async def user_middleware(req: Request, ctx: Context, call_next: Next) -> Sequence[Reply]:
    """Look up (or create) the user and choose the language they read."""
    core = ctx.core
    ctx.user = await core.users.seen(req.user, req.language_hint, ctx.now)
    tag = core.locale_for(ctx.user)
    ctx.localizer = core.catalogs.get(tag)
    with i18n.use(ctx.localizer):
        return await call_next(req, ctx)


async def error_middleware(req: Request, ctx: Context, call_next: Next) -> Sequence[Reply]:
    """Turn an unexpected exception into an apology; the log gets the traceback, not the text."""
    try:
        return await call_next(req, ctx)
    except Exception:
        logger.exception("handler failed for a request on %s (command %s)", req.user.channel, req.command or "-")
        return [Text(_("Sorry, something went wrong on my side. Please try again in a moment."))]

