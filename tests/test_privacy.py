"""Privacy: every table is declared; /mydata has everything of a person; /forget (after a confirm) leaves nothing; retention.

The scenario gives three people data in every table that can hold a
person's: Alice on Telegram (choices, a location, a role granted to her, an
invitation she redeemed, a broadcast she wrote, pushes, a document, long
buttons, a poll, an edited message, refused and audited commands, named and
anonymous feedback, a poll she opened, a live-results watch, a calendar
feed), Carol on WeChat (her callbacks and window), and Bob, who stays.  After Alice and
Carol are forgotten, no table holds their ids, their names or their words,
and Bob's data is intact.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from bot.app import Core
from bot.channels.telegram import CallbackCodec, EditLog
from bot.conversation import Document, Location, Request, Text, UserRef
from bot.dialogues import DialogueKey
from bot.geo import Datum
from bot.notify.outbox import Priority
from bot.privacy import DELETE, TABLES, Detach, NoPersonalData, Personal, Privacy, Rule, entry, purge_after
from bot.roles import Role, Scope, actor_of
from bot.store.db import Database, iso
from bot.store.wechat import WeChatStore
from tests.conftest import Chat, at, make_core, plain

ALICE = UserRef("telegram", "111222333")
CAROL = UserRef("wechat", "o_carol_openid_1234567890ab")
BOB = UserRef("telegram", "444555666")
ALICE_NAME = "Zanzibar-Alice"
ALICE_WORDS = "Kampala-unusual-words"
#: Columns that name a person in some table: a table that has one must say how it is covered.
PERSON_COLUMNS = {"user_id", "platform_id", "chat_id", "openid", "actor", "created_by", "granted_by", "revoked_by",
                  "redeemed_platform_id", "report_to", "display_name", "target", "detail", "payload", "opened_by",
                  "closed_by", "body"}


async def tables_of(db: Database) -> set[str]:
    rows = await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    return {r[0] for r in rows}


async def row(db: Database, sql: str, params: tuple = ()) -> tuple | None:
    found = await db.fetchone(sql, params)
    return tuple(found) if found is not None else None


async def rows(db: Database, sql: str) -> list[tuple]:
    return [tuple(r) for r in await db.fetchall(sql)]


async def columns_of(db: Database, table: str) -> list[str]:
    return [r[1] for r in await db.fetchall(f"PRAGMA table_info({table})")]


# -- the registry covers every table ------------------------------------------------------


async def test_every_table_of_the_migrated_database_is_declared_once(core: Core) -> None:
    declared = [t.name for t in TABLES]
    assert len(declared) == len(set(declared))
    actual = await tables_of(core.db)
    assert actual - set(declared) == set(), "declare these tables in bot.privacy.TABLES (personal data or not)"
    assert set(declared) - actual == set(), "these declared tables do not exist"


async def test_a_table_said_to_hold_no_personal_data_has_no_column_that_names_a_person(core: Core) -> None:
    for table in TABLES:
        if isinstance(table, NoPersonalData):
            found = set(await columns_of(core.db, table.name)) & PERSON_COLUMNS
            assert not found, f"{table.name} has {found}: declare it Personal, with rules for /forget and retention"


async def test_every_column_that_names_a_person_is_reached_by_a_rule(core: Core) -> None:
    for table in TABLES:
        if isinstance(table, Personal):
            assert table.rules, table.name
            said = " ".join(r.where + " " + " ".join(getattr(r.forget, "columns", {})) for r in table.rules)
            for column in set(await columns_of(core.db, table.name)) & PERSON_COLUMNS:
                covered = column in said or any(isinstance(r.forget, type(DELETE)) for r in table.rules)
                assert covered, f"{table.name}.{column} is a person's, but no rule deletes or detaches it"


# -- a scenario with data everywhere -------------------------------------------------------


async def say(core: Core, who: UserRef, text: str, name: str | None = None) -> str:
    from bot.channels.console import render

    return plain(render(await core.handle(Request(user=who, text=text, display_name=name, language_hint="en"))))


async def press(core: Core, who: UserRef, payload: str) -> str:
    from bot.channels.console import render

    return plain(render(await core.handle(Request(user=who, payload=payload))))


async def populate(core: Core) -> None:
    now = core.clock.now()
    services = core.services
    # Alice, as a delegate
    await say(core, ALICE, "/start", ALICE_NAME)
    await say(core, ALICE, "/bookmark s2-roundtable")
    await say(core, ALICE, "/subscribe 3")
    await say(core, ALICE, "/join s3-visit-transport")
    await say(core, ALICE, "/reminders 30")
    await say(core, ALICE, "/digest 08:00")
    await say(core, ALICE, "/timezone Europe/Madrid")
    await say(core, ALICE, f"/search {ALICE_WORDS}")
    await core.handle(Request(user=ALICE, location=Location(23.13, 113.32, "my hotel", Datum.WGS84)))
    alice = await core.users.find(ALICE)
    assert alice is not None
    await core.push.push(alice.id, "telegram", [Text(f"a reminder for {ALICE_NAME}")], dedupe_key="r:1", priority=Priority.REMINDER)
    core.files.public_url = "https://bot.example.org"  # documents go out as links (as for WeChat)
    assert await core.files.link(b"{}", "my-data.json", "application/json", owner=alice.id)
    # Bob makes Alice an organiser, she redeems an invitation he made, writes a broadcast, runs privileged commands
    await say(core, BOB, "/start", "Bob")
    await say(core, BOB, "/bookmark opening")
    await services.roles.grant(BOB, Role.ORGANISER, Scope(), by="cli:admin", source="command line", now=now)
    await services.roles.grant(ALICE, Role.ORGANISER, Scope(), by=actor_of(BOB), source="chat", now=now)
    code, _invitation = await services.roles.invite(Role.FACILITATOR, Scope("stream", "s2"), by=actor_of(BOB), now=now)
    await say(core, ALICE, f"/redeem {code}")
    await services.roles.grant(BOB, Role.MODERATOR, Scope(), by=actor_of(ALICE), source="chat", now=now)
    await services.campaigns.draft("broadcast", "Bus at 9", created_by=actor_of(ALICE), now=now, texts={"en": "Bus at 9"},
                                   report_to=alice.id)
    await say(core, ALICE, "/broadcasts")
    await services.audit.record(now, "cli:admin", "role.note", None, about=ALICE.platform_id)
    # Alice's Telegram bookkeeping, as the channel writes it
    codec = CallbackCodec(core.db, core.clock.now)
    long_payload = f"/search {ALICE_WORDS} and many more words to pass the sixty-four bytes p2"
    tokens = await codec.encode([long_payload])
    await codec.shown_to([tokens[long_payload]], ALICE.platform_id)
    await EditLog(core.db, core.clock.now).put(int(ALICE.platform_id), "campaign:1", 42)
    await core.db.execute("INSERT INTO telegram_polls (telegram_poll_id, poll_id, chat_id, created_at) VALUES (?, ?, ?, ?)",
                          ("tg-poll-1", "feedback-1", ALICE.platform_id, iso(now)))
    # an update of hers a crash interrupted (kept whole until handled), and one handled long ago (its id only)
    body = json.dumps({"update_id": 77, "message": {"from": {"id": int(ALICE.platform_id)}, "text": ALICE_WORDS}})
    await core.db.execute("INSERT INTO telegram_updates (update_id, received_at, body) VALUES (77, ?, ?)", (iso(now), body))
    await core.db.execute("INSERT INTO telegram_updates (update_id, received_at) VALUES (76, ?)", (iso(now),))
    # Carol on WeChat: her callbacks (the first opens her window), a message spent
    store = WeChatStore(core.db)
    await store.claim("m:1001", CAROL.platform_id, now, opens_window=2)
    store.answered("m:1001", ["hello Carol"])
    await store.flush()
    await store.spend(CAROL.platform_id)
    await say(core, CAROL, "/bookmark opening", "Carol")
    # feedback: a named answer with her words, an anonymous one, prompts, a poll she opened, a live watch; and Bob's
    feedback = services.feedback.store
    await feedback.asked("s2-cases", [alice.id], now, "push")
    await feedback.answer("s2-cases", alice.id, "useful", "text", f"{ALICE_WORDS} in a named comment", named=True, now=now)
    await feedback.answer("s2-panel", alice.id, "overall", "rating", 4, named=False, now=now)
    bob = await core.users.find(BOB)
    assert bob is not None
    await feedback.answer("s2-panel", bob.id, "overall", "rating", 2, named=False, now=now)
    await feedback.open("s2-cases", actor_of(ALICE), now)
    await feedback.close("s2-panel", actor_of(ALICE), now)
    await feedback.watch("s2-cases", alice.id, now + dt.timedelta(hours=2), "x", now)
    await services.calendars.token(alice.id)


def needles() -> tuple[str, ...]:
    return (ALICE.platform_id, ALICE_NAME, ALICE_WORDS, CAROL.platform_id, "Carol")


async def mentions(db: Database, forgotten: set[int]) -> list[str]:
    """Every table and column that still holds something of the forgotten people."""
    found = []
    for table in sorted(await tables_of(db)):
        columns = await columns_of(db, table)
        for row in await db.fetchall(f"SELECT * FROM {table}"):
            for column, value in zip(columns, tuple(row)):
                shown = value.decode("utf-8", "ignore") if isinstance(value, bytes) else value
                if isinstance(shown, str) and any(n in shown for n in needles()):
                    found.append(f"{table}.{column}")
                is_person = column in ("user_id", "report_to") or (table == "users" and column == "id")
                if is_person and value in forgotten:
                    found.append(f"{table}.{column}")
    return sorted(set(found))


async def test_mydata_has_a_persons_rows_from_every_kind_of_table(core: Core) -> None:
    await populate(core)
    replies = await core.handle(Request(user=ALICE, text="/mydata"))
    summary, document = replies
    assert isinstance(summary, Text) and isinstance(document, Document)
    assert "Bookmarked sessions: 1" in summary.body and "Followed streams: 1" in summary.body
    assert document.filename == "my-data-wtl2025.json" and document.mime_type == "application/json"
    data = json.loads(document.data)
    assert data["person"] == {"channel": "telegram", "id": ALICE.platform_id}
    tables = data["tables"]
    expected = {"users", "bookmarks", "stream_subscriptions", "visit_signups", "reminder_settings", "last_locations",
                "outbox", "files", "dialogues", "role_grants", "invitations", "campaigns", "audit_log",
                "telegram_callbacks", "telegram_callback_chats", "telegram_edits", "telegram_polls",
                "feedback_answers", "feedback_responses", "feedback_prompts", "feedback_watchers", "feedback_polls",
                "calendar_feeds", "telegram_updates"}
    assert expected <= set(tables), expected - set(tables)
    assert tables["users"][0]["display_name"] == ALICE_NAME and tables["users"][0]["timezone"] == "Europe/Madrid"
    assert tables["files"][0]["data"] == "<2 bytes>"
    assert {r["session_id"] for r in tables["feedback_responses"]} == {"s2-cases", "s2-panel"}
    assert len(tables["feedback_answers"]) == 2  # both, the anonymous one too: it is hers until she is forgotten
    assert all(row["user_id"] == tables["users"][0]["id"] for row in tables["bookmarks"])
    assert not any(CAROL.platform_id in json.dumps(rows) or "444555666" == json.dumps(rows) for rows in tables.values())
    carol = json.loads((await core.handle(Request(user=CAROL, text="/mydata")))[1].data)  # type: ignore[union-attr]
    assert {"wechat_inbound", "wechat_window", "users", "bookmarks"} <= set(carol["tables"])


async def forget(core: Core, who: UserRef) -> str:
    question = await core.handle(Request(user=who, text="/forget"))
    (choices,) = question
    confirm = next(c.payload for c in choices.options if c.payload.startswith("/forget yes "))  # type: ignore[union-attr]
    return await press(core, who, confirm)


async def test_forget_leaves_nothing_of_the_person_in_any_table_and_keeps_the_others(core: Core) -> None:
    await populate(core)
    alice = await core.users.find(ALICE)
    carol = await core.users.find(CAROL)
    bob = await core.users.find(BOB)
    assert alice and carol and bob
    gone = {alice.id, carol.id}
    before = await mentions(core.db, gone)
    assert {"users.display_name", "wechat_inbound.openid", "wechat_window.openid", "telegram_callbacks.payload",
            "audit_log.actor", "role_grants.platform_id", "invitations.redeemed_platform_id", "campaigns.created_by",
            "telegram_polls.chat_id", "outbox.payload", "files.user_id", "last_locations.user_id",
            "feedback_responses.user_id", "feedback_prompts.user_id", "feedback_watchers.user_id", "feedback_answers.value",
            "feedback_polls.opened_by", "feedback_polls.closed_by", "calendar_feeds.user_id",
            "telegram_updates.body"} <= set(before), before
    prompts = await row(core.db, "SELECT COUNT(*) FROM feedback_prompts")
    assert "deleted" in await forget(core, ALICE)
    assert "deleted" in await forget(core, CAROL)
    assert await mentions(core.db, gone) == []
    # Bob keeps everything of his, and what Alice did to him stays with her name removed
    assert await core.services.delegates.bookmarks(bob.id) == {"opening"}
    assert {g.role for g in await core.services.roles.grants_of(BOB)} == {Role.ORGANISER, Role.MODERATOR}
    assert await row(core.db, "SELECT granted_by FROM role_grants WHERE role = 'moderator'") == ("forgotten",)
    assert await row(core.db, "SELECT COUNT(*) FROM campaigns") == (1,)  # the broadcast stays, without its author
    # her anonymous rating stays for the statistics, nobody's; her named comment is gone; Bob's rating is his
    assert await rows(core.db, "SELECT r.session_id, r.user_id, a.value FROM feedback_responses r "
                                  "JOIN feedback_answers a ON a.response_id = r.id ORDER BY a.value") == [
        ("s2-panel", bob.id, "2"), ("s2-panel", None, "4")]
    assert await row(core.db, "SELECT COUNT(*) FROM feedback_prompts") == prompts  # who was asked: counted, nobody's
    # her conversation state and the users cache are gone too: she starts afresh
    assert core.users._recent.get(ALICE) is None
    assert (await core.services.dialogues.load(DialogueKey.of(ALICE), core.clock.now())).offer is None


async def test_forget_asks_first_and_only_its_own_confirmation_deletes(core: Core) -> None:
    chat = Chat(core, "dora", channel="telegram")
    await chat.say("/bookmark opening")
    question = await chat.say("/forget")
    assert "cannot be undone" in question
    assert "expired" in await chat.press("/forget yes 00000000")  # a code it did not issue
    assert "Nothing was deleted" in await chat.say("2")  # "Keep my data"
    assert "expired" in await chat.press("/forget yes " + "x")
    await chat.say("/forget")
    payload = next(c.payload for c in chat.replies[0].options if c.payload.startswith("/forget yes"))  # type: ignore[union-attr]
    await core.clock.advance(dt.timedelta(minutes=16))  # type: ignore[attr-defined]
    assert "expired" in await chat.press(payload)
    record = await core.users.find(chat.ref)
    assert record is not None and await core.services.delegates.bookmarks(record.id) == {"opening"}
    await chat.say("/forget")
    assert "from 1 to 2" in await chat.say("9")
    assert "cannot be undone" in await chat.say("yes please")  # free text while it is open asks again
    assert "deleted" in await chat.say("1")
    assert await core.users.find(chat.ref) is None


async def test_forget_clears_what_channels_keep_in_memory(core: Core) -> None:
    seen: list[tuple[UserRef, int | None]] = []

    class Remembering:
        def forget_person(self, ref: UserRef, user_id: int | None) -> None:
            seen.append((ref, user_id))

        def forget_everyone(self) -> None:
            seen.append((UserRef("*", "*"), None))

    core.ports().caches.add(Remembering())
    await say(core, ALICE, "/start")
    alice = await core.users.find(ALICE)
    assert alice is not None
    await forget(core, ALICE)
    assert seen == [(ALICE, alice.id)]


# -- retention ------------------------------------------------------------------------------


async def test_retention_purges_everyone_after_the_event_and_keeps_statistics_detached(tmp_path: Path) -> None:
    core = await make_core(tmp_path, at("2025-06-05T10:00"))
    try:
        privacy: Privacy = core.services.privacy
        await populate(core)
        purge = purge_after(core.programmes.programme, 30)
        assert purge == dt.datetime(2025, 7, 8, tzinfo=core.programmes.programme.zone)  # 30 days after 7 June ends
        assert await privacy.next_due() == purge
        await core.clock.set(purge - dt.timedelta(minutes=1))  # type: ignore[attr-defined]
        await core.wakeups.fire_due()
        assert await row(core.db, "SELECT COUNT(*) FROM users") == (3,)
        await core.clock.set(purge)  # type: ignore[attr-defined]
        await core.wakeups.fire_due()
        for table in ("users", "bookmarks", "outbox", "files", "dialogues", "wechat_inbound", "wechat_window", "role_grants",
                      "invitations", "audit_log", "telegram_callbacks", "telegram_callback_chats", "last_locations",
                      "feedback_watchers", "calendar_feeds"):
            assert await row(core.db, f"SELECT COUNT(*) FROM {table}") == (0,), table
        assert await row(core.db, "SELECT created_by, report_to FROM campaigns") == ("forgotten", None)
        # feedback is kept for the statistics, nobody's: every answer, named or not, every prompt, the polls' times
        assert await rows(core.db, "SELECT r.session_id, r.user_id, r.named, a.value FROM feedback_responses r "
                                      "JOIN feedback_answers a ON a.response_id = r.id ORDER BY r.session_id, a.value") == [
            ("s2-cases", None, 1, json.dumps(f"{ALICE_WORDS} in a named comment")), ("s2-panel", None, 0, "2"),
            ("s2-panel", None, 0, "4")]
        assert await row(core.db, "SELECT user_id FROM feedback_prompts") == (None,)
        assert await rows(core.db, "SELECT opened_by, closed_by FROM feedback_polls ORDER BY session_id") == [
            ("forgotten", None), (None, "forgotten")]
        assert core.users._recent == {}
        # whoever writes after the event is purged the next day
        await say(core, UserRef("telegram", "999"), "/bookmark opening")
        assert await privacy.next_due() == purge + dt.timedelta(days=1)
        await core.clock.set(purge + dt.timedelta(days=1))  # type: ignore[attr-defined]
        await core.wakeups.fire_due()
        assert await row(core.db, "SELECT COUNT(*) FROM users") == (0,)
    finally:
        await core.close()


async def test_retention_off_never_purges(tmp_path: Path) -> None:
    import dataclasses

    core = await make_core(tmp_path, at("2025-06-05T10:00"))
    try:
        core.services.privacy.retention_days = None
        assert await core.services.privacy.next_due() is None
        assert "until you delete them" in await Chat(core).say("/start")
        assert dataclasses.replace(core.settings, retention_days=None).retention_days is None
    finally:
        await core.close()


async def test_start_says_what_is_kept_why_until_when_and_whom_to_ask(chat: Chat) -> None:
    out = await chat.say("/start")
    assert "Privacy: I keep your language and your choices" in out
    assert "July 8, 2025" in out or "8 July 2025" in out
    assert "/mydata" in out and "/forget" in out and "info@guangzhouaward.org" in out
    full = await chat.say("/privacy")
    assert "30 days after the event ends" in full and "Guangzhou Institute for Urban Innovation" in full
    assert "/forget deletes your named answers" in full and "/calendar off" in full  # feedback and calendars, told too


def test_the_registry_has_an_entry_per_name() -> None:
    assert entry("users") is not None and entry("nowhere") is None


# -- through a Telegram chat ------------------------------------------------------------------

from tests.channels.telegram.fixtures import fake_api, telegram  # noqa: E402,F401  (fixtures)


async def test_a_telegram_delegate_who_forgets_takes_their_long_buttons_and_the_channels_memory_along(telegram, fake_api) -> None:
    from bot.conversation import Choice, Choices
    from tests.channels.telegram.fake import USER_ID, buttons_of
    from tests.channels.telegram.test_channel import reply_with

    query = "Zanzibar-Alice-searches " * 4
    reply_with(telegram.core, "offer", Choices("Pick", (Choice("More", f"/search {query} p2"), Choice("Today", "/today"))))
    calls = await telegram.say("/offer")
    token = dict(buttons_of(calls[0]))["More"]
    chat = str(USER_ID)
    assert await row(telegram.core.db, "SELECT chat_id FROM telegram_callback_chats WHERE token = ?", (token,)) == (chat,)
    channel = telegram.channel
    assert channel.callbacks._cache and channel.renderer._markups
    question = await telegram.say("/forget")
    confirm = next(d for label, d in buttons_of(question[-1]) if d.startswith("/forget yes"))
    limiter = channel.sender.limiter
    assert int(chat) in limiter._last_by_chat and int(chat) in limiter._left_by_chat  # the pace of the answers so far
    held_after_forget: list[bool] = []
    forget_pace = limiter.forget

    def forgetting(chat_id: int | None) -> None:
        forget_pace(chat_id)
        held_after_forget.append(chat_id in limiter._last_by_chat or chat_id in limiter._left_by_chat)

    limiter.forget = forgetting  # type: ignore[method-assign]
    done = await telegram.press(confirm, message_id=question[-1].result["message_id"])
    assert "deleted" in " ".join(str(c.params.get("text")) for c in done)
    assert await row(telegram.core.db, "SELECT COUNT(*) FROM telegram_callbacks") == (0,)
    assert await row(telegram.core.db, "SELECT COUNT(*) FROM telegram_callback_chats") == (0,)
    assert not channel.callbacks._cache and not channel.renderer._markups
    # the rate limiter forgot the chat (what it holds now is the send time of the "deleted" answer, which came after)
    assert held_after_forget == [False]
    assert await mentions(telegram.core.db, set()) == []  # the query held "Zanzibar-Alice": no table has it now


async def test_forget_clears_the_flood_counter_kept_by_platform_id(tmp_path: Path) -> None:
    from bot.app import build_core
    from bot.clock import ManualClock
    from bot.config import Settings
    from bot.middleware import FloodGuard
    from tests.conftest import PROGRAMME, shipped

    settings = Settings.from_env({}, programme=PROGRAMME, db=tmp_path / "bot.sqlite3", flood_burst=5, flood_per_minute=30)
    core = await build_core(settings, ManualClock(at("2025-06-05T10:00")), programme=shipped(PROGRAMME))
    try:
        (guard,) = [c for c in core.services.privacy.caches if isinstance(c, FloodGuard)]
        chat = Chat(core, "dora")
        await chat.say("/start")
        assert ("test", "dora") in guard._buckets
        await forget(core, chat.ref)  # the confirming press is counted first, then everything of hers goes
        assert ("test", "dora") not in guard._buckets
    finally:
        await core.close()


async def test_an_offer_being_written_behind_does_not_outlive_the_purge(tmp_path: Path) -> None:
    import asyncio

    core = await make_core(tmp_path, at("2025-07-08T09:00"))
    try:
        await say(core, ALICE, "/today")  # numbers answer its choices: an offer, written behind
        dialogues = core.services.dialogues
        await dialogues.flush()
        from bot.conversation import Choice, Choices
        from bot.dialogues import Offer

        newer = Offer.from_replies([Choices("Pick", (Choice("Opening", "/session opening"), Choice("Panel", "/session panel")))])
        await dialogues.offer(DialogueKey.of(ALICE), newer, core.clock.now())  # a newer offer, not written yet
        release = asyncio.Event()
        holding = asyncio.Event()

        async def hold_the_database() -> None:
            async with core.db.transaction():
                holding.set()
                await release.wait()

        blocker = asyncio.create_task(hold_the_database())
        await holding.wait()
        purge = asyncio.create_task(core.services.privacy.purge())  # its delete waits for the database
        await asyncio.sleep(0)
        flush = asyncio.create_task(dialogues.flush())  # a flush that took the offer would write it after the delete
        await asyncio.sleep(0)
        release.set()
        await asyncio.gather(blocker, purge, flush)
        assert await row(core.db, "SELECT COUNT(*) FROM dialogues") == (0,)
        assert await row(core.db, "SELECT COUNT(*) FROM users") == (0,)
    finally:
        await core.close()
