"""WeChat bookkeeping: answered callbacks (for retries) and customer-service windows."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Final

from bot.store.db import Database, iso, parse_iso

#: How long an answered callback is remembered; WeChat retries within about 15 seconds.
INBOUND_TTL: Final = dt.timedelta(days=1)
#: Old callbacks are pruned once every this many claims.
PRUNE_EVERY: Final = 500
#: Replies are written this long after the first unsaved one, together (seconds).
FLUSH_DELAY: Final = 0.05
#: At most this many rows go to the database in one statement (4 parameters a row; SQLite allows 32766).
MAX_BATCH: Final = 250


@dataclass(frozen=True)
class Claim:
    """What the database knew of a callback before this attempt claimed it."""

    new: bool
    parts: tuple[str, ...] | None = None
    late: bool = False


@dataclass(frozen=True)
class Budget:
    """What WeChat allows an Official Account to send a follower unasked (customer-service messages).

    About 5 messages within 48 hours of the follower's last message, and about
    3 within a minute of a menu click, follow or scan; both are settings, as
    WeChat changes them.
    """

    messages: int = 5
    window: dt.timedelta = dt.timedelta(hours=48)
    event_messages: int = 3
    event_window: dt.timedelta = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Window:
    """A follower's customer-service window: when it was opened, and what was spent since."""

    last_inbound_at: dt.datetime
    exhausted_at: dt.datetime | None
    last_message_at: dt.datetime | None = None
    message_spent: int = 0
    last_event_at: dt.datetime | None = None
    event_spent: int = 0

    def remaining(self, now: dt.datetime, budget: Budget) -> int:
        """How many customer-service messages may still go out now (0: closed or spent)."""
        if self.exhausted_at is not None:
            return 0  # WeChat itself said no since the follower last wrote
        left = 0
        if self.last_message_at is not None and dt.timedelta(0) <= now - self.last_message_at < budget.window:
            left = max(left, budget.messages - self.message_spent)
        if self.last_event_at is not None and dt.timedelta(0) <= now - self.last_event_at < budget.event_window:
            left = max(left, budget.event_messages - self.event_spent)
        return max(0, left)

    def closes_at(self, budget: Budget) -> dt.datetime | None:
        """When the message window closes (None if the follower never wrote)."""
        return self.last_message_at + budget.window if self.last_message_at is not None else None


