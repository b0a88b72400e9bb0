"""Reminders reach a Telegram chat: chosen through updates, due on the clock, pushed through the outbox.

The delegate follows a stream or bookmarks a session through the webhook;
the ManualClock is moved past the reminder's due time; the engine's tick puts
the reminder in the outbox and draining the push port hands it to the
Telegram sender, which talks to the fake Bot API (checked against the Bot API
specification).  The rate limiter runs on simulated time, so nothing sleeps.
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Core
from bot.channels.telegram import MAX_TEXT
from bot.clock import ManualClock
from bot.conversation import UserRef
from tests.conftest import PROGRAMME, at, make_core
from tests.formats import plain, time
from tests.channels.telegram.fake import USER_ID, Call, FakeBotAPI, Harness, buttons_of
from tests.channels.telegram.fixtures import fake_api, telegram  # noqa: F401  (fixtures)

# The English title of s3-cases, with characters that mean something in Telegram's HTML.
RISKY_TITLE = "Stream 3: R&D <cases> & use-cases"


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[Core]:
    """The shipped programme at 10:00 on 5 June, with s3-cases retitled to need HTML escaping."""
    original = 'en: "Stream 3: use-case presentations"'
    text = PROGRAMME.read_text(encoding="utf-8")
    assert text.count(original) == 1
    programme = tmp_path / "programme.yaml"
    programme.write_text(text.replace(original, f'en: "{RISKY_TITLE}"'), encoding="utf-8")
    c = await make_core(tmp_path, at("2025-06-05T10:00"), programme=programme)
    yield c
    await c.close()


async def tick_and_deliver(core: Core) -> None:
    """What the service does when reminders fall due: the engine pushes them, the Telegram worker delivers them."""
    await core.wakeups.fire_due()
    await core.push.drain()


async def set_clock(core: Core, when: str) -> None:
    clock = core.clock
    assert isinstance(clock, ManualClock)
    await clock.set(at(when))


async def outbox_of(core: Core, user_id: int = USER_ID) -> list[tuple[str, str, str | None]]:
    record = await core.users.find(UserRef("telegram", str(user_id)))
    assert record is not None
    rows = await core.db.fetchall("SELECT status, dedupe_key, last_error FROM outbox WHERE user_id = ? ORDER BY id", (record.id,))
    return [(r[0], r[1], r[2]) for r in rows]


def pushed(api: FakeBotAPI) -> list[Call]:
    return api.sent("sendMessage")


async def test_a_followed_streams_reminder_reaches_the_chat_once_html_escaped(telegram: Harness, fake_api: FakeBotAPI) -> None:
    answer = await telegram.say("/subscribe 3")
    assert "You now follow Stream 3" in answer[0].params["text"]
    fake_api.clear()
    await tick_and_deliver(telegram.core)
    assert pushed(fake_api) == []  # 10:00; the first Stream 3 session starts at 13:45

    await set_clock(telegram.core, "2025-06-05T13:31")
    await tick_and_deliver(telegram.core)
    (message,) = pushed(fake_api)
    assert int(message.params["chat_id"]) == USER_ID
    assert message.params["parse_mode"] == "HTML"
    body = (
        f"{RISKY_TITLE}\nStarts at {time('2025-06-05T13:45')}, in 14 minutes.\n"
        "Where: Plenary hall, delegates' hotel\nTimes and places of this session are still to be confirmed.\n"
        "Details: /session s3-cases"
    )
    sent = message.params["text"]
    assert sent.startswith("<b>Reminder</b>\n")
    assert "R&amp;D &lt;cases&gt; &amp; use-cases" in sent and "<cases>" not in sent
    assert plain(html.unescape(re.sub(r"</?b>", "", sent))) == "Reminder\n" + body
    assert len(html.unescape(re.sub(r"<[^>]*>", "", sent))) <= MAX_TEXT

    await tick_and_deliver(telegram.core)  # sent once, however often the engine ticks
    await tick_and_deliver(telegram.core)
    assert len(pushed(fake_api)) == 1
    assert await outbox_of(telegram.core) == [("sent", "reminder:session:s3-cases:20250605T0545", None)]


async def test_a_session_bookmarked_with_its_button_is_reminded_in_chinese(telegram: Harness, fake_api: FakeBotAPI) -> None:
    detail = await telegram.say("详情 s2-roundtable", language="zh-hans")
    (data,) = [d for label, d in buttons_of(detail[0]) if label == "收藏"]
    pressed = await telegram.press(data, message_id=detail[0].result["message_id"], language="zh-hans")
    assert "已加入您的日程" in pressed[-1].params["text"]
    fake_api.clear()

    await set_clock(telegram.core, "2025-06-05T11:25")
    await tick_and_deliver(telegram.core)
    (message,) = pushed(fake_api)
    assert int(message.params["chat_id"]) == USER_ID
    text = message.params["text"]
    assert text.startswith("<b>提醒</b>\n分论坛二圆桌讨论：建设全龄友好的关爱型包容城市\n")
    assert "\n将于11:40（15分钟后）开始。\n" in text
    assert text.endswith("\n详情：/session s2-roundtable")

    await tick_and_deliver(telegram.core)
    assert len(pushed(fake_api)) == 1


async def test_a_reminder_to_a_chat_that_blocked_the_bot_fails_and_deactivates_the_delegate(
    telegram: Harness, fake_api: FakeBotAPI
) -> None:
    await telegram.say("/subscribe 3")
    fake_api.clear()
    await set_clock(telegram.core, "2025-06-05T13:31")
    fake_api.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await tick_and_deliver(telegram.core)
    assert len(pushed(fake_api)) == 1  # the refused one
    ((status, key, error),) = await outbox_of(telegram.core)
    assert (status, key) == ("failed", "reminder:session:s3-cases:20250605T0545")
    assert error is not None and "blocked" in error
    record = await telegram.core.users.find(UserRef("telegram", str(USER_ID)))
    assert record is not None and not record.active

    # Not retried, and the stream's later reminders (the 14:50 visit departure) are not queued for a blocked chat.
    await set_clock(telegram.core, "2025-06-05T14:25")
    await tick_and_deliver(telegram.core)
    await set_clock(telegram.core, "2025-06-05T15:30")
    await tick_and_deliver(telegram.core)
    assert len(pushed(fake_api)) == 1
    assert [row[0] for row in await outbox_of(telegram.core)] == ["failed"]
