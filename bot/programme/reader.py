"""Reading a programme while the bot runs, without holding up its event loop.

:func:`read_agenda` gives the new version's :class:`~bot.programme.Agenda`
(the programme and its indexes), built in a worker thread.  A file of up to
:data:`IN_THREAD_BYTES` is read in that thread too.  A larger one is read in
a child process (``python -m bot.programme.reader PATH``): yaml-rs holds the
interpreter while it builds Python objects (about 0.2 s for 16,000
sessions), which a thread cannot hide, and a child also keeps a hostile file
from taking the bot's memory with it (it is limited to
:data:`CHILD_MEMORY`, and to :data:`CHILD_SECONDS`).  The child validates the
file and sends back plain data a chunk of sessions at a time; the thread
validates that again, a chunk at a time, so the loop gets the interpreter
between chunks.

A problem of the file, or a child that fails, is a
:class:`~bot.programme.ProgrammeError`; the programme in force stays.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import pickle
import resource
import sys
from pathlib import Path
from typing import Any, Final

from bot.programme.agenda import Agenda
from bot.programme.loader import (
    CHUNK,
    MAX_BYTES,
    Problem,
    ProgrammeError,
    _LaterLocator,
    _too_large,
    build_programme,
    load_programme,
    read_document,
)

logger = logging.getLogger(__name__)

#: Files up to this size are read in a worker thread; larger ones in a child process.
IN_THREAD_BYTES: Final = 1 * 2**20
#: The child's address-space limit: a 32 MB programme needs about 1.2 GB to read and check.
CHILD_MEMORY: Final = 3 * 2**30
#: How long the child may take (a 32 MB programme takes about 10 s on the development machine).
CHILD_SECONDS: Final = 120.0


@contextlib.contextmanager
def collector_paused():
    """No cyclic garbage collection meanwhile (process-wide; reloads run one at a time).

    Building a version makes about 60 objects a session; each full collection
    on the way would walk all of them with the interpreter held, which the
    event loop feels as a pause (0.1-0.3 s at 16,000 sessions).
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count():
            # the service keeps what it built at start out of full collections (``gc.freeze``): the new
            # version lives as long; left young, the first collection would walk every object of it
            gc.freeze()
        if was:
            gc.enable()


def let_go(items: list[Any]) -> None:
    """Empty ``items`` a chunk at a time, so what only it held is freed in pieces the event loop can wait between.

    Dropping 16,000 sessions' worth of objects at once holds the interpreter
    for 0.1-0.2 s.
    """
    while items:
        del items[-CHUNK:]


def release(box: list[Agenda]) -> None:
    """Take apart the version in ``box`` (its only holder) a chunk of sessions at a time; see :func:`let_go`.

    A version a request still holds is left alone: it goes when that request ends.
    """
    agenda = box.pop()
    if sys.getrefcount(agenda) > 2:  # this name and getrefcount's argument
        return
    sessions = list(agenda.sessions)
    programme = agenda.programme
    agenda.__dict__.clear()
    del agenda
    if sys.getrefcount(programme) > 2:
        return
    del programme
    let_go(sessions)


def load_agenda(path: Path) -> Agenda:
    """Read, validate and index the programme at ``path`` (in the calling thread)."""
    with collector_paused():
        return Agenda(load_programme(path))


async def read_agenda(path: str | Path, *, in_thread_bytes: int | None = None) -> Agenda:
    """The agenda of the programme at ``path``, read off the event loop; :class:`ProgrammeError` if it is not valid."""
    path = Path(path)
    limit = IN_THREAD_BYTES if in_thread_bytes is None else in_thread_bytes
    try:
        size = path.stat().st_size
    except OSError:
        size = 0  # load_programme says what is wrong with it
    if size <= limit:
        return await asyncio.to_thread(load_agenda, path)
    if size > MAX_BYTES:
        raise _too_large(str(path), size)
    head, chunks = await _read_in_child(path)
    return await asyncio.to_thread(_agenda_from_chunks, path, head, chunks)


def _agenda_from_chunks(path: Path, head: dict[str, Any], chunks: list[bytes]) -> Agenda:
    with collector_paused():
        return _build_from_chunks(path, head, chunks)


def _build_from_chunks(path: Path, head: dict[str, Any], chunks: list[bytes]) -> Agenda:
    sessions: list[Any] = []
    had_sessions = bool(chunks)
    while chunks:
        sessions.extend(pickle.loads(chunks.pop(0)))  # noqa: S301 - our own child's output
    doc = {**head, "sessions": sessions} if had_sessions else head
    # the child found no problem in the same data; were there one, the file is read again to place it
    locate = _LaterLocator(lambda: path.read_text(encoding="utf-8"), str(path))
    try:
        return Agenda(build_programme(doc, locate))
    finally:
        del doc
        let_go(sessions)


async def _read_in_child(path: Path) -> tuple[dict[str, Any], list[bytes]]:
    # the child imports this package from where this process did, installed or not
    source = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH")) if p)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.programme.reader", str(path),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), CHILD_SECONDS)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        logger.error("reading programme %s took longer than %.0f s; stopped", path, CHILD_SECONDS)
        raise ProgrammeError([Problem(str(path), 1, 1, f"reading the file took longer than {CHILD_SECONDS:.0f} s")]) from None
    except BaseException:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    if proc.returncode != 0 or not out:
        how = f"signal {-proc.returncode}" if proc.returncode and proc.returncode < 0 else f"exit code {proc.returncode}"
        logger.error("the programme reader stopped on %s (%s): %s", path, how, err.decode("utf-8", "replace")[-500:].strip())
        raise ProgrammeError([Problem(str(path), 1, 1, f"the file could not be read (the reader stopped: {how}; too large or too deep?)")])
    kind, payload, chunks = pickle.loads(out)  # noqa: S301 - our own child's output
    if kind == "problems":
        raise ProgrammeError([Problem(*p) for p in payload])
    return payload, chunks


def _child(path: str) -> int:
    """The child: read and check the file, write the outcome to stdout as one pickle."""
    try:
        resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))
    except (ValueError, OSError):  # a lower hard limit already applies
        pass
    try:
        text = Path(path).read_text(encoding="utf-8")
        doc, locate = read_document(text, path)
        build_programme(doc, locate)
    except ProgrammeError as exc:
        result: tuple[str, Any, Any] = ("problems", [(p.path, p.line, p.column, p.message) for p in exc.problems], [])
    except (OSError, UnicodeDecodeError) as exc:
        result = ("problems", [(path, 1, 1, f"cannot read file: {exc}")], [])
    except MemoryError:
        result = ("problems", [(path, 1, 1, f"reading the file needs more than {CHILD_MEMORY // 2**30} GB")], [])
    else:
        sessions = doc.get("sessions")
        if isinstance(sessions, list):
            head = {k: v for k, v in doc.items() if k != "sessions"}
            chunks = [pickle.dumps(sessions[i : i + CHUNK], pickle.HIGHEST_PROTOCOL) for i in range(0, len(sessions), CHUNK)]
        else:
            head, chunks = doc, []
        result = ("programme", head, chunks)
    out = os.fdopen(sys.stdout.fileno(), "wb", closefd=False)
    out.write(pickle.dumps(result, pickle.HIGHEST_PROTOCOL))
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1]))
