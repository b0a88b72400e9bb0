"""``delegate-bot run``: every configured channel in one asyncio loop.

Each channel module offers ``build_channel(ports, web_app) -> Channel | None``
(None when it is not configured), given the core's narrow
:class:`~bot.ports.ChannelPorts`.  Channels that take webhooks add routes to
the one shared aiohttp application, served on ``BOT_HTTP_HOST:BOT_HTTP_PORT``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Protocol

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from bot.app import Core, build_core
from bot.channels import ChannelStartError
from bot.clock import Clock
from bot.config import Settings
from bot.ports import ChannelPorts
from bot.programme import Programme, ProgrammeError
from bot.web import calendar, files

logger = logging.getLogger(__name__)

CHANNEL_MODULES = ("bot.channels.telegram", "bot.channels.wechat")
#: Exit code when a channel cannot start (wrong token, platform unreachable).
EXIT_CHANNEL = 3


class PathOnlyAccessLogger(AbstractAccessLogger):
    """Access log lines without query strings: webhooks carry user ids there (WeChat's ``openid``)."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info("%s %s %s %.1f ms", request.method, request.path, response.status, time * 1000)


class Channel(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def pid_path(settings: Settings) -> Path:
    """Where ``run`` notes its process id, beside the database, so the command line can signal it."""
    return settings.db.with_name(settings.db.name + ".pid")


def write_pid(settings: Settings) -> None:
    with contextlib.suppress(OSError):
        pid_path(settings).write_text(f"{os.getpid()}\n", encoding="ascii")


def remove_pid(settings: Settings) -> None:
    path = pid_path(settings)
    with contextlib.suppress(OSError, ValueError):
        if int(path.read_text(encoding="ascii").strip()) == os.getpid():
            path.unlink()


def signal_service(settings: Settings, sig: int) -> bool:
    """Send ``sig`` to the running ``delegate-bot run`` of this database; False if none runs."""
    try:
        pid = int(pid_path(settings).read_text(encoding="ascii").strip())
        os.kill(pid, sig)
    except (OSError, ValueError):
        return False
    return True


async def reload_programme(core: Core) -> None:
    """SIGHUP: load the programme file again; a broken one is logged and the old one stays."""
    try:
        await core.programmes.reload()
    except ProgrammeError as exc:
        logger.error("programme %s not reloaded; the previous version stays in force:\n%s", core.programmes.path, exc)


async def outbox_changed(core: Core) -> None:
    """SIGUSR1: another process queued pushes (a broadcast from the command line)."""
    await core.push.fire_due()
    core.services.campaign_monitor.wake()
    await core.wakeups.rearm()


def build_channels(ports: ChannelPorts, web_app: web.Application) -> list[Channel]:
    channels: list[Channel] = []
    for module_name in CHANNEL_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        channel = module.build_channel(ports, web_app)
        if channel is not None:
            channels.append(channel)
    return channels


async def warm_up(core: Core | None = None) -> None:
    """Load in a thread, once the bot answers, what only some answers need: the pinyin of a driver's
    block, the search index of the programme in force (0.3 s at 1,000 sessions).

    Then keep it out of the collector's full passes too, as what start-up built.
    """
    from bot.understanding.search import SearchIndex
    from handlers import venues

    try:
        await asyncio.to_thread(venues.load_readings)
        if core is not None:
            await asyncio.to_thread(SearchIndex.of, core.programmes.agenda)
    except Exception:  # the answer that needs it loads it again, and says what is wrong
        logger.exception("could not load the pinyin readings or the search index ahead of time")
        return
    gc.freeze()


async def run_service(
    settings: Settings, clock: Clock, stop: asyncio.Event | None = None, *, programme: Programme | None = None
) -> int:
    core = await build_core(settings, clock, programme=programme)
    web_app = web.Application(client_max_size=64 * 1024)
    channels = build_channels(core.ports(), web_app)
    if settings.public_url:
        files.add_routes(web_app, core.files)
        calendar.add_routes(web_app, core.services.calendars)
    if not channels:
        await core.close()
        print(
            "No channel is configured. Set BOT_TELEGRAM_TOKEN for Telegram, or BOT_WECHAT_TOKEN, "
            "BOT_WECHAT_APPID and BOT_WECHAT_SECRET for WeChat (see README.md).\n"
            "To talk to the bot without any token, run: delegate-bot console",
            file=sys.stderr,
        )
        return 2
    logger.info("settings: %s", settings.describe())
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    # an edited programme.yaml is picked up within seconds, or at once on SIGHUP
    watcher = asyncio.create_task(core.programmes.watch(), name="programme-watch")
    with contextlib.suppress(NotImplementedError, RuntimeError, AttributeError):
        loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(reload_programme(core)))
        # `delegate-bot broadcast` wrote to the outbox from another process: look at it now
        loop.add_signal_handler(signal.SIGUSR1, lambda: asyncio.ensure_future(outbox_changed(core)))
    runner: web.AppRunner | None = None
    started: list[Channel] = []
    try:
        for channel in channels:
            try:
                await channel.start()
            except ChannelStartError as exc:
                print(f"delegate-bot: {exc}", file=sys.stderr)
                return EXIT_CHANNEL
            started.append(channel)
            logger.info("channel %s started", channel.name)
        if web_app.router.routes():
            runner = web.AppRunner(web_app, access_log_class=PathOnlyAccessLogger)
            await runner.setup()
            await web.TCPSite(runner, settings.http_host, settings.http_port).start()
            logger.info("HTTP server on %s:%s", settings.http_host, settings.http_port)
        await core.start()
        write_pid(settings)
        # what start-up built (programme, catalogs, libraries) lives as long as the process:
        # keep it out of the collector's full passes, which otherwise pause answers for ~50 ms
        gc.freeze()
        warm = asyncio.create_task(warm_up(core), name="warm-up")
        await stop.wait()
        warm.cancel()
    finally:
        remove_pid(settings)
        watcher.cancel()
        if runner is not None:
            await runner.cleanup()
        for channel in reversed(started):
            with contextlib.suppress(Exception):
                await channel.stop()
        await core.close()
    return 0
