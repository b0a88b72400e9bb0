"""The Telegram channel against a fake Bot API over HTTP, checked against the Bot API specification."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import TimedOut
from telegram.warnings import PTBUserWarning

from bot.app import Core
from bot.channels.telegram import (
    CALLBACK_MEMORY,
    MAX_CALLBACK_DATA,
    MAX_TEXT,
    PRUNE_EVERY,
    CallbackCodec,
    RateLimiter,
    TelegramSender,
    build_channel,
    html_messages,
    split_text,
)
from bot.conversation import Choice, Choices, File, Image, LinkButton, Poll, Reply, Request, Text, UserRef, Venue
from bot.geo import Datum
from bot.notify.outbox import Delivery, OutboxItem, Retry, Uncertain
from bot.router import Context
from tests.conftest import at, make_core, shared_path
from tests.formats import day, plain
from tests.channels.telegram.fake import (
    DATE,
    TOKEN,
    USER_ID,
    FakeBotAPI,
    FakeTime,
    Harness,
    VirtualTime,
    buttons_of,
    membership_update,
    message_update,
    text_of,
    user_json,
)
from tests.channels.telegram.fixtures import fake_api, telegram, telegram_settings  # noqa: F401  (fixtures)


def reply_with(core: Core, name: str, *replies: Reply) -> None:
    """Register ``/name`` answering with ``replies`` (what a feature's handler would return)."""

    async def handler(req: Request, ctx: Context) -> Sequence[Reply]:
        return list(replies)

    core.router.command(name, hidden=True)(handler)


async def user_active(core: Core, user_id: int = USER_ID) -> bool:
    record = await core.users.find(UserRef("telegram", str(user_id)))
    assert record is not None
    return record.active


# -- start-up --------------------------------------------------------------------


async def test_start_sets_the_webhook_with_its_secret_and_publishes_menus(telegram: Harness, fake_api: FakeBotAPI) -> None:
    hooks = fake_api.sent("setWebhook")
    assert hooks and hooks[0].params["url"] == "https://bot.example.org/telegram"
    assert hooks[0].params["secret_token"] == "test-secret_0123"
    menus = fake_api.sent("setMyCommands")
    # one menu per catalog language (Telegram knows two-letter codes: zh_Hans and zh_Hant share "zh") and a default
    assert {c.params.get("language_code") for c in menus} == {None, "en", "zh", "es", "fr", "pt", "ar", "ru", "ko"}


async def test_command_menus_are_translated_per_language(telegram: Harness, fake_api: FakeBotAPI) -> None:
    zh = telegram.core.catalogs.get("zh_Hans").translations
    by_code = {c.params.get("language_code"): {x["command"]: x["description"] for x in c.params["commands"]} for c in fake_api.sent("setMyCommands")}
    for command in telegram.core.router.menu():
        assert by_code["zh"][command.name] == zh.gettext(command.description)
        assert by_code["en"][command.name] == by_code[None][command.name] == command.description
    assert "today" in by_code[None] and "session" in by_code[None]


async def test_without_a_token_there_is_no_channel(core: Core) -> None:
    assert build_channel(core.ports(), web.Application()) is None


# -- webhook ---------------------------------------------------------------------


async def test_a_wrong_webhook_secret_is_refused_and_changes_nothing(telegram: Harness, fake_api: FakeBotAPI) -> None:
    update = message_update(1, "/today", user_id=USER_ID, language="en")
    assert await telegram.post(update, secret="wrong") == 403
    assert await telegram.post(update, secret=None) == 403
    assert fake_api.sent() == []
    assert await telegram.core.users.find(UserRef("telegram", str(USER_ID))) is None
    assert await telegram.post(update) == 200  # the same update with the right secret is still new
    assert "Liurong" in text_of(fake_api.sent())


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"message": {}}', b'{"update_id": "7"}', b'{"update_id": 7, "message": {"chat": 5}}'])
async def test_a_malformed_webhook_body_gets_400(telegram: Harness, fake_api: FakeBotAPI, body: bytes) -> None:
    assert await telegram.post(body) == 400
    assert fake_api.sent() == []


