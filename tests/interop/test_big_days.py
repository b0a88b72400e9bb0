"""Big programmes on a phone: a day of hundreds of sessions by hour, room or stream, paged, and filtered in words."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import build_core
from bot.clock import ManualClock
from bot.config import Settings
from bot.conversation import Choices
from bot.programme import Programme
from handlers.listing import BIG_DAY, split_view, View
from tests.conftest import Chat, make_core
from tests.interop.helpers import FRAB, imported, schedules

BRUSSELS = ZoneInfo("Europe/Brussels")
LISBON = ZoneInfo("Europe/Lisbon")


@pytest.fixture(scope="module")
def fosdem(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Programme]:
    result, out = imported(schedules("fosdem-2025.xml"), tmp_path_factory.mktemp("fosdem"))
    return out, result.programme


@pytest.fixture
async def chat(tmp_path: Path, fosdem: tuple[Path, Programme]):
    path, programme = fosdem  # parsed once for the module
    settings = Settings.from_env({}, programme=path, db=tmp_path / "bot.sqlite3")
    core = await build_core(settings, ManualClock(dt.datetime(2025, 2, 1, 10, 0, tzinfo=BRUSSELS)), programme=programme)
    try:
        yield Chat(core, "zoe")
    finally:
        await core.close()


def payloads(chat: Chat) -> list[str]:
    reply = chat.replies[-1]
    return [c.payload for c in reply.options] if isinstance(reply, Choices) else []


async def test_a_fosdem_day_opens_by_hour_with_rooms_and_streams_a_tap_away(chat: Chat) -> None:
    agenda = chat.core.programmes.agenda
    saturday = agenda.on(dt.date(2025, 2, 1))
    assert len(saturday) > BIG_DAY * 10
    body = await chat.say("today")
    hours = sorted({s.start.astimezone(BRUSSELS).hour for s in saturday})
    assert payloads(chat) == [f"/day 2025-02-01 h={h}" for h in hours] + [
        "/day 2025-02-01 by=venue", "/day 2025-02-01 by=stream", "/day 2025-02-01 all"]
    assert f"{len(saturday)} sessions" in body
    eleven = [s for s in saturday if s.start.astimezone(BRUSSELS).hour == 11]
    listed = await chat.press("/day 2025-02-01 h=11")
    assert f"Page 1 of {-(-len(eleven) // 10)} ({len(eleven)} sessions)" in listed
    assert "/day 2025-02-01 h=11 p2" in payloads(chat) and "/day 2025-02-01" in payloads(chat)
    sessions = [p for p in payloads(chat) if p.startswith("/session ")]
    assert sessions == [f"/session {s.id}" for s in eleven[:10]]
    await chat.press("/day 2025-02-01 h=11 p2")
    assert [p for p in payloads(chat) if p.startswith("/session ")] == [f"/session {s.id}" for s in eleven[10:20]]


async def test_by_room_lists_the_days_rooms_with_counts_and_leads_to_one(chat: Chat) -> None:
    body = await chat.press("/day 2025-02-01 by=venue")
    assert "Which room?" in body and "Page 1 of 2" in body and "K.3.201 · 21 sessions" in body
    await chat.press("/day 2025-02-01 venue=k3201")
    in_room = [s for s in chat.core.programmes.agenda.on(dt.date(2025, 2, 1)) if s.venue == "k3201"]
    assert [p for p in payloads(chat) if p.startswith("/session ")] == [f"/session {s.id}" for s in in_room[:10]]


@pytest.mark.parametrize("words", ["today in room H.2213", "in H.2213", "/today in room h.2213", "saturday in H.2213", "/day 1 room H.2213"])
async def test_words_narrow_a_day_to_one_room(chat: Chat, words: str) -> None:
    body = await chat.say(words)
    assert "In H.2213" in body and "Page 1 of 3 (30 sessions)" in body


async def test_words_narrow_a_day_to_one_stream_in_other_languages(chat: Chat) -> None:
    llvm = chat.core.programmes.programme.stream("llvm")
    assert "LLVM" in await chat.say("today track LLVM")
    assert "/session 6210" in payloads(chat)
    chinese = Chat(chat.core, "wang", language="zh-CN")
    assert "LLVM" in await chinese.say(f"今天分论坛{llvm.number}")
    assert "/session 6210" in payloads(chinese)
    spanish = Chat(chat.core, "sol", language="es")
    await spanish.say("hoy en la sala H.2213")
    assert len([p for p in payloads(spanish) if p.startswith("/session ")]) == 10


async def test_a_room_that_is_not_in_the_programme_is_said_so(chat: Chat) -> None:
    assert "I found no room or stream" in await chat.say("/today in room Z.9.999")


async def test_a_small_day_still_lists_its_sessions_at_once(tmp_path: Path) -> None:
    _result, out = imported(FRAB, tmp_path)
    core = await make_core(tmp_path, dt.datetime(2026, 3, 20, 9, 0, tzinfo=LISBON), programme=out)
    try:
        chat = Chat(core, "ivo")
        await chat.say("today")
        assert [p for p in payloads(chat) if p.startswith("/session ")] == ["/session 101", "/session 102", "/session 103"]
        body = await chat.say("today in room K.1.105")
        assert "In Room K.1.105 (Garden)" in body and payloads(chat) == ["/session 103"]
        await chat.say("tomorrow in room K.1.105")
        assert payloads(chat) == ["/session 104"]  # the night walk, after midnight
        assert "Nothing in this part of the day." in await chat.say("/day 2026-03-21 venue=main-hall h=9")
    finally:
        await core.close()


def test_view_words_read_back() -> None:
    for view in (View(hour=9), View(venue="k3201"), View(stream="llvm"), View(by="venue"), View(all=True), View(hour=14, venue="x")):
        assert split_view(f"2025-02-01 {view.words()}") == ("2025-02-01", view)
    assert split_view("day 2") == ("day 2", View())
