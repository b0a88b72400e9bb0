"""The programme at congress scale: load time and memory, the event loop during a reload, query latency.

For generated programmes of 1,000, 4,000 and 16,000 sessions (bench/generate.py:
two-language titles and descriptions, speakers, rooms, site visits), each
next to the shipped workshop programme in the same run:

and the real FOSDEM 2025 schedule (943 events, converted) where ../shared is
beside the project:

* load: read, check and index the file (``load_programme`` + ``Agenda``), in
  a fresh process each, and that process's peak RSS;
* reload: the longest the event loop waits while the holder reloads the file
  (a ticker task sleeps 1 ms at a time and records its longest gap), and the
  reload's own time; through the bare holder and through a whole core (with
  the reminder and change-notice listeners, no delegates);
* queries: p50/p99 of ``/today``, ``/now``, ``/next`` and ``/search`` through
  the core (routing, lookup, rendering), at 10:00 on the third day (FOSDEM: the second).  Each
  search is of a word not searched before in that version (its results are
  remembered for paging, so a repeated search costs next to nothing).

    VENV/bin/python bench/programme.py [--quick] [--sizes 1000 4000 16000] [--queries 300]

With ``--before``, FOSDEM and the 1,000-session file are also read the way
they were before yaml-rs (ruamel.yaml's pure round-trip loader), for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from generate import FOSDEM, fosdem_yaml, programme_yaml  # noqa: E402

SHIPPED = ROOT / "data" / "programme.yaml"
WORDS = ["Bogotá", "metro", "flood", "Guangzhou", "housing", "lighting", "Quito", "budgets", "Lisbon", "drone",
         "广州", "城市", "数字孪生", "公共交通", "首尔", "实践", "heat", "cycling", "Kazan", "water"]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- in a fresh process ---------------------------------------------------------------


def child_load(path: str, how: str) -> None:
    """Print the seconds to read and index ``path`` and the peak RSS, as JSON."""
    from bot.programme import Agenda, load_programme

    before = peak_mb()
    began = time.perf_counter()
    if how == "round-trip":
        from bot.programme import loader

        text = Path(path).read_text(encoding="utf-8")
        tree = loader._careful_document(text, path)
        programme = loader.build_programme(loader._plain(tree), loader._Locator(tree, path))
        loaded = time.perf_counter()
        agenda = None
    else:
        programme = load_programme(path)
        loaded = time.perf_counter()
        agenda = Agenda(programme)
    indexed = time.perf_counter()
    print(json.dumps({"load": loaded - began, "index": indexed - loaded, "rss": peak_mb(), "rss_before": before,
                      "sessions": len(programme.sessions), "agenda": agenda is not None}))


def load_in_child(path: Path, how: str = "quick") -> dict:
    out = subprocess.run([sys.executable, __file__, "--child-load", str(path), how], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout)


# -- the event loop during a reload -----------------------------------------------------


async def stall_during(reload) -> tuple[float, float]:
    """(longest gap the loop made a 1 ms ticker wait beyond its 1 ms, seconds the reload took)."""
    worst = 0.0
    running = True

    async def ticker() -> None:
        nonlocal worst
        last = time.perf_counter()
        while running:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            worst = max(worst, now - last - 0.001)
            last = now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.05)
    began = time.perf_counter()
    await reload()
    took = time.perf_counter() - began
    await asyncio.sleep(0.05)
    running = False
    await task
    return worst, took


async def idle_for(seconds: float) -> float:
    """The same ticker's longest gap with nothing else running: what the machine itself costs (other processes)."""
    return (await stall_during(lambda: asyncio.sleep(seconds)))[0]


async def reloads(path: Path, rounds: int) -> dict[str, tuple[float, float]]:
    from bot.app import build_core
    from bot.clock import ManualClock
    from bot.config import Settings
    from bot.programme import ProgrammeHolder
    from bot.programme.reader import keep_out_of_collections

    out: dict[str, tuple[float, float]] = {}
    holder = ProgrammeHolder.from_file(path)
    keep_out_of_collections()  # gc.freeze(), as ``delegate-bot run`` does once it has started
    runs = [await stall_during(holder.reload) for _ in range(rounds)]
    out["holder"] = (max(s for s, _ in runs), statistics.median(t for _, t in runs))
    del holder
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env({}, programme=path, db=Path(tmp) / "bench.sqlite3")
        core = await build_core(settings, ManualClock(dt.datetime(2025, 6, 2, 12, tzinfo=dt.timezone.utc)))
        from bot.service import warm_up

        # what `delegate-bot run` does once it answers: load, in a thread, what only some answers need (the
        # pinyin tables, the search index and understanding of the version in force); its own stall, once
        # a process, is the first loading of those modules and data (unmarshalling pypinyin's tables)
        out["warm-up"] = await stall_during(lambda: warm_up(core))
        keep_out_of_collections()
        try:
            runs = [await stall_during(core.programmes.reload) for _ in range(rounds)]
        finally:
            await core.close()
    out["core"] = (max(s for s, _ in runs), statistics.median(t for _, t in runs))
    out["idle"] = (await idle_for(out["core"][1]), out["core"][1])
    return out


# -- queries through the core ---------------------------------------------------------------


