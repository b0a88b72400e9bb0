"""The SQLite store: migrations, WAL, users, and the outbox's delivery rules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.conversation import Choice, Choices, File, Reply, Text, UserRef
from bot.notify import codec
from bot.notify.wakeups import Wakeups
from bot.notify.outbox import RESENT_AFTER_CRASH, Delivered, Failed, Outbox, Priority, PushPort, Retry
from bot.store import Database, Users
from tests.conftest import at

NOW = at("2025-06-05T10:00")


@pytest.fixture
async def db(tmp_path: Path):
    database = await Database.open(tmp_path / "store.sqlite3")
    yield database
    await database.close()


async def test_database_uses_wal_and_records_migrations(db: Database) -> None:
    row = await db.fetchone("PRAGMA journal_mode")
    assert row[0] == "wal"
    assert 1 in await db.applied()


async def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    first = await Database.open(tmp_path / "x.sqlite3")
    await Users(first).seen(UserRef("test", "1"), "en", NOW)
    await first.close()
    again = await Database.open(tmp_path / "x.sqlite3")
    try:
        assert (await again.fetchone("SELECT COUNT(*) FROM users"))[0] == 1
    finally:
        await again.close()


async def test_migrations_written_out_of_order_all_apply(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_a.sql").write_text("CREATE TABLE a (x);")
    (folder / "0003_c.sql").write_text("CREATE TABLE c (x);")
    db = await Database.open(tmp_path / "m.sqlite3", migrations=folder)
    await db.close()
    (folder / "0002_b.sql").write_text("CREATE TABLE b (x);")
    db = await Database.open(tmp_path / "m.sqlite3", migrations=folder)
    try:
        assert await db.applied() == {1, 2, 3}
        assert await db.fetchone("SELECT name FROM sqlite_master WHERE name = 'b'")
    finally:
        await db.close()


async def test_a_failing_migration_changes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_ok.sql").write_text("CREATE TABLE ok (x);")
    (folder / "0002_bad.sql").write_text("CREATE TABLE half (x); INSERT INTO nowhere VALUES (1);")
    with pytest.raises(Exception):
        await Database.open(tmp_path / "m.sqlite3", migrations=folder)
    (folder / "0002_bad.sql").unlink()
    db = await Database.open(tmp_path / "m.sqlite3", migrations=folder)
    try:
        assert await db.applied() == {1}
        assert await db.fetchone("SELECT name FROM sqlite_master WHERE name = 'half'") is None
    finally:
        await db.close()


async def test_database_from_a_newer_program_is_refused(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "n.sqlite3")
    await db.execute("INSERT INTO schema_migrations VALUES (999, '0999_future.sql', 'x')")
    await db.close()
    with pytest.raises(RuntimeError, match="upgrade the program"):
        await Database.open(tmp_path / "n.sqlite3")


async def test_users_are_found_by_channel_and_platform_id(db: Database) -> None:
    users = Users(db)
    alice = await users.seen(UserRef("telegram", "42"), "zh-hans", NOW)
    same = await users.seen(UserRef("telegram", "42"), None, NOW)
    other = await users.seen(UserRef("wechat", "42"), None, NOW)
    assert alice.id == same.id != other.id
    assert same.language_hint == "zh-hans"
    await users.set_locale(alice.id, "zh_Hans")
    assert (await users.get(alice.id)).locale == "zh_Hans"
    assert await users.set_active(UserRef("telegram", "42"), False)
    assert not (await users.find(UserRef("telegram", "42"))).active
    assert not await users.set_active(UserRef("telegram", "nobody"), False)


def test_replies_survive_the_outbox_codec() -> None:
    replies: tuple[Reply, ...] = (
        Text("body", title="t"),
        Choices("pick", (Choice("One", "/one", short="1"),), navigation=True),
        File(b"\x00\x01", "a.ics", caption="cal", mime_type="text/calendar"),
    )
    assert codec.loads(codec.dumps(replies)) == replies


class RecordingSender:
    channel = "test"

    def __init__(self, outcomes: list) -> None:
        self.outcomes = outcomes
        self.sent: list[tuple[UserRef, tuple[Reply, ...]]] = []

    async def send(self, delivery):
        self.sent.append((delivery.user, delivery.replies))
        return self.outcomes.pop(0) if self.outcomes else Delivered()


async def push_setup(db: Database, outcomes: list):
    clock = ManualClock(NOW)
    user = await Users(db).seen(UserRef("test", "1"), None, NOW)
    port = PushPort(Outbox(db), clock)
    sender = RecordingSender(outcomes)
    port.attach(sender)
    return clock, user, port, sender


async def test_pushed_items_are_delivered_when_due_and_once(db: Database) -> None:
    clock, user, port, sender = await push_setup(db, [])
    later = NOW + dt.timedelta(minutes=30)
    assert await port.push(user.id, "test", [Text("soon")], at=later, dedupe_key="r:1") is not None
    assert await port.push(user.id, "test", [Text("soon")], at=later, dedupe_key="r:1") is None
    assert await port.drain() == 0
    await clock.set(later)
    assert await port.drain() == 1
    assert await port.drain() == 0
    assert [r for _, r in sender.sent] == [(Text("soon"),)]
    assert (await port.outbox.counts())["sent"] == 1


async def test_retry_waits_and_final_failure_deactivates(db: Database) -> None:
    clock, user, port, sender = await push_setup(db, [Retry("429", after=dt.timedelta(seconds=30)), Delivered()])
    await port.push(user.id, "test", [Text("a")])
    await port.drain()
    assert len(sender.sent) == 1 and await port.drain() == 0
    await clock.advance(dt.timedelta(seconds=30))
    assert await port.drain() == 1
    assert (await port.outbox.counts())["sent"] == 1

    sender.outcomes = [Failed("blocked by the user", deactivate=True)]
    await port.push(user.id, "test", [Text("b")])
    await port.drain()
    assert (await port.outbox.counts())["failed"] == 1
    assert not (await Users(db).get(user.id)).active


async def test_endless_retries_give_up(db: Database) -> None:
    clock, user, port, sender = await push_setup(db, [Retry("net", after=dt.timedelta(seconds=1))] * 20)
    await port.push(user.id, "test", [Text("a")])
    for _ in range(20):
        await port.drain()
        await clock.advance(dt.timedelta(seconds=1))
    assert len(sender.sent) == 8
    row = await db.fetchone("SELECT status, last_error FROM outbox")
    assert row["status"] == "failed" and "gave up after 8 attempts" in row["last_error"]


async def test_a_broadcast_item_interrupted_mid_send_is_uncertain_and_not_sent_again(db: Database) -> None:
    clock, user, port, sender = await push_setup(db, [])
    await port.push(user.id, "test", [Text("a")], priority=Priority.BROADCAST)
    (due,) = await port.outbox.due("test", NOW)
    assert await port.outbox.claim(due, NOW) is not None  # a crash here leaves it 'sending'
    restarted = Outbox(db)
    assert await restarted.recover_interrupted() == 1
    assert restarted.uncertain_at_start == 1
    assert await port.drain() == 0
    assert sender.sent == []
    assert (await port.outbox.counts())["uncertain"] == 1


async def test_a_reminder_interrupted_mid_send_goes_again_from_its_progress_and_is_counted(db: Database) -> None:
    """A missed reminder is worse than a second one: it is resent after a crash, and the start counts it."""
    clock, user, port, sender = await push_setup(db, [])
    await port.push(user.id, "test", [Text("a"), Text("b")], priority=Priority.REMINDER)
    (due,) = await port.outbox.due("test", NOW)
    assert await port.outbox.claim(due, NOW) is not None
    await db.execute("UPDATE outbox SET progress = 1")  # "a" went out, then the kill
    restarted = Outbox(db)
    assert await restarted.recover_interrupted() == 1
    assert (restarted.uncertain_at_start, restarted.resent_at_start) == (1, 1)
    row = await db.fetchone("SELECT status, progress, last_error FROM outbox")
    assert (row["status"], row["progress"], row["last_error"]) == ("pending", 1, RESENT_AFTER_CRASH)
    progress: list[int] = []
    sender.send = lambda delivery: (progress.append(delivery.progress), RecordingSender.send(sender, delivery))[1]  # type: ignore[method-assign]
    assert await port.drain() == 1
    assert progress == [1]  # the sender skips "a", which went out before the kill
    assert (await port.outbox.counts()) == {"sent": 1}


async def test_cancel_by_key_prefix(db: Database) -> None:
    clock, user, port, sender = await push_setup(db, [])
    later = NOW + dt.timedelta(hours=1)
    await port.push(user.id, "test", [Text("a")], at=later, dedupe_key="reminder:s1:x")
    await port.push(user.id, "test", [Text("b")], at=later, dedupe_key="broadcast:7")
    assert await port.outbox.cancel(user.id, "reminder:") == 1
    await clock.set(later)
    await port.drain()
    assert [r[0].body for _, r in sender.sent] == ["b"]


async def test_an_item_pushed_for_later_goes_out_when_the_wake_up_path_reaches_its_time(db: Database) -> None:
    import asyncio

    clock, user, port, sender = await push_setup(db, [])
    wakeups = Wakeups(clock)
    wakeups.add(port)
    port.on_schedule_change = wakeups.rearm
    await port.start()
    try:
        while port.workers["test"].busy:  # its first look, at start-up
            await asyncio.sleep(0)
        await port.push(user.id, "test", [Text("later")], at=NOW + dt.timedelta(minutes=5))
        assert await wakeups.next_due() == NOW + dt.timedelta(minutes=5)
        await wakeups.fire_due()
        for _ in range(50):
            await asyncio.sleep(0)
        assert sender.sent == []
        await clock.advance(dt.timedelta(minutes=5))
        await wakeups.fire_due()  # what APScheduler does in production at that instant
        for _ in range(200):
            if sender.sent:
                break
            await asyncio.sleep(0.01)
        assert len(sender.sent) == 1
        assert await wakeups.next_due() is None
    finally:
        await port.stop()


async def test_a_delegate_seen_again_soon_costs_no_write(db: Database) -> None:
    users = Users(db)
    ref = UserRef("test", "7")
    first = await users.seen(ref, "en", NOW)
    again = await users.seen(ref, None, NOW + dt.timedelta(minutes=1))
    assert again == first
    row = await db.fetchone("SELECT last_seen_at FROM users WHERE id = ?", (first.id,))
    assert row[0].startswith("2025-06-05T02:00")
    await users.seen(ref, None, NOW + dt.timedelta(minutes=6))
    row = await db.fetchone("SELECT last_seen_at FROM users WHERE id = ?", (first.id,))
    assert row[0].startswith("2025-06-05T02:06")


async def test_a_new_language_hint_is_stored_at_once(db: Database) -> None:
    users = Users(db)
    ref = UserRef("test", "8")
    await users.seen(ref, "en", NOW)
    assert (await users.seen(ref, "zh-hans", NOW)).language_hint == "zh-hans"
    assert (await users.find(ref)).language_hint == "zh-hans"


async def test_a_delegate_the_outbox_deactivated_is_active_again_when_they_write(db: Database) -> None:
    users = Users(db)
    clock = ManualClock(NOW)
    port = PushPort(Outbox(db, on_deactivate=users.forget), clock)
    port.attach(RecordingSender([Failed("blocked by the user", deactivate=True)]))
    alice = await users.seen(UserRef("test", "1"), None, NOW)
    await port.push(alice.id, "test", [Text("hi")])
    await port.drain()
    assert not (await users.get(alice.id)).active
    assert (await users.seen(UserRef("test", "1"), None, NOW)).active
    assert (await users.get(alice.id)).active


async def test_changes_through_the_repository_are_seen_at_once(db: Database) -> None:
    users = Users(db)
    ref = UserRef("test", "9")
    record = await users.seen(ref, None, NOW)
    await users.set_locale(record.id, "zh_Hans")
    await users.set_timezone(record.id, "Europe/Madrid")
    again = await users.seen(ref, None, NOW)
    assert (again.locale, again.timezone) == ("zh_Hans", "Europe/Madrid")
