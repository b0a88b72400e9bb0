"""Reminders: derived from what delegates chose, sent once, recorded in the database.

The database holds the truth: bookmarks, followed streams, site-visit
sign-ups, each delegate's reminder settings, and ``sent_reminders``, whose
primary key (delegate, session, kind) means a delegate is reminded of a
session at most once.  The pending schedule is derived from those rows and
the programme by :meth:`ReminderEngine.reconcile` (everyone at start-up; one
delegate when they change a choice; the delegates concerned when the
programme changes) and kept in memory as a heap, so a restart or a changed
programme never leaves a stale reminder behind.

:meth:`ReminderEngine.fire_due` pushes each due reminder through the
:class:`~bot.notify.outbox.PushPort` (the outbox deduplicates it as well)
and records it as sent; a due reminder whose session has already begun is
dropped.  The engine is one participant of :class:`~bot.notify.wakeups.Wakeups`,
the one wake-up path: it says when the next reminder is due and is woken
then (APScheduler in production; tests and the console move a ManualClock).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import heapq
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from bot.clock import Clock
from bot.conversation import Reply
from bot.notify.outbox import Priority, PushPort
from bot.programme import Programme, ProgrammeHolder, Session
from bot.store.audience import Audience
from bot.store.db import Database, iso, parse_iso
from bot.store.users import UserRecord, Users

logger = logging.getLogger(__name__)

DEFAULT_LEAD: Final = dt.timedelta(minutes=15)
DEFAULT_VISIT_LEAD: Final = dt.timedelta(minutes=30)
FIRE_BATCH: Final = 500
SQL_CHUNK: Final = 500  # ids per IN (...) list, well under SQLite's variable limit
#: How far ahead of its due time the last reminder of a burst goes: the send's round trip, the worker's wake-up,
#: and a few of Telegram's 429 pauses (retry_after is 1 s or more; bench/broadcast.py drew 3 in a 5,000 burst,
#: which a 1 s margin left 2.2 s late).
BURST_MARGIN: Final = dt.timedelta(seconds=5)


class Kind(str, enum.Enum):
    SESSION = "session"
    VISIT = "visit"


def kind_of(session: Session) -> Kind:
    """A site visit is reminded before its departure; anything else before its start."""
    return Kind.VISIT if session.site_visit is not None else Kind.SESSION


def moment_of(session: Session) -> dt.datetime:
    """The instant a reminder is for: the departure of a visit, else the start."""
    return session.site_visit.departure if session.site_visit is not None else session.start


def lead_for(session: Session, lead_minutes: int | None) -> dt.timedelta:
    if lead_minutes is not None:
        return dt.timedelta(minutes=lead_minutes)
    return DEFAULT_VISIT_LEAD if session.site_visit is not None else DEFAULT_LEAD


def dedupe_key(session_id: str, kind: Kind | str, moment: dt.datetime | None = None) -> str:
    """The outbox key of a reminder, so the outbox refuses a second copy too (a moved session's new time is another)."""
    key = f"reminder:{Kind(kind).value}:{session_id}"
    return key if moment is None else f"{key}:{moment.astimezone(dt.timezone.utc):%Y%m%dT%H%M}"


Renderer = Callable[[UserRecord, Session, Kind, dt.datetime], Sequence[Reply]]
"""What a reminder says: ``render(user, session, kind, now)``, in the user's language (a feature provides it)."""


@dataclass(frozen=True)
class ReconcileStats:
    """What one :meth:`ReminderEngine.reconcile` left scheduled."""

    delegates: int
    scheduled: int


def _chunks(values: Sequence[Any], size: int = SQL_CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _key(s: Session) -> tuple[Any, ...]:
    return (s.start, moment_of(s), s.stream, kind_of(s), s.cancelled)


def affected_sessions(old: Programme, new: Programme) -> set[str]:
    """Sessions whose reminders may change: added, removed, moved, re-streamed, turned into a visit."""
    before = {s.id: _key(s) for s in old.sessions}
    after = {s.id: _key(s) for s in new.sessions}
    return {sid for sid in before.keys() | after.keys() if before.get(sid) != after.get(sid)}


class ReminderEngine:
    """Derives the reminder schedule from the database and sends what is due, once."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        programmes: ProgrammeHolder,
        users: Users,
        push: PushPort,
        audience: Audience,
        render: Renderer,
        on_schedule_change: Callable[[], Awaitable[None]] | None = None,
        rate_of: Callable[[str], float | None] | None = None,
    ) -> None:
        self.rate_of = rate_of
        """Messages a second a channel can send (None: no limit worth planning for), for bursts."""
        self.db = db
        self.clock = clock
        self.programmes = programmes
        self.users = users
        self.push = push
        self.audience = audience
        self.render = render
        self.on_schedule_change = on_schedule_change
        """Told when the earliest due reminder may have moved (the wake-up path re-arms)."""
        self._lock = asyncio.Lock()
        # the schedule: per delegate, session id -> due instant (UTC ISO text, which sorts);
        # the heap orders the same entries by due time, stale ones are skipped when popped
        self._by_user: dict[int, dict[str, str]] = {}
        self._heap: list[tuple[str, int, str]] = []

    async def _rearm(self) -> None:
        if self.on_schedule_change is not None:
            await self.on_schedule_change()

    async def on_programme_change(self, old: Programme, new: Programme) -> None:
        """A reload: reschedule the delegates concerned by what moved.

        A session whose time moved is reminded again at its new time, also
        where its reminder already went out: that record is dropped.
        """
        def compare() -> tuple[list[str], Collection[str]]:
            before = {s.id: moment_of(s) for s in old.sessions}
            moved = sorted(s.id for s in new.sessions if s.id in before and before[s.id] != moment_of(s))
            return moved, affected_sessions(old, new)

        # both versions compared session by session: not on the event loop at congress scale
        moved, affected = await asyncio.to_thread(compare)
        for part in _chunks(moved):
            await self.db.execute(f"DELETE FROM sent_reminders WHERE session_id IN ({','.join('?' * len(part))})", tuple(part))
        await self.reschedule_sessions(affected)

    # -- schedule -------------------------------------------------------------

    async def reconcile(self, *, users: Collection[int] | None = None) -> ReconcileStats:
        """Recompute the schedule of some delegates, or (none given) of everyone."""
        async with self._lock:
            stats = await self._reconcile(sorted(set(users)) if users is not None else None)
        await self._rearm()
        logger.debug("reminders rescheduled for %d delegates: %d pending", stats.delegates, stats.scheduled)
        return stats

    async def reschedule_sessions(self, sessions: Collection[str]) -> ReconcileStats | None:
        """Reschedule every delegate who has, or may now want, a reminder of these sessions."""
        if not sessions:
            return None
        wanted = set(sessions)
        concerned = {uid for uid, entries in self._by_user.items() if not wanted.isdisjoint(entries)}
        concerned |= await self.audience.concerned_by_sessions(self.programmes.agenda, wanted)
        if not concerned:
            return None
        stats = await self.reconcile(users=concerned)
        logger.info("programme change: %d sessions, reminders of %d delegates rescheduled", len(wanted), stats.delegates)
        return stats

    async def _reconcile(self, user_list: list[int] | None) -> ReconcileStats:
        now = self.clock.now()
        agenda = self.programmes.agenda
        upcoming = {s.id: s for s in agenda.sessions if moment_of(s) > now and not s.cancelled}
        by_stream: dict[str, list[str]] = defaultdict(list)
        for sid, s in upcoming.items():
            if s.stream:
                by_stream[s.stream].append(sid)
        kinds = {sid: kind_of(s).value for sid, s in upcoming.items()}

        async with self.db.transaction() as conn:  # one consistent snapshot of every choice

            async def select(sql: str) -> list[tuple[Any, ...]]:
                """``sql`` for everyone, or for ``user_list`` in chunks, as plain tuples."""
                if user_list is None:
                    statements: Iterable[tuple[str, Sequence[Any]]] = [(sql, ())]
                else:
                    statements = (
                        (f"{sql} WHERE user_id IN ({','.join('?' * len(part))})", part) for part in _chunks(user_list)
                    )
                rows: list[tuple[Any, ...]] = []
                for statement, params in statements:
                    if user_list is not None:
                        # a few delegates (a bookmark, a subscription): one trip to the database
                        # thread per statement, where execute, fetch and close were three
                        rows.extend(tuple(r) for r in await conn.execute_fetchall(statement, params))
                        continue
                    cur = await conn.execute(statement, params)
                    cur.row_factory = None  # type: ignore[assignment]
                    rows.extend(await cur.fetchall())
                    await cur.close()
                return rows

            settings_rows = await select("SELECT user_id, enabled, lead_minutes FROM reminder_settings")
            chosen = await select("SELECT user_id, session_id FROM bookmarks")
            chosen += await select("SELECT user_id, session_id FROM visit_signups")
            followed = await select("SELECT user_id, stream_id FROM stream_subscriptions")
            sent_rows = await select("SELECT user_id, session_id, kind FROM sent_reminders")

        settings = {uid: (bool(enabled), lead) for uid, enabled, lead in settings_rows}
        sent = set(sent_rows)
        due_cache: dict[tuple[str, int | None], str] = {}
        schedule: dict[int, dict[str, str]] = {}
        default = (True, None)

        def add(uid: int, sid: str) -> None:
            enabled, lead = settings.get(uid, default)
            if not enabled or (uid, sid, kinds[sid]) in sent:
                return
            due = due_cache.get((sid, lead))
            if due is None:
                session = upcoming[sid]
                due = due_cache[(sid, lead)] = iso(moment_of(session) - lead_for(session, lead))
            entries = schedule.get(uid)
            if entries is None:
                entries = schedule[uid] = {}
            entries[sid] = due

        for uid, sid in chosen:
            if sid in upcoming:
                add(uid, sid)
        for uid, stream_id in followed:
            for sid in by_stream.get(stream_id, ()):
                add(uid, sid)
        if self.rate_of is not None and schedule:
            await self._plan_bursts(schedule)

        if user_list is None:
            self._by_user = schedule
            self._heap = [(due, uid, sid) for uid, entries in schedule.items() for sid, due in entries.items()]
            heapq.heapify(self._heap)
        else:
            for uid in user_list:
                entries = schedule.get(uid)
                if entries:
                    self._by_user[uid] = entries
                    for sid, due in entries.items():
                        heapq.heappush(self._heap, (due, uid, sid))
                else:
                    self._by_user.pop(uid, None)
            self._compact()
        return ReconcileStats(len(schedule), sum(len(e) for e in schedule.values()))

    async def _plan_bursts(self, schedule: dict[int, dict[str, str]]) -> None:
        """Move reminders earlier where a channel could not send them all by their due time.

        5,000 followers of one session at Telegram's 30 messages a second take
        almost three minutes: sent from the lead time on, the last would be
        late by that much.  Per channel, latest first, each reminder is planned
        no later than its due time and at least one sending slot before the
        next one, so every delegate has it by their lead time, and no earlier
        than the burst needs.  The last of a burst goes :data:`BURST_MARGIN`
        ahead, so its send's round trip does not make it late.
        """
        assert self.rate_of is not None
        ids = sorted(schedule)
        channels: dict[int, str] = {}
        for part in _chunks(ids):
            rows = await self.db.fetchall(f"SELECT id, channel FROM users WHERE id IN ({','.join('?' * len(part))})", tuple(part))
            channels.update((r[0], r[1]) for r in rows)
        by_channel: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
        for uid, entries in schedule.items():
            for sid, due in entries.items():
                by_channel[channels.get(uid, "")].append((due, uid, sid))
        for channel, entries in by_channel.items():
            rate = self.rate_of(channel)
            if not rate or len(entries) < 2:
                continue
            slot = dt.timedelta(seconds=1 / rate)
            entries.sort(reverse=True)
            dues = [parse_iso(e[0]) for e in entries]
            latest: dt.datetime | None = None
            for k, (_due_iso, uid, sid) in enumerate(entries):
                due = dues[k]
                if latest is not None and due > latest - slot:
                    planned = latest - slot  # behind the next one, in the burst
                elif k + 1 < len(entries) and dues[k + 1] > due - slot:
                    planned = due - BURST_MARGIN  # the last of a burst: ahead by a round trip and a wake-up
                else:
                    planned = due
                if planned != due:
                    schedule[uid][sid] = iso(planned)
                latest = planned

    def _compact(self) -> None:
        """Drop stale heap entries once they outnumber the live ones."""
        live = sum(len(e) for e in self._by_user.values())
        if len(self._heap) > 2 * live + 1024:
            self._heap = [(due, uid, sid) for uid, entries in self._by_user.items() for sid, due in entries.items()]
            heapq.heapify(self._heap)

    def _is_live(self, entry: tuple[str, int, str]) -> bool:
        due, uid, sid = entry
        return self._by_user.get(uid, {}).get(sid) == due

    async def next_due(self) -> dt.datetime | None:
        """When the earliest pending reminder falls due (it may be in the past)."""
        while self._heap and not self._is_live(self._heap[0]):
            heapq.heappop(self._heap)
        return parse_iso(self._heap[0][0]) if self._heap else None

    async def pending(self, user_id: int) -> list[tuple[str, dt.datetime]]:
        """A delegate's pending reminders as (session id, due), earliest first."""
        entries = self._by_user.get(user_id, {})
        return sorted(((sid, parse_iso(due)) for sid, due in entries.items()), key=lambda e: (e[1], e[0]))

    def scheduled(self) -> int:
        """How many reminders are pending, for everyone."""
        return sum(len(e) for e in self._by_user.values())

    # -- sending --------------------------------------------------------------

    def _take_due(self, now_iso: str) -> list[tuple[str, int, str]]:
        """Remove and return up to ``FIRE_BATCH`` live entries due by ``now_iso``."""
        batch: list[tuple[str, int, str]] = []
        while self._heap and self._heap[0][0] <= now_iso and len(batch) < FIRE_BATCH:
            entry = heapq.heappop(self._heap)
            if self._is_live(entry):
                due, uid, sid = entry
                entries = self._by_user[uid]
                del entries[sid]
                if not entries:
                    del self._by_user[uid]
                batch.append(entry)
        return batch

    async def fire_due(self) -> int:
        """Push every reminder due by now whose session has not begun; drop the rest. Returns how many were pushed."""
        pushed = 0
        async with self._lock:
            while True:
                now = self.clock.now()
                batch = self._take_due(iso(now))
                if not batch:
                    break
                user_ids = sorted({uid for _due, uid, _sid in batch})
                already: set[tuple[int, str, str]] = set()
                for part in _chunks(user_ids):
                    rows = await self.db.fetchall(
                        f"SELECT user_id, session_id, kind FROM sent_reminders WHERE user_id IN ({','.join('?' * len(part))})",
                        tuple(part),
                    )
                    already.update((r[0], r[1], r[2]) for r in rows)
                records: dict[int, UserRecord | None] = {}
                agenda = self.programmes.agenda
                sent: list[tuple[int, str, str, str, str]] = []
                for due, uid, sid in batch:
                    session = agenda.session(sid)
                    if session is None or session.id != sid or moment_of(session) <= now:
                        continue  # gone from the programme, or too late to be useful
                    kind = kind_of(session)
                    if (uid, sid, kind.value) in already:
                        continue
                    if uid not in records:
                        records[uid] = await self.users.get(uid)
                    user = records[uid]
                    if user is None or not user.active:
                        continue
                    try:
                        replies = self.render(user, session, kind, now)
                        await self.push.push(uid, user.channel, replies, dedupe_key=dedupe_key(sid, kind, moment_of(session)), priority=Priority.REMINDER)
                    except asyncio.CancelledError:
                        raise
                    except Exception:  # one broken reminder must not block the others
                        logger.exception("could not push reminder %s for user %s", dedupe_key(sid, kind), uid)
                        continue
                    sent.append((uid, sid, kind.value, due, iso(now)))
                    pushed += 1
                if sent:
                    async with self.db.transaction() as conn:
                        await conn.executemany(
                            "INSERT INTO sent_reminders (user_id, session_id, kind, due_at, sent_at) VALUES (?, ?, ?, ?, ?) "
                            "ON CONFLICT DO NOTHING",
                            sent,
                        )
                skipped = len(batch) - len(sent)
                if skipped:
                    logger.info("%d due reminders not sent: session begun or gone, already sent, or delegate unreachable", skipped)
        await self._rearm()
        return pushed
