"""A broadcast through Telegram: the dialogue's buttons, the progress edited in place, 429 and 403 from the Bot API."""

from __future__ import annotations

import datetime as dt

from bot.conversation import UserRef
from bot.roles import Role, Scope
from tests.channels.telegram.fake import USER_ID, Call, FakeBotAPI, Harness, buttons_of, text_of
from tests.channels.telegram.fixtures import fake_api, telegram  # noqa: F401  (fixtures)

DELEGATES = (201, 202, 203, 204)


async def press(telegram: Harness, calls: list[Call], label: str) -> list[Call]:
    """Press the button labelled ``label`` on the last message with buttons in ``calls``."""
    target = next(c for c in reversed(calls) if buttons_of(c))
    data = next(d for text, d in buttons_of(target) if text == label)
    return await telegram.press(data, message_id=target.result["message_id"])


async def broadcast_to_everyone(telegram: Harness, text: str) -> list[Call]:
    core = telegram.core
    await core.services.roles.grant(UserRef("telegram", str(USER_ID)), Role.ORGANISER, Scope(), by="cli:test", source="command line", now=core.clock.now())
    for user_id in DELEGATES:
        await telegram.say("/start", user_id=user_id)
    await telegram.say("/broadcast")
    audience = await telegram.say(text)
    preview = await press(telegram, audience, "Everyone")
    assert "To everyone: 5 people." in text_of(preview)
    return await press(telegram, preview, "Send now")


async def test_the_progress_is_one_message_edited_in_place_then_the_report(telegram: Harness, fake_api: FakeBotAPI) -> None:
    core = telegram.core
    sent = await broadcast_to_everyone(telegram, "Lunch is served on the terrace today.")
    assert "is on its way to 5 people" in text_of(sent)
    fake_api.clear()
    await core.wakeups.fire_due()  # the monitor looks before anything went out
    await core.push.drain()
    (progress,) = [c for c in fake_api.sent("sendMessage") if int(c.params["chat_id"]) == USER_ID and "sent" in c.params["text"]]
    assert "0 / 5 sent" in progress.params["text"]
    deliveries = [c for c in fake_api.sent("sendMessage") if "Lunch is served" in c.params["text"]]
    assert sorted(int(c.params["chat_id"]) for c in deliveries) == sorted((*DELEGATES, USER_ID))
    await core.clock.advance(dt.timedelta(seconds=5))  # type: ignore[attr-defined]
    await core.wakeups.fire_due()
    await core.push.drain()
    (edit,) = fake_api.sent("editMessageText")
    assert int(edit.params["message_id"]) == progress.result["message_id"]
    assert "Delivered: 5" in edit.params["text"] and "report" in edit.params["text"]


async def test_a_429_waits_and_a_403_is_reported_as_blocked(telegram: Harness, fake_api: FakeBotAPI) -> None:
    core = telegram.core
    await broadcast_to_everyone(telegram, "The bus leaves at 14:50.")
    fake_api.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", {"retry_after": 3})
    fake_api.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user", after=1)
    await core.push.drain()
    await core.clock.advance(dt.timedelta(seconds=3))  # type: ignore[attr-defined]
    await core.push.drain()
    (campaign,) = await core.services.campaigns.recent()
    report = await core.services.campaigns.report(campaign.id)
    assert report is not None and report.finished
    assert report.sent == 4 and report.unreachable == 1
    received = [int(c.params["chat_id"]) for c in fake_api.sent("sendMessage") if c.result and "From the organisers" in c.params["text"]]
    assert len(received) == len(set(received)) == 4  # nobody twice, the 429 retried once
    await core.wakeups.fire_due()
    await core.push.drain()
    final = [c for c in fake_api.calls if c.method in ("sendMessage", "editMessageText") and "report" in c.params.get("text", "")]
    assert final and "Delivered: 4" in final[-1].params["text"] and "Blocked the bot or unreachable: 1" in final[-1].params["text"]
