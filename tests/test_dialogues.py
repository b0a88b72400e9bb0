"""Conversation state: one contract over every store, and what it means for a conversation."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from bot.conversation import Choice, Choices, Poll, Reply, Request, Text
from bot.dialogues import DialogueKey, DialogueStore, MemoryDialogues, Offer, SqliteDialogues, Step
from bot.router import Context
from bot.store import Database
from tests.conftest import Chat, at, make_core

NOW = at("2025-06-05T10:00")
ALICE = DialogueKey("test", "alice")
BOB = DialogueKey("telegram", "alice")  # same platform id, another channel: another conversation


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DialogueStore]:
    if request.param == "memory":
        yield MemoryDialogues()
        return
    db = await Database.open(tmp_path / "dialogues.sqlite3")
    try:
        yield SqliteDialogues(db)
    finally:
        await db.close()


# -- the contract, for every implementation ------------------------------------------


async def test_a_new_conversation_has_no_offer_and_no_step(store: DialogueStore) -> None:
    dialogue = await store.load(ALICE, NOW)
    assert dialogue.offer is None and dialogue.step is None


async def test_an_offer_is_kept_per_channel_and_platform_id(store: DialogueStore) -> None:
    await store.offer(ALICE, Offer(payloads=("/stream s1", "/stream s2")), NOW)
    assert (await store.load(ALICE, NOW)).offer == Offer(payloads=("/stream s1", "/stream s2"))
    assert (await store.load(BOB, NOW)).offer is None


async def test_a_new_offer_replaces_the_old_one(store: DialogueStore) -> None:
    await store.offer(ALICE, Offer(payloads=("/a",)), NOW)
    await store.offer(ALICE, Offer(poll_id="fb-1", options=5), NOW)
    assert (await store.load(ALICE, NOW)).offer == Offer(poll_id="fb-1", options=5)
    await store.offer(ALICE, None, NOW)
    assert (await store.load(ALICE, NOW)).offer is None


async def test_a_step_keeps_its_data_until_it_expires(store: DialogueStore) -> None:
    step = Step("broadcast.text", NOW + dt.timedelta(minutes=30), {"audience": "stream:s2", "count": 312, "langs": ["en", "zh_Hans"]})
    await store.begin(ALICE, step, NOW)
    loaded = await store.load(ALICE, NOW + dt.timedelta(minutes=29))
    assert loaded.step == step and dict(loaded.step.data) == {"audience": "stream:s2", "count": 312, "langs": ["en", "zh_Hans"]}
    assert (await store.load(ALICE, NOW + dt.timedelta(minutes=30))).step is None


async def test_ending_a_step_keeps_the_offer(store: DialogueStore) -> None:
    await store.offer(ALICE, Offer(payloads=("/a", "/b")), NOW)
    await store.begin(ALICE, Step("question", NOW + dt.timedelta(hours=1)), NOW)
    await store.end(ALICE, NOW)
    dialogue = await store.load(ALICE, NOW)
    assert dialogue.step is None and dialogue.offer == Offer(payloads=("/a", "/b"))


async def test_forget_drops_everything(store: DialogueStore) -> None:
    await store.offer(ALICE, Offer(payloads=("/a",)), NOW)
    await store.begin(ALICE, Step("question", NOW + dt.timedelta(hours=1)), NOW)
    await store.offer(ALICE, Offer(payloads=("/b",)), NOW)
    await store.forget(ALICE)
    await store.close()
    dialogue = await store.load(ALICE, NOW)
    assert dialogue.offer is None and dialogue.step is None


# -- the SQLite store ------------------------------------------------------------------


async def test_the_sqlite_store_survives_reopening_the_database(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "d.sqlite3")
    step = Step("broadcast.confirm", NOW + dt.timedelta(minutes=10), {"id": "b-7"})
    try:
        store = SqliteDialogues(db)
        await store.offer(ALICE, Offer(payloads=("/stream s1", "/stream s2", "/stream s3")), NOW)
        await store.begin(ALICE, step, NOW)
        await store.offer(BOB, Offer(payloads=("/today",)), NOW)  # written behind, on close at the latest
        await store.close()
    finally:
        await db.close()
    db = await Database.open(tmp_path / "d.sqlite3")
    try:
        reopened = SqliteDialogues(db)
        dialogue = await reopened.load(ALICE, NOW)
        assert dialogue.offer == Offer(payloads=("/stream s1", "/stream s2", "/stream s3"))
        assert dialogue.step == step
        assert (await reopened.load(BOB, NOW)).offer == Offer(payloads=("/today",))
    finally:
        await db.close()


async def test_offering_the_same_choices_again_writes_nothing(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "d.sqlite3")
    try:
        store = SqliteDialogues(db)
        await store.offer(ALICE, Offer(payloads=("/a", "/b")), NOW)
        await store.flush()
        await store.offer(ALICE, Offer(payloads=("/a", "/b")), NOW + dt.timedelta(minutes=5))
        await store.flush()
        row = await db.fetchone("SELECT updated_at FROM dialogues")
        assert row[0].startswith("2025-06-05T02:00")
    finally:
        await db.close()


# -- in a conversation -------------------------------------------------------------------


async def test_a_restart_between_offering_choices_and_answering_picks_the_offered_choice(tmp_path: Path) -> None:
    core = await make_core(tmp_path, at("2025-06-05T10:00"))
    try:
        await Chat(core).say("streams")
    finally:
        await core.close()
    core = await make_core(tmp_path, at("2025-06-05T10:00"))
    try:
        chat = Chat(core)
        out = await chat.say("2")
        assert "Stream 2: Digital Tools for a More Caring and Inclusive City" in out  # not "Day 2"
        assert "Day 2" not in out.splitlines()[0]
    finally:
        await core.close()


async def test_a_number_under_a_poll_shown_as_text_is_an_answer_to_that_poll(core, chat: Chat) -> None:
    answers: list[tuple[str, tuple[int, ...]]] = []

    async def ask(req: Request, ctx: Context) -> Sequence[Reply]:
        return [Poll("Which sessions were most useful?", ("Panel", "Visit", "Roundtable"), poll_id="fb-day3", allows_multiple=True)]

    async def vote(req: Request, ctx: Context) -> Sequence[Reply]:
        assert req.poll_answer is not None
        answers.append((req.poll_answer.poll_id, req.poll_answer.option_ids))
        return [Text("Thanks")]

    core.router.command("ask", hidden=True)(ask)
    core.router.poll_answer(vote)
    await chat.say("/ask")
    assert await chat.say("2") == "Thanks"
    await chat.say("/ask")
    await chat.say("1, 3")
    assert answers == [("fb-day3", (1,)), ("fb-day3", (0, 2))]
    assert "number from 1 to 3" in await chat.say("4")


async def test_several_numbers_under_a_single_choice_are_read_as_words(chat: Chat) -> None:
    await chat.say("streams")
    assert "number from 1 to" not in await chat.say("10 15")


async def test_a_pending_step_takes_the_next_free_text_and_a_typed_command_abandons_it(core, chat: Chat) -> None:
    seen: list[tuple[str, dict]] = []

    async def start(req: Request, ctx: Context) -> Sequence[Reply]:
        await ctx.services.dialogues.begin(DialogueKey.of(req.user), Step("note", ctx.now + dt.timedelta(minutes=10), {"n": 1}), ctx.now)
        return [Text("Send your note.")]

    async def note(req: Request, ctx: Context) -> Sequence[Reply]:
        assert ctx.step is not None
        seen.append((req.args, dict(ctx.step.data)))
        await ctx.services.dialogues.end(DialogueKey.of(req.user), ctx.now)
        return [Text("Noted.")]

    core.router.command("note", hidden=True)(start)
    core.router.step("note")(note)
    await chat.say("/note")
    assert await chat.say("the room is too cold") == "Noted."
    assert seen == [("the room is too cold", {"n": 1})]
    # after the step ended, words are words again
    assert "Noted." not in await chat.say("the room is too cold")
    await chat.say("/note")
    assert "Day 3" in await chat.say("/today")  # a command leaves the step
    assert "Noted." not in await chat.say("the room is too cold")
    assert len(seen) == 1


async def test_a_step_cannot_be_typed_as_a_command(core, chat: Chat) -> None:
    async def secret(req: Request, ctx: Context) -> Sequence[Reply]:
        return [Text("stepped")]

    core.router.step("secret")(secret)
    for typed in ("/@secret hello", "@secret hello"):
        assert "stepped" not in await chat.say(typed)
    assert "stepped" not in await chat.press("/@secret")


async def test_an_expired_step_lets_free_text_be_read_as_usual(core, chat: Chat) -> None:
    async def start(req: Request, ctx: Context) -> Sequence[Reply]:
        await ctx.services.dialogues.begin(DialogueKey.of(req.user), Step("wait", ctx.now + dt.timedelta(minutes=1)), ctx.now)
        return [Choices("Waiting", (Choice("Cancel", "/help"),))]

    async def wait(req: Request, ctx: Context) -> Sequence[Reply]:
        return [Text("caught")]

    core.router.command("wait", hidden=True)(start)
    core.router.step("wait")(wait)
    await chat.say("/wait")
    await core.clock.advance(dt.timedelta(minutes=2))
    assert "caught" not in await chat.say("tomorrow")
