"""The outbox: pushed messages are written first, then delivered.

Reminders, late answers, change notices and broadcasts are rows in
``outbox``.  A :class:`DeliveryWorker` per channel takes due rows in order of
priority (reminders ahead of broadcasts), then due time, and for each one:

1. claims it (``sending``, committed) just before handing it to the channel's
   :class:`Sender`, so a crash leaves at most the one item in flight
   uncertain and everything not yet attempted still pending;
2. records the outcome: ``sent``; ``pending`` again after a passing failure
   (:class:`Retry`); ``failed`` for good (:class:`Failed`); ``uncertain``
   when the platform may have received it (:class:`Uncertain`: a time-out
   after the request left), which is never resent blindly.

An item whose replies go out as several messages keeps how many went in
``progress`` (the row, not memory), so a retry resumes after them.  On start,
items a crash left ``sending`` are counted and logged: a reminder, a
change notice or the rest of a direct answer is sent again (a missed
reminder is worse than a second one; the count says how many may be
duplicates), a broadcast's item becomes ``uncertain`` and is not resent
(its report says how many were in flight).
Items may belong to a campaign (a broadcast, a notice), whose counts by
outcome make its delivery report.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import enum
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol, Union

from bot.clock import Clock
from bot.conversation import Reply, UserRef
from bot.notify import codec
from bot.store.db import Database, iso, parse_iso

logger = logging.getLogger(__name__)

MAX_ATTEMPTS: Final = 8
#: On shutdown, sends under way get this long to finish before they are cancelled (their claim stays).
STOP_GRACE: Final = 5.0
#: Due items looked at per query; after each such batch the worker looks again, so a reminder
#: pushed in the middle of a broadcast goes out within one batch.
BATCH: Final = 20
UNCERTAIN_AFTER_CRASH: Final = "interrupted while sending (a crash or kill); it may have arrived, so it is not resent"
RESENT_AFTER_CRASH: Final = "interrupted while sending (a crash or kill); sent again, it may arrive twice"
#: How the reason of a failure that made the delegate unreachable (blocked the bot, unfollowed) begins.
UNREACHABLE: Final = "unreachable: "


class Priority(enum.IntEnum):
    """Lower goes first."""

    DIRECT = 0
    """The rest of a direct answer (a late WeChat reply)."""
    REMINDER = 10
    NOTICE = 20
    """A programme change for the people concerned."""
    BROADCAST = 30
    FEEDBACK = 40


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


@dataclass(frozen=True)
class Uncertain:
    """The platform may have received it (the request left, no answer came): never resent blindly."""

    reason: str


@dataclass(frozen=True)
class Held:
    """Not deliverable now (a WeChat follower's window is closed or spent): kept for their next reply."""

    reason: str


@dataclass(frozen=True)
class Defer:
    """Not now, by choice (a daily digest): pending again from ``until``, not counted as an attempt."""

    until: dt.datetime
    reason: str = "deferred"


Outcome = Union[Delivered, Retry, Failed, Uncertain, Held, Defer]


@dataclass(frozen=True)
class OutboxItem:
    id: int
    user_id: int
    user: UserRef
    dedupe_key: str | None
    replies: tuple[Reply, ...]
    attempts: int
    not_before: dt.datetime
    priority: int = Priority.NOTICE
    campaign_id: int | None = None
    progress: int = 0


@dataclass
class Delivery:
    """One claimed item as a sender sees it: who, what, and how many of its parts already went out.

    The sender skips the first :attr:`progress` parts (messages, in the
    channel's own unit) and calls :meth:`advanced` after each part it
    delivers, which stores the count in the row.
    """

    item: OutboxItem
    progress: int
    _store: Callable[[int], Awaitable[None]] = field(repr=False)

    @property
    def user(self) -> UserRef:
        return self.item.user

    @property
    def replies(self) -> tuple[Reply, ...]:
        return self.item.replies

    async def advanced(self, done: int) -> None:
        """``done`` parts of this item have now been delivered (committed before the next is sent)."""
        if done != self.progress:
            self.progress = done
            await self._store(done)


class Sender(Protocol):
    """A channel's way of pushing messages; it applies the channel's rate limits."""

    channel: str

    async def send(self, delivery: Delivery) -> Outcome: ...


_ITEM_COLUMNS: Final = (
    "o.id, o.user_id, u.channel, u.platform_id, o.dedupe_key, o.payload, o.attempts, o.not_before, "
    "o.priority, o.campaign_id, o.progress"
)


def _item(r: Sequence[object], attempts: int | None = None) -> OutboxItem:
    return OutboxItem(
        id=int(r[0]),  # type: ignore[arg-type]
        user_id=int(r[1]),  # type: ignore[arg-type]
        user=UserRef(str(r[2]), str(r[3])),
        dedupe_key=r[4],  # type: ignore[arg-type]
        replies=codec.loads(str(r[5])),
        attempts=int(r[6]) if attempts is None else attempts,  # type: ignore[arg-type]
        not_before=parse_iso(str(r[7])),
        priority=int(r[8]),  # type: ignore[arg-type]
        campaign_id=r[9],  # type: ignore[arg-type]
        progress=int(r[10]),  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class NewItem:
    """One item of a bulk enqueue (a campaign's audience)."""

    user_id: int
    channel: str
    replies: tuple[Reply, ...]
    not_before: dt.datetime | None = None
    """Later than the campaign's time for this person (their daily digest), if set."""


class Outbox:
    def __init__(self, db: Database, on_deactivate: Callable[[int], None] | None = None) -> None:
        self.db = db
        self.on_deactivate = on_deactivate
        """Told the id of a delegate this outbox marked unreachable (user caches forget them)."""
        self.on_delivered: Callable[[OutboxItem], Awaitable[None]] | None = None
        """Told of each item recorded as delivered (a pushed question's numbered choices become what numbers answer)."""
        self.uncertain_at_start = 0
        """How many items the last crash left in flight (see :meth:`recover_interrupted`)."""
        self.resent_at_start = 0
        """Of those, how many are sent again (reminders, notices, direct answers): at most that many duplicates."""

    async def enqueue(
        self,
        user_id: int,
        channel: str,
        replies: Sequence[Reply],
        *,
        not_before: dt.datetime,
        now: dt.datetime,
        dedupe_key: str | None = None,
        priority: int = Priority.NOTICE,
        campaign_id: int | None = None,
    ) -> int | None:
        """Add an item; with a ``dedupe_key`` already used for this user, nothing is added (None)."""
        rows = await self.db.execute_returning(
            """
            INSERT INTO outbox (user_id, channel, dedupe_key, payload, not_before, created_at, priority, campaign_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (user_id, dedupe_key) DO NOTHING
            RETURNING id
            """,
            (user_id, channel, dedupe_key, codec.dumps(tuple(replies)), iso(not_before), iso(now), int(priority), campaign_id),
        )
        return int(rows[0][0]) if rows else None

    async def enqueue_many(
        self,
        items: Sequence[NewItem],
        *,
        not_before: dt.datetime,
        now: dt.datetime,
        dedupe_key: str,
        priority: int,
        campaign_id: int | None = None,
    ) -> int:
        """Add many items in one transaction, one per person and ``dedupe_key``; returns how many were new."""
        if not items:
            return 0
        payloads: dict[tuple[Reply, ...], str] = {}
        rows = []
        for item in items:
            payload = payloads.get(item.replies)
            if payload is None:
                payload = payloads[item.replies] = codec.dumps(item.replies)
            rows.append((item.user_id, item.channel, dedupe_key, payload, iso(max(item.not_before or not_before, not_before)), iso(now), int(priority), campaign_id))
        async with self.db.transaction() as conn:
            before = conn.total_changes
            await conn.executemany(
                "INSERT INTO outbox (user_id, channel, dedupe_key, payload, not_before, created_at, priority, campaign_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, dedupe_key) DO NOTHING",
                rows,
            )
            added = conn.total_changes - before
        return added

    async def due(self, channel: str, now: dt.datetime, limit: int = BATCH) -> list[OutboxItem]:
        """The next due items of a channel, most urgent first (not claimed: see :meth:`claim`)."""
        rows = await self.db.fetchall(
            f"""
            SELECT {_ITEM_COLUMNS}
            FROM outbox o JOIN users u ON u.id = o.user_id
            WHERE o.channel = ? AND o.status = 'pending' AND o.not_before <= ?
            ORDER BY o.priority, o.not_before, o.id
            LIMIT ?
            """,
            (channel, iso(now), limit),
        )
        return [_item(r) for r in rows]

    async def claim(self, item: OutboxItem, now: dt.datetime) -> OutboxItem | None:
        """Mark one item ``sending`` (committed) just before it is sent; None if it is no longer pending."""
        rows = await self.db.execute_returning(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1, claimed_at = ? "
            "WHERE id = ? AND status = 'pending' RETURNING attempts, progress",
            (iso(now), item.id),
        )
        if not rows:
            return None
        return OutboxItem(**{**item.__dict__, "attempts": int(rows[0][0]), "progress": int(rows[0][1])})

    async def companions(self, item: OutboxItem, now: dt.datetime, limit: int = 10) -> list[OutboxItem]:
        """Claim the other due, untouched items of the same person and channel (to be merged into one message)."""
        rows = await self.db.fetchall(
            f"""
            SELECT {_ITEM_COLUMNS}
            FROM outbox o JOIN users u ON u.id = o.user_id
            WHERE o.user_id = ? AND o.channel = ? AND o.status = 'pending' AND o.not_before <= ? AND o.id != ? AND o.progress = 0
            ORDER BY o.priority, o.not_before, o.id
            LIMIT ?
            """,
            (item.user_id, item.user.channel, iso(now), item.id, limit),
        )
        claimed = []
        for row in rows:
            got = await self.claim(_item(row), now)
            if got is not None:
                claimed.append(got)
        return claimed

    async def take_held(self, user_id: int, now: dt.datetime) -> list[OutboxItem]:
        """The items held for this person, marked sent (they open the reply being written now)."""
        rows = await self.db.execute_returning(
            "UPDATE outbox SET status = 'sent', sent_at = ?, last_error = 'delivered at the top of a reply' "
            "WHERE user_id = ? AND status = 'held' RETURNING id",
            (iso(now), user_id),
        )
        if not rows:
            return []
        ids = [int(r[0]) for r in rows]
        found = await self.db.fetchall(
            f"SELECT {_ITEM_COLUMNS} FROM outbox o JOIN users u ON u.id = o.user_id WHERE o.id IN ({','.join('?' * len(ids))}) "
            "ORDER BY o.priority, o.not_before, o.id",
            tuple(ids),
        )
        return [_item(r) for r in found]

    async def held_count(self, user_id: int) -> int:
        row = await self.db.fetchone("SELECT COUNT(*) FROM outbox WHERE user_id = ? AND status = 'held'", (user_id,))
        return int(row[0]) if row else 0

    async def set_progress(self, item_id: int, done: int) -> None:
        await self.db.execute("UPDATE outbox SET progress = ? WHERE id = ?", (done, item_id))

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
            elif isinstance(outcome, Uncertain):
                await conn.execute(
                    "UPDATE outbox SET status = 'uncertain', last_error = ? WHERE id = ?", (outcome.reason, item.id)
                )
            elif isinstance(outcome, Held):
                await conn.execute("UPDATE outbox SET status = 'held', last_error = ? WHERE id = ?", (outcome.reason, item.id))
            elif isinstance(outcome, Defer):
                await conn.execute(
                    "UPDATE outbox SET status = 'pending', not_before = ?, attempts = MAX(0, attempts - 1), last_error = ? WHERE id = ?",
                    (iso(outcome.until), outcome.reason, item.id),
                )
            else:
                reason = outcome.reason if not isinstance(outcome, Retry) else f"gave up after {item.attempts} attempts: {outcome.reason}"
                if isinstance(outcome, Failed) and outcome.deactivate:
                    reason = UNREACHABLE + reason
                await conn.execute(
                    "UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ?", (reason, item.id)
                )
                if isinstance(outcome, Failed) and outcome.deactivate:
                    await conn.execute("UPDATE users SET active = 0 WHERE id = ?", (item.user_id,))
        if isinstance(outcome, Failed) and outcome.deactivate and self.on_deactivate is not None:
            self.on_deactivate(item.user_id)
        if isinstance(outcome, Delivered) and self.on_delivered is not None:
            try:
                await self.on_delivered(item)
            except asyncio.CancelledError:
                raise
            except Exception:  # the item went out; what follows it must not make it look failed
                logger.exception("after delivering outbox item %s", item.id)

    async def recover_interrupted(self) -> int:
        """Items a crash left ``sending``: time-critical ones go again, a broadcast's become uncertain.

        Returns how many were in flight.  Reminders, change notices and the
        rest of direct answers (priority ahead of broadcasts) are pending again,
        from the progress they had: at most one message each may arrive twice.
        A broadcast's items are marked uncertain and counted in its report.
        """
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE outbox SET status = 'pending', last_error = ? WHERE status = 'sending' AND priority < ?",
                (RESENT_AFTER_CRASH, int(Priority.BROADCAST)),
            )
            resent = cur.rowcount
            cur = await conn.execute(
                "UPDATE outbox SET status = 'uncertain', last_error = ? WHERE status = 'sending'", (UNCERTAIN_AFTER_CRASH,)
            )
            uncertain = cur.rowcount
        self.uncertain_at_start = resent + uncertain
        self.resent_at_start = resent
        if resent:
            logger.warning("%d reminder(s) or notice(s) were in flight when the bot stopped; sent again (each may arrive twice)", resent)
        if uncertain:
            logger.warning("%d broadcast message(s) were in flight when the bot stopped; marked uncertain, not resent", uncertain)
        return resent + uncertain

    async def cancel(self, user_id: int, key_prefix: str) -> int:
        """Cancel this user's pending items whose dedupe key starts with ``key_prefix``."""
        return await self.db.execute(
            "UPDATE outbox SET status = 'cancelled' WHERE user_id = ? AND status = 'pending' "
            "AND substr(dedupe_key, 1, ?) = ?",
            (user_id, len(key_prefix), key_prefix),
        )

    async def cancel_campaign(self, campaign_id: int) -> int:
        """Stop a campaign: what is not yet sent is cancelled (what is in flight finishes)."""
        return await self.db.execute(
            "UPDATE outbox SET status = 'cancelled' WHERE campaign_id = ? AND status = 'pending'", (campaign_id,)
        )

    async def next_due(self, channel: str, after: dt.datetime | None = None) -> dt.datetime | None:
        """When the channel's earliest pending item falls due (only those due after ``after``, if given)."""
        sql = "SELECT MIN(not_before) FROM outbox WHERE channel = ? AND status = 'pending'"
        params: tuple[object, ...] = (channel,)
        if after is not None:
            sql += " AND not_before > ?"
            params += (iso(after),)
        row = await self.db.fetchone(sql, params)
        return parse_iso(row[0]) if row and row[0] else None

    async def counts(self, channel: str | None = None) -> dict[str, int]:
        sql = "SELECT status, COUNT(*) FROM outbox" + (" WHERE channel = ?" if channel else "") + " GROUP BY status"
        rows = await self.db.fetchall(sql, (channel,) if channel else ())
        return {r[0]: r[1] for r in rows}

    async def campaign_counts(self, campaign_id: int) -> dict[str, int]:
        """A campaign's items by status: pending, sending, sent, failed, cancelled, uncertain."""
        rows = await self.db.fetchall(
            "SELECT status, COUNT(*) FROM outbox WHERE campaign_id = ? GROUP BY status", (campaign_id,)
        )
        return {r[0]: r[1] for r in rows}

    async def campaign_failures(self, campaign_id: int) -> dict[str, int]:
        """Why a campaign's failed items did not arrive, with how many each (``unreachable: ...`` for blocked)."""
        rows = await self.db.fetchall(
            "SELECT COALESCE(last_error, 'unknown'), COUNT(*) FROM outbox WHERE campaign_id = ? "
            "AND status = 'failed' GROUP BY 1 ORDER BY 2 DESC",
            (campaign_id,),
        )
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
        batch: int = BATCH,
        on_idle: Callable[[], Awaitable[None]] | None = None,
        observe: Callable[[str, OutboxItem, Outcome, dt.datetime], None] | None = None,
    ) -> None:
        self.outbox = outbox
        self.sender = sender
        self.clock = clock
        self.batch = batch
        self.on_idle = on_idle
        self.observe = observe
        """Told every outcome, after it is recorded (the metrics)."""
        self._wake = asyncio.Event()
        self._requery = False
        self._task: asyncio.Task[None] | None = None
        self._ran = False  # started once (a stopped worker is not one still starting)
        self._closing = False
        """Stopping: no item is claimed any more; those in flight finish (see :meth:`stop`)."""
        self._deliveries: set[asyncio.Task[int]] = set()
        self.busy = False
        """Woken or draining: what is due on this channel is being taken care of."""

    @property
    def channel(self) -> str:
        return self.sender.channel

    def wake(self) -> None:
        """Something may be due: look now (in the running task); a drain under way reads the due items again."""
        self.busy = self._task is not None
        self._requery = True
        self._wake.set()

    @property
    def concurrency(self) -> int:
        """Deliveries in flight at once (the sender says; one per person at a time in any case)."""
        return max(1, int(getattr(self.sender, "concurrency", 1)))

    async def drain(self) -> int:
        """Deliver everything due now, claiming each item just before it is sent; how many were attempted.

        Up to :attr:`concurrency` items go at once, never two to the same
        person (their messages keep their order, and one person's one-second
        interval holds up nobody else).  The due items are read again, most
        urgent first, whenever the ones read are used up or something new
        falls due (:meth:`wake`), so a reminder that falls due during a
        broadcast overtakes it; sends keep flowing while the next are read.
        """
        if self.concurrency == 1:
            return await self._drain_one_by_one()
        attempted = 0
        slots = asyncio.Semaphore(self.concurrency)
        in_flight: dict[int, asyncio.Task[int]] = {}  # person -> their delivery under way
        buffer: list[OutboxItem] = []
        exhausted = False
        gap = float(getattr(self.sender, "per_person_interval", 0.0))
        loop = asyncio.get_running_loop()
        last_sent: dict[int, float] = {}

        def ready(c: OutboxItem) -> bool:
            """Not being served, and not served within the platform's interval per person (a slot would wait it out)."""
            return c.user_id not in in_flight and loop.time() - last_sent.get(c.user_id, -gap) >= gap

        while True:
            if self._closing:  # stopping: claim nothing more, let what is in flight finish
                if in_flight:
                    await asyncio.wait(set(in_flight.values()))
                return attempted
            if self._requery or not buffer:
                self._requery = False
                buffer = [c for c in await self.outbox.due(self.channel, self.clock.now(), max(self.batch, 4 * self.concurrency))
                          if c.user_id not in in_flight]
                exhausted = not buffer
            if exhausted:
                if not in_flight:
                    return attempted
                await asyncio.wait(set(in_flight.values()), return_when=asyncio.FIRST_COMPLETED)
                exhausted = False
                continue
            candidate = next((c for c in buffer if ready(c)), None)
            if candidate is None:  # everyone in the buffer is being served, or was just now
                if in_flight:
                    await asyncio.wait(set(in_flight.values()), return_when=asyncio.FIRST_COMPLETED)
                else:
                    soonest = min(last_sent.get(c.user_id, 0.0) + gap for c in buffer)
                    await asyncio.sleep(max(0.0, soonest - loop.time()))
                continue
            buffer.remove(candidate)
            await slots.acquire()
            task = asyncio.create_task(self._claim_and_deliver(candidate))
            in_flight[candidate.user_id] = task
            self._deliveries.add(task)

            def done(t: asyncio.Task[int], uid: int = candidate.user_id) -> None:
                slots.release()
                in_flight.pop(uid, None)
                self._deliveries.discard(t)
                last_sent[uid] = loop.time()

            task.add_done_callback(done)
            attempted += 1

    async def _drain_one_by_one(self) -> int:
        attempted = 0
        while True:
            self._requery = False
            candidates = await self.outbox.due(self.channel, self.clock.now(), self.batch)
            if not candidates:
                return attempted
            for candidate in candidates:
                if self._closing:
                    return attempted
                if self._requery:
                    break  # something new is due: read again, most urgent first
                attempted += await self._claim_and_deliver(candidate)

    async def _claim_and_deliver(self, candidate: OutboxItem) -> int:
        if self._closing:
            return 0  # it stays pending for the next start
        item = await self.outbox.claim(candidate, self.clock.now())
        if item is None:
            return 0  # cancelled (or taken, or merged into another) since it was read
        await self.deliver(item)
        return 1

    async def deliver(self, item: OutboxItem) -> Outcome:
        """Send one claimed item and record the outcome."""
        outbox = self.outbox
        delivery = Delivery(item, item.progress, lambda done: outbox.set_progress(item.id, done))
        try:
            outcome = await self.sender.send(delivery)
        except asyncio.CancelledError:
            raise  # stopping: the claim stays, and the next start counts the item as uncertain
        except Exception as exc:  # a sender bug must not stop deliveries to others
            logger.exception("sender %s raised on outbox item %s", self.channel, item.id)
            outcome = Retry(f"{type(exc).__name__}")
        now = self.clock.now()
        await outbox.record(item, outcome, now)
        if self.observe is not None:
            self.observe(self.channel, item, outcome, now)
        return outcome

    async def run(self) -> None:
        while not self._closing:
            await self._wake.wait()
            self._wake.clear()
            if self._closing:
                break
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
                try:
                    await self.on_idle()
                except asyncio.CancelledError:
                    raise
                except Exception:  # re-arming failed (a locked database): the next wake-up arms again
                    logger.exception("re-arming after delivering %s outbox items failed", self.channel)

    @property
    def alive(self) -> bool:
        """Started and still running (the health check)."""
        return self._task is not None and not self._task.done()

    @property
    def started(self) -> bool:
        """Started at some point, stopped since or not (the service starts the workers after the channels and the web server)."""
        return self._ran

    def start(self) -> None:
        if self._task is None:
            self._ran = True
            self._task = asyncio.create_task(self.run(), name=f"outbox-{self.channel}")
            self.wake()  # what fell due while the service was down

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Stop delivering: claim nothing more, give the deliveries in flight ``grace`` seconds, then cancel them.

        Items not yet claimed stay ``pending`` for the next start; one cancelled
        in flight keeps its claim, and the next start sends it again (a
        reminder, a notice) or counts it ``uncertain`` (a broadcast's: it may
        have arrived), never silently drops it.
        """
        if self._task is None:
            return
        self._closing = True
        self._wake.set()
        if grace > 0:
            await asyncio.wait({self._task, *self._deliveries}, timeout=grace)
        interrupted = sum(1 for t in self._deliveries if not t.done())
        stuck = [t for t in (self._task, *self._deliveries) if not t.done()]
        for task in stuck:
            task.cancel()
        if interrupted:
            logger.warning("%s: %d delivery(ies) still in flight after %.0f s were interrupted", self.channel, interrupted, grace)
        for task in stuck:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._task = None
        self._deliveries.clear()
        self._closing = False
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
        self.observe: Callable[[str, OutboxItem, Outcome, dt.datetime], None] | None = None
        """Told every delivery's outcome (the metrics); given to each worker attached after it is set."""

    def attach(self, sender: Sender) -> DeliveryWorker:
        worker = DeliveryWorker(self.outbox, sender, self.clock, on_idle=self._schedule_changed, observe=self.observe)
        self.workers[sender.channel] = worker
        return worker

    def rate(self, channel: str) -> float | None:
        """How many messages a second the channel's sender can send (None: not limited, or not attached)."""
        worker = self.workers.get(channel)
        rate = getattr(worker.sender, "rate_per_second", None) if worker is not None else None
        return float(rate) if rate else None

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
        priority: int = Priority.NOTICE,
        campaign_id: int | None = None,
    ) -> int | None:
        now = self.clock.now()
        item = await self.outbox.enqueue(
            user_id, channel, replies, not_before=at or now, now=now, dedupe_key=dedupe_key,
            priority=priority, campaign_id=campaign_id,
        )
        worker = self.workers.get(channel)
        if worker is not None and item is not None:
            if at is None or at <= now:
                worker.wake()
            else:
                await self._schedule_changed()
        return item

    async def push_many(
        self,
        items: Sequence[NewItem],
        *,
        dedupe_key: str,
        priority: int,
        campaign_id: int | None = None,
        at: dt.datetime | None = None,
    ) -> int:
        """Many items at once (a campaign): one per person and ``dedupe_key``; how many were new."""
        now = self.clock.now()
        added = await self.outbox.enqueue_many(
            items, not_before=at or now, now=now, dedupe_key=dedupe_key, priority=priority, campaign_id=campaign_id
        )
        if added:
            if at is None or at <= now:
                for channel in {i.channel for i in items if i.not_before is None or i.not_before <= now}:
                    worker = self.workers.get(channel)
                    if worker is not None:
                        worker.wake()
            await self._schedule_changed()
        return added

    async def drain(self) -> int:
        """Deliver everything due now on every channel (console, tests)."""
        return sum([await w.drain() for w in self.workers.values()])

    # -- the wake-up path -------------------------------------------------------

    async def next_due(self) -> dt.datetime | None:
        """The next instant a worker must be woken: for a busy one, only items due later (it takes those due now)."""
        now = self.clock.now()
        dues = [
            d for channel, worker in self.workers.items()
            if (d := await self.outbox.next_due(channel, after=now if worker.busy else None)) is not None
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

    async def stop(self, grace: float = 0.0) -> None:
        """Stop every worker; deliveries in flight get ``grace`` seconds in all to finish."""
        await asyncio.gather(*(worker.stop(grace) for worker in self.workers.values()))
