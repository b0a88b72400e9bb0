"""One clock for everything that asks "what time is it".

Production uses :class:`SystemClock`.  Rehearsals use :class:`OffsetClock`
(real time flowing from a chosen instant) or :class:`ManualClock` (time only
moves when told), which is also what tests use: no test waits on wall time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import heapq
from collections.abc import Callable
from typing import Protocol

UTC = dt.timezone.utc


class Timer(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    """Tells the time (always timezone-aware), waits until a given instant, and runs a callback after a delay."""

    def now(self) -> dt.datetime: ...

    async def sleep_until(self, when: dt.datetime) -> None: ...

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        """Run ``callback`` once ``delay`` seconds have passed on this clock (a deadline)."""
        ...


def _aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("the clock works with timezone-aware datetimes only")
    return value


class SystemClock:
    """The real time."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(UTC)

    async def sleep_until(self, when: dt.datetime) -> None:
        delay = (_aware(when) - self.now()).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        return asyncio.get_running_loop().call_later(delay, callback)


class OffsetClock(SystemClock):
    """Real time flowing from ``start``: ``--at`` for a live rehearsal."""

    def __init__(self, start: dt.datetime) -> None:
        self._offset = _aware(start) - dt.datetime.now(UTC)

    def now(self) -> dt.datetime:
        return dt.datetime.now(UTC) + self._offset


class _ManualTimer:
    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class ManualClock:
    """Time that moves only by :meth:`set` and :meth:`advance`.

    Sleepers wake when the clock is moved past their instant, so reminders can
    be rehearsed (console ``:advance 45m``) and tested without waiting.
    """

    def __init__(self, start: dt.datetime) -> None:
        self._now = _aware(start)
        self._moved = asyncio.Condition()
        self._timers: list[tuple[dt.datetime, int, _ManualTimer]] = []
        self._count = 0

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        """Fires when the clock is moved ``delay`` seconds on (never on wall time)."""
        timer = _ManualTimer(callback)
        self._count += 1
        heapq.heappush(self._timers, (self._now + dt.timedelta(seconds=delay), self._count, timer))
        return timer

    def _fire_timers(self) -> None:
        while self._timers and self._timers[0][0] <= self._now:
            _when, _n, timer = heapq.heappop(self._timers)
            if not timer.cancelled:
                asyncio.get_running_loop().call_soon(timer.callback)

    def now(self) -> dt.datetime:
        return self._now

    async def sleep_until(self, when: dt.datetime) -> None:
        when = _aware(when)
        cond = self._moved
        async with cond:
            await cond.wait_for(lambda: self._now >= when)

    async def set(self, when: dt.datetime) -> None:
        """Move the clock to ``when`` (forwards or backwards), fire the timers due, and wake sleepers."""
        self._now = _aware(when)
        self._fire_timers()
        cond = self._moved
        async with cond:
            cond.notify_all()

    async def advance(self, delta: dt.timedelta) -> None:
        await self.set(self._now + delta)


def parse_instant(text: str, default_zone: dt.tzinfo | None = None) -> dt.datetime:
    """Parse an ISO-8601 instant; without an offset it is read in ``default_zone``."""
    value = dt.datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        if default_zone is None:
            raise ValueError(f"{text!r} has no UTC offset")
        value = value.replace(tzinfo=default_zone)
    return value


_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: str) -> dt.timedelta:
    """Parse ``45m``, ``1h30m``, ``2d``, ``90s`` or plain minutes (``15``)."""
    text = text.strip().lower().replace(" ", "")
    if not text:
        raise ValueError("empty duration")
    if text.isdigit():
        return dt.timedelta(minutes=int(text))
    total, number = 0, ""
    for ch in text:
        if ch.isdigit():
            number += ch
        elif ch in _UNITS and number:
            total += int(number) * _UNITS[ch]
            number = ""
        else:
            raise ValueError(f"cannot read duration {text!r}")
    if number:
        raise ValueError(f"cannot read duration {text!r}: a number needs a unit (d, h, m, s)")
    return dt.timedelta(seconds=total)
