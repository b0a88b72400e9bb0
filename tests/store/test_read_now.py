"""Point lookups on the request path read at once, from a read-only connection, and see every committed write."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.conversation import UserRef
from bot.store import Database, Users
from bot.store.delegates import DelegateState
from tests.conftest import at

NOW = at("2025-06-05T10:00")


@pytest.fixture
async def db(tmp_path: Path):
    database = await Database.open(tmp_path / "store.sqlite3")
    yield database
    await database.close()


async def delegate(db: Database) -> int:
    return (await Users(db).seen(UserRef("test", "ana"), "en", NOW)).id


class NoTrips:
    """Fails a test that sends a read to aiosqlite's thread."""

    def __init__(self, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
        async def refuse(*args, **kwargs):
            raise AssertionError("a trip to the database thread")

        monkeypatch.setattr(db, "fetchall", refuse)
        monkeypatch.setattr(db, "fetchone", refuse)


async def test_a_committed_choice_is_read_back_without_a_trip_to_the_database_thread(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    uid = await delegate(db)
    state = DelegateState(db)
    assert await state.bookmark(uid, "opening", NOW)
    assert await state.join_visit(uid, "s2-liurong", None, NOW)
    await state.set_lead(uid, 25)
    NoTrips(db, monkeypatch)
    assert await state.is_bookmarked(uid, "opening")
    assert not await state.is_bookmarked(uid, "panel")
    assert await state.bookmarks(uid) == {"opening"}
    assert await state.visits(uid) == {"s2-liurong"}
    assert (await state.reminder_settings(uid)).lead_minutes == 25


async def test_a_removed_bookmark_is_gone_at_once(db: Database) -> None:
    uid = await delegate(db)
    state = DelegateState(db)
    await state.bookmark(uid, "opening", NOW)
    assert await state.is_bookmarked(uid, "opening")
    await state.unbookmark(uid, "opening")
    assert not await state.is_bookmarked(uid, "opening")


async def test_the_read_connection_cannot_write(db: Database) -> None:
    db.read_now("SELECT 1")
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        db._reader.execute("DELETE FROM users")  # type: ignore[union-attr]


class BusyReader:
    """A read connection that finds the database busy, as SQLite says while a checkpoint resets the WAL."""

    def __init__(self) -> None:
        self.asked = 0

    def execute(self, sql: str, params: tuple = ()):
        self.asked += 1
        raise sqlite3.OperationalError("database is locked")

    def close(self) -> None:
        pass


async def test_a_busy_read_connection_sends_the_read_through_the_shared_one(db: Database) -> None:
    uid = await delegate(db)
    state = DelegateState(db)
    await state.bookmark(uid, "opening", NOW)
    assert db.read_now("SELECT 1") is not None
    db._reader.close()  # type: ignore[union-attr]
    db._reader = busy = BusyReader()  # type: ignore[assignment]
    assert db.read_now("SELECT session_id FROM bookmarks") is None
    assert await state.is_bookmarked(uid, "opening")
    assert busy.asked == 2


async def test_another_thread_is_sent_to_the_shared_connection(db: Database) -> None:
    assert db.read_now("SELECT 1") is not None
    assert await asyncio.to_thread(db.read_now, "SELECT 1") is None


async def test_a_database_in_memory_has_no_read_connection() -> None:
    memory = await Database.open(":memory:")
    try:
        assert memory.read_now("SELECT 1") is None
        uid = await delegate(memory)
        state = DelegateState(memory)
        await state.bookmark(uid, "opening", NOW)
        assert await state.is_bookmarked(uid, "opening")
    finally:
        await memory.close()


async def test_after_close_nothing_is_read(tmp_path: Path) -> None:
    database = await Database.open(tmp_path / "x.sqlite3")
    assert database.read_now("SELECT 1") is not None
    await database.close()
    assert database.read_now("SELECT 1") is None


class CountedReads:
    """Counts the queries the read connection runs for a delegate's bookmarks."""

    def __init__(self, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
        self.queries = 0
        original = db.read_now

        def read_now(sql, params=()):
            if "FROM bookmarks" in sql:
                self.queries += 1
            return original(sql, params)

        monkeypatch.setattr(db, "read_now", read_now)


async def test_bookmarks_are_told_from_memory_until_anything_is_committed(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    uid = await delegate(db)
    state = DelegateState(db)
    await state.bookmark(uid, "opening", NOW)
    reads = CountedReads(db, monkeypatch)
    for session in ("opening", "panel", "opening", "s2-liurong"):
        await state.is_bookmarked(uid, session)
    assert reads.queries == 1  # one query, then the answers come from memory
    await state.bookmark(uid, "panel", NOW)  # a commit: what memory holds is read again
    assert await state.is_bookmarked(uid, "panel")
    assert reads.queries == 2


async def test_a_write_by_another_process_is_seen_at_the_next_lookup(db: Database) -> None:
    """A command-line erasure while the bot runs: another connection deletes, the bot's memory does not answer for it."""
    uid = await delegate(db)
    state = DelegateState(db)
    await state.bookmark(uid, "opening", NOW)
    await state.join_visit(uid, "s2-liurong", None, NOW)
    assert await state.is_bookmarked(uid, "opening") and await state.visits(uid) == {"s2-liurong"}
    other = sqlite3.connect(db.path, isolation_level=None)
    try:
        other.execute("DELETE FROM bookmarks WHERE user_id = ?", (uid,))
        other.execute("DELETE FROM visit_signups WHERE user_id = ?", (uid,))
    finally:
        other.close()
    assert not await state.is_bookmarked(uid, "opening")
    assert await state.visits(uid) == set()


async def test_what_memory_holds_of_a_delegate_goes_with_forget(db: Database) -> None:
    uid = await delegate(db)
    state = DelegateState(db)
    await state.bookmark(uid, "opening", NOW)
    assert await state.is_bookmarked(uid, "opening")
    assert ("bookmarks", uid) in state._chosen
    state.forget_person(UserRef("test", "ana"), uid)
    assert ("bookmarks", uid) not in state._chosen
    await state.bookmarks(uid)
    state.forget_everyone()
    assert not state._chosen
