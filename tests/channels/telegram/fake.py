"""A fake Telegram Bot API server, over real HTTP on 127.0.0.1, that PTB reaches through ``base_url``.

It records every request and, given the Bot API specification
(``../shared/data/telegram-bot-api-10.0.json``), checks each against it: the
method exists, required fields are present, no field is unknown, nested
objects (keyboards, poll options, bot commands) have the right fields, and
the limits the specification states in words hold ("1-4096 characters",
"1-64 bytes", "list of 1-12 answer options", command names of lowercase
letters, digits and underscores).  Without the specification the server
still answers; only the checks are off.

Scripted failures (a 429 with ``retry_after``, a 403 "blocked") are queued
per method with :meth:`FakeBotAPI.fail_next`; updates for long polling are
queued with :meth:`FakeBotAPI.push_update`.
"""

from __future__ import annotations

import asyncio
import heapq
import html
import itertools
import json
import re
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

_RANGE = re.compile(r"(\d+)-(\d+) (characters|bytes)")
_LIST = re.compile(r"list of (\d+)-(\d+)")
_TAG = re.compile(r"<[^>]*>")
_LOWERCASE_COMMAND = re.compile(r"^[a-z0-9_]+$")
BOT_ID = 4242
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Companion", "username": "companion_test_bot",
            "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}


@dataclass
class Call:
    """One request the bot made: the method and its parameters, decoded."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    result: Any = None


class SpecChecker:
    """Checks calls against the Bot API specification JSON."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.methods: dict[str, Any] = spec["methods"]
        self.types: dict[str, Any] = spec["types"]

    def check_call(self, method: str, params: dict[str, Any]) -> list[str]:
        spec = self.methods.get(method)
        if spec is None:
            return [f"{method}: no such method in the Bot API"]
        html_mode = params.get("parse_mode") == "HTML"
        return self._check_fields(method, spec.get("fields", []), params, html_mode)

    def _check_fields(self, where: str, fields: list[dict[str, Any]], values: dict[str, Any], html_mode: bool) -> list[str]:
        problems: list[str] = []
        known = {f["name"]: f for f in fields}
        for name in values:
            if name not in known:
                problems.append(f"{where}: unknown field {name!r}")
        for f in fields:
            name = f["name"]
            if name not in values or values[name] is None:
                if f.get("required"):
                    problems.append(f"{where}: required field {name!r} is missing")
                continue
            problems += self._check_value(f"{where}.{name}", f, values[name], html_mode)
        return problems

    def _check_value(self, where: str, f: dict[str, Any], value: Any, html_mode: bool) -> list[str]:
        problems: list[str] = []
        description = f.get("description", "")
        types = f["types"]
        if isinstance(value, str) and "String" in types:
            m = _RANGE.search(description)
            if m:
                low, high, unit = int(m.group(1)), int(m.group(2)), m.group(3)
                if unit == "bytes":
                    size = len(value.encode("utf-8"))
                elif html_mode and "entities parsing" in description:
                    size = len(html.unescape(_TAG.sub("", value)))
                else:
                    size = len(value)
                if not low <= size <= high:
                    problems.append(f"{where}: {size} {unit}, allowed {low}-{high}")
            if "lowercase English letters, digits and underscores" in description and not _LOWERCASE_COMMAND.match(value):
                problems.append(f"{where}: {value!r} has characters other than a-z, 0-9 and _")
        if isinstance(value, list):
            m = _LIST.search(description)
            if m and not int(m.group(1)) <= len(value) <= int(m.group(2)):
                problems.append(f"{where}: {len(value)} items, allowed {m.group(1)}-{m.group(2)}")
            element_types = [t[len("Array of "):] for t in types if t.startswith("Array of ")]
            for i, item in enumerate(value):
                problems += self._check_typed(f"{where}[{i}]", element_types, item, html_mode)
        elif isinstance(value, dict):
            problems += self._check_typed(where, types, value, html_mode)
        return problems

    def _check_typed(self, where: str, types: list[str], value: Any, html_mode: bool) -> list[str]:
        """``value`` must fit one of ``types`` (arrays nest; abstract types try their subtypes)."""
        if isinstance(value, list):
            inner = [t[len("Array of "):] for t in types if t.startswith("Array of ")]
            if not inner:
                return [f"{where}: an array where {types} is expected"]
            out: list[str] = []
            for i, item in enumerate(value):
                out += self._check_typed(f"{where}[{i}]", inner, item, html_mode)
            return out
        if not isinstance(value, dict):
            return []
        candidates = [t for t in types if t in self.types]
        attempts: list[list[str]] = []
        for name in candidates:
            for concrete in self._concrete(name):
                spec = self.types[concrete]
                problems = self._check_fields(f"{where}<{concrete}>", spec.get("fields", []), value, html_mode)
                if not problems:
                    return []
                attempts.append(problems)
        return min(attempts, key=len) if attempts else []

    def _concrete(self, name: str) -> list[str]:
        spec = self.types[name]
        subtypes = spec.get("subtypes")
        if subtypes and not spec.get("fields"):
            return [s for sub in subtypes if sub in self.types for s in self._concrete(sub)]
        return [name]


