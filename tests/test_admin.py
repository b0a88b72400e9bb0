"""The server's command line for organisers: broadcast, broadcasts, reload, and how the running bot hears of them."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from bot import admin
from bot.clock import ManualClock
from bot.config import Settings
from bot.service import pid_path, run_service
from tests.channels.telegram.fake import TOKEN, FakeBotAPI, message_update
from tests.channels.telegram.fixtures import fake_api  # noqa: F401  (fixture)
from tests.conftest import PROGRAMME, at, shipped


def settings_for(tmp_path: Path, **env: str) -> Settings:
    from tests.test_logs import free_port

    env.setdefault("http_port", str(free_port()))  # the running bot's web server, beside other test runs
    return Settings.from_env({f"BOT_{k.upper()}": v for k, v in env.items()}, programme=PROGRAMME, db=tmp_path / "bot.sqlite3")


async def until(condition, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


async def test_a_broadcast_from_the_command_line_is_sent_by_the_running_bot(tmp_path: Path, fake_api: FakeBotAPI) -> None:
    settings = settings_for(tmp_path, telegram_token=TOKEN, telegram_api_url=fake_api.url)
    stop = asyncio.Event()
    clock = ManualClock(at("2025-06-05T10:00"))  # the server's clock, shared with the command line below
    service = asyncio.create_task(run_service(settings, clock, stop))
    try:
        await until(pid_path(settings).exists)
        await fake_api.push_update(message_update(1, "/subscribe 2", user_id=301, language="en"))
        await fake_api.push_update(message_update(2, "/subscribe 2", user_id=302, language="zh-hans"))
        await until(lambda: len(fake_api.sent("sendMessage")) >= 2)
        out = io.StringIO()
        text = "The Stream 2 roundtable moves to room B.\n[zh]\n分论坛二圆桌讨论改在B厅。"
        assert await admin.broadcast(settings, shipped(PROGRAMME), "stream:2", text, yes=True, out=out, clock=clock) == 0
        assert "2 messages queued" in out.getvalue() and "The running bot is sending it." in out.getvalue()
        await until(lambda: len([c for c in fake_api.sent("sendMessage") if "room B" in c.params["text"] or "B厅" in c.params["text"]]) == 2)
        texts = {int(c.params["chat_id"]): c.params["text"] for c in fake_api.sent("sendMessage") if "B" in c.params["text"]}
        assert "moves to room B" in texts[301] and "B厅" in texts[302]
    finally:
        stop.set()
        assert await service == 0
    assert not pid_path(settings).exists()  # removed when the bot stops
    listed = io.StringIO()
    assert await admin.show_broadcasts(settings, shipped(PROGRAMME), None, out=listed) == 0
    assert "#1 sending" in listed.getvalue() or "#1 done" in listed.getvalue()
    assert "sent 2" in listed.getvalue()


async def test_without_a_running_bot_the_broadcast_waits_and_a_refusal_sends_nothing(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    out = io.StringIO()
    assert await admin.broadcast(settings, shipped(PROGRAMME), "everyone", "Hello", yes=True, out=out) == 1  # nobody yet
    assert await admin.broadcast(settings, shipped(PROGRAMME), "stream:9", "Hello", yes=True, out=out) == 2
    assert await admin.broadcast(settings, shipped(PROGRAMME), "everyone", "Hello", at="yesterday", out=out) == 2


async def test_a_broadcast_is_not_sent_without_a_yes(tmp_path: Path, core) -> None:
    from tests.conftest import Chat

    settings = core.settings
    await Chat(core, "alice").say("/subscribe 1")
    out = io.StringIO()
    assert await admin.broadcast(settings, shipped(PROGRAMME), "stream:1", "Hello", out=out, ask=lambda prompt: "n") == 1
    assert "Not sent." in out.getvalue()
    assert (await core.outbox.counts()) == {}


def test_reload_without_a_running_bot_says_so(tmp_path: Path) -> None:
    out = io.StringIO()
    assert admin.reload(settings_for(tmp_path), out=out) == 0
    assert "No running bot was found" in out.getvalue()
