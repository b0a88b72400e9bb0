"""The SQLite database: connection, WAL, numbered migrations, transactions."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Final, TypeVar

import aiosqlite

from bot.resources import migrations_dir

logger = logging.getLogger(__name__)

_MIGRATION = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

#: SQLite waits this long for another process's lock before it says "database is locked"...
BUSY_TIMEOUT_MS: Final = 5000
#: ... and then the statement is tried again, with growing pauses, for this long in all: a backup,
#: a ``sqlite3`` shell left in a transaction or a second bot on the same file must not lose a request.
LOCK_PATIENCE: Final = 120.0
_FIRST_PAUSE: Final = 0.05
_LONGEST_PAUSE: Final = 2.0

T = TypeVar("T")


def is_locked(exc: BaseException) -> bool:
    """Whether SQLite gave up waiting for another connection's lock (SQLITE_BUSY or SQLITE_LOCKED)."""
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc))


def iso(value: dt.datetime) -> str:
    """A UTC timestamp that sorts as text: ``2025-06-04T01:00:00.000000+00:00``."""
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not stored")
    return value.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")


def parse_iso(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


class Database:
    """One aiosqlite connection in autocommit mode; :meth:`transaction` groups writes.

    Transactions are serialised with a lock, so coroutines sharing the
    connection never interleave statements inside one another's transaction.
    Point lookups on the request path may use :meth:`read_now` instead.

    Where another process holds the file's write lock for longer than the
    busy timeout, a statement (or a transaction's ``BEGIN IMMEDIATE``) is
    tried again with growing pauses for up to :data:`LOCK_PATIENCE` seconds
    instead of failing the request it serves; one warning says so.
    """

    def __init__(self, conn: aiosqlite.Connection, path: str, patience: float = LOCK_PATIENCE) -> None:
        self.conn = conn
        self.path = path
        self._lock = asyncio.Lock()
        self._reader: sqlite3.Connection | None = None
        self._reader_thread: int | None = None
        self._no_reader = path == ":memory:" or path.startswith("file:")
        self.patience = patience
        #: Statements that found the database locked and were tried again (for the metrics).
        self.lock_retries = 0

    async def _patiently(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """``attempt()`` (which takes the connection lock itself), again while the file is locked elsewhere."""
        loop = asyncio.get_running_loop()
        deadline: float | None = None
        pause = _FIRST_PAUSE
        while True:
            try:
                return await attempt()
            except sqlite3.OperationalError as exc:
                if not is_locked(exc):
                    raise
                now = loop.time()
                if deadline is None:
                    deadline = now + self.patience
                    logger.warning("the database is locked by another connection (%s); trying again for up to %.0f s", exc, self.patience)
                if now >= deadline:
                    raise
                self.lock_retries += 1
                await asyncio.sleep(min(pause, max(0.0, deadline - now)))
                pause = min(pause * 2, _LONGEST_PAUSE)

    @classmethod
    async def open(cls, path: str | Path, migrations: Path | None = None) -> Database:
        path = str(path)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if path != ":memory:":
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
        db = cls(conn, path)
        try:
            await db.migrate(migrations or migrations_dir())
        except BaseException:
            await conn.close()
            raise
        return db

    async def close(self) -> None:
        """Fold the write-ahead log back into the file, then close: the file alone is the whole database."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        self._no_reader = True
        if self.path != ":memory:":
            with contextlib.suppress(Exception):  # another process may hold the WAL: it checkpoints later
                async with self._lock:
                    await self.conn.execute("PRAGMA optimize")
                    await self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        await self.conn.close()

    def read_now(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row] | None:
        """The rows of one read, at once, on the calling thread; None where that cannot be done.

        For point lookups on the request path (is it bookmarked? which
        visits?): about 20 µs here, against 0.3-0.5 ms for a trip to
        aiosqlite's thread and back, queued behind other statements.  The
        reading connection is this database's second, read-only one: in WAL
        mode it sees every committed write (every write through this class is
        committed when it returns) and waits for no writer.  It is opened on
        first use by the thread that uses it (the event loop's), never for a
        database in memory or not in WAL mode.  None when it is busy or
        failing: then read through :meth:`fetchall`.
        """
        reader = self._reader
        if reader is None:
            if self._no_reader:
                return None
            reader = self._open_reader()
            if reader is None:
                return None
        elif self._reader_thread != threading.get_ident():
            return None
        try:
            return reader.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:  # busy (a checkpoint resetting the WAL), or the file went away
            logger.debug("read connection: %s; reading through the shared connection", exc)
            return None

    def data_version(self) -> int | None:
        """A number the read connection sees change whenever another connection has committed (this process's
        shared one included, and any other process's); None where there is no read connection."""
        rows = self.read_now("PRAGMA data_version")
        return None if rows is None else int(rows[0][0])

    def _open_reader(self) -> sqlite3.Connection | None:
        try:
            reader = sqlite3.connect(self.path, isolation_level=None)
        except sqlite3.Error as exc:
            logger.warning("no read connection to %s (%s); reads go through the shared connection", self.path, exc)
            self._no_reader = True
            return None
        try:
            if str(reader.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                reader.close()
                self._no_reader = True
                return None
            reader.execute("PRAGMA query_only = 1")
            reader.execute("PRAGMA busy_timeout = 0")
        except sqlite3.Error as exc:
            reader.close()
            logger.warning("no read connection to %s (%s); reads go through the shared connection", self.path, exc)
            self._no_reader = True
            return None
        reader.row_factory = sqlite3.Row
        self._reader, self._reader_thread = reader, threading.get_ident()
        return reader

    async def applied(self) -> set[int]:
        """Numbers of the migrations this database has had."""
        await self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        async with self.conn.execute("SELECT number FROM schema_migrations") as cur:
            return {int(row[0]) for row in await cur.fetchall()}

    async def migrate(self, directory: Path) -> None:
        """Apply every migration not yet applied, in number order, each in its own transaction.

        Applied migrations are recorded by number, so migrations written on
        parallel branches (0003 landing before 0002) are all applied.
        """
        steps = sorted(
            (int(m.group(1)), p) for p in directory.glob("*.sql") if (m := _MIGRATION.match(p.name))
        )
        numbers = [n for n, _ in steps]
        if len(set(numbers)) != len(numbers):
            raise RuntimeError(f"two migrations in {directory} share a number: {numbers}")
        done = await self.applied()
        unknown = done - set(numbers)
        if unknown:
            raise RuntimeError(
                f"the database {self.path} has migrations {sorted(unknown)} that this program does not "
                "know; upgrade the program"
            )
        applied = 0
        for number, path in steps:
            if number in done:
                continue
            applied += 1
            script = path.read_text(encoding="utf-8")
            record = (
                f"INSERT INTO schema_migrations (number, name, applied_at) "
                f"VALUES ({number}, '{path.name}', '{iso(dt.datetime.now(dt.timezone.utc))}');"
            )
            async with self._lock:
                try:
                    await self.conn.executescript(f"BEGIN;\n{script}\n{record}\nCOMMIT;")
                except BaseException:
                    if self.conn.in_transaction:
                        await self.conn.rollback()
                    raise
            logger.info("applied migration %s", path.name)
        if applied and self.path != ":memory:":
            # migrations rewrite whole tables: start with the WAL folded back into the file
            async with self._lock:
                await self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``; rolls back on any error."""
        async with self._lock:
            await self._begin()
            try:
                yield self.conn
            except BaseException:
                await self.conn.rollback()
                raise
            else:
                await self.conn.commit()

    async def _begin(self) -> None:
        """``BEGIN IMMEDIATE`` (the write lock), again while another process holds it; under ``_lock``."""
        await self._patiently(lambda: self.conn.execute("BEGIN IMMEDIATE"))

    # One trip to the database thread each (execute, fetch and close were three).  fetchone
    # reads every row: use it for lookups.  A lone statement runs in autocommit mode, so an
    # INSERT/UPDATE ... RETURNING through these is committed when they return.

    async def fetchone(self, sql: str, params: tuple | dict = ()) -> aiosqlite.Row | None:
        rows = await self._patiently(lambda: self._locked(self.conn.execute_fetchall, sql, params))
        return next(iter(rows), None)

    async def _locked(self, call: Callable[..., Awaitable[T]], *args: object) -> T:
        async with self._lock:
            return await call(*args)

    async def fetchall(self, sql: str, params: tuple | dict = ()) -> list[aiosqlite.Row]:
        return list(await self._patiently(lambda: self._locked(self.conn.execute_fetchall, sql, params)))

    async def execute(self, sql: str, params: tuple | dict = ()) -> int:
        """Run one write statement (committed on return); returns rows changed.

        In autocommit mode one statement is its own transaction, so this
        needs one trip to the database thread, not three (BEGIN, statement, COMMIT).
        """
        async def attempt() -> int:
            async with self._lock:
                cur = await self.conn.execute(sql, params)
                return cur.rowcount

        return await self._patiently(attempt)

    async def execute_returning(self, sql: str, params: tuple | dict = ()) -> list[aiosqlite.Row]:
        """Run one write statement with ``RETURNING`` (committed on return) in one trip; its rows."""
        return list(await self._patiently(lambda: self._locked(self.conn.execute_fetchall, sql, params)))
