"""The programme in force, replaced only by a valid new version, read off the event loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.programme.agenda import Agenda
from bot.programme.loader import ProgrammeError, load_programme
from bot.programme.model import Programme
from bot.programme.reader import read_agenda, refreeze, release

logger = logging.getLogger(__name__)

Listener = Callable[[Programme, Programme], Awaitable[None]]


class ProgrammeHolder:
    """Holds the current programme and its agenda; :meth:`reload` swaps them atomically.

    A reload that fails validation raises :class:`~bot.programme.ProgrammeError`
    and leaves the programme in force untouched.  The new version is read,
    checked and indexed off the event loop (:func:`~bot.programme.reader.read_agenda`),
    so delegates are answered from the old one meanwhile, and one reload
    runs at a time.
    """

    def __init__(self, path: Path, programme: Programme, *, agenda: Agenda | None = None) -> None:
        self.path = path
        self._agenda = agenda if agenda is not None and agenda.programme is programme else Agenda(programme)
        self._listeners: list[Listener] = []
        self._seen = self._stamp()
        self._reloading = asyncio.Lock()

    @classmethod
    def from_file(cls, path: str | Path) -> ProgrammeHolder:
        path = Path(path)
        return cls(path, load_programme(path))

    @property
    def programme(self) -> Programme:
        return self._agenda.programme

    @property
    def agenda(self) -> Agenda:
        return self._agenda

    def on_change(self, listener: Listener) -> None:
        """Call ``listener(old, new)`` after every successful reload."""
        self._listeners.append(listener)

    def _stamp(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    async def reload_if_changed(self) -> bool:
        """Reload when the file changed since it was last read; a broken file is reported, not used.

        For ``delegate-bot run``: an organiser edits ``programme.yaml`` and the
        service follows (reminders included), or keeps the good version and
        logs each problem as ``PATH:LINE:COLUMN: message``.
        """
        stamp = self._stamp()
        if stamp is None or stamp == self._seen:
            return False
        self._seen = stamp
        try:
            await self.reload()
        except ProgrammeError as exc:
            logger.error("programme %s not reloaded; the previous version stays in force:\n%s", self.path, exc)
            return False
        return True

    async def watch(self, interval: float = 10.0) -> None:
        """Check the file every ``interval`` seconds, forever (a task of the service).

        Nothing a file or a listener does stops the watch: a failure is
        logged, and the next edit is read again.
        """
        while True:
            await asyncio.sleep(interval)
            try:
                await self.reload_if_changed()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("programme %s: the reload failed; still watching for the next edit", self.path)

    async def reload(self, path: str | Path | None = None) -> Programme:
        """Read the file (or ``path``, which then becomes the file) and put it in force; then tell the listeners."""
        async with self._reloading:
            target = Path(path) if path else self.path
            agenda = await read_agenda(target)
            before = self._agenda
            self._agenda = agenda
            if path:
                self.path = Path(path)
                self._seen = self._stamp()
            new = agenda.programme
            logger.info("programme reloaded: %s sessions", len(new.sessions))
            for listener in self._listeners:
                try:
                    await listener(before.programme, new)
                except Exception:
                    logger.exception("programme reloaded, but %s failed on it", getattr(listener, "__qualname__", listener))
            # the old version is freed in pieces in a thread, not all at once here
            box = [before]
            del before, agenda
            await asyncio.to_thread(release, box)
            refreeze()  # see reader.collector_paused
            return new
