"""Programme-change notices: the delegates concerned are told what moved, once, in their language and zone.

What delegates were last told about each session is kept in the database
(``programme_baseline``: a signature per session of what a notice
compares).  Whenever the programme in force differs from it (a reload, a
SIGHUP, the file watch, or an edit made while the bot was down), a notice
falls due after a quiet period (``BOT_NOTICE_QUIET_MINUTES``, 2 by default);
edits within it make one notice.  Then, session by session, the changes are
found (moved, venue changed, title changed, cancelled, added, presenters
changed, to-be-confirmed resolved), each delegate concerned (bookmarked,
followed, joined) gets one message with the changes that concern them, and
the baseline becomes the programme in force.  The first start only records
the baseline.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from bot.clock import Clock
from bot.conversation import Reply
from bot.notify.campaigns import Campaigns
from bot.notify.outbox import NewItem
from bot.programme import Programme, ProgrammeHolder, Session
from bot.programme.reader import collector_paused, release
from bot.store.audience import Audience
from bot.store.db import Database, iso, parse_iso
from bot.store.users import UserRecord, Users

logger = logging.getLogger(__name__)

KINDS: Final = ("moved", "venue", "title", "cancelled", "added", "presenters", "confirmed")
PENDING: Final = "pending"


def signature(session: Session, programme: Programme) -> dict[str, Any]:
    """What a change notice compares, as JSON-able values."""
    venue = programme.venue(session.venue)
    return {
        "start": iso(session.start),
        "end": iso(session.end),
        "venue": session.venue,
        "venue_name": venue.name if venue is not None else None,
        "title": session.title,
        "stream": session.stream,
        "presenters": sorted(
            json.dumps([p.city, p.initiative, p.speaker], ensure_ascii=False, sort_keys=True, default=str)
            for p in session.presenters
        ) + sorted(json.dumps(s.name, ensure_ascii=False, sort_keys=True, default=str) for s in (*session.speakers, *session.moderators)),
        "tbc": session.tbc,
        "cancelled": bool(getattr(session, "cancelled", False)),
    }


@dataclass(frozen=True)
class Change:
    """What happened to one session: the kinds of change, and how it was and is (None: not in that version)."""

    session_id: str
    kinds: frozenset[str]
    old: dict[str, Any] | None
    new: dict[str, Any] | None

    @property
    def stream(self) -> str | None:
        return (self.new or self.old or {}).get("stream")

    def before(self, key: str) -> Any:
        return (self.old or {}).get(key)

    def after(self, key: str) -> Any:
        return (self.new or {}).get(key)

    def instant(self, key: str, *, new: bool) -> dt.datetime | None:
        value = self.after(key) if new else self.before(key)
        return parse_iso(value) if value else None


def diff(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> list[Change]:
    """Session by session, what changed between two sets of signatures."""
    changes = []
    for sid in sorted(old.keys() | new.keys()):
        before, after = old.get(sid), new.get(sid)
        if before == after:
            continue
        kinds: set[str] = set()
        if before is None:
            kinds.add("added")
        elif after is None or (after.get("cancelled") and not before.get("cancelled")):
            kinds.add("cancelled")
        else:
            if (before["start"], before["end"]) != (after["start"], after["end"]):
                kinds.add("moved")
            if before["venue"] != after["venue"] or before["venue_name"] != after["venue_name"]:
                kinds.add("venue")
            if before["title"] != after["title"]:
                kinds.add("title")
            if before["presenters"] != after["presenters"]:
                kinds.add("presenters")
            if before["tbc"] and not after["tbc"]:
                kinds.add("confirmed")
        if kinds:
            changes.append(Change(sid, frozenset(kinds), before, after))
    return changes


NoticeRenderer = Callable[[UserRecord, Sequence[Change], Programme], Sequence[Reply]]
"""One delegate's notice, in their language and zone (a feature provides it)."""


@dataclass
class NoticeReport:
    changes: list[Change] = field(default_factory=list)
    recipients: int = 0
    campaign_id: int | None = None


