"""The outbox under campaigns and crashes: per-item claims, priorities, stored progress, reports."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.conversation import Text, UserRef
from bot.notify.campaigns import Campaigns
from bot.notify.outbox import BATCH, Delivered, Delivery, Failed, NewItem, Outbox, Priority, PushPort, Uncertain
from bot.store import Database, Users
from tests.conftest import ROOT, at

NOW = at("2025-06-05T10:00")


class Recorder:
    """A sender that records what went out, with scripted outcomes by item position."""

    channel = "test"

    def __init__(self, outcomes: dict[int, object] | None = None) -> None:
        self.sent: list[tuple[str, str]] = []  # (platform id, first body)
        self.outcomes = outcomes or {}
        self.on_send = None

    async def send(self, delivery: Delivery):
        self.sent.append((delivery.user.platform_id, delivery.replies[0].body))  # type: ignore[union-attr]
        if self.on_send is not None:
            await self.on_send(len(self.sent))
        return self.outcomes.get(len(self.sent), Delivered())


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "outbox.sqlite3")
    yield database
    await database.close()


async def people(db: Database, n: int) -> list[int]:
    users = Users(db)
    return [(await users.seen(UserRef("test", str(i)), None, NOW)).id for i in range(n)]


# -- a crash while draining ------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import asyncio, os, sys
    from bot.clock import ManualClock
    from bot.notify.outbox import Delivered, Outbox, PushPort
    from bot.store import Database
    from tests.conftest import at

    db_path, arrived_path = sys.argv[1], sys.argv[2]

    class Platform:
        channel = "test"
        count = 0

        async def send(self, delivery):
            # the platform receives the message: what a delegate would see on their phone
            with open(arrived_path, "a") as fh:
                fh.write(f"{delivery.item.id}\\n")
            self.count += 1
            if self.count == 3:
                print("third sent", flush=True)  # killed here: it arrived, its outcome is not recorded
                await asyncio.sleep(3600)
            return Delivered()

    async def main():
        db = await Database.open(db_path)
        port = PushPort(Outbox(db), ManualClock(at("2025-06-05T10:00")))
        port.attach(Platform())
        await port.drain()

    asyncio.run(main())
    """
)


async def test_a_broadcast_drain_killed_after_3_of_100_sends_delivers_the_other_97_after_restart(tmp_path: Path, db: Database) -> None:
    ids = await people(db, 100)
    port = PushPort(Outbox(db), ManualClock(NOW))
    for i, uid in enumerate(ids):
        await port.push(uid, "test", [Text(f"notice {i}")], dedupe_key="notice:1", priority=Priority.BROADCAST)
    arrived = tmp_path / "arrived.txt"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path / "outbox.sqlite3"), str(arrived)],
        stdout=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        line = await asyncio.wait_for(asyncio.to_thread(child.stdout.readline), 60)  # type: ignore[union-attr]
        assert line.strip() == "third sent"
    finally:
        child.kill()  # SIGKILL: no clean-up of any kind
        child.wait(10)
    assert len(arrived.read_text().split()) == 3

    restarted = Outbox(db)  # what the next start does
    assert await restarted.recover_interrupted() == 1  # only the one in flight is uncertain
    counts = await restarted.counts()
    assert counts == {"sent": 2, "uncertain": 1, "pending": 97}
    recorder = Recorder()
    port = PushPort(restarted, ManualClock(NOW))
    port.attach(recorder)
    assert await port.drain() == 97
    assert len(recorder.sent) == 97
    assert await restarted.counts() == {"sent": 99, "uncertain": 1}
    first_three = {int(x) for x in arrived.read_text().split()}
    assert not first_three & {int(b.split()[1]) + 1 for _p, b in recorder.sent}  # nobody got it twice


# -- priorities --------------------------------------------------------------------------


async def test_a_reminder_pushed_during_a_broadcast_goes_out_within_one_batch(db: Database) -> None:
    ids = await people(db, 3 * BATCH)
    port = PushPort(Outbox(db), ManualClock(NOW))
    recorder = Recorder()
    port.attach(recorder)
    await port.push_many([NewItem(uid, "test", (Text("broadcast"),)) for uid in ids], dedupe_key="campaign:1", priority=Priority.BROADCAST)

    async def remind(count: int) -> None:
        if count == 5:
            await port.push(ids[0], "test", [Text("reminder")], dedupe_key="reminder:x", priority=Priority.REMINDER)

    recorder.on_send = remind
    await port.drain()
    position = [body for _p, body in recorder.sent].index("reminder")
    assert 5 <= position <= BATCH + 1
    assert len(recorder.sent) == 3 * BATCH + 1


# -- progress of multi-part items ------------------------------------------------------------


