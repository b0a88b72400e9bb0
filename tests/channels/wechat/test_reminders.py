"""Reminders reach WeChat followers: chosen over the callback, due on the clock, pushed through the outbox."""

from __future__ import annotations

from bot.conversation import UserRef
from tests.channels.wechat.kit import Rig
from tests.conftest import at
from tests.formats import plain, time


async def tick_and_deliver(rig: Rig) -> None:
    """What the service does when reminders fall due: the engine pushes them, the WeChat worker delivers them."""
    await rig.core.wakeups.fire_due()
    await rig.core.push.drain()


async def test_a_followed_streams_reminder_reaches_the_follower_once_as_a_customer_service_message(rig: Rig) -> None:
    alice = rig.follower()
    answer = await alice.say("subscribe to stream 3")
    assert answer.text is not None and "You now follow Stream 3" in answer.text
    await tick_and_deliver(rig)
    assert rig.api.sent == []  # 10:00; the first Stream 3 session starts at 13:45

    await rig.core.clock.set(at("2025-06-05T13:31"))  # type: ignore[attr-defined]
    await tick_and_deliver(rig)
    (message,) = rig.api.sent
    assert message["touser"] == "o_alice" and message["msgtype"] == "text"
    assert plain(message["text"]["content"]) == (
        f"【Reminder】\nStream 3: use-case presentations\nStarts at {time('2025-06-05T13:45')}, in 14 minutes.\n"
        "Where: Plenary hall, delegates' hotel\nTimes and places of this session are still to be confirmed.\n"
        "Details: /session s3-cases"
    )

    await tick_and_deliver(rig)  # sent once, however often the engine ticks
    assert len(rig.api.sent) == 1
    user = await rig.core.users.find(UserRef("wechat", "o_alice"))
    assert user is not None
    rows = await rig.core.db.fetchall("SELECT status, dedupe_key FROM outbox WHERE user_id = ?", (user.id,))
    assert [(r[0], r[1]) for r in rows] == [("sent", "reminder:session:s3-cases:20250605T0545")]


async def test_a_session_bookmarked_by_number_is_reminded_in_the_followers_language(rig: Rig) -> None:
    rig.api.languages["o_li"] = "zh_CN"
    li = rig.follower("o_li")
    await li.event("subscribe", EventKey="")
    detail = await li.say("详情 s2-roundtable")
    assert detail.text is not None and "1. 收藏" in detail.text
    added = await li.say("1")
    assert added.text is not None and added.text.startswith("已加入您的日程：")

    await rig.core.clock.set(at("2025-06-05T11:25"))  # type: ignore[attr-defined]
    await tick_and_deliver(rig)
    (text,) = rig.api.texts_to("o_li")
    assert text.startswith("【提醒】\n分论坛二圆桌讨论：建设全龄友好的关爱型包容城市\n")
    assert f"\n将于{time('2025-06-05T11:40', 'zh_Hans')}（15分钟后）开始。\n" in plain(text)
    assert text.endswith("\n详情：/session s2-roundtable")