async def test_a_replayed_update_has_no_second_effect(telegram: Harness, fake_api: FakeBotAPI) -> None:
    update = message_update(telegram.next_id(), "/today", user_id=USER_ID, language="en")
    first = await telegram.deliver(update)
    assert [c.method for c in first] == ["sendMessage"]
    assert await telegram.deliver(update) == []


async def test_an_update_replayed_after_a_restart_has_no_second_effect(tmp_path: Path, fake_api: FakeBotAPI) -> None:
    update = message_update(77, "/now", user_id=USER_ID, language="en")
    for attempt in range(2):
        core = await make_core(tmp_path, at("2025-06-05T10:00"))
        core.settings = telegram_settings(core, fake_api)
        web_app = web.Application()
        channel = build_channel(core.ports(), web_app)
        assert channel is not None
        await channel.start()
        from aiohttp.test_utils import TestClient, TestServer

        async with TestClient(TestServer(web_app)) as client:
            before = len(fake_api.sent())
            response = await client.post("/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "test-secret_0123"})
            assert response.status == 200
            assert len(fake_api.sent()) - before == (1 if attempt == 0 else 0)
        await channel.stop()
        await core.close()


# -- rendering -------------------------------------------------------------------


async def test_programme_content_is_escaped_and_titles_are_bold(telegram: Harness, fake_api: FakeBotAPI) -> None:
    reply_with(telegram.core, "markup", Text("a <b>bold</b> & <script> claim", title="R&D <1>"))
    calls = await telegram.say("/markup")
    assert calls[0].params["text"] == "<b>R&amp;D &lt;1&gt;</b>\na &lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt; claim"
    assert calls[0].params["parse_mode"] == "HTML"


async def test_texts_over_4096_characters_are_split_at_line_boundaries(telegram: Harness) -> None:
    lines = [f"line {i:04d} " + "x" * 60 for i in range(160)]  # about 11,000 characters (under bounded()'s cap)
    reply_with(telegram.core, "long", Text("\n".join(lines), title="Long"), Text("y" * 9000))
    calls = await telegram.say("/long")
    texts = [c.params["text"] for c in calls]
    assert len(texts) == 3 + 3
    assert all(len(t) <= MAX_TEXT for t in texts)
    assert texts[0].startswith("<b>Long</b>\nline 0000")
    rejoined = "\n".join(texts[:3]).replace("<b>Long</b>\n", "")
    assert rejoined == "\n".join(lines)
    assert "".join(texts[3:]) == "y" * 9000


def test_split_text_keeps_lines_whole_and_cuts_only_overlong_ones() -> None:
    assert split_text("ab\ncd\nef", limit=5) == ["ab\ncd", "ef"]
    assert split_text("abcdefghijk", limit=4) == ["abcd", "efgh", "ijk"]
    assert split_text("", limit=4) == []
    assert html_messages("x & y", title=None) == ["x &amp; y"]


def test_a_text_within_the_limit_is_one_message_and_a_blank_one_none() -> None:
    text = "line <1>\n\n  indented & spaced  \n"
    assert html_messages(text, title="T") == ["<b>T</b>\nline &lt;1&gt;\n\n  indented &amp; spaced  \n"]
    assert html_messages(" \n \n", title=None) == []
    assert html_messages("a\nb", title=None, limit=3) == ["a\nb"]
    assert html_messages("ab\ncd", title=None, limit=4) == ["ab", "cd"]


async def test_long_payloads_become_short_tokens_that_still_work(telegram: Harness, fake_api: FakeBotAPI) -> None:
    query = "波哥大" * 10  # 90 bytes in UTF-8, plus the command
    reply_with(telegram.core, "offer", Choices("Pick", (Choice("Search", f"/search {query}"), Choice("Today", "/today"))))
    calls = await telegram.say("/offer")
    data = dict(buttons_of(calls[0]))
    assert all(1 <= len(d.encode()) <= MAX_CALLBACK_DATA for d in data.values())
    assert data["Today"] == "/today" and data["Search"].startswith("#")
    pressed = await telegram.press(data["Search"], message_id=calls[0].result["message_id"])
    assert query in text_of(pressed)
    expired = await telegram.press("#nosuchtoken", message_id=calls[0].result["message_id"])
    assert "expired" in text_of(expired)
    assert [c.method for c in expired] == ["answerCallbackQuery", "sendMessage"]


async def test_callback_tokens_survive_a_restart(core: Core) -> None:
    payload = "/search " + "é" * 80
    token = (await CallbackCodec(core.db, core.clock.now).encode([payload]))[payload]
    assert len(token.encode()) <= MAX_CALLBACK_DATA
    assert await CallbackCodec(core.db, core.clock.now).decode(token) == payload


async def test_long_payloads_are_pruned_a_month_after_they_were_last_issued(core: Core) -> None:
    codec = CallbackCodec(core.db, core.clock.now)
    old, again = "/search " + "a" * 80, "/search " + "b" * 80
    tokens = await codec.encode([old, again])
    await core.clock.advance(CALLBACK_MEMORY - dt.timedelta(days=1))
    await CallbackCodec(core.db, core.clock.now).encode([again])  # issued again (a fresh process: not in its cache)
    await core.clock.advance(dt.timedelta(days=2))
    assert await codec.prune() == 1
    assert [r[0] for r in await core.db.fetchall("SELECT payload FROM telegram_callbacks")] == [again]
    fresh = CallbackCodec(core.db, core.clock.now)
    assert await fresh.decode(tokens[old]) is None  # that old button now says it expired
    assert await fresh.decode(tokens[again]) == again


async def test_distinct_long_payloads_do_not_grow_the_table_without_bound(core: Core) -> None:
    codec = CallbackCodec(core.db, core.clock.now)
    for day in range(60):  # two months of distinct long searches, PRUNE_EVERY a day
        await codec.encode([f"/search {day}-{n} " + "x" * 80 for n in range(PRUNE_EVERY)])
        await core.clock.advance(dt.timedelta(days=1))
    (count,) = await core.db.fetchone("SELECT count(*) FROM telegram_callbacks")
    assert count <= (CALLBACK_MEMORY.days + 1) * PRUNE_EVERY


async def test_a_navigation_reply_that_cannot_be_edited_is_sent_instead(telegram: Harness, fake_api: FakeBotAPI) -> None:
    calls = await telegram.say("/programme")
    fake_api.fail_next("editMessageText", 400, "Bad Request: message can't be edited")
    pressed = await telegram.press("/day 2025-06-05", message_id=calls[0].result["message_id"])
    assert [c.method for c in pressed] == ["answerCallbackQuery", "editMessageText", "sendMessage"]
    assert "Liurong" in text_of(pressed[-1:])


async def test_venues_are_pins_and_fall_back_to_text_without_coordinates(telegram: Harness) -> None:
    reply_with(
        telegram.core, "pins",
        Venue("Liurong <community>", 23.13, 113.26, address="Yuexiu", directions="Metro line 1"),
        Venue("Secret place", None, None, address="to be announced"),
    )
    calls = await telegram.say("/pins")
    assert [c.method for c in calls] == ["sendVenue", "sendMessage", "sendMessage"]
    assert calls[0].params["title"] == "Liurong <community>" and float(calls[0].params["latitude"]) == 23.13
    assert "Metro line 1" in calls[1].params["text"]
    assert "Secret place" in calls[2].params["text"] and "to be announced" in calls[2].params["text"]


async def test_a_venues_map_links_are_url_buttons_under_its_directions_or_its_pin(telegram: Harness) -> None:
    amap = LinkButton("Amap", "https://uri.amap.com/marker?position=113.264386,23.129115")
    osm = LinkButton("OpenStreetMap", "https://www.openstreetmap.org/?mlat=23.131788&mlon=113.259054")
    reply_with(
        telegram.core, "pins",
        Venue("Liurong", 23.1291146, 113.2643859, address="Yuexiu", directions="Metro line 1", datum=Datum.GCJ02, links=(amap, osm)),
        Venue("Hall", 23.131788, 113.2590543, address="Road 1", links=(osm,)),
        Venue("Secret place", None, None, address="to be announced", links=(amap,)),
    )
    calls = await telegram.say("/pins")
    assert [c.method for c in calls] == ["sendVenue", "sendMessage", "sendVenue", "sendMessage"]
    # the pin is WGS-84 for Telegram's map, whatever the venue's datum
    assert abs(float(calls[0].params["latitude"]) - 23.131788) < 1e-5 and abs(float(calls[0].params["longitude"]) - 113.2590543) < 1e-5
    keyboard = [[{"text": "Amap", "url": amap.url}], [{"text": "OpenStreetMap", "url": osm.url}]]
    assert "reply_markup" not in calls[0].params and calls[1].params["reply_markup"]["inline_keyboard"] == keyboard
    assert calls[2].params["reply_markup"]["inline_keyboard"] == keyboard[1:]  # no directions: the buttons go on the pin
    assert "Secret place" in calls[3].params["text"] and calls[3].params["reply_markup"]["inline_keyboard"] == keyboard[:1]


async def test_a_shared_location_gets_the_nearest_venues_and_tells_where_when_to_leave(telegram: Harness) -> None:
    near_liurong = {"latitude": 23.1293, "longitude": 113.2618}
    message = {"message_id": 7, "date": DATE, "chat": {"id": USER_ID, "type": "private", "first_name": "Ana"},
               "from": user_json(USER_ID, "en"), "location": near_liurong}
    calls = await telegram.deliver({"update_id": telegram.next_id(), "message": message})
    (answer,) = calls
    assert answer.method == "sendMessage" and "Nearest venues" in text_of(calls)
    assert [data for _label, data in buttons_of(answer)][:2] == ["/venue liurong", "/venue care-centre"]
    await telegram.say("/bookmark s2-roundtable")  # 11:40 at the care centre, a few hundred metres away
    shown = text_of(await telegram.say("/where"))
    assert "Your next session: Stream 2 roundtable" in shown and "on foot: leave by" in shown
    # a venue picked on Telegram's map comes as a location with a title: answered the same way
    picked = {**message, "message_id": 8, "location": near_liurong,
              "venue": {"location": near_liurong, "title": "Liurong Temple", "address": "Liurong Road"}}
    calls = await telegram.deliver({"update_id": telegram.next_id(), "message": picked})
    assert "Nearest venues" in text_of(calls)


async def test_a_venue_card_in_chinese_through_the_bot_api(telegram: Harness) -> None:
    calls = await telegram.say("/venue liurong", language="zh-hans")
    assert [c.method for c in calls] == ["sendVenue", "sendMessage", "sendMessage"]
    pin, directions, more = calls
    assert (pin.params["title"], pin.params["address"]) == ("越秀区六榕社区", "广州市越秀区")
    labels = [b["text"] for row in directions.params["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["高德地图", "百度地图", "苹果地图", "谷歌地图", "OpenStreetMap"]
    assert "地铁1号线西门口站" in directions.params["text"]
    assert [label for label, _data in buttons_of(more)] == ["地图二维码", "所有会场"]


async def test_polls_are_native_and_answers_reach_the_core(telegram: Harness, fake_api: FakeBotAPI) -> None:
    votes: list[tuple[UserRef, str, tuple[int, ...]]] = []

    async def on_answer(req: Request, ctx: Context) -> Sequence[Reply]:
        assert req.poll_answer is not None
        votes.append((req.user, req.poll_answer.poll_id, req.poll_answer.option_ids))
        return []

    telegram.core.router.poll_answer(on_answer)
    reply_with(telegram.core, "rate", Poll("How was it?", ("Great", "Good", "Poor"), poll_id="feedback-opening"))
    calls = await telegram.say("/rate")
    assert calls[0].method == "sendPoll"
    assert [o["text"] for o in calls[0].params["options"]] == ["Great", "Good", "Poor"]
    telegram_poll_id = calls[0].result["poll"]["id"]
    answer = {"update_id": 500, "poll_answer": {"poll_id": telegram_poll_id, "user": {"id": USER_ID, "is_bot": False, "first_name": "Ana"}, "option_ids": [1], "option_persistent_ids": ["o1"]}}
    await telegram.deliver(answer)
    await telegram.deliver(answer)  # a replay counts once
    assert votes == [(UserRef("telegram", str(USER_ID)), "feedback-opening", (1,))]


async def test_images_and_files_are_uploaded(telegram: Harness) -> None:
    reply_with(telegram.core, "files", Image(b"\x89PNG...", "map.png", caption="Map"), File(b"a,b\n", "votes.csv"))
    calls = await telegram.say("/files")
    assert [c.method for c in calls] == ["sendPhoto", "sendDocument"]
    assert calls[0].files == {"photo": b"\x89PNG..."} and calls[0].params["caption"] == "Map"
    assert calls[1].files == {"document": b"a,b\n"}


# -- language --------------------------------------------------------------------


@pytest.mark.parametrize(("code", "expected"), [
    ("zh-hans", "zh_Hans"), ("zh-CN", "zh_Hans"), ("zh-TW", "zh_Hant"), ("zh-hant", "zh_Hant"), ("pt-br", "pt"),
    ("es-419", "es"), ("ko", "ko"), ("ar", "ar"), ("ru", "ru"), ("fr", "fr"), ("de", "en"), (None, "en"),
])
async def test_the_first_language_comes_from_the_telegram_language_code(telegram: Harness, code: str | None, expected: str) -> None:
    await telegram.say("/help", language=code)
    record = await telegram.core.users.find(UserRef("telegram", str(USER_ID)))
    assert record is not None and record.language_hint == code
    assert telegram.core.locale_for(record) == expected


async def test_a_chosen_language_wins_over_the_telegram_language_code(telegram: Harness) -> None:
    await telegram.say("/lang zh", language="en")
    calls = await telegram.say("/today", language="en")
    assert day("2025-06-05", "zh_Hans") in plain(text_of(calls))


# -- membership ------------------------------------------------------------------


async def test_blocking_and_unblocking_the_bot_toggles_the_delegate(telegram: Harness) -> None:
    await telegram.say("/start")
    await telegram.deliver(membership_update(telegram.next_id(), user_id=USER_ID, old="member", new="kicked"))
    assert not await user_active(telegram.core)
    await telegram.deliver(membership_update(telegram.next_id(), user_id=USER_ID, old="kicked", new="member"))
    assert await user_active(telegram.core)


# -- push ------------------------------------------------------------------------


async def test_the_limiter_keeps_30_per_second_overall_and_1_per_second_per_chat() -> None:
    clock = FakeTime()
    limiter = RateLimiter(monotonic=clock.monotonic, sleep=clock.sleep)
    stamps = []
    for chat in range(61):
        await limiter.acquire(chat)
        stamps.append(clock.now)
    gaps = [b - a for a, b in zip(stamps, stamps[1:])]
    assert min(gaps) >= 1 / 30  # evenly spaced, never in bursts
    assert all(sum(1 for t in stamps if start <= t < start + 1.0) <= 30 for start in stamps)  # 30 in any second
    assert stamps[60] - stamps[0] == pytest.approx(60 * 1.01 / 30)  # within 1 % of Telegram's 30 a second
    await limiter.acquire(7)
    before = clock.now
    await limiter.acquire(7)
    assert 1.0 <= clock.now - before <= 1.02


async def test_a_chat_waiting_for_its_interval_holds_up_nobody_else() -> None:
    clock = VirtualTime()
    limiter = RateLimiter(monotonic=clock.monotonic, sleep=clock.sleep)
    await clock.run(limiter.acquire(1))
    first = clock.now
    order: list[tuple[int, float]] = []

    async def send(chat: int) -> None:
        await limiter.acquire(chat)
        order.append((chat, clock.now))

    await clock.run(send(1), *(send(c) for c in range(2, 12)))
    others = [t for chat, t in order if chat != 1]
    assert max(others) - first < 0.5  # the ten other chats went at once, 1/30 s apart
    assert [chat for chat, _ in order][-1] == 1
    (again,) = [t for chat, t in order if chat == 1]
    assert again - first >= limiter.per_chat_interval  # chat 1 waited out its second alone


async def test_an_answer_right_after_a_push_to_the_same_chat_is_not_held_for_its_second() -> None:
    clock = FakeTime()
    limiter = RateLimiter(monotonic=clock.monotonic, sleep=clock.sleep)
    await limiter.acquire(7)  # a reminder goes to the chat
    pushed = clock.now
    await limiter.acquire(7, answer=True)  # the delegate asked something meanwhile
    assert clock.now - pushed < 0.1  # answered at once: the short burst Telegram allows
    answered = clock.now
    await limiter.acquire(7, answer=True)  # answers to one chat still keep its second
    assert 1.0 <= clock.now - answered <= 1.02
    answered = clock.now
    await limiter.acquire(7)  # and so does the next push, from the answer
    assert 1.0 <= clock.now - answered <= 1.02


async def push(core: Core, *replies: Reply) -> int:
    record = await core.users.seen(UserRef("telegram", str(USER_ID)), "en", core.clock.now())
    item = await core.push.push(record.id, "telegram", list(replies))
    assert item is not None
    return item


async def outbox_row(core: Core, item: int):
    return await core.db.fetchone("SELECT status, not_before, last_error FROM outbox WHERE id = ?", (item,))


async def test_a_push_is_delivered_and_recorded(telegram: Harness, fake_api: FakeBotAPI) -> None:
    item = await push(telegram.core, Text("Reminder: the Liurong visit starts in 15 minutes", title="Reminder"))
    await telegram.core.push.drain()
    assert "Liurong visit" in text_of(fake_api.sent("sendMessage"))
    assert (await outbox_row(telegram.core, item))["status"] == "sent"


async def test_a_429_pauses_all_sends_and_the_message_is_retried(telegram: Harness, fake_api: FakeBotAPI) -> None:
    clock = FakeTime()
    limiter = telegram.channel.sender.limiter = RateLimiter(monotonic=clock.monotonic, sleep=clock.sleep)
    item = await push(telegram.core, Text("Programme change"))
    fake_api.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", {"retry_after": 7})
    await telegram.core.push.drain()
    row = await outbox_row(telegram.core, item)
    assert row["status"] == "pending" and "rate limited" in row["last_error"]
    assert dt.datetime.fromisoformat(row["not_before"]) == telegram.core.clock.now() + dt.timedelta(seconds=7)
    await limiter.acquire(999)  # another chat waits out the pause too
    assert clock.slept == [pytest.approx(7.0)]
    await telegram.core.clock.advance(dt.timedelta(seconds=7))
    await telegram.core.push.drain()
    assert (await outbox_row(telegram.core, item))["status"] == "sent"
    assert len([c for c in fake_api.sent("sendMessage") if "Programme change" in c.params["text"]]) == 2  # the refused one, then the retry


async def test_a_429_mid_item_resumes_without_repeating_what_was_sent(telegram: Harness, fake_api: FakeBotAPI) -> None:
    clock = FakeTime()
    telegram.channel.sender.limiter = RateLimiter(monotonic=clock.monotonic, sleep=clock.sleep)
    item = await push(telegram.core, Text("first part"), Text("second part"))
    fake_api.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", {"retry_after": 3}, after=1)
    await telegram.core.push.drain()
    assert (await outbox_row(telegram.core, item))["status"] == "pending"
    await telegram.core.clock.advance(dt.timedelta(seconds=3))
    await telegram.core.push.drain()
    assert (await outbox_row(telegram.core, item))["status"] == "sent"
    texts = [c.params["text"] for c in fake_api.sent("sendMessage")]
    assert texts == ["first part", "second part", "second part"]  # the refused one, then its retry; never the first twice


async def test_a_push_whose_answer_times_out_arrived_once_and_is_not_sent_again(core: Core, fake_api: FakeBotAPI) -> None:
    """Through real HTTP: Telegram got the message but its answer never came; no blind resend, counted uncertain."""
    from telegram.request import HTTPXRequest

    core.settings = telegram_settings(core, fake_api)
    channel = build_channel(core.ports(), web.Application(), request=HTTPXRequest(read_timeout=0.3, connect_timeout=2))
    assert channel is not None
    time = FakeTime()
    channel.sender.limiter = RateLimiter(monotonic=time.monotonic, sleep=time.sleep)
    await channel.start()
    try:
        item = await push(core, Text("The bus leaves at 09:00"))
        fake_api.hang_next("sendMessage")
        await core.push.drain()
        row = await outbox_row(core, item)
        assert row["status"] == "uncertain" and "may have arrived" in row["last_error"]
        await core.clock.advance(dt.timedelta(hours=1))
        await core.push.drain()
        assert len(fake_api.sent("sendMessage")) == 1  # the delegate has it once
    finally:
        await channel.stop()


async def test_a_blocked_delegate_is_marked_inactive_and_not_retried(telegram: Harness, fake_api: FakeBotAPI) -> None:
    item = await push(telegram.core, Text("Announcement"))
    fake_api.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await telegram.core.push.drain()
    row = await outbox_row(telegram.core, item)
    assert row["status"] == "failed" and "blocked" in row["last_error"]
    assert not await user_active(telegram.core)
    await telegram.core.clock.advance(dt.timedelta(hours=1))
    await telegram.core.push.drain()
    assert len(fake_api.sent("sendMessage")) == 1


async def test_network_errors_are_retried_with_backoff(telegram: Harness, fake_api: FakeBotAPI) -> None:
    item = await push(telegram.core, Text("Bus leaves at 9"))
    fake_api.fail_next("sendMessage", 502, "Bad Gateway")
    fake_api.fail_next("sendMessage", 502, "Bad Gateway")
    now = telegram.core.clock.now()
    await telegram.core.push.drain()
    first = dt.datetime.fromisoformat((await outbox_row(telegram.core, item))["not_before"]) - now
    await telegram.core.clock.advance(first)
    await telegram.core.push.drain()
    second = dt.datetime.fromisoformat((await outbox_row(telegram.core, item))["not_before"]) - telegram.core.clock.now()
    assert second > first > dt.timedelta(0)
    await telegram.core.clock.advance(second)
    await telegram.core.push.drain()
    assert (await outbox_row(telegram.core, item))["status"] == "sent"


# -- polling and the service -------------------------------------------------------


async def test_long_polling_answers_and_a_refetched_update_is_ignored(core: Core, fake_api: FakeBotAPI) -> None:
    core.settings = telegram_settings(core, fake_api, telegram_webhook_url=None, telegram_webhook_secret=None)
    web_app = web.Application()
    channel = build_channel(core.ports(), web_app)
    assert channel is not None and not web_app.router.routes()
    await channel.start()
    try:
        update = message_update(9, "/next", user_id=USER_ID, language="en")
        await fake_api.push_update(update)
        await wait_for(lambda: fake_api.sent("sendMessage"))
        await fake_api.push_update(update)  # Telegram sends it again (e.g. the offset was never confirmed)
        await fake_api.push_update(message_update(10, "/now", user_id=USER_ID, language="en"))
        await wait_for(lambda: len(fake_api.sent("sendMessage")) >= 2)
    finally:
        await channel.stop()
    texts = [c.params["text"] for c in fake_api.sent("sendMessage")]
    assert len(texts) == 2 and "11:40" in texts[0] and "On now" in texts[1]


async def wait_for(condition, timeout: float = 5.0) -> None:
    """Wait for the polling loop (real HTTP) to make ``condition`` true."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


# -- the fake itself -----------------------------------------------------------------


async def test_the_fake_reports_requests_that_break_the_specification() -> None:
    spec = json.loads(shared_path("data", "telegram-bot-api-10.0.json").read_text(encoding="utf-8"))
    api = FakeBotAPI(spec)
    await api.start()
    try:
        bot = Bot(TOKEN, base_url=f"{api.url}/bot")
        async with bot:
            await bot.send_message(1, "x" * (MAX_TEXT + 1))
            await bot.send_message(1, "ok", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="d" * 65)]]))
            await bot.send_message(1, "<b>bold</b>" + "y" * (MAX_TEXT - 4), parse_mode="HTML")  # 4096 after parsing: fine
            await bot.do_api_request("sendNothing", api_kwargs={"a": 1})
            with pytest.warns(PTBUserWarning):  # PTB rightly prefers send_message; this call is meant to be wrong
                await bot.do_api_request("sendMessage", api_kwargs={"text": "no chat", "colour": "red"})
    finally:
        await api.stop()
    joined = "\n".join(api.violations)
    assert "sendMessage.text: 4097 characters, allowed 1-4096" in joined
    assert "callback_data: 65 bytes, allowed 1-64" in joined
    assert "sendNothing: no such method" in joined
    assert "required field 'chat_id' is missing" in joined and "unknown field 'colour'" in joined
    assert len(api.violations) == 5


async def test_the_service_runs_telegram_by_long_polling_in_its_loop(tmp_path: Path, fake_api: FakeBotAPI) -> None:
    from bot.clock import ManualClock
    from bot.config import Settings
    from bot.service import run_service
    from tests.conftest import PROGRAMME

    from tests.test_logs import free_port

    settings = Settings.from_env(
        {"BOT_TELEGRAM_TOKEN": TOKEN, "BOT_TELEGRAM_API_URL": fake_api.url, "BOT_HTTP_PORT": str(free_port())},
        programme=PROGRAMME, db=tmp_path / "service.sqlite3",
    )
    stop = asyncio.Event()
    service = asyncio.create_task(run_service(settings, ManualClock(at("2025-06-05T10:00")), stop))
    try:
        await fake_api.push_update(message_update(1, "/now", user_id=USER_ID, language="zh-hans"))
        await wait_for(lambda: fake_api.sent("sendMessage"))
    finally:
        stop.set()
        assert await service == 0
    assert "六榕社区" in text_of(fake_api.sent("sendMessage"))
    assert {"getMe", "setMyCommands", "deleteWebhook", "getUpdates"} <= {c.method for c in fake_api.calls}


async def test_a_429_on_a_direct_answer_is_sent_after_retry_after_and_pauses_pushes_too(telegram: Harness, fake_api: FakeBotAPI) -> None:
    limiter = telegram.channel.sender.limiter
    start = limiter.monotonic()
    fake_api.fail_next("sendMessage", 429, "Too Many Requests: retry after 4", {"retry_after": 4})
    calls = [c for c in await telegram.say("/today") if c.method == "sendMessage"]
    refused, sent = calls
    assert refused.result is None and sent.result is not None  # the answer went out, once, after the pause
    assert "Liurong" in text_of([sent])
    assert limiter.monotonic() - start >= 4.0
    assert limiter._paused_until == pytest.approx(start + 4.0)  # pushes waited it out too


async def test_a_long_answer_refused_halfway_goes_on_from_where_it_stopped(telegram: Harness, fake_api: FakeBotAPI) -> None:
    reply_with(telegram.core, "long", Text("\n".join(f"line {i:04d} " + "x" * 60 for i in range(100))))  # two messages
    fake_api.fail_next("sendMessage", 429, "Too Many Requests: retry after 2", {"retry_after": 2}, after=1)
    calls = [c for c in await telegram.say("/long") if c.method == "sendMessage"]
    delivered = [c.params["text"] for c in calls if c.result is not None]
    assert len(calls) == 3 and len(delivered) == 2  # first part, refused second, second again
    assert delivered[0].startswith("line 0000") and "line 0099" in delivered[1]


async def test_a_refused_webhook_stops_start_up_cleanly(core: Core, fake_api: FakeBotAPI) -> None:
    from telegram.error import BadRequest

    core.settings = telegram_settings(core, fake_api)
    channel = build_channel(core.ports(), web.Application())
    assert channel is not None
    fake_api.fail_next("setWebhook", 400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
    with pytest.raises(BadRequest, match="(?i)https url"):
        await channel.start()
    assert not channel.app.running


class _TimingOutRenderer:
    """A renderer whose Bot API call times out the way PTB reports it (TimedOut from an httpx time-out)."""

    def __init__(self, cause: Exception) -> None:
        self.cause = cause

    async def send_one(self, chat_id, reply, gate) -> None:
        if await gate():
            raise TimedOut() from self.cause


@pytest.mark.parametrize(
    "cause, outcome",
    [
        (httpx.ReadTimeout("no answer"), Uncertain),  # the request left: it may have arrived
        (httpx.WriteTimeout("half sent"), Uncertain),
        (httpx.ConnectTimeout("no connection"), Retry),  # it never left this machine
        (httpx.PoolTimeout("pool full"), Retry),
    ],
)
async def test_a_push_that_times_out_after_it_left_is_uncertain_not_resent(cause: Exception, outcome: type) -> None:
    time = FakeTime()
    sender = TelegramSender(_TimingOutRenderer(cause), RateLimiter(monotonic=time.monotonic, sleep=time.sleep))  # type: ignore[arg-type]
    item = OutboxItem(1, 1, UserRef("telegram", "5"), None, (Text("Bus at 9"),), 1, at("2025-06-05T09:00"))
    assert isinstance(await sender.send(Delivery(item, 0, lambda done: asyncio.sleep(0))), outcome)
