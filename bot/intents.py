"""Free text to commands, for channels without slash commands (WeChat) and for people.

Every pattern is tried whatever the delegate's language, so a Chinese
delegate typing ``next`` and an English one typing ``明天`` are both understood.
Add a language's words here when adding its catalog.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Intent:
    command: str
    args: str = ""


def _words(*words: str) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_QUESTION = r"[\s?？!！.。]*"

_FIXED: list[tuple[str, str, tuple[str, ...]]] = [
    ("start", "", ("start", "hello", "hi", "hey", "你好", "您好", "开始")),
    ("help", "", ("help", "menu", "?", "？", "帮助", "菜单", "怎么用")),
    ("today", "", ("today", "what is on today", "whats on today", "what's on today", "today's programme",
                   "today's program", "today programme", "今天", "今日", "今天的日程", "今天有什么")),
    ("now", "", ("now", "what is on now", "whats on now", "what's on now", "happening now", "right now",
                 "现在", "正在进行", "现在有什么")),
    ("next", "", ("next", "what is next", "whats next", "what's next", "coming up", "up next",
                  "下一个", "下一场", "接下来", "下一项", "接下来是什么")),
    ("day", "tomorrow", ("tomorrow", "tomorrow's programme", "what is on tomorrow", "what's on tomorrow",
                         "明天", "明日", "明天的日程")),
    ("programme", "", ("programme", "program", "agenda", "schedule", "full programme", "日程", "议程", "日程表", "全部日程")),
    ("streams", "", ("streams", "all streams", "tracks", "分论坛", "所有分论坛")),
    ("myagenda", "", ("my agenda", "my schedule", "my programme", "my program", "my bookmarks",
                      "我的日程", "我的议程", "我的收藏")),
    ("visits", "", ("visits", "site visits", "参观", "实地考察", "考察", "参观考察")),
    ("reminders", "", ("reminders", "my reminders", "提醒", "提醒设置")),
    ("reminders", "off", ("reminders off", "turn off reminders", "stop reminders", "关闭提醒", "不要提醒")),
    ("reminders", "on", ("reminders on", "turn on reminders", "打开提醒", "开启提醒")),
    ("timezone", "", ("timezone", "time zone", "my time zone", "时区")),
    ("subscribe", "", ("subscribe", "follow", "follow a stream", "订阅", "关注", "订阅分论坛", "关注分论坛")),
    ("unsubscribe", "", ("unsubscribe", "unfollow", "取消订阅", "取消关注", "退订")),
    ("join", "", ("join", "join a visit", "sign up", "报名", "报名参观", "参加")),
    ("leave", "", ("leave", "取消报名")),
]


def _normalise(text: str) -> str:
    """Fold typographic apostrophes, so "what’s next" reads as "what's next"."""
    return text.replace("\u2019", "'").replace("\u2018", "'")


# (pattern, command, fixed args or None to take group "args")
_TABLE: list[tuple[re.Pattern[str], str, str | None]] = [
    (re.compile(rf"^(?:{_words(*words)}){_QUESTION}$", re.I), command, args) for command, args, words in _FIXED
] + [
    (re.compile(r"^(?:stream|track|分论坛|论坛)\s*(?P<args>\S.*?)\s*$", re.I), "stream", None),
    (re.compile(r"^(?P<args>day\s*\d{1,2}|第\s*\d{1,2}\s*天)\s*$", re.I), "day", None),
    (re.compile(r"^(?:day|日期)\s+(?P<args>.+?)\s*$", re.I), "day", None),
    (re.compile(r"^(?:search|find|look for|搜索|查找|搜)\s*(?P<args>\S.*?)\s*$", re.I), "search", None),
    (re.compile(r"^(?:session|详情)\s*(?P<args>\S+)\s*$", re.I), "session", None),
    (re.compile(r"^(?:lang|language|语言)\s*(?P<args>\S*)\s*$", re.I), "lang", None),
    (re.compile(r"^(?:(?:unsubscribe|unfollow)\s+(?:from\s+)?|(?:取消订阅|取消关注|退订)\s*)(?P<args>\S.*?)\s*$", re.I), "unsubscribe", None),
    (re.compile(r"^(?:(?:subscribe|follow)\s+(?:to\s+)?|(?:订阅|关注)\s*)(?P<args>\S.*?)\s*$", re.I), "subscribe", None),
    (re.compile(r"^(?:(?:unbookmark|remove bookmark)\s+|取消收藏\s*)(?P<args>\S+)\s*$", re.I), "unbookmark", None),
    (re.compile(r"^(?:bookmark\s+|收藏\s*)(?P<args>\S+)\s*$", re.I), "bookmark", None),
    (re.compile(r"^(?:(?:join|sign up for)\s+(?:visit\s+)?|(?:报名|参加)\s*)(?P<args>\S.*?)\s*$", re.I), "join", None),
    (re.compile(r"^(?:leave\s+(?:visit\s+)?|取消报名\s*)(?P<args>\S.*?)\s*$", re.I), "leave", None),
    (re.compile(r"^(?:(?:reminders?|remind me)\s+|提醒\s*)(?P<args>\S.*?)\s*$", re.I), "reminders", None),
    (re.compile(r"^(?:(?:timezone|time zone)\s+|时区\s*)(?P<args>\S.*?)\s*$", re.I), "timezone", None),
]


def parse(text: str) -> Intent | None:
    """The command a message asks for, or ``None`` if it is not one we know."""
    text = _normalise(" ".join(text.strip().split()))
    if not text:
        return None
    if text.startswith("/"):
        head, _, rest = text[1:].partition(" ")
        command = head.split("@", 1)[0].lower()
        return Intent(command, rest.strip()) if command else None
    for pattern, command, fixed in _TABLE:
        m = pattern.match(text)
        if m:
            return Intent(command, fixed if fixed is not None else m.group("args"))
    return None
