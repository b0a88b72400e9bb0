"""Replies that read as a person would write them: the cases issue 12 found."""

from __future__ import annotations

from pathlib import Path

from bot.app import build_core
from bot.clock import ManualClock
from bot.config import Settings
from tests.conftest import Chat, at, make_core
from tests.formats import plain, time


async def test_to_be_confirmed_is_said_once_for_a_list(chat: Chat) -> None:
    out = await chat.say("/today")
    assert out.count("to be confirmed") == 1 and "Times and places are still to be confirmed." in out


async def test_only_the_unconfirmed_lines_are_marked_where_a_list_mixes_them(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "event: {id: m, name: M, timezone: Asia/Shanghai, start_date: 2025-06-05, end_date: 2025-06-05}\n"
        "sessions:\n"
        "  - {id: a, title: Opening, kind: plenary, start: '2025-06-05T09:00', end: '2025-06-05T10:00'}\n"
        "  - {id: b, title: Visit, kind: site_visit, start: '2025-06-05T11:00', end: '2025-06-05T12:00', tbc: true}\n",
        encoding="utf-8",
    )
    core = await build_core(Settings.from_env({}, programme=path, db=tmp_path / "db.sqlite3"), ManualClock(at("2025-06-05T08:00")))
    try:
        chat = Chat(core)
        await chat.say("/today")
        (reply,) = chat.replies
        assert [o.label.endswith(" *") for o in reply.options] == [False, True]
        assert "* Still to be confirmed." in reply.body
    finally:
        await core.close()


async def test_a_title_that_names_its_venue_does_not_repeat_it(chat: Chat) -> None:
    await chat.say("/today")
    (reply,) = chat.replies
    visit = next(o.label for o in reply.options if o.payload == "/session s2-liurong")
    assert visit.count("Liurong community, Yuexiu District") == 1
    cases = next(o.label for o in reply.options if o.payload == "/session s2-cases")
    assert cases.endswith("— Plenary hall, delegates' hotel")  # a venue the title does not name is shown


async def test_following_a_stream_with_no_sessions_left_says_so(chat: Chat) -> None:
    out = await chat.say("/subscribe 1")  # stream 1 was on 4 June; it is 5 June
    assert "This stream has no more sessions" in out and "0 coming" not in out


async def test_the_next_reminder_names_its_day_and_never_a_past_time(tmp_path: Path) -> None:
    core = await make_core(tmp_path, at("2025-06-04T10:00"))
    try:
        chat = Chat(core)
        await chat.say("/bookmark s3-cases")  # 5 June 13:45, reminded at 13:30
        assert f'comes tomorrow at {time("2025-06-05T13:30")}.' in await chat.say("/reminders")
        await core.clock.set(at("2025-06-05T09:00"))
        assert f'comes at {time("2025-06-05T13:30")}.' in await chat.say("/reminders")
        await core.clock.set(at("2025-06-05T13:31"))  # due, and not sent yet
        out = await chat.say("/reminders")
        assert "is on its way." in out and time("2025-06-05T13:30") not in out
    finally:
        await core.close()


async def test_bookmarking_a_past_session_says_it_has_taken_place(chat: Chat) -> None:
    out = await chat.say("/bookmark opening")  # 4 June; it is 5 June
    assert "Added to your agenda" in out and "already taken place" in out
    assert "I will remind you" not in out and "to be confirmed" not in out
    assert "already started" in await chat.say("/bookmark s2-liurong")  # on now


async def test_one_match_and_one_choice_read_well(chat: Chat) -> None:
    assert "1 match, best first." in await chat.say("/search Bogotá")
    assert await chat.say("2") == "There is only one choice: answer with 1."
    await chat.say("/streams")
    assert "Please answer with a number from 1 to 3." in await chat.say("7")


async def test_a_reminder_a_day_ahead_says_tomorrow_not_minutes(tmp_path: Path) -> None:
    from bot.notify.reminders import Kind
    from handlers.reminders import render_reminder

    core = await make_core(tmp_path, at("2025-06-04T13:45"))
    try:
        chat = Chat(core)
        await chat.say("/help")
        user = await core.users.find(chat.ref)
        (reply,) = render_reminder(core.services, user, core.programmes.agenda.session("s3-cases"), Kind.SESSION, at("2025-06-04T13:45"))
        assert f"Starts tomorrow at {time('2025-06-05T13:45')}." in plain(reply.body) and "1440" not in reply.body
        (soon,) = render_reminder(core.services, user, core.programmes.agenda.session("s3-cases"), Kind.SESSION, at("2025-06-05T13:30"))
        assert f"Starts at {time('2025-06-05T13:45')}, in 15 minutes." in plain(soon.body)
    finally:
        await core.close()
