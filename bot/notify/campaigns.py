"""Campaigns: one message to many people through the outbox, with a delivery report.

A broadcast, a programme-change notice and a feedback prompt are campaigns:
an id, a kind, who started it, the audience as chosen (for the report), and
one outbox item per person, deduplicated by the campaign's key so that
starting it twice sends once.  Items carry the campaign's priority (below
reminders) and are claimed one by one like any push; the report counts them
by outcome and names the reasons of those that failed or may not have
arrived.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from bot.notify.outbox import NewItem, Outbox, Priority, PushPort
from bot.store.db import Database, iso, parse_iso

KINDS: Final = ("broadcast", "notice", "feedback")
PRIORITIES: Final = {"broadcast": Priority.BROADCAST, "notice": Priority.NOTICE, "feedback": Priority.FEEDBACK}


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

    @property
    def dedupe_key(self) -> str:
        """The outbox key of its items: one per person, however often it is started."""
        return f"campaign:{self.id}"


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
    def finished(self) -> bool:
        return self.waiting == 0 and self.in_flight == 0


def _campaign(r: Sequence[Any]) -> Campaign:
    return Campaign(
        id=int(r[0]), kind=r[1], title=r[2], created_by=r[3], created_at=parse_iso(r[4]),
        audience=json.loads(r[5] or "{}"), not_before=parse_iso(r[6]) if r[6] else None,
        cancelled_at=parse_iso(r[7]) if r[7] else None,
    )


_COLUMNS: Final = "id, kind, title, created_by, created_at, audience, not_before, cancelled_at"


class Campaigns:
    def __init__(self, db: Database, outbox: Outbox, push: PushPort) -> None:
        self.db = db
        self.outbox = outbox
        self.push = push

    async def create(
        self, kind: str, title: str, *, created_by: str, now: dt.datetime,
        audience: dict[str, Any] | None = None, not_before: dt.datetime | None = None,
    ) -> Campaign:
        if kind not in KINDS:
            raise ValueError(f"unknown campaign kind {kind!r}")
        rows = await self.db.execute_returning(
            f"INSERT INTO campaigns (kind, title, created_by, created_at, audience, not_before) VALUES (?, ?, ?, ?, ?, ?) RETURNING {_COLUMNS}",
            (kind, title, created_by, iso(now), json.dumps(audience or {}, ensure_ascii=False), iso(not_before) if not_before else None),
        )
        return _campaign(rows[0])

    async def get(self, campaign_id: int) -> Campaign | None:
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM campaigns WHERE id = ?", (campaign_id,))
        return _campaign(row) if row else None

    async def recent(self, limit: int = 10, kind: str | None = None) -> list[Campaign]:
        where = " WHERE kind = ?" if kind else ""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM campaigns{where} ORDER BY id DESC LIMIT ?", ((kind, limit) if kind else (limit,))
        )
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
            "UPDATE campaigns SET cancelled_at = ? WHERE id = ? AND cancelled_at IS NULL", (iso(now), campaign_id)
        )
        return await self.outbox.cancel_campaign(campaign_id)

    async def report(self, campaign_id: int) -> Report | None:
        campaign = await self.get(campaign_id)
        if campaign is None:
            return None
        return Report(
            campaign,
            await self.outbox.campaign_counts(campaign_id),
            await self.outbox.campaign_failures(campaign_id),
        )
