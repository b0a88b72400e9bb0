"""The console channel: talk to the bot in a terminal, or script it through a pipe.

Choices are numbered lines; answering with the number picks one.  Lines that
start with ``:`` are console-only: ``:at 2025-06-04T09:00`` and
``:advance 45m`` move a rehearsal clock, ``:quit`` leaves.  Pushed messages
(reminders, broadcasts) are printed as they become due.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, TextIO

from bot import i18n
from bot.clock import ManualClock, parse_duration, parse_instant
from bot.conversation import Choices, Document, Image, Links, Location, Poll, Reply, Request, Text, UserRef, Venue
from bot.geo import Datum
from bot.i18n import _
from bot.notify.outbox import Delivered, Delivery, Outcome
from bot.notify.wakeups import Wakeups
from bot.ports import ChannelPorts

CHANNEL = "console"


def _lines_text(reply: Text) -> list[str]:
    return [reply.body]


def _lines_choices(reply: Choices) -> list[str]:
    return [reply.body, *(f"  {n}. {choice.label}" for n, choice in enumerate(reply.options, 1))]


def _point(latitude: float, longitude: float, datum: Datum) -> str:
    return f"({latitude:.5f}, {longitude:.5f}, {datum.value.upper()})"


def _lines_venue(reply: Venue) -> list[str]:
    lines = [f"📍 {reply.name}"]
    if reply.address:
        lines.append(reply.address)
    if reply.latitude is not None and reply.longitude is not None:
        lines.append(_point(reply.latitude, reply.longitude, reply.datum))
    if reply.directions:
        lines.append(reply.directions)
    if reply.links:
        lines.extend(f"  🔗 {button.label}: {button.url}" for button in reply.links)
    elif reply.map_url:
        lines.append(reply.map_url)
    return lines


def _lines_location(reply: Location) -> list[str]:
    return [f"📍 {reply.label}" if reply.label else "📍", _point(reply.latitude, reply.longitude, reply.datum)]


def _lines_poll(reply: Poll) -> list[str]:
    return [f"📊 {reply.question}", *(f"  {i}. {option}" for i, option in enumerate(reply.options, 1))]


def _lines_file(reply: Image | Document) -> list[str]:
    return [f"[{reply.filename}, {len(reply.data)} bytes]" + (f" {reply.caption}" if reply.caption else "")]


def _lines_links(reply: Links) -> list[str]:
    return [reply.body, *(f"  🔗 {button.label}: {button.url}" for button in reply.buttons)]


#: One renderer per reply type: the console shows every kind as text (no fallbacks needed).
RENDERERS: Final[Mapping[type, Callable[[Any], list[str]]]] = {
    Text: _lines_text,
    Choices: _lines_choices,
    Venue: _lines_venue,
    Location: _lines_location,
    Poll: _lines_poll,
    Image: _lines_file,
    Document: _lines_file,
    Links: _lines_links,
}
FALLBACKS: Final[Mapping[type, Callable[[Any], tuple[Reply, ...]]]] = {}


def render(replies: Sequence[Reply]) -> str:
    """Replies as plain text, choices and poll options as numbered lines."""
    blocks: list[str] = []
    for reply in replies:
        title = getattr(reply, "title", None)
        lines = [f"*** {title} ***"] if title else []
        lines += RENDERERS[type(reply)](reply)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


class ConsoleSender:
    """Prints pushed messages for console users."""

    channel = CHANNEL

    def __init__(self, ports: ChannelPorts, out: TextIO) -> None:
        self.ports = ports
        self.out = out

    async def send(self, delivery: Delivery) -> Outcome:
        user, replies = delivery.user, delivery.replies
        record = await self.ports.users.find(user)
        with i18n.use(self.ports.locales.localizer(record)):
            stamp = i18n.format_datetime(self.ports.clock.now(), self.ports.event_zone())
            print(f"\n🔔 [{stamp}]\n{render(replies)}\n", file=self.out, flush=True)
        return Delivered()


class ConsoleChannel:
    """One delegate at a terminal (or a script) talking to the core.

    With a :class:`~bot.clock.ManualClock` (``--at``) it is also the rehearsal's
    driver: ``:advance`` moves the clock step by step through the one wake-up
    path, so reminders arrive as their instants pass.
    """

    def __init__(
        self, ports: ChannelPorts, wakeups: Wakeups, user_id: str = "local", out: TextIO | None = None, echo: bool = False,
        files_dir: Path | None = None,
    ) -> None:
        self.ports = ports
        self.wakeups = wakeups
        self.user = UserRef(CHANNEL, user_id)
        self.out = out or sys.stdout
        self.echo = echo
        self.files_dir = files_dir
        """Where documents and pictures sent to the console are saved (None: only named)."""
        self.worker = ports.push.attach(ConsoleSender(ports, self.out))

    def save(self, reply: Image | Document) -> Path:
        """Write a received file under :attr:`files_dir` (never outside it) and return its path."""
        assert self.files_dir is not None
        self.files_dir.mkdir(parents=True, exist_ok=True)
        name = Path(reply.filename).name or "file"
        path = self.files_dir / name
        path.write_bytes(reply.data)
        return path

    def print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def set_language(self, tag: str) -> str | None:
        """Answer in this language for this run (``--lang``), without storing it; None if unknown.

        ``/lang`` inside the console stores a choice, as on every channel.
        """
        chosen = self.ports.catalogs.negotiate(tag)
        if chosen is not None:
            self.ports.locales.for_this_run[self.user] = chosen
        return chosen

    async def say(self, text: str) -> list[Reply]:
        """Send one line as the delegate; print and return the replies (files are saved, and their path shown)."""
        replies = await self.ports.handle(Request(user=self.user, text=text))
        self.print(render(replies))
        for reply in replies:
            if isinstance(reply, (Image, Document)) and self.files_dir is not None:
                self.print(f"  → {self.save(reply)}")
        await self.ports.push.drain()
        return replies

    async def localizer(self) -> i18n.Localizer:
        return self.ports.locales.localizer(await self.ports.users.find(self.user))

    async def console_command(self, line: str) -> bool:
        """Handle ``:at``, ``:advance``, ``:now``, ``:quit``; False means stop."""
        with i18n.use(await self.localizer()):
            return await self._console_command(line)

    async def _console_command(self, line: str) -> bool:
        word, _sep, arg = line[1:].strip().partition(" ")
        clock = self.ports.clock
        if word in {"quit", "q", "exit"}:
            return False
        if word in {"at", "advance"}:
            if not isinstance(clock, ManualClock):
                self.print(_("The clock is real; start the console with --at to rehearse."))
                return True
            try:
                if word == "at":
                    target = parse_instant(arg, self.ports.event_zone())
                else:
                    target = clock.now() + parse_duration(arg)
            except ValueError:
                self.print(_("I cannot read \"{value}\". Use :at 2025-06-04T09:00 or :advance 45m (also 2h, 1d, 1h30m).").format(value=arg))
                return True
            await self.advance_to(target)
            self.print("🕑 " + i18n.format_datetime(clock.now(), self.ports.event_zone()))
            return True
        if word == "now":
            self.print("🕑 " + i18n.format_datetime(clock.now(), self.ports.event_zone()))
            return True
        self.print(_("Console commands: :at <ISO-8601>, :advance <45m|2h|1d>, :now, :quit"))
        return True

    async def advance_to(self, target: dt.datetime) -> None:
        """Move the rehearsal clock step by step, delivering pushes as they fall due."""
        clock = self.ports.clock
        assert isinstance(clock, ManualClock)
        while True:
            await self.wakeups.fire_due()
            await self.ports.push.drain()
            wake = await self.wakeups.next_due()
            step = min(target, wake) if wake is not None and wake > clock.now() else target
            if step > clock.now():
                await clock.set(step)
            await self.wakeups.fire_due()
            await self.ports.push.drain()
            if clock.now() >= target:
                break
        if target < clock.now():
            await clock.set(target)

    async def run(self, lines: AsyncIterator[str], prompt: bool = False) -> None:
        if prompt:
            with i18n.use(await self.localizer()):
                self.print(_("Type a message (\"help\" for ideas); :quit to leave."))
        await self.wakeups.fire_due()
        await self.ports.push.drain()
        async for raw in lines:
            line = raw.strip()
            if not line:
                continue
            if self.echo:
                self.print(f"> {line}")
            if line.startswith(":"):
                if not await self.console_command(line):
                    break
                continue
            await self.say(line)
            if self.echo:
                self.print("")


async def stdin_lines(prompt: str | None) -> AsyncIterator[str]:
    """Lines from standard input without blocking the event loop."""
    while True:
        try:
            line = await asyncio.to_thread(_read_line, prompt)
        except EOFError:
            return
        yield line


def _read_line(prompt: str | None) -> str:
    if prompt is not None:
        return input(prompt)
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line