async def query_times(path: Path, count: int) -> dict[str, list[float]]:
    from bot.app import build_core
    from bot.clock import ManualClock
    from bot.config import Settings
    from bot.conversation import Request, UserRef
    from bot.programme import load_programme
    from bot.programme.reader import keep_out_of_collections

    programme = load_programme(path)
    third_day = min(programme.event.start_date + dt.timedelta(days=2), programme.event.end_date)
    when = dt.datetime.combine(third_day, dt.time(10, 0), tzinfo=programme.zone)
    times: dict[str, list[float]] = {"today": [], "now": [], "next": [], "search": []}
    with tempfile.TemporaryDirectory() as tmp:
        # 50 delegates send 17 requests each on a clock that does not move: flood control (12 in a burst) would
        # answer the last of them with nothing (in 0.03 ms), and those would be timed as queries
        settings = Settings.from_env({}, programme=path, db=Path(tmp) / "bench.sqlite3", flood_burst=0)
        core = await build_core(settings, ManualClock(when), programme=programme)
        try:
            users = [UserRef("bench", f"u{i}") for i in range(50)]
            for user in users:  # every delegate seen once, as after the first minutes of a day
                await core.handle(Request(user=user, text="/start"))
            agenda = core.programmes.agenda
            # what `delegate-bot run` builds in a thread once it answers (and after each reload); a search that
            # came first would wait for it, so the first search would time the build, not the query
            from bot.understanding.search import SearchIndex
            from bot.understanding.understand import understanding_ready

            await SearchIndex.ready(agenda)
            await understanding_ready(agenda, core.catalogs.tags)
            gc.collect()
            keep_out_of_collections()  # as `delegate-bot run` does after that warm-up (bot.service.warm_up)
            for i in range(count):
                user = users[i % len(users)]
                for name in ("today", "now", "next"):
                    began = time.perf_counter()
                    await core.handle(Request(user=user, text=f"/{name}"))
                    times[name].append(time.perf_counter() - began)
                agenda._found.clear()  # a word not searched before in this version
                word = WORDS[i % len(WORDS)]
                began = time.perf_counter()
                await core.handle(Request(user=user, text=f"/search {word}"))
                times["search"].append(time.perf_counter() - began)
        finally:
            await core.close()
    return times


def quantiles(values: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(values, n=100, method="inclusive")
    return q[49] * 1000, q[98] * 1000


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        files = {"shipped": SHIPPED}
        if FOSDEM.exists():
            files["FOSDEM"] = Path(tmp) / "fosdem-2025.yaml"
            files["FOSDEM"].write_text(fosdem_yaml(), encoding="utf-8")
        else:
            print(f"FOSDEM skipped: {FOSDEM} is absent")
        for size in args.sizes:
            files[f"{size:,}"] = Path(tmp) / f"congress-{size}.yaml"
            files[f"{size:,}"].write_text(programme_yaml(size), encoding="utf-8")
        print(f"command: bench/programme.py{' --quick' if args.quick else ''} --sizes {' '.join(map(str, args.sizes))} --queries {args.queries}")
        print("\nload: read, check and index, in a fresh process (median of 3; peak RSS of that process)")
        base = None
        for name, path in files.items():
            runs = [load_in_child(path) for _ in range(1 if args.quick else 3)]
            load = statistics.median(r["load"] for r in runs)
            index = statistics.median(r["index"] for r in runs)
            rss = max(r["rss"] for r in runs)
            before = runs[0]["rss_before"]
            base = base or (load + index)
            print(f"  {name:>8}: {runs[0]['sessions']:>6} sessions, {path.stat().st_size / 2**20:5.1f} MB: load {load:6.3f} s + index {index:6.3f} s"
                  f" = {load + index:6.3f} s ({(load + index) / base:6.1f}x shipped)  peak RSS {rss:4.0f} MB (interpreter and libraries: {before:.0f} MB)")
        if args.before:
            for name in ("FOSDEM", "1,000"):
                if name in files:
                    old = load_in_child(files[name], "round-trip")
                    print(f"  {name:>8} read by the round-trip reader alone (before): load {old['load']:6.3f} s, peak RSS {old['rss']:4.0f} MB")
        print("\nreload: the longest the event loop waited (a 1 ms ticker's longest gap), and the reload's time (median);")
        print("  idle: the same ticker as long as a reload, with nothing running (the floor other processes set);")
        print("  warm-up: the core's start-up loading in a thread (as `delegate-bot run` once it answers), before its reloads")
        for name, path in files.items():
            found = await reloads(path, 1 if args.quick else 3)
            idle = found.pop("idle")[0]
            print("  " + f"{name:>8}: " + "   ".join(f"{kind}: stall {stall * 1000:6.1f} ms, {'took' if kind == 'warm-up' else 'reload'} {took:6.2f} s" for kind, (stall, took) in found.items())
                  + f"   idle: {idle * 1000:5.1f} ms")
        print(f"\nqueries through the core, {args.queries} of each (p50 / p99 ms; ratio of p99 to the shipped programme's)")
        shipped: dict[str, tuple[float, float]] = {}
        for name, path in files.items():
            times = await query_times(path, args.queries)
            cells = []
            for query, values in times.items():
                p50, p99 = quantiles(values)
                if name == "shipped":
                    shipped[query] = (p50, p99)
                cells.append(f"{query} {p50:5.2f} / {p99:5.2f} ({p99 / shipped[query][1]:4.1f}x)")
            print(f"  {name:>8}: " + "  ".join(cells))
        print("targets: load of 1,000 sessions < 1 s, 16,000 < 10 s; stall during a 16,000-session reload < 50 ms; p99 < 5 ms at 16,000")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 and 4,000 sessions, one run each, 100 queries")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000, 16000])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--before", action="store_true", help="also time the round-trip reader on FOSDEM and 1,000 sessions")
    parser.add_argument("--child-load", nargs=2, help=argparse.SUPPRESS)
    parsed = parser.parse_args()
    if parsed.child_load:
        child_load(*parsed.child_load)
    else:
        if parsed.quick:
            parsed.sizes = [s for s in parsed.sizes if s <= 4000] or [1000]
            parsed.queries = min(parsed.queries, 100)
        asyncio.run(main(parsed))
