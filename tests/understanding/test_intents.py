"""Free text in English and Chinese reaches the same commands as slash commands."""

from __future__ import annotations

import pytest

from bot.understanding.intents import Intent, parse


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
        ("language", Intent("lang")),
        ("subscribe to stream 2", Intent("subscribe", "stream 2")),
        ("follow stream 2", Intent("subscribe", "stream 2")),
        ("unsubscribe from 3", Intent("unsubscribe", "3")),
        ("join visit v1", Intent("join", "v1")),
        ("分论坛二", Intent("stream", "二")),
        ("论坛 3", Intent("stream", "3")),
        ("第 2 天", Intent("day", "第 2 天")),
        ("reminders off", Intent("reminders", "off")),
        ("Turn off reminders!", Intent("reminders", "off")),
        ("remind me 45", Intent("reminders", "45")),
        ("关闭提醒", Intent("reminders", "off")),
        ("提醒 30", Intent("reminders", "30")),
        ("提醒30分钟", Intent("reminders", "30分钟")),
        ("timezone Europe/Madrid", Intent("timezone", "Europe/Madrid")),
        ("时区 关闭", Intent("timezone", "关闭")),
        ("bookmark opening", Intent("bookmark", "opening")),
        ("收藏opening", Intent("bookmark", "opening")),
        ("??", Intent("help")),
    ],
)
def test_free_text_becomes_a_command(text: str, intent: Intent) -> None:
    assert parse(text) == intent


@pytest.mark.parametrize("text", ["", "   ", "Bogotá", "tell me about care", "todays weather", "streamline", "sessions"])
def test_other_text_is_no_command(text: str) -> None:
    assert parse(text) is None


@pytest.mark.parametrize(
    "text, intent",
    [
        ("venues", Intent("venues")),
        ("where is my next session?", Intent("where")),
        ("when should I leave", Intent("where")),
        ("where is Liurong", Intent("venue", "Liurong")),
        ("how do I get to the bus point", Intent("venue", "the bus point")),
        ("venue 5", Intent("venue", "5")),
        ("会场", Intent("venues")),
        ("我的下一场在哪？", Intent("where")),
        ("怎么去六榕", Intent("venue", "六榕")),
        ("会场 六榕", Intent("venue", "六榕")),
    ],
)
def test_venue_words_in_english_and_chinese(text: str, intent: Intent) -> None:
    assert parse(text) == intent