class FakeBotAPI:
    """The Bot API as far as this bot uses it, answering like Telegram does."""

    def __init__(self, spec: dict[str, Any] | None = None, token: str | None = None) -> None:
        self.checker = SpecChecker(spec) if spec is not None else None
        self.token = token or TOKEN
        self.calls: list[Call] = []
        self.violations: list[str] = []
        self._failures: dict[str, deque[list[Any]]] = defaultdict(deque)
        self._updates: list[dict[str, Any]] = []
        self._arrived = asyncio.Condition()
        self._message_ids = itertools.count(1000)
        self._poll_ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._closing = False
        self._hangs: dict[str, int] = defaultdict(int)
        self._released = asyncio.Event()
        self.url = ""

    # -- control ---------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        self._released.set()  # answer the calls left hanging
        async with self._arrived:  # release long polls still waiting
            self._closing = True
            self._arrived.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    def hang_next(self, method: str) -> None:
        """The next call of ``method`` arrives (it is recorded and takes effect) but gets no answer until :meth:`stop`."""
        self._hangs[method] += 1

    def fail_next(
        self, method: str, status: int, description: str, parameters: dict[str, Any] | None = None, *, after: int = 0
    ) -> None:
        """The next call of ``method`` (or the one after ``after`` successful ones) gets this error."""
        self._failures[method].append([after, status, description, parameters])

    async def push_update(self, update: dict[str, Any]) -> None:
        """Queue an update for ``getUpdates`` (long polling)."""
        async with self._arrived:
            self._updates.append(update)
            self._arrived.notify_all()

    def sent(self, *methods: str) -> list[Call]:
        """Calls of the given methods (all but housekeeping ones when none are named)."""
        quiet = {"getUpdates", "getMe", "setMyCommands", "deleteWebhook", "setWebhook"}
        return [c for c in self.calls if (c.method in methods if methods else c.method not in quiet)]

    def clear(self) -> None:
        self.calls.clear()

    # -- HTTP --------------------------------------------------------------------

    async def _params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
        params: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        if request.content_type == "application/json":
            body = await request.json()
            return (body if isinstance(body, dict) else {}), files
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                files[name] = value.file.read()
                params[name] = f"attach://{name}"
                continue
            try:
                params[name] = json.loads(value) if value[:1] in "[{" else value
            except json.JSONDecodeError:
                params[name] = value
        return params, files

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        params, files = await self._params(request)
        self.calls.append(Call(method, params, files))
        if self.checker is not None:
            self.violations += self.checker.check_call(method, params)
        pending = self._failures[method]
        if pending and pending[0][0] > 0:
            pending[0][0] -= 1
        elif pending:
            _after, status, description, parameters = pending.popleft()
            body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
            if parameters:
                body["parameters"] = parameters
            return web.json_response(body, status=status)
        result = await self._result(method, params)
        self.calls[-1].result = result
        if self._hangs[method]:
            self._hangs[method] -= 1
            await self._released.wait()  # it arrived; the answer never comes in time
        return web.json_response({"ok": True, "result": result})

    def _message(self, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
        chat_id = int(params.get("chat_id", 0))
        message = {
            "message_id": int(params["message_id"]) if "message_id" in params else next(self._message_ids),
            "date": 1749088800,
            "chat": {"id": chat_id, "type": "private", "first_name": "Delegate"},
            "from": BOT_USER,
        }
        if "reply_markup" in params and isinstance(params["reply_markup"], dict):
            message["reply_markup"] = params["reply_markup"]
        message.update(extra)
        return message

    async def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "getUpdates":
            return await self._get_updates(params)
        if method in {"sendMessage", "editMessageText"}:
            return self._message(params, text=html.unescape(_TAG.sub("", str(params.get("text", "")))))
        if method == "sendLocation":
            return self._message(params, location={"latitude": float(params["latitude"]), "longitude": float(params["longitude"])})
        if method == "sendVenue":
            location = {"latitude": float(params["latitude"]), "longitude": float(params["longitude"])}
            return self._message(params, location=location, venue={
                "location": location, "title": params["title"], "address": params["address"]})
        if method == "sendPoll":
            options = params.get("options") or []
            poll = {
                "id": f"poll-{next(self._poll_ids)}", "question": params["question"],
                "options": [{"text": o["text"] if isinstance(o, dict) else o, "voter_count": 0, "persistent_id": f"o{i}"}
                            for i, o in enumerate(options)],
                "total_voter_count": 0, "is_closed": False, "allows_revoting": True, "members_only": False, "is_anonymous": params.get("is_anonymous") not in ("false", False),
                "type": "regular", "allows_multiple_answers": params.get("allows_multiple_answers") in ("true", True),
            }
            return self._message(params, poll=poll)
        if method == "sendPhoto":
            return self._message(params, photo=[{"file_id": "p1", "file_unique_id": "up1", "width": 10, "height": 10}])
        if method == "sendDocument":
            return self._message(params, document={"file_id": "d1", "file_unique_id": "ud1"})
        return True

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

        def ready() -> bool:
            return self._closing or any(u["update_id"] >= offset for u in self._updates)

        async with self._arrived:
            if not ready() and timeout > 0:
                try:
                    await asyncio.wait_for(self._arrived.wait_for(ready), timeout)
                except TimeoutError:
                    pass
            return [u for u in self._updates if u["update_id"] >= offset][: int(params.get("limit") or 100)]


# -- updates as Telegram sends them, and a bot wired to the fake -----------------

DATE = 1749088800  # 2025-06-05T10:00+08:00


def user_json(user_id: int, language: str | None) -> dict[str, Any]:
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "Ana"}
    if language:
        user["language_code"] = language
    return user


