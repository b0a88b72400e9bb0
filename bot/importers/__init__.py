"""Import a programme from frab/Pentabarf ``schedule.xml``, c3voc ``schedule.json`` and pretalx exports.

:func:`import_file` reads an export (the format is told by its content),
converts it (:mod:`bot.importers.convert`) and returns the programme YAML,
validated, with the id map that a later import of the same source reuses;
:func:`write` puts both beside each other, atomically.  A broken export
raises :class:`ScheduleError`: every problem as ``PATH:LINE:COLUMN:
message``.  :class:`Watcher` imports again whenever the export changes
(``delegate-bot import --watch``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from bot.importers import c3voc, frab
from bot.importers.convert import IdMap, ImportResult, convert
from bot.importers.source import ScheduleError, SourceSchedule
from bot.programme.loader import Problem, ProgrammeError, read_document

logger = logging.getLogger(__name__)

__all__ = ["IdMap", "ImportResult", "ScheduleError", "Watcher", "ids_path", "import_file", "read_schedule", "write"]

#: Formats, for messages.
FORMATS = ("frab/Pentabarf schedule.xml", "c3voc schedule.json", "pretalx schedule.json or schedule.xml")


def ids_path(out: Path) -> Path:
    """Where the id map of the programme ``out`` is kept: ``programme.yaml`` -> ``programme.ids.json``."""
    return out.with_name(out.stem + ".ids.json")


def read_schedule(path: Path) -> SourceSchedule:
    """The export at ``path``, whatever its format, or :class:`ScheduleError`."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ScheduleError([Problem(str(path), 1, 1, "file not found")]) from None
    except OSError as exc:
        raise ScheduleError([Problem(str(path), 1, 1, f"cannot read file: {exc.strerror}")]) from None
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head == b"<":
        return frab.read(path, data)
    if head in (b"{", b"["):
        return c3voc.read(path, data)
    shown = data.lstrip()[:20].decode("utf-8", errors="replace") if data.strip() else "nothing"
    raise ScheduleError([Problem(str(path), 1, 1, f"not a schedule export ({', '.join(FORMATS)}): it starts with {shown!r}")])


def _previous(out: Path) -> dict[str, Any] | None:
    try:
        text = out.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScheduleError([Problem(str(out), 1, 1, f"cannot read the previous import: {exc}")]) from None
    try:
        # the loader's quick reader, with its limits (size, nesting, aliases): a file that passes is safe for the C parser
        read_document(text, str(out))
    except ProgrammeError as exc:
        raise ScheduleError([
            Problem(p.path, p.line, p.column, f"the previous import cannot be read: {p.message}") for p in exc.problems
        ]) from None
    try:
        # ruamel.yaml's C parser: the values of the pure one (YAML 1.2, dates as dates), 1,000 sessions in 0.3 s, not 2 s
        doc = YAML(typ="safe", pure=False).load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise ScheduleError([Problem(str(out), line, column, f"the previous import is not valid YAML: {getattr(exc, 'problem', None) or exc}")]) from None
    return doc if isinstance(doc, dict) else None


def import_file(source: Path, out: Path, *, timezone: str | None = None, replace: bool = False) -> ImportResult:
    """Convert the export at ``source`` into the programme to be written at ``out`` (nothing is written).

    A previous import at ``out`` (with its id map beside it) gives the ids
    and what the organiser added.  A file at ``out`` that no import wrote
    is not overwritten unless ``replace``.
    """
    schedule = read_schedule(source)
    ids = IdMap.load(ids_path(out))
    previous = _previous(out) if ids is not None else None
    if ids is None and out.exists() and not replace:
        raise ScheduleError([Problem(
            str(out), 1, 1,
            f"this file exists and no import wrote it (there is no {ids_path(out).name} beside it): "
            "give another --out, or --replace to overwrite it",
        )])
    return convert(schedule, out=out, ids=ids, previous=previous, timezone=timezone)


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write(result: ImportResult, out: Path) -> bool:
    """Write the programme and its id map (the map first); False if the programme is unchanged."""
    _atomic_write(ids_path(out), result.ids.dumps())
    try:
        if out.read_text(encoding="utf-8") == result.text:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    _atomic_write(out, result.text)
    return True


@dataclass
class Watcher:
    """Imports ``source`` into ``out`` again whenever the export changes (its size or modification time).

    ``on_import`` hears of every import that changed the programme;
    ``on_error`` of every export that could not be imported (the programme
    written last stays).  :meth:`check` is one look; :meth:`run` looks every
    ``interval`` seconds.
    """

    source: Path
    out: Path
    on_import: Callable[[ImportResult], None]
    on_error: Callable[[ScheduleError], None]
    timezone: str | None = None
    replace: bool = False
    _seen: tuple[int, int] | None = None

    def _stamp(self) -> tuple[int, int] | None:
        try:
            stat = self.source.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def check(self) -> bool:
        """Import if the export changed since the last look; True if the programme was written."""
        stamp = self._stamp()
        if stamp is None or stamp == self._seen:
            return False
        self._seen = stamp
        try:
            result = import_file(self.source, self.out, timezone=self.timezone, replace=self.replace)
        except ScheduleError as exc:
            self.on_error(exc)
            return False
        self.replace = False  # the file at ``out`` is an import's now
        if not write(result, self.out):
            return False
        self.on_import(result)
        return True

    async def run(self, interval: float = 5.0, stop: asyncio.Event | None = None) -> None:
        stop = stop or asyncio.Event()
        while not stop.is_set():
            self.check()
            try:
                await asyncio.wait_for(stop.wait(), interval)
            except asyncio.TimeoutError:
                pass
