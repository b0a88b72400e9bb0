"""The one wake-up path for everything timed: reminders, outbox retries, scheduled sends.

Each participant (:class:`Timed`) says when it is next due and does what is
due at the clock's "now"; none sleeps on its own.  The database, not this
object's memory, holds what is due, so a restart loses nothing.

* Production: :meth:`Wakeups.start` runs APScheduler, which wakes the
  service once, at the earliest due instant on the service clock (which runs
  ahead of the wall clock in a ``--at`` rehearsal); every participant that
  changes its schedule calls :meth:`Wakeups.rearm`.
* Rehearsals and tests move a :class:`~bot.clock.ManualClock` and call
  :meth:`Wakeups.fire_due` (the console does it as it advances), so nothing
  waits on wall time.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

from bot.clock import Clock

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

logger = logging.getLogger(__name__)

JOB_ID: Final = "wake-up"
#: Right after firing, the next wake-up is at least this far ahead.
MIN_INTERVAL: Final = dt.timedelta(seconds=1)
#: After a participant failed, look again this much later.
RETRY_AFTER: Final = dt.timedelta(minutes=1)


class Timed(Protocol):
    """Something with work at instants: it tells the next one and does what is due."""

    async def next_due(self) -> dt.datetime | None: ...

    async def fire_due(self) -> None: ...


@dataclass(frozen=True)
class TimerState:
    """Whether the production timer runs, and when (wall time, UTC) it next wakes the service."""

    running: bool
    next_run: dt.datetime | None = None


class Wakeups:
    """Every timed participant, woken by one timer."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._timed: list[Timed] = []
        self._lock = asyncio.Lock()
        self._scheduler: AsyncIOScheduler | None = None
        self._armed_for: dt.datetime | None = None
        self._stopping = False

    def add(self, timed: Timed) -> None:
        self._timed.append(timed)

    async def next_due(self) -> dt.datetime | None:
        """The earliest instant any participant has work (it may be in the past)."""
        dues = [d for t in self._timed if (d := await t.next_due()) is not None]
        return min(dues) if dues else None

    async def fire_due(self) -> None:
        """Let every participant do what is due now; one failing does not stop the others."""
        try:
            await self._fire_due()
        except asyncio.CancelledError:
            if self._stopping:  # the service stops: what was due is still in the database for the next start
                return
            raise

    async def _fire_due(self) -> None:
        failed = False
        async with self._lock:
            for timed in self._timed:
                try:
                    await timed.fire_due()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    failed = True
                    logger.exception("%s failed to do what was due; trying again in a minute", type(timed).__name__)
        if failed:
            self._arm(self.clock.now() + RETRY_AFTER, force=True)
        elif self._scheduler is not None:
            # something still due now that nobody took: look again in a second, never spin
            due = await self.next_due()
            now = self.clock.now()
            self._arm(None if due is None else due if due > now else now + MIN_INTERVAL)

    async def rearm(self) -> None:
        """A schedule changed: wake at the new earliest instant (production only)."""
        if self._scheduler is not None:
            self._arm(await self.next_due())

    async def start(self) -> None:
        """Start the production timer and do what fell due while the service was down."""
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self._stopping = False
        if self._scheduler is None:
            self._scheduler = AsyncIOScheduler(timezone=dt.timezone.utc)
            self._scheduler.start()
        await self.fire_due()

    def state(self) -> TimerState:
        """For the health check: the timer runs, and its next wake-up (None: nothing is due)."""
        scheduler = self._scheduler
        if scheduler is None or not scheduler.running:
            return TimerState(False)
        job = scheduler.get_job(JOB_ID)
        return TimerState(True, job.next_run_time if job is not None else None)

    async def stop(self) -> None:
        """Stop the timer; a wake-up under way or waiting for its turn is cancelled (not an error)."""
        self._stopping = True
        if self._scheduler is not None:
            with contextlib.suppress(Exception):
                self._scheduler.shutdown(wait=False)
            self._scheduler = None
            self._armed_for = None

    def _arm(self, due: dt.datetime | None, *, force: bool = False) -> None:
        """One date job at ``due`` on the service clock, converted to wall time."""
        scheduler = self._scheduler
        if scheduler is None:
            return
        if not force and due == self._armed_for and scheduler.get_job(JOB_ID) is not None:
            return
        self._armed_for = due
        if due is None:
            with contextlib.suppress(Exception):
                scheduler.remove_job(JOB_ID)
            return
        delay = max(dt.timedelta(0), due - self.clock.now())
        scheduler.add_job(
            self.fire_due, "date", run_date=dt.datetime.now(dt.timezone.utc) + delay, id=JOB_ID,
            replace_existing=True, misfire_grace_time=None, coalesce=True,
            max_instances=4,  # a wake-up while the last one still runs waits for its lock, not skipped with a warning
        )
