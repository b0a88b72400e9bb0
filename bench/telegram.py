"""Telegram hot path: this bot against a bare PTB echo handler, in the same run.

Feeds the same agenda updates, in alternating blocks of 500, (``/today``, ``/now``, ``/next``, ``/day 2``,
``/streams``, ``/stream 2``, ``/session opening``, button presses, free text)
through ``Application.process_update`` for both, with the network faked at
the request layer (a :class:`telegram.request.BaseRequest` returning canned
JSON), and prints updates per second, their ratio and p50/p99 handling time.

With ``--session``, every update is ``/session <id>`` (each session of the
shipped programme in turn, from 200 delegates who have bookmarked and joined
some), and the echo answers each with its text and a prebuilt inline
keyboard of five buttons, so both do the same I/O: one sendMessage with a
keyboard.

    .venv/bin/python bench/telegram.py [--updates 20000] [--session] [--quick]
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, and this file is
# named like the library it measures: take the folder out, put the project in.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse  # noqa: E402
import asyncio
import dataclasses
import datetime as dt
import gc
import json
import statistics
import tempfile
import time
from zoneinfo import ZoneInfo

from aiohttp import web
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters
from telegram.request import BaseRequest, RequestData

from bot.app import build_core  # noqa: E402
from bot.channels.telegram import RateLimiter, build_channel  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.programme.reader import keep_out_of_collections  # noqa: E402

TOKEN = "123456:BENCH"
BOT = {"id": 4242, "is_bot": True, "first_name": "Companion", "username": "companion_bench_bot"}
DATE = 1749088800
BLOCK = 500
AGENDA = ["/today", "/now", "/next", "/day 2", "/streams", "/stream 2", "/session opening", "tomorrow",
          "今天", "/programme"]
PRESSES = ["/day 2025-06-05", "/session s2-liurong", "/search a p2"]


def _message(text: str = "ok") -> dict:
    return {"message_id": 1, "date": DATE, "chat": {"id": 1, "type": "private"}, "from": BOT, "text": text}


class CannedRequest(BaseRequest):
    """Answers every Bot API call at once with canned JSON: no network at all."""

    _CANNED = {
        "getMe": BOT,
        "sendMessage": _message(),
        "editMessageText": _message(),
        "answerCallbackQuery": True,
        "setMyCommands": True,
        "setWebhook": True,
        "deleteWebhook": True,
    }

    def __init__(self) -> None:
        self.calls = 0
        self._bodies = {k: json.dumps({"ok": True, "result": v}).encode() for k, v in self._CANNED.items()}

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def read_timeout(self) -> float:
        return 5.0

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout=None, write_timeout=None, connect_timeout=None, pool_timeout=None) -> tuple[int, bytes]:
        self.calls += 1
        return 200, self._bodies[url.rsplit("/", 1)[1]]


def updates(count: int) -> list[dict]:
    """Agenda messages and button presses from 200 delegates, half English, half Chinese."""
    out = []
    for i in range(count):
        user_id = 10_000 + i % 200
        user = {"id": user_id, "is_bot": False, "first_name": "D", "language_code": "en" if user_id % 2 else "zh-hans"}
        chat = {"id": user_id, "type": "private"}
        if i % 4 == 3:
            out.append({"update_id": i + 1, "callback_query": {
                "id": str(i), "chat_instance": "c", "from": user, "data": PRESSES[i % len(PRESSES)],
                "message": {"message_id": 5, "date": DATE, "chat": chat, "from": BOT, "text": "…"}}})
        else:
            text = AGENDA[i % len(AGENDA)]
            out.append({"update_id": i + 1, "message": {"message_id": i + 1, "date": DATE, "chat": chat, "from": user, "text": text}})
    return out


def session_updates(count: int, ids: list[str]) -> list[dict]:
    """``/session <id>`` from 200 delegates, half English, half Chinese, every session in turn."""
    out = []
    for i in range(count):
        user_id = 10_000 + i % 200
        user = {"id": user_id, "is_bot": False, "first_name": "D", "language_code": "en" if user_id % 2 else "zh-hans"}
        chat = {"id": user_id, "type": "private"}
        text = f"/session {ids[i % len(ids)]}"
        out.append({"update_id": i + 1, "message": {"message_id": i + 1, "date": DATE, "chat": chat, "from": user, "text": text}})
    return out


async def run(app: Application, raw: list[dict], channel=None) -> list[float]:
    """Each update through ``process_update``; for the bot, also handing its JSON over as getUpdates does (timed)."""
    parsed = [(Update.de_json(u, app.bot), u) for u in raw]
    timings = []
    gc.collect()
    for update, body in parsed:
        start = time.perf_counter()
        if channel is not None:  # what ContactRecordingRequest's sink does per update of a getUpdates answer
            channel.received(update.update_id, json.dumps(body, separators=(",", ":")))
        await app.process_update(update)
        timings.append(time.perf_counter() - start)
    return timings


async def echo_app(keyboard: bool = False) -> Application:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    markup = InlineKeyboardMarkup([
        [InlineKeyboardButton("Bookmark", callback_data="/bookmark x"), InlineKeyboardButton("Join this visit", callback_data="/join x")],
        [InlineKeyboardButton("How to get there", callback_data="/directions x"), InlineKeyboardButton("Stream 2", callback_data="/stream s2")],
        [InlineKeyboardButton("Day of this session", callback_data="/day 2025-06-05")],
    ]) if keyboard else None

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query is not None:
            await update.callback_query.answer()
            await update.callback_query.message.reply_text(update.callback_query.data, reply_markup=markup)  # type: ignore[union-attr]
        else:
            await update.message.reply_text(update.message.text, reply_markup=markup)  # type: ignore[union-attr]

    request = CannedRequest()
    app = ApplicationBuilder().token(TOKEN).request(request).get_updates_request(request).updater(None).build()
    from telegram.ext import CallbackQueryHandler

    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.add_handler(CallbackQueryHandler(echo))
    await app.initialize()
    return app


def report(name: str, timings: list[float]) -> float:
    total = sum(timings)
    rate = len(timings) / total
    q = statistics.quantiles(timings, n=100)
    print(f"{name:>10}: {rate:8.0f} updates/s   p50 {q[49] * 1e3:6.3f} ms   p99 {q[98] * 1e3:6.3f} ms")
    return rate


async def main(count: int, sessions: bool = False) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        # each of the 200 delegates sends dozens of updates on a clock that does not move: flood control
        # (20 in a burst) would silence them after the first 20; hardening's bench/soak.py measures it
        settings = Settings.from_env({}, db=Path(tmp) / "bench.sqlite3", flood_burst=0)
        settings = dataclasses.replace(settings, telegram_token=TOKEN, telegram_webhook_url="https://bench.invalid/telegram",
                                       telegram_webhook_secret="bench")
        core = await build_core(settings, ManualClock(dt.datetime(2025, 6, 5, 10, tzinfo=ZoneInfo("Asia/Shanghai"))))
        channel = build_channel(core.ports(), web.Application(), request=CannedRequest())
        assert channel is not None
        # Telegram's flood limits, which the channel keeps for answers too (30 messages a second overall, one a second
        # per chat), lifted: this measures what handling an update costs, not Telegram's pace (4,000 updates in a
        # few seconds from 200 chats would wait minutes for it); the echo has no limiter either
        channel.sender.limiter = RateLimiter(per_second=10**9, per_chat_interval=0.0)
        await channel.start()
        keep_out_of_collections()  # gc.freeze(), as ``delegate-bot run`` does once it has started
        if sessions:
            ids = [s.id for s in core.programmes.agenda.sessions]
            make = lambda n: session_updates(n, ids)  # noqa: E731
            await _choose(core, ids)
        else:
            make = updates
        raw = make(count)
        echo = await echo_app(keyboard=sessions)
        await run(echo, make(500))  # warm both up (imports, catalogs, caches)
        await run(channel.app, [dict(u, update_id=u["update_id"] + 10**9) for u in make(500)], channel)
        # alternate blocks, so that load from elsewhere on the machine hits both alike
        echo_times: list[float] = []
        bot_times: list[float] = []
        for start in range(0, count, BLOCK):
            block = raw[start : start + BLOCK]
            echo_times += await run(echo, block)
            bot_times += await run(channel.app, block, channel)
        what = "/session updates (echo: text and a five-button keyboard)" if sessions else "agenda updates"
        print(f"{count} {what} through Application.process_update, network faked at the request layer")
        echo_rate = report("echo", echo_times)
        bot_rate = report("bot", bot_times)
        print(f"     ratio: {bot_rate / echo_rate:.2f} of the echo baseline (target {0.8 if sessions else 0.7:.2f})")
        await echo.shutdown()
        await channel.stop()
        await core.close()


async def _choose(core, ids: list[str]) -> None:
    """Each of the 200 delegates bookmarks a few sessions and joins a visit (setup, not measured)."""
    from bot.conversation import Request, UserRef

    visits = [s.id for s in core.programmes.agenda.sessions if s.site_visit is not None]
    for n in range(200):
        user = UserRef("telegram", str(10_000 + n))
        for sid in ids[n % 5 :: 7]:
            await core.handle(Request(user=user, text=f"/bookmark {sid}"))
        if visits:
            await core.handle(Request(user=user, text=f"/join {visits[n % len(visits)]}"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=20_000)
    parser.add_argument("--session", action="store_true", help="/session <id> against an echo with a keyboard")
    parser.add_argument("--quick", action="store_true", help="4,000 updates")
    parsed = parser.parse_args()
    asyncio.run(main(4_000 if parsed.quick else parsed.updates, parsed.session))
