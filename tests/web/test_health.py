"""``/healthz`` and ``/metrics`` of a running bot (Telegram long polling alone), and each check turning unhealthy."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from bot.app import Core
from bot.clock import ManualClock
from bot.config import Settings
from bot.service import pid_path, run_service
from bot.web import health
from bot.web.health import FAILING_AFTER, STALE_AFTER, Contacts, probe
from tests.channels.telegram.fake import TOKEN, FakeBotAPI, message_update
from tests.channels.telegram.fixtures import fake_api  # noqa: F401  (fixture)
from tests.conftest import PROGRAMME, at
from tests.test_logs import free_port

CHAT_ID = 555000111


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text exposition, read by prometheus_client's own parser."""
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


async def until(condition, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


@pytest.fixture
async def running(tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[tuple[Settings, FakeBotAPI]]:
    settings = Settings.from_env(
        {"BOT_TELEGRAM_TOKEN": TOKEN, "BOT_TELEGRAM_API_URL": fake_api.url, "BOT_HTTP_PORT": str(free_port())},
        programme=PROGRAMME, db=tmp_path / "run.sqlite3",
    )
    stop = asyncio.Event()
    service = asyncio.create_task(run_service(settings, ManualClock(at("2025-06-05T10:00")), stop))
    try:
        # the pid file is written once everything has started (channels, web server, then workers and timer)
        await until(lambda: any(c.method == "getUpdates" for c in fake_api.calls) and pid_path(settings).exists())
        yield settings, fake_api
    finally:
        stop.set()
        assert await service == 0


async def get(settings: Settings, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http:
        for _ in range(100):  # the server starts right after the channel
            try:
                async with http.get(f"http://127.0.0.1:{settings.http_port}{path}") as resp:
                    return resp.status, await resp.text()
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
    raise AssertionError(f"nothing answers {path}")


async def test_a_bot_on_long_polling_alone_serves_healthz_and_metrics(running) -> None:
    settings, api = running
    status, body = await get(settings, "/healthz")
    assert status == 200, body
    import json

    report = json.loads(body)
    assert report["status"] == "ok"
    assert report["checks"]["database"]["ok"] and report["checks"]["scheduler"]["running"]
    assert report["checks"]["channels"]["telegram"]["last_contact"] is not None
    assert await asyncio.to_thread(probe, settings) == 0  # the command line asks from outside the loop

    await api.push_update(message_update(1, "/now", user_id=CHAT_ID, language="en"))
    await until(lambda: api.sent("sendMessage"))
    status, text = await get(settings, "/metrics")
    assert status == 200
    found = samples(text)
    assert found[("delegate_bot_updates_total", (("channel", "telegram"), ("command", "now")))] == 1
    assert found[("delegate_bot_reply_seconds_count", (("channel", "telegram"),))] == 1
    assert found[("delegate_bot_outbox_oldest_due_seconds", (("priority", "reminder"),))] == 0
    assert ("delegate_bot_channel_last_contact_seconds", (("channel", "telegram"),)) in found
    assert str(CHAT_ID) not in text  # no personal data in any label


async def test_healthcheck_says_no_when_nothing_answers(tmp_path: Path, capsys) -> None:
    settings = Settings.from_env({"BOT_HTTP_PORT": str(free_port())}, db=tmp_path / "x.db")
    assert probe(settings, timeout=1) == 1
    assert "no answer from http://127.0.0.1:" in capsys.readouterr().err


# -- each check, unhealthy ----------------------------------------------------------


async def client_for(check: health.Health) -> TestClient:
    app = web.Application()
    health.add_routes(app, check)
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


async def report(check: health.Health) -> tuple[int, dict]:
    client = await client_for(check)
    try:
        resp = await client.get("/healthz")
        return resp.status, await resp.json()
    finally:
        await client.close()


async def started(core: Core) -> health.Health:
    await core.start()
    return core.health


async def test_a_started_core_is_healthy(core: Core) -> None:
    status, body = await report(await started(core))
    assert status == 200 and body["status"] == "ok"


async def test_a_database_that_takes_no_writes_is_unhealthy(core: Core) -> None:
    check = await started(core)
    await core.db.conn.execute("PRAGMA query_only = ON")  # as a read-only volume or a full disk would
    try:
        status, body = await report(check)
    finally:
        await core.db.conn.execute("PRAGMA query_only = OFF")
    assert status == 503 and body["status"] == "unhealthy"
    assert body["checks"]["database"]["ok"] is False and "cannot write" in body["checks"]["database"]["problem"]


async def test_a_stopped_scheduler_is_unhealthy(core: Core) -> None:
    status, body = await report(core.health)  # never started: no timer, no workers
    assert status == 503
    assert body["checks"]["scheduler"] == {"ok": False, "running": False, "next_wakeup": None, "problem": "the wake-up timer is not running"}


async def test_a_channel_failing_for_minutes_is_unhealthy_and_a_short_outage_is_not(core: Core) -> None:
    clock = core.clock
    assert isinstance(clock, ManualClock)
    check = await started(core)
    contacts = check.contacts
    contacts.ok("wechat")
    await clock.advance(dt.timedelta(seconds=30))
    contacts.failed("wechat", "ClientConnectorError")
    status, body = await report(check)
    assert status == 200 and body["checks"]["channels"]["wechat"]["failure"] == "ClientConnectorError"
    await clock.advance(FAILING_AFTER)
    status, body = await report(check)
    assert status == 503 and "have failed since" in body["checks"]["channels"]["wechat"]["problem"]
    contacts.ok("wechat")
    assert (await report(check))[0] == 200


async def test_long_polling_without_contact_for_minutes_is_unhealthy(core: Core) -> None:
    clock = core.clock
    assert isinstance(clock, ManualClock)
    check = await started(core)
    check.contacts.channel("telegram", expect_every=dt.timedelta(minutes=1))
    check.contacts.ok("telegram")
    assert (await report(check))[0] == 200
    await clock.advance(STALE_AFTER + dt.timedelta(seconds=1))
    status, body = await report(check)
    assert status == 503 and "no contact with the platform since" in body["checks"]["channels"]["telegram"]["problem"]


def test_contacts_start_the_clock_when_made() -> None:
    clock = ManualClock(at("2025-06-05T10:00"))
    contacts = Contacts(clock.now)
    contact = contacts.channel("telegram", expect_every=dt.timedelta(minutes=1))
    assert contacts.check("telegram", contact, clock.now())["ok"] is True  # just started: no contact yet is fine


async def test_a_worker_not_started_yet_says_starting_and_one_that_ended_says_stopped(core: Core) -> None:
    """The service starts the delivery workers after the channels and the web server: meanwhile 'starting', not 'stopped'."""
    from tests.notify.helpers import RecordingSender

    worker = core.services.push.attach(RecordingSender(channel="late"))
    status, body = await report(core.health)  # nothing started: the timer's problem and the worker's
    assert status == 503
    await core.start()
    assert worker.started and worker.alive
    assert (await report(core.health))[0] == 200
    await worker.stop()
    status, body = await report(core.health)
    assert status == 503 and "the delivery worker of late stopped" in body["checks"]["scheduler"]["problem"]


async def test_before_the_workers_start_the_check_says_starting(core: Core) -> None:
    from tests.notify.helpers import RecordingSender

    await core.start()
    core.services.push.attach(RecordingSender(channel="late"))  # attached, not yet started
    status, body = await report(core.health)
    assert status == 503
    assert "starting: the delivery worker of late is not running yet" in body["checks"]["scheduler"]["problem"]
