"""Live results: a facilitator's results message, refreshed as answers arrive, at most every few seconds.

``/poll live <session>`` stores a watch (``feedback_watchers``) for
:data:`WATCH_FOR`.  Each stored answer marks its session changed; this
participant of the one wake-up path then pushes the watcher a fresh
results message, no sooner than :data:`EVERY` after the last, carrying
the ``edit_key`` of the first: Telegram edits that message in place, a
channel that cannot edit skips the in-between versions (they are
``transient``) rather than spend a WeChat follower's few messages.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Final

from bot.clock import Clock
from bot.conversation import Reply
from bot.feedback.store import FeedbackStore
from bot.notify.outbox import Priority, PushPort
from bot.store.users import UserRecord, Users

logger = logging.getLogger(__name__)

#: The least time between two refreshes of one facilitator's results message.
EVERY: Final = dt.timedelta(seconds=5)
#: How long a watch lasts unless it is asked for again.
WATCH_FOR: Final = dt.timedelta(hours=2)

LiveRenderer = Callable[[UserRecord, str, dt.datetime], Awaitable[Sequence[Reply]]]
"""The results message of a session for a facilitator (a feature provides it)."""


def edit_key(session_id: str) -> str:
    """The key that makes every refresh replace the same results message."""
    return f"poll-results:{session_id}"


class LiveResults:
    def __init__(
        self, *, store: FeedbackStore, clock: Clock, users: Users, push: PushPort, render: LiveRenderer,
        on_schedule_change: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.users = users
        self.push = push
        self.render = render
        self.on_schedule_change = on_schedule_change
        self._changed: set[str] = set()
        self._lock = asyncio.Lock()

    async def changed(self, session_id: str) -> None:
        """An answer of this session was stored: its watchers get fresh results soon."""
        self._changed.add(session_id)
        if self.on_schedule_change is not None:
            await self.on_schedule_change()

    async def next_due(self) -> dt.datetime | None:
        if not self._changed:
            return None
        watches = [w for w in await self.store.watches(self.clock.now()) if w.session_id in self._changed]
        if not watches:
            self._changed.clear()
            return None
        now = self.clock.now()
        return min(max(now, (w.pushed_at or now) + EVERY) for w in watches)

    async def fire_due(self) -> int:
        """Push fresh results to every watcher whose session changed and whose last refresh is old enough."""
        pushed = 0
        async with self._lock:
            if not self._changed:
                return 0
            now = self.clock.now()
            waiting: set[str] = set()
            for watch in await self.store.watches(now):
                if watch.session_id not in self._changed:
                    continue
                if watch.pushed_at is not None and watch.pushed_at + EVERY > now:
                    waiting.add(watch.session_id)
                    continue
                state = await self.store.state(watch.session_id)
                if state == watch.pushed_state:
                    continue
                user = await self.users.get(watch.user_id)
                if user is None or not user.active:
                    continue
                replies = await self.render(user, watch.session_id, now)
                version = hashlib.sha256(state.encode()).hexdigest()[:16]
                await self.push.push(
                    user.id, user.channel, replies, dedupe_key=f"poll-live:{watch.session_id}:{version}", priority=Priority.DIRECT,
                )
                await self.store.pushed(watch.session_id, watch.user_id, state, now)
                pushed += 1
            self._changed = waiting
        return pushed
