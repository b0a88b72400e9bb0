"""Helpers for the delegate-state and reminder tests: edited programmes, a recording sender."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.app import Core
from bot.channels.console import ConsoleChannel
from bot.clock import ManualClock
from bot.conversation import Reply, UserRef
from bot.notify.outbox import Delivered, Delivery, Outcome
from tests.conftest import PROGRAMME


def edited_programme(tmp_path: Path, session_id: str, name: str = "edited.yaml", **changes: str) -> Path:
    """A copy of the shipped programme with some fields of one session changed.

    ``start``/``end`` replace the session's times; ``capacity`` adds a
    capacity to its site visit; ``remove=True`` drops the session.
    """
    lines = PROGRAMME.read_text(encoding="utf-8").splitlines()
    first = lines.index(f"  - id: {session_id}")
    last = next(
        (i for i in range(first + 1, len(lines)) if lines[i].startswith("  - id:") or re.match(r"^\S", lines[i])),
        len(lines),
    )
    block = lines[first:last]
    if changes.pop("remove", None):
        block = []
    for key, value in changes.items():
        if key == "capacity":
            at = block.index("    site_visit:")
            block.insert(at + 1, f"      capacity: {value}")
            continue
        block = [f"    {key}: {value}" if line.startswith(f"    {key}: ") else line for line in block]
    path = tmp_path / name
    path.write_text("\n".join(lines[:first] + block + lines[last:]) + "\n", encoding="utf-8")
    return path


@dataclass
class RecordingSender:
    """Records pushed messages for one channel, instead of a platform."""

    channel: str = "test"
    sent: list[tuple[UserRef, tuple[Reply, ...]]] = field(default_factory=list)
    keys: list[str | None] = field(default_factory=list)
    """The outbox key of each message sent (``reminder:...``, ``feedback:...``, ``campaign:...``)."""

    async def send(self, delivery: Delivery) -> Outcome:
        self.sent.append((delivery.user, delivery.replies))
        self.keys.append(delivery.item.dedupe_key)
        return Delivered()

    def titles(self) -> list[str]:
        """The first line of each reminder sent (other pushes, such as feedback prompts, left out)."""
        return [getattr(replies[0], "body", "").splitlines()[0] for (_user, replies), key in zip(self.sent, self.keys)
                if key is None or key.startswith("reminder:")]


async def lines(*items: str) -> AsyncIterator[str]:
    for item in items:
        yield item


def console_for(core: Core, user: str = "local") -> tuple[ConsoleChannel, io.StringIO]:
    out = io.StringIO()
    return ConsoleChannel(core.ports(), core.wakeups, user, out=out), out


async def count(core: Core, sql: str, params: tuple = ()) -> int:
    row = await core.db.fetchone(sql, params)
    assert row is not None
    return int(row[0])


async def advance(core: Core, target: dt.datetime) -> None:
    """Move the ManualClock to ``target``, stopping at each reminder's due time to send it."""
    clock = core.clock
    assert isinstance(clock, ManualClock)
    engine = core.services.reminders
    while True:
        await core.wakeups.fire_due()
        await core.push.drain()
        due = await engine.next_due()
        if due is None or due > target:
            break
        if due > clock.now():
            await clock.set(due)
    if target > clock.now():
        await clock.set(target)
    await core.wakeups.fire_due()
    await core.push.drain()


def plain(text: str) -> str:
    """CLDR's narrow and thin spaces (``9:00\u202fAM``, ``9\u2009–\u200910``) as plain spaces, for readable asserts."""
    return text.replace("\u202f", " ").replace("\u2009", " ").replace("\u00a0", " ")
