"""``/metrics``: Prometheus metrics (prometheus-client), with no personal data in any label.

Labels are only ever a channel's name, a command the router knows (or
``text``, ``button``, ``location``, ``poll_answer``, ``unknown``), an outbox
priority or status, an outcome, and a reason from a fixed set: never a user
id, a chat id, an openid or anything a delegate wrote.

=============================================  ==========================================================
``delegate_bot_updates_total``                 requests answered, by ``channel`` and ``command``
``delegate_bot_reply_seconds``                 time the core took to work out a reply (histogram), by ``channel``
``delegate_bot_outbox_items``                  outbox items by ``priority`` and ``status`` (pending, sending, held)
``delegate_bot_outbox_oldest_due_seconds``     how long the oldest due, pending item has waited, by ``priority``
``delegate_bot_deliveries_total``              outbox deliveries by ``channel`` and ``outcome``
``delegate_bot_reminder_lag_seconds``          from a reminder being queued (when it fell due) to the platform taking it
``delegate_bot_wechat_refusals_total``         WeChat pushes refused a customer-service message, by ``reason``
                                               (``window``: closed, ``quota``: spent) and ``by`` (``bot``: its own
                                               count, ``wechat``: errcode 45015/45047)
``delegate_bot_channel_last_contact_seconds``  seconds since each channel's last successful contact with its platform
``delegate_bot_flood_refused_total``           messages not answered because their sender was flooding, by
                                               ``channel`` and ``answer`` (``warned``: the one warning of a flood,
                                               ``quiet``: nothing)
``delegate_bot_updates_dropped_total``         updates a channel dropped before the core, by ``channel`` and
                                               ``reason`` (``flood``: too many from one person already waiting)
``delegate_bot_updates_resumed_total``         updates an earlier run did not finish, by ``channel`` and ``outcome``
                                               (``handled``: handled again at start, ``let_go``: interrupted twice,
                                               too old, or unreadable)
=============================================  ==========================================================

The outbox gauges are read from the database when ``/metrics`` is asked.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.conversation import Request

if TYPE_CHECKING:
    from bot.notify.outbox import OutboxItem, Outcome
    from bot.store.db import Database
    from bot.web.health import Contacts

logger = logging.getLogger(__name__)

ROUTE: Final = "/metrics"
PREFIX: Final = "delegate_bot"
REPLY_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LAG_BUCKETS: Final = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0)
#: The outbox statuses counted in the depth gauge (what is still to do or in doubt).
WAITING: Final = ("pending", "sending", "held", "uncertain")


def priority_name(value: int) -> str:
    from bot.notify.outbox import Priority

    try:
        return Priority(value).name.lower()
    except ValueError:
        return str(value)


def command_label(request: Request, command: str | None) -> str:
    """The router's command, or what kind of request it was: a bounded set, never the delegate's words."""
    if command is not None:
        return command
    if request.location is not None:
        return "location"
    if request.poll_answer is not None:
        return "poll_answer"
    if request.payload is not None:
        return "button"
    if request.command is not None or (request.text or "").lstrip().startswith("/"):
        return "unknown"
    return "text"


def outcome_label(outcome: Outcome) -> str:
    """``Delivered`` -> ``delivered``, ``Failed`` -> ``failed`` ... (``unreachable`` where it deactivated the person)."""
    name = type(outcome).__name__.lower()
    if name == "failed" and getattr(outcome, "deactivate", False):
        return "unreachable"
    return name


class Metrics:
    """The bot's metrics in their own registry (one per running bot, so tests can build many)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.updates = Counter(f"{PREFIX}_updates", "Requests answered, by channel and command", ["channel", "command"], registry=r)
        self.reply_seconds = Histogram(
            f"{PREFIX}_reply_seconds", "Time the core took to work out a reply", ["channel"], buckets=REPLY_BUCKETS, registry=r)
        self.outbox_items = Gauge(f"{PREFIX}_outbox_items", "Outbox items still to do or in doubt, by priority and status",
                                  ["priority", "status"], registry=r)
        self.outbox_oldest = Gauge(f"{PREFIX}_outbox_oldest_due_seconds",
                                   "How long the oldest due, pending outbox item has waited, by priority", ["priority"], registry=r)
        self.deliveries = Counter(f"{PREFIX}_deliveries", "Outbox deliveries by channel and outcome", ["channel", "outcome"], registry=r)
        self.reminder_lag = Histogram(
            f"{PREFIX}_reminder_lag_seconds", "From a reminder being queued to the platform accepting it",
            ["channel"], buckets=LAG_BUCKETS, registry=r)
        self.wechat_refusals = Counter(
            f"{PREFIX}_wechat_refusals",
            "WeChat pushes that could not go as a customer-service message: window closed or quota spent",
            ["reason", "by"], registry=r)
        self.last_contact = Gauge(f"{PREFIX}_channel_last_contact_seconds",
                                  "Seconds since each channel's last successful contact with its platform", ["channel"], registry=r)
        self.flood = Counter(f"{PREFIX}_flood_refused", "Messages not answered because their sender was flooding",
                             ["channel", "answer"], registry=r)
        self.dropped = Counter(f"{PREFIX}_updates_dropped", "Updates a channel dropped before the core, by reason",
                               ["channel", "reason"], registry=r)
        self.resumed = Counter(f"{PREFIX}_updates_resumed", "Updates an earlier run did not finish: handled again or let go",
                               ["channel", "outcome"], registry=r)
        self._seen_outbox: set[tuple[str, str]] = set()
        self._answered: dict[tuple[str, str], tuple[Any, Any]] = {}

    # -- what the bot reports ----------------------------------------------------

    def answered(self, request: Request, command: str | None, seconds: float) -> None:
        channel = request.user.channel
        key = (channel, command_label(request, command))
        children = self._answered.get(key)
        if children is None:  # labels() locks and checks its arguments: once per channel and command, not per request
            children = self._answered[key] = (self.updates.labels(*key), self.reply_seconds.labels(channel))
        children[0].inc()
        children[1].observe(seconds)

    def delivered(self, channel: str, item: OutboxItem, outcome: Outcome, now: dt.datetime) -> None:
        from bot.notify.outbox import Delivered, Priority

        self.deliveries.labels(channel, outcome_label(outcome)).inc()
        if isinstance(outcome, Delivered) and item.priority == Priority.REMINDER:
            self.reminder_lag.labels(channel).observe(max(0.0, (now - item.not_before).total_seconds()))

    def flood_refused(self, channel: str, *, warned: bool) -> None:
        self.flood.labels(channel, "warned" if warned else "quiet").inc()

    def update_dropped(self, channel: str, reason: str) -> None:
        """``reason``: ``flood``."""
        self.dropped.labels(channel, reason).inc()

    def updates_resumed(self, channel: str, handled: int, let_go: int) -> None:
        """After a restart: ``handled`` updates handled again, ``let_go`` let go."""
        self.resumed.labels(channel, "handled").inc(handled)
        self.resumed.labels(channel, "let_go").inc(let_go)

    def wechat_refused(self, reason: str, by: str) -> None:
        """``reason``: ``window`` or ``quota``; ``by``: ``bot`` (its own count said no) or ``wechat`` (an errcode)."""
        self.wechat_refusals.labels(reason, by).inc()

    # -- read when scraped -----------------------------------------------------------

    async def refresh(self, db: Database, now: dt.datetime, contacts: Contacts | None = None) -> None:
        """Set the outbox gauges from the database, and the contact ages from ``contacts``."""
        from bot.store.db import iso, parse_iso

        rows = await db.fetchall(
            f"SELECT priority, status, COUNT(*) FROM outbox WHERE status IN ({','.join('?' * len(WAITING))}) GROUP BY 1, 2",
            WAITING,
        )
        seen: set[tuple[str, str]] = set()
        for priority, status, count in rows:
            key = (priority_name(int(priority)), str(status))
            self.outbox_items.labels(*key).set(int(count))
            seen.add(key)
        for key in self._seen_outbox - seen:
            self.outbox_items.labels(*key).set(0)
        self._seen_outbox |= seen
        oldest = await db.fetchall(
            "SELECT priority, MIN(not_before) FROM outbox WHERE status = 'pending' AND not_before <= ? GROUP BY 1", (iso(now),))
        waiting = {priority_name(int(p)): (now - parse_iso(t)).total_seconds() for p, t in oldest if t}
        for name in {priority_name(p) for p in _priorities()} | set(waiting):
            self.outbox_oldest.labels(name).set(max(0.0, waiting.get(name, 0.0)))
        if contacts is not None:
            for channel, contact in contacts.items():
                if contact.last_ok is not None:
                    self.last_contact.labels(channel).set(max(0.0, (now - contact.last_ok).total_seconds()))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def _priorities() -> tuple[int, ...]:
    from bot.notify.outbox import Priority

    return tuple(int(p) for p in Priority)


def add_routes(app: web.Application, metrics: Metrics, db: Database, now: Callable[[], dt.datetime], contacts: Contacts | None = None) -> None:
    """``GET /metrics`` in Prometheus' text format."""

    async def serve(_request: web.Request) -> web.Response:
        try:
            async with asyncio.timeout(5):
                await metrics.refresh(db, now(), contacts)
        except Exception as exc:  # the counters are still worth serving; the gauges keep their last values
            logger.warning("could not read the outbox for /metrics (%s)", type(exc).__name__)
        return web.Response(body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get(ROUTE, serve)
