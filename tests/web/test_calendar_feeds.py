"""Calendar feeds: a delegate's agenda behind an unguessable token, the whole programme, updates a phone sees."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import icalendar
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_core
from bot.calendars import webcal
from bot.clock import ManualClock
from bot.config import Settings
from bot.web.calendar import add_routes
from tests.conftest import PROGRAMME, Chat, at

PUBLIC = "https://bot.example.org"


def programme_copy(tmp_path: Path) -> Path:
    path = tmp_path / "programme.yaml"
    path.write_text(PROGRAMME.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[object, TestClient, Path]]:
    path = programme_copy(tmp_path)
    settings = Settings.from_env({"BOT_PUBLIC_URL": PUBLIC + "/"}, programme=path, db=tmp_path / "bot.sqlite3")
    core = await build_core(settings, ManualClock(at("2025-06-01T10:00")))
    app = web.Application()
    add_routes(app, core.services.calendars)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        yield core, client, path
    finally:
        await client.close()
        await core.close()


async def feed_link(chat: Chat) -> str:
    """The https address /calendar gives, as a path on the test server."""
    body = await chat.say("/calendar")
    https = next(line for line in body.splitlines() if line.startswith(PUBLIC + "/calendar/"))
    assert webcal(https) in body  # the webcal:// form, for phones, stands above it
    return https.removeprefix(PUBLIC)


def vevents(data: bytes) -> dict[str, icalendar.Event]:
    return {str(e["UID"]).split("@")[0]: e for e in icalendar.Calendar.from_ical(data).walk("VEVENT")}


async def test_calendar_gives_an_unguessable_webcal_link_to_the_delegates_agenda(served) -> None:
    core, client, _path = served
    chat = Chat(core, "ana")
    await chat.say("/bookmark opening")
    path = await feed_link(chat)
    token = path.removeprefix("/calendar/").removesuffix(".ics")
    assert len(token) == 32 and path == await feed_link(chat)  # 24 random bytes; the same link each time
    response = await client.get(path)
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/calendar")
    assert response.headers["Cache-Control"].startswith("private")
    cal = icalendar.Calendar.from_ical(await response.read())
    assert set(vevents(await response.read())) == {"opening"} and str(cal["REFRESH-INTERVAL"].to_ical().decode()) == "PT1H"
    assert all(e.walk("VALARM") for e in cal.walk("VEVENT"))
    other = Chat(core, "bob")
    assert await feed_link(other) != path


async def test_an_invalid_or_revoked_token_gets_404(served) -> None:
    core, client, _path = served
    chat = Chat(core, "ana")
    path = await feed_link(chat)
    assert (await client.get(f"/calendar/{'A' * 32}.ics")).status == 404
    assert (await client.get("/calendar/short.ics")).status == 404
    assert (await client.get(path.removesuffix(".ics"))).status == 404
    assert "no longer works" in await chat.say("/calendar off")
    assert (await client.get(path)).status == 404
    new = await feed_link(chat)
    assert new != path and (await client.get(new)).status == 200
    replaced = (await chat.say("/calendar new"))
    assert new.removeprefix("/calendar/") not in replaced and (await client.get(new)).status == 404


async def test_a_moved_session_gets_the_next_sequence_at_the_next_refresh(served) -> None:
    core, client, path = served
    chat = Chat(core, "ana")
    await chat.say("/bookmark s2-roundtable")
    feed = await feed_link(chat)
    first = await client.get(feed)
    before = vevents(await first.read())["s2-roundtable"]
    assert int(before["SEQUENCE"]) == 0
    unchanged = await client.get(feed, headers={"If-None-Match": first.headers["ETag"]})
    assert unchanged.status == 304
    await core.clock.advance(dt.timedelta(hours=3))
    edit(path, "    start: 2025-06-05T11:40\n    end: 2025-06-05T12:30\n", "    start: 2025-06-06T14:00\n    end: 2025-06-06T15:00\n")
    await core.programmes.reload()
    after = vevents(await (await client.get(feed)).read())["s2-roundtable"]
    assert int(after["SEQUENCE"]) == 1 and after["UID"] == before["UID"]
    assert after.decoded("dtstart") == at("2025-06-06T14:00")
    assert after.decoded("last-modified") == at("2025-06-01T13:00")  # when the move was loaded
    assert after.decoded("last-modified") > before.decoded("last-modified")
    others = vevents(await (await client.get("/calendar/programme.ics")).read())
    assert int(others["opening"]["SEQUENCE"]) == 0 and int(others["s2-roundtable"]["SEQUENCE"]) == 1


async def test_a_cancelled_session_is_status_cancelled_in_the_feeds(served) -> None:
    core, client, path = served
    chat = Chat(core, "ana")
    await chat.say("/bookmark opening")
    feed = await feed_link(chat)
    edit(path, "  - id: opening\n", "  - id: opening\n    cancelled: true\n")
    await core.programmes.reload()
    event = vevents(await (await client.get(feed)).read())["opening"]
    assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 1 and not event.walk("VALARM")


async def test_the_feed_follows_new_bookmarks_and_the_delegates_language(served) -> None:
    core, client, _path = served
    chat = Chat(core, "li", language="zh-CN")
    feed = await feed_link(chat)
    assert vevents(await (await client.get(feed)).read()) == {}
    await chat.say("/subscribe 2")
    found = vevents(await (await client.get(feed)).read())
    assert set(found) == {s.id for s in core.programmes.agenda.stream_sessions("s2")}
    assert any("分论坛" in str(e["SUMMARY"]) or "分论坛" in str(e.get("DESCRIPTION", "")) for e in found.values())


async def test_the_whole_programme_feed_is_public_and_takes_a_language(served) -> None:
    core, client, _path = served
    response = await client.get("/calendar/programme.ics")
    assert response.status == 200 and response.headers["Cache-Control"].startswith("public")
    found = vevents(await response.read())
    assert set(found) == {s.id for s in core.programmes.programme.sessions}
    assert not any(e.walk("VALARM") for e in found.values())
    chinese = vevents(await (await client.get("/calendar/programme.ics?lang=zh-CN")).read())
    assert "开" in str(chinese["opening"]["SUMMARY"]) or chinese["opening"]["SUMMARY"] != found["opening"]["SUMMARY"]


async def test_forget_revokes_the_feed_token(served) -> None:
    core, client, _path = served
    chat = Chat(core, "ana")
    path = await feed_link(chat)
    assert (await client.get(path)).status == 200
    await core.services.privacy.forget(chat.ref)  # what /forget does, by the registry in bot.privacy
    assert (await client.get(path)).status == 404
    assert (await core.db.fetchone("SELECT COUNT(*) FROM calendar_feeds"))[0] == 0


async def test_without_a_public_address_calendar_says_so_and_offers_the_file(core) -> None:
    chat = Chat(core, "ana")
    body = await chat.say("/calendar")
    assert "BOT_PUBLIC_URL" in body and "webcal://" not in body
    assert "/myagenda ics" in {c.payload for c in chat.replies[0].options}
