"""``/healthz``: is the bot able to do its work?  200 when it is, 503 (with what is wrong) when not.

Three things are checked, each within a few seconds:

* **database**: a write is committed (a heartbeat row), so a full disk, a
  read-only volume or a lock held too long shows;
* **scheduler**: the wake-up timer runs and its next wake-up is not overdue,
  and every channel's delivery worker is alive;
* **channels**: each channel's last successful contact with its platform
  (Telegram: any Bot API answer, long polling brings one every few seconds;
  WeChat: a signed callback or an API answer).  A channel is unhealthy when
  its calls have failed for longer than :data:`FAILING_AFTER`, or, where it
  expects regular contact (long polling), when none came for
  :data:`STALE_AFTER`.

The answer is JSON: ``{"status": "ok" | "unhealthy", "checks": {...}}``,
with times in UTC and no personal data.  ``delegate-bot healthcheck`` asks
it (the container's HEALTHCHECK).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.notify.outbox import PushPort
    from bot.notify.wakeups import Wakeups
    from bot.store.db import Database

logger = logging.getLogger(__name__)

ROUTE: Final = "/healthz"
#: Each check gets this long (seconds) before it counts as failed.
CHECK_TIMEOUT: Final = 3.0
#: A channel whose calls have failed for this long is unhealthy (a short outage is not).
FAILING_AFTER: Final = dt.timedelta(minutes=2)
#: A channel that expects regular contact (long polling) and had none for this long is unhealthy.
STALE_AFTER: Final = dt.timedelta(minutes=3)
#: The wake-up timer may be this late before it counts as stuck.
OVERDUE_AFTER: Final = dt.timedelta(minutes=2)


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.timezone.utc).isoformat(timespec="seconds") if value else None


@dataclass
class Contact:
    """One channel's contacts with its platform."""

    last_ok: dt.datetime | None = None
    last_failure: dt.datetime | None = None
    failure: str | None = None
    """Why the last failed call failed (an exception's class or an HTTP status: no ids, no text)."""
    expect_every: dt.timedelta | None = None
    """Regular contact is expected (long polling): none for :data:`STALE_AFTER` is a problem."""


class Contacts:
    """Each channel's last successful contact with its platform, and its last failure."""

    def __init__(self, now: Callable[[], dt.datetime]) -> None:
        self.now = now
        self.started = now()
        self._by_channel: dict[str, Contact] = {}

    def channel(self, name: str, *, expect_every: dt.timedelta | None = None) -> Contact:
        contact = self._by_channel.setdefault(name, Contact())
        if expect_every is not None:
            contact.expect_every = expect_every
        return contact

    def ok(self, name: str) -> None:
        self.channel(name).last_ok = self.now()

    def failed(self, name: str, reason: str) -> None:
        contact = self.channel(name)
        contact.last_failure = self.now()
        contact.failure = reason

    def items(self) -> Iterator[tuple[str, Contact]]:
        return iter(sorted(self._by_channel.items()))

    def check(self, name: str, contact: Contact, now: dt.datetime) -> dict[str, Any]:
        since = contact.last_ok or self.started
        out: dict[str, Any] = {"ok": True, "last_contact": _iso(contact.last_ok)}
        if contact.last_failure is not None and (contact.last_ok is None or contact.last_failure > contact.last_ok):
            out["last_failure"] = _iso(contact.last_failure)
            out["failure"] = contact.failure
            if now - since > FAILING_AFTER:
                out["ok"] = False
                out["problem"] = f"calls to the platform have failed since {_iso(since)}"
        if contact.expect_every is not None and now - since > max(STALE_AFTER, contact.expect_every):
            out["ok"] = False
            out.setdefault("problem", f"no contact with the platform since {_iso(since)}")
        return out


@dataclass
class Health:
    """What ``/healthz`` checks (see the module docstring)."""

    db: Database
    wakeups: Wakeups
    push: PushPort
    contacts: Contacts
    now: Callable[[], dt.datetime]
    expected_channels: list[str] = field(default_factory=list)

    async def database(self) -> dict[str, Any]:
        from bot.store.db import iso

        try:
            async with asyncio.timeout(CHECK_TIMEOUT):
                await self.db.execute(
                    "INSERT INTO heartbeat (id, checked_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
                    (iso(self.now()),),
                )
        except TimeoutError:
            return {"ok": False, "problem": f"no write committed within {CHECK_TIMEOUT:g} s"}
        except Exception as exc:
            return {"ok": False, "problem": f"cannot write: {type(exc).__name__}: {exc}"}
        return {"ok": True}

    def scheduler(self) -> dict[str, Any]:
        state = self.wakeups.state()
        out: dict[str, Any] = {"ok": True, "running": state.running, "next_wakeup": _iso(state.next_run)}
        if not state.running:
            out.update(ok=False, problem="the wake-up timer is not running")
        elif state.next_run is not None and dt.datetime.now(dt.timezone.utc) - state.next_run > OVERDUE_AFTER:
            out.update(ok=False, problem="the wake-up timer is overdue")
        dead = sorted(name for name, worker in self.push.workers.items() if not worker.alive)
        if dead:
            out.update(ok=False, problem=f"the delivery worker of {', '.join(dead)} stopped")
        return out

    async def report(self) -> dict[str, Any]:
        now = self.now()
        channels = {name: self.contacts.check(name, contact, now) for name, contact in self.contacts.items()}
        checks = {"database": await self.database(), "scheduler": self.scheduler(), "channels": channels}
        healthy = checks["database"]["ok"] and checks["scheduler"]["ok"] and all(c["ok"] for c in channels.values())
        return {"status": "ok" if healthy else "unhealthy", "time": _iso(now), "checks": checks}


def add_routes(app: web.Application, health: Health) -> None:
    async def serve(request: web.Request) -> web.Response:
        report = await health.report()
        status = 200 if report["status"] == "ok" else 503
        if status != 200:
            logger.warning("health check failed: %s", json.dumps(report["checks"], sort_keys=True))
        body = b"" if request.method == "HEAD" else json.dumps(report, indent=1).encode()
        return web.Response(status=status, body=body, content_type="application/json",
                            headers={"Cache-Control": "no-store"})

    app.router.add_get(ROUTE, serve)  # aiohttp answers HEAD with the GET handler


def probe(settings: Settings, url: str | None = None, timeout: float = 5.0) -> int:
    """``delegate-bot healthcheck``: ask the running bot's ``/healthz``; 0 when healthy, 1 otherwise."""
    if url is None:
        host, port = (settings.metrics_host, settings.metrics_port) if settings.metrics_port else (settings.http_host, settings.http_port)
        host = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
        url = f"http://{host}:{port}{ROUTE}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - an address the operator configured
            body = resp.read()
            status = resp.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read(), exc.code
    except (urllib.error.URLError, OSError) as exc:
        print(f"delegate-bot: no answer from {url} ({getattr(exc, 'reason', exc)})", file=sys.stderr)
        return 1
    try:
        report = json.loads(body)
    except ValueError:
        print(f"delegate-bot: {url} answered {status} without a health report", file=sys.stderr)
        return 1
    print(f"{report.get('status', '?')} ({status})")
    for name, check in _failed(report.get("checks", {})):
        print(f"  {name}: {check.get('problem', 'not ok')}")
    return 0 if status == 200 and report.get("status") == "ok" else 1


def _failed(checks: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    for name, check in checks.items():
        if isinstance(check, dict) and "ok" in check:
            if not check["ok"]:
                yield prefix + name, check
        elif isinstance(check, dict):
            yield from _failed(check, f"{prefix}{name}.")
