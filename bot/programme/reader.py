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
import struct
import sys
import threading
import weakref
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


_frozen = False
_pause = threading.Lock()
_pauses = 0
_enabled_before = False


def keep_out_of_collections() -> None:
    """``gc.freeze()``: what exists now stays out of the collector's passes, and so will each version reloaded.

    The service calls it once it has started (and again after warming up);
    :func:`refreeze` then freezes each new version when it is built.  It is
    noted here rather than asked of ``gc.get_freeze_count()``, which counts
    the frozen objects one by one with the interpreter held (25 ms at 16,000
    sessions).
    """
    global _frozen
    _frozen = True
    gc.freeze()


def refreeze() -> None:
    """Freeze what was built since, if the service keeps its objects out of the collector's passes."""
    if _frozen:
        gc.freeze()


@contextlib.contextmanager
def collector_paused():
    """No cyclic garbage collection meanwhile (process-wide; may be nested, and entered from several threads).

    Building a version, or its search index, makes tens of objects a
    session; each full collection on the way would walk all of them with the
    interpreter held, which the event loop feels as a pause (0.1-0.3 s at
    16,000 sessions).  When the last pause ends, the service's objects are
    frozen again (:func:`refreeze`): the new version lives as long, and left
    young, the first full collection would walk every object of it.
    """
    global _pauses, _enabled_before
    with _pause:
        if not _pauses:
            _enabled_before = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause:
            _pauses -= 1
            if not _pauses:
                refreeze()
                if _enabled_before:
                    gc.enable()


def let_go(items: list[Any]) -> None:
    """Empty ``items`` a chunk at a time, so what only it held is freed in pieces the event loop can wait between.

    Dropping 16,000 sessions' worth of objects at once holds the interpreter
    for 0.1-0.2 s.
    """
    while items:
        del items[-CHUNK:]


#: Containers of at least this many items are emptied an item at a time; smaller ones go whole.
BIG: Final = 64
#: How far from the version its own objects (the agenda, what it derived, their parts) are opened one by one.
DEEP: Final = 3
_CONTAINERS: Final = (dict, list, tuple, set, frozenset)
_WEAK: Final = (weakref.ProxyType, weakref.CallableProxyType, weakref.ReferenceType)


def release(box: list[Any]) -> None:
    """Take apart the version in ``box`` (its only holder) a piece at a time, so no one release frees it all at once.

    Dropping a 16,000-session version with its indexes and search index in
    one go holds the interpreter for 0.1-0.3 s.  Here every container of
    :data:`BIG` items or more is emptied an item at a time, and the
    version's own objects (of ``bot`` classes) are opened attribute by
    attribute down to :data:`DEEP` levels, what is left being small.
    Whatever someone else still holds (a version a request is reading, a
    session a dialogue keeps) is left alone: it goes when they let go.  So
    is an object something refers to weakly, which would otherwise see it
    emptied instead of gone.
    """
    stack: list[tuple[Any, int]] = [(box.pop(), 0)]
    while stack:
        item, depth = stack.pop()
        if sys.getrefcount(item) > 2:  # this name and getrefcount's argument
            continue
        parts = _opened(item, depth)
        del item
        if parts is None:
            continue
        while parts:
            part = parts.pop()
            if _worth_opening(part, depth + 1):
                stack.append((part, depth + 1))
            del part


def _own(value: Any) -> bool:
    return hasattr(value, "__dict__") and type(value).__module__.startswith("bot.") and not isinstance(value, type)


def _worth_opening(value: Any, depth: int) -> bool:
    if isinstance(value, _WEAK):  # the understanding's agenda, maybe gone already: dropped, never touched
        return False
    if isinstance(value, _CONTAINERS):
        return len(value) >= BIG or (depth <= DEEP and len(value) > 0)
    return depth <= DEEP and _own(value) and not weakref.getweakrefcount(value)


def _opened(item: Any, depth: int) -> list[Any] | None:
    """``item``'s parts, taken out of it (it is ours alone), or None to drop it whole."""
    if isinstance(item, dict):
        parts = list(item.values())
        item.clear()
        return parts
    if isinstance(item, list):
        return item
    if isinstance(item, (tuple, set, frozenset)):
        return list(item)
    if depth == 0 or _worth_opening(item, depth):  # the version itself, which release was given
        attributes = vars(item)
        parts = list(attributes.values())
        attributes.clear()
        return parts
    return None


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
    chunks.reverse()
    while chunks:  # a frame at a time: each call holds the interpreter
        sessions.extend(pickle.loads(chunks.pop()))  # noqa: S301 - our own child's output
    doc = {**head, "sessions": sessions} if isinstance(head.get("sessions"), list) else head
    # the child found no problem in the same data; were there one, the file is read again to place it
    locate = _LaterLocator(lambda: path.read_text(encoding="utf-8"), str(path))
    try:
        return Agenda(build_programme(doc, locate))
    finally:
        del doc
        let_go(sessions)


