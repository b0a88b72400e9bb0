"""Feedback in the database: polls opened and closed, who was asked, answers, facilitators watching.

Every write is committed before it returns, so an answer is stored before
the delegate is told it was.  One response per delegate and session, one
answer per response and question (changed in place); "I did not attend"
is a response without answers.

Answers are personal data: the registry in :mod:`bot.privacy` says how
``/forget`` and the retention purge treat these tables (a delegate's
anonymous responses and prompts are detached, the counts stay and nobody
can be found in them; named responses and watches are deleted).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from bot.feedback.questions import PollRecord
from bot.store.audience import chunks, placeholders
from bot.store.db import Database, iso, parse_iso


@dataclass(frozen=True)
class Answer:
    question_id: str
    kind: str
    value: Any
    """A rating (int), an option id (str), option ids (list), or a comment (str); None when skipped."""
    skipped: bool
    answered_at: dt.datetime


@dataclass(frozen=True)
class Response:
    id: int
    session_id: str
    user_id: int | None
    named: bool
    attended: bool
    started_at: dt.datetime
    updated_at: dt.datetime
    completed_at: dt.datetime | None
    answers: dict[str, Answer] = field(default_factory=dict)

    @property
    def answered(self) -> bool:
        """Attended and answered at least one question (not only skipped)."""
        return self.attended and any(not a.skipped for a in self.answers.values())


@dataclass(frozen=True)
class Watch:
    session_id: str
    user_id: int
    until: dt.datetime
    pushed_at: dt.datetime | None
    pushed_state: str | None


def _when(value: str | None) -> dt.datetime | None:
    return parse_iso(value) if value else None


_RESPONSE_COLUMNS: Final = "id, session_id, user_id, named, attended, started_at, updated_at, completed_at"


def _response(row: Sequence[Any], answers: dict[str, Answer] | None = None) -> Response:
    return Response(
        id=int(row[0]), session_id=row[1], user_id=row[2], named=bool(row[3]), attended=bool(row[4]),
        started_at=parse_iso(row[5]), updated_at=parse_iso(row[6]), completed_at=_when(row[7]), answers=answers or {},
    )


class FeedbackStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- polls ---------------------------------------------------------------------

    async def poll(self, session_id: str) -> PollRecord | None:
        row = await self.db.fetchone(
            "SELECT session_id, opened_at, opened_by, closed_at, closed_by FROM feedback_polls WHERE session_id = ?", (session_id,)
        )
        return PollRecord(row[0], _when(row[1]), row[2], _when(row[3]), row[4]) if row else None

    async def polls(self) -> dict[str, PollRecord]:
        rows = await self.db.fetchall("SELECT session_id, opened_at, opened_by, closed_at, closed_by FROM feedback_polls")
        return {r[0]: PollRecord(r[0], _when(r[1]), r[2], _when(r[3]), r[4]) for r in rows}

    async def open(self, session_id: str, by: str, now: dt.datetime) -> None:
        """Open by hand (also again after a close, which this undoes)."""
        await self.db.execute(
            "INSERT INTO feedback_polls (session_id, opened_at, opened_by) VALUES (?, ?, ?) "
            "ON CONFLICT (session_id) DO UPDATE SET opened_at = excluded.opened_at, opened_by = excluded.opened_by, "
            "closed_at = NULL, closed_by = NULL",
            (session_id, iso(now), by),
        )

    async def close(self, session_id: str, by: str, now: dt.datetime) -> None:
        await self.db.execute(
            "INSERT INTO feedback_polls (session_id, closed_at, closed_by) VALUES (?, ?, ?) "
            "ON CONFLICT (session_id) DO UPDATE SET closed_at = excluded.closed_at, closed_by = excluded.closed_by",
            (session_id, iso(now), by),
        )

    # -- rounds of prompts ---------------------------------------------------------------

    async def rounds(self) -> dict[str, tuple[int | None, bool]]:
        """Session id -> (the campaign its prompts went out in, whether the round finished)."""
        rows = await self.db.fetchall("SELECT session_id, campaign_id, finished_at FROM feedback_rounds")
        return {r[0]: (r[1], r[2] is not None) for r in rows}

    async def begin_round(self, session_id: str, campaign_id: int, now: dt.datetime) -> int:
        """Record that prompts for the session are going out in ``campaign_id``; the campaign already recorded wins."""
        rows = await self.db.execute_returning(
            "INSERT INTO feedback_rounds (session_id, campaign_id, started_at) VALUES (?, ?, ?) "
            "ON CONFLICT (session_id) DO UPDATE SET campaign_id = COALESCE(feedback_rounds.campaign_id, excluded.campaign_id) "
            "RETURNING campaign_id",
            (session_id, campaign_id, iso(now)),
        )
        return int(rows[0][0])

    async def finish_round(self, session_id: str, prompted: int, now: dt.datetime) -> None:
        await self.db.execute(
            "UPDATE feedback_rounds SET finished_at = ?, prompted = prompted + ? WHERE session_id = ?",
            (iso(now), prompted, session_id),
        )

    # -- who was asked ---------------------------------------------------------------

    async def asked(self, session_id: str, user_ids: Collection[int], now: dt.datetime, via: str) -> int:
        """Record that these delegates were asked (once each); how many were new."""
        if not user_ids:
            return 0
        async with self.db.transaction() as conn:
            before = conn.total_changes
            await conn.executemany(
                "INSERT INTO feedback_prompts (session_id, user_id, asked_at, via) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [(session_id, uid, iso(now), via) for uid in sorted(user_ids)],
            )
            return conn.total_changes - before

    async def asked_ids(self, session_id: str) -> set[int]:
        rows = await self.db.fetchall("SELECT user_id FROM feedback_prompts WHERE session_id = ? AND user_id IS NOT NULL", (session_id,))
        return {r[0] for r in rows}

    async def asked_counts(self) -> dict[str, int]:
        """Session id -> how many delegates were asked (forgotten ones included)."""
        rows = await self.db.fetchall("SELECT session_id, COUNT(*) FROM feedback_prompts GROUP BY session_id")
        return {r[0]: r[1] for r in rows}

    async def asked_sessions(self, user_id: int) -> set[str]:
        rows = await self.db.fetchall("SELECT session_id FROM feedback_prompts WHERE user_id = ?", (user_id,))
        return {r[0] for r in rows}

    # -- answers ---------------------------------------------------------------------

    async def response(self, session_id: str, user_id: int) -> Response | None:
        row = await self.db.fetchone(
            f"SELECT {_RESPONSE_COLUMNS} FROM feedback_responses WHERE session_id = ? AND user_id = ?", (session_id, user_id)
        )
        if row is None:
            return None
        answers = await self._answers([int(row[0])])
        return _response(row, answers.get(int(row[0]), {}))

    async def responses(self, session_ids: Iterable[str] | None = None) -> list[Response]:
        """Every response (of these sessions), with its answers, oldest first."""
        if session_ids is None:
            rows = await self.db.fetchall(f"SELECT {_RESPONSE_COLUMNS} FROM feedback_responses ORDER BY id")
        else:
            rows = []
            for part in chunks(sorted(set(session_ids))):
                rows += await self.db.fetchall(
                    f"SELECT {_RESPONSE_COLUMNS} FROM feedback_responses WHERE session_id IN ({placeholders(part)}) ORDER BY id",
                    tuple(part),
                )
            rows.sort(key=lambda r: r[0])
        answers = await self._answers([int(r[0]) for r in rows])
        return [_response(r, answers.get(int(r[0]), {})) for r in rows]

    async def mine(self, user_id: int) -> list[Response]:
        """A delegate's own responses (what /mydata shows)."""
        rows = await self.db.fetchall(f"SELECT {_RESPONSE_COLUMNS} FROM feedback_responses WHERE user_id = ? ORDER BY id", (user_id,))
        answers = await self._answers([int(r[0]) for r in rows])
        return [_response(r, answers.get(int(r[0]), {})) for r in rows]

    async def _answers(self, response_ids: Sequence[int]) -> dict[int, dict[str, Answer]]:
        out: dict[int, dict[str, Answer]] = {}
        for part in chunks(sorted(response_ids)):
            rows = await self.db.fetchall(
                "SELECT response_id, question_id, kind, value, skipped, answered_at FROM feedback_answers "
                f"WHERE response_id IN ({placeholders(part)})",
                tuple(part),
            )
            for r in rows:
                value = json.loads(r[3]) if r[3] is not None else None
                out.setdefault(int(r[0]), {})[r[1]] = Answer(r[1], r[2], value, bool(r[4]), parse_iso(r[5]))
        return out

    async def _begin(self, conn: Any, session_id: str, user_id: int, named: bool, attended: bool, now: dt.datetime) -> int:
        cur = await conn.execute(
            "INSERT INTO feedback_responses (session_id, user_id, named, attended, started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (session_id, user_id) DO UPDATE SET attended = excluded.attended, updated_at = excluded.updated_at "
            "RETURNING id",
            (session_id, user_id, int(named), int(attended), iso(now), iso(now)),
        )
        row = await cur.fetchone()
        await cur.close()
        await conn.execute(
            "INSERT INTO feedback_prompts (session_id, user_id, asked_at, via) VALUES (?, ?, ?, 'self') ON CONFLICT DO NOTHING",
            (session_id, user_id, iso(now)),
        )
        return int(row[0])

    async def answer(
        self, session_id: str, user_id: int, question_id: str, kind: str, value: Any, *,
        named: bool, now: dt.datetime, skipped: bool = False,
    ) -> None:
        """Store (or change) one answer, committed; the delegate attended."""
        async with self.db.transaction() as conn:
            response_id = await self._begin(conn, session_id, user_id, named, True, now)
            await conn.execute(
                "INSERT INTO feedback_answers (response_id, question_id, kind, value, skipped, answered_at) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (response_id, question_id) DO UPDATE SET kind = excluded.kind, value = excluded.value, "
                "skipped = excluded.skipped, answered_at = excluded.answered_at",
                (response_id, question_id, kind, None if skipped else json.dumps(value, ensure_ascii=False), int(skipped), iso(now)),
            )

    async def absent(self, session_id: str, user_id: int, *, named: bool, now: dt.datetime) -> None:
        """"I did not attend": a response without answers (any given before are dropped), committed."""
        async with self.db.transaction() as conn:
            response_id = await self._begin(conn, session_id, user_id, named, False, now)
            await conn.execute("DELETE FROM feedback_answers WHERE response_id = ?", (response_id,))
            await conn.execute("UPDATE feedback_responses SET completed_at = ? WHERE id = ?", (iso(now), response_id))

    async def complete(self, session_id: str, user_id: int, now: dt.datetime) -> None:
        await self.db.execute(
            "UPDATE feedback_responses SET completed_at = ? WHERE session_id = ? AND user_id = ?", (iso(now), session_id, user_id)
        )

    async def state(self, session_id: str) -> str:
        """A token that changes whenever the session's answers do (for live results)."""
        row = await self.db.fetchone(
            "SELECT COUNT(*), MAX(updated_at), (SELECT MAX(a.answered_at) FROM feedback_answers a JOIN feedback_responses r "
            "ON r.id = a.response_id WHERE r.session_id = ?), (SELECT COUNT(*) FROM feedback_prompts WHERE session_id = ?) "
            "FROM feedback_responses WHERE session_id = ?",
            (session_id, session_id, session_id),
        )
        return json.dumps(list(row) if row else [])

    # -- watchers --------------------------------------------------------------------

    async def watch(self, session_id: str, user_id: int, until: dt.datetime, state: str, now: dt.datetime) -> None:
        await self.db.execute(
            "INSERT INTO feedback_watchers (session_id, user_id, until, pushed_at, pushed_state) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (session_id, user_id) DO UPDATE SET until = excluded.until, pushed_at = excluded.pushed_at, "
            "pushed_state = excluded.pushed_state",
            (session_id, user_id, iso(until), iso(now), state),
        )

    async def unwatch(self, session_id: str, user_id: int) -> bool:
        return bool(await self.db.execute("DELETE FROM feedback_watchers WHERE session_id = ? AND user_id = ?", (session_id, user_id)))

    async def watches(self, now: dt.datetime) -> list[Watch]:
        """Watches still running; ended ones are dropped."""
        await self.db.execute("DELETE FROM feedback_watchers WHERE until <= ?", (iso(now),))
        rows = await self.db.fetchall("SELECT session_id, user_id, until, pushed_at, pushed_state FROM feedback_watchers ORDER BY session_id, user_id")
        return [Watch(r[0], r[1], parse_iso(r[2]), _when(r[3]), r[4]) for r in rows]

    async def pushed(self, session_id: str, user_id: int, state: str, now: dt.datetime) -> None:
        await self.db.execute(
            "UPDATE feedback_watchers SET pushed_at = ?, pushed_state = ? WHERE session_id = ? AND user_id = ?",
            (iso(now), state, session_id, user_id),
        )
