"""WeChat bookkeeping: answered callbacks (for retries) and customer-service windows."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Final

from bot.store.db import Database, iso, parse_iso

#: How long an answered callback is remembered; WeChat retries within about 15 seconds.
INBOUND_TTL: Final = dt.timedelta(days=1)
#: Old callbacks are pruned once every this many claims.
PRUNE_EVERY: Final = 500


@dataclass(frozen=True)
class Claim:
    """What the database knew of a callback before this attempt claimed it."""

    new: bool
    parts: tuple[str, ...] | None = None
    late: bool = False


@dataclass(frozen=True)
class Window:
    last_inbound_at: dt.datetime
    exhausted_at: dt.datetime | None

    def open_at(self, now: dt.datetime, length: dt.timedelta) -> bool:
        """Customer-service messages are allowed: inside the window and its quota not used up."""
        if now - self.last_inbound_at >= length:
            return False
        return self.exhausted_at is None


class WeChatStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._claims = 0

    async def claim(self, key: str, openid: str, now: dt.datetime, *, opens_window: bool) -> Claim:
        """Record that callback ``key`` is being handled (and the follower's window), unless it already was."""
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "INSERT INTO wechat_inbound (dedupe_key, openid, received_at) VALUES (?, ?, ?) "
                "ON CONFLICT (dedupe_key) DO NOTHING",
                (key, openid, iso(now)),
            )
            if not cur.rowcount:
                async with conn.execute(
                    "SELECT parts, late FROM wechat_inbound WHERE dedupe_key = ?", (key,)
                ) as found:
                    row = await found.fetchone()
                parts = tuple(json.loads(row["parts"])) if row and row["parts"] is not None else None
                return Claim(new=False, parts=parts, late=bool(row and row["late"]))
            if opens_window:
                await conn.execute(
                    "INSERT INTO wechat_window (openid, last_inbound_at) VALUES (?, ?) "
                    "ON CONFLICT (openid) DO UPDATE SET last_inbound_at = excluded.last_inbound_at, exhausted_at = NULL "
                    "WHERE excluded.last_inbound_at >= wechat_window.last_inbound_at",
                    (openid, iso(now)),
                )
            self._claims += 1
            if self._claims % PRUNE_EVERY == 0:
                await conn.execute("DELETE FROM wechat_inbound WHERE received_at < ?", (iso(now - INBOUND_TTL),))
        return Claim(new=True)

    async def answered(self, key: str, parts: list[str]) -> None:
        """Store the reply, so a retry after a restart gets it again instead of a second effect."""
        await self.db.execute(
            "UPDATE wechat_inbound SET parts = ? WHERE dedupe_key = ?", (json.dumps(parts, ensure_ascii=False), key)
        )

    async def mark_late(self, key: str) -> None:
        await self.db.execute("UPDATE wechat_inbound SET late = 1 WHERE dedupe_key = ?", (key,))

    async def forget(self, key: str) -> None:
        """Drop a claim whose handling failed, so WeChat's retry is handled afresh."""
        await self.db.execute("DELETE FROM wechat_inbound WHERE dedupe_key = ? AND parts IS NULL", (key,))

    async def window(self, openid: str) -> Window | None:
        row = await self.db.fetchone(
            "SELECT last_inbound_at, exhausted_at FROM wechat_window WHERE openid = ?", (openid,)
        )
        if row is None:
            return None
        return Window(parse_iso(row[0]), parse_iso(row[1]) if row[1] else None)

    async def window_exhausted(self, openid: str, now: dt.datetime) -> None:
        """WeChat refused a customer-service message: none until the follower writes again."""
        await self.db.execute("UPDATE wechat_window SET exhausted_at = ? WHERE openid = ?", (iso(now), openid))
