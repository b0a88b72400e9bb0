"""Files under unguessable, expiring URLs (how WeChat followers get documents)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.web.files import FileLinks, add_routes


@pytest.fixture
async def served(core) -> AsyncIterator[tuple[FileLinks, TestClient]]:
    app = web.Application()
    links = FileLinks(core.db, core.clock, "https://bot.example.org/")
    add_routes(app, links)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    yield links, client
    await client.close()


def path_of(url: str) -> str:
    return url.removeprefix("https://bot.example.org")


async def test_a_file_is_served_at_its_link_until_it_expires(core, served) -> None:
    links, client = served
    url = await links.link("BEGIN:VCALENDAR\r\n".encode(), "my agenda.ics", "text/calendar")
    assert url is not None and url.startswith("https://bot.example.org/files/") and url.endswith("/my%20agenda.ics")
    token = url.split("/")[4]
    assert len(token) == 32  # 24 random bytes
    response = await client.get(path_of(url))
    assert response.status == 200 and await response.read() == b"BEGIN:VCALENDAR\r\n"
    assert response.headers["Content-Disposition"] == "attachment; filename*=UTF-8''my%20agenda.ics"
    assert response.headers["Cache-Control"] == "private, no-store"
    await core.clock.advance(dt.timedelta(days=7))
    assert (await client.get(path_of(url))).status == 410


async def test_unknown_tokens_and_wrong_names_are_not_found(served) -> None:
    links, client = served
    url = await links.link(b"x", "a.csv", "text/csv")
    assert url is not None
    token = url.split("/")[4]
    assert (await client.get(f"/files/{token}/other.csv")).status == 404
    assert (await client.get(f"/files/{'A' * 32}/a.csv")).status == 404
    assert (await client.get("/files/short/a.csv")).status == 404


async def test_two_links_to_the_same_file_differ(served) -> None:
    links, _client = served
    assert await links.link(b"x", "a.csv", "text/csv") != await links.link(b"x", "a.csv", "text/csv")


async def test_without_a_public_address_there_is_no_link(core) -> None:
    assert await FileLinks(core.db, core.clock, None).link(b"x", "a.csv", "text/csv") is None
