"""The Telegram update log: every ``update_id`` claimed once, committed before it is handled."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.app import Core
from bot.channels.telegram import UpdateLog


async def test_a_claim_is_committed_and_a_restarted_log_refuses_it(core: Core) -> None:
    log = UpdateLog(core.db, core.clock.now)
    log.open()
    try:
        assert await log.claim(501) is True
        assert await core.db.fetchone("SELECT 1 FROM telegram_updates WHERE update_id = 501") is not None
        assert await log.claim(501) is False
    finally:
        await log.close()
    restarted = UpdateLog(core.db, core.clock.now)  # empty memory: the answer comes from the database
    restarted.open()
    try:
        assert await restarted.claim(501) is False
        assert await restarted.claim(502) is True
    finally:
        await restarted.close()


async def test_a_claim_waits_for_a_write_on_the_shared_connection_instead_of_failing(core: Core) -> None:
    log = UpdateLog(core.db, core.clock.now)
    log.open()
    try:
        async with core.db.transaction() as conn:
            await conn.execute("INSERT INTO telegram_updates (update_id, received_at) VALUES (601, '2025-06-05')")
            claim = asyncio.create_task(log.claim(602))
            for _ in range(5):
                await asyncio.sleep(0)
            assert not claim.done()  # the database is locked by the transaction: the claim queues behind it
        assert await claim is True
        assert await log.claim(601) is False
    finally:
        await log.close()


async def test_without_its_own_connection_the_log_claims_through_the_shared_one(core: Core) -> None:
    log = UpdateLog(core.db, core.clock.now)  # never opened: as for an in-memory database
    assert await log.claim(701) is True
    assert await UpdateLog(core.db, core.clock.now).claim(701) is False


async def test_on_a_file_database_a_claim_needs_no_trip_to_the_database_thread(core: Core) -> None:
    log = UpdateLog(core.db, core.clock.now)
    log.open()
    claim = log.claim(801)
    try:
        with pytest.raises(StopIteration) as done:  # a coroutine that never suspends ends on its first step
            claim.send(None)
    finally:
        claim.close()
        await log.close()
    assert done.value.value is True
    assert await core.db.fetchone("SELECT 1 FROM telegram_updates WHERE update_id = 801") is not None


async def test_claims_on_the_own_connection_keep_the_wal_small(core: Core) -> None:
    log = UpdateLog(core.db, core.clock.now, checkpoint_every=20)
    log.open()
    try:
        for update_id in range(1, 401):
            await log.claim(update_id)
            if log.pending_checkpoint is not None:
                await log.pending_checkpoint
    finally:
        await log.close()
    wal = Path(core.db.path + "-wal").stat().st_size
    assert wal < 100 * 4096  # without checkpoints: over 400 pages, one or more per claim
