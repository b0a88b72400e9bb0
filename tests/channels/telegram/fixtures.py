"""Fixtures for the Telegram tests: the fake Bot API and a channel wired to it."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import Core
from bot.channels.telegram import RateLimiter, build_channel
from tests.conftest import SHARED
from tests.channels.telegram.fake import FakeTime, SECRET, SPEC_FILE, TOKEN, FakeBotAPI, Harness


def load_spec() -> dict | None:
    """The Bot API specification, or None where ../shared is absent (the checks are then off)."""
    path = SHARED.joinpath(*SPEC_FILE)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotAPI]:
    api = FakeBotAPI(load_spec())
    await api.start()
    yield api
    await api.stop()
    assert api.violations == [], "requests broke the Bot API specification:\n" + "\n".join(api.violations)


def telegram_settings(core: Core, api: FakeBotAPI, **overrides: object):
    values = dict(
        telegram_token=TOKEN, telegram_api_url=api.url,
        telegram_webhook_url="https://bot.example.org/telegram", telegram_webhook_secret=SECRET,
    )
    values.update(overrides)
    return dataclasses.replace(core.settings, **values)


@pytest.fixture
async def telegram(core: Core, fake_api: FakeBotAPI) -> AsyncIterator[Harness]:
    core.settings = telegram_settings(core, fake_api)
    web_app = web.Application()
    channel = build_channel(core.ports(), web_app)
    assert channel is not None
    time = FakeTime()  # pushes keep Telegram's limits on simulated time
    channel.sender.limiter = RateLimiter(monotonic=time.monotonic, sleep=time.sleep)
    await channel.start()
    client = TestClient(TestServer(web_app))
    await client.start_server()
    try:
        yield Harness(core, fake_api, channel, client)
    finally:
        await client.close()
        await channel.stop()
