"""Request -> handler: commands, button payloads, free text, shared locations and poll answers.

Cross-cutting concerns are middleware (:mod:`bot.middleware`): who the user
is, which language they read, the numbered choices last offered, turning an
exception into a polite reply.  Middleware registered with :meth:`Router.use`
runs around every request; middleware registered with :meth:`Router.guard`
runs once the request is resolved to a command (``ctx.command`` is set), which
is where permissions are checked.  Button payloads are command lines
(``/session opening``), so a button press and a typed command reach the same
handler.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from bot import i18n
from bot.conversation import Choice, Reply, Request, Text, echo
from bot.dialogues import Dialogue, Step
from bot.i18n import Localizer, _
from bot.store.users import UserRecord
from bot.understanding import intents

if TYPE_CHECKING:
    from bot.programme import Agenda, Programme, Session
    from bot.roles import Role
    from bot.services import Services

logger = logging.getLogger(__name__)

Handler = Callable[[Request, "Context"], Awaitable[Sequence[Reply]]]
Next = Callable[[Request, "Context"], Awaitable[Sequence[Reply]]]
Middleware = Callable[[Request, "Context", Next], Awaitable[Sequence[Reply]]]
SessionAction = Callable[["Context", "Session"], Awaitable[list[Choice]]]
"""A feature's buttons under a session (Bookmark, Join, How to get there...)."""
#: Steps of dialogues are commands named with this prefix, which nobody can type.
STEP_PREFIX: Final = "@"


@dataclass
class Context:
    """What a handler may use: the services, the user, their locale, and one instant and programme version.

    ``now`` and ``agenda`` are captured once when the request arrives, so a
    handler sees one time and one programme version throughout, even across
    a reload.
    """

    services: Services
    now: dt.datetime
    agenda: Agenda
    user: UserRecord | None = None
    localizer: Localizer = field(default_factory=lambda: Localizer(i18n.SOURCE_LOCALE))
    via_button: bool = False
    command: Command | None = None
    dialogue: Dialogue = field(default_factory=lambda: Dialogue())
    """The stored conversation state as the request found it."""
    step: Step | None = None
    """The pending step this request answers (set when a step's handler runs)."""
    abandoned_step: Step | None = None
    """The step this request (a typed command) left unfinished, for ``/cancel`` to say what stopped."""

    @classmethod
    def create(cls, services: Services, user: UserRecord | None = None, localizer: Localizer | None = None,
               now: dt.datetime | None = None) -> Context:
        """A context for this instant and the programme in force (requests, reminders, notices)."""
        return cls(
            services=services,
            now=now or services.clock.now(),
            agenda=services.programmes.agenda,
            user=user,
            localizer=localizer or Localizer(i18n.SOURCE_LOCALE),
        )

    @property
    def programme(self) -> Programme:
        return self.agenda.programme

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
    role: Role | None = None
    """The role a person needs to run it (None: everyone); checked by the permission middleware."""


class Router:
    """Dispatches requests to handlers; all registration goes through here."""

    def __init__(self) -> None:
        self.commands: dict[str, Command] = {}
        self._aliases: dict[str, str] = {}
        self._fallback: Handler | None = None
        self._location: Handler | None = None
        self._poll_answer: Handler | None = None
        self.middlewares: list[Middleware] = []
        self.guards: list[Middleware] = []
        self.session_actions: list[SessionAction] = []

    def command(
        self, name: str, *aliases: str, description: str | None = None, hidden: bool = False, role: Role | None = None
    ) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            if name in self.commands:
                raise ValueError(f"command /{name} registered twice")
            self.commands[name] = Command(name, fn, description, aliases, hidden or role is not None, role)
            for alias in aliases:
                self._aliases[alias] = name
            return fn

        return register

    def step(self, name: str, *, role: Role | None = None) -> Callable[[Handler], Handler]:
        """Register the handler of a dialogue step: free text while ``name`` is pending goes to it.

        A step is a hidden command nobody can type, so the permission guard
        checks ``role`` for it as for any command.
        """
        return self.command(STEP_PREFIX + name, hidden=True, role=role)

    def fallback(self, fn: Handler) -> Handler:
        """Handles free text that is no known command."""
        self._fallback = fn
        return fn

    def location(self, fn: Handler) -> Handler:
        """Handles a shared location."""
        self._location = fn
        return fn

    def poll_answer(self, fn: Handler) -> Handler:
        """Handles a poll answer (a native vote, or a number typed under a poll shown as text)."""
        self._poll_answer = fn
        return fn

    def session_action(self, fn: SessionAction) -> SessionAction:
        """Adds buttons under every session (a feature's Bookmark, Join...)."""
        self.session_actions.append(fn)
        return fn

    def use(self, middleware: Middleware) -> None:
        """Run ``middleware`` around every request, in the order added (the first is outermost)."""
        self.middlewares.append(middleware)

    def guard(self, middleware: Middleware) -> None:
        """Run ``middleware`` once a request is resolved to a command (``ctx.command`` is set)."""
        self.guards.append(middleware)

    def menu(self) -> list[Command]:
        """The commands to offer in help texts and platform menus, in registration order."""
        return [c for c in self.commands.values() if c.description and not c.hidden]

    def resolve(self, name: str) -> Command | None:
        name = name.lower()
        return self.commands.get(self._aliases.get(name, name))

    async def handle(self, request: Request, ctx: Context) -> list[Reply]:
        """Run the middleware chain and the handler the request asks for."""
        return list(await self._chain(self.middlewares, self._dispatch)(request, ctx))

    @staticmethod
    def _chain(middlewares: Sequence[Middleware], last: Next) -> Next:
        def call(index: int) -> Next:
            if index == len(middlewares):
                return last
            middleware, inner = middlewares[index], call(index + 1)

            async def step(req: Request, c: Context) -> Sequence[Reply]:
                return await middleware(req, c, inner)

            return step

        return call(0)

    async def _dispatch(self, req: Request, ctx: Context) -> Sequence[Reply]:
        if req.payload is not None:
            ctx.via_button = True
            intent = intents.parse(req.payload)
            if intent is None:
                return [Text(_("That button has expired. Send /help to see what I can do."))]
            req = req.with_command(intent.command, intent.args)
        elif req.poll_answer is not None:
            return await self._poll_answer(req, ctx) if self._poll_answer is not None else []
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
            if command is not None and command.name.startswith(STEP_PREFIX) and ctx.step is None:
                command = None  # a step runs only while it is pending
            if command is None:
                return [Text(_("I don't know the command /{command}. Send /help to see what I can do.").format(command=echo(req.command)))]
            ctx.command = command
            return await self._chain(self.guards, command.handler)(req, ctx)
        if self._fallback is not None:
            return await self._fallback(req, ctx)
        return [Text(_("Send /help to see what I can do."))]
