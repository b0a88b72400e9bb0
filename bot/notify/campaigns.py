"""Campaigns: one message to many people through the outbox, with a delivery report.

A broadcast, a programme-change notice and a feedback prompt are campaigns:
an id, a kind, who started it, the audience as chosen, and one outbox item
per person, deduplicated by the campaign's key so that starting it twice
sends once.  Items carry the campaign's priority (below reminders) and are
claimed one by one like any push; the report counts them by outcome and
names the reasons of those that failed or may not have arrived.

A broadcast begins as a ``draft`` (its texts and audience gathered in a
dialogue), is confirmed once (:meth:`Campaigns.confirm` is atomic: a second
confirmation does nothing), becomes ``scheduled`` or ``sending``, and ends
``done`` or ``cancelled``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from bot.notify.outbox import UNREACHABLE, NewItem, Outbox, Priority, PushPort
from bot.store.db import Database, iso, parse_iso

KINDS: Final = ("broadcast", "notice", "feedback")
PRIORITIES: Final = {"broadcast": Priority.BROADCAST, "notice": Priority.NOTICE, "feedback": Priority.FEEDBACK}
STATUSES: Final = ("draft", "scheduled", "sending", "done", "cancelled")


@dataclass(frozen=True)
class Campaign:
    id: int
    kind: str
    title: str
    created_by: str
    created_at: dt.datetime
    audience: dict[str, Any] = field(default_factory=dict)
    not_before: dt.datetime | None = None
    cancelled_at: dt.datetime | None = None
    status: str = "sending"
    texts: dict[str, str] = field(default_factory=dict)
    """A broadcast's text per language tag (the event's default is the fallback)."""
    report_to: int | None = None
    """The delegate (an organiser) who gets the progress message and the report."""
    confirmed_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    reported: dict[str, int] | None = None

    @property
    def dedupe_key(self) -> str:
        """The outbox key of its items: one per person, however often it is started."""
        return f"campaign:{self.id}"

    @property
    def running(self) -> bool:
        return self.status in ("scheduled", "sending")


@dataclass(frozen=True)
class Report:
    """Where a campaign's items stand."""

    campaign: Campaign
    by_status: dict[str, int]
    failures: dict[str, int]
    """Reason -> how many, for the failed and uncertain items."""

    def count(self, status: str) -> int:
        return self.by_status.get(status, 0)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def sent(self) -> int:
        return self.count("sent")

    @property
    def waiting(self) -> int:
        """Not attempted yet, or to be retried."""
        return self.count("pending")

    @property
    def in_flight(self) -> int:
        return self.count("sending")

    @property
    def held(self) -> int:
        """Waiting for a WeChat follower to write again (their window was closed or spent)."""
        return self.count("held")

    @property
    def uncertain(self) -> int:
        """In flight at a crash, or timed out after the request left: may have arrived."""
        return self.count("uncertain")

    @property
    def unreachable(self) -> int:
        """Failed because the delegate blocked the bot or unfollowed the account."""
        return sum(n for reason, n in self.failures.items() if reason.startswith(UNREACHABLE))

    @property
    def finished(self) -> bool:
        return self.waiting == 0 and self.in_flight == 0


_COLUMNS: Final = (
    "id, kind, title, created_by, created_at, audience, not_before, cancelled_at, status, texts, report_to, "
    "confirmed_at, finished_at, reported"
)


def _when(value: Any) -> dt.datetime | None:
    return parse_iso(value) if value else None


