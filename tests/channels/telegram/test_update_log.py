"""The Telegram update log: every ``update_id`` claimed once, committed before it is handled."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.app import Core
from bot.channels.telegram import UpdateLog, inbox_path
from tests.channels.telegram.fixtures import fake_api  # noqa: F401  (fixture)


async def _after_restart(core: Core) -> tuple[list[tuple[int, str]], int]:
    """What a new start finds unfinished: a log opened as the channel opens it (and closed, letting its file go)."""
    log = UpdateLog(core.db, core.clock.now)
    log.open()
    try:
        return await log.unfinished()
    finally:
        await log.close()


async def test_a_claim_is_committed_and_a_restarted_log_refuses_it(core: Core) -> None:
    log = UpdateLog(core.db, core.clock.now)
    log.open()
    try:
        assert await log.claim(501) is True
        assert log.inbox and Path(inbox_path(core.db.path)).exists()  # the log's own file, beside the database
        assert log.kept(501) == (None, 0)
        assert await log.claim(501) is False
    finally:
        await log.close()
    restarted = UpdateLog(core.db, core.clock.now)  # empty memory: the answer comes from the file
    restarted.open()
    try:
        assert await restarted.claim(501) is False
        assert await restarted.claim(502) is True
    finally:
        await restarted.close()


async def test_a_claim_waits_for_a_write_on_the_shared_connection_instead_of_failing(core: Core) -> None:
    log = UpdateLog(core.db, core.clock.now, own_file=False)  # as where the own file cannot be had
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
        assert log.kept(801) is not None
    finally:
        claim.close()
        await log.close()
    assert done.value.value is True


async def test_the_own_file_is_held_by_one_process_and_another_shares_the_database_file(core: Core) -> None:
    """A second bot on the same database (a mistake) cannot have the file: its log uses the shared table, still once only."""
    first = UpdateLog(core.db, core.clock.now)
    first.open()
    second = UpdateLog(core.db, core.clock.now)
    second.open()
    try:
        assert first.inbox and not second.inbox
        assert await second.claim(811) is True
        assert await core.db.fetchone("SELECT 1 FROM telegram_updates WHERE update_id = 811") is not None
        assert await first.claim(812) is True and first.kept(812) is not None
    finally:
        await second.close()
        await first.close()


async def test_the_shared_tables_rows_move_into_the_own_file_at_open(core: Core) -> None:
    """From an earlier version (or a run that shared the file): unfinished updates and known ids are not lost."""
    earlier = UpdateLog(core.db, core.clock.now)  # never opened: claims in the database's own table
    assert await earlier.claim(821, '{"update_id": 821}')
    assert await earlier.claim(822)
    log = UpdateLog(core.db, core.clock.now)
    log.open()
    try:
        assert log.inbox
        assert log.kept(821) == ('{"update_id": 821}', 0) and log.kept(822) == (None, 0)
        assert await core.db.fetchone("SELECT 1 FROM telegram_updates") is None  # moved, not copied
        assert await log.claim(822) is False  # the id is known in its new place
        again, _ = await log.unfinished()
        assert again == [(821, '{"update_id": 821}')]
    finally:
        await log.close()


async def test_a_damaged_own_file_is_set_aside_and_a_new_one_begun(core: Core, caplog) -> None:
    import logging

    target = Path(inbox_path(core.db.path))
    target.write_bytes(b"not a database, as after a power cut " * 200)
    caplog.set_level(logging.WARNING, logger="bot.channels.telegram")
    log = UpdateLog(core.db, core.clock.now)
    log.open()
    try:
        assert log.inbox
        assert await log.claim(831) is True and log.kept(831) is not None
    finally:
        await log.close()
    assert [p.name for p in target.parent.glob(target.name + ".damaged-*")]  # kept for a look, not deleted
    assert any("damaged" in r.getMessage() for r in caplog.records)


async def test_forgetting_a_chat_clears_what_the_own_file_keeps_of_its_updates(core: Core) -> None:
    log = UpdateLog(core.db, core.clock.now)
    log.open()
    try:
        assert await log.claim(841, '{"update_id": 841, "message": {"chat": {"id": 5550123}, "text": "/next"}}')
        assert await log.claim(842, '{"update_id": 842, "message": {"chat": {"id": 5550999}, "text": "/now"}}')
        assert log.forget("5550123") == 1
        assert log.kept(841) == (None, 0) and log.kept(842)[0] is not None
        assert log.forget("12") == 0  # too short to tell a chat from a number in someone else's text
        assert log.forget(None) == 1  # the purge: everyone's
        assert log.kept(842) == (None, 0)
        assert await log.claim(841) is False  # the ids stay: a redelivery still has no second effect
    finally:
        await log.close()


async def test_claims_on_the_own_connection_keep_the_wal_small(core: Core) -> None:
    log = UpdateLog(core.db, core.clock.now, checkpoint_every=20, own_file=False)
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


async def _channel(tmp_path: Path, fake_api):
    """A core and a long-polling channel against the fake Bot API, on a file database (as after a restart)."""
    from aiohttp import web

    from bot.app import build_core
    from bot.channels.telegram import build_channel
    from bot.clock import ManualClock
    from bot.config import Settings
    from tests.channels.telegram.fake import TOKEN
    from tests.conftest import PROGRAMME, at, shipped

    settings = Settings.from_env(
        {"BOT_TELEGRAM_TOKEN": TOKEN, "BOT_TELEGRAM_API_URL": fake_api.url},
        programme=PROGRAMME, db=tmp_path / "inbox.sqlite3", flood_burst=0,
    )
    core = await build_core(settings, ManualClock(at("2025-06-05T10:00")), programme=shipped(PROGRAMME))
    channel = build_channel(core.ports(), web.Application())
    assert channel is not None
    return core, channel


def _answers(fake_api, chat: int) -> list:
    return [c for c in fake_api.sent("sendMessage") if int(c.params["chat_id"]) == chat and c.result is not None]


async def test_an_update_a_crash_interrupted_is_answered_at_the_next_start_before_newer_ones(tmp_path: Path, fake_api) -> None:
    """Long polling confirmed it to Telegram, the bot was killed before answering: the next start answers it, once."""
    import json

    from tests.channels.telegram.fake import message_update

    core, channel = await _channel(tmp_path, fake_api)
    # what the killed run left: 41 claimed with its body and never finished; 42 finished
    log = UpdateLog(core.db, core.clock.now)
    assert await log.claim(41, json.dumps(message_update(41, "/next", user_id=800, language="en")))
    assert await log.claim(42, json.dumps(message_update(42, "/next", user_id=801, language="en")))
    await log.done(42)
    # and 40, interrupted once already when it was handled again: let go, not tried a third time
    assert await log.claim(40, json.dumps(message_update(40, "/next", user_id=802, language="en")))
    await core.db.execute("UPDATE telegram_updates SET replays = 1 WHERE update_id = 40")
    await fake_api.push_update(message_update(43, "/today", user_id=800, language="en"))  # their next message
    await channel.start()
    try:
        async with asyncio.timeout(20):
            while len(_answers(fake_api, 800)) < 2 or channel._order:
                await asyncio.sleep(0.01)
    finally:
        await channel.stop()
    first, second = _answers(fake_api, 800)[:2]
    assert "Next" in first.params["text"] and "Next" not in second.params["text"]  # in the order they were sent
    assert _answers(fake_api, 801) == [] and _answers(fake_api, 802) == []  # finished before the crash, or let go
    value = core.metrics.registry.get_sample_value
    assert value("delegate_bot_updates_resumed_total", {"channel": "telegram", "outcome": "handled"}) == 1
    assert value("delegate_bot_updates_resumed_total", {"channel": "telegram", "outcome": "let_go"}) == 1
    assert not channel._raw  # getUpdates' own JSON of update 43 was what its claim kept
    assert await core.db.fetchone("SELECT 1 FROM telegram_updates WHERE body IS NOT NULL") is None
    assert await _after_restart(core) == ([], 0)  # a further restart: nothing again
    await core.close()


async def test_an_update_interrupted_twice_is_let_go(tmp_path: Path, fake_api, caplog) -> None:
    """Handled again at one start and interrupted again (it may be what brings the bot down): let go, said in the log."""
    import json
    import logging

    from tests.channels.telegram.fake import message_update

    core, channel = await _channel(tmp_path, fake_api)
    log = UpdateLog(core.db, core.clock.now)
    assert await log.claim(51, json.dumps(message_update(51, "/next", user_id=900, language="en")))
    await core.db.execute("UPDATE telegram_updates SET replays = 1 WHERE update_id = 51")
    caplog.set_level(logging.INFO, logger="bot.channels.telegram")
    await channel.start()
    try:
        for _ in range(20):
            await asyncio.sleep(0.01)
    finally:
        await channel.stop()
    assert _answers(fake_api, 900) == []
    assert await _after_restart(core) == ([], 0)
    assert any("0 Telegram updates an earlier run did not finish" in r.getMessage() and "1 let go" in r.getMessage()
               for r in caplog.records)
    await core.close()


async def test_a_handled_update_keeps_no_text(core: Core) -> None:
    """The body is kept only while the update is handled: afterwards the log holds ids and times alone."""
    log = UpdateLog(core.db, core.clock.now)
    assert await log.claim(61, '{"update_id": 61}')
    assert (await core.db.fetchone("SELECT body FROM telegram_updates WHERE update_id = 61"))[0] is not None
    await log.done(61)
    assert (await core.db.fetchone("SELECT body FROM telegram_updates WHERE update_id = 61"))[0] is None
    own = UpdateLog(core.db, core.clock.now)
    own.open()
    try:
        assert await own.claim(62, '{"update_id": 62}') and own.kept(62)[0] is not None
        await own.done(62)
    finally:
        await own.close()
    assert await _after_restart(core) == ([], 0)


class _Timers:
    """``call_later`` for the log, run by the test: the delays asked for, and the callbacks to run."""

    def __init__(self) -> None:
        self.asked: list[tuple[float, object]] = []

    def __call__(self, delay: float, callback):
        self.asked.append((delay, callback))
        return asyncio.get_running_loop().call_later(3600, lambda: None)  # a handle close() can cancel

    def run(self) -> None:
        (_, callback), = self.asked
        self.asked.clear()
        callback()


def _timed_log(core: Core, own_file: bool = True) -> tuple[UpdateLog, _Timers]:
    """A log on its own connection whose done-mark timer the test runs (the caller closes it, or kills it)."""
    timers = _Timers()
    log = UpdateLog(core.db, core.clock.now, call_later=timers, own_file=own_file)
    log.open()
    return log, timers


async def _body(core: Core, update_id: int, log: UpdateLog | None = None):
    """An update's body as committed: in the shared table, or in the log's own file (through its connection)."""
    if log is not None and log.inbox:
        return log.kept(update_id)[0]
    row = await core.db.fetchone("SELECT body FROM telegram_updates WHERE update_id = ?", (update_id,))
    return row[0]


async def test_a_done_mark_is_committed_with_the_next_claim(core: Core) -> None:
    log, timers = _timed_log(core)
    try:
        assert await log.claim(901, '{"update_id": 901}')
        await log.done(901)
        assert log.waiting == (901,)
        assert await _body(core, 901, log) is not None  # not committed on its own
        assert await log.claim(902, '{"update_id": 902}')
        assert log.waiting == ()
        assert await _body(core, 901, log) is None  # went with 902's claim
        assert await _body(core, 902, log) is not None
    finally:
        await log.close()


async def test_with_no_next_claim_a_done_mark_is_committed_within_the_bound(core: Core) -> None:
    from bot.channels.telegram import DONE_WITHIN

    log, timers = _timed_log(core)
    try:
        for update_id in (911, 912):
            assert await log.claim(update_id, "{}")
        await log.done(911)
        await log.done(912)
        assert [delay for delay, _ in timers.asked] == [DONE_WITHIN]  # one timer for both
        assert DONE_WITHIN <= 0.1
        timers.run()
        assert log.waiting == ()
        assert await _body(core, 911, log) is None and await _body(core, 912, log) is None
    finally:
        await log.close()


async def test_a_crash_before_a_done_mark_is_committed_answers_the_update_again_once(core: Core) -> None:
    """The documented bound: handled, its done-mark still waiting, killed: the next start has it as unfinished."""
    log, timers = _timed_log(core)
    assert await log.claim(921, '{"update_id": 921}')
    await log.done(921)
    log._conn.close()  # the kill: nothing more is written, the timer never runs (and the file's lock goes)
    again, dropped = await _after_restart(core)
    assert again == [(921, '{"update_id": 921}')] and dropped == 0
    assert await _after_restart(core) == ([], 1)  # and only once


async def test_a_crash_after_the_next_claim_does_not_answer_a_handled_update_again(core: Core) -> None:
    log, timers = _timed_log(core)
    assert await log.claim(931, '{"update_id": 931}')
    await log.done(931)
    assert await log.claim(932, '{"update_id": 932}')
    log._conn.close()  # killed while 932 is handled
    again, _ = await _after_restart(core)
    assert again == [(932, '{"update_id": 932}')]


async def test_closing_the_log_commits_the_done_marks_waiting(core: Core) -> None:
    log, _timers = _timed_log(core)
    assert await log.claim(941, "{}")
    await log.done(941)
    await log.close()
    assert await _after_restart(core) == ([], 0)


async def test_done_marks_wait_for_a_write_on_the_shared_connection_instead_of_being_lost(core: Core) -> None:
    log, timers = _timed_log(core, own_file=False)
    try:
        assert await log.claim(951, "{}")
        await log.done(951)
        async with core.db.transaction() as conn:
            await conn.execute("INSERT INTO telegram_updates (update_id, received_at) VALUES (950, '2025-06-05')")
            timers.run()  # the own connection is busy: the marks go through the shared one, behind the transaction
            claim = asyncio.create_task(log.claim(952, "{}"))
            for _ in range(5):
                await asyncio.sleep(0)
            assert not claim.done()
        assert await claim is True
    finally:
        await log.close()
    assert await _body(core, 951) is None
    assert await _body(core, 952) is not None  # claimed, never handled


async def test_forget_and_the_purge_reach_the_updates_the_own_file_keeps(tmp_path: Path, fake_api) -> None:
    """/forget and the retention purge go through the core's caches: the channel clears its log's own file too."""
    from bot.conversation import UserRef

    core, channel = await _channel(tmp_path, fake_api)
    channel.updates.open()
    try:
        assert channel.updates.inbox
        assert await channel.updates.claim(851, '{"update_id": 851, "message": {"chat": {"id": 7770001}}}')
        assert await channel.updates.claim(852, '{"update_id": 852, "message": {"chat": {"id": 7770002}}}')
        core.ports().caches.forget_person(UserRef("telegram", "7770001"), None)
        assert channel.updates.kept(851)[0] is None and channel.updates.kept(852)[0] is not None
        core.ports().caches.forget_everyone()
        assert channel.updates.kept(852)[0] is None
    finally:
        await channel.updates.close()
        await core.close()
