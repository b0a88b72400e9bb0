"""What ``/metrics`` counts, read back with prometheus_client's parser; no label carries personal data."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import Core
from bot.conversation import Text, UserRef
from bot.notify.outbox import Delivered, Delivery, Failed, Outcome, Priority
from bot.web import metrics as metrics_web
from tests.channels.wechat.kit import FakeWeChatAPI, wechat_rig
from tests.conftest import Chat
from tests.web.test_health import samples


class Recording:
    """A sender for the ``test`` channel that accepts everything but one person's items."""

    channel = "test"

    def __init__(self, refuse: str | None = None) -> None:
        self.refuse = refuse

    async def send(self, delivery: Delivery) -> Outcome:
        if delivery.user.platform_id == self.refuse:
            return Failed("blocked the bot", deactivate=True)
        return Delivered()


async def scrape(core: Core) -> tuple[str, dict]:
    app = web.Application()
    metrics_web.add_routes(app, core.metrics, core.db, core.clock.now, core.contacts)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        resp = await client.get("/metrics")
        assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/plain")
        text = await resp.text()
    finally:
        await client.close()
    return text, samples(text)


async def test_updates_are_counted_by_channel_and_command_never_by_words(core: Core) -> None:
    alice = Chat(core, "alice-platform-id-4711")
    await alice.say("/today")
    await alice.say("/today")
    await alice.say("tell me about Kampala-unusual-words")
    await alice.press("/session opening")
    await alice.say("/frobnicate")
    text, found = await scrape(core)
    updates = {labels: v for (name, labels), v in found.items() if name == "delegate_bot_updates_total"}
    assert updates[(("channel", "test"), ("command", "today"))] == 2
    assert updates[(("channel", "test"), ("command", "session"))] == 1
    assert updates[(("channel", "test"), ("command", "unknown"))] == 1
    assert sum(updates.values()) == 5
    assert found[("delegate_bot_reply_seconds_count", (("channel", "test"),))] == 5
    assert "alice-platform-id-4711" not in text and "Kampala" not in text and "frobnicate" not in text


async def test_outbox_depth_and_age_by_priority(core: Core) -> None:
    user = await core.users.seen(UserRef("test", "bob"), None, core.clock.now())
    await core.push.push(user.id, "test", [Text("remember")], dedupe_key="r1", priority=Priority.REMINDER)
    await core.push.push(user.id, "test", [Text("news")], dedupe_key="b1", priority=Priority.BROADCAST)
    await core.push.push(user.id, "test", [Text("later")], dedupe_key="b2", priority=Priority.BROADCAST,
                         at=core.clock.now() + dt.timedelta(hours=1))
    await core.clock.advance(dt.timedelta(seconds=90))  # type: ignore[attr-defined]
    _text, found = await scrape(core)
    assert found[("delegate_bot_outbox_items", (("priority", "reminder"), ("status", "pending")))] == 1
    assert found[("delegate_bot_outbox_items", (("priority", "broadcast"), ("status", "pending")))] == 2
    assert found[("delegate_bot_outbox_oldest_due_seconds", (("priority", "reminder"),))] == 90
    assert found[("delegate_bot_outbox_oldest_due_seconds", (("priority", "broadcast"),))] == 90  # the later one is not due
    assert found[("delegate_bot_outbox_oldest_due_seconds", (("priority", "notice"),))] == 0


async def test_deliveries_by_outcome_and_the_reminder_lag(core: Core) -> None:
    core.push.attach(Recording(refuse="carol"))
    bob = await core.users.seen(UserRef("test", "bob"), None, core.clock.now())
    carol = await core.users.seen(UserRef("test", "carol"), None, core.clock.now())
    await core.push.push(bob.id, "test", [Text("remember")], dedupe_key="r1", priority=Priority.REMINDER)
    await core.push.push(carol.id, "test", [Text("remember")], dedupe_key="r1", priority=Priority.REMINDER)
    await core.clock.advance(dt.timedelta(seconds=12))  # type: ignore[attr-defined]
    await core.push.drain()
    _text, found = await scrape(core)
    assert found[("delegate_bot_deliveries_total", (("channel", "test"), ("outcome", "delivered")))] == 1
    assert found[("delegate_bot_deliveries_total", (("channel", "test"), ("outcome", "unreachable")))] == 1
    assert found[("delegate_bot_reminder_lag_seconds_count", (("channel", "test"),))] == 1
    assert found[("delegate_bot_reminder_lag_seconds_sum", (("channel", "test"),))] == 12
    assert found.get(("delegate_bot_outbox_items", (("priority", "reminder"), ("status", "pending"))), 0) == 0  # drained


@pytest.fixture
async def wechat_api() -> AsyncIterator[FakeWeChatAPI]:
    api = FakeWeChatAPI()
    await api.start()
    yield api
    await api.close()


async def test_wechat_window_and_quota_refusals(core: Core, wechat_api: FakeWeChatAPI) -> None:
    async with wechat_rig(core, wechat_api) as rig:
        assert (await rig.follower("o_alice").say("help")).status == 200
        alice = await core.users.find(UserRef("wechat", "o_alice"))
        silent = await core.users.seen(UserRef("wechat", "o_silent"), None, core.clock.now())
        assert alice is not None
        wechat_api.send_errors = [45047]
        await core.push.push(alice.id, "wechat", [Text("one")], dedupe_key="k1")  # WeChat says: over the quota
        await core.push.push(silent.id, "wechat", [Text("two")], dedupe_key="k2")  # never wrote: no window
        await core.push.drain()
        text, found = await scrape(core)
    assert found[("delegate_bot_wechat_refusals_total", (("by", "wechat"), ("reason", "quota")))] == 1
    assert found[("delegate_bot_wechat_refusals_total", (("by", "bot"), ("reason", "window")))] == 1
    assert found[("delegate_bot_deliveries_total", (("channel", "wechat"), ("outcome", "held")))] == 2
    assert "o_alice" not in text and "o_silent" not in text
