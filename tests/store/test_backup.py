"""``delegate-bot backup`` while the bot writes, and ``restore`` with its checks."""

from __future__ import annotations

import asyncio
import io
import os
import sqlite3
from pathlib import Path

from bot import backup, cli
from bot.config import Settings
from bot.service import pid_path
from bot.store import Database
from tests.conftest import PROGRAMME

PAIRS = 400


def settings_for(db: Path) -> Settings:
    return Settings.from_env({}, programme=PROGRAMME, db=db)


def counts(path: Path) -> tuple[int, int]:
    with sqlite3.connect(path) as conn:
        users = conn.execute("SELECT COUNT(*) FROM users").fetchone()[0]
        bookmarks = conn.execute("SELECT COUNT(*) FROM bookmarks").fetchone()[0]
    return users, bookmarks


async def write_pairs(db: Database, stop: asyncio.Event) -> int:
    """A delegate and their bookmark, one transaction each, as fast as it goes, until told to stop."""
    n = 0
    while not stop.is_set() and n < 100_000:
        async with db.transaction() as conn:
            cur = await conn.execute(
                "INSERT INTO users (channel, platform_id, created_at) VALUES ('test', ?, '2025-06-05T00:00:00+00:00') RETURNING id",
                (f"u{n}",))
            (uid,) = await cur.fetchone()
            await cur.close()
            await conn.execute("INSERT INTO bookmarks (user_id, session_id, created_at) VALUES (?, 'opening', 'x')", (uid,))
        n += 1
        await asyncio.sleep(0)
    return n


async def test_a_backup_taken_during_writes_is_one_consistent_checked_file_that_restores(tmp_path: Path) -> None:
    live = tmp_path / "bot.sqlite3"
    db = await Database.open(live)
    stop = asyncio.Event()
    writer = asyncio.create_task(write_pairs(db, stop))
    try:
        while (await db.fetchone("SELECT COUNT(*) FROM users"))[0] < PAIRS:
            await asyncio.sleep(0.01)
        out = io.StringIO()
        # the command line's own process would do this; a thread keeps this loop (the writer) going meanwhile
        status = await asyncio.to_thread(backup.backup, settings_for(live), tmp_path / "copy.sqlite3", out)
        assert Path(f"{live}-wal").exists()  # the live database was in WAL mode, mid-writes
    finally:
        stop.set()
        written = await writer
        await db.close()
    assert status == 0, out.getvalue()
    copy = tmp_path / "copy.sqlite3"
    assert "integrity ok" in out.getvalue() and f"migrations up to {max(backup.known_migrations()):04d}" in out.getvalue()
    assert not Path(f"{copy}-wal").exists() and (copy.stat().st_mode & 0o077) == 0
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    users, bookmarks = counts(copy)
    assert users == bookmarks and PAIRS <= users <= written  # a snapshot between two transactions, none half-copied

    target = tmp_path / "restored" / "bot.sqlite3"
    target.parent.mkdir()
    target.write_bytes(b"an older database")
    assert backup.restore(settings_for(target), copy, yes=True, out=io.StringIO()) == 0
    assert counts(target) == (users, bookmarks)
    kept = [p for p in target.parent.iterdir() if ".before-restore-" in p.name]
    assert len(kept) == 1 and kept[0].read_bytes() == b"an older database"
    reopened = await Database.open(target)  # the bot starts on it
    await reopened.close()


def test_backup_into_a_folder_names_the_file_by_the_time(tmp_path: Path, capsys) -> None:
    live = tmp_path / "bot.sqlite3"
    asyncio.run(_migrated(live))
    folder = tmp_path / "backups"
    folder.mkdir()
    assert cli.main(["backup", "--db", str(live), str(folder)]) == 0
    (made,) = folder.iterdir()
    assert made.name.startswith("delegate-bot-") and made.suffix == ".sqlite3"
    assert f"backup: {made}" in capsys.readouterr().out


async def _migrated(path: Path) -> None:
    db = await Database.open(path)
    await db.close()


def test_restore_refuses_a_damaged_file_a_foreign_one_and_one_from_a_newer_program(tmp_path: Path, capsys) -> None:
    live = tmp_path / "bot.sqlite3"
    asyncio.run(_migrated(live))
    before = live.read_bytes()
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"SQLite format 3\x00" + os.urandom(4096))
    foreign = tmp_path / "foreign.sqlite3"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE notes (x)")
    newer = tmp_path / "newer.sqlite3"
    newer.write_bytes(before)
    with sqlite3.connect(newer) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (9999, '9999_future.sql', 'x')")
    for bad, reason in ((garbage, "not a database"), (foreign, "not a delegate-bot database"), (newer, "does not know")):
        assert cli.main(["restore", "--db", str(live), "--yes", str(bad)]) == 1
        assert reason in capsys.readouterr().err
    assert live.read_bytes() == before


def test_restore_refuses_while_the_bot_runs_and_asks_first(tmp_path: Path, capsys) -> None:
    live = tmp_path / "bot.sqlite3"
    asyncio.run(_migrated(live))
    copy = tmp_path / "copy.sqlite3"
    assert backup.backup(settings_for(live), copy, io.StringIO()) == 0
    pid_path(settings_for(live)).write_text(f"{os.getpid()}\n", encoding="ascii")  # a process that is alive
    assert backup.restore(settings_for(live), copy, yes=True, out=io.StringIO()) == 1
    assert "the bot is running" in capsys.readouterr().err
    pid_path(settings_for(live)).unlink()
    out = io.StringIO()
    assert backup.restore(settings_for(live), copy, out=out, ask=lambda _q: "n") == 1
    assert "Not restored." in out.getvalue()


WRITER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
conn.execute("PRAGMA journal_mode = WAL")
n = 0
while time.monotonic() < float(sys.argv[2]):
    conn.execute("BEGIN IMMEDIATE")
    uid = conn.execute("INSERT INTO users (channel, platform_id, created_at) VALUES ('test', ?, 'x') RETURNING id",
                       (f"p{n}",)).fetchone()[0]
    conn.execute("INSERT INTO bookmarks (user_id, session_id, created_at) VALUES (?, 'opening', 'x')", (uid,))
    conn.execute("COMMIT")
    n += 1
    if n == 200:
        print("writing", flush=True)
print(n, flush=True)
"""


def test_the_command_backs_up_a_database_another_process_is_writing_into_a_folder_with_an_awkward_name(tmp_path: Path,
                                                                                                        capsys) -> None:
    import subprocess
    import sys
    import time

    folder = tmp_path / "event #1 ?draft 100%"
    folder.mkdir()
    live = folder / "bot.sqlite3"
    asyncio.run(_migrated(live))
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(live), str(time.monotonic() + 8)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
        copy = folder / "copy.sqlite3"
        assert cli.main(["backup", "--db", str(live), str(copy)]) == 0, capsys.readouterr().err
        assert Path(f"{live}-wal").exists()  # taken while the other process had a write-ahead log
    finally:
        written = int(writer.communicate(timeout=30)[0].strip())
    assert writer.returncode == 0
    users, bookmarks = counts(copy)
    assert users == bookmarks and 200 <= users < written  # one snapshot mid-writes; the writer went on after it
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert counts(live) == (written, written)