#: Sessions per frame of the child's output: each is unpickled in one call that holds the interpreter (about 1.5 ms).
FRAME_SESSIONS: Final = 50
_LENGTH = struct.Struct("<Q")


class _ChildStopped(Exception):
    """The child's output ended before its last frame."""


async def _frames(stream: asyncio.StreamReader) -> tuple[tuple[str, Any, int], list[bytes]]:
    """The child's outcome and the frames of sessions after it, read as they come (never one big buffer)."""

    async def frame() -> bytes:
        try:
            (length,) = _LENGTH.unpack(await stream.readexactly(_LENGTH.size))
            return await stream.readexactly(length)
        except asyncio.IncompleteReadError:
            raise _ChildStopped from None

    outcome = pickle.loads(await frame())  # noqa: S301 - our own child's output; small: the sessions come apart
    return outcome, [await frame() for _ in range(outcome[2])]


async def _read_in_child(path: Path) -> tuple[dict[str, Any], list[bytes]]:
    # the child imports this package from where this process did, installed or not
    source = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH")) if p)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.programme.reader", str(path),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    errors = asyncio.ensure_future(proc.stderr.read())
    stopped = False
    try:
        try:
            (kind, payload, _count), chunks = await asyncio.wait_for(_frames(proc.stdout), CHILD_SECONDS)
        except _ChildStopped:
            stopped = True
        await proc.wait()
        err = await errors
    except asyncio.TimeoutError:
        logger.error("reading programme %s took longer than %.0f s; stopped", path, CHILD_SECONDS)
        raise ProgrammeError([Problem(str(path), 1, 1, f"reading the file took longer than {CHILD_SECONDS:.0f} s")]) from None
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        errors.cancel()
    if stopped or proc.returncode != 0:
        how = f"signal {-proc.returncode}" if proc.returncode and proc.returncode < 0 else f"exit code {proc.returncode}"
        logger.error("the programme reader stopped on %s (%s): %s", path, how, err.decode("utf-8", "replace")[-500:].strip())
        raise ProgrammeError([Problem(str(path), 1, 1, f"the file could not be read (the reader stopped: {how}; too large or too deep?)")])
    if kind == "problems":
        raise ProgrammeError([Problem(*p) for p in payload])
    return payload, chunks


def _child(path: str) -> int:
    """The child: read and check the file, write the outcome to stdout as frames (a length, then a pickle).

    The first frame is ``(kind, payload, count)``: ``("problems", [(path,
    line, column, message)...], 0)``, or ``("programme", the document without
    its sessions, count)`` followed by ``count`` frames of sessions,
    :data:`FRAME_SESSIONS` at a time.
    """
    try:
        resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))
    except (ValueError, OSError):  # a lower hard limit already applies
        pass
    chunks: list[bytes] = []
    try:
        text = Path(path).read_text(encoding="utf-8")
        doc, locate = read_document(text, path)
        build_programme(doc, locate)
    except ProgrammeError as exc:
        result: tuple[str, Any, int] = ("problems", [(p.path, p.line, p.column, p.message) for p in exc.problems], 0)
    except (OSError, UnicodeDecodeError) as exc:
        result = ("problems", [(path, 1, 1, f"cannot read file: {exc}")], 0)
    except MemoryError:
        result = ("problems", [(path, 1, 1, f"reading the file needs more than {CHILD_MEMORY // 2**30} GB")], 0)
    else:
        sessions = doc.get("sessions")
        if isinstance(sessions, list):  # sent apart; the head keeps an empty list in their place
            head = {**doc, "sessions": []}
            chunks = [pickle.dumps(sessions[i : i + FRAME_SESSIONS], pickle.HIGHEST_PROTOCOL) for i in range(0, len(sessions), FRAME_SESSIONS)]
        else:
            head = doc
        result = ("programme", head, len(chunks))
    out = os.fdopen(sys.stdout.fileno(), "wb", closefd=False)
    for frame in (pickle.dumps(result, pickle.HIGHEST_PROTOCOL), *chunks):
        out.write(_LENGTH.pack(len(frame)))
        out.write(frame)
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1]))
