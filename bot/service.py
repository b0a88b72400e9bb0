"""``delegate-bot run``: every configured channel and the web server in one asyncio loop.

Each channel module offers ``build_channel(ports, web_app) -> Channel | None``
(None when it is not configured), given the core's narrow
:class:`~bot.ports.ChannelPorts`.  Channels that take webhooks add routes to
the one shared aiohttp application, served on ``BOT_HTTP_HOST:BOT_HTTP_PORT``
with ``/healthz`` and ``/metrics`` (also when no channel takes webhooks, as
with Telegram long polling alone).  SIGTERM or SIGINT stops it gracefully:
:func:`shut_down`.
"""

from __future__ import annotations

import asyncio
import contextlib
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
from bot.programme.reader import keep_out_of_collections
from bot.web import calendar, files, health, metrics

logger = logging.getLogger(__name__)

CHANNEL_MODULES = ("bot.channels.telegram", "bot.channels.wechat")
#: Exit code when a channel cannot start (wrong token, platform unreachable).
EXIT_CHANNEL = 3
#: Exit code when the web server cannot listen (the port is taken).
EXIT_LISTEN = 4


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
    from bot.understanding.understand import understanding_ready
    from handlers import venues

    try:
        await asyncio.to_thread(venues.load_readings)
        if core is not None:
            await SearchIndex.ready(core.programmes.agenda)
            await understanding_ready(core.programmes.agenda, core.catalogs.tags)
    except Exception:  # the answer that needs it loads it again, and says what is wrong
        logger.exception("could not load the pinyin readings or the search index ahead of time")
        return
    keep_out_of_collections()


def listeners(settings: Settings, core: Core, web_app: web.Application) -> list[tuple[web.Application, str, int]]:
    """The web applications to serve and where: webhooks, files and /healthz always; /metrics there or apart.

    With ``BOT_METRICS_PORT`` set, /metrics and /healthz are served on their
    own listener (``BOT_METRICS_HOST``, default 127.0.0.1) and /metrics is not
    on the main one, which a proxy may expose.
    """
    health_check = core.health
    health.add_routes(web_app, health_check)
    out = [(web_app, settings.http_host, settings.http_port)]
    if settings.metrics_port is None:
        metrics.add_routes(web_app, core.metrics, core.db, core.clock.now, core.contacts)
    else:
        side = web.Application()
        health.add_routes(side, health_check)
        metrics.add_routes(side, core.metrics, core.db, core.clock.now, core.contacts)
        out.append((side, settings.metrics_host, settings.metrics_port))
    return out


async def run_service(
    settings: Settings, clock: Clock, stop: asyncio.Event | None = None, *, programme: Programme | None = None
) -> int:
    """Run until SIGTERM, SIGINT or ``stop``; then stop gracefully (see :func:`shut_down`)."""
    gaps = settings.channel_gaps()
    if gaps:
        for gap in gaps:
            print(f"delegate-bot: {gap}", file=sys.stderr)
        return 2
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
    runners: list[web.AppRunner] = []
    started: list[Channel] = []
    status = 0
    try:
        for channel in channels:
            try:
                await channel.start()
            except ChannelStartError as exc:
                print(f"delegate-bot: {exc}", file=sys.stderr)
                return EXIT_CHANNEL
            started.append(channel)
            logger.info("channel %s started", channel.name)
        for app, host, port in listeners(settings, core, web_app):
            runner = web.AppRunner(app, access_log_class=PathOnlyAccessLogger, shutdown_timeout=settings.shutdown_seconds)
            await runner.setup()
            runners.append(runner)
            try:
                await web.TCPSite(runner, host, port).start()
            except OSError as exc:
                print(f"delegate-bot: cannot listen on {host}:{port} ({exc.strerror or exc}); "
                      "set BOT_HTTP_PORT (or BOT_METRICS_PORT) to a free port", file=sys.stderr)
                status = EXIT_LISTEN
                return status
            logger.info("HTTP server on %s:%s (%s)", host, port, ", ".join(sorted(_paths(app))))
        await core.start()
        write_pid(settings)
        # what start-up built (programme, catalogs, libraries) lives as long as the process:
        # keep it out of the collector's full passes, which otherwise pause answers for ~50 ms
        keep_out_of_collections()
        warm = asyncio.create_task(warm_up(core), name="warm-up")
        await stop.wait()
        warm.cancel()
        logger.info("stopping: no new messages are taken; up to %d s for answers and sends under way", settings.shutdown_seconds)
    finally:
        remove_pid(settings)
        watcher.cancel()
        await shut_down(core, started, runners, settings.shutdown_seconds)
    return status


async def shut_down(core: Core, channels: list[Channel], runners: list[web.AppRunner], grace: float) -> None:
    """A graceful stop, within about ``grace`` seconds:

    1. stop taking input: Telegram stops fetching updates; the web server
       stops accepting connections and lets the requests under way finish;
    2. the answers being worked out finish, then the pushes in flight; an
       outbox item not yet claimed stays pending for the next start;
    3. the channels close (their stored replies written), then the core and
       the database (its write-ahead log folded back into the file).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    for channel in channels:
        stop_input = getattr(channel, "stop_input", None)
        if stop_input is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(stop_input(), timeout=max(0.1, deadline - loop.time()))
    # the listening sockets close at once; requests under way get the rest of the grace (aiohttp's shutdown_timeout)
    cleanups = [asyncio.create_task(runner.cleanup()) for runner in runners]
    await core.wind_down(max(0.0, deadline - loop.time()))
    if cleanups:
        await asyncio.wait(cleanups)
    for channel in reversed(channels):
        try:
            await channel.stop()
        except Exception:
            logger.exception("channel %s did not stop cleanly", channel.name)
    await core.close()
    logger.info("stopped")


def _paths(app: web.Application) -> set[str]:
    out = set()
    for resource in app.router.resources():
        info = resource.get_info()
        out.add(info.get("path") or info.get("formatter") or "?")
    return out
