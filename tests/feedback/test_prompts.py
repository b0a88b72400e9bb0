"""Prompts: the delegates concerned are asked once, shortly before the end, also across restarts and crashes."""

from __future__ import annotations

from pathlib import Path

from bot.conversation import Choices
from bot.feedback.prompts import dedupe_key
from bot.notify.outbox import Priority
from tests.conftest import Chat, at
from tests.feedback.helpers import rows, staff_core
from tests.notify.helpers import RecordingSender, advance

VISIT = "s2-liurong"  # 10:00-11:30 on Thursday, Stream 2, a site visit one can join


def prompts_to(sender: RecordingSender, session_id: str) -> list[str]:
    """Who got the prompt of a session, one entry per message sent."""
    return [user.platform_id for (user, _replies), key in zip(sender.sent, sender.keys) if key == dedupe_key(session_id)]


async def concerned_three_ways(tmp_path: Path) -> None:
    """Alice bookmarked, follows Stream 2 and joined the visit; Bob only bookmarked; Carol follows but switched reminders off."""
    core = await staff_core(tmp_path, at("2025-06-05T08:00"))
    try:
        alice, bob, carol = Chat(core, "alice"), Chat(core, "bob"), Chat(core, "carol")
        await alice.say(f"/bookmark {VISIT}")
        await alice.say("/subscribe 2")
        await alice.say(f"/join {VISIT}")
        await bob.say(f"/bookmark {VISIT}")
        await carol.say("/subscribe 2")
        await carol.say("/reminders off")
    finally:
        await core.close()


async def test_each_delegate_is_asked_once_whichever_way_and_however_often_the_bot_restarts(tmp_path: Path) -> None:
    await concerned_three_ways(tmp_path)
    senders = []
    for when in ("2025-06-05T11:24", "2025-06-05T11:25", "2025-06-05T11:25", "2025-06-05T11:27", "2025-06-05T11:40"):
        core = await staff_core(tmp_path, at(when))
        sender = RecordingSender()
        core.push.attach(sender)
        try:
            await core.wakeups.fire_due()
            await core.push.drain()
            senders.append(sender)
        finally:
            await core.close()
    assert prompts_to(senders[0], VISIT) == []  # 11:24 is a minute early
    assert sorted(prompts_to(senders[1], VISIT)) == ["alice", "bob"]
    assert [prompts_to(s, VISIT) for s in senders[2:]] == [[], [], []]
    core = await staff_core(tmp_path, at("2025-06-05T11:41"))
    try:
        found = await rows(core, "SELECT u.platform_id, o.priority, o.status FROM outbox o JOIN users u ON u.id = o.user_id "
                                 "WHERE o.dedupe_key = ? ORDER BY 1", (dedupe_key(VISIT),))
        assert found == [("alice", Priority.FEEDBACK, "sent"), ("bob", Priority.FEEDBACK, "sent")]
        assert await rows(core, "SELECT COUNT(*) FROM feedback_prompts WHERE session_id = ?", (VISIT,)) == [(2,)]
    finally:
        await core.close()


async def test_a_round_repeated_after_a_crash_asks_nobody_twice(tmp_path: Path) -> None:
    await concerned_three_ways(tmp_path)
    core = await staff_core(tmp_path, at("2025-06-05T11:25"))
    sender = RecordingSender()
    core.push.attach(sender)
    await core.wakeups.fire_due()
    await core.push.drain()
    # as if the bot died after queueing the prompts but before recording the round as finished
    await core.db.execute("UPDATE feedback_rounds SET finished_at = NULL WHERE session_id = ?", (VISIT,))
    await core.db.execute("DELETE FROM feedback_prompts WHERE session_id = ?", (VISIT,))
    await core.close()
    core = await staff_core(tmp_path, at("2025-06-05T11:26"))
    again = RecordingSender()
    core.push.attach(again)
    try:
        await core.wakeups.fire_due()
        await core.push.drain()
        assert prompts_to(again, VISIT) == []
        assert await rows(core, "SELECT COUNT(*) FROM outbox WHERE dedupe_key = ?", (dedupe_key(VISIT),)) == [(2,)]
        assert await rows(core, "SELECT COUNT(DISTINCT campaign_id) FROM outbox WHERE dedupe_key = ?", (dedupe_key(VISIT),)) == [(1,)]
    finally:
        await core.close()


