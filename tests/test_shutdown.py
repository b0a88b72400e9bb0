"""SIGTERM to a real ``delegate-bot run`` in the middle of a broadcast: nothing is lost, nothing is sent twice.

The bot runs as its own process against a fake Bot API (on 127.0.0.1, in
this test's loop) that takes half a second per message.  SIGTERM comes
while the broadcast is going out: the process must stop taking input, let
the messages in flight finish, keep the rest pending, close the database
cleanly and exit 0; a second run delivers the rest, and every delegate has
the message exactly once.
"""

from __future__ import annotations

import asyncio
import collections
import io
import os
import signal
import sqlite3
import sys
from pathlib import Path
from typing import Any

from bot import admin
from bot.clock import ManualClock
from bot.config import Settings
from bot.conversation import UserRef
from bot.store import Database, Users
from tests.channels.telegram.fake import TOKEN, FakeBotAPI
from tests.conftest import PROGRAMME, ROOT, at, shipped
from tests.test_logs import free_port

DELEGATES = 60
TEXT = "The bus to Liurong leaves at 09:35 from the main entrance."


class SlowBotAPI(FakeBotAPI):
    """Telegram taking its time: each message is accepted half a second after it arrives."""

    delay = 0.5

    async def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "sendMessage":
            await asyncio.sleep(self.delay)
        return await super()._result(method, params)

    def broadcast_chats(self) -> list[int]:
        return [int(c.params["chat_id"]) for c in self.calls if c.method == "sendMessage" and "Liurong" in str(c.params.get("text"))]


def statuses(db: Path) -> collections.Counter[str]:
    conn = sqlite3.connect(db)
    try:
        return collections.Counter(r[0] for r in conn.execute("SELECT status FROM outbox WHERE campaign_id IS NOT NULL"))
    finally:
        conn.close()


async def start_bot(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    """``delegate-bot run`` as its own process, its log into ``log`` (a pipe nobody reads could fill up)."""
    with log.open("ab") as sink:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=ROOT, env=env, stdout=sink, stderr=sink,
        )


async def until(condition, process: asyncio.subprocess.Process, timeout: float = 30.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            if process.returncode is not None:
                raise AssertionError(f"the bot exited early ({process.returncode})")
            await asyncio.sleep(0.02)


async def test_sigterm_during_a_broadcast_loses_nothing_and_sends_nothing_twice(tmp_path: Path) -> None:
    api = SlowBotAPI()
    await api.start()
    db_path = tmp_path / "bot.sqlite3"
    settings = Settings.from_env({}, programme=PROGRAMME, db=db_path)
    db = await Database.open(db_path)
    users = Users(db)
    for n in range(DELEGATES):
        await users.seen(UserRef("telegram", str(7000 + n)), "en", at("2025-06-05T09:00"))
    await db.close()
    queued = io.StringIO()
    clock = ManualClock(at("2025-06-05T10:00"))
    assert await admin.broadcast(settings, shipped(PROGRAMME), "everyone", TEXT, yes=True, out=queued, clock=clock) == 0
    assert statuses(db_path) == {"pending": DELEGATES}

    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update(
        BOT_TELEGRAM_TOKEN=TOKEN, BOT_TELEGRAM_API_URL=api.url, BOT_DB=str(db_path), BOT_PROGRAMME=str(PROGRAMME),
        BOT_HTTP_PORT=str(free_port()), BOT_SHUTDOWN_SECONDS="10", BOT_LOG_LEVEL="INFO",
        BOT_RETENTION_DAYS="off",  # the shipped event is over on the real clock: no purge in the middle of this test
    )
    try:
        first_log = tmp_path / "first.log"
        bot = await start_bot(env, first_log)
        await until(lambda: len(api.broadcast_chats()) >= 5, bot)
        bot.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            await bot.wait()
        log = first_log.read_text(encoding="utf-8")
        assert bot.returncode == 0, log
        assert "stopping: no new messages are taken" in log and log.rstrip().endswith("stopped")
        delivered = api.broadcast_chats()
        after_first = statuses(db_path)
        # the messages in flight finished (within the bound); nothing is in doubt, the rest waits
        assert after_first["sent"] == len(set(delivered)) == len(delivered)
        assert after_first["pending"] == DELEGATES - len(delivered) > 0
        assert set(after_first) <= {"sent", "pending"}, after_first
        assert not Path(f"{db_path}-wal").exists() or Path(f"{db_path}-wal").stat().st_size == 0  # closed cleanly

        again = await start_bot(env, tmp_path / "second.log")
        await until(lambda: len(api.broadcast_chats()) >= DELEGATES, again)
        await until(lambda: statuses(db_path)["sent"] == DELEGATES, again)
        again.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            await again.wait()
        assert again.returncode == 0, (tmp_path / "second.log").read_text(encoding="utf-8")
    finally:
        await api.stop()
    counts = collections.Counter(api.broadcast_chats())
    assert set(counts) == {7000 + n for n in range(DELEGATES)}
    assert set(counts.values()) == {1}  # everyone once, nobody twice
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
