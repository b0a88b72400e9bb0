"""Fixtures for the WeChat channel tests: the fake WeChat API and the channel served on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import Core
from tests.channels.wechat.kit import FakeWeChatAPI, Rig, wechat_rig


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeWeChatAPI]:
    api = FakeWeChatAPI()
    await api.start()
    yield api
    await api.close()


@pytest.fixture
async def rig(core: Core, fake_api: FakeWeChatAPI) -> AsyncIterator[Rig]:
    """Safe mode (the recommended setting), the normal 4-second deadline."""
    async with wechat_rig(core, fake_api) as r:
        yield r
