"""The composition root: settings -> clock, store, programme, catalogs, services, router, wake-ups.

:func:`build_core` is the one place where the bot is wired.  Everything
below it receives what it uses (typed fields, narrow ports) and knows
nothing of the object that wires it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from typing import Protocol

from bot.calendars import Calendars
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.conversation import Location, Reply, Request, UserRef
from bot.i18n import Catalogs, Locales
from bot.dialogues import DialogueKey, Offer, SqliteDialogues
from bot.feedback import Feedback, FeedbackPrompter, FeedbackStore, LiveResults
from bot.middleware import DialogueMiddleware, FloodGuard, error_middleware, user_middleware
from bot.notify.broadcasts import Broadcasts, CampaignMonitor
from bot.notify.campaigns import Campaigns
from bot.notify.changes import ChangeNotifier
from bot.notify.outbox import Outbox, OutboxItem, PushPort
from bot.notify.reminders import ReminderEngine
from bot.notify.wakeups import Wakeups
from bot.ports import Answer, ChannelPorts
from bot.privacy import Caches, DialoguesCache, Privacy, UsersCache
from bot.programme import Programme, ProgrammeHolder, localized
from bot.resources import resource_dir
from bot.roles import AuditLog, Roles, permission_guard, static_grants
from bot.router import Context, Router
from bot.services import Services
from bot.store import Database, UserRecord, Users
from bot.store.audience import Audience
from bot.store.delegates import DelegateState
from bot.store.wechat import WeChatStore
from bot.store.locations import LastLocations
from bot.understanding.middleware import UnderstandingMiddleware
from bot.understanding.search import SearchIndex
from bot.understanding.understand import understanding_ready
from bot.web.files import FileLinks
from bot.web.health import Contacts, Health
from bot.web.metrics import Metrics

logger = logging.getLogger(__name__)


class Component(Protocol):
    """Something the running bot starts after its channels and stops before closing the database."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class Core:
    """The channel-neutral bot: what the command line, the console and the channels are given parts of."""

    settings: Settings
    clock: Clock
    db: Database
    programmes: ProgrammeHolder
    catalogs: Catalogs
    locales: Locales
    users: Users
    outbox: Outbox
    push: PushPort
    router: Router
    services: Services
    wakeups: Wakeups
    files: FileLinks
    metrics: Metrics = field(default_factory=Metrics)
    contacts: Contacts | None = None
    """Each channel's last contact with its platform (for /healthz)."""
    components: list[Component] = field(default_factory=list)
    """Started in order by :meth:`start`, stopped in reverse by :meth:`close`."""
    _started: list[Component] = field(default_factory=list)
    _answering: int = 0
    _idle: asyncio.Event = field(default_factory=asyncio.Event)

    def locale_for(self, user: UserRecord | None) -> str:
        return self.locales.for_user(user)

    def __post_init__(self) -> None:
        if self.contacts is None:
            self.contacts = Contacts(self.clock.now)

    async def answer(self, request: Request) -> Answer:
        """Answer one request: the replies, who they are for and in which language (timed and counted)."""
        started = time.perf_counter()
        self._answering += 1
        self._idle.clear()
        try:
            ctx = Context.create(self.services)
            replies = await self.router.handle(request.cleaned(), ctx)
        finally:
            self._answering -= 1
            if not self._answering:
                self._idle.set()
        self.metrics.answered(request, ctx.command.name if ctx.command else None, time.perf_counter() - started)
        return Answer(replies, ctx.user, ctx.localizer)

    async def settle(self, timeout: float) -> int:
        """Wait up to ``timeout`` seconds for the answers being worked out; how many are still unfinished."""
        if self._answering:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._idle.wait()
        return self._answering

    async def wind_down(self, grace: float) -> None:
        """The first half of a graceful stop: no more timed work; answers and sends under way get ``grace`` s.

        Items of the outbox not yet claimed stay pending; :meth:`close` does the rest.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        await self.wakeups.stop()
        unfinished = await self.settle(grace)
        if unfinished:
            logger.warning("%d answer(s) still being worked out after %.0f s", unfinished, grace)
        await self.push.stop(max(0.0, deadline - loop.time()))

    @property
    def health(self) -> Health:
        """What /healthz checks: the database, the wake-up timer and delivery workers, each channel's contacts."""
        assert self.contacts is not None
        return Health(self.db, self.wakeups, self.push, self.contacts, self.clock.now)

    async def handle(self, request: Request) -> list[Reply]:
        return (await self.answer(request)).replies

    def ports(self) -> ChannelPorts:
        """What a channel may use (built from the settings in force now)."""
        return ChannelPorts(
            settings=self.settings,
            clock=self.clock,
            db=self.db,
            answer=self.answer,
            push=self.push,
            users=self.users,
            catalogs=self.catalogs,
            locales=self.locales,
            menu=self.router.menu,
            event_name=self._event_name,
            event_zone=lambda: self.programmes.programme.zone,
            files=self.files,
            report_location=self.report_location,
            metrics=self.metrics,
            contacts=self.contacts,  # type: ignore[arg-type]
            caches=self.services.privacy.caches,
        )

    async def report_location(self, user: UserRef, location: Location) -> bool:
        """Store a location the platform reported by itself, for /where; nothing is answered."""
        record = await self.users.find(user)
        if record is None:
            return False
        await self.services.locations.remember(record.id, location, self.clock.now(), reported=True)
        return True

    def _event_name(self, tag: str) -> str:
        event = self.programmes.programme.event
        return localized(event.short_name or event.name, tag, event.default_language)

    async def start(self) -> None:
        """Start the wake-up timer and the delivery workers (``run``, and a console on the real clock)."""
        for component in self.components:
            if component not in self._started:
                await component.start()
                self._started.append(component)

    async def close(self) -> None:
        while self._started:
            await self._started.pop().stop()
        await self.push.stop()
        await self.services.dialogues.close()
        await self.db.close()