async def test_progress_is_stored_in_the_row_and_a_retry_resumes_after_it(db: Database) -> None:
    (uid,) = await people(db, 1)
    outbox = Outbox(db)
    await outbox.enqueue(uid, "test", [Text("part one"), Text("part two"), Text("part three")], not_before=NOW, now=NOW)
    (item,) = await outbox.due("test", NOW)
    claimed = await outbox.claim(item, NOW)
    assert claimed is not None and claimed.progress == 0
    delivery = Delivery(claimed, claimed.progress, lambda done: outbox.set_progress(claimed.id, done))
    await delivery.advanced(2)  # two parts went out, then the process died
    await Outbox(db).recover_interrupted()
    await db.execute("UPDATE outbox SET status = 'pending'")  # say an operator chose to resume it
    (again,) = await Outbox(db).due("test", NOW)
    assert again.progress == 2


# -- campaigns ---------------------------------------------------------------------------------


async def test_a_campaign_sends_once_per_person_however_often_it_is_started_and_reports_by_outcome(db: Database) -> None:
    ids = await people(db, 5)
    outbox = Outbox(db)
    port = PushPort(outbox, ManualClock(NOW))
    recorder = Recorder({2: Failed("forbidden: bot was blocked by the user", deactivate=True), 4: Uncertain("timed out")})
    port.attach(recorder)
    campaigns = Campaigns(db, outbox, port)
    campaign = await campaigns.create("broadcast", "Room change", created_by="cli:test", now=NOW, audience={"to": "everyone"})
    items = [NewItem(uid, "test", (Text("The panel moves to room B"),)) for uid in ids]
    assert await campaigns.send(campaign, items) == 5
    assert await campaigns.send(campaign, items) == 0  # confirming twice sends once
    report = await campaigns.report(campaign.id)
    assert report is not None and report.waiting == 5 and not report.finished
    await port.drain()
    report = await campaigns.report(campaign.id)
    assert report is not None and report.finished
    assert report.by_status == {"sent": 3, "failed": 1, "uncertain": 1} and report.total == 5
    assert report.failures == {"unreachable: forbidden: bot was blocked by the user": 1}
    assert report.unreachable == 1 and report.uncertain == 1
    assert [c.id for c in await campaigns.recent()] == [campaign.id]


async def test_cancelling_a_campaign_stops_what_has_not_gone_out(db: Database) -> None:
    ids = await people(db, 4)
    outbox = Outbox(db)
    port = PushPort(outbox, ManualClock(NOW))
    recorder = Recorder()
    port.attach(recorder)
    campaigns = Campaigns(db, outbox, port)
    campaign = await campaigns.create("broadcast", "Dinner", created_by="cli:test", now=NOW)
    await campaigns.send(campaign, [NewItem(uid, "test", (Text("Dinner at 19:00"),)) for uid in ids])

    async def cancel_after_first(count: int) -> None:
        if count == 1:
            await campaigns.cancel(campaign.id, NOW)

    recorder.on_send = cancel_after_first
    await port.drain()
    assert len(recorder.sent) == 1
    report = await campaigns.report(campaign.id)
    assert report is not None and report.by_status == {"sent": 1, "cancelled": 3}
    assert (await campaigns.get(campaign.id)).cancelled_at == NOW  # type: ignore[union-attr]


async def test_a_campaign_scheduled_for_later_waits_for_its_time(db: Database) -> None:
    ids = await people(db, 2)
    clock = ManualClock(NOW)
    outbox = Outbox(db)
    port = PushPort(outbox, clock)
    recorder = Recorder()
    port.attach(recorder)
    campaigns = Campaigns(db, outbox, port)
    later = at("2025-06-05T18:00")
    campaign = await campaigns.create("broadcast", "Tomorrow", created_by="cli:test", now=NOW, not_before=later)
    await campaigns.send(campaign, [NewItem(uid, "test", (Text("See you tomorrow"),)) for uid in ids])
    assert await port.drain() == 0
    assert await port.next_due() == later
    await clock.set(later)
    assert await port.drain() == 2


# -- stopping ----------------------------------------------------------------------------


class SlowPlatform:
    channel = "test"
    concurrency = 4

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.sent = 0

    async def send(self, delivery: Delivery):
        self.started.set()
        await self.release.wait()  # the platform's answer is on its way
        self.sent += 1
        return Delivered()


@pytest.mark.parametrize("grace", [5.0, 0.0])
async def test_stopping_lets_sends_under_way_finish_or_leaves_them_for_the_next_start(db: Database, grace: float) -> None:
    (uid,) = await people(db, 1)
    port = PushPort(Outbox(db), ManualClock(NOW))
    platform = SlowPlatform()
    worker = port.attach(platform)
    await port.push(uid, "test", [Text("The bus leaves at 14:50")], priority=Priority.REMINDER)
    await port.start()
    await platform.started.wait()
    stopping = asyncio.create_task(worker.stop(grace=grace))
    if grace:
        await asyncio.sleep(0)
        platform.release.set()  # the answer comes within the grace
    await stopping
    platform.release.set()
    counts = await port.outbox.counts()
    if grace:
        assert platform.sent == 1 and counts == {"sent": 1}  # finished and recorded before the database closes
    else:
        assert platform.sent == 0 and counts == {"sending": 1}  # cancelled: its claim stays...
        restarted = Outbox(db)
        assert await restarted.recover_interrupted() == 1 and restarted.resent_at_start == 1  # ...and it goes again
