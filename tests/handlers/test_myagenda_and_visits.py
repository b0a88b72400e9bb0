"""My agenda, bookmarks, site-visit sign-ups and the delegate's own time zone."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.understanding import intents
from bot.conversation import Choices
from tests.conftest import SEMINAR, Chat, at, make_core
from tests.formats import day, time, times
from tests.notify.helpers import count, edited_programme, plain


async def test_session_detail_offers_bookmark_then_remove_bookmark(chat: Chat) -> None:
    await chat.say("/session s2-roundtable")
    assert isinstance(chat.replies[0], Choices)
    assert ("Bookmark", "/bookmark s2-roundtable") in [(c.label, c.payload) for c in chat.replies[0].options]
    await chat.press("/bookmark s2-roundtable")
    await chat.say("/session s2-roundtable")
    assert ("Remove bookmark", "/unbookmark s2-roundtable") in [(c.label, c.payload) for c in chat.replies[0].options]


async def test_bookmark_is_saved_and_listed_in_my_agenda_by_day(chat: Chat) -> None:
    out = await chat.say("/bookmark s3-roundtable")
    assert "Added to your agenda" in out
    await chat.say("/bookmark wrap-up")
    agenda = plain(await chat.say("my agenda"))
    assert agenda.index(day("2025-06-05")) < agenda.index("Stream 3 roundtable") < agenda.index(day("2025-06-06")) < agenda.index("Wrapping-up")


async def test_bookmarking_an_overlapping_session_warns_and_still_saves_it(tmp_path: Path) -> None:
    programme = edited_programme(tmp_path, "s1-cases", start="2025-06-04T10:30", end="2025-06-04T11:45")
    core = await make_core(tmp_path, at("2025-06-04T08:00"), programme=programme)
    try:
        chat = Chat(core)
        assert "overlaps" not in await chat.say("/bookmark panel")
        out = await chat.say("/bookmark s1-cases")
        assert "Added to your agenda" in out
        assert "⚠ It overlaps with:" in out and "Panel discussion" in out
        assert await count(core, "SELECT COUNT(*) FROM bookmarks") == 2
        assert "⚠" in await chat.say("/myagenda")
    finally:
        await core.close()


async def test_a_visit_overlaps_from_its_departure_not_only_its_start(tmp_path: Path) -> None:
    # lunch ends at 13:30 when the visit's group leaves: moving lunch to 13:40 makes them clash
    programme = edited_programme(tmp_path, "lunch-0604", end="2025-06-04T13:40")
    core = await make_core(tmp_path, at("2025-06-04T08:00"), programme=programme)
    try:
        chat = Chat(core)
        await chat.say("/join s1-visit")
        assert "⚠ It overlaps with:" in await chat.say("/bookmark lunch-0604")
    finally:
        await core.close()


async def test_bookmarking_an_unknown_id_offers_matching_sessions(chat: Chat) -> None:
    out = await chat.say("/bookmark liurong")
    assert 'There is no session with the id "liurong"' in out
    assert any(c.payload == "/bookmark s2-liurong" for c in chat.replies[0].options)


async def test_unbookmark_removes_the_session_and_its_reminder(chat: Chat, core) -> None:
    await chat.say("/bookmark s3-roundtable")
    assert core.services.reminders.scheduled() == 1
    assert "Removed from your agenda" in await chat.say("/unbookmark s3-roundtable")
    assert core.services.reminders.scheduled() == 0
    assert "was not in your agenda" in await chat.say("/unbookmark s3-roundtable")


async def test_visits_list_meeting_point_and_departure(chat: Chat) -> None:
    out = plain(await chat.say("visits"))
    assert f"2. {day('2025-06-05')}: Stream 2 site visit: Liurong community" in out
    assert f"Meet at Bus departure point, main entrance of the delegates' hotel, leaving at {time('2025-06-05T09:35')}." in out


async def test_join_and_leave_respect_the_visits_capacity(tmp_path: Path) -> None:
    programme = edited_programme(tmp_path, "s3-visit-transport", capacity="1")
    core = await make_core(tmp_path, at("2025-06-05T10:00"), programme=programme)
    try:
        alice, bob = Chat(core, "alice"), Chat(core, "bob")
        assert 'You are signed up for "Stream 3 site visit: smart transport control centre"' in await alice.say("/join s3-visit-transport")
        assert "is full (1 places)" in await bob.say("/join s3-visit-transport")
        assert "1/1 places taken" in await bob.say("/visits")
        assert "no longer signed up" in await alice.say("/leave s3-visit-transport")
        assert "You are signed up" in await bob.say("/join 3")
        assert await count(core, "SELECT COUNT(*) FROM visit_signups") == 1
    finally:
        await core.close()


async def test_joining_a_visit_whose_group_has_left_is_refused(chat: Chat) -> None:
    # the fixture's clock is 5 June 10:00; the Liurong group left at 9:35
    assert "has already left" in await chat.say("/join s2-liurong")
    assert "There is no site visit" in await chat.say("/join 9")


async def test_own_time_zone_shows_seminar_times_in_both_zones(tmp_path: Path) -> None:
    core = await make_core(tmp_path, at("2023-11-06T10:00"), programme=SEMINAR)
    try:
        chat = Chat(core)
        out = await chat.say("/timezone Europe/Madrid")
        assert "Your zone is now Europe/Madrid" in out
        detail = plain(await chat.say("/session seminar-1"))
        madrid = ZoneInfo("Europe/Madrid")
        start, end = at("2023-11-06T20:30"), at("2023-11-06T22:00")
        assert f"{times(start, end)} ({times(start, end, zone=madrid)} your time)" in detail
        assert "your time" not in plain(await chat.say("/timezone off") + await chat.say("/session seminar-1"))
    finally:
        await core.close()


async def test_time_zone_accepts_a_city_and_refuses_an_unknown_name_clearly(chat: Chat, core) -> None:
    assert "Europe/Madrid" in await chat.say("/timezone madrid")
    out = await chat.say("/timezone Mars/Olympus")
    assert '"Mars/Olympus" is not a time zone I know' in out
    user = await core.users.find(chat.ref)
    assert user is not None and user.timezone == "Europe/Madrid"


@pytest.mark.parametrize("clear", ["/timezone off", "time zone clear", "时区 关闭", "时区默认"])
async def test_own_time_zone_is_cleared_in_either_language(chat: Chat, core, clear: str) -> None:
    chat.language = "en"  # an English reader typing either language's words
    assert "Europe/Madrid" in await chat.say("时区 Europe/Madrid")
    assert "event's zone only" in await chat.say(clear)
    user = await core.users.find(chat.ref)
    assert user is not None and user.timezone is None


async def test_my_agenda_and_visits_answer_in_chinese(core) -> None:
    chat = Chat(core, language="zh-CN")
    assert "您的日程还是空的" in await chat.say("我的日程")
    assert "发送 /join 加考察序号即可报名" in await chat.say("参观")
    assert "您已关注" in await chat.say("订阅分论坛2")
    assert "您关注的分论坛：分论坛2" in await chat.say("我的日程")


@pytest.mark.parametrize(
    ("text", "command", "args"),
    [
        ("my agenda", "myagenda", ""),
        ("我的日程", "myagenda", ""),
        ("subscribe 2", "subscribe", "2"),
        ("subscribe to stream 2", "subscribe", "stream 2"),
        ("订阅分论坛2", "subscribe", "分论坛2"),
        ("unsubscribe 2", "unsubscribe", "2"),
        ("取消订阅分论坛2", "unsubscribe", "分论坛2"),
        ("visits", "visits", ""),
        ("参观", "visits", ""),
        ("join 2", "join", "2"),
        ("报名 2", "join", "2"),
        ("bookmark s1-cases", "bookmark", "s1-cases"),
        ("收藏 s1-cases", "bookmark", "s1-cases"),
        ("reminders off", "reminders", "off"),
        ("关闭提醒", "reminders", "off"),
        ("提醒 30", "reminders", "30"),
        ("timezone Europe/Madrid", "timezone", "Europe/Madrid"),
    ],
)
def test_free_text_reaches_delegate_state_commands(text: str, command: str, args: str) -> None:
    assert intents.parse(text) == intents.Intent(command, args)


def test_words_that_merely_start_like_a_command_are_not_one() -> None:
    assert intents.parse("followers") is None
    assert intents.parse("bookmarks") is None


async def test_help_lists_the_new_commands(chat: Chat) -> None:
    out = await chat.say("/help")
    for command in ("/bookmark", "/myagenda", "/subscribe", "/visits", "/join", "/reminders", "/timezone"):
        assert command in out


async def test_a_session_page_is_each_delegates_own_though_the_page_is_memoised(core) -> None:
    """The part of /session everyone sees alike is kept per programme version, language and zone: never another's."""
    english, chinese, madrid = Chat(core, "en1", language="en"), Chat(core, "zh1", language="zh-hans"), Chat(core, "es1", language="en")
    await madrid.say("/timezone Europe/Madrid")
    first = await english.say("/session s2-roundtable")
    assert "your time" in await madrid.say("/session s2-roundtable")
    assert "your time" not in await english.say("/session s2-roundtable")
    in_chinese = await chinese.say("/session s2-roundtable")
    assert in_chinese != first and "Bookmark" not in in_chinese
    await english.press("/bookmark s2-roundtable")
    labels = [c.label for c in (await english.say("/session s2-roundtable"), english.replies[0])[1].options]
    assert "Remove bookmark" in labels  # the buttons that are the delegate's own are not memoised
    assert "Bookmark" in [c.label for c in (await madrid.say("/session s2-roundtable"), madrid.replies[0])[1].options]
