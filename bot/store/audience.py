"""Who is concerned: the audience queries shared by reminders, change notices, broadcasts and feedback.

"Concerned by a session" means: bookmarked it, follows its stream, or joined
it (a site visit).  Broadcasts pick wider or narrower audiences: everyone, a
stream's followers, a visit's members, a session's bookmarkers, one
language, one channel.  Every query returns delegate ids (``users.id``) of
reachable delegates only where it says so.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final

from bot.store.db import Database

if TYPE_CHECKING:
    from bot.programme import Agenda

#: Ids per ``IN (...)`` list, well under SQLite's variable limit.
SQL_CHUNK: Final = 500


def chunks(values: Sequence[Any], size: int = SQL_CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def placeholders(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


class Audience:
    """Read-only queries over what delegates chose."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def _ids(self, sql: str, values: Collection[str]) -> set[int]:
        """``sql`` with ``IN ({})`` over ``values`` in chunks; the first column of every row."""
        out: set[int] = set()
        ordered = sorted(values)
        for part in chunks(ordered):
            rows = await self.db.fetchall(sql.format(placeholders(part)), tuple(part))
            out.update(r[0] for r in rows)
        return out

    async def bookmarked(self, session_ids: Collection[str]) -> set[int]:
        return await self._ids("SELECT user_id FROM bookmarks WHERE session_id IN ({})", session_ids)

    async def joined(self, session_ids: Collection[str]) -> set[int]:
        """Members of these site visits."""
        return await self._ids("SELECT user_id FROM visit_signups WHERE session_id IN ({})", session_ids)

    async def following(self, stream_ids: Collection[str]) -> set[int]:
        return await self._ids("SELECT user_id FROM stream_subscriptions WHERE stream_id IN ({})", stream_ids)

    async def concerned_by_sessions(self, agenda: Agenda, session_ids: Collection[str]) -> set[int]:
        """Who bookmarked or joined any of these sessions, or follows the stream of one of them."""
        wanted = set(session_ids)
        streams = {s.stream for sid in wanted if (s := agenda.session(sid)) is not None and s.stream}
        return await self.bookmarked(wanted) | await self.joined(wanted) | await self.following(streams)

    async def everyone(self, *, active_only: bool = True) -> set[int]:
        sql = "SELECT id FROM users" + (" WHERE active = 1" if active_only else "")
        return {r[0] for r in await self.db.fetchall(sql)}

    async def on_channel(self, channel: str, *, active_only: bool = True) -> set[int]:
        sql = "SELECT id FROM users WHERE channel = ?" + (" AND active = 1" if active_only else "")
        return {r[0] for r in await self.db.fetchall(sql, (channel,))}

    async def bookmark_counts(self) -> dict[str, int]:
        """Session id -> how many delegates bookmarked it."""
        rows = await self.db.fetchall("SELECT session_id, COUNT(*) FROM bookmarks GROUP BY session_id")
        return {r[0]: r[1] for r in rows}

    async def channels(self) -> set[str]:
        """The channels reachable delegates use."""
        return {r[0] for r in await self.db.fetchall("SELECT DISTINCT channel FROM users WHERE active = 1")}

    async def reachable(self, user_ids: Collection[int]) -> set[int]:
        """Those of ``user_ids`` who can still be reached (have not blocked or unfollowed)."""
        out: set[int] = set()
        for part in chunks(sorted(user_ids)):
            rows = await self.db.fetchall(f"SELECT id FROM users WHERE active = 1 AND id IN ({placeholders(part)})", tuple(part))
            out.update(r[0] for r in rows)
        return out
