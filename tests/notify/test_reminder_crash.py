"""A kill -9 or a SIGTERM while 500 reminders are pushed, then a restart: nobody misses theirs.

The bot is a real process (a child running the core against the test
database, its platform writing every message that "arrives" to a file); it
is killed at a fixed point, either while the reminders are written to the
outbox or while they are sent.  The restart, as ``delegate-bot run`` would,
recovers the outbox and fires what is due.  Every delegate must then have
had their reminder, and the only duplicates are sends that were in flight
at the kill, which the restart counts.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.notify.outbox import Delivered, Delivery, Outcome
from tests.conftest import ROOT, Chat, at, make_core

DELEGATES = 500
DUE = at("2025-06-05T13:30")  # Stream 3's use-case presentations at 13:45, 15 minutes ahead

CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from bot.app import build_core
    from bot.clock import ManualClock
    from bot.config import Settings
    from bot.notify.outbox import Delivered
    from tests.conftest import PROGRAMME, at, shipped

    db_path, arrived_path, stop_at = sys.argv[1], sys.argv[2], sys.argv[3]

    class Platform:
        channel = "test"
        concurrency = 8  # several in flight at once, as the Telegram sender runs
        count = 0

        async def send(self, delivery):
            with open(arrived_path, "a") as fh:
                fh.write(f"{delivery.user.platform_id}\\n")
            self.count += 1
            if stop_at == "sending" and self.count == 200:
                print("stopped", flush=True)
                await asyncio.sleep(3600)
            await asyncio.sleep(0.001)  # the platform's round trip
            return Delivered()

    async def main():
        settings = Settings.from_env({}, programme=PROGRAMME, db=db_path)
        core = await build_core(settings, ManualClock(at("2025-06-05T13:30")), programme=shipped(PROGRAMME))
        core.push.attach(Platform())
        if stop_at == "pushing":  # killed while the reminders are written to the outbox, before any is sent
            push, pushed = core.push.push, 0

            async def stopping(*args, **kwargs):
                nonlocal pushed
                pushed += 1
                if pushed == 250:
                    print("stopped", flush=True)
                    await asyncio.sleep(3600)
                return await push(*args, **kwargs)

            core.push.push = stopping
        await core.services.reminders.fire_due()
        await core.push.drain()

    asyncio.run(main())
    """
)


class Platform:
    channel = "test"
    concurrency = 8

    def __init__(self) -> None:
        self.got: list[str] = []

    async def send(self, delivery: Delivery) -> Outcome:
        self.got.append(delivery.user.platform_id)
        return Delivered()


@pytest.mark.parametrize("stop_at", ["pushing", "sending"])
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
async def test_a_kill_while_500_reminders_are_pushed_loses_none(tmp_path: Path, stop_at: str, sig: signal.Signals) -> None:
    core = await make_core(tmp_path, at("2025-06-05T10:00"))
    try:
        for n in range(DELEGATES):
            await Chat(core, f"d{n}").say("/subscribe 3")
    finally:
        await core.close()

    arrived = tmp_path / "arrived.txt"
    arrived.touch()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path / "bot.sqlite3"), str(arrived), stop_at],
        stdout=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        line = await asyncio.wait_for(asyncio.to_thread(child.stdout.readline), 120)  # type: ignore[union-attr]
        assert line.strip() == "stopped"
    finally:
        child.send_signal(sig)  # SIGTERM: the default action, no clean-up in this child either
        child.wait(10)
    before = arrived.read_text().split()

    restarted = await make_core(tmp_path, DUE + dt.timedelta(seconds=30))  # the next start, half a minute later
    try:
        platform = Platform()
        restarted.push.attach(platform)
        await restarted.services.reminders.fire_due()
        await restarted.push.drain()
        resent = restarted.outbox.resent_at_start
    finally:
        await restarted.close()

    everyone = collections.Counter(before + platform.got)
    assert set(everyone) == {f"d{n}" for n in range(DELEGATES)}, "somebody missed their reminder"
    duplicates = sum(count - 1 for count in everyone.values())
    assert duplicates <= resent <= 8  # only a send in flight at the kill can arrive twice, and the start counted it
    if stop_at == "pushing":
        assert not before and resent == 0

