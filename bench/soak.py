"""Soak: the real bot (``python -m bot run``) under mixed load, killed with -9 half-way and restarted.

The bot runs as a subprocess with its own database and a copy of the shipped
programme in a temporary folder, Telegram in long polling against a fake Bot
API and WeChat (plain mode) against a fake WeChat API, both served by this
script on 127.0.0.1; the script posts signed WeChat callbacks to the bot's
``/wechat``, signed with the bot's clock (it refuses a timestamp more than 5
minutes away, and under ``--at`` its clock is the rehearsal time).

For ``--minutes`` (5; ``--quick``: 1), starting at the rehearsal instant
``--at``:

* 200 delegates (``--delegates``), half on each channel, half of each in
  English and half in Chinese, first set a lead time and bookmark one
  session, chosen so that each delegate's one reminder falls due during the
  run (on the minutes of the run, half of them on the minute of the kill);
  a quarter also bookmark the two sessions the edits change;
* then they ask at a steady rate (``--rate`` a second per channel, each
  delegate waiting for an answer and a few seconds more before asking again):
  today, next, now, /session ids, search words, plain-word questions in
  English and Chinese; well under the bot's flood limits (20 at once, 30 a
  minute);
* one Telegram flooder sends ``--flood-rate`` messages a second (10);
* the programme file is edited every minute (``--quick``: every 20 s) and the
  bot told by SIGHUP: one session renamed, another moved (neither is one
  whose reminders are measured), so the delegates who bookmarked them get a
  change notice (the bot runs with ``BOT_NOTICE_QUIET_MINUTES=0``, so each
  edit makes its own notice);
* half-way the bot is killed with SIGKILL and restarted at once on the same
  database, with ``--at`` moved on so its clock continues: by default
  0.3 s after the first reminder of the minute nearest half-way reaches a
  fake, so pushes are in flight (``--kill-at``: at that second instead).

Measured: answers per channel and their latency (Telegram: from the update
being available to getUpdates until the answer's first message reaches the
fake; WeChat: the callback's round trip, WeChat's retries included, or until
a late reply's customer-service message arrives), the flooder's figures
separately; reminders delivered, lost and duplicated against the in-flight
count the restarted bot logs; change notices; the bot's peak RSS (VmHWM,
both runs). The baseline, measured in the same run with the same fakes and
the same request pattern (``--baseline-seconds``: the questions on both
channels and the flooder; no setup, reminders or edits), is a bare PTB echo
bot in long polling (built as the bot builds its application) and a bare
aiohttp handler checking the signature and echoing passive replies, in one
subprocess. A Telegram answer that arrives within 1.1 s of a push to the
same chat is marked: the bot keeps Telegram's one message a second per chat
between its answers, and between a push and whatever came before it.

Targets (issue 14): 0 reminders lost, duplicates <= in flight at the kill, p99
under 1 s for everyone but the flooder.

    .venv/bin/python bench/soak.py            # 5 minutes, plus a 1-minute baseline: about 7 minutes
    .venv/bin/python bench/soak.py --quick    # 1 minute, plus a 15-second baseline: about 2 minutes
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this folder comes first on sys.path, and bench/telegram.py is named like the library
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import collections  # noqa: E402
import contextlib  # noqa: E402
import datetime as dt  # noqa: E402
import hashlib  # noqa: E402
import html  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import sqlite3  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402

ROOT = _HERE.parent

#: shaped like a real token (digits, a colon, 35 characters), so the bot's log redaction sees the real shape
TELEGRAM_TOKEN = "424242:AAHsoakBenchToken00000000000000000"
WECHAT_TOKEN = "soak-token"
WECHAT_APPID = "wxs0a4bench00000"
WECHAT_SECRET = "soak-app-secret"
ACCOUNT = "gh_soakaccount"
BOT_USER = {"id": 424242, "is_bot": True, "first_name": "Companion", "username": "companion_soak_bot",
            "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}
DEFAULT_AT = "2025-06-05T10:59:30+08:00"
FLOODER_ID = 7_000_000
TELEGRAM_FIRST_ID = 5_000_001
#: WeChat gives up on an answer after 5 seconds and retries, three times at most
WECHAT_TIMEOUT = 5.0
WECHAT_RETRIES = 3
#: a delegate reads the answer this long at least before asking again
THINK_SECONDS = 5.0
#: how long a delegate waits for an answer before giving up on it
ANSWER_PATIENCE = 60.0
#: ... and during the setup, which must be over before the first reminder falls due
SETUP_PATIENCE = 10.0
#: the bot starts this long before the run's first instant (--at), so its start-up is not in the run
PREROLL = 8.0
#: the renamed session's title gets this, with the edit's number (a notice says which edit it is for)
REVISION = " [rev {n}]"
REVISION_RE = re.compile(r"\[rev (\d+)\]")
MOVE = dt.timedelta(minutes=30)
#: the kill comes this long (on the bot's clock) before the reminders of the minute nearest half-way fall due ...
KILL_BEFORE_DUE = 1.5
#: ... or, sooner, this long after the first of them reaches a fake: during the burst, so pushes are in flight
KILL_INTO_BURST = 0.3
_TAG = re.compile(r"<[^>]*>")

QUERIES = {
    "en": ["today", "what's next", "now", "what's on now", "tomorrow", "day 2", "streams", "stream 2",
           "my agenda", "programme", "venues", "where is Liurong", "help", "what is on today", "coming up"],
    "zh_Hans": ["今天", "下一个", "现在", "现在有什么", "明天", "第2天", "分论坛", "分论坛2", "我的日程", "日程",
                "会场", "怎么去六榕", "帮助", "今天有什么", "接下来"],
}
SEARCHES = {
    "en": ["Bogotá", "mobility", "Seoul", "roundtable", "energy", "Liurong", "workshop", "dinner", "care", "transport"],
    "zh_Hans": ["波哥大", "交通", "首尔", "圆桌", "能源", "六榕", "工作坊", "晚宴", "关爱", "社区"],
}
#: the words a delegate types on WeChat (no slash commands there), and on Telegram
WORDS = {
    ("telegram", "en"): {"search": "/search {q}", "session": "/session {id}", "lead": "/reminders {n}", "bookmark": "/bookmark {id}", "ok": "ok"},
    ("telegram", "zh_Hans"): {"search": "搜索 {q}", "session": "/session {id}", "lead": "/reminders {n}", "bookmark": "/bookmark {id}", "ok": "好的"},
    ("wechat", "en"): {"search": "search {q}", "session": "session {id}", "lead": "reminders {n}", "bookmark": "bookmark {id}", "ok": "ok"},
    ("wechat", "zh_Hans"): {"search": "搜索 {q}", "session": "详情 {id}", "lead": "提醒 {n}", "bookmark": "收藏 {id}", "ok": "好的"},
}


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile (nan for none)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def ms(value: float) -> str:
    return "—" if math.isnan(value) else f"{value * 1000:,.0f} ms"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sign(*parts: str) -> str:
    """WeChat's signature: SHA-1 of the sorted parts, concatenated."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def plain(text: str) -> str:
    """A Telegram text as the delegate reads it (the bot sends HTML)."""
    return html.unescape(_TAG.sub("", text))


def read_status(pid: int) -> dict[str, int]:
    """VmHWM and VmRSS of a process, in kB (empty once it is gone)."""
    out: dict[str, int] = {}
    with contextlib.suppress(OSError):
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(("VmHWM:", "VmRSS:")):
                    name, value = line.split(":", 1)
                    out[name] = int(value.split()[0])
    return out


# -- what the delegates read: markers from the bot's own catalogs ---------------


@dataclass
class Scan:
    reminders: list[str] = field(default_factory=list)
    notice: bool = False
    revision: int | None = None
    slow_down: bool = False
    apology: bool = False


class Markers:
    """Recognises reminders, change notices, the flood warning and apologies in any language the delegates use.

    The texts come from the bot's catalogs, so a translation change does not
    break the count: a reminder ends with "Details: /session <id>" (only
    reminders say it), a notice with "Your agenda and reminders follow the
    new programme".
    """

    def __init__(self, tags: tuple[str, ...]) -> None:
        from bot.i18n import Catalogs
        from bot.resources import resource_dir

        catalogs = Catalogs.load(resource_dir("locales"))
        self.reminder: list[re.Pattern[str]] = []
        self.notice: list[str] = []
        self.slow: list[str] = []
        self.apologies: list[str] = []
        for tag in tags:
            gettext = catalogs.get(tag).translations.gettext
            before, _, after = gettext("Details: /session {id}").partition("{id}")
            self.reminder.append(re.compile(re.escape(before) + r"([A-Za-z0-9_-]+)" + re.escape(after)))
            self.notice.append(gettext("Your agenda and reminders follow the new programme: /myagenda").split(":")[0].split("：")[0])
            self.slow.append(gettext("You are sending messages faster than I can read them. I will answer again in a moment."))
            self.apologies.append(gettext("Sorry, I was interrupted while answering that. Please send it again."))
            self.apologies.append(gettext("Sorry, something went wrong on my side. Please try again in a moment."))

    def scan(self, text: str) -> Scan:
        found = Scan()
        for pattern in self.reminder:
            found.reminders += pattern.findall(text)
        if any(marker in text for marker in self.notice):
            found.notice = True
            revisions = [int(n) for n in REVISION_RE.findall(text)]
            found.revision = max(revisions) if revisions else None
        found.slow_down = any(marker in text for marker in self.slow)
        found.apology = any(marker in text for marker in self.apologies)
        return found