def _campaign(r: Sequence[Any]) -> Campaign:
    return Campaign(
        id=int(r[0]), kind=r[1], title=r[2], created_by=r[3], created_at=parse_iso(r[4]),
        audience=json.loads(r[5] or "{}"), not_before=_when(r[6]), cancelled_at=_when(r[7]),
        status=r[8], texts=json.loads(r[9] or "{}"), report_to=r[10], confirmed_at=_when(r[11]),
        finished_at=_when(r[12]), reported=json.loads(r[13]) if r[13] else None,
    )


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class Campaigns:
    def __init__(self, db: Database, outbox: Outbox, push: PushPort) -> None:
        self.db = db
        self.outbox = outbox
        self.push = push

    async def create(
        self, kind: str, title: str, *, created_by: str, now: dt.datetime,
        audience: dict[str, Any] | None = None, not_before: dt.datetime | None = None,
        texts: dict[str, str] | None = None, report_to: int | None = None, status: str = "sending",
    ) -> Campaign:
        if kind not in KINDS:
            raise ValueError(f"unknown campaign kind {kind!r}")
        if status not in STATUSES:
            raise ValueError(f"unknown campaign status {status!r}")
        rows = await self.db.execute_returning(
            "INSERT INTO campaigns (kind, title, created_by, created_at, audience, not_before, texts, report_to, status, confirmed_at) "
            f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {_COLUMNS}",
            (kind, title, created_by, iso(now), _json(audience or {}), iso(not_before) if not_before else None,
             _json(texts or {}), report_to, status, iso(now) if status != "draft" else None),
        )
        return _campaign(rows[0])

    async def draft(
        self, kind: str, title: str, *, created_by: str, now: dt.datetime, texts: dict[str, str],
        audience: dict[str, Any] | None = None, report_to: int | None = None,
    ) -> Campaign:
        """A campaign being prepared: nothing is sent until :meth:`confirm`."""
        return await self.create(kind, title, created_by=created_by, now=now, audience=audience, texts=texts,
                                 report_to=report_to, status="draft")

    async def update_draft(self, campaign_id: int, *, audience: dict[str, Any] | None = None,
                           texts: dict[str, str] | None = None, not_before: dt.datetime | None = None) -> Campaign | None:
        sets, values = [], []
        if audience is not None:
            sets.append("audience = ?")
            values.append(_json(audience))
        if texts is not None:
            sets.append("texts = ?")
            values.append(_json(texts))
        if not_before is not None:
            sets.append("not_before = ?")
            values.append(iso(not_before))
        if sets:
            await self.db.execute(f"UPDATE campaigns SET {', '.join(sets)} WHERE id = ? AND status = 'draft'", (*values, campaign_id))
        return await self.get(campaign_id)

    async def confirm(self, campaign_id: int, now: dt.datetime) -> Campaign | None:
        """Turn a draft into a campaign on its way, once: None if it was not (any more) a draft."""
        rows = await self.db.execute_returning(
            "UPDATE campaigns SET status = CASE WHEN not_before IS NOT NULL AND not_before > ? THEN 'scheduled' ELSE 'sending' END, "
            f"confirmed_at = ? WHERE id = ? AND status = 'draft' RETURNING {_COLUMNS}",
            (iso(now), iso(now), campaign_id),
        )
        return _campaign(rows[0]) if rows else None

    async def get(self, campaign_id: int) -> Campaign | None:
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM campaigns WHERE id = ?", (campaign_id,))
        return _campaign(row) if row else None

    async def recent(self, limit: int = 10, kind: str | None = None, *, drafts: bool = False) -> list[Campaign]:
        where = ["1 = 1"]
        params: list[Any] = []
        if kind:
            where.append("kind = ?")
            params.append(kind)
        if not drafts:
            where.append("status != 'draft'")
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM campaigns WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?", (*params, limit)
        )
        return [_campaign(r) for r in rows]

    async def running(self) -> list[Campaign]:
        rows = await self.db.fetchall(f"SELECT {_COLUMNS} FROM campaigns WHERE status IN ('scheduled', 'sending') ORDER BY id")
        return [_campaign(r) for r in rows]

    async def send(self, campaign: Campaign, items: Sequence[NewItem]) -> int:
        """Put the campaign's items in the outbox (at its scheduled time); how many were new."""
        return await self.push.push_many(
            items, dedupe_key=campaign.dedupe_key, priority=PRIORITIES[campaign.kind],
            campaign_id=campaign.id, at=campaign.not_before,
        )

    async def cancel(self, campaign_id: int, now: dt.datetime) -> int:
        """Stop sending it: what has not gone out yet never will (what is in flight finishes)."""
        await self.db.execute(
            "UPDATE campaigns SET cancelled_at = ?, status = 'cancelled', finished_at = COALESCE(finished_at, ?) "
            "WHERE id = ? AND status != 'cancelled' AND status != 'done'",
            (iso(now), iso(now), campaign_id),
        )
        return await self.outbox.cancel_campaign(campaign_id)

    async def finish(self, campaign_id: int, now: dt.datetime) -> None:
        await self.db.execute(
            "UPDATE campaigns SET status = 'done', finished_at = ? WHERE id = ? AND status IN ('scheduled', 'sending')",
            (iso(now), campaign_id),
        )

    async def mark_sending(self, campaign_id: int) -> None:
        await self.db.execute("UPDATE campaigns SET status = 'sending' WHERE id = ? AND status = 'scheduled'", (campaign_id,))

    async def note_reported(self, campaign_id: int, counts: dict[str, int]) -> None:
        await self.db.execute("UPDATE campaigns SET reported = ? WHERE id = ?", (_json(counts), campaign_id))

    async def report(self, campaign_id: int) -> Report | None:
        campaign = await self.get(campaign_id)
        if campaign is None:
            return None
        return Report(
            campaign,
            await self.outbox.campaign_counts(campaign_id),
            await self.outbox.campaign_failures(campaign_id),
        )
