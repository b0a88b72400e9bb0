"""Answering feedback, facilitators' polls and results, the organisers' summary, the CSV, and forgetting."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest

from bot.app import Core
from bot.cli import main
from bot.conversation import Choices, Document, Image, Poll, Request, Text, UserRef
from bot.feedback.results import compute
from bot.feedback.report import CSV_COLUMNS
from tests.conftest import Chat, at
from tests.feedback.helpers import rows, small_programme, staff_core
from tests.formats import time

VISIT = "s2-liurong"


async def answers(core: Core, session_id: str) -> list[tuple]:  # type: ignore[type-arg]
    return await rows(core, "SELECT u.platform_id, a.question_id, a.value, a.skipped FROM feedback_answers a "
                            "JOIN feedback_responses r ON r.id = a.response_id JOIN users u ON u.id = r.user_id "
                            "WHERE r.session_id = ? ORDER BY 1, 2", (session_id,))


@pytest.fixture
async def visit_core(tmp_path: Path):  # type: ignore[no-untyped-def]
    """11:26 on Thursday: the Liurong visit (ends 11:30) takes feedback."""
    core = await staff_core(tmp_path, at("2025-06-05T11:26"))
    yield core
    await core.close()


async def test_two_taps_a_rating_then_skip_the_comment(visit_core: Core) -> None:
    alice = Chat(visit_core, "alice")
    out = await alice.say(f"/feedback {VISIT}")
    assert "Question 1 of 2: Overall, how would you rate this session?" in out and "anonymous" in out
    out = await alice.press(f"/feedback a {VISIT} overall 5")
    assert "Saved: 5 of 5." in out and "Question 2 of 2: What was most useful?" in out
    out = await alice.press(f"/feedback skip {VISIT} useful")
    assert "Thank you!" in out
    assert await answers(visit_core, VISIT) == [("alice", "overall", "5", 0), ("alice", "useful", None, 1)]


async def test_an_answer_changes_in_place_until_the_poll_closes(visit_core: Core) -> None:
    alice = Chat(visit_core, "alice")
    await alice.press(f"/feedback a {VISIT} overall 4")
    await alice.say("Lovely gardens")
    out = await alice.say(f"/feedback {VISIT}")
    assert "1. Overall, how would you rate this session?: 4 of 5" in out and "2. What was most useful?: Lovely gardens" in out
    await alice.press(f"/feedback a {VISIT} overall 2")  # an old button, pressed again
    await alice.press(f"/feedback q {VISIT} useful")
    await alice.say("The volunteers")
    assert await answers(visit_core, VISIT) == [("alice", "overall", "2", 0), ("alice", "useful", '"The volunteers"', 0)]


async def test_did_not_attend_is_counted_apart_and_drops_earlier_answers(visit_core: Core) -> None:
    bob = Chat(visit_core, "bob")
    await bob.press(f"/feedback a {VISIT} overall 1")
    out = await bob.press(f"/feedback absent {VISIT}")
    assert "you did not attend" in out
    assert await answers(visit_core, VISIT) == []
    await Chat(visit_core, "alice").press(f"/feedback a {VISIT} overall 4")
    out = await Chat(visit_core, "fac-s2").say(f"/poll results {VISIT}")
    assert "Asked: 2 · answered: 1 (50%) · did not attend: 1" in out
    assert "Average 4 of 5 (1 answer)" in out


async def test_a_closed_poll_says_so_and_stores_nothing(visit_core: Core) -> None:
    alice = Chat(visit_core, "alice")
    await alice.press(f"/feedback a {VISIT} overall 4")  # now on the comment
    out = await Chat(visit_core, "fac-s2").say(f"/poll close {VISIT}")
    assert "is closed: answers are no longer taken" in out
    out = await alice.say("Too late, this one")
    assert "is closed; your answer was not stored" in out
    out = await alice.press(f"/feedback a {VISIT} overall 1")
    assert "is closed; your answer was not stored" in out
    assert await answers(visit_core, VISIT) == [("alice", "overall", "4", 0)]
    await Chat(visit_core, "fac-s2").say(f"/poll open {VISIT}")
    assert "Saved" in await alice.press(f"/feedback a {VISIT} overall 1")


async def test_a_poll_closes_by_itself_a_day_after_its_session(visit_core: Core) -> None:
    await visit_core.clock.set(at("2025-06-06T11:31"))  # type: ignore[attr-defined]
    out = await Chat(visit_core, "alice").press(f"/feedback a {VISIT} overall 4")
    assert "is closed; your answer was not stored" in out
    assert await answers(visit_core, VISIT) == []


async def test_before_its_time_a_poll_says_when_it_opens(tmp_path: Path) -> None:
    core = await staff_core(tmp_path, at("2025-06-05T10:00"))
    try:
        out = await Chat(core, "alice").say(f"/feedback {VISIT}")
        assert f"opens at {time('2025-06-05T11:25')}" in out
    finally:
        await core.close()


async def test_the_questionnaire_resumes_after_a_restart(tmp_path: Path) -> None:
    core = await staff_core(tmp_path, at("2025-06-05T11:26"))
    await Chat(core, "alice").press(f"/feedback a {VISIT} overall 3")
    await core.close()
    core = await staff_core(tmp_path, at("2025-06-05T11:40"))
    try:
        out = await Chat(core, "alice").say("The route between the two sites")  # the pending question survived
        assert "Thank you!" in out
        assert await answers(core, VISIT) == [("alice", "overall", "3", 0), ("alice", "useful", '"The route between the two sites"', 0)]
        out = await Chat(core, "alice").say(f"/feedback {VISIT}")
        assert "Your answers about" in out
    finally:
        await core.close()


async def test_feedback_lists_open_polls_answered_ones_marked(visit_core: Core) -> None:
    alice = Chat(visit_core, "alice")
    await alice.press(f"/feedback a {VISIT} overall 4")
    await alice.press(f"/feedback skip {VISIT} useful")
    await alice.say("/feedback")
    (reply,) = alice.replies
    assert isinstance(reply, Choices)
    labels = {c.payload: c.label for c in reply.options}
    assert labels[f"/feedback {VISIT}"].startswith("✓ ")
    assert "/feedback s2-cases" in labels and not labels["/feedback s2-cases"].startswith("✓")
    assert "/feedback summary" not in labels  # organisers only
    assert "/feedback opening" not in labels  # Wednesday's: closed a day after it ended


# -- every kind of question, named answers --------------------------------------------


async def test_choices_polls_and_comments_with_names_for_a_named_session(tmp_path: Path) -> None:
    core = await staff_core(tmp_path, at("2025-06-05T11:25"), programme=small_programme(tmp_path), BOT_FACILITATORS="test:fac@session:round")
    try:
        ref = UserRef("test", "ana")

        async def say(text: str) -> list:  # type: ignore[type-arg]
            return await core.handle(Request(user=ref, text=text, display_name="Ana Lima"))

        replies = await say("/feedback round")
        assert "carry your name" in replies[0].body
        await say("5")
        replies = await say("2")  # "Just right"
        text, poll = replies
        assert isinstance(text, Text) and isinstance(poll, Poll) and poll.allows_multiple
        assert poll.options[:3] == ("Housing", "Mobility", "Care")
        replies = await say("1 3")  # numbers typed under a poll shown as text
        assert "Saved: Housing and Care." in replies[0].body
        await say("More time for questions")
        await Chat(core, "ben").say("/feedback round")
        await Chat(core, "ben").say("3")
        fac = Chat(core, "fac")
        out = await fac.say("/poll results round")
        assert "Answers carry names" in out
        assert "Just right: 1" in out and "Housing: 1" in out and "Care: 1" in out and "Mobility: 0" in out
        assert "• More time for questions (Ana Lima)" in out
        assert "Asked: 2 · answered: 2 (100%)" in out
        assert any(isinstance(r, Image) for r in fac.replies)
    finally:
        await core.close()


async def test_anonymous_comments_carry_no_name(visit_core: Core) -> None:
    ref = UserRef("test", "ana")
    await visit_core.handle(Request(user=ref, payload=f"/feedback a {VISIT} overall 4", display_name="Ana Lima"))
    await visit_core.handle(Request(user=ref, text="The market street", display_name="Ana Lima"))
    out = await Chat(visit_core, "org").say(f"/poll results {VISIT}")
    assert "• The market street" in out and "Ana" not in out


# -- permissions ------------------------------------------------------------------------


async def test_facilitators_see_only_their_sessions_and_delegates_none(visit_core: Core) -> None:
    refused = "is for its facilitators and the organisers"
    stream = Chat(visit_core, "fac-s2")
    assert refused not in await stream.say(f"/poll results {VISIT}")
    assert refused in await stream.say("/poll results panel")
    panel = Chat(visit_core, "fac-panel")
    assert refused not in await panel.say("/poll results panel")
    assert refused in await panel.say(f"/poll export {VISIT}")
    assert refused in await panel.say(f"/poll close {VISIT}")
    assert "Sorry, /poll is only for facilitators." in await Chat(visit_core, "alice").say(f"/poll results {VISIT}")
    org = Chat(visit_core, "org")
    assert refused not in await org.say("/poll results panel")
    await stream.say("/poll")
    listed = {c.payload for c in stream.replies[0].options}  # type: ignore[union-attr]
    assert f"/poll {VISIT}" in listed and "/poll panel" not in listed
    refusals = await rows(visit_core, "SELECT actor, target FROM audit_log WHERE action = 'permission.refused' ORDER BY id")
    assert ("test:fac-s2", "session:panel") in refusals and ("test:alice", "command:poll") in refusals


async def test_the_summary_is_for_organisers(visit_core: Core) -> None:
    assert "for the event's organisers" in await Chat(visit_core, "fac-s2").say("/feedback summary")
    assert "for the event's organisers" in await Chat(visit_core, "alice").say("/feedback summary")
    assert "No session has feedback yet." in await Chat(visit_core, "org").say("/feedback summary")


# -- results on a known data set ---------------------------------------------------------


async def known_answers(core: Core) -> None:
    """Six delegates asked about the visit: ratings 5, 4, 4, 2 with two comments, one did not attend, one never answered."""
    for name, rating, comment in (("a", 5, "The volunteers"), ("b", 4, None), ("c", 4, "Shade, please"), ("d", 2, None)):
        chat = Chat(core, name)
        await chat.press(f"/feedback a {VISIT} overall {rating}")
        if comment:
            await chat.say(comment)
        else:
            await chat.press(f"/feedback skip {VISIT} useful")
    await Chat(core, "e").press(f"/feedback absent {VISIT}")
    await Chat(core, "f").say(f"/feedback {VISIT}")  # opened, never answered


async def test_results_average_distribution_and_response_rate(visit_core: Core) -> None:
    await known_answers(visit_core)
    agenda = visit_core.programmes.agenda
    session = agenda.session(VISIT)
    from bot.feedback.questions import questionnaire

    q = questionnaire(agenda.programme, session)
    results = await visit_core.services.feedback.results(session, q)
    overall, useful = results.questions
    assert (results.asked, results.answered, results.absent) == (6, 4, 1)
    assert results.response_rate == pytest.approx(4 / 6)
    assert overall.average == pytest.approx(3.75)
    assert overall.distribution == {"1": 0, "2": 1, "3": 0, "4": 2, "5": 1}
    assert overall.answered == 4 and overall.skipped == 0
    assert [c.text for c in useful.comments] == ["The volunteers", "Shade, please"] and useful.skipped == 2
    assert all(c.name is None for c in useful.comments)
    out = await Chat(visit_core, "fac-s2").say(f"/poll results {VISIT}")
    assert "Asked: 6 · answered: 4 (67%) · did not attend: 1" in out
    assert "Average 3.8 of 5 (4 answers)" in out
    assert "4: 2" in out and "1 – poor: 0" in out and "Skipped: 2" in out


async def test_the_export_has_one_row_per_answer(visit_core: Core) -> None:
    await known_answers(visit_core)
    fac = Chat(visit_core, "fac-s2")
    await fac.say(f"/poll export {VISIT}")
    (document,) = fac.replies
    assert isinstance(document, Document) and document.mime_type == "text/csv" and document.filename == f"feedback-{VISIT}.csv"
    table = list(csv.reader(io.StringIO(document.data.decode("utf-8-sig"))))
    assert tuple(table[0]) == CSV_COLUMNS
    body = [dict(zip(table[0], r)) for r in table[1:]]
    assert len(body) == 4 * 2 + 1  # two answers each for four delegates, one row for "did not attend"
    first = [r for r in body if r["respondent"] == "1"]
    assert [(r["question_id"], r["answer"], r["value"], r["skipped"]) for r in first] == [
        ("overall", "5", "5", "no"), ("useful", "The volunteers", "", "no")]
    assert {r["attended"] for r in body if r["respondent"] == "5"} == {"no"}
    assert all(r["name"] == "" for r in body)
    assert first[0]["answered_at"] == "2025-06-05T11:26:00+08:00"
    assert first[0]["question"] == "Overall, how would you rate this session?"


async def test_the_cli_exports_and_summarises(visit_core: Core, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    await known_answers(visit_core)
    db = str(visit_core.settings.db)
    out_file = tmp_path / "all.csv"
    assert await asyncio.to_thread(main, ["feedback", "export", "--db", db, "--out", str(out_file)]) == 0
    table = list(csv.reader(io.StringIO(out_file.read_text(encoding="utf-8-sig"))))
    assert len(table) == 1 + 9 and {r[0] for r in table[1:]} == {VISIT}
    assert await asyncio.to_thread(main, ["feedback", "export", "--db", db, "--session", "lunch-0604"]) == 2
    capsys.readouterr()
    chart = tmp_path / "summary.png"
    assert await asyncio.to_thread(main, ["feedback", "summary", "--db", db, "--chart", str(chart)]) == 0
    printed = capsys.readouterr().out
    assert "1. Stream 2 site visit: Liurong community, Yuexiu District: 3.8 of 5 · 4 of 6 answered (67%)" in printed
    assert "• The volunteers" in printed
    assert chart.read_bytes().startswith(b"\x89PNG")


async def test_the_summary_ranks_sessions_and_names_the_lowest_questions(visit_core: Core) -> None:
    await known_answers(visit_core)
    for name, rating in (("a", 2), ("b", 1)):
        await Chat(visit_core, name).press(f"/feedback a s2-cases overall {rating}")
    org = Chat(visit_core, "org")
    out = await org.say("/feedback summary")
    ranked = [line for line in out.splitlines() if line[:2] in ("1.", "2.")]
    assert ranked[0].startswith("1. Stream 2 site visit") and ranked[1].startswith("2. Stream 2: use-case presentations: 1.5 of 5")
    lowest = out.split("Lowest-rated questions:")[1].split("Comments by session:")[0]
    assert lowest.strip().splitlines()[0].startswith("• Stream 2: use-case presentations: Overall, how would you rate this session?: 1.5 of 5")
    assert "Comments by session:\nStream 2 site visit: Liurong community, Yuexiu District\n• The volunteers\n• Shade, please" in out
    assert any(isinstance(r, Image) for r in org.replies)


# -- personal data -------------------------------------------------------------------------


async def test_forgetting_detaches_anonymous_answers_and_deletes_named_ones(tmp_path: Path) -> None:
    core = await staff_core(tmp_path, at("2025-06-05T11:25"), programme=small_programme(tmp_path))
    try:
        for session, rating in (("round", 5), ("talk", 3)):
            await Chat(core, "ana").say(f"/feedback {session}")
            await Chat(core, "ana").say(str(rating))
        await core.services.privacy.forget(UserRef("test", "ana"))  # what /forget does, by the one registry
        left = await rows(core, "SELECT session_id, user_id FROM feedback_responses")
        assert left == [("talk", None)]
        assert await rows(core, "SELECT COUNT(*) FROM feedback_prompts WHERE user_id IS NOT NULL") == [(0,)]
        assert await rows(core, "SELECT COUNT(*) FROM feedback_prompts") == [(2,)]  # the counts stay
        assert await rows(core, "SELECT value FROM feedback_answers") == [("3",)]
    finally:
        await core.close()


def test_results_of_nobody_asked_have_no_rate() -> None:
    from bot.feedback.questions import DEFAULT_QUESTIONS, Questionnaire
    import datetime as dt

    q = Questionnaire("x", DEFAULT_QUESTIONS, False, dt.timedelta(minutes=5), dt.timedelta(hours=24))
    results = compute(q, [], 0)
    assert results.response_rate is None and results.questions[0].average is None
