"""Feedback prompts: the delegates concerned by a session are asked once, shortly before it ends.

One participant of the one wake-up path (:class:`~bot.notify.wakeups.Wakeups`):
for every session with a questionnaire, a round of prompts falls due at
:func:`~bot.feedback.questions.prompt_at` (5 minutes before the end by
default), or at once when a facilitator opens the poll by hand.  A round
asks everyone who bookmarked the session, follows its stream or joined it
(a delegate who did two or three of these is asked once), who is reachable
and has not switched reminders off, and was not asked already.  The
prompts are one campaign (kind ``feedback``) in the outbox, with the
priority of feedback (behind reminders, notices and broadcasts) and the
outbox key ``feedback:<session>``: the outbox refuses a second prompt for
the same delegate and session, so a round repeated after a crash or a
restart asks nobody twice, and WeChat's window, merging and holding apply
as to every push.

A round due while the bot was down is still sent on start if it is not
more than :data:`LATE_GRACE` past the session's end; after that, nobody
is prompted (``/feedback`` still lists the session while its poll is open).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Final

from bot.clock import Clock
from bot.conversation import Reply
from bot.feedback.questions import Questionnaire, prompt_at, questionnaire
from bot.feedback.store import FeedbackStore
from bot.notify.campaigns import Campaigns
from bot.notify.outbox import NewItem, Priority, PushPort
from bot.programme import ProgrammeHolder, Session
from bot.store.audience import Audience, chunks, placeholders
from bot.store.users import UserRecord, Users

logger = logging.getLogger(__name__)

#: A round that could not go out in time (the bot was down) is still sent this long after the session's end.
LATE_GRACE: Final = dt.timedelta(hours=1)

PromptRenderer = Callable[[UserRecord, Session, Questionnaire, dt.datetime], Sequence[Reply]]
"""What a prompt says, in the delegate's language (a feature provides it)."""


def dedupe_key(session_id: str) -> str:
    """The outbox key of a session's prompt: one per delegate and session, ever."""
    return f"feedback:{session_id}"


class FeedbackPrompter:
    """Sends each session's round of prompts once, at its time."""

    def __init__(
        self,
        *,
        store: FeedbackStore,
        clock: Clock,
        programmes: ProgrammeHolder,
        audience: Audience,
        users: Users,
        campaigns: Campaigns,
        push: PushPort,
        render: PromptRenderer,
        on_schedule_change: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.programmes = programmes
        self.audience = audience
        self.users = users
        self.campaigns = campaigns
        self.push = push
        self.render = render
        self.on_schedule_change = on_schedule_change
        self._lock = asyncio.Lock()
        self._done: set[str] | None = None  # sessions whose round finished (loaded on first use)
        self._opened: dict[str, dt.datetime] = {}  # opened by hand: due then
        self._rounds: tuple[object, list[tuple[dt.datetime, Session, Questionnaire]]] | None = None
        """Every session's round and its time, for one programme version (next_due runs on every re-arm)."""

    def _all_rounds(self) -> list[tuple[dt.datetime, Session, Questionnaire]]:
        programme = self.programmes.programme
        if self._rounds is None or self._rounds[0] is not programme:
            rounds = []
            for session in programme.sessions:
                q = questionnaire(programme, session)
                if q is not None:
                    rounds.append((prompt_at(session, q), session, q))
            self._rounds = (programme, rounds)
        return self._rounds[1]

    async def _finished(self) -> set[str]:
        if self._done is None:
            self._done = {sid for sid, (_campaign, finished) in (await self.store.rounds()).items() if finished}
            self._opened = {sid: r.opened_at for sid, r in (await self.store.polls()).items() if r.opened_at is not None}
        return self._done

    async def _due(self) -> list[tuple[dt.datetime, Session, Questionnaire]]:
        """Rounds not yet sent that are still worth sending, with their due instants."""
        done = await self._finished()
        now = self.clock.now()
        out = []
        for due, session, q in self._all_rounds():
            if session.id in done or now > session.end + LATE_GRACE:
                continue
            opened = self._opened.get(session.id)
            if opened is not None and opened < due:
                due = opened
            out.append((due, session, q))
        return out

    # -- the wake-up path -----------------------------------------------------------

    async def next_due(self) -> dt.datetime | None:
        dues = [due for due, _s, _q in await self._due()]
        return min(dues) if dues else None

    async def fire_due(self) -> int:
        """Send every round due now; how many delegates were asked."""
        asked = 0
        async with self._lock:
            now = self.clock.now()
            for due, session, q in sorted(await self._due(), key=lambda d: (d[0], d[1].id)):
                if due <= now:
                    asked += await self._round(session, q)
        return asked

    async def opened(self, session_id: str, at: dt.datetime) -> int:
        """A facilitator opened the poll by hand: its round goes now (if it has not gone); how many were asked."""
        await self._finished()
        self._opened[session_id] = at
        asked = await self.fire_due()
        if self.on_schedule_change is not None:
            await self.on_schedule_change()
        return asked

    async def programme_changed(self, old: object, new: object) -> None:
        """A reload may move a session's end: the wake-up path looks again."""
        # the new version's rounds (0.16 s at 16,000 sessions) worked out in a thread, not at the next wake-up on the loop
        await asyncio.to_thread(self._all_rounds)
        if self.on_schedule_change is not None:
            await self.on_schedule_change()

    # -- one round ---------------------------------------------------------------

    async def _round(self, session: Session, q: Questionnaire) -> int:
        now = self.clock.now()
        agenda = self.programmes.agenda
        concerned = await self.audience.concerned_by_sessions(agenda, [session.id])
        concerned -= await self.store.asked_ids(session.id)
        concerned -= await self._reminders_off(concerned)
        people = [u for u in await self.users.get_many(concerned) if u.active]
        asked = 0
        if people:
            campaign_id = await self._campaign(session, now, len(people))
            items = []
            for user in people:
                try:
                    items.append(NewItem(user.id, user.channel, tuple(self.render(user, session, q, now))))
                except Exception:  # one delegate's broken prompt must not stop the others
                    logger.exception("could not render the feedback prompt of %s for user %s", session.id, user.id)
            await self.push.push_many(items, dedupe_key=dedupe_key(session.id), priority=Priority.FEEDBACK, campaign_id=campaign_id)
            asked = await self.store.asked(session.id, [i.user_id for i in items], now, "push")
        await self.store.finish_round(session.id, asked, now)
        assert self._done is not None
        self._done.add(session.id)
        logger.info("feedback prompts for %s: %d delegates asked", session.id, asked)
        return asked

    async def _campaign(self, session: Session, now: dt.datetime, count: int) -> int:
        """The round's campaign: the one recorded by an interrupted earlier attempt, else a new one."""
        known = (await self.store.rounds()).get(session.id)
        if known is not None and known[0] is not None:
            return known[0]
        campaign = await self.campaigns.create(
            "feedback", f"feedback: {session.id}", created_by="feedback", now=now,
            audience={"kind": "concerned", "sessions": [session.id], "count": count},
        )
        return await self.store.begin_round(session.id, campaign.id, now)

    async def _reminders_off(self, user_ids: set[int]) -> set[int]:
        """Those of ``user_ids`` who switched reminders (and so prompts) off."""
        out: set[int] = set()
        for part in chunks(sorted(user_ids)):
            rows = await self.store.db.fetchall(
                f"SELECT user_id FROM reminder_settings WHERE enabled = 0 AND user_id IN ({placeholders(part)})", tuple(part)
            )
            out.update(r[0] for r in rows)
        return out
