"""``delegate-bot backup PATH`` and ``delegate-bot restore PATH``.

A backup is taken with SQLite's online backup API from a connection of its
own, in one step, so it is one consistent snapshot even while the bot writes
(the write-ahead log included: the backup reads the database as a reader
does, WAL and all), and writers are not held up (WAL mode).  The copy is
made a single self-contained file (``journal_mode = DELETE``), checked with
``PRAGMA integrity_check``, readable only by its owner (it holds personal
data), and only then moved to its name, so a half-written backup never
looks like a good one.

A restore checks the backup first (integrity, that it is this program's
database, that this program knows every migration it has had) and refuses
while the bot runs on the database; it keeps the database it replaces
beside it (``<db>.before-restore-<time>``).  Migrations the backup lacks
are applied when the bot next starts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TextIO

from bot.config import Settings
from bot.resources import migrations_dir
from bot.store.db import _MIGRATION


class BackupError(Exception):
    """A backup that cannot be made or used; the message says why."""


@dataclass(frozen=True)
class Checked:
    path: Path
    migrations: frozenset[int]
    size: int

    @property
    def latest(self) -> str:
        return f"{max(self.migrations):04d}" if self.migrations else "none"


def known_migrations() -> frozenset[int]:
    return frozenset(int(m.group(1)) for p in migrations_dir().glob("*.sql") if (m := _MIGRATION.match(p.name)))


def _read_only(path: Path) -> str:
    """The SQLite URI that opens ``path`` read-only (percent-encoded: a folder may be named ``#1`` or ``a?b``)."""
    return f"{path.absolute().as_uri()}?mode=ro"


def _stamp(now: dt.datetime | None = None) -> str:
    return (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y%m%d-%H%M%S")


def check(path: Path) -> Checked:
    """The backup at ``path`` if it is a sound database of this program, else :class:`BackupError`."""
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    try:
        conn = sqlite3.connect(_read_only(path), uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"{path} cannot be opened: {exc}") from None
    try:
        result = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
        if result != ["ok"]:
            raise BackupError(f"{path} is damaged: " + "; ".join(result[:5]))
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"schema_migrations", "users"} <= tables:
            raise BackupError(f"{path} is not a delegate-bot database (no schema_migrations or users table)")
        applied = frozenset(int(r[0]) for r in conn.execute("SELECT number FROM schema_migrations"))
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a database SQLite can read ({exc})") from None
    finally:
        conn.close()
    unknown = sorted(applied - known_migrations())
    if unknown:
        raise BackupError(f"{path} has migrations {unknown} that this program does not know: restore it with the newer program")
    return Checked(path, applied, path.stat().st_size)


def copy_database(source: Path, target: Path) -> Checked:
    """A consistent, checked, self-contained copy of ``source`` at ``target`` (written beside it, then renamed)."""
    partial = target.with_name(target.name + ".partial")
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()
    src = sqlite3.connect(_read_only(source), uri=True, timeout=30)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)  # one step: one read transaction, one snapshot; writers go on (WAL)
            dst.execute("PRAGMA journal_mode = DELETE")
            dst.commit()
        finally:
            dst.close()
    finally:
        src.close()
    os.chmod(partial, 0o600)
    try:
        checked = check(partial)
    except BackupError:
        partial.unlink()
        raise
    with partial.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(partial, target)
    return Checked(target, checked.migrations, checked.size)


def backup(settings: Settings, path: Path, out: TextIO | None = None, now: dt.datetime | None = None) -> int:
    """``delegate-bot backup PATH``: 0 with the backup written and checked, 1 otherwise."""
    out = out or sys.stdout
    source = settings.db
    if not source.is_file():
        print(f"delegate-bot: there is no database at {source} to back up", file=sys.stderr)
        return 1
    target = path / f"delegate-bot-{_stamp(now)}.sqlite3" if path.is_dir() else path
    if not target.parent.is_dir():
        print(f"delegate-bot: the folder {target.parent} does not exist", file=sys.stderr)
        return 1
    try:
        checked = copy_database(source, target)
    except (BackupError, sqlite3.Error, OSError) as exc:
        print(f"delegate-bot: the backup failed: {exc}", file=sys.stderr)
        return 1
    print(f"backup: {target} ({checked.size // 1024} KiB, migrations up to {checked.latest}, integrity ok)", file=out)
    return 0


def running_pid(settings: Settings) -> int | None:
    """The process id of a ``delegate-bot run`` on this database, if one runs."""
    from bot.service import pid_path

    try:
        pid = int(pid_path(settings).read_text(encoding="ascii").strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def restore(settings: Settings, path: Path, *, yes: bool = False, out: TextIO | None = None,
            ask: Callable[[str], str] | None = None, now: dt.datetime | None = None) -> int:
    """``delegate-bot restore PATH``: check, keep the current database aside, put the backup in its place."""
    out = out or sys.stdout
    try:
        checked = check(path)
    except BackupError as exc:
        print(f"delegate-bot: not restored: {exc}", file=sys.stderr)
        return 1
    pid = running_pid(settings)
    if pid is not None:
        print(f"delegate-bot: not restored: the bot is running on {settings.db} (process {pid}); stop it first", file=sys.stderr)
        return 1
    db = settings.db
    todo = sorted(known_migrations() - checked.migrations)
    print(f"{path}: integrity ok, migrations up to {checked.latest}"
          + (f"; {len(todo)} newer migration(s) will be applied when the bot starts" if todo else ""), file=out)
    if not yes:
        answer = (ask or input)(f"Replace {db} with it? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Not restored.", file=out)
            return 1
    kept = None
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
        staged = db.with_name(db.name + ".restoring")
        copy_database(path, staged)
        if db.exists():
            # moved aside as it is, with its write-ahead log (it may be the damaged one being replaced)
            kept = db.with_name(f"{db.name}.before-restore-{_stamp(now)}")
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.replace(f"{db}{suffix}", f"{kept}{suffix}")
        os.replace(staged, db)
    except (BackupError, sqlite3.Error, OSError) as exc:
        print(f"delegate-bot: not restored: {exc}", file=sys.stderr)
        return 1
    print(f"restored {db} from {path}" + (f"; the database it replaced is kept as {kept}" if kept else ""), file=out)
    return 0
