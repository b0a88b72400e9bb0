"""Hostile or broken input through the webhook: answered, short, and harmless to echo.

A 100 KB argument gets one short message back, not 75; a lone surrogate in
the text or the language code is answered, not dropped; terminal escapes and
bidi overrides never come back.
"""

from __future__ import annotations

from bot.conversation import ECHO, MAX_REPLY
from tests.channels.telegram.fake import FakeBotAPI, Harness, message_update, text_of
from tests.channels.telegram.fixtures import fake_api, telegram  # noqa: F401  (fixtures)


async def test_a_100_kb_argument_gets_one_short_answer(telegram: Harness, fake_api: FakeBotAPI) -> None:
    calls = await telegram.say("/session " + "x" * 100_000)
    sent = [c for c in calls if c.method == "sendMessage"]
    assert 1 <= len(sent) <= 2
    assert "x" * (ECHO + 1) not in text_of(sent)  # quoted back shortened
    assert sum(len(c.params["text"]) for c in sent) < MAX_REPLY


async def test_a_lone_surrogate_in_the_text_or_the_language_code_is_answered(telegram: Harness, fake_api: FakeBotAPI) -> None:
    calls = await telegram.deliver(message_update(telegram.next_id(), "/session \ud800abc", user_id=501, language="en"))
    assert [c for c in calls if c.method == "sendMessage"], "the update was dropped"
    calls = await telegram.deliver(message_update(telegram.next_id(), "today", user_id=502, language="e\udc00n"))
    assert [c for c in calls if c.method == "sendMessage"], "the update was dropped"


async def test_terminal_escapes_and_bidi_overrides_are_not_echoed(telegram: Harness, fake_api: FakeBotAPI) -> None:
    calls = await telegram.say("/session \x1b[31mred\x1b[0m\u202egnp.exe\x07")
    shown = text_of([c for c in calls if c.method == "sendMessage"])
    assert "red" in shown and "gnp.exe" in shown  # the words are quoted...
    assert not any(ch in shown for ch in "\x1b\u202e\x07")  # ...without what would recolour or reorder them


async def test_a_flooder_in_long_polling_is_slowed_down_and_holds_up_nobody(tmp_path, fake_api: FakeBotAPI) -> None:
    """100 messages from one person, then one from another: the flooder gets a burst and one "slow down"; the other is not queued behind them."""
    import asyncio

    from aiohttp import web

    from bot.app import build_core
    from bot.channels.telegram import RateLimiter, build_channel
    from bot.clock import ManualClock
    from bot.config import Settings
    from tests.channels.telegram.fake import TOKEN, FakeTime
    from tests.conftest import PROGRAMME, at, shipped

    settings = Settings.from_env(
        {"BOT_TELEGRAM_TOKEN": TOKEN, "BOT_TELEGRAM_API_URL": fake_api.url},
        programme=PROGRAMME, db=tmp_path / "flood.sqlite3", flood_burst=10, flood_per_minute=6,
    )
    core = await build_core(settings, ManualClock(at("2025-06-05T10:00")), programme=shipped(PROGRAMME))
    channel = build_channel(core.ports(), web.Application())
    assert channel is not None
    time = FakeTime()
    channel.sender.limiter = RateLimiter(monotonic=time.monotonic, sleep=time.sleep)
    flooder, other = 700, 701
    for n in range(100):
        await fake_api.push_update(message_update(n + 1, "/next", user_id=flooder, language="en"))
    await fake_api.push_update(message_update(101, "/next", user_id=other, language="en"))
    await channel.start()
    try:
        def answers(chat: int) -> list:
            return [c for c in fake_api.sent("sendMessage") if int(c.params["chat_id"]) == chat and c.result is not None]

        async with asyncio.timeout(20):
            while not (answers(other) and len(answers(flooder)) >= 11 and channel._order == {}):
                await asyncio.sleep(0.01)
    finally:
        await channel.stop()
        await core.close()
    to_flooder = answers(flooder)
    slow_down = core.catalogs.get("en").translations.gettext(
        "You are sending messages faster than I can read them. I will answer again in a moment.")
    assert len(to_flooder) == 11 and slow_down in to_flooder[-1].params["text"]  # a burst of 10, one warning, then quiet
    # /metrics counts every one of the 100: answered, the warning, refused quietly by the core, dropped by the channel
    value = core.metrics.registry.get_sample_value
    dropped = value("delegate_bot_updates_dropped_total", {"channel": "telegram", "reason": "flood"})
    warned = value("delegate_bot_flood_refused_total", {"channel": "telegram", "answer": "warned"})
    quiet = value("delegate_bot_flood_refused_total", {"channel": "telegram", "answer": "quiet"}) or 0
    assert dropped == channel.flood_dropped > 0 and warned == 1
    assert 10 + warned + quiet + dropped == 100
    sent = fake_api.sent("sendMessage")
    # handled one after the other, the other delegate would come after all eleven
    assert sent.index(answers(other)[0]) < sent.index(to_flooder[-1])


async def test_a_webhook_update_while_the_database_is_locked_elsewhere_is_answered_not_lost(telegram: Harness, fake_api: FakeBotAPI) -> None:
    """Another process holds the write lock past SQLite's busy timeout: the update waits, then has its effect once."""
    from tests.channels.wechat.test_hardening import hold_write_lock, short_busy_timeout

    core = telegram.core
    await telegram.say("/start")
    await short_busy_timeout(core.db)
    hold_write_lock(core.db.path, 0.6)
    calls = await telegram.say("/bookmark s3-cases")
    assert "Stream 3" in text_of([c for c in calls if c.method == "sendMessage"])
    rows = await core.db.fetchall("SELECT session_id FROM bookmarks")
    assert [r[0] for r in rows] == ["s3-cases"]
    assert core.db.lock_retries > 0
