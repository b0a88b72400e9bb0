"""Feedback on WeChat: numbered answers, the prompt within the window (or held for the next reply), the chart uploaded."""

from __future__ import annotations

from bot.conversation import UserRef
from bot.roles import Grant, Role, Scope
from tests.channels.wechat.kit import Rig
from tests.conftest import at

VISIT = "s2-liurong"


async def stored(rig: Rig) -> list[tuple[str, str]]:
    rows = await rig.core.db.fetchall(
        "SELECT a.question_id, a.value FROM feedback_answers a JOIN feedback_responses r ON r.id = a.response_id ORDER BY 1")
    return [(r[0], r[1]) for r in rows]


async def test_the_prompt_arrives_in_the_window_and_numbers_answer_it(rig: Rig) -> None:
    alice = rig.follower("o_alice")
    await alice.say(f"bookmark {VISIT}")
    await rig.core.clock.set(at("2025-06-05T11:25"))  # type: ignore[attr-defined]
    await rig.core.wakeups.fire_due()
    await rig.core.push.drain()
    (prompt,) = [t for t in rig.api.texts_to("o_alice") if "Overall, how would you rate" in t]
    assert "1. 1 – poor" in prompt and "5. 5 – excellent" in prompt and "7. I did not attend" in prompt
    reply = await alice.say("5")
    assert "Saved: 5 of 5." in reply.text and "What was most useful?" in reply.text
    reply = await alice.say("遇到的志愿者")
    assert "谢谢！" in reply.text  # written in Chinese by someone who chose no language: answered in Chinese from now on
    assert await stored(rig) == [("overall", "5"), ("useful", '"遇到的志愿者"')]


async def test_a_prompt_the_window_cannot_carry_is_offered_at_the_top_of_the_next_reply(rig: Rig) -> None:
    alice = rig.follower("o_alice")
    await alice.say(f"bookmark {VISIT}")
    await rig.core.services.wechat_windows.window_exhausted("o_alice", rig.core.clock.now())
    await rig.core.clock.set(at("2025-06-05T11:25"))  # type: ignore[attr-defined]
    await rig.core.wakeups.fire_due()
    await rig.core.push.drain()
    assert not [t for t in rig.api.texts_to("o_alice") if "Overall, how would you rate" in t]
    row = await rig.core.db.fetchone("SELECT status FROM outbox WHERE dedupe_key = ?", (f"feedback:{VISIT}",))
    assert row is not None and row[0] == "held"
    reply = await alice.say(f"/feedback {VISIT}")
    assert reply.text.startswith("1 update while you were away:")
    assert reply.text.count("Overall, how would you rate this session?") == 2  # the held prompt, then the questionnaire
    assert "Saved: 4 of 5." in (await alice.say("4")).text


async def test_the_results_chart_is_uploaded_as_an_image(rig: Rig) -> None:
    rig.core.services.roles.static.append(Grant("wechat", "o_fac", Role.FACILITATOR, Scope.stream("s2")))
    await rig.core.clock.set(at("2025-06-05T11:26"))  # type: ignore[attr-defined]
    alice = rig.follower("o_alice")
    await alice.say(f"/feedback {VISIT}")
    await alice.say("4")
    reply = await rig.follower("o_fac").say(f"poll results {VISIT}")
    assert "Average 4 of 5 (1 answer)" in reply.text
    await rig.settle()
    assert rig.api.images_to("o_fac") == ["media-1"]
    ((name, data),) = rig.api.uploads
    assert name == f"results-{VISIT}.png" and data.startswith(b"\x89PNG")
    record = await rig.core.users.find(UserRef("wechat", "o_fac"))
    assert record is not None


async def test_live_results_on_wechat_say_why_they_are_not_pushed(rig: Rig) -> None:
    rig.core.services.roles.static.append(Grant("wechat", "o_fac", Role.FACILITATOR, Scope.stream("s2")))
    await rig.core.clock.set(at("2025-06-05T11:26"))  # type: ignore[attr-defined]
    reply = await rig.follower("o_fac").say(f"/poll live {VISIT}")
    assert "WeChat cannot update a message in place" in reply.text
