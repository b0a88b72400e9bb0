"""Delegates as channels know them: language, zone, whether they can be reached."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import aiosqlite

from bot.conversation import UserRef
from bot.store.db import Database, iso

#: The longest display name kept (platforms allow 64; longer is abuse).
MAX_NAME: Final = 64


@dataclass(frozen=True)
class UserRecord:
    id: int
    channel: str
    platform_id: str
    locale: str | None
    language_hint: str | None
    timezone: str | None
    active: bool
    display_name: str | None = None

    @property
    def ref(self) -> UserRef:
        return UserRef(self.channel, self.platform_id)

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> UserRecord:
        return cls(
            id=row["id"],
            channel=row["channel"],
            platform_id=row["platform_id"],
            locale=row["locale"],
            language_hint=row["language_hint"],
            timezone=row["timezone"],
            active=bool(row["active"]),
            display_name=row["display_name"],
        )


_COLUMNS = "id, channel, platform_id, locale, language_hint, timezone, active, display_name"


class Users:
    """Delegates by channel and platform id.

    :meth:`seen` runs on every request; a delegate seen again within
    ``touch_every`` with nothing new to store is answered from memory, which
    saves a write per message.  Every change made through this class
    refreshes that memory; code that changes ``users`` rows with its own SQL
    calls :meth:`forget`.
    """

    def __init__(
        self, db: Database, *, capacity: int = 10_000, touch_every: dt.timedelta = dt.timedelta(minutes=5)
    ) -> None:
        self.db = db
        self.capacity = capacity
        self.touch_every = touch_every
        self._recent: OrderedDict[UserRef, tuple[UserRecord, dt.datetime]] = OrderedDict()

    def _remember(self, record: UserRecord, written: dt.datetime) -> UserRecord:
        self._recent[record.ref] = (record, written)
        self._recent.move_to_end(record.ref)
        while len(self._recent) > self.capacity:
            self._recent.popitem(last=False)
        return record

    def forget(self, user_id: int | None = None) -> None:
        """Drop what is remembered of one delegate (or of all): their row changed elsewhere."""
        if user_id is None:
            self._recent.clear()
            return
        for ref, (record, _written) in list(self._recent.items()):
            if record.id == user_id:
                del self._recent[ref]

    async def seen(self, ref: UserRef, language_hint: str | None, now: dt.datetime, display_name: str | None = None) -> UserRecord:
        """Find or create the delegate behind ``ref``, noting the time, language hint and name the platform gives."""
        if display_name is not None:
            display_name = display_name.strip()[:MAX_NAME] or None
        recent = self._recent.get(ref)
        if recent is not None:
            record, written = recent
            fresh = dt.timedelta(0) <= now - written < self.touch_every
            if fresh and record.active and language_hint in (None, record.language_hint) and display_name in (None, record.display_name):
                return record
        rows = await self.db.execute_returning(
            f"""
            INSERT INTO users (channel, platform_id, language_hint, display_name, created_at, last_seen_at)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (channel, platform_id) DO UPDATE SET
                language_hint = COALESCE(excluded.language_hint, users.language_hint),
                display_name = COALESCE(excluded.display_name, users.display_name),
                last_seen_at = excluded.last_seen_at,
                active = 1
            RETURNING {_COLUMNS}
            """,
            (ref.channel, ref.platform_id, language_hint, display_name, iso(now), iso(now)),
        )
        return self._remember(UserRecord.from_row(rows[0]), now)

    async def get(self, user_id: int) -> UserRecord | None:
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM users WHERE id = ?", (user_id,))
        return UserRecord.from_row(row) if row else None

    async def get_many(self, user_ids: Iterable[int]) -> list[UserRecord]:
        """The records of these delegates (those that exist), in id order."""
        ids = sorted(set(user_ids))
        out: list[UserRecord] = []
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            rows = await self.db.fetchall(f"SELECT {_COLUMNS} FROM users WHERE id IN ({','.join('?' * len(part))}) ORDER BY id", tuple(part))
            out.extend(UserRecord.from_row(r) for r in rows)
        return out

    async def find(self, ref: UserRef) -> UserRecord | None:
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM users WHERE channel = ? AND platform_id = ?",
            (ref.channel, ref.platform_id),
        )
        return UserRecord.from_row(row) if row else None

    async def set_locale(self, user_id: int, locale: str | None) -> None:
        await self.db.execute("UPDATE users SET locale = ? WHERE id = ?", (locale, user_id))
        self.forget(user_id)

    async def set_timezone(self, user_id: int, zone: str | None) -> None:
        await self.db.execute("UPDATE users SET timezone = ? WHERE id = ?", (zone, user_id))
        self.forget(user_id)

    async def set_active(self, ref: UserRef, active: bool) -> bool:
        """Mark a delegate reachable or not (blocked the bot, left); True if known."""
        changed = await self.db.execute(
            "UPDATE users SET active = ? WHERE channel = ? AND platform_id = ?",
            (int(active), ref.channel, ref.platform_id),
        )
        self._recent.pop(ref, None)
        return changed > 0