def message_update(update_id: int, text: str, *, user_id: int, language: str | None, message_id: int = 1) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": message_id, "date": DATE, "text": text,
        "chat": {"id": user_id, "type": "private", "first_name": "Ana"},
        "from": user_json(user_id, language),
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": update_id, "message": message}


def callback_update(update_id: int, data: str, *, user_id: int, language: str | None, message_id: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cq-{update_id}", "chat_instance": "ci-1", "data": data,
            "from": user_json(user_id, language),
            "message": {
                "message_id": message_id, "date": DATE, "text": "…",
                "chat": {"id": user_id, "type": "private", "first_name": "Ana"}, "from": BOT_USER,
            },
        },
    }


def member_json(status: str) -> dict[str, Any]:
    """The bot as a chat member; a ban carries ``until_date`` (0: for ever)."""
    return {"status": status, "user": BOT_USER, **({"until_date": 0} if status == "kicked" else {})}


def membership_update(update_id: int, *, user_id: int, old: str, new: str) -> dict[str, Any]:
    user = user_json(user_id, "en")
    return {
        "update_id": update_id,
        "my_chat_member": {
            "chat": {"id": user_id, "type": "private", "first_name": "Ana"}, "from": user, "date": DATE,
            "old_chat_member": member_json(old),
            "new_chat_member": member_json(new),
        },
    }


def text_of(calls: list[Call]) -> str:
    """What the delegate reads: message texts, poll questions and venue titles, tags removed."""
    out = []
    for call in calls:
        p = call.params
        for key in ("text", "question", "title", "address", "caption"):
            if isinstance(p.get(key), str):
                out.append(html.unescape(_TAG.sub("", p[key])))
        out.extend(label for label, _data in buttons_of(call))
    return "\n".join(out)


def buttons_of(call: Call) -> list[tuple[str, str]]:
    """(label, callback data) of every inline button on a call."""
    markup = call.params.get("reply_markup") or {}
    return [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", []) for b in row]


class FakeTime:
    """Monotonic time that moves only when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class VirtualTime(FakeTime):
    """Monotonic time shared by concurrent sleepers: :meth:`run` wakes them in order of their deadlines.

    Unlike :class:`FakeTime`, a sleeper does not move the clock for everyone
    else as it sleeps: time jumps to the earliest deadline once every task is
    waiting, as it would on a real clock.
    """

    def __init__(self) -> None:
        super().__init__()
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, id(future), future))
        await future

    async def run(self, *coroutines: Any) -> list[Any]:
        tasks = [asyncio.ensure_future(c) for c in coroutines]
        while not all(t.done() for t in tasks):
            for _ in range(20):  # let every runnable task reach its next sleep
                await asyncio.sleep(0)
            if self._sleepers:
                self.now, _, future = heapq.heappop(self._sleepers)
                future.set_result(None)
        return [t.result() for t in tasks]


SPEC_FILE = ("data", "telegram-bot-api-10.0.json")
#: shaped like a real token (digits, a colon, 35 characters), so log redaction is tested on the real shape
TOKEN = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SECRET = "test-secret_0123"
USER_ID = 111


class Harness:
    """A Telegram channel in webhook mode, fed through its webhook route, talking to the fake."""

    def __init__(self, core: Any, api: FakeBotAPI, channel: Any, client: Any) -> None:
        self.core = core
        self.api = api
        self.channel = channel
        self.client = client
        self._update_ids = itertools.count(1)

    def next_id(self) -> int:
        return next(self._update_ids)

    async def post(self, update: dict[str, Any] | str | bytes, secret: str | None = SECRET) -> int:
        """POST to the webhook route; returns the HTTP status."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        if isinstance(update, dict):
            response = await self.client.post("/telegram", json=update, headers=headers)
        else:
            response = await self.client.post("/telegram", data=update, headers=headers)
        return response.status

    async def deliver(self, update: dict[str, Any]) -> list[Call]:
        """Feed one update; the calls the bot made while handling it."""
        before = len(self.api.calls)
        status = await self.post(update)
        assert status == 200, status
        return self.api.calls[before:]

    async def say(self, text: str, *, language: str | None = "en", user_id: int = USER_ID) -> list[Call]:
        return await self.deliver(message_update(self.next_id(), text, user_id=user_id, language=language))

    async def press(self, data: str, *, message_id: int, language: str | None = "en", user_id: int = USER_ID) -> list[Call]:
        return await self.deliver(callback_update(self.next_id(), data, user_id=user_id, language=language, message_id=message_id))
