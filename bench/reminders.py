"""Start-up cost of the reminder schedule at congress scale.

10,000 delegates with 20 bookmarks each on a generated 1,000-session
programme.  Prints the time to start the core and schedule every reminder (the
schedule is derived from the stored choices at every start, so a first start
and a restart cost the same), the peak memory, and a baseline measured in the
same run: the time to just read the same rows from SQLite.

    python bench/reminders.py [--delegates 10000] [--bookmarks 20] [--sessions 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import resource
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import build_core  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.programme import load_programme  # noqa: E402
from bot.store import Database  # noqa: E402

DAYS = 5
STREAMS = 10


def programme_yaml(sessions: int) -> str:
    """A valid programme of ``sessions`` sessions over five days, every 25th a site visit."""
    out = [
        "event:",
        "  id: bench",
        "  name: Benchmark congress",
        "  timezone: Asia/Shanghai",
        "  start_date: 2025-06-03",
        "  end_date: 2025-06-07",
        "streams:",
    ]
    for n in range(1, STREAMS + 1):
        out += [f"  - id: st{n}", f"    number: {n}", f"    title: Stream {n}"]
    out += ["venues:", "  - id: hall", "    name: Hall", "  - id: gate", "    name: Gate", "sessions:"]
    per_day = -(-sessions // DAYS)
    for i in range(sessions):
        day, slot = divmod(i, per_day)
        start = dt.datetime(2025, 6, 3 + day, 8, 0) + dt.timedelta(minutes=5 * slot % 720)
        end = start + dt.timedelta(minutes=45)
        out += [
            f"  - id: x{i}",
            f"    title: Session {i}",
            f"    kind: {'site_visit' if i % 25 == 0 else 'presentation'}",
            f"    stream: st{i % STREAMS + 1}",
            "    venue: hall",
            f"    start: {start:%Y-%m-%dT%H:%M}",
            f"    end: {end:%Y-%m-%dT%H:%M}",
        ]
        if i % 25 == 0:
            out += ["    site_visit:", "      meeting_point: gate", f"      departure: {start - dt.timedelta(minutes=20):%Y-%m-%dT%H:%M}"]
    return "\n".join(out) + "\n"


def fill(db_path: Path, delegates: int, bookmarks: int, sessions: int) -> int:
    """Users and bookmarks written straight into SQLite (setup, not measured)."""
    rng = random.Random(42)
    con = sqlite3.connect(db_path)
    now = "2025-06-01T00:00:00.000000+00:00"
    with con:
        con.executemany(
            "INSERT INTO users (id, channel, platform_id, created_at) VALUES (?, 'console', ?, ?)",
            ((u, f"u{u}", now) for u in range(1, delegates + 1)),
        )
        con.executemany(
            "INSERT INTO bookmarks (user_id, session_id, created_at) VALUES (?, ?, ?)",
            ((u, f"x{s}", now) for u in range(1, delegates + 1) for s in rng.sample(range(sessions), bookmarks)),
        )
        con.executemany(
            "INSERT INTO reminder_settings (user_id, enabled, lead_minutes) VALUES (?, 1, ?)",
            ((u, rng.choice((10, 15, 30))) for u in range(1, delegates + 1, 3)),
        )
    count = con.execute("SELECT COUNT(*) FROM bookmarks").fetchone()[0]
    con.close()
    return count


async def read_rows(db: Database) -> int:
    """The baseline: just read the rows the schedule is built from and checked against."""
    total = 0
    for sql in (
        "SELECT user_id, session_id FROM bookmarks",
        "SELECT user_id, enabled, lead_minutes FROM reminder_settings",
        "SELECT user_id, session_id FROM visit_signups",
        "SELECT user_id, stream_id FROM stream_subscriptions",
        "SELECT user_id, session_id, kind FROM sent_reminders",
    ):
        async with db.transaction() as conn:
            cur = await conn.execute(sql)
            cur.row_factory = None  # plain tuples, as the engine reads them
            total += len(await cur.fetchall())
            await cur.close()
    return total


async def timed(coro) -> tuple[float, object]:
    t0 = time.perf_counter()
    result = await coro
    return time.perf_counter() - t0, result


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delegates", type=int, default=10_000)
    parser.add_argument("--bookmarks", type=int, default=20)
    parser.add_argument("--sessions", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        programme = Path(tmp) / "programme.yaml"
        programme.write_text(programme_yaml(args.sessions), encoding="utf-8")
        db_path = Path(tmp) / "bench.sqlite3"
        await (await Database.open(db_path)).close()  # the schema, through the migrations
        rows = fill(db_path, args.delegates, args.bookmarks, args.sessions)
        settings = Settings.from_env({}, programme=programme, db=db_path)
        print(f"{args.delegates:,} delegates, {rows:,} bookmarks, {args.sessions:,} sessions")
        print(f"command: python bench/reminders.py --delegates {args.delegates} --bookmarks {args.bookmarks} --sessions {args.sessions}")
        clock = ManualClock(dt.datetime(2025, 6, 2, 12, tzinfo=dt.timezone.utc))

        parse, _ = await timed(asyncio.to_thread(load_programme, programme))
        start_up, core = await timed(build_core(settings, clock))
        engine = core.services.reminders
        baseline, read = await timed(read_rows(core.db))
        schedule, _ = await timed(engine.reconcile())
        tracemalloc.start()
        await engine.reconcile()
        schedule_peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        await core.close()

        print(f"programme parse (YAML, not reminders)     {parse:6.2f} s")
        print(f"whole start-up (parse + schedule)         {start_up:6.2f} s")
        print(f"schedule {engine.scheduled():,} reminders            {schedule:6.2f} s  ({schedule / baseline:4.1f}x baseline)")
        print(f"baseline: just read the {read:,} rows  {baseline:6.2f} s")
        print(f"memory: scheduling peak {schedule_peak:.0f} MB (tracemalloc); process peak RSS {peak_mb():.0f} MB")
        print("target: under 3 s and under 300 MB")

if __name__ == "__main__":
    asyncio.run(main())
