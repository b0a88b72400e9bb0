"""Scripted Telegram conversations, one row per command, in English and Chinese.

Each row is a list of steps: say something or press a button on the last
message with buttons, then what the delegate must read and whether the
message was sent or edited in place.  Everything goes through the webhook
route, and every request the bot makes goes over HTTP to the fake Bot API,
which checks it against the Bot API specification.  Features add their
commands by adding rows (reminders, bookmarks: a row each).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.telegram_fake import Call, Harness, buttons_of, text_of
from tests.telegram_fixtures import fake_api, telegram  # noqa: F401  (fixtures)


@dataclass(frozen=True)
class Say:
    text: str


@dataclass(frozen=True)
class Press:
    """Press the first button (on the latest message with buttons) whose label or payload contains ``match``."""

    match: str


SENT, EDITED = "sendMessage", "editMessageText"


@dataclass(frozen=True)
class Step:
    action: Say | Press
    expect: tuple[str, ...]
    method: str = SENT


def step(action: Say | Press, *expect: str, method: str = SENT) -> Step:
    return Step(action, expect, method)


ENGLISH: dict[str, list[Step]] = {
    "start": [step(Say("/start"), "Welcome to", "Workshop"), step(Press("/today"), "Thu, Jun 5", "Liurong", method=EDITED)],
    "help": [step(Say("/help"), "/today", "/search", "/lang")],
    "today": [step(Say("/today"), "Thu, Jun 5", "Liurong")],
    "now": [step(Say("/now"), "10:00", "Liurong")],
    "next": [step(Say("/next"), "11:40", "roundtable")],
    "day": [step(Say("/day 2"), "Wed, Jun 4", "Introductory session")],
    "day-buttons": [
        step(Say("/day"), "Thu, Jun 5"),
        step(Press("/day 2025-06-04"), "Wed, Jun 4", "Introductory session", method=EDITED),
    ],
    "programme": [
        step(Say("/programme"), "Workshop", "Sat, Jun 7"),
        step(Press("/day 2025-06-05"), "Thu, Jun 5", "Liurong", method=EDITED),
        step(Press("/session s2-liurong"), "Liurong", "Yuexiu"),
    ],
    "streams": [
        step(Say("/streams"), "Digital Tools for a Better Planned and Resilient City"),
        step(Press("/stream"), "Stream 1", method=EDITED),
    ],
    "stream": [step(Say("/stream 2"), "Caring and Inclusive", "Liurong")],
    "session": [step(Say("/session opening"), "Introductory session", "Jordi Vaquer")],
    "search": [step(Say("/search Bogotá"), "Bogotá", "Stream 2: use-case presentations")],
    "search-paging": [
        step(Say("/search a"), "Page 1 of 3", "Arrival and registration"),
        step(Press(" p2"), "Page 2 of 3", method=EDITED),
        step(Press(" p3"), "Page 3 of 3", method=EDITED),
        step(Press(" p2"), "Page 2 of 3", method=EDITED),
    ],
    "lang": [step(Say("/lang"), "English", "中文"), step(Press("/lang zh_Hans"), "中文", method=SENT)],
    "free-text": [step(Say("tomorrow"), "Fri, Jun 6"), step(Say("what's next"), "11:40")],
    "numbered-answer": [step(Say("/today"), "Liurong"), step(Say("2"), "Liurong", "Yuexiu")],
}

CHINESE: dict[str, list[Step]] = {
    "start": [step(Say("/start"), "2025年思想领袖研讨会", "2025年6月3日"), step(Press("/today"), "6月5日周四", "六榕社区", method=EDITED)],
    "help": [step(Say("/help"), "/today", "/search", "/lang")],
    "today": [step(Say("/today"), "6月5日周四", "六榕社区")],
    "now": [step(Say("/now"), "10:00–11:30", "六榕社区")],
    "next": [step(Say("/next"), "11:40–12:30", "圆桌讨论")],
    "day": [step(Say("/day 2"), "6月4日周三", "开幕环节")],
    "day-buttons": [
        step(Say("/day"), "6月5日周四"),
        step(Press("/day 2025-06-04"), "6月4日周三", "开幕环节", method=EDITED),
    ],
    "programme": [
        step(Say("/programme"), "2025年思想领袖研讨会", "6月7日周六"),
        step(Press("/day 2025-06-05"), "6月5日周四", "六榕社区", method=EDITED),
        step(Press("/session s2-liurong"), "六榕社区", "10:00–11:30"),
    ],
    "streams": [step(Say("/streams"), "数字工具助力城市更好规划"), step(Press("/stream"), "数字工具", method=EDITED)],
    "stream": [step(Say("/stream 2"), "更有温度", "六榕社区")],
    "session": [step(Say("/session opening"), "开幕环节", "Jordi Vaquer")],
    "search": [step(Say("/search 波哥大"), "波哥大", "分论坛二：城市案例分享")],
    "search-paging": [
        step(Say("/search a"), "1", "6月3日周二"),
        step(Press(" p2"), "6月5日周四", method=EDITED),
        step(Press(" p1"), "6月3日周二", method=EDITED),
    ],
    "lang": [step(Say("/lang"), "English", "中文 (简体)"), step(Press("/lang en"), "English", method=SENT)],
    "free-text": [step(Say("明天"), "6月6日周五"), step(Say("下一个"), "11:40–12:30")],
    "numbered-answer": [step(Say("今天"), "六榕社区"), step(Say("2"), "六榕社区", "10:00–11:30")],
}

LANGUAGES = (
    pytest.param("en", ENGLISH, id="en"),
    pytest.param("zh-hans", CHINESE, id="zh-hans"),
    pytest.param("zh-CN", {name: CHINESE[name] for name in ("start", "today", "programme", "search-paging")}, id="zh-CN"),
)


def _last_with_buttons(calls: list[Call]) -> Call:
    for call in reversed(calls):
        if call.method in (SENT, EDITED) and buttons_of(call):
            return call
    raise AssertionError("no message with buttons to press")


async def run_row(telegram: Harness, language: str, steps: list[Step], user_id: int) -> None:
    """Play one row as its own delegate; an AssertionError names the failing step."""
    history: list[Call] = []
    for number, s in enumerate(steps, 1):
        if isinstance(s.action, Say):
            calls = await telegram.say(s.action.text, language=language, user_id=user_id)
        else:
            target = _last_with_buttons(history)
            data = next((d for label, d in buttons_of(target) if s.action.match in label or s.action.match in d), None)
            assert data is not None, f"step {number}: no button matching {s.action.match!r} in {buttons_of(target)}"
            message_id = target.result["message_id"]
            calls = await telegram.press(data, message_id=message_id, language=language, user_id=user_id)
            answers = [c for c in calls if c.method == "answerCallbackQuery"]
            assert len(answers) == 1, f"step {number}: the callback query was answered {len(answers)} times"
            if s.method == EDITED:
                edits = [c for c in calls if c.method == EDITED]
                assert edits and int(edits[0].params["message_id"]) == message_id, f"step {number}: not edited in place"
        replies = [c for c in calls if c.method != "answerCallbackQuery"]
        assert replies, f"step {number}: no reply"
        assert replies[0].method == s.method, f"step {number}: {replies[0].method}, expected {s.method}"
        assert all(int(c.params["chat_id"]) == user_id for c in replies), f"step {number}: a reply went to another chat"
        shown = text_of(replies)
        for expected in s.expect:
            assert expected in shown, f"step {number}: {expected!r} not in:\n{shown}"
        history += calls


@pytest.mark.parametrize(("language", "rows"), LANGUAGES)
async def test_every_command_converses_through_the_bot_api(telegram: Harness, language: str, rows: dict[str, list[Step]]) -> None:
    """Every row, each as a new delegate with this language_code; all failing rows are reported."""
    failures = []
    for index, (name, steps) in enumerate(rows.items()):
        try:
            await run_row(telegram, language, steps, user_id=1000 + index)
        except AssertionError as exc:
            failures.append(f"[{language} {name}] {exc}")
    assert not failures, "\n\n".join(failures)


def test_the_table_covers_every_command_in_the_menu() -> None:
    """A command added to the router without a conversation row fails here."""
    from bot.router import Router
    from handlers import MODULES

    router = Router()
    for module in MODULES:
        module.register(router)
    said = {step.action.text.split()[0].lstrip("/") for steps in ENGLISH.values() for step in steps if isinstance(step.action, Say)}
    missing = {c.name for c in router.menu()} - said
    assert not missing, f"no conversation row for: {sorted(missing)}"