async def test_the_prompt_asks_the_first_question_in_the_delegates_language(tmp_path: Path) -> None:
    core = await staff_core(tmp_path, at("2025-06-05T11:00"))
    sender = RecordingSender()
    core.push.attach(sender)
    try:
        await Chat(core, "li", language="zh-CN").say(f"/bookmark {VISIT}")
        await advance(core, at("2025-06-05T11:26"))
        ((user, replies),) = [(u, r) for (u, r), key in zip(sender.sent, sender.keys) if key == dedupe_key(VISIT)]
        (prompt,) = replies
        assert isinstance(prompt, Choices)
        assert "越秀区六榕社区" in (prompt.title or "") and "总体而言" in prompt.body
        assert [c.payload for c in prompt.options][:5] == [f"/feedback a {VISIT} overall {n}" for n in range(1, 6)]
        assert prompt.options[-1].payload == f"/feedback absent {VISIT}"
    finally:
        await core.close()


async def test_a_poll_opened_early_asks_at_once_and_not_again_at_its_time(tmp_path: Path) -> None:
    core = await staff_core(tmp_path, at("2025-06-05T10:30"))
    sender = RecordingSender()
    core.push.attach(sender)
    try:
        await Chat(core, "alice").say(f"/bookmark {VISIT}")
        out = await Chat(core, "fac-s2").say(f"/poll open {VISIT}")
        assert "1 delegate was asked just now." in out
        await core.push.drain()
        assert prompts_to(sender, VISIT) == ["alice"]
        await advance(core, at("2025-06-05T11:40"))
        assert prompts_to(sender, VISIT) == ["alice"]
    finally:
        await core.close()


async def test_a_prompt_is_answered_by_number_once_it_arrived(tmp_path: Path) -> None:
    """Where there are no buttons (WeChat, the console), "4" answers the pushed question, the next message is the comment."""
    core = await staff_core(tmp_path, at("2025-06-05T11:00"))
    core.push.attach(RecordingSender())
    try:
        alice = Chat(core, "alice")
        await alice.say("/today")  # a numbered list, which the prompt replaces as what numbers answer
        await alice.say(f"/bookmark {VISIT}")
        await advance(core, at("2025-06-05T11:26"))
        out = await alice.say("4")
        assert "Saved: 4 of 5." in out and "What was most useful?" in out
        out = await alice.say("Talking with the residents' volunteers")
        assert "Thank you!" in out
        answers = await rows(core, "SELECT a.question_id, a.value FROM feedback_answers a JOIN feedback_responses r ON r.id = a.response_id "
                                   "WHERE r.session_id = ? ORDER BY 1", (VISIT,))
        assert answers == [("overall", "4"), ("useful", '"Talking with the residents\' volunteers"')]
    finally:
        await core.close()


async def test_late_rounds_go_out_within_the_grace_and_old_ones_never(tmp_path: Path) -> None:
    """The bot was down at 11:25: started at 12:00 it still asks; started the next day it does not."""
    await concerned_three_ways(tmp_path)
    core = await staff_core(tmp_path, at("2025-06-05T12:00"))
    sender = RecordingSender()
    core.push.attach(sender)
    try:
        await core.wakeups.fire_due()
        await core.push.drain()
        assert sorted(prompts_to(sender, VISIT)) == ["alice", "bob"]
        # the 08:30 session ended 09:30, too long ago to be worth a prompt: its poll is still open for /feedback
        assert prompts_to(sender, "s2-cases") == []
        assert "Stream 2: use-case presentations" in await Chat(core, "alice").say("/feedback")
    finally:
        await core.close()
