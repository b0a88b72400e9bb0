"""Flood control in the core: a burst is answered, then one "slow down", then quiet until the bucket refills."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.app import build_core
from bot.clock import ManualClock
from bot.config import Settings
from tests.conftest import PROGRAMME, Chat, at, shipped

SLOW_DOWN = "You are sending messages faster than I can read them. I will answer again in a moment."


async def test_a_burst_then_one_warning_then_quiet_for_the_whole_flood(tmp_path: Path) -> None:
    settings = Settings.from_env({}, programme=PROGRAMME, db=tmp_path / "bot.sqlite3", flood_burst=5, flood_per_minute=30)
    core = await build_core(settings, ManualClock(at("2025-06-05T10:00")), programme=shipped(PROGRAMME))
    try:
        flooder, other = Chat(core, "flooder", language="zh-CN"), Chat(core, "other")
        slow_down = core.catalogs.get("zh_Hans").translations.gettext(SLOW_DOWN)
        answered = [await flooder.say("next") for _ in range(5)]
        assert all(a and slow_down not in a for a in answered)  # five real answers
        warning = await flooder.say("next")
        assert warning == slow_down  # in their language
        assert [await flooder.say("next") for _ in range(20)] == [""] * 20  # then nothing at all
        assert "Next" in await other.say("/next")  # nobody else is affected
        for _ in range(5):  # a sustained flood: one answer every two seconds (30 a minute), no new warning
            await core.clock.advance(dt.timedelta(seconds=2))
            assert await flooder.say("next") not in ("", warning)
            assert [await flooder.say("next") for _ in range(3)] == [""] * 3
        await core.clock.advance(dt.timedelta(seconds=10))  # calm for a whole burst (5 at 30 a minute)
        assert all([await flooder.say("next") not in ("", warning) for _ in range(5)])
        assert await flooder.say("next") == warning  # a new flood, a new (single) warning
        assert await flooder.say("next") == ""
        value = core.metrics.registry.get_sample_value  # /metrics: two warnings, 20 + 5 * 3 + 1 refused quietly
        assert value("delegate_bot_flood_refused_total", {"channel": "test", "answer": "warned"}) == 2
        assert value("delegate_bot_flood_refused_total", {"channel": "test", "answer": "quiet"}) == 36
    finally:
        await core.close()


async def test_flood_control_can_be_turned_off(tmp_path: Path) -> None:
    settings = Settings.from_env({"BOT_FLOOD_BURST": "0"}, programme=PROGRAMME, db=tmp_path / "bot.sqlite3")
    core = await build_core(settings, ManualClock(at("2025-06-05T10:00")), programme=shipped(PROGRAMME))
    try:
        chat = Chat(core, "scripted")
        assert all([await chat.say("/next") for _ in range(50)])
    finally:
        await core.close()