class ChangeNotifier:
    """Compares the programme in force with what delegates were told, and tells the delegates concerned."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        programmes: ProgrammeHolder,
        audience: Audience,
        users: Users,
        campaigns: Campaigns,
        render: NoticeRenderer,
        quiet: dt.timedelta = dt.timedelta(minutes=2),
    ) -> None:
        self.db = db
        self.clock = clock
        self.programmes = programmes
        self.audience = audience
        self.users = users
        self.campaigns = campaigns
        self.render = render
        self.quiet = quiet

    def current(self, programme: Programme | None = None) -> dict[str, dict[str, Any]]:
        programme = programme or self.programmes.programme
        return {s.id: signature(s, programme) for s in programme.sessions}

    async def baseline(self) -> dict[str, dict[str, Any]]:
        rows = await self.db.fetchall("SELECT session_id, signature FROM programme_baseline")
        return {r[0]: json.loads(r[1]) for r in rows}

    async def _store_baseline(self, signatures: dict[str, dict[str, Any]]) -> None:
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM programme_baseline")
            await conn.executemany(
                "INSERT INTO programme_baseline (session_id, signature) VALUES (?, ?)",
                [(sid, json.dumps(sig, ensure_ascii=False, sort_keys=True)) for sid, sig in signatures.items()],
            )
            await conn.execute("DELETE FROM notice_state WHERE key = ?", (PENDING,))

    async def start(self) -> None:
        """At start: the first time, record the baseline; later, notice what changed while the bot was down."""
        baseline = await self.baseline()
        if not baseline:
            await self._store_baseline(self.current())
            logger.info("programme baseline recorded for %d sessions", len(self.programmes.programme.sessions))
            return
        if diff(baseline, self.current()):
            await self._schedule()

    async def programme_changed(self, old: Programme, new: Programme) -> None:
        """A reload (a ProgrammeHolder listener): a notice falls due after the quiet period, which each edit restarts."""
        rows = await self.db.fetchall("SELECT session_id, signature FROM programme_baseline")

        def changed() -> bool:
            # both sides' signatures made with the collector paused and freed a piece at a time: a full
            # collection walking them, or their release in one go, held the loop 20-35 ms at 16,000 sessions
            with collector_paused():
                sides = [{r[0]: json.loads(r[1]) for r in rows}, self.current(new)]
                found = bool(diff(*sides))
                release(sides)  # what was told
                release(sides)  # what is now
            return found

        # every session compared: a second at 16,000 sessions, so not on the event loop
        if await asyncio.to_thread(changed):
            await self._schedule()
        else:
            await self.db.execute("DELETE FROM notice_state WHERE key = ?", (PENDING,))

    async def _schedule(self) -> None:
        due = self.clock.now() + self.quiet
        await self.db.execute(
            "INSERT INTO notice_state (key, due_at) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET due_at = excluded.due_at",
            (PENDING, iso(due)),
        )

    async def pending(self) -> tuple[dt.datetime | None, list[Change]]:
        """When the next notice goes, and what it will say."""
        due = await self._due_at()
        return due, (diff(await self.baseline(), self.current()) if due else [])

    async def _due_at(self) -> dt.datetime | None:
        row = await self.db.fetchone("SELECT due_at FROM notice_state WHERE key = ?", (PENDING,))
        return parse_iso(row[0]) if row else None

    # -- the wake-up path -----------------------------------------------------------

    async def next_due(self) -> dt.datetime | None:
        # only when: what the notice will say compares every session (0.6 s at 16,000), and the wake-up path asks often
        return await self._due_at()

    async def fire_due(self) -> None:
        due = await self._due_at()
        if due is None or due > self.clock.now():
            return
        await self.notify()

    async def notify(self) -> NoticeReport:
        """Tell every delegate concerned what changed since the baseline; the baseline becomes the programme in force."""
        programme = self.programmes.programme
        current = self.current(programme)
        changes = diff(await self.baseline(), current)
        report = NoticeReport(changes)
        if changes:
            concerned: dict[int, list[Change]] = defaultdict(list)
            for change in changes:
                people = await self.audience.bookmarked([change.session_id]) | await self.audience.joined([change.session_id])
                if change.stream:
                    people |= await self.audience.following([change.stream])
                for uid in people:
                    concerned[uid].append(change)
            records = [u for u in await self.users.get_many(concerned) if u.active]
            if records:
                campaign = await self.campaigns.create(
                    "notice", f"{len(changes)} programme change(s)", created_by="programme", now=self.clock.now(),
                    audience={"kind": "concerned", "sessions": [c.session_id for c in changes]},
                )
                items = [NewItem(u.id, u.channel, tuple(self.render(u, concerned[u.id], programme))) for u in records]
                await self.campaigns.send(campaign, items)
                report.recipients, report.campaign_id = len(records), campaign.id
            logger.info("programme changes: %d sessions, %d delegates told", len(changes), report.recipients)
        await self._store_baseline(current)
        return report