class WeChatStore:
    """Claims of callbacks (group-committed) and their replies (written behind), and the windows.

    Claims are the hot path: every callback's must be committed before the
    core acts on it.  Claims made while one is on its way to the database
    thread wait and then go together, as one multi-row ``INSERT ... RETURNING``
    (one statement in autocommit mode, so one transaction and one round trip):
    at concurrency 50 that is a handful of round trips where there were 50,
    and the connection's queue stays short for the core's own queries.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._claims = 0
        self._unsaved: dict[str, tuple[str, bool]] = {}
        self._flusher: asyncio.Task[None] | None = None
        #: claims not yet sent: key -> (row, waiters; the first waiter is the one that may win)
        self._pending: dict[str, tuple[tuple[str, str, str, int], list[asyncio.Future[bool]]]] = {}
        self._claimer: asyncio.Task[None] | None = None

    async def claim(self, key: str, openid: str, now: dt.datetime, *, opens_window: int) -> Claim:
        """Record that callback ``key`` is being handled (and open the follower's window), unless it already was.

        Returns once the claim is committed (or was found taken).
        """
        waiter: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        pending = self._pending.get(key)
        if pending is not None:
            pending[1].append(waiter)  # the same callback twice in one batch: the first one claims it
        else:
            self._pending[key] = ((key, openid, iso(now), int(opens_window)), [waiter])
        if self._claimer is None or self._claimer.done():
            self._claimer = asyncio.create_task(self._write_claims(), name="wechat-claims")
        if not await waiter:
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

    async def _write_claims(self) -> None:
        """Send the pending claims, a batch per statement, until none are left; tell each waiter."""
        while self._pending:
            keys = list(itertools.islice(self._pending, MAX_BATCH))
            batch = [self._pending.pop(k) for k in keys]
            try:
                rows = await self.db.execute_returning(
                    _claim_sql(len(batch)), tuple(value for row, _ in batch for value in row)
                )
            except Exception as exc:  # each waiter's claim failed (nothing was committed: one statement)
                for _row, waiters in batch:
                    for waiter in waiters:
                        if not waiter.done():
                            waiter.set_exception(exc)
                continue
            except BaseException:
                for _row, waiters in [*batch, *self._pending.values()]:
                    for waiter in waiters:
                        waiter.cancel()
                self._pending.clear()
                raise
            won = {r[0] for r in rows}
            for (row, waiters) in batch:
                for i, waiter in enumerate(waiters):
                    if not waiter.done():
                        waiter.set_result(i == 0 and row[0] in won)

    def answered(self, key: str, parts: list[str], *, late: bool = False) -> None:
        """Keep the reply, so a retry after a restart gets it again (written in batches, see :meth:`flush`).

        Only the claim must be committed before the core acts; the stored reply
        spares the follower a "please send it again" after a restart, so it is
        written behind, many callbacks in one statement.
        """
        self._unsaved[key] = (json.dumps(parts, ensure_ascii=False), late)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_soon(), name="wechat-answers")

    async def _flush_soon(self) -> None:
        await asyncio.sleep(FLUSH_DELAY)
        await self.flush()

    async def flush(self) -> None:
        """Write the replies kept since the last flush: one ``UPDATE ... FROM (VALUES ...)`` per batch."""
        batch, self._unsaved = self._unsaved, {}
        items = list(batch.items())
        for start in range(0, len(items), MAX_BATCH):
            chunk = items[start:start + MAX_BATCH]
            await self.db.execute(
                _answer_sql(len(chunk)), tuple(v for key, (parts, late) in chunk for v in (key, parts, int(late)))
            )

    async def close(self) -> None:
        """Let claims on their way finish, and write the replies not yet written."""
        if self._claimer is not None and not self._claimer.done():
            await asyncio.wait([self._claimer])
        if self._flusher is not None and not self._flusher.done():
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        await self.flush()

    async def forget(self, key: str) -> None:
        """Drop a claim whose handling failed, so WeChat's retry is handled afresh."""
        await self.db.execute("DELETE FROM wechat_inbound WHERE dedupe_key = ? AND parts IS NULL", (key,))

    async def window(self, openid: str) -> Window | None:
        return (await self.windows([openid])).get(openid)

    async def windows(self, openids: Sequence[str]) -> dict[str, Window]:
        """The windows of these followers (those who ever wrote), by openid."""
        out: dict[str, Window] = {}
        ids = list(dict.fromkeys(openids))
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            rows = await self.db.fetchall(
                "SELECT openid, last_inbound_at, exhausted_at, last_message_at, message_spent, last_event_at, event_spent "
                f"FROM wechat_window WHERE openid IN ({','.join('?' * len(part))})",
                tuple(part),
            )
            for r in rows:
                out[r[0]] = Window(
                    parse_iso(r[1]), parse_iso(r[2]) if r[2] else None, parse_iso(r[3]) if r[3] else None, int(r[4]),
                    parse_iso(r[5]) if r[5] else None, int(r[6]),
                )
        return out

    async def spend(self, openid: str, count: int = 1) -> None:
        """``count`` customer-service messages went out to this follower."""
        await self.db.execute(
            "UPDATE wechat_window SET message_spent = message_spent + ?, event_spent = event_spent + ? WHERE openid = ?",
            (count, count, openid),
        )

    async def window_exhausted(self, openid: str, now: dt.datetime) -> None:
        """WeChat refused a customer-service message: none until the follower writes again."""
        await self.db.execute("UPDATE wechat_window SET exhausted_at = ? WHERE openid = ?", (iso(now), openid))


@cache
def _claim_sql(rows: int) -> str:
    return (
        "INSERT INTO wechat_inbound (dedupe_key, openid, received_at, opens_window) VALUES "
        + ", ".join(["(?, ?, ?, ?)"] * rows)
        + " ON CONFLICT (dedupe_key) DO NOTHING RETURNING dedupe_key"
    )


@cache
def _answer_sql(rows: int) -> str:
    return (
        "UPDATE wechat_inbound SET parts = v.column2, late = v.column3 FROM (VALUES "
        + ", ".join(["(?, ?, ?)"] * rows)
        + ") AS v WHERE wechat_inbound.dedupe_key = v.column1"
    )
