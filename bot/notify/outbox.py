"""The outbox: pushed messages are written first, then delivered.

Reminders and broadcasts are rows in ``outbox``.  A :class:`DeliveryWorker`
per channel claims due rows, hands them to that channel's :class:`Sender` and
records the outcome.  A row is claimed (``sending``, committed) before it is
sent, so no item is ever sent twice to the same person: an item interrupted
mid-send by a crash is recorded as failed on the next start, not resent.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, Union

from bot.clock import Clock
from bot.conversation import Reply, UserRef
from bot.notify import codec
from bot.store.db import Database, iso, parse_iso

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class Delivered:
    """The platform accepted the message."""


@dataclass(frozen=True)
class Retry:
    """A passing failure (rate limit, network): try again after ``after``."""

    reason: str
    after: dt.timedelta = dt.timedelta(seconds=5)


@dataclass(frozen=True)
class Failed:
    """A final failure (blocked, unknown user, outside the window): never retried."""

    reason: str
    deactivate: bool = False


Outcome = Union[Delivered, Retry, Failed]


@dataclass(frozen=True)
class OutboxItem:
    id: int
    user_id: int
    user: UserRef
    dedupe_key: str | None
    replies: tuple[Reply, ...]
    attempts: int
    not_before: dt.datetime


class Sender(Protocol):
    """A channel's way of pushing messages; it applies the channel's rate limits."""

    channel: str

    async def send(self, user: UserRef, replies: tuple[Reply, ...]) -> Outcome: ...


class Outbox:
    def __init__(self, db: Database, on_deactivate: Callable[[int], None] | None = None) -> None:
        self.db = db
        self.on_deactivate = on_deactivate
        """Told the id of a delegate this outbox marked unreachable (user caches forget them)."""

    async def enqueue(
        self,
        user_id: int,
        channel: str,
        replies: Sequence[Reply],
        *,
        not_before: dt.datetime,
        now: dt.datetime,
        dedupe_key: str | None = None,
    ) -> int | None:
        """Add an item; with a ``dedupe_key`` already used for this user, nothing is added (None)."""
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                """
                INSERT INTO outbox (user_id, channel, dedupe_key, payload, not_before, created_at)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (user_id, dedupe_key) DO NOTHING
                """,
                (user_id, channel, dedupe_key, codec.dumps(tuple(replies)), iso(not_before), iso(now)),
            )
            return cur.lastrowid if cur.rowcount else None

    async def claim_due(self, channel: str, now: dt.datetime, limit: int = 100) -> list[OutboxItem]:
        """Mark up to ``limit`` due items ``sending`` (committed) and return them."""
        async with self.db.transaction() as conn:
            async with conn.execute(
                """
                SELECT o.id, o.user_id, u.channel, u.platform_id, o.dedupe_key, o.payload,
                       o.attempts, o.not_before
                FROM outbox o JOIN users u ON u.id = o.user_id
                WHERE o.channel = ? AND o.status = 'pending' AND o.not_before <= ?
                ORDER BY o.not_before, o.id
                LIMIT ?
                """,
                (channel, iso(now), limit),
            ) as cur:
                rows = list(await cur.fetchall())
            if rows:
                await conn.executemany(
                    "UPDATE outbox SET status = 'sending', attempts = attempts + 1 WHERE id = ?",
                    [(r["id"],) for r in rows],
                )
        return [
            OutboxItem(
                id=r["id"],
                user_id=r["user_id"],
                user=UserRef(r["channel"], r["platform_id"]),
                dedupe_key=r["dedupe_key"],
                replies=codec.loads(r["payload"]),
                attempts=r["attempts"] + 1,
                not_before=parse_iso(r["not_before"]),
            )
            for r in rows
        ]

    async def record(self, item: OutboxItem, outcome: Outcome, now: dt.datetime) -> None:
        """Store what became of a claimed item."""
        async with self.db.transaction() as conn:
            if isinstance(outcome, Delivered):
                await conn.execute(
                    "UPDATE outbox SET status = 'sent', sent_at = ?, last_error = NULL WHERE id = ?",
                    (iso(now), item.id),
                )
            elif isinstance(outcome, Retry) and item.attempts < MAX_ATTEMPTS:
                await conn.execute(
                    "UPDATE outbox SET status = 'pending', not_before = ?, last_error = ? WHERE id = ?",
                    (iso(now + outcome.after), outcome.reason, item.id),
                )
            else:
                reason = outcome.reason if not isinstance(outcome, Retry) else f"gave up after {item.attempts} attempts: {outcome.reason}"
                await conn.execute(
                    "UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ?", (reason, item.id)
                )
                if isinstance(outcome, Failed) and outcome.deactivate:
                    await conn.execute("UPDATE users SET active = 0 WHERE id = ?", (item.user_id,))
        if isinstance(outcome, Failed) and outcome.deactivate and self.on_deactivate is not None:
            self.on_deactivate(item.user_id)

    async def recover_interrupted(self) -> int:
        """Items left ``sending`` by a crash may have gone out: fail them rather than resend."""
        return await self.db.execute(
            "UPDATE outbox SET status = 'failed', last_error = 'interrupted while sending; not resent' "
            "WHERE status = 'sending'"
        )

    async def cancel(self, user_id: int, key_prefix: str) -> int:
        """Cancel this user's pending items whose dedupe key starts with ``key_prefix``."""
        return await self.db.execute(
            "UPDATE outbox SET status = 'cancelled' WHERE user_id = ? AND status = 'pending' "
            "AND substr(dedupe_key, 1, ?) = ?",
            (user_id, len(key_prefix), key_prefix),
        )

    async def next_due(self, channel: str) -> dt.datetime | None:
        row = await self.db.fetchone(
            "SELECT MIN(not_before) FROM outbox WHERE channel = ? AND status = 'pending'", (channel,)
        )
        return parse_iso(row[0]) if row and row[0] else None

    async def counts(self, channel: str | None = None) -> dict[str, int]:
        sql = "SELECT status, COUNT(*) FROM outbox" + (" WHERE channel = ?" if channel else "") + " GROUP BY status"
        rows = await self.db.fetchall(sql, (channel,) if channel else ())
        return {r[0]: r[1] for r in rows}


