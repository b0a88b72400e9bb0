"""Reminders: derived from what delegates chose, kept in the database, sent once.

The ``reminders`` table is the schedule.  :meth:`ReminderEngine.reconcile`
recomputes the wanted reminders from bookmarks, followed streams, site-visit
sign-ups, each delegate's settings and the programme, and brings the
*pending* rows in line (insert, move, delete); rows already ``sent`` or
``dropped`` are never touched, and the primary key (delegate, session, kind)
means a delegate is reminded of a session at most once.

:meth:`ReminderEngine.fire_due` turns due rows into outbox items (through the
:class:`~bot.notify.outbox.PushPort`, deduplicated there as well) and marks
them sent; a due reminder whose session has already begun is dropped.
APScheduler only wakes the service when the next reminder is due; tests and
the console call :meth:`fire_due` directly while they move a ManualClock.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import enum
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from bot.conversation import Reply
from bot.programme import Programme, Session
from bot.store.db import iso, parse_iso
from bot.store.users import UserRecord

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from bot.app import Core

logger = logging.getLogger(__name__)

DEFAULT_LEAD: Final = dt.timedelta(minutes=15)
DEFAULT_VISIT_LEAD: Final = dt.timedelta(minutes=30)
FIRE_BATCH: Final = 500
SQL_CHUNK: Final = 500  # ids per IN (...) list, well under SQLite's variable limit
JOB_ID: Final = "reminders-wake"


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


def dedupe_key(session_id: str, kind: Kind | str) -> str:
    """The outbox key of a reminder, so the outbox refuses a second copy too."""
    return f"reminder:{Kind(kind).value}:{session_id}"


Renderer = Callable[["Core", UserRecord, Session, Kind, dt.datetime], Sequence[Reply]]


@dataclass(frozen=True)
class ReconcileStats:
    """What one :meth:`ReminderEngine.reconcile` changed."""

    wanted: int
    inserted: int
    moved: int
    deleted: int


def _chunks(values: Sequence[Any], size: int = SQL_CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def affected_sessions(old: Programme, new: Programme) -> set[str]:
    """Sessions whose reminders may change: added, removed, moved, re-streamed, turned into a visit."""

    def key(s: Session) -> tuple[Any, ...]:
        return (s.start, moment_of(s), s.stream, kind_of(s))

    before = {s.id: key(s) for s in old.sessions}
    after = {s.id: key(s) for s in new.sessions}
    return {sid for sid in before.keys() | after.keys() if before.get(sid) != after.get(sid)}


class ReminderEngine:
    """Keeps the ``reminders`` table in line with delegates' choices and sends what is due."""

    def __init__(self, core: Core, render: Renderer) -> None:
        self.core = core
        self.db = core.db
        self.render = render
        self._lock = asyncio.Lock()
        self._scheduler: AsyncIOScheduler | None = None

    # -- schedule -------------------------------------------------------------

    async def reconcile(
        self, *, users: Collection[int] | None = None, sessions: Collection[str] | None = None
    ) -> ReconcileStats:
        """Recompute pending reminders for some delegates, some sessions, or (neither given) everyone."""
        async with self._lock:
            stats = await self._reconcile(users, sessions)
        await self._rearm()
        if stats.inserted or stats.moved or stats.deleted:
            logger.info(
                "reminders reconciled: %d wanted, %d added, %d moved, %d cancelled",
                stats.wanted, stats.inserted, stats.moved, stats.deleted,
            )
        return stats

    async def _reconcile(self, users: Collection[int] | None, sessions: Collection[str] | None) -> ReconcileStats:
        now = self.core.clock.now()
        agenda = self.core.programmes.agenda
        if sessions is None:
            in_scope = {s.id: s for s in agenda.sessions}
        else:
            in_scope = {sid: s for sid in sessions if (s := agenda.session(sid)) is not None and s.id == sid}
        upcoming = {sid: s for sid, s in in_scope.items() if moment_of(s) > now}
        by_stream: dict[str, list[str]] = defaultdict(list)
        for sid, s in upcoming.items():
            if s.stream:
                by_stream[s.stream].append(sid)
        user_list = sorted(set(users)) if users is not None else None
        session_list = sorted(set(sessions)) if sessions is not None else None

        async with self.db.transaction() as conn:

            async def select(sql: str, column: str | None, values: Sequence[Any] | None) -> list[tuple[Any, ...]]:
                """Run ``sql`` (optionally ``AND column IN (...)`` over ``values``, chunked) as plain tuples."""
                if column is None or values is None:
                    batches: Iterable[tuple[str, Sequence[Any]]] = [(sql, ())]
                else:
                    joiner = " AND " if " WHERE " in sql else " WHERE "
                    batches = (
                        (f"{sql}{joiner}{column} IN ({','.join('?' * len(part))})", part) for part in _chunks(values)
                    )
                rows: list[tuple[Any, ...]] = []
                for statement, params in batches:
                    cur = await conn.execute(statement, params)
                    cur.row_factory = None  # type: ignore[assignment]
                    rows.extend(await cur.fetchall())
                    await cur.close()
                return rows

            by_user = user_list is not None
            if by_user:
                col, vals = "user_id", user_list
                bookmark_rows = await select("SELECT user_id, session_id FROM bookmarks", col, vals)
                signup_rows = await select("SELECT user_id, session_id FROM visit_signups", col, vals)
                sub_rows = await select("SELECT user_id, stream_id FROM stream_subscriptions", col, vals)
                existing_rows = await select(
                    "SELECT user_id, session_id, kind, due_at, status FROM reminders", col, vals
                )
            else:
                bookmark_rows = await select("SELECT user_id, session_id FROM bookmarks", "session_id", session_list)
                signup_rows = await select("SELECT user_id, session_id FROM visit_signups", "session_id", session_list)
                sub_rows = await select(
                    "SELECT user_id, stream_id FROM stream_subscriptions", "stream_id",
                    sorted(by_stream) if session_list is not None else None,
                )
                existing_rows = await select(
                    "SELECT user_id, session_id, kind, due_at, status FROM reminders", "session_id", session_list
                )
            settings_rows = await select(
                "SELECT user_id, enabled, lead_minutes FROM reminder_settings", "user_id", user_list
            )
            if users is not None and sessions is not None:
                # both limits: keep the rows of these sessions only
                wanted_sessions = set(sessions)
                bookmark_rows = [r for r in bookmark_rows if r[1] in wanted_sessions]
                signup_rows = [r for r in signup_rows if r[1] in wanted_sessions]
                existing_rows = [r for r in existing_rows if r[1] in wanted_sessions]

            settings = {uid: (bool(enabled), lead) for uid, enabled, lead in settings_rows}
            due_cache: dict[tuple[str, int | None], str] = {}

            def due_iso(session: Session, lead: int | None) -> str:
                key = (session.id, lead)
                value = due_cache.get(key)
                if value is None:
                    value = due_cache[key] = iso(moment_of(session) - lead_for(session, lead))
                return value

            kinds = {sid: kind_of(s).value for sid, s in upcoming.items()}
            wanted: dict[tuple[int, str, str], str] = {}

            def want(uid: int, sid: str) -> None:
                session = upcoming.get(sid)
                if session is None:
                    return
                enabled, lead = settings.get(uid, (True, None))
                if enabled:
                    wanted[(uid, sid, kinds[sid])] = due_iso(session, lead)

            for uid, sid in bookmark_rows:
                want(uid, sid)
            for uid, sid in signup_rows:
                want(uid, sid)
            for uid, stream_id in sub_rows:
                for sid in by_stream.get(stream_id, ()):
                    want(uid, sid)

            inserts: list[tuple[Any, ...]] = []
            moves: list[tuple[Any, ...]] = []
            deletes: list[tuple[Any, ...]] = []
            seen: set[tuple[int, str, str]] = set()
            for uid, sid, kind, due, status in existing_rows:
                key = (uid, sid, kind)
                seen.add(key)
                if status != "pending":
                    continue
                target = wanted.get(key)
                if target is None:
                    deletes.append(key)
                elif target != due:
                    moves.append((target, uid, sid, kind))
            for key, due in wanted.items():
                if key not in seen:
                    inserts.append((*key, due))
            if inserts:
                await conn.executemany(
                    "INSERT INTO reminders (user_id, session_id, kind, due_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT DO NOTHING",
                    inserts,
                )
            if moves:
                await conn.executemany(
                    "UPDATE reminders SET due_at = ? WHERE user_id = ? AND session_id = ? AND kind = ? "
                    "AND status = 'pending'",
                    moves,
                )
            if deletes:
                await conn.executemany(
                    "DELETE FROM reminders WHERE user_id = ? AND session_id = ? AND kind = ? AND status = 'pending'",
                    deletes,
                )
        return ReconcileStats(len(wanted), len(inserts), len(moves), len(deletes))

    async def next_due(self) -> dt.datetime | None:
        """When the earliest pending reminder falls due (it may be in the past)."""
        row = await self.db.fetchone("SELECT MIN(due_at) FROM reminders WHERE status = 'pending'")
        return parse_iso(row[0]) if row and row[0] else None

    async def pending(self, user_id: int) -> list[tuple[str, str, dt.datetime]]:
        """A delegate's pending reminders as (session id, kind, due), earliest first."""
        rows = await self.db.fetchall(
            "SELECT session_id, kind, due_at FROM reminders WHERE user_id = ? AND status = 'pending' ORDER BY due_at",
            (user_id,),
        )
        return [(r[0], r[1], parse_iso(r[2])) for r in rows]

    # -- sending --------------------------------------------------------------

    async def fire_due(self) -> int:
        """Push every reminder due by now whose session has not begun; drop the rest. Returns how many were pushed."""
        pushed = 0
        async with self._lock:
            while True:
                now = self.core.clock.now()
                rows = await self.db.fetchall(
                    "SELECT user_id, session_id, kind FROM reminders WHERE status = 'pending' AND due_at <= ? "
                    "ORDER BY due_at LIMIT ?",
                    (iso(now), FIRE_BATCH),
                )
                if not rows:
                    break
                records: dict[int, UserRecord | None] = {}
                outcomes: list[tuple[str, str, int, str, str]] = []
                agenda = self.core.programmes.agenda
                for uid, sid, kind in rows:
                    if uid not in records:
                        records[uid] = await self.core.users.get(uid)
                    user = records[uid]
                    session = agenda.session(sid)
                    status = "dropped"
                    if (
                        session is not None and session.id == sid and kind_of(session).value == kind
                        and moment_of(session) > now and user is not None and user.active
                    ):
                        try:
                            replies = self.render(self.core, user, session, Kind(kind), now)
                            await self.core.push.push(uid, user.channel, replies, dedupe_key=dedupe_key(sid, kind))
                            status = "sent"
                            pushed += 1
                        except asyncio.CancelledError:
                            raise
                        except Exception:  # one broken reminder must not block the others
                            logger.exception("could not push reminder %s for user %s", dedupe_key(sid, kind), uid)
                    outcomes.append((status, iso(now), uid, sid, kind))
                async with self.db.transaction() as conn:
                    await conn.executemany(
                        "UPDATE reminders SET status = ?, done_at = ? WHERE user_id = ? AND session_id = ? AND kind = ?",
                        outcomes,
                    )
                dropped = sum(1 for o in outcomes if o[0] == "dropped")
                if dropped:
                    logger.info("dropped %d reminders whose sessions had begun or whose delegates left", dropped)
        await self._rearm()
        return pushed

    # -- waking up (production) -----------------------------------------------

    async def start(self) -> None:
        """Start APScheduler and send what fell due while the service was down (an ``on_start`` hook)."""
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        if self._scheduler is None:
            self._scheduler = AsyncIOScheduler(timezone=dt.timezone.utc)
            self._scheduler.start()
        await self.fire_due()

    async def stop(self) -> None:
        if self._scheduler is not None:
            with contextlib.suppress(Exception):
                self._scheduler.shutdown(wait=False)
            self._scheduler = None

    async def _wake(self) -> None:
        try:
            await self.fire_due()
        except Exception:
            logger.exception("sending due reminders failed; retrying in a minute")
            self._arm(self.core.clock.now() + dt.timedelta(minutes=1))

    async def _rearm(self) -> None:
        if self._scheduler is not None:
            self._arm(await self.next_due())

    def _arm(self, due: dt.datetime | None) -> None:
        """Wake at ``due`` on the service clock (which may run ahead of the wall clock in a rehearsal)."""
        scheduler = self._scheduler
        if scheduler is None:
            return
        if due is None:
            with contextlib.suppress(Exception):
                scheduler.remove_job(JOB_ID)
            return
        delay = max(dt.timedelta(0), due - self.core.clock.now())
        scheduler.add_job(
            self._wake, "date", run_date=dt.datetime.now(dt.timezone.utc) + delay, id=JOB_ID,
            replace_existing=True, misfire_grace_time=None, coalesce=True,
        )


def install(core: Core, engine: ReminderEngine) -> None:
    """Hook the engine into the core: programme changes, console ticks, service start and stop."""
    core.services["reminders"] = engine

    async def on_programme_change(old: Programme, new: Programme) -> None:
        changed = affected_sessions(old, new)
        if changed:
            await engine.reconcile(sessions=changed)

    core.programmes.on_change(on_programme_change)
    previous: Callable[[], Awaitable[Any]] | None = core.services.get("tick")

    async def tick() -> None:
        if previous is not None:
            await previous()
        await engine.fire_due()

    core.services["tick"] = tick
    core.services.setdefault("next_due", []).append(engine.next_due)
    core.services.setdefault("on_start", []).append(engine.start)
    core.services.setdefault("on_close", []).append(engine.stop)