async def build_core(settings: Settings, clock: Clock | None = None, *, programme: Programme | None = None) -> Core:
    """Load the programme (refusing an invalid one), open the database, wire every service and feature.

    ``programme``, when given, is used instead of parsing ``settings.programme``
    again (the command line has just validated it; tests parse it once).
    """
    from handlers import register_all, render_broadcast, render_live, render_notice, render_prompt, render_reminder, render_report
    from handlers.roles import is_invitation

    programmes = ProgrammeHolder(settings.programme, programme) if programme else ProgrammeHolder.from_file(settings.programme)
    clock = clock or SystemClock()
    db = await Database.open(settings.db)
    catalogs = Catalogs.load(resource_dir("locales"))
    locales = Locales(catalogs, lambda: programmes.programme.event.default_language)
    users = Users(db)
    outbox = Outbox(db, on_deactivate=users.forget)
    await outbox.recover_interrupted()
    push = PushPort(outbox, clock)
    metrics = Metrics()
    push.observe = metrics.delivered
    wakeups = Wakeups(clock)
    push.on_schedule_change = wakeups.rearm
    router = Router()
    audience = Audience(db)
    dialogues = SqliteDialogues(db)
    audit = AuditLog(db)
    roles = Roles(db, audit, static_grants(settings.role_grants(), programmes.programme.staff))
    reminders = ReminderEngine(
        db=db, clock=clock, programmes=programmes, users=users, push=push, audience=audience,
        # what a reminder says is a feature's; ``services`` is bound by the time the first one is rendered
        render=lambda user, session, kind, now: render_reminder(services, user, session, kind, now),
        on_schedule_change=wakeups.rearm, rate_of=push.rate,
    )
    campaigns = Campaigns(db, outbox, push)
    delegates = DelegateState(db)
    wechat_windows = WeChatStore(db)
    broadcasts = Broadcasts(
        audience=audience, users=users, locales=locales, campaigns=campaigns, wechat=wechat_windows,
        budget=settings.wechat_budget, clock=clock, delegates=delegates,
        render=lambda user, campaign: render_broadcast(services, user, campaign),
    )
    monitor = CampaignMonitor(campaigns, users, push, clock, render=lambda user, report: render_report(services, user, report))
    changes = ChangeNotifier(
        db=db, clock=clock, programmes=programmes, audience=audience, users=users, campaigns=campaigns,
        render=lambda user, found, programme: render_notice(services, user, found, programme),
        quiet=dt.timedelta(minutes=settings.notice_quiet_minutes),
    )
    caches = Caches()
    caches.add(UsersCache(users))
    caches.add(delegates)
    caches.add(DialoguesCache(dialogues))
    privacy = Privacy(db, users, dialogues, clock, programmes, settings.retention_days, caches)
    privacy.on_forgotten.append(lambda uid: reminders.reconcile(users=[uid]))
    feedback_store = FeedbackStore(db)
    feedback = Feedback(
        store=feedback_store,
        prompts=FeedbackPrompter(
            store=feedback_store, clock=clock, programmes=programmes, audience=audience, users=users, campaigns=campaigns,
            push=push, render=lambda user, session, q, now: render_prompt(services, user, session, q, now),
            on_schedule_change=wakeups.rearm,
        ),
        live=LiveResults(
            store=feedback_store, clock=clock, users=users, push=push,
            render=lambda user, session_id, now: render_live(services, user, session_id, now), on_schedule_change=wakeups.rearm,
        ),
        users=users,
    )
    services = Services(
        settings=settings, clock=clock, programmes=programmes, db=db, users=users, catalogs=catalogs,
        locales=locales, delegates=delegates, audience=audience, reminders=reminders,
        outbox=outbox, push=push, router=router, dialogues=dialogues, roles=roles, audit=audit,
        campaigns=campaigns, broadcasts=broadcasts, campaign_monitor=monitor, wakeups=wakeups,
        wechat_windows=wechat_windows, changes=changes, locations=LastLocations(db), privacy=privacy, feedback=feedback,
        calendars=Calendars(db=db, clock=clock, programmes=programmes, delegates=delegates, users=users,
                            locales=locales, public_url=settings.public_url),
    )

    async def numbers_answer_what_was_pushed(item: OutboxItem) -> None:
        """A pushed question's numbered choices (a feedback prompt) are what a bare number answers once it arrived."""
        offer = Offer.from_replies(list(item.replies))
        if offer is not None:
            await dialogues.offer(DialogueKey(item.user.channel, item.user.platform_id), offer, clock.now())

    outbox.on_delivered = numbers_answer_what_was_pushed
    programmes.on_change(reminders.on_programme_change)

    async def staff_follows_the_programme(old: Programme, new: Programme) -> None:
        roles.set_static(static_grants(settings.role_grants(), new.staff))

    programmes.on_change(staff_follows_the_programme)
    programmes.on_change(changes.programme_changed)
    programmes.on_change(services.calendars.on_programme_change)
    wakeups.add(reminders)
    wakeups.add(push)
    wakeups.add(monitor)
    wakeups.add(changes)
    wakeups.add(privacy)  # the retention purge, after the event
    wakeups.add(feedback.prompts)
    wakeups.add(feedback.live)
    programmes.on_change(feedback.prompts.programme_changed)

    async def search_follows_the_programme(old: Programme, new: Programme) -> None:
        # the new version's search index (0.3 s at 1,000 sessions, seconds at 16,000), built in a thread before a
        # delegate's first search would build it on the event loop
        await SearchIndex.ready(programmes.agenda)
        await understanding_ready(programmes.agenda, catalogs.tags)

    programmes.on_change(search_follows_the_programme)

    router.use(error_middleware)
    router.use(user_middleware)
    if settings.flood_burst:
        flood = FloodGuard(burst=settings.flood_burst, rate=settings.flood_per_minute / 60, metrics=metrics)
        caches.add(flood)  # it counts each person's messages by their platform id
        router.use(flood)
    router.use(DialogueMiddleware(dialogues))
    router.use(UnderstandingMiddleware(debug=settings.debug_understanding, leave=is_invitation))
    router.guard(permission_guard)
    register_all(router)
    await reminders.reconcile()
    await services.calendars.sync()
    await changes.start()  # the first start records what delegates know; later ones notice edits made meanwhile

    core = Core(
        settings=settings, clock=clock, db=db, programmes=programmes, catalogs=catalogs, locales=locales,
        users=users, outbox=outbox, push=push, router=router, services=services, wakeups=wakeups,
        files=FileLinks(db, clock, settings.public_url), metrics=metrics, components=[wakeups, push],
    )
    logger.info(
        "core ready: programme %s (%d sessions), database %s",
        programmes.programme.event.id, len(programmes.programme.sessions), settings.db,
    )
    return core
