"""Wire everything in one place: settings -> clock, store, programme, catalogs, router."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.conversation import Reply, Request, UserRef
from bot.i18n import Catalogs
from bot.notify.outbox import Outbox, PushPort
from bot.programme import ProgrammeHolder
from bot.resources import resource_dir
from bot.router import ChoiceMemory, Context, Router, error_middleware, user_middleware
from bot.store import Database, UserRecord, Users

logger = logging.getLogger(__name__)


@dataclass
class Core:
    """The channel-neutral bot: everything a channel needs to answer and push."""

    settings: Settings
    clock: Clock
    programmes: ProgrammeHolder
    db: Database
    users: Users
    outbox: Outbox
    push: PushPort
    catalogs: Catalogs
    router: Router
    choices: ChoiceMemory
    services: dict[str, Any] = field(default_factory=dict)
    session_locales: dict[UserRef, str] = field(default_factory=dict)
    """Languages chosen for this run only (``console --lang``), ahead of stored ones."""

    def locale_for(self, user: UserRecord | None) -> str:
        """This run's language, else the user's chosen one, else their platform's, else the event's."""
        if user is not None:
            if user.ref in self.session_locales:
                return self.session_locales[user.ref]
            if user.locale and user.locale in self.catalogs.tags:
                return user.locale
            hinted = self.catalogs.negotiate(user.language_hint)
            if hinted:
                return hinted
        return self.catalogs.negotiate(self.programmes.programme.event.default_language) or "en"

    async def handle(self, request: Request) -> list[Reply]:
        """Answer one request (what every channel calls)."""
        return await self.router.handle(request, Context(core=self))

    async def close(self) -> None:
        for hook in self.services.get("on_close", ()):
            await hook()
        for worker in self.push.workers.values():
            await worker.stop()
        await self.db.close()


async def build_core(settings: Settings, clock: Clock | None = None) -> Core:
    """Load the programme (refusing an invalid one), open the database, register handlers."""
    from handlers import register_all

    programmes = ProgrammeHolder.from_file(settings.programme)
    clock = clock or SystemClock()
    db = await Database.open(settings.db)
    users = Users(db)
    outbox = Outbox(db, on_deactivate=users.forget)
    await outbox.recover_interrupted()
    router = Router()
    choices = ChoiceMemory()
    router.use(user_middleware)
    router.use(error_middleware)
    router.use(choices)
    core = Core(
        settings=settings,
        clock=clock,
        programmes=programmes,
        db=db,
        users=users,
        outbox=outbox,
        push=PushPort(outbox, clock),
        catalogs=Catalogs.load(resource_dir("locales")),
        router=router,
        choices=choices,
    )
    await register_all(core)
    logger.info(
        "core ready: programme %s (%d sessions), database %s",
        programmes.programme.event.id, len(programmes.programme.sessions), settings.db,
    )
    return core
