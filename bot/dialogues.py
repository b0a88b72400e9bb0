"""Conversation state that survives a restart: the choices last offered and a pending step.

Keyed by (channel, platform id), so it needs no user row.  Two things live
here:

* the **offer**: what a bare number answers.  Channels without buttons
  (console, WeChat) number the options of the last :class:`Choices` (or
  :class:`Poll`) they showed; "2" picks the second, also after a restart.
* the **pending step** of a multi-step dialogue, with its data and an
  expiry: "awaiting the broadcast text", "confirm sending to 312 people?",
  "your question for the panel".  While one is pending, free text goes to
  the step's handler (registered with :meth:`bot.router.Router.step`); a
  typed command abandons it.

:class:`DialogueStore` is the small async interface; :class:`SqliteDialogues`
(the default, write-through cached) and :class:`MemoryDialogues` implement
it, and one contract test suite runs over both.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final, Protocol

from bot.conversation import Choices, Poll, Reply, UserRef
from bot.store.db import Database, iso, parse_iso

#: How many conversations the SQLite store keeps in memory in front of the table.
CACHE_SIZE: Final = 10_000
#: Offers are written this long after the first unwritten one, together (seconds).
FLUSH_DELAY: Final = 0.05
#: Rows per statement when writing offers (4 parameters a row; SQLite allows 32766).
MAX_BATCH: Final = 500


@dataclass(frozen=True)
class DialogueKey:
    channel: str
    platform_id: str

    @classmethod
    def of(cls, user: UserRef) -> DialogueKey:
        return cls(user.channel, user.platform_id)


@dataclass(frozen=True)
class Offer:
    """What numbered answers to the last message mean: its choices' payloads, or a poll's options."""

    payloads: tuple[str, ...] = ()
    poll_id: str | None = None
    options: int = 0
    multiple: bool = False

    @property
    def count(self) -> int:
        return self.options if self.poll_id is not None else len(self.payloads)

    @classmethod
    def from_replies(cls, replies: list[Reply] | tuple[Reply, ...]) -> Offer | None:
        """The offer the last choices or poll among ``replies`` make, or None if they make none."""
        for reply in reversed(replies):
            if isinstance(reply, Choices) and reply.options:
                return cls(payloads=tuple(c.payload for c in reply.options))
            if isinstance(reply, Poll) and reply.options:
                return cls(poll_id=reply.poll_id, options=len(reply.options), multiple=reply.allows_multiple)
        return None

    def to_json(self) -> str:
        if self.poll_id is not None:
            return json.dumps({"poll": self.poll_id, "options": self.options, "multiple": self.multiple}, ensure_ascii=False)
        return json.dumps({"payloads": list(self.payloads)}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Offer:
        data = json.loads(text)
        if "poll" in data:
            return cls(poll_id=data["poll"], options=int(data["options"]), multiple=bool(data.get("multiple")))
        return cls(payloads=tuple(data["payloads"]))


@dataclass(frozen=True)
class Step:
    """A pending step of a dialogue: which one, what it has gathered so far, until when it waits."""

    name: str
    expires_at: dt.datetime
    data: Mapping[str, Any] = field(default_factory=dict)
    """JSON values only: it is stored as JSON."""

    def live_at(self, now: dt.datetime) -> bool:
        return now < self.expires_at


@dataclass(frozen=True)
class Dialogue:
    offer: Offer | None = None
    step: Step | None = None


class DialogueStore(Protocol):
    """Where conversation state lives; every write is committed when it returns."""

    async def load(self, key: DialogueKey, now: dt.datetime) -> Dialogue:
        """The state for ``key``; a step past its expiry is not returned."""
        ...

    async def offer(self, key: DialogueKey, offer: Offer | None, now: dt.datetime) -> None:
        """Replace what numbered answers mean (None: nothing)."""
        ...

    async def begin(self, key: DialogueKey, step: Step, now: dt.datetime) -> None:
        """Make ``step`` the pending one (replacing any other)."""
        ...

    async def end(self, key: DialogueKey, now: dt.datetime) -> None:
        """No step is pending any more (the offer stays)."""
        ...

    async def forget(self, key: DialogueKey) -> None:
        """Drop everything kept for ``key`` (a delegate's data deleted)."""
        ...

    async def close(self) -> None:
        """Make everything kept durable (called before the database closes)."""
        ...


def _live(dialogue: Dialogue, now: dt.datetime) -> Dialogue:
    if dialogue.step is not None and not dialogue.step.live_at(now):
        return replace(dialogue, step=None)
    return dialogue


class MemoryDialogues:
    """Conversation state in this process only (lost on restart): for tests and throwaway runs."""

    def __init__(self) -> None:
        self._state: dict[DialogueKey, Dialogue] = {}

    async def load(self, key: DialogueKey, now: dt.datetime) -> Dialogue:
        return _live(self._state.get(key, Dialogue()), now)

    async def offer(self, key: DialogueKey, offer: Offer | None, now: dt.datetime) -> None:
        self._state[key] = replace(self._state.get(key, Dialogue()), offer=offer)

    async def begin(self, key: DialogueKey, step: Step, now: dt.datetime) -> None:
        self._state[key] = replace(self._state.get(key, Dialogue()), step=step)

    async def end(self, key: DialogueKey, now: dt.datetime) -> None:
        self._state[key] = replace(self._state.get(key, Dialogue()), step=None)

    async def forget(self, key: DialogueKey) -> None:
        self._state.pop(key, None)

    async def close(self) -> None:
        return None


class SqliteDialogues:
    """Conversation state in the ``dialogues`` table, with a cache in front.

    Reads come from the cache once a conversation has been seen (this store
    is the table's only writer).  Steps are written through: a step holds
    what a dialogue has gathered (a broadcast's text), committed before the
    next question is asked.  Offers are written behind, many conversations in
    one statement a few milliseconds later, and all of them on
    :meth:`close`: an offer only says what "2" means, and writing one per
    message would cost a database round trip on nearly every answer.  An
    unchanged offer (the same list shown again) is not written at all.
    """

    def __init__(self, db: Database, cache_size: int = CACHE_SIZE, flush_delay: float = FLUSH_DELAY) -> None:
        self.db = db
        self.cache_size = cache_size
        self.flush_delay = flush_delay
        self._cache: OrderedDict[DialogueKey, Dialogue] = OrderedDict()
        #: offers not written yet: key -> (offer JSON or None, when offered)
        #: Offers kept and not yet written, with when they were made (serialised when written, off the request path).
        self._dirty: dict[DialogueKey, tuple[Offer | None, dt.datetime]] = {}
        self._flusher: asyncio.Task[None] | None = None
        self._writing = asyncio.Lock()  # a flush and a forget never interleave

    def _remember(self, key: DialogueKey, dialogue: Dialogue) -> Dialogue:
        self._cache[key] = dialogue
        self._cache.move_to_end(key)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return dialogue

    async def _get(self, key: DialogueKey) -> Dialogue:
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        row = await self.db.fetchone(
            "SELECT offer, step_name, step_data, step_expires_at FROM dialogues WHERE channel = ? AND platform_id = ?",
            (key.channel, key.platform_id),
        )
        if row is None:
            return self._remember(key, Dialogue())
        offer = Offer.from_json(row[0]) if row[0] else None
        step = Step(row[1], parse_iso(row[3]), json.loads(row[2] or "{}")) if row[1] else None
        return self._remember(key, Dialogue(offer, step))

    async def load(self, key: DialogueKey, now: dt.datetime) -> Dialogue:
        return _live(await self._get(key), now)

    async def _write(self, key: DialogueKey, new: Dialogue, now: dt.datetime) -> None:
        """The whole row, committed now."""
        step = new.step
        await self.db.execute(
            """
            INSERT INTO dialogues (channel, platform_id, offer, step_name, step_data, step_expires_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (channel, platform_id) DO UPDATE SET
                offer = excluded.offer, step_name = excluded.step_name, step_data = excluded.step_data,
                step_expires_at = excluded.step_expires_at, updated_at = excluded.updated_at
            """,
            (
                key.channel, key.platform_id,
                new.offer.to_json() if new.offer is not None else None,
                step.name if step else None,
                json.dumps(dict(step.data), ensure_ascii=False) if step else None,
                iso(step.expires_at) if step else None,
                iso(now),
            ),
        )
        self._dirty.pop(key, None)  # the row now holds the offer too
        self._remember(key, new)

    async def offer(self, key: DialogueKey, offer: Offer | None, now: dt.datetime) -> None:
        current = await self._get(key)
        if current.offer == offer:
            return
        self._remember(key, replace(current, offer=offer))
        self._dirty[key] = (offer, now)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_soon(), name="dialogue-offers")

    async def _flush_soon(self) -> None:
        await asyncio.sleep(self.flush_delay)
        await self.flush()

    async def flush(self) -> None:
        """Write the offers kept since the last flush (one statement per batch)."""
        async with self._writing:
            await self._flush()

    async def _flush(self) -> None:
        dirty, self._dirty = self._dirty, {}
        rows = [
            (key.channel, key.platform_id, offer.to_json() if offer is not None else None, iso(stamp))
            for key, (offer, stamp) in dirty.items()
        ]
        for start in range(0, len(rows), MAX_BATCH):
            chunk = rows[start : start + MAX_BATCH]
            await self.db.execute(
                "INSERT INTO dialogues (channel, platform_id, offer, updated_at) VALUES "
                + ", ".join(["(?, ?, ?, ?)"] * len(chunk))
                + " ON CONFLICT (channel, platform_id) DO UPDATE SET offer = excluded.offer, updated_at = excluded.updated_at",
                tuple(v for row in chunk for v in row),
            )

    async def begin(self, key: DialogueKey, step: Step, now: dt.datetime) -> None:
        await self._write(key, replace(await self._get(key), step=step), now)

    async def end(self, key: DialogueKey, now: dt.datetime) -> None:
        current = await self._get(key)
        if current.step is not None:
            await self._write(key, replace(current, step=None), now)

    async def forget(self, key: DialogueKey) -> None:
        async with self._writing:
            self._dirty.pop(key, None)
            await self.db.execute("DELETE FROM dialogues WHERE channel = ? AND platform_id = ?", (key.channel, key.platform_id))
            self._cache.pop(key, None)

    @contextlib.asynccontextmanager
    async def writes_held(self) -> AsyncIterator[None]:
        """While every row is deleted (the retention purge): no offer is written meanwhile, unwritten ones are dropped.

        A flush under way finishes first; one that would start waits, and then finds nothing to write.
        """
        async with self._writing:
            self._dirty.clear()
            yield

    def drop_cached(self, user: UserRef | None) -> None:
        """Forget what memory holds of one conversation (or of all), unwritten offers included: the rows are gone."""
        if user is None:
            self._cache.clear()
            self._dirty.clear()
            return
        key = DialogueKey.of(user)
        self._cache.pop(key, None)
        self._dirty.pop(key, None)

    async def close(self) -> None:
        """Write what is not written yet (before the database closes)."""
        if self._flusher is not None and not self._flusher.done():
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        await self.flush()
