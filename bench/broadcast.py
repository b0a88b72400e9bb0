"""Broadcast delivery through the Telegram sender against a fake Bot API that enforces Telegram's limits.

Part 1, a broadcast: ``--recipients`` delegates (10,000) get a message; a
fifth of them get a second one at the same moment (a notice); reminders
fall due while the broadcast runs.  The fake Bot API (real HTTP on
127.0.0.1) answers after ``--rtt`` (50 ms), allows ``--rate`` messages a
second overall (30) and one a second per chat, and answers 429 with
``retry_after`` above either.  Printed: the time taken, the floor (the larger
of messages / rate and the per-chat bound), their ratio, messages lost and
duplicated, the 429s drawn, and the worst delay of a reminder that fell due
during the broadcast.

Part 2, a burst: ``--followers`` delegates (5,000) follow the stream of one
session; at 30 messages a second their reminders take minutes to send, so
they are planned backwards from the lead time.  Printed: how late the last
delegate was reminded (target 0) and how early the first.

Targets: ratio <= 1.05, 0 lost, 0 duplicated, 0 429s, reminders never more
than 2 s late, lateness 0 for the burst.

    .venv/bin/python bench/broadcast.py                  # the full run: about 10 minutes
    .venv/bin/python bench/broadcast.py --quick          # 1,000 recipients, 500 followers
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import collections  # noqa: E402
import datetime as dt  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

from aiohttp import web  # noqa: E402

from bot.channels.telegram import CallbackCodec, RateLimiter, Renderer, TelegramSender, build_application  # noqa: E402
from bot.clock import OffsetClock, SystemClock  # noqa: E402
from bot.conversation import Text, UserRef  # noqa: E402
from bot.notify.campaigns import Campaigns  # noqa: E402
from bot.notify.outbox import NewItem, Outbox, Priority, PushPort  # noqa: E402
from bot.notify.wakeups import Wakeups  # noqa: E402
from bot.store import Database, Users  # noqa: E402

TOKEN = "123456:AAHbenchBroadcastToken000000000000000"
BOT = {"id": 4242, "is_bot": True, "first_name": "Companion", "username": "companion_bench_bot"}
SHANGHAI = ZoneInfo("Asia/Shanghai")


class LimitedBotAPI:
    """sendMessage with Telegram's limits enforced at arrival, after a round-trip delay."""

    def __init__(self, rate: int, rtt: float) -> None:
        self.rate = rate
        self.rtt = rtt
        self.window: collections.deque[float] = collections.deque()
        self.last_by_chat: dict[int, float] = {}
        self.arrivals: list[tuple[int, str, float]] = []
        self.refused = 0
        #: the 429s by the limit they broke: "overall" (N a second) or "chat" (1 a second per chat)
        self.refused_by: collections.Counter[str] = collections.Counter()
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._ids = iter(range(1, 10**9))

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "getMe":
            return web.json_response({"ok": True, "result": BOT})
        body = await request.json() if request.content_type == "application/json" else dict(await request.post())
        now = time.monotonic()
        chat = int(body.get("chat_id", 0))
        while self.window and now - self.window[0] >= 1.0:
            self.window.popleft()
        if len(self.window) >= self.rate or now - self.last_by_chat.get(chat, -10.0) < 1.0:
            self.refused += 1
            self.refused_by["overall" if len(self.window) >= self.rate else "chat"] += 1
            await asyncio.sleep(self.rtt)
            return web.json_response({"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                                      "parameters": {"retry_after": 1}}, status=429)
        self.window.append(now)
        self.last_by_chat[chat] = now
        self.arrivals.append((chat, str(body.get("text", "")), now))
        await asyncio.sleep(self.rtt)
        return web.json_response({"ok": True, "result": {
            "message_id": next(self._ids), "date": 1749088800, "chat": {"id": chat, "type": "private"}, "from": BOT,
            "text": body.get("text", "")}})


async def telegram_sender(api: LimitedBotAPI, db: Database, rate: int, clock) -> tuple[TelegramSender, object]:
    app = build_application(TOKEN, api_url=api.url, webhook=True)
    await app.initialize()
    renderer = Renderer(app, CallbackCodec(db, clock.now), db, clock.now)
    return TelegramSender(renderer, RateLimiter(per_second=rate)), app


async def broadcast(args: argparse.Namespace, folder: Path) -> None:
    api = LimitedBotAPI(args.rate, args.rtt)
    await api.start()
    db = await Database.open(folder / "broadcast.sqlite3")
    clock = SystemClock()
    try:
        users = Users(db)
        now = clock.now()
        ids = [(await users.seen(UserRef("telegram", str(100000 + i)), None, now)).id for i in range(args.recipients)]
        outbox = Outbox(db)
        port = PushPort(outbox, clock)
        sender, app = await telegram_sender(api, db, args.rate, clock)
        port.attach(sender)
        wakeups = Wakeups(clock)
        wakeups.add(port)
        port.on_schedule_change = wakeups.rearm
        campaigns = Campaigns(db, outbox, port)
        campaign = await campaigns.create("broadcast", "bench", created_by="bench", now=now)
        await campaigns.send(campaign, [NewItem(uid, "telegram", (Text("Broadcast: the panel moves to room B."),)) for uid in ids])
        notice = await campaigns.create("notice", "bench notice", created_by="bench", now=now)
        await campaigns.send(notice, [NewItem(uid, "telegram", (Text("Notice: lunch is on the terrace."),)) for uid in ids[::5]])
        reminder_at = now + dt.timedelta(seconds=args.reminder_after)
        reminded = ids[1::max(1, len(ids) // 50)][:50]
        # as the reminder engine plans a burst: the last due at the lead time, one sending slot apart before it
        slot = dt.timedelta(seconds=1 / args.rate)
        for k, uid in enumerate(reminded):
            await port.push(uid, "telegram", [Text("Reminder: the roundtable starts in 15 minutes.")],
                            at=reminder_at - slot * (len(reminded) - 1 - k), dedupe_key="reminder:bench", priority=Priority.REMINDER)
        expected = len(ids) + len(ids[::5]) + len(reminded)
        started = time.monotonic()
        due_monotonic = started + (reminder_at - clock.now()).total_seconds()
        await wakeups.start()
        await port.start()
        deadline = started + expected / args.rate * 3 + 60
        while len(api.arrivals) < expected and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        await asyncio.sleep(1)  # anything arriving twice arrives now
        await port.stop()
        await wakeups.stop()
        await app.shutdown()
    finally:
        await db.close()
        await api.stop()
    taken = max(t for _c, _x, t in api.arrivals) - started if api.arrivals else float("nan")
    seen = collections.Counter((chat, text) for chat, text, _t in api.arrivals)
    floor = max(expected / args.rate, 1.0)
    lost = expected - len(seen)
    duplicated = sum(n - 1 for n in seen.values() if n > 1)
    reminder_delays = [t - due_monotonic for _c, text, t in api.arrivals if text.startswith("Reminder")]
    print(f"broadcast: {len(ids):,} recipients, {len(ids[::5]):,} of them with a second message, {len(reminded)} reminders due after {args.reminder_after:.0f} s")
    print(f"  Bot API: {args.rate} messages/s overall, 1/s per chat, {args.rtt * 1000:.0f} ms round trip")
    print(f"  taken {taken:.1f} s, floor {floor:.1f} s, ratio {taken / floor:.3f} (target <= 1.05)")
    print(f"  lost {lost}, duplicated {duplicated}, 429s drawn {api.refused} {dict(api.refused_by)} (targets 0)")
    if reminder_delays:
        print(f"  reminders (planned over {len(reminded) / args.rate:.1f} s before their lead time): the last {max(reminder_delays):+.2f} s from the lead time (target <= 2 s late)")


async def burst(args: argparse.Namespace, folder: Path) -> None:
    """One session's followers, reminded through the real engine and sender against the limited API."""
    from bot.app import build_core
    from bot.config import Settings

    api = LimitedBotAPI(args.rate, args.rtt)
    await api.start()
    due = dt.datetime(2025, 6, 5, 13, 30, tzinfo=SHANGHAI)  # Stream 3's first session starts at 13:45: 15 minutes before
    lead_in = args.followers / args.rate + 10
    clock = OffsetClock(due - dt.timedelta(seconds=lead_in))
    settings = Settings.from_env({}, db=folder / "burst.sqlite3")
    core = await build_core(settings, clock)
    try:
        now = clock.now().isoformat()
        async with core.db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO users (channel, platform_id, created_at, last_seen_at) VALUES ('telegram', ?, ?, ?)",
                [(str(200000 + i), now, now) for i in range(args.followers)],
            )
            await conn.execute("INSERT INTO stream_subscriptions (user_id, stream_id, created_at) SELECT id, 's3', ? FROM users", (now,))
        sender, app = await telegram_sender(api, core.db, args.rate, clock)
        core.push.attach(sender)
        await core.services.reminders.reconcile()  # planned now that the sender's rate is known
        pending = [d for uid in range(1, args.followers + 1) for sid, d in await core.services.reminders.pending(uid) if sid == "s3-cases"]
        started_wall = time.monotonic()
        started_clock = clock.now()
        await core.start()
        deadline = started_wall + lead_in + 60
        while sum(1 for _c, text, _t in api.arrivals if "Stream 3: use-case presentations" in text) < args.followers and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        await app.shutdown()
    finally:
        await core.close()
        await api.stop()
    arrivals = [started_clock + dt.timedelta(seconds=t - started_wall) for _c, text, t in api.arrivals if "Stream 3: use-case presentations" in text]
    late = max((a - due).total_seconds() for a in arrivals) if arrivals else float("nan")
    print(f"burst: {args.followers:,} followers of one session, reminders due {due:%H:%M} (15 minutes before it starts)")
    print(f"  planned from {min(pending):%H:%M:%S} to {max(pending):%H:%M:%S}; {len(arrivals):,} delivered, {api.refused} 429s")
    print(f"  the last delegate reminded {max(late, 0):.2f} s late (target 0), the first {(due - min(arrivals)).total_seconds():.0f} s before the lead time")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--followers", type=int, default=5_000)
    parser.add_argument("--rate", type=int, default=30)
    parser.add_argument("--rtt", type=float, default=0.05)
    parser.add_argument("--reminder-after", type=float, default=20.0, help="seconds into the broadcast the reminders fall due")
    parser.add_argument("--quick", action="store_true", help="1,000 recipients and 500 followers")
    parser.add_argument("--only", choices=("broadcast", "burst"))
    args = parser.parse_args()
    if args.quick:
        args.recipients, args.followers = 1_000, 500
    with tempfile.TemporaryDirectory() as folder:
        if args.only in (None, "broadcast"):
            await broadcast(args, Path(folder))
        if args.only in (None, "burst"):
            await burst(args, Path(folder))


if __name__ == "__main__":
    asyncio.run(main())
