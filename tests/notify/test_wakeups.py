"""The one timer: a wake-up under way when the service stops is cancelled quietly, not logged as a failed job."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.clock import ManualClock
from bot.notify.wakeups import Wakeups


class Slow:
    """A participant whose work takes until it is let go."""

    def __init__(self) -> None:
        self.going = asyncio.Event()
        self.fired = 0

    async def next_due(self) -> dt.datetime | None:
        return None

    async def fire_due(self) -> None:
        self.fired += 1
        await self.going.wait()


async def test_wake_ups_cancelled_by_a_stop_end_quietly() -> None:
    wakeups = Wakeups(ManualClock(dt.datetime(2025, 6, 5, 2, tzinfo=dt.timezone.utc)))
    slow = Slow()
    wakeups.add(slow)
    running = asyncio.create_task(wakeups.fire_due())
    waiting = asyncio.create_task(wakeups.fire_due())  # a second wake-up, waiting for the first's lock
    await asyncio.sleep(0)
    assert slow.fired == 1
    await wakeups.stop()
    running.cancel()
    waiting.cancel()
    assert await asyncio.gather(running, waiting) == [None, None]  # no CancelledError for the scheduler to log


async def test_a_cancelled_wake_up_while_running_is_still_a_cancellation() -> None:
    wakeups = Wakeups(ManualClock(dt.datetime(2025, 6, 5, 2, tzinfo=dt.timezone.utc)))
    wakeups.add(Slow())
    task = asyncio.create_task(wakeups.fire_due())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


class SlowToTell(Slow):
    """Quick to fire, slow to say when it is next due (a database read the stop cuts short)."""

    async def fire_due(self) -> None:
        self.fired += 1

    async def next_due(self) -> dt.datetime | None:
        await self.going.wait()
        return None


async def test_a_stop_while_the_next_wake_up_is_worked_out_ends_quietly_too() -> None:
    wakeups = Wakeups(ManualClock(dt.datetime(2025, 6, 5, 2, tzinfo=dt.timezone.utc)))
    slow = SlowToTell()
    wakeups.add(slow)
    wakeups._scheduler = object()  # type: ignore[assignment]  # as in production: it looks for the next wake-up
    task = asyncio.create_task(wakeups.fire_due())
    await asyncio.sleep(0)
    assert slow.fired == 1 and not task.done()
    await wakeups.stop()
    task.cancel()
    assert await task is None