class DeliveryWorker:
    """Delivers one channel's due outbox items when woken.

    It never sleeps on the clock itself: :class:`PushPort` wakes it when an
    item is pushed or falls due (through the one wake-up path), and it reports
    when it is idle again so the next due item is armed.
    """

    def __init__(
        self,
        outbox: Outbox,
        sender: Sender,
        clock: Clock,
        *,
        batch: int = 100,
        on_idle: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.outbox = outbox
        self.sender = sender
        self.clock = clock
        self.batch = batch
        self.on_idle = on_idle
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.busy = False
        """Woken or draining: what is due on this channel is being taken care of."""

    @property
    def channel(self) -> str:
        return self.sender.channel

    def wake(self) -> None:
        """Something may be due: look now (in the running task)."""
        self.busy = self._task is not None
        self._wake.set()

    async def drain(self) -> int:
        """Deliver everything due now; returns how many items were attempted."""
        attempted = 0
        while items := await self.outbox.claim_due(self.channel, self.clock.now(), self.batch):
            for item in items:
                try:
                    outcome = await self.sender.send(item.user, item.replies)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # a sender bug must not stop deliveries to others
                    logger.exception("sender %s raised on outbox item %s", self.channel, item.id)
                    outcome = Retry(f"{type(exc).__name__}")
                await self.outbox.record(item, outcome, self.clock.now())
                attempted += 1
        return attempted

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            self.busy = True
            try:
                await self.drain()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database went away for a moment: the wake-up path tries again
                logger.exception("delivering %s outbox items failed", self.channel)
            finally:
                self.busy = self._wake.is_set()
            if self.on_idle is not None:
                await self.on_idle()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name=f"outbox-{self.channel}")
            self.wake()  # what fell due while the service was down

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
            self.busy = False


class PushPort:
    """The channel-neutral way to push messages: write to the outbox, wake the channel's worker.

    It is also the outbox's participant in the one wake-up path
    (:class:`~bot.notify.wakeups.Wakeups`): it tells when the next item falls
    due on a channel that is not already busy, and wakes the workers then.
    """

    def __init__(self, outbox: Outbox, clock: Clock) -> None:
        self.outbox = outbox
        self.clock = clock
        self.workers: dict[str, DeliveryWorker] = {}
        self.on_schedule_change: Callable[[], Awaitable[None]] | None = None
        """Told when an item was pushed for later, or a worker is idle again (the wake-up path re-arms)."""

    def attach(self, sender: Sender) -> DeliveryWorker:
        worker = DeliveryWorker(self.outbox, sender, self.clock, on_idle=self._schedule_changed)
        self.workers[sender.channel] = worker
        return worker

    async def _schedule_changed(self) -> None:
        if self.on_schedule_change is not None:
            await self.on_schedule_change()

    async def push(
        self,
        user_id: int,
        channel: str,
        replies: Sequence[Reply],
        *,
        at: dt.datetime | None = None,
        dedupe_key: str | None = None,
    ) -> int | None:
        now = self.clock.now()
        item = await self.outbox.enqueue(
            user_id, channel, replies, not_before=at or now, now=now, dedupe_key=dedupe_key
        )
        worker = self.workers.get(channel)
        if worker is not None and item is not None:
            if at is None or at <= now:
                worker.wake()
            else:
                await self._schedule_changed()
        return item

    async def drain(self) -> int:
        """Deliver everything due now on every channel (console, tests)."""
        return sum([await w.drain() for w in self.workers.values()])

    # -- the wake-up path -------------------------------------------------------

    async def next_due(self) -> dt.datetime | None:
        dues = [
            d for channel, worker in self.workers.items()
            if not worker.busy and (d := await self.outbox.next_due(channel)) is not None
        ]
        return min(dues) if dues else None

    async def fire_due(self) -> None:
        now = self.clock.now()
        for channel, worker in self.workers.items():
            due = await self.outbox.next_due(channel)
            if due is not None and due <= now:
                worker.wake()

    async def start(self) -> None:
        for worker in self.workers.values():
            worker.start()

    async def stop(self) -> None:
        for worker in self.workers.values():
            await worker.stop()