# -- the delegates and what they asked --------------------------------------------


@dataclass(eq=False)
class Query:
    channel: str
    kind: str  # setup, query, flood, collect
    text: str
    sent: float  # monotonic: the update available, or the callback's first attempt
    answered: float | None = None
    answer: str = ""
    late: bool = False
    attempts: int = 1
    statuses: list[int] = field(default_factory=list)
    failed: bool = False
    apology: bool = False
    #: seconds from the last push (a reminder, a notice) to the same chat until this answer, if one came while it was asked
    after_push: float | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def latency(self) -> float | None:
        return None if self.answered is None else self.answered - self.sent


@dataclass(eq=False)
class Delegate:
    index: int
    channel: str
    lang: str
    platform_id: str
    session: str
    due: dt.datetime
    lead: int
    concerned: bool
    setup_ok: bool = False
    outstanding: Query | None = None
    late: Query | None = None
    idle_at: float = 0.0
    last_push: float = -math.inf
    reminders: list[tuple[str, float, str]] = field(default_factory=list)
    notices: list[tuple[int | None, float, str]] = field(default_factory=list)

    def words(self, key: str, **values: object) -> str:
        return WORDS[(self.channel, self.lang)][key].format(**values)


class PlanError(Exception):
    pass


@dataclass
class Plan:
    """Who bookmarks what with which lead time, so each delegate's reminder falls due during the run."""

    start: dt.datetime
    seconds: float
    delegates: list[Delegate]
    dues: list[dt.datetime]
    renamed: str
    moved: str
    kill_at: float
    kill_in_burst: bool
    kill_due: dt.datetime
    edit_times: list[float]

    @classmethod
    def build(cls, programme: Any, args: argparse.Namespace) -> Plan:
        from bot.notify.reminders import moment_of

        start: dt.datetime = args.at
        seconds = args.minutes * 60
        end = start + dt.timedelta(seconds=seconds)
        first = start + dt.timedelta(seconds=args.setup_seconds + 5)
        due = first.replace(second=0, microsecond=0)
        if due < first:
            due += dt.timedelta(minutes=1)
        dues = []
        while due <= end - dt.timedelta(seconds=25):
            dues.append(due)
            due += dt.timedelta(minutes=1)
        if not dues:
            raise PlanError(
                f"no whole minute between {args.setup_seconds + 5:.0f} s after --at and 25 s before the end: "
                "reminders fall due on whole minutes; choose an --at some seconds before a minute (e.g. hh:mm:30)")
        sessions = [s for s in programme.sessions if not s.cancelled]
        later = sorted((s for s in sessions if s.site_visit is None), key=lambda s: s.start, reverse=True)
        if len(later) < 2:
            raise PlanError("the programme needs two sessions (not site visits) to edit")
        renamed, moved = later[0], later[1]
        candidates = [
            s for s in sessions
            if s.id not in (renamed.id, moved.id) and moment_of(s).second == 0
            and end + dt.timedelta(minutes=2) <= moment_of(s) <= dues[0] + dt.timedelta(minutes=1440)
        ]
        candidates.sort(key=moment_of)
        candidates = candidates[:6]
        if not candidates:
            raise PlanError(f"no session starts (or leaves) within a day after {end.isoformat()}: choose an --at earlier in the event")
        middle = start + dt.timedelta(seconds=args.kill_at if args.kill_at is not None else seconds / 2)
        kill_due = min(dues, key=lambda d: abs((d - middle).total_seconds()))
        # by default during the Telegram burst of that minute (planned to end a second before it)
        kill_at = args.kill_at if args.kill_at is not None else (kill_due - start).total_seconds() - KILL_BEFORE_DUE
        others = [d for d in dues if d != kill_due] or [kill_due]
        rng = random.Random(args.seed)
        delegates = []
        for i in range(args.delegates):
            channel = "telegram" if i % 2 == 0 else "wechat"
            lang = "zh_Hans" if (i // 2) % 2 else "en"
            session = candidates[i % len(candidates)]
            # half of them on the minute of the kill, so pushes are in flight when it comes
            due_at = kill_due if i % 4 < 2 else others[(i // 4) % len(others)]
            lead = int((moment_of(session) - due_at).total_seconds() // 60)
            platform_id = str(TELEGRAM_FIRST_ID + i) if channel == "telegram" else f"o_soak_{i:021d}"
            delegates.append(Delegate(i, channel, lang, platform_id, session.id, due_at, lead, concerned=(i // 4) % 4 == 0))
        rng.shuffle(delegates)
        longest = max(d.lead for d in delegates)
        quiet = end + dt.timedelta(seconds=args.drain + 600)
        for edited in (renamed, moved):
            if moment_of(edited) - dt.timedelta(minutes=longest) <= quiet:
                raise PlanError(f"{edited.id}, edited during the run, would be reminded during it: choose an --at earlier in the event")
        edit_times = []
        t = max(args.edit_every, args.setup_seconds + 5)  # after the delegates have bookmarked what is edited
        while t <= seconds - 15:
            edit_times.append(t)
            t += args.edit_every
        return cls(start, seconds, delegates, dues, renamed.id, moved.id, kill_at, args.kill_at is None, kill_due, edit_times)


class Edits:
    """The programme file's edits, made and checked with the bot's own loader before the run."""

    def __init__(self, source: Path, target: Path, plan: Plan) -> None:
        from bot.programme import load_programme

        self.target = target
        self.source_text = source.read_text(encoding="utf-8")
        programme = load_programme(source)
        zone = programme.zone
        renamed = next(s for s in programme.sessions if s.id == plan.renamed)
        moved = next(s for s in programme.sessions if s.id == plan.moved)
        self.versions: list[str] = []
        check = target.with_name("check.yaml")
        for n in range(1, len(plan.edit_times) + 1):
            text = self._rename(self.source_text, renamed, n)
            shift = MOVE if n % 2 else dt.timedelta(0)
            text = self._move(text, moved, shift, zone)
            check.write_text(text, encoding="utf-8")
            edited = {s.id: s for s in load_programme(check).sessions}
            title = edited[plan.renamed].title
            assert REVISION.format(n=n) in (title if isinstance(title, str) else title.get("en", "")), "the rename did not take"
            assert edited[plan.moved].start == moved.start + shift, "the move did not take"
            self.versions.append(text)
        check.unlink(missing_ok=True)
        self.applied: list[tuple[int, float]] = []

    @staticmethod
    def _block(text: str, session_id: str) -> tuple[int, int]:
        match = re.search(rf"^  - id: {re.escape(session_id)}\s*$", text, re.MULTILINE)
        assert match is not None, f"session {session_id} not found as '  - id: {session_id}'"
        following = re.compile(r"^(  - |\S)", re.MULTILINE).search(text, match.end())
        return match.start(), following.start() if following else len(text)

    def _rename(self, text: str, session: Any, n: int) -> str:
        start, end = self._block(text, session.id)
        block = text[start:end]
        suffix = REVISION.format(n=n)
        if isinstance(session.title, str):
            block = re.sub(r"^    title: .*$", "    title: " + json.dumps(session.title + suffix, ensure_ascii=False), block, count=1, flags=re.MULTILINE)
        else:
            for tag, value in session.title.items():
                block = re.sub(rf"^(      {re.escape(tag)}: ).*$", lambda m, v=value: m.group(1) + json.dumps(v + suffix, ensure_ascii=False),
                               block, count=1, flags=re.MULTILINE)
        return text[:start] + block + text[end:]

    def _move(self, text: str, session: Any, shift: dt.timedelta, zone: Any) -> str:
        start, end = self._block(text, session.id)
        block = text[start:end]
        for key, value in (("start", session.start), ("end", session.end)):
            local = (value + shift).astimezone(zone).strftime("%Y-%m-%dT%H:%M")
            block = re.sub(rf"^    {key}: .*$", f"    {key}: {local}", block, count=1, flags=re.MULTILINE)
        return text[:start] + block + text[end:]

    def apply(self, n: int) -> None:
        """Edit ``n`` (from 1), written whole under another name and renamed over the file, as an editor saves."""
        part = self.target.with_name(self.target.name + ".part")
        part.write_text(self.versions[n - 1], encoding="utf-8")
        os.replace(part, self.target)
        self.applied.append((n, time.monotonic()))


# -- the fake platforms -------------------------------------------------------------


class FakeBotAPI:
    """The Bot API as this bot and PTB use it: long polling, sends, with Telegram's 30 messages a second (429 above)."""

    def __init__(self, rtt: float, rate: int = 30) -> None:
        self.rtt = rtt
        self.rate = rate
        self.url = ""
        self.observer: Any = None
        self.updates: list[dict[str, Any]] = []
        self.available: dict[int, float] = {}
        self._arrived = asyncio.Condition()
        self._ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._window: collections.deque[float] = collections.deque()
        self.refused = 0
        self.refusals: list[tuple[float, float]] = []
        self.calls: collections.Counter[str] = collections.Counter()
        self.polls = 0
        self._closing = False
        self._runner: Any = None

    async def start(self) -> None:
        from aiohttp import web

        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        async with self._arrived:  # long polls still waiting answer now
            self._closing = True
            self._arrived.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    def next_update_id(self) -> int:
        return next(self._ids)

    async def push(self, update: dict[str, Any]) -> float:
        """Queue an update for getUpdates; returns when it became available."""
        async with self._arrived:
            self.updates.append(update)
            at = self.available[update["update_id"]] = time.monotonic()
            self._arrived.notify_all()
        return at

    def drop_queued(self) -> None:
        self.updates.clear()

    async def _params(self, request: Any) -> dict[str, Any]:
        from aiohttp import web

        if request.content_type == "application/json":
            body = await request.json()
            return body if isinstance(body, dict) else {}
        params: dict[str, Any] = {}
        if request.method == "GET":
            params.update(request.query)
            return params
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                params[name] = f"attach://{name}"
                continue
            try:
                params[name] = json.loads(value) if value[:1] in "[{" else value
            except json.JSONDecodeError:
                params[name] = value
        return params

    async def handle(self, request: Any) -> Any:
        from aiohttp import web

        method = request.match_info["method"]
        if request.match_info["token"] != TELEGRAM_TOKEN:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        try:
            params = await self._params(request)
        except ConnectionError:  # the bot was killed while sending
            return web.Response(status=499)
        self.calls[method] += 1
        if method == "getMe":
            return web.json_response({"ok": True, "result": BOT_USER})
        if method == "getUpdates":
            return web.json_response({"ok": True, "result": await self._get_updates(params)})
        if method == "deleteWebhook":
            if str(params.get("drop_pending_updates", "")).lower() == "true":
                self.updates.clear()
            return web.json_response({"ok": True, "result": True})
        if method.startswith(("send", "edit", "copy", "forward")):
            now = time.monotonic()
            while self._window and now - self._window[0] >= 1.0:
                self._window.popleft()
            if len(self._window) >= self.rate:
                self.refused += 1
                # when, and how long the last ``rate`` arrivals took: just under a second is the senders' jitter
                self.refusals.append((now, now - self._window[0]))
                return web.json_response({"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                                          "parameters": {"retry_after": 1}}, status=429)
            self._window.append(now)
            chat = int(params.get("chat_id") or 0)
            text = str(params.get("text") or params.get("caption") or params.get("title") or "")
            if self.observer is not None:
                self.observer.telegram_message(chat, method, plain(text), now)
            if self.rtt:
                await asyncio.sleep(self.rtt)
            message: dict[str, Any] = {
                "message_id": int(params["message_id"]) if "message_id" in params else next(self._message_ids),
                "date": int(time.time()), "chat": {"id": chat, "type": "private", "first_name": "Delegate"}, "from": BOT_USER,
            }
            if method in ("sendMessage", "editMessageText"):
                message["text"] = plain(text)
            elif method in ("sendLocation", "sendVenue"):
                location = {"latitude": float(params.get("latitude", 0)), "longitude": float(params.get("longitude", 0))}
                message["location"] = location
                if method == "sendVenue":
                    message["venue"] = {"location": location, "title": params.get("title", ""), "address": params.get("address", "")}
            elif method == "sendPhoto":
                message["photo"] = [{"file_id": "p1", "file_unique_id": "up1", "width": 10, "height": 10}]
            elif method == "sendDocument":
                message["document"] = {"file_id": "d1", "file_unique_id": "ud1"}
            return web.json_response({"ok": True, "result": message})
        return web.json_response({"ok": True, "result": True})

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        self.polls += 1
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        async with self._arrived:
            if offset:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]

            def ready() -> bool:
                return self._closing or any(u["update_id"] >= offset for u in self.updates)

            if not ready() and timeout > 0:
                with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                    await asyncio.wait_for(self._arrived.wait_for(ready), timeout)
            return [u for u in self.updates if u["update_id"] >= offset][:limit]


class FakeWeChatAPI:
    """api.weixin.qq.com as the bot uses it, with the customer-service budget enforced (45047 above it)."""

    def __init__(self, rtt: float, messages: int = 5, event_messages: int = 3, event_seconds: float = 60.0) -> None:
        self.rtt = rtt
        self.messages = messages
        self.event_messages = event_messages
        self.event_seconds = event_seconds
        self.url = ""
        self.observer: Any = None
        self.languages: dict[str, str] = {}
        #: openid -> [message window opened (monotonic), spent in it, event window opened, spent in it]
        self._windows: dict[str, list[float]] = {}
        self.sent = 0
        self.refused = 0
        self.templates = 0
        self.tokens = 0
        self._runner: Any = None

    async def start(self) -> None:
        from aiohttp import web

        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", self._custom)
        app.router.add_post("/cgi-bin/message/template/send", self._template)
        app.router.add_get("/cgi-bin/user/info", self._user_info)
        app.router.add_post("/cgi-bin/media/upload", self._upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def opened(self, openid: str, *, event: bool) -> None:
        """The follower wrote (a message) or clicked, followed or scanned (an event): WeChat opens their window."""
        window = self._windows.setdefault(openid, [-math.inf, 0, -math.inf, 0])
        if event:
            window[2], window[3] = time.monotonic(), 0
        else:
            window[0], window[1] = time.monotonic(), 0

    def _allowed(self, openid: str) -> bool:
        window = self._windows.get(openid)
        if window is None:
            return False
        now = time.monotonic()
        by_message = window[0] > -math.inf and window[1] < self.messages
        by_event = now - window[2] < self.event_seconds and window[3] < self.event_messages
        if not (by_message or by_event):
            return False
        window[1] += 1
        window[3] += 1
        return True

    def _token_ok(self, request: Any) -> bool:
        return request.query.get("access_token", "").startswith("soak-access-")

    async def _token(self, request: Any) -> Any:
        from aiohttp import web

        if request.query.get("appid") != WECHAT_APPID or request.query.get("secret") != WECHAT_SECRET:
            return web.json_response({"errcode": 40125, "errmsg": "invalid appsecret"})
        self.tokens += 1
        return web.json_response({"access_token": f"soak-access-{self.tokens}", "expires_in": 7200})

    async def _custom(self, request: Any) -> Any:
        from aiohttp import web

        if not self._token_ok(request):
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        body = await request.json()
        openid = str(body.get("touser", ""))
        if not self._allowed(openid):
            self.refused += 1
            return web.json_response({"errcode": 45047, "errmsg": "out of response count limit"})
        now = time.monotonic()
        self.sent += 1
        text = body.get("text", {}).get("content", "") if body.get("msgtype") == "text" else ""
        if self.observer is not None:
            self.observer.wechat_push(openid, text, now)
        if self.rtt:
            await asyncio.sleep(self.rtt)
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _template(self, request: Any) -> Any:
        from aiohttp import web

        if not self._token_ok(request):
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        self.templates += 1
        return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": self.templates})

    async def _user_info(self, request: Any) -> Any:
        from aiohttp import web

        openid = request.query.get("openid", "")
        info: dict[str, Any] = {"subscribe": 1, "openid": openid}
        if openid in self.languages:
            info["language"] = self.languages[openid]
        return web.json_response(info)

    async def _upload(self, request: Any) -> Any:
        from aiohttp import web

        await request.read()
        return web.json_response({"type": request.query.get("type", "image"), "media_id": "soak-media", "created_at": int(time.time())})


# -- the bot (or the baseline) as a subprocess ----------------------------------------


@dataclass
class Run:
    """One process of the bot."""

    number: int
    at: dt.datetime
    launched: float
    proc: Any
    log: Path
    ready: float | None = None
    hwm_kb: int = 0
    exit_code: int | None = None
    killed: bool = False
    stop_seconds: float | None = None


class BotProcess:
    def __init__(self, name: str, command: list[str], env: dict[str, str], folder: Path, ready_lines: tuple[str, ...]) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.folder = folder
        self.ready_lines = ready_lines
        self.runs: list[Run] = []
        self.stopping = False
        #: runs that ended by themselves (a crash), with their exit codes
        self.crashed: list[tuple[int, int]] = []

    @property
    def current(self) -> Run:
        return self.runs[-1]

    async def start(self, at: dt.datetime | None) -> Run:
        number = len(self.runs) + 1
        log = self.folder / f"{self.name}-{number}.log"
        handle = open(log, "wb")  # noqa: SIM115 - the child writes it; closed when the process is reaped
        command = [*self.command, *(["--at", at.isoformat()] if at is not None else [])]
        launched = time.monotonic()
        proc = await asyncio.create_subprocess_exec(*command, cwd=ROOT, env=self.env, stdout=handle, stderr=asyncio.subprocess.STDOUT,
                                                    stdin=asyncio.subprocess.DEVNULL)
        handle.close()
        run = Run(number, at or dt.datetime.now(dt.timezone.utc), launched, proc, log)
        self.runs.append(run)
        return run

    async def wait_ready(self, run: Run, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = run.log.read_text(encoding="utf-8", errors="replace")
            if all(line in text for line in self.ready_lines):
                run.ready = time.monotonic()
                return
            if run.proc.returncode is not None:
                raise RuntimeError(f"{self.name} exited with {run.proc.returncode} before it was ready:\n{text[-3000:]}")
            self.sample(run)
            await asyncio.sleep(0.05)
        raise RuntimeError(f"not ready after {timeout:.0f} s; its log:\n{run.log.read_text(encoding='utf-8', errors='replace')[-3000:]}")

    def sample(self, run: Run | None = None) -> None:
        run = run or self.current
        if run.proc.returncode is None:
            status = read_status(run.proc.pid)
            run.hwm_kb = max(run.hwm_kb, status.get("VmHWM", 0))
        elif not run.killed and not self.stopping and run.exit_code is None:
            run.exit_code = run.proc.returncode
            self.crashed.append((run.number, run.proc.returncode))

    async def kill(self) -> None:
        run = self.current
        self.sample(run)
        run.killed = True
        with contextlib.suppress(ProcessLookupError):
            run.proc.send_signal(signal.SIGKILL)
        run.exit_code = await run.proc.wait()

    async def stop(self) -> None:
        run = self.current
        self.stopping = True
        if run.proc.returncode is not None:
            run.exit_code = run.proc.returncode
            return
        self.sample(run)
        asked = time.monotonic()
        with contextlib.suppress(ProcessLookupError):
            run.proc.send_signal(signal.SIGTERM)
        try:
            run.exit_code = await asyncio.wait_for(run.proc.wait(), 60)
        except (TimeoutError, asyncio.TimeoutError):
            run.proc.send_signal(signal.SIGKILL)
            run.exit_code = await run.proc.wait()
        run.stop_seconds = time.monotonic() - asked

    def signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.current.proc.send_signal(sig)


# -- the load ---------------------------------------------------------------------------


class Ledger:
    """Everything the delegates sent and received in one phase (the baseline or the soak)."""

    def __init__(self, markers: Markers, delegates: list[Delegate]) -> None:
        self.markers = markers
        self.by_chat = {int(d.platform_id): d for d in delegates if d.channel == "telegram"}
        self.by_openid = {d.platform_id: d for d in delegates if d.channel == "wechat"}
        self.queries: list[Query] = []
        self.flood: dict[int, Query] = {}
        self.flood_warnings = 0
        self.flood_other = 0
        self.extra_messages: collections.Counter[str] = collections.Counter()
        self.stray = 0
        #: per bot run: (lower, upper) bounds of how far the bot's clock is behind ours
        self.lag: dict[int, list[float]] = collections.defaultdict(lambda: [-math.inf, math.inf])
        #: the first reminder of the kill's minute reaching a fake (the burst has begun)
        self.burst_due: dt.datetime | None = None
        self.burst_seen = asyncio.Event()
        self.burst_at: float | None = None

    def _pushes(self, d: Delegate, scan: Scan, at: float, via: str) -> None:
        if via == "push":
            d.last_push = at
            if scan.reminders and d.due == self.burst_due and self.burst_at is None:
                self.burst_at = at
                self.burst_seen.set()
        for sid in scan.reminders:
            d.reminders.append((sid, at, via))
        if scan.notice:
            d.notices.append((scan.revision, at, via))

    def telegram_message(self, chat: int, method: str, text: str, at: float) -> None:
        if chat == FLOODER_ID:
            tokens = re.findall(r"zq(\d+)", text)
            query = self.flood.get(int(tokens[0])) if tokens else None
            if query is not None and query.answered is None:
                query.answered, query.answer = at, text
            elif self.markers.scan(text).slow_down:
                self.flood_warnings += 1
            else:
                self.flood_other += 1
            return
        d = self.by_chat.get(chat)
        if d is None:
            self.stray += 1
            return
        scan = self.markers.scan(text)
        if scan.reminders or scan.notice:
            self._pushes(d, scan, at, "push")
            return
        query = d.outstanding
        if query is not None and query.answered is None:
            query.answered, query.answer, query.apology = at, text, scan.apology
            if d.last_push >= query.sent - 1.0:  # Telegram's one message a second per chat may have held this answer
                query.after_push = at - d.last_push
            d.outstanding = None
            d.idle_at = at + THINK_SECONDS
            query.done.set()
        else:
            self.extra_messages["telegram"] += 1  # the next message of an answer (a long text, a venue's map)

    def wechat_push(self, openid: str, text: str, at: float) -> None:
        d = self.by_openid.get(openid)
        if d is None:
            self.stray += 1
            return
        scan = self.markers.scan(text)
        if scan.reminders or scan.notice:
            self._pushes(d, scan, at, "push")
            return
        query = d.late
        if query is not None and query.answered is None:
            query.answered, query.answer, query.apology = at, text, scan.apology
            d.late = None
            d.outstanding = None
            d.idle_at = at + THINK_SECONDS
            query.done.set()
        else:
            self.extra_messages["wechat"] += 1  # the rest of a long reply, pushed after the passive first part

    def wechat_passive(self, d: Delegate, text: str, at: float) -> None:
        """A passive reply: pushes held while the window was closed come at its top."""
        scan = self.markers.scan(text)
        if scan.reminders or scan.notice:
            self._pushes(d, scan, at, "held")

    def note_clock(self, run: int, bot_seconds: int, ours_sent: float, ours_received: float) -> None:
        """A passive reply's CreateTime (the bot's clock, whole seconds) bounds how far it is behind ours."""
        bounds = self.lag[run]
        bounds[0] = max(bounds[0], ours_sent - bot_seconds - 1)
        bounds[1] = min(bounds[1], ours_received - bot_seconds)

    def lag_of(self, run: int) -> float:
        low, high = self.lag[run]
        if math.isinf(low) or math.isinf(high):
            return 0.0
        return (low + high) / 2 if low <= high else high


class Load:
    """Simulated delegates talking to whatever serves the fakes and ``/wechat``."""

    def __init__(self, args: argparse.Namespace, plan: Plan, telegram: FakeBotAPI, wechat: FakeWeChatAPI, http_port: int,
                 ledger: Ledger, clock_origin: tuple[dt.datetime, float], programme_ids: list[str]) -> None:
        import aiohttp

        self.args = args
        self.plan = plan
        self.telegram = telegram
        self.wechat = wechat
        self.url = f"http://127.0.0.1:{http_port}/wechat"
        self.ledger = ledger
        self.origin = clock_origin
        self.rng = random.Random(args.seed + 1)
        self.session_ids = programme_ids
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=aiohttp.ClientTimeout(total=WECHAT_TIMEOUT))
        self._msg_ids = itertools.count(6_100_000_000_000_000_000)
        self._nonces = itertools.count(100_000)
        self._message_ids = itertools.count(1)
        self._flood_tokens = itertools.count(1)
        self.tasks: set[asyncio.Task[Any]] = set()
        self.skipped: collections.Counter[str] = collections.Counter()
        self.run_of: Any = lambda at: 1

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=5)
        await self.http.close()

    def spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def ours(self, at: float | None = None) -> float:
        """Our idea of the bot's clock (epoch seconds): the rehearsal time, flowing from the first launch."""
        start, launched = self.origin
        return start.timestamp() + ((time.monotonic() if at is None else at) - launched)

    # -- asking --------------------------------------------------------------------

    async def ask(self, d: Delegate, text: str | None, kind: str, event: str | None = None) -> Query:
        patience = SETUP_PATIENCE if kind == "setup" else ANSWER_PATIENCE
        if d.channel == "telegram":
            return await self.telegram_ask(d, text or "", kind, patience)
        return await self.wechat_ask(d, text, kind, event, patience)

    async def telegram_ask(self, d: Delegate, text: str, kind: str, patience: float) -> Query:
        chat = int(d.platform_id)
        message: dict[str, Any] = {
            "message_id": next(self._message_ids), "date": int(self.ours()),
            "chat": {"id": chat, "type": "private", "first_name": f"Delegate {d.index}"},
            "from": {"id": chat, "is_bot": False, "first_name": f"Delegate {d.index}", "language_code": "en" if d.lang == "en" else "zh-hans"},
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        query = Query("telegram", kind, text, time.monotonic())
        d.outstanding = query
        self.ledger.queries.append(query)
        query.sent = await self.telegram.push({"update_id": self.telegram.next_update_id(), "message": message})
        with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
            await asyncio.wait_for(query.done.wait(), patience)
        if d.outstanding is query:
            d.outstanding = None
            d.idle_at = time.monotonic()
        return query

    async def flood(self, until: float) -> None:
        """One Telegram user sending ``--flood-rate`` messages a second, each a search with its own word."""
        interval = 1 / self.args.flood_rate
        step = time.monotonic()
        while time.monotonic() < until:
            token = next(self._flood_tokens)
            text = f"search zq{token}"
            message = {
                "message_id": next(self._message_ids), "date": int(self.ours()),
                "chat": {"id": FLOODER_ID, "type": "private", "first_name": "Flooder"},
                "from": {"id": FLOODER_ID, "is_bot": False, "first_name": "Flooder", "language_code": "en"}, "text": text,
            }
            query = Query("telegram", "flood", text, time.monotonic())
            self.ledger.flood[token] = query
            query.sent = await self.telegram.push({"update_id": self.telegram.next_update_id(), "message": message})
            step += interval
            await asyncio.sleep(max(0.0, step - time.monotonic()))

    async def wechat_ask(self, d: Delegate, text: str | None, kind: str, event: str | None, patience: float) -> Query:
        import xmltodict

        created = int(self.ours())
        fields: dict[str, Any] = {"ToUserName": ACCOUNT, "FromUserName": d.platform_id, "CreateTime": str(created)}
        if event is not None:
            fields.update(MsgType="event", Event=event)
        else:
            fields.update(MsgType="text", Content=text, MsgId=str(next(self._msg_ids)))
        body = xmltodict.unparse({"xml": fields}, full_document=False).encode("utf-8")
        timestamp, nonce = str(created), str(next(self._nonces))
        params = {"signature": sign(WECHAT_TOKEN, timestamp, nonce), "timestamp": timestamp, "nonce": nonce, "openid": d.platform_id}
        query = Query("wechat", kind, text or f"<{event}>", time.monotonic())
        d.outstanding = query
        self.ledger.queries.append(query)
        self.wechat.opened(d.platform_id, event=event is not None)
        reply = None
        for attempt in range(1, WECHAT_RETRIES + 2):
            if attempt > 1:  # WeChat tries again when it has had no answer within its five seconds
                await asyncio.sleep(max(0.0, query.sent + WECHAT_TIMEOUT * (attempt - 1) - time.monotonic()))
            query.attempts = attempt
            began = time.monotonic()
            try:
                async with self.http.post(self.url, params=params, data=body, headers={"Content-Type": "text/xml"}) as resp:
                    status, reply = resp.status, await resp.text()
            except Exception:  # refused (the bot is down), reset (killed), timed out
                query.statuses.append(0)
                continue
            query.statuses.append(status)
            if status >= 500:
                continue
            break
        else:
            query.failed = True
            d.outstanding = None
            d.idle_at = time.monotonic()
            return query
        received = time.monotonic()
        if status != 200:
            query.failed = True
            d.outstanding = None
            d.idle_at = received
            return query
        if reply in ("", "success"):
            query.late = True
            d.late = query
            with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                await asyncio.wait_for(query.done.wait(), patience)
            if d.late is query:
                d.late = None
            d.outstanding = None
            d.idle_at = max(d.idle_at, time.monotonic())
            return query
        xml = xmltodict.parse(reply)["xml"]
        content = str(xml.get("Content") or "")
        self.ledger.note_clock(self.run_of(began), int(xml.get("CreateTime") or 0), self.ours(began), self.ours(received))
        self.ledger.wechat_passive(d, content, received)
        query.answered, query.answer = received, content
        query.apology = self.ledger.markers.scan(content).apology
        d.outstanding = None
        d.idle_at = received + THINK_SECONDS
        query.done.set()
        return query

    # -- what delegates say -----------------------------------------------------------

    def pick(self, d: Delegate) -> str:
        roll = self.rng.random()
        if roll < 0.2:
            return d.words("session", id=self.rng.choice(self.session_ids))
        if roll < 0.4:
            return d.words("search", q=self.rng.choice(SEARCHES[d.lang]))
        return self.rng.choice(QUERIES[d.lang])

    async def setup(self, d: Delegate, start_after: float) -> None:
        """A delegate's first messages: hello, the lead time, then the bookmarks (the lead first: no reminder is due at once)."""
        await asyncio.sleep(start_after)
        if d.channel == "wechat":
            self.wechat.languages[d.platform_id] = "en" if d.lang == "en" else "zh_CN"
            first = await self.ask(d, None, "setup", event="subscribe")
        else:
            first = await self.ask(d, "/start", "setup")
        steps = [d.words("lead", n=d.lead), d.words("bookmark", id=d.session)]
        if d.concerned:
            steps += [d.words("bookmark", id=self.plan.renamed), d.words("bookmark", id=self.plan.moved)]
        answers = [first]
        for text in steps:
            await asyncio.sleep(self.rng.uniform(0.3, 1.0))
            answers.append(await self.ask(d, text, "setup"))
        lead, bookmark = answers[1], answers[2]
        said = re.compile(rf"(?<!\d){d.lead}(?!\d)")
        d.setup_ok = all(a.answered is not None for a in answers) and all(
            said.search(a.answer.replace(",", "")) for a in (lead, bookmark))
        d.idle_at = time.monotonic() + self.rng.uniform(0, THINK_SECONDS)

    async def steady(self, channel: str, until: float, delegates: list[Delegate]) -> None:
        """``--rate`` questions a second on one channel, each from the next delegate who is not waiting for an answer."""
        people = [d for d in delegates if d.channel == channel]
        if not people:
            return
        interval = 1 / self.args.rate
        step = time.monotonic()
        turn = 0
        while time.monotonic() < until:
            now = time.monotonic()
            chosen = None
            for _ in range(len(people)):
                d = people[turn % len(people)]
                turn += 1
                if d.outstanding is None and d.late is None and now >= d.idle_at:
                    chosen = d
                    break
            if chosen is None:
                self.skipped[channel] += 1
            else:
                chosen.outstanding = Query(channel, "query", "", now)  # taken until the ask starts
                self.spawn(self.ask(chosen, self.pick(chosen), "query"))
            step += interval
            await asyncio.sleep(max(0.0, step - time.monotonic()))


# -- the baseline: a bare PTB echo bot and a bare aiohttp WeChat echo, in one process ------


async def serve_baseline() -> None:
    """Echo every Telegram text (long polling, PTB) and every WeChat text (a passive reply), until SIGTERM."""
    import logging

    from aiohttp import web
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters
    from wechatpy import parse_message
    from wechatpy.replies import TextReply

    logging.basicConfig(level=logging.WARNING)
    base = os.environ["BOT_TELEGRAM_API_URL"].rstrip("/")
    app = ApplicationBuilder().token(os.environ["BOT_TELEGRAM_TOKEN"]).base_url(f"{base}/bot").concurrent_updates(1024).build()

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.effective_chat is not None
        await context.bot.send_message(update.effective_chat.id, update.message.text or "?")

    app.add_handler(MessageHandler(filters.TEXT, echo))
    token = os.environ["BOT_WECHAT_TOKEN"]

    async def wechat(request: web.Request) -> web.Response:
        q = request.query
        if sign(token, q.get("timestamp", ""), q.get("nonce", "")) != q.get("signature"):
            return web.Response(status=403, text="bad signature")
        message = parse_message(await request.text())
        content = getattr(message, "content", None)
        if not content:
            return web.Response(text="success")
        reply = TextReply(source=message.target, target=message.source, content=content, time=int(time.time())).render()
        return web.Response(text=reply, content_type="application/xml")

    web_app = web.Application(client_max_size=64 * 1024)
    web_app.router.add_post("/wechat", wechat)
    runner = web.AppRunner(web_app, access_log=None)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling()
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", int(os.environ["BOT_HTTP_PORT"])).start()
    print("baseline ready", flush=True)
    await stop.wait()
    await runner.cleanup()
    await app.updater.stop()
    await app.stop()
    await app.shutdown()


# -- the whole run -------------------------------------------------------------------------


@dataclass
class Phase:
    ledger: Ledger
    seconds: float
    process: BotProcess
    load: Load


def bot_env(args: argparse.Namespace, folder: Path, telegram: FakeBotAPI, wechat: FakeWeChatAPI, http_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update(
        PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1",
        BOT_DB=str(folder / "soak.sqlite3"), BOT_PROGRAMME=str(folder / "programme.yaml"), BOT_LOG_LEVEL="INFO",
        BOT_TELEGRAM_TOKEN=TELEGRAM_TOKEN, BOT_TELEGRAM_API_URL=telegram.url, BOT_TELEGRAM_USERNAME=BOT_USER["username"],
        BOT_WECHAT_TOKEN=WECHAT_TOKEN, BOT_WECHAT_APPID=WECHAT_APPID, BOT_WECHAT_SECRET=WECHAT_SECRET, BOT_WECHAT_API_URL=wechat.url,
        BOT_HTTP_HOST="127.0.0.1", BOT_HTTP_PORT=str(http_port),
        # each edit its own notice (the default, 2 minutes of quiet after the last edit, would hold them all to the end)
        BOT_NOTICE_QUIET_MINUTES="0",
    )
    return env


async def baseline_phase(args: argparse.Namespace, plan: Plan, markers: Markers, telegram: FakeBotAPI, wechat: FakeWeChatAPI,
                         http_port: int, env: dict[str, str], folder: Path, session_ids: list[str]) -> Phase:
    delegates = [Delegate(d.index, d.channel, d.lang, d.platform_id, d.session, d.due, d.lead, d.concerned) for d in plan.delegates]
    ledger = Ledger(markers, delegates)
    telegram.observer = wechat.observer = ledger
    process = BotProcess("baseline", [sys.executable, str(Path(__file__).resolve()), "--serve-baseline"], env, folder, ("baseline ready",))
    run = await process.start(None)
    await process.wait_ready(run, timeout=60)
    load = Load(args, plan, telegram, wechat, http_port, ledger, (dt.datetime.now(dt.timezone.utc), time.monotonic()), session_ids)
    for d in delegates:
        wechat.opened(d.platform_id, event=False)
        d.idle_at = time.monotonic() + load.rng.uniform(0, 100 / args.rate)
    until = time.monotonic() + args.baseline_seconds
    sampler = asyncio.create_task(sample_rss(process))
    # the same pattern as the soak's load: the two channels' questions and the flooder
    await asyncio.gather(load.steady("telegram", until, delegates), load.steady("wechat", until, delegates), load.flood(until))
    await settle(load, 10)
    sampler.cancel()
    await process.stop()
    await load.close()
    telegram.drop_queued()
    return Phase(ledger, args.baseline_seconds, process, load)


async def sample_rss(process: BotProcess) -> None:
    while True:
        with contextlib.suppress(IndexError):
            process.sample()
        await asyncio.sleep(0.5)


async def settle(load: Load, seconds: float) -> None:
    """Wait for the questions still open (at most ``seconds``)."""
    open_tasks = [t for t in load.tasks if not t.done()]
    if open_tasks:
        await asyncio.wait(open_tasks, timeout=seconds)


def expected_done(delegates: list[Delegate], revisions: int) -> bool:
    for d in delegates:
        if d.setup_ok and not any(sid == d.session for sid, _a, _v in d.reminders):
            return False
        if d.concerned and d.setup_ok and not set(range(1, revisions + 1)) <= {r for r, _a, _v in d.notices}:
            return False
    return True


async def soak_phase(args: argparse.Namespace, plan: Plan, markers: Markers, telegram: FakeBotAPI, wechat: FakeWeChatAPI,
                     http_port: int, env: dict[str, str], folder: Path, session_ids: list[str]) -> tuple[Phase, dict[str, Any]]:
    ledger = Ledger(markers, plan.delegates)
    telegram.observer = wechat.observer = ledger
    edits = Edits(ROOT / "data" / "programme.yaml", folder / "programme.yaml", plan)
    process = BotProcess("bot", [sys.executable, "-m", "bot", "run"], env, folder, ("HTTP server on", "Telegram long polling started"))
    events: dict[str, Any] = {"edits_postponed": 0}
    first_at = plan.start - dt.timedelta(seconds=PREROLL)
    run = await process.start(first_at)
    load = Load(args, plan, telegram, wechat, http_port, ledger, (first_at, run.launched), session_ids)
    load.run_of = lambda at: 1 if "kill" not in events or at < events["kill"] else 2
    await process.wait_ready(run)
    events["first_ready"] = run.ready - run.launched
    origin = run.launched + PREROLL  # monotonic instant of --at, on our idea of the bot's clock

    def at(seconds: float) -> float:
        return origin + seconds

    async def sleep_until(instant: float) -> None:
        await asyncio.sleep(max(0.0, instant - time.monotonic()))

    if time.monotonic() > origin:
        events["late_start"] = time.monotonic() - origin
    await sleep_until(origin)
    sampler = asyncio.create_task(sample_rss(process))
    rng = random.Random(args.seed + 2)
    spread = max(1.0, args.setup_seconds - 8)
    await asyncio.gather(*(load.setup(d, rng.uniform(0, spread)) for d in plan.delegates))
    events["setup_done"] = time.monotonic() - origin
    first_due = min(plan.dues)
    events["setup_margin"] = (first_due - plan.start).total_seconds() - events["setup_done"]
    end = at(plan.seconds)

    async def kill_and_restart() -> None:
        # plan.kill_at is on the bot's clock, which runs behind ours by its start-up (seen in WeChat's CreateTime)
        planned = at(plan.kill_at + ledger.lag_of(1))
        if plan.kill_in_burst:
            # inside the kill's minute's burst, whenever it comes: KILL_INTO_BURST after its first reminder
            # reaches a fake (the planned instant + 5 s if none has by then)
            ledger.burst_due = plan.kill_due
            await sleep_until(planned - 5.0)
            with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                await asyncio.wait_for(ledger.burst_seen.wait(), max(0.0, planned + 5.0 - time.monotonic()))
            planned = ledger.burst_at + KILL_INTO_BURST if ledger.burst_at is not None else planned + 5.0
        await sleep_until(planned)
        events["kill"] = time.monotonic()
        await process.kill()
        restart_at = dt.datetime.fromtimestamp(load.ours(), plan.start.tzinfo)
        events["restart_at"] = restart_at
        second = await process.start(restart_at)
        await process.wait_ready(second)
        events["restart_ready"] = second.ready - events["kill"]

    async def edit() -> None:
        for n, seconds in enumerate(plan.edit_times, 1):
            await sleep_until(at(seconds))
            # never while the bot is down or starting (it reads the file at start anyway, but SIGHUP would kill it then)
            while "kill" in events and (process.current.ready is None or time.monotonic() < process.current.ready + 3):
                if events.get("postponed") != n:
                    events["postponed"] = n
                    events["edits_postponed"] += 1
                await asyncio.sleep(0.2)
            edits.apply(n)
            process.signal(signal.SIGHUP)

    jobs = [
        asyncio.create_task(load.steady("telegram", end, plan.delegates)),
        asyncio.create_task(load.steady("wechat", end, plan.delegates)),
        asyncio.create_task(load.flood(end)),
        asyncio.create_task(kill_and_restart()),
        asyncio.create_task(edit()),
    ]
    await asyncio.gather(*jobs)
    events["load_end"] = time.monotonic() - origin
    # drain: every reminder and notice that is coming arrives now
    deadline = time.monotonic() + args.drain
    while time.monotonic() < deadline and not expected_done(plan.delegates, len(edits.applied)):
        await asyncio.sleep(0.5)
    await settle(load, 10)
    # held for a closed WeChat window: what a follower sees at the top of the next reply
    missing = [d for d in plan.delegates if d.channel == "wechat" and not expected_done([d], len(edits.applied))]
    events["collected_from"] = len(missing)
    if missing:
        await asyncio.gather(*(load.ask(d, d.words("ok"), "collect") for d in missing))
        await asyncio.sleep(3)
    sampler.cancel()
    await process.stop()
    await load.close()
    events["edits"] = edits.applied
    events["origin"] = origin
    return Phase(ledger, plan.seconds, process, load), events


# -- the report ---------------------------------------------------------------------------------


def latency_line(queries: list[Query]) -> str:
    answered = [q.latency for q in queries if q.latency is not None]
    return f"p50 {ms(percentile(answered, 50))}, p99 {ms(percentile(answered, 99))}, max {ms(max(answered) if answered else math.nan)}"


def log_figures(runs: list[Run]) -> dict[str, Any]:
    figures: dict[str, Any] = {"in_flight": None, "notices": [], "errors": 0, "tracebacks": 0, "error_lines": [], "flood_dropped": 0,
                               "late_replies": 0, "slowed": 0, "statuses": collections.Counter()}
    in_flight = re.compile(r"(\d+) reminder\(s\) or notice\(s\) were in flight when the bot stopped")
    notice = re.compile(r"programme changes: (\d+) sessions, (\d+) delegates told")
    access = re.compile(r"aiohttp\.access: POST /wechat (\d{3}) ")
    for run in runs:
        for line in run.log.read_text(encoding="utf-8", errors="replace").splitlines():
            if (m := in_flight.search(line)) and run.number > 1:
                figures["in_flight"] = (figures["in_flight"] or 0) + int(m.group(1))
            elif m := notice.search(line):
                figures["notices"].append(int(m.group(2)))
            elif m := access.search(line):
                figures["statuses"][int(m.group(1))] += 1
            elif " ERROR " in line or " CRITICAL " in line:
                figures["errors"] += 1
                figures["error_lines"].append(line[:300])
            elif line.startswith("Traceback"):
                figures["tracebacks"] += 1
            elif "an update dropped" in line:
                figures["flood_dropped"] += 1
            elif "is late; it will follow" in line:
                figures["late_replies"] += 1
            elif "Telegram asks to slow down" in line:
                figures["slowed"] += 1
    return figures


def outbox_figures(db: Path) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return dict(conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall())


def report(args: argparse.Namespace, plan: Plan, baseline: Phase | None, soak: Phase, events: dict[str, Any],
           telegram: FakeBotAPI, wechat: FakeWeChatAPI, folder: Path) -> bool:
    ledger = soak.ledger
    runs = soak.process.runs
    logs = log_figures(runs)
    origin = events["origin"]
    kill = events.get("kill", math.inf)
    ready_again = kill + events.get("restart_ready", 0.0)
    lines: list[str] = []
    say = lines.append
    n_tg = sum(1 for d in plan.delegates if d.channel == "telegram")
    say(f"soak: {plan.seconds / 60:g} min from {plan.start.isoformat()} (bot clock), {len(plan.delegates)} delegates "
        f"({n_tg} Telegram, {len(plan.delegates) - n_tg} WeChat; English and Chinese), {args.rate:g} questions/s per channel, "
        f"a Telegram flooder at {args.flood_rate:g}/s, a programme edit every {args.edit_every:g} s, kill -9 "
        + (f"in the {plan.kill_due:%H:%M} reminders' burst" if plan.kill_in_burst else f"at +{plan.kill_at:g} s"))
    late_start = f" ({events['late_start']:.1f} s after --at)" if "late_start" in events else ""
    say(f"  fakes on 127.0.0.1 answer after {args.rtt * 1000:.0f} ms; the bot started in {events['first_ready']:.1f} s"
        f"{late_start}; the delegates' setup took "
        f"{events['setup_done']:.1f} s, {events['setup_margin']:.1f} s before the first reminder fell due")
    say("")
    # answers
    first_run_lag, second_run_lag = ledger.lag_of(1), ledger.lag_of(2)
    p99s: dict[str, float] = {}
    base_figures: dict[str, tuple[float, float]] = {}
    if baseline is not None:
        for channel in ("telegram", "wechat"):
            answered = [q.latency for q in baseline.ledger.queries if q.channel == channel and q.kind == "query" and q.latency is not None]
            base_figures[channel] = (percentile(answered, 50), percentile(answered, 99))
    soak_refusals = [(t, span) for t, span in telegram.refusals if t >= origin - PREROLL]  # not the baseline's
    refusals = [t - origin for t, _span in soak_refusals]
    refusals_at = [t for t, _span in soak_refusals]
    spans = [span for _t, span in soak_refusals]
    for channel, name in (("telegram", "Telegram"), ("wechat", "WeChat")):
        mine = [q for q in ledger.queries if q.channel == channel]
        setup = [q for q in mine if q.kind == "setup"]
        asked = [q for q in mine if q.kind == "query"]
        answered = [q for q in asked if q.latency is not None]
        # the questions the kill touched: asked before the restarted bot was up, and not answered before the kill
        touched = [q for q in asked if q.sent < ready_again and (q.answered is None or q.answered > kill)]
        touched_ids = {id(q) for q in touched}
        clear = [q for q in answered if id(q) not in touched_ids]
        clear_lat = [q.latency for q in clear if q.latency is not None]
        p99s[channel] = percentile(clear_lat, 99)
        say(f"{name}: {sum(q.latency is not None for q in mine)} answers to {len(mine)} messages")
        say(f"  setup (hello, lead time, bookmarks): {sum(q.latency is not None for q in setup)}/{len(setup)} answered; {latency_line(setup)}")
        failed = f", {sum(q.failed for q in asked)} callbacks failed after WeChat's retries" if channel == "wechat" else ""
        say(f"  questions: {len(answered)}/{len(asked)} answered{failed}; {latency_line(asked)}")
        line = f"    away from the kill: {len(clear)}, p50 {ms(percentile(clear_lat, 50))}, p99 {ms(percentile(clear_lat, 99))}"
        if base_figures:
            b50, b99 = base_figures[channel]
            line += (f"; baseline echo p50 {ms(b50)}, p99 {ms(b99)}: ratio p50 {percentile(clear_lat, 50) / b50:.1f}x, "
                     f"p99 {p99s[channel] / b99:.1f}x")
        say(line)
        touched_lat = [q.latency for q in touched if q.latency is not None]
        say(f"    touched by the kill (asked before the restarted bot answered, not answered before the kill): {len(touched)}, "
            f"{len(touched_lat)} answered, max {ms(max(touched_lat) if touched_lat else math.nan)}")
        unanswered = [q for q in asked if q.latency is None]
        if unanswered:
            say("    unanswered: " + "; ".join(f"+{q.sent - origin:.1f} s {q.text!r}" + (" (failed)" if q.failed else "") for q in unanswered[:8]))
        slowest = sorted(clear, key=lambda q: q.latency or 0, reverse=True)[:5]
        def paused(q: Query) -> bool:
            # a 429 while the answer was on its way: every send waits out its retry_after
            return channel == "telegram" and q.answered is not None and any(q.sent <= t <= q.answered for t in refusals_at)

        say("    slowest away from the kill: " + "; ".join(
            f"+{q.sent - origin:.1f} s {ms(q.latency or math.nan)} {q.text!r}"
            + (f" ({ms(q.after_push)} after a push to that chat)" if q.after_push is not None else "")
            + (" (through a 429's pause)" if paused(q) else "") for q in slowest))
        if channel == "telegram":
            over = [q for q in clear if (q.latency or 0) > 1.0]
            held = [q for q in over if q.after_push is not None and q.after_push <= 1.1]
            say(f"    over 1 s away from the kill: {len(over)}; {len(held)} of them arrived within 1.1 s of a push to the same chat, "
                f"{sum(paused(q) for q in over)} waited through a 429's pause")
        extra = [f"{ledger.extra_messages[channel]} further messages of answers", f"{sum(q.apology for q in mine)} apologies",
                 f"{soak.load.skipped[channel]} turns skipped (everyone waiting)"]
        if channel == "wechat":
            late = [q for q in mine if q.late]
            extra += [f"{len(late)} late (answered by push; {sum(q.answered is not None for q in late)} arrived)",
                      f"{sum(q.attempts > 1 for q in mine)} retried by WeChat",
                      f"{sum(1 for q in mine for st in q.statuses if st not in (0, 200))} non-200 answers"]
        else:
            extra += [f"{len(refusals)} 429s from the Bot API" + (
                f" (at +{', +'.join(f'{t:.1f}' for t in refusals[:8])} s; {telegram.rate} messages had arrived in the "
                f"{min(spans) * 1000:.0f}-{max(spans) * 1000:.0f} ms before each)" if refusals else ""),
                      f"{logs['slowed']} answers or pushes held for a retry_after"]
        say("  " + ", ".join(extra))
    flood = list(ledger.flood.values())
    flood_lat = [q.latency for q in flood if q.latency is not None]
    base_flood = [q.latency for q in baseline.ledger.flood.values() if q.latency is not None] if baseline is not None else []
    say(f"flooder (Telegram): {len(flood)} sent, {len(flood_lat)} answered (p50 {ms(percentile(flood_lat, 50))}, "
        f"p99 {ms(percentile(flood_lat, 99))}), {ledger.flood_warnings} \"slow down\" warnings, "
        f"{len(flood) - len(flood_lat)} not answered ({logs['flood_dropped']} of them dropped unread by the channel's per-person queue), "
        f"{ledger.flood_other} other messages"
        + (f"; baseline echo: {len(baseline.ledger.flood)} sent, p50 {ms(percentile(base_flood, 50))}, p99 {ms(percentile(base_flood, 99))}"
           if baseline is not None else ""))
    say("")
    # reminders
    counted = [d for d in plan.delegates if d.setup_ok]
    delivered = [d for d in counted if any(sid == d.session for sid, _a, _v in d.reminders)]
    lost = [d for d in counted if d not in delivered]
    duplicated = sum(max(0, sum(sid == d.session for sid, _a, _v in d.reminders) - 1) for d in counted)
    unexpected = sum(sum(sid != d.session for sid, _a, _v in d.reminders) for d in plan.delegates)
    held = sum(1 for d in delivered if next(v for sid, _a, v in d.reminders if sid == d.session) == "held")
    offsets: dict[tuple[bool, str], list[float]] = collections.defaultdict(list)
    for d in delivered:
        arrived = min(a for sid, a, _v in d.reminders if sid == d.session)
        lag = first_run_lag if arrived < kill else second_run_lag
        offsets[(d.due == plan.kill_due, d.channel)].append(soak.load.ours(arrived) - lag - d.due.timestamp())
    in_flight = logs["in_flight"]
    say(f"reminders: {len(counted)} expected (one per delegate; {len(plan.delegates) - len(counted)} delegates' setup unconfirmed, not counted), "
        f"due on {len(plan.dues)} minute(s), {sum(d.due == plan.kill_due for d in counted)} of them on {plan.kill_due:%H:%M}, the kill's")
    say(f"  delivered {len(delivered)} ({held} held for a closed WeChat window, shown at the top of a reply), lost {len(lost)}, "
        f"duplicated {duplicated}, unexpected {unexpected}; in flight at the kill (restarted bot's log): {in_flight if in_flight is not None else 0}")
    say("  arrival against the due time (the bot's clock estimated from WeChat's CreateTime):")
    for (on_kill, channel), values in sorted(offsets.items()):
        say(f"    {channel}, {'the kill' if on_kill else 'other'}'s minute: {len(values)} from {min(values):+.1f} s to {max(values):+.1f} s "
            f"(median {percentile(values, 50):+.1f} s), {sum(o > 2 for o in values)} more than 2 s late")
    if lost:
        by = collections.Counter((d.channel, d.due.strftime("%H:%M")) for d in lost)
        say("  lost: " + ", ".join(f"{n} on {c} due {t}" for (c, t), n in sorted(by.items())))
    # notices
    applied = [n for n, _at in events["edits"]]
    concerned = [d for d in counted if d.concerned]
    expected_notices = len(concerned) * len(applied)
    got = sum(len({r for r, _a, _v in d.notices if r in applied}) for d in concerned)
    dup_notices = sum(sum(1 for r, _a, _v in d.notices if r is not None) - len({r for r, _a, _v in d.notices if r is not None}) for d in concerned)
    if events["collected_from"]:
        say(f"  ({events['collected_from']} WeChat followers still missing a reminder or notice after the drain sent \"OK\", "
            "to be shown what was held for them)")
    say(f"change notices: {len(applied)} edits ({events['edits_postponed']} postponed past the restart), {len(concerned)} delegates concerned: "
        f"{got}/{expected_notices} delivered, {expected_notices - got} missing, {dup_notices} duplicated; "
        f"the bot's log: {len(logs['notices'])} notices to {sum(logs['notices'])} delegates")
    say("")
    # the process
    hwm = [r.hwm_kb for r in runs]
    into = f" ({(kill - ledger.burst_at) * 1000:.0f} ms after the first reminder of {plan.kill_due:%H:%M} reached a fake)" \
        if ledger.burst_at is not None and ledger.burst_at <= kill else ""
    say(f"kill -9 at +{(kill - origin):.1f} s{into}; restarted with --at {events.get('restart_at', '—')}, answering again after "
        f"{events.get('restart_ready', math.nan):.1f} s; the bot's clock behind ours by {first_run_lag:.2f} s, then {second_run_lag:.2f} s")
    say(f"peak RSS (VmHWM): {' / '.join(f'{h / 1024:.0f} MB' for h in hwm)} (first run / restarted), max {max(hwm) / 1024:.0f} MB"
        + (f"; baseline echo process {baseline.process.runs[0].hwm_kb / 1024:.0f} MB" if baseline is not None else ""))
    say(f"Bot API: {sum(telegram.calls.values())} calls, {ledger.stray} messages to chats nobody simulated; WeChat API: {wechat.sent} customer-service messages, "
        f"{wechat.refused} refused over the follower's budget, {wechat.templates} templates; /wechat statuses {dict(logs['statuses'])}")
    stopped = runs[-1].stop_seconds
    say(f"the bot's log: {logs['errors']} ERROR lines, {logs['tracebacks']} tracebacks; exit codes {[r.exit_code for r in runs]} "
        f"(-9 is the kill), SIGTERM to exit {stopped if stopped is not None else math.nan:.1f} s; outbox at the end: {outbox_figures(folder / 'soak.sqlite3')}")
    for line in logs["error_lines"][:5]:
        say(f"  {line}")
    for number, code in soak.process.crashed:
        say(f"  the bot's run {number} EXITED BY ITSELF with code {code}; the end of its log:")
        lines.extend("    " + x for x in runs[number - 1].log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:])
    say("")
    duplicates_ok = duplicated + dup_notices <= (in_flight or 0)
    ok = not lost and duplicates_ok and all(p < 1.0 for p in p99s.values()) and not soak.process.crashed
    say(f"targets: 0 lost: {'ok' if not lost else 'FAILED'}; duplicates (reminders and notices, {duplicated + dup_notices}) <= in flight "
        f"({in_flight or 0}): {'ok' if duplicates_ok else 'FAILED'}; "
        f"p99 under 1 s away from the kill (Telegram {ms(p99s['telegram'])}, WeChat {ms(p99s['wechat'])}): "
        f"{'ok' if all(p < 1.0 for p in p99s.values()) else 'FAILED'}")
    print("\n".join(lines), flush=True)
    return ok


async def main(args: argparse.Namespace) -> int:
    from bot.programme import load_programme

    programme = load_programme(ROOT / "data" / "programme.yaml")
    try:
        plan = Plan.build(programme, args)
    except PlanError as exc:
        print(f"soak: {exc}", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="soak-"))
    shutil.copy(ROOT / "data" / "programme.yaml", folder / "programme.yaml")
    markers = Markers(("en", "zh_Hans"))
    session_ids = [s.id for s in programme.sessions]
    telegram, wechat = FakeBotAPI(args.rtt), FakeWeChatAPI(args.rtt)
    await telegram.start()
    await wechat.start()
    http_port = free_port()
    env = bot_env(args, folder, telegram, wechat, http_port)
    keep = args.keep
    try:
        baseline = None
        if args.baseline_seconds > 0:
            print(f"baseline: a PTB echo bot and an aiohttp echo, {args.baseline_seconds:g} s ...", flush=True)
            baseline = await baseline_phase(args, plan, markers, telegram, wechat, http_port, env, folder, session_ids)
        print(f"soak: the bot, {plan.seconds:g} s (working in {folder}) ...", flush=True)
        soak, events = await soak_phase(args, plan, markers, telegram, wechat, http_port, env, folder, session_ids)
        ok = report(args, plan, baseline, soak, events, telegram, wechat, folder)
    except Exception:
        keep = True  # the logs and the database say what happened
        raise
    finally:
        await telegram.stop()
        await wechat.stop()
        if keep:
            print(f"kept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0 if ok else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from bot.clock import parse_instant

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="how long the load runs (default 5)")
    parser.add_argument("--quick", action="store_true", help="1 minute, edits every 20 s, a 15-second baseline")
    parser.add_argument("--at", type=parse_instant, default=parse_instant(DEFAULT_AT),
                        help=f"the rehearsal instant the run starts at (default {DEFAULT_AT}); reminders fall due on its whole minutes")
    parser.add_argument("--delegates", type=int, default=200)
    parser.add_argument("--rate", type=float, default=4.0, help="questions a second per channel (default 4)")
    parser.add_argument("--flood-rate", type=float, default=10.0, help="the flooder's messages a second (default 10)")
    parser.add_argument("--edit-every", type=float, help="seconds between programme edits (default 60; --quick 20)")
    parser.add_argument("--kill-at", type=float,
                        help=f"seconds into the run (bot clock) of the kill -9 (default: {KILL_INTO_BURST:g} s after the first reminder of the minute nearest half-way reaches a fake)")
    parser.add_argument("--setup-seconds", type=float, default=20.0, help="how long the delegates' first messages are spread over")
    parser.add_argument("--baseline-seconds", type=float, help="the echo baseline's length (default 60; --quick 15; 0: none)")
    parser.add_argument("--drain", type=float, help="seconds after the load to wait for reminders and notices (default 30; --quick 20)")
    parser.add_argument("--rtt", type=float, default=0.05, help="the fakes' answer delay in seconds (default 0.05)")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database, logs, programme)")
    parser.add_argument("--serve-baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.minutes = 1.0
    args.edit_every = args.edit_every or (20.0 if args.quick else 60.0)
    args.baseline_seconds = args.baseline_seconds if args.baseline_seconds is not None else (15.0 if args.quick else 60.0)
    args.drain = args.drain if args.drain is not None else (20.0 if args.quick else 30.0)
    if args.at.tzinfo is None:
        parser.error("--at needs a UTC offset, e.g. 2025-06-05T10:59:30+08:00")
    return args


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.serve_baseline:
        asyncio.run(serve_baseline())
    else:
        sys.exit(asyncio.run(main(arguments)))
