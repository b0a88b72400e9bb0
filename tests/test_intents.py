"""Free text in English and Chinese reaches the same commands as slash commands."""

from __future__ import annotations

import pytest

from bot.intents import Intent, parse


@pytest.mark.parametrize(
    "text, intent",
    [
        ("/today", Intent("today")),
        ("/session@DelegateBot opening", Intent("session", "opening")),
        ("today", Intent("today")),
        ("Today?", Intent("today")),
        ("what's on today", Intent("today")),
        ("now", Intent("now")),
        ("What's on now?", Intent("now")),
        ("what's next", Intent("next")),
        ("What’s next?", Intent("next")),
        ("next", Intent("next")),
        ("tomorrow", Intent("day", "tomorrow")),
        ("stream 2", Intent("stream", "2")),
        ("Stream2", Intent("stream", "2")),
        ("streams", Intent("streams")),
        ("day 3", Intent("day", "day 3")),
        ("day thursday", Intent("day", "thursday")),
        ("search Bogotá", Intent("search", "Bogotá")),
        ("find care blocks", Intent("search", "care blocks")),
        ("programme", Intent("programme")),
        ("help", Intent("help")),
        ("lang zh", Intent("lang", "zh")),
        ("今天", Intent("today")),
        ("现在", Intent("now")),
        ("下一个", Intent("next")),
        ("接下来？", Intent("next")),
        ("明天", Intent("day", "tomorrow")),
        ("日程", Intent("programme")),
        ("分论坛2", Intent("stream", "2")),
        ("分论坛", Intent("streams")),
        ("第3天", Intent("day", "第3天")),
        ("搜索 波哥大", Intent("search", "波哥大")),
        ("帮助", Intent("help")),
        ("订阅", Intent("subscribe")),
        ("订阅分论坛2", Intent("subscribe", "分论坛2")),
        ("取消订阅", Intent("unsubscribe")),
        ("报名", Intent("join")),
        ("取消报名", Intent("leave")),
    ],
)
def test_free_text_becomes_a_command(text: str, intent: Intent) -> None:
    assert parse(text) == intent


@pytest.mark.parametrize("text", ["", "   ", "Bogotá", "tell me about care", "todays weather"])
def test_other_text_is_no_command(text: str) -> None:
    assert parse(text) is None
