"""Feedback through the Bot API: rating buttons, the chart as a photo, the CSV as a document, live results edited in place."""

from __future__ import annotations

import datetime as dt

from bot.channels.telegram import MAX_CALLBACK_DATA
from bot.roles import Grant, Role, Scope
from tests.channels.telegram.fake import USER_ID, FakeBotAPI, Harness, buttons_of
from tests.channels.telegram.fixtures import fake_api, telegram  # noqa: F401  (fixtures)
from tests.conftest import at

VISIT = "s2-liurong"
FACILITATOR = 4242


async def answers(telegram: Harness) -> list[tuple[str, str]]:
    rows = await telegram.core.db.fetchall(
        "SELECT a.question_id, a.value FROM feedback_answers a JOIN feedback_responses r ON r.id = a.response_id ORDER BY r.id, 1")
    return [(r[0], r[1]) for r in rows]


async def at_the_end_of_the_visit(telegram: Harness) -> None:
    await telegram.core.clock.set(at("2025-06-05T11:26"))
    telegram.core.services.roles.static.append(Grant("telegram", str(FACILITATOR), Role.FACILITATOR, Scope.stream("s2")))


async def test_a_rating_is_two_taps_on_inline_buttons(telegram: Harness, fake_api: FakeBotAPI) -> None:
    await at_the_end_of_the_visit(telegram)
    (question,) = await telegram.say(f"/feedback {VISIT}")
    keyboard = question.params["reply_markup"]["inline_keyboard"]
    assert [b["text"] for b in keyboard[0]] == ["1 – poor", "2", "3", "4", "5 – excellent"]
    assert all(len(b["callback_data"].encode()) <= MAX_CALLBACK_DATA for row in keyboard for b in row)
    data = dict((label, payload) for label, payload in buttons_of(question))
    calls = await telegram.press(data["4"], message_id=question.result["message_id"])
    assert [c.method for c in calls] == ["answerCallbackQuery", "sendMessage"]
    assert "Saved: 4 of 5." in calls[1].params["text"] and "What was most useful?" in calls[1].params["text"]
    skip = dict(buttons_of(calls[1]))["Skip"]
    calls = await telegram.press(skip, message_id=calls[1].result["message_id"])
    assert "Thank you!" in calls[-1].params["text"]
    assert await answers(telegram) == [("overall", "4"), ("useful", None)]


async def test_the_free_text_answer_is_the_next_message(telegram: Harness) -> None:
    await at_the_end_of_the_visit(telegram)
    await telegram.say(f"/feedback {VISIT}")
    await telegram.press(f"/feedback a {VISIT} overall 5", message_id=1)
    await telegram.say("The residents' stories")
    assert await answers(telegram) == [("overall", "5"), ("useful", '"The residents\' stories"')]


async def test_results_come_as_a_message_and_a_photo_and_the_export_as_a_document(telegram: Harness, fake_api: FakeBotAPI) -> None:
    await at_the_end_of_the_visit(telegram)
    await telegram.say(f"/feedback {VISIT}")
    await telegram.press(f"/feedback a {VISIT} overall 5", message_id=1)
    calls = await telegram.say(f"/poll results {VISIT}", user_id=FACILITATOR)
    assert [c.method for c in calls] == ["sendMessage", "sendPhoto"]
    assert "Average 5 of 5 (1 answer)" in calls[0].params["text"]
    assert calls[1].files["photo"].startswith(b"\x89PNG\r\n\x1a\n")
    calls = await telegram.say(f"/poll export {VISIT}", user_id=FACILITATOR)
    assert [c.method for c in calls] == ["sendDocument"]
    assert calls[0].files["document"].decode("utf-8-sig").startswith("session_id,session,respondent,")
    assert "Sorry, /poll is only for facilitators." in (await telegram.say(f"/poll results {VISIT}"))[0].params["text"]


async def test_live_results_are_edited_in_place_at_most_every_five_seconds(telegram: Harness, fake_api: FakeBotAPI) -> None:
    await at_the_end_of_the_visit(telegram)
    core = telegram.core
    (live,) = await telegram.say(f"/poll live {VISIT}", user_id=FACILITATOR)
    assert "Asked: 0" in live.params["text"] and "Live: refreshed as answers arrive" in live.params["text"]
    message_id = live.result["message_id"]
    fake_api.clear()
    await telegram.say(f"/feedback {VISIT}")
    await telegram.press(f"/feedback a {VISIT} overall 3", message_id=1)
    await core.wakeups.fire_due()
    await core.push.drain()
    assert fake_api.sent("editMessageText") == []  # the live message went out less than five seconds ago
    await core.clock.advance(dt.timedelta(seconds=5))
    await core.wakeups.fire_due()
    await core.push.drain()
    (edit,) = fake_api.sent("editMessageText")
    assert int(edit.params["message_id"]) == message_id and int(edit.params["chat_id"]) == FACILITATOR
    assert "Average 3 of 5 (1 answer)" in edit.params["text"]
    await core.clock.advance(dt.timedelta(seconds=10))
    await core.wakeups.fire_due()
    await core.push.drain()
    assert len(fake_api.sent("editMessageText")) == 1  # nothing new, nothing sent
    await telegram.say(f"/poll stop {VISIT}", user_id=FACILITATOR)
    await telegram.press(f"/feedback a {VISIT} overall 1", message_id=1, user_id=USER_ID + 1)
    await core.clock.advance(dt.timedelta(seconds=10))
    await core.wakeups.fire_due()
    await core.push.drain()
    assert len(fake_api.sent("editMessageText")) == 1
