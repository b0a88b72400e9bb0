"""WeChat bookkeeping: answered callbacks (for retries) and customer-service windows."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
from dataclasses import dataclass
from typing import Final

from bot.store.db import Database, iso, parse_iso

#: How long an answered callback is remembered; WeChat retries within about 15 seconds.
INBOUND_TTL: Final = dt.timedelta(days=1)
#: Old callbacks are pruned once every this many claims.
PRUNE_EVERY: Final = 500
#: Replies are written this long after the first unsaved one, together (seconds).
FLUSH_DELAY: Final = 0.05


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
        self._unsaved: dict[str, tuple[str, bool]] = {}
        self._flusher: asyncio.Task[None] | None = None

    async def _statement(self, sql: str, params: tuple = ()) -> list:
        """One write statement, committed by itself (the connection is in autocommit mode).

        A single round trip to the database thread instead of three with
        BEGIN and COMMIT around it: this runs for every callback.
        """
        return await self.db.fetchall(sql, params)

    async def claim(self, key: str, openid: str, now: dt.datetime, *, opens_window: bool) -> Claim:
        """Record that callback ``key`` is being handled (and open the follower's window), unless it already was."""
        inserted = await self._statement(
            "INSERT INTO wechat_inbound (dedupe_key, openid, received_at, opens_window) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (dedupe_key) DO NOTHING RETURNING 1",
            (key, openid, iso(now), int(opens_window)),
        )
        if not inserted:
            if key in self._unsaved:
                parts_json, late = self._unsaved[key]
                return Claim(new=False, parts=tuple(json.loads(parts_json)), late=late)
            row = await self.db.fetchone("SELECT parts, late FROM wechat_inbound WHERE dedupe_key = ?", (key,))
            parts = tuple(json.loads(row["parts"])) if row and row["parts"] is not None else None
            return Claim(new=False, parts=parts, late=bool(row and row["late"]))
        self._claims += 1
        if self._claims % PRUNE_EVERY == 0:
            await self.db.execute("DELETE FROM wechat_inbound WHERE received_at < ?", (iso(now - INBOUND_TTL),))
        return Claim(new=True)

    def answered(self, key: str, parts: list[str], *, late: bool = False) -> None:
        """Keep the reply, so a retry after a restart gets it again (written in batches, see :meth:`flush`).

        Only the claim must be committed before the core acts; the stored reply
        spares the follower a "please send it again" after a restart, so it is
        written behind, many callbacks in one transaction.
        """
        self._unsaved[key] = (json.dumps(parts, ensure_ascii=False), late)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_soon(), name="wechat-answers")

    async def _flush_soon(self) -> None:
        await asyncio.sleep(FLUSH_DELAY)
        await self.flush()

    async def flush(self) -> None:
        """Write the replies kept since the last flush."""
        batch, self._unsaved = self._unsaved, {}
        if batch:
            async with self.db.transaction() as conn:
                await conn.executemany(
                    "UPDATE wechat_inbound SET parts = ?, late = ? WHERE dedupe_key = ?",
                    [(parts, int(late), key) for key, (parts, late) in batch.items()],
                )

    async def close(self) -> None:
        if self._flusher is not None and not self._flusher.done():
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        await self.flush()

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
