"""Whole requests through the core: router, middleware, handlers, store, catalogs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import build_core
from bot.clock import ManualClock
from bot.config import Settings
from bot.conversation import Choices, Text
from tests.conftest import SEMINAR, Chat, at, make_core
from tests.formats import day, offset, time, times


async def test_today_lists_the_fifth_of_june_streams_with_times(chat: Chat) -> None:
    out = await chat.say("today")
    assert day("2025-06-05") in out
    assert "Stream 2" in out and "Stream 3" in out
    assert times("2025-06-05T10:00", "2025-06-05T11:30") in out
    (reply,) = chat.replies
    assert isinstance(reply, Choices)
    assert all(o.payload.startswith("/session ") for o in reply.options)


async def test_slash_command_and_free_text_agree(chat: Chat) -> None:
    assert await chat.say("/today") == await chat.say("what's on today?")


async def test_now_shows_the_running_session(chat: Chat) -> None:
    out = await chat.say("now")
    assert "On now" in out and "Liurong" in out


async def test_next_shows_the_following_slot(chat: Chat) -> None:
    out = await chat.say("next")
    assert time("2025-06-05T11:40") in out
    (reply,) = chat.replies
    assert len(reply.options) == 1


async def test_answering_with_a_number_opens_that_choice(chat: Chat) -> None:
    await chat.say("today")
    out = await chat.say("2")
    assert "Meet at" in out and "Bring:" in out  # the Liurong site visit, in full
    assert "Yuexiu" in out


async def test_a_number_out_of_range_is_explained(chat: Chat) -> None:
    await chat.say("streams")
    assert "number from 1 to 3" in await chat.say("7")


async def test_button_payloads_reach_the_same_handlers(chat: Chat) -> None:
    out = await chat.press("/stream s1")
    assert "Stream 1" in out and "Digital Tools for a Better Planned and Resilient City" in out


async def test_day_by_number_weekday_and_date(chat: Chat) -> None:
    by_number = await chat.say("day 2")
    assert by_number == await chat.say("/day 2025-06-04") == await chat.say("wednesday")
    assert day("2025-06-04") in by_number and "Introductory session" in by_number


async def test_unreadable_day_offers_the_days(chat: Chat) -> None:
    out = await chat.say("/day someday")
    assert "could not read" in out
    assert isinstance(chat.replies[0], Choices) and len(chat.replies[0].options) == 5


async def test_streams_and_one_stream(chat: Chat) -> None:
    out = await chat.say("/streams")
    assert "Stream 3: Embracing the Future of Transport, Energy and Mobility" in out
    one = await chat.say("stream 3")
    assert "low-altitude" in one.lower()
    assert "There is no stream" in await chat.say("stream 7")


async def test_session_in_full(chat: Chat) -> None:
    out = await chat.say("/session opening")
    assert "Jordi Vaquer" in out
    assert "to be confirmed" in out
    assert "Plenary" in out


async def test_a_speaker_the_documents_do_not_place_in_a_session_is_to_be_confirmed(chat: Chat) -> None:
    out = await chat.say("/session panel")
    line = next(x for x in out.splitlines() if "Agnès Bickart" in x)
    assert "Head of Institutional Relations" in line and "(to be confirmed)" in line
    cities = await chat.say("/session s1-cases")
    seoul = [x for x in cities.splitlines() if x.startswith("• Seoul")]
    assert seoul and all("(to be confirmed)" in x for x in seoul)


async def test_unknown_session_id_falls_back_to_search(chat: Chat) -> None:
    out = await chat.say("/session liurong")
    assert 'no session with the id "liurong"' in out
    assert "Liurong" in out


async def test_search_finds_cities_without_accents(chat: Chat) -> None:
    out = await chat.say("search bogota")
    assert "Stream 2" in out and "1 sessions match" not in out or "match" in out
    assert "Bogot" in (await chat.say("1"))


async def test_plain_words_search_and_unknown_words_get_help(chat: Chat) -> None:
    assert "match" in await chat.say("Bogotá")
    assert "did not understand" in await chat.say("qwertyuiop")


async def test_unknown_command(chat: Chat) -> None:
    assert "I don't know the command /frobnicate" in await chat.say("/frobnicate")


async def test_start_and_help(chat: Chat) -> None:
    out = await chat.say("/start")
    assert "2025 Workshop for Thought Leaders" in out and "Guangzhou" in out
    help_text = await chat.say("help")
    for command in ("/today", "/now", "/next", "/day", "/streams", "/stream", "/session", "/search", "/lang"):
        assert command in help_text
    assert "info@guangzhouaward.org" in help_text


async def test_chinese_free_text_answers_in_chinese(core) -> None:
    chat = Chat(core, language="zh-CN")
    await core.clock.set(at("2025-06-04T20:00"))
    out = await chat.say("明天")
    assert day("2025-06-05", "zh_Hans") in out
    assert "分论坛" in out
    assert day("2025-06-05") not in out


async def test_lang_is_saved_and_survives_a_restart(tmp_path: Path) -> None:
    core = await make_core(tmp_path, at("2025-06-05T10:00"))
    try:
        out = await Chat(core).say("/lang zh")
        assert "中文" in out
    finally:
        await core.close()
    core = await make_core(tmp_path, at("2025-06-05T10:00"))
    try:
        assert day("2025-06-05", "zh_Hans") in await Chat(core).say("today")
    finally:
        await core.close()


async def test_lang_lists_languages_and_rejects_unknown_ones(chat: Chat) -> None:
    out = await chat.say("/lang")
    assert "English" in out and "中文" in out
    assert "do not speak" in await chat.say("/lang klingon")


@pytest.mark.parametrize("hint, tag", [("zh-hans", "zh_Hans"), ("zh-CN", "zh_Hans"), ("en-GB", "en"), ("pt-br", "pt"), ("zh-TW", "zh_Hant")])
async def test_platform_language_is_the_first_guess(core, hint: str, tag: str) -> None:
    assert day("2025-06-05", tag) in await Chat(core, user=f"u-{hint}", language=hint).say("today")


async def test_before_the_event_the_bot_says_so_and_still_answers(tmp_path: Path) -> None:
    core = await make_core(tmp_path, at("2025-05-20T12:00"))
    try:
        chat = Chat(core, language="en")  # an English reader, also when typing "明天"
        out = await chat.say("today")
        assert "starts on" in out and "in 14 days" in out
        assert "starts on" in await chat.say("next")
        assert "Arrival and registration" in await chat.say("next")
        assert "Liurong" in await chat.say("day 3")
        assert "Liurong" in await chat.say("search liurong")
        # a day counted from today says where the event stands; a day of the event needs no notice
        for relative in ("tomorrow", "/day 明天", "/day 明日", "/day yesterday"):
            assert "in 14 days" in await chat.say(relative), relative
        assert "starts on" not in await chat.say("/day 3")
    finally:
        await core.close()


async def test_after_the_event_the_bot_says_so(tmp_path: Path) -> None:
    core = await make_core(tmp_path, at("2025-07-01T12:00"))
    try:
        chat = Chat(core)
        assert "ended on" in await chat.say("today")
        assert "ended on" in await chat.say("next")
        assert "Stream 1" in await chat.say("stream 1")
    finally:
        await core.close()


async def test_online_seminar_shows_meeting_details(tmp_path: Path) -> None:
    core = await make_core(tmp_path, at("2023-11-07T19:00"), programme=SEMINAR)
    try:
        chat = Chat(core)
        assert times("2023-11-07T19:30", "2023-11-07T21:00") in await chat.say("next")
        out = await chat.say("1")
        assert "Meeting ID: 842 6582 8099" in out and "Passcode: 214172" in out
        assert "Jakarta" in out and "Navi Station" in out
        assert offset("Asia/Shanghai", "2023-11-07T19:30") in out
    finally:
        await core.close()


async def test_a_failing_handler_gets_an_apology_not_a_crash(core, chat: Chat) -> None:
    async def broken(req, ctx):
        raise RuntimeError("boom")

    core.router.command("boom")(broken)
    out = await chat.say("/boom")
    assert "something went wrong" in out


async def test_long_day_is_paged(tmp_path: Path) -> None:
    lines = [
        "event: {id: big, name: Big, timezone: Europe/Brussels, start_date: 2025-02-01, end_date: 2025-02-01}",
        "sessions:",
    ]
    for i in range(25):
        lines.append(f"  - {{id: t{i}, title: Talk {i}, kind: presentation, start: '2025-02-01T09:{i:02d}', end: '2025-02-01T10:{i:02d}'}}")
    path = tmp_path / "big.yaml"
    path.write_text("\n".join(lines), encoding="utf-8")
    settings = Settings.from_env({}, programme=path, db=tmp_path / "db.sqlite3")
    core = await build_core(settings, ManualClock(at("2025-02-01T08:00")))
    try:
        chat = Chat(core)
        await chat.say("today")
        (first,) = chat.replies
        assert "Page 1 of 3" in first.body
        assert first.options[-1].payload == "/day 2025-02-01 p2"
        await chat.press("/day 2025-02-01 p3")
        (last,) = chat.replies
        assert isinstance(last, Choices) and last.navigation
        assert "Page 3 of 3" in last.body
        assert [o.payload for o in last.options][-1] == "/day 2025-02-01 p2"
        assert sum(o.payload.startswith("/session") for o in last.options) == 5
    finally:
        await core.close()


async def test_replies_are_frozen_reply_objects(chat: Chat) -> None:
    await chat.say("today")
    assert all(isinstance(r, (Text, Choices)) for r in chat.replies)


async def test_a_command_typed_without_its_slash_works(chat: Chat) -> None:
    assert await chat.say("session opening") == await chat.say("/session opening")
    assert "My agenda" in await chat.say("myagenda")
