"""``delegate-bot import``: an export -> the programme file, once or whenever the export changes."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import TextIO

from bot.config import Settings
from bot.importers import ImportResult, ScheduleError, Watcher, ids_path, import_file, write


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    imp = sub.add_parser(
        "import", parents=[common],
        help="convert a frab/Pentabarf schedule.xml, c3voc schedule.json or pretalx export into a programme file",
    )
    imp.add_argument("source", type=Path, help="the export (schedule.xml or schedule.json)")
    imp.add_argument("--out", type=Path, help="the programme YAML to write (default: --programme or BOT_PROGRAMME); its id map goes beside it")
    imp.add_argument("--timezone", help="the conference's IANA zone, where the export names none or a wrong one (e.g. Europe/Berlin)")
    imp.add_argument("--replace", action="store_true", help="overwrite an --out file that no import wrote")
    imp.add_argument("--watch", action="store_true", help="keep running: import again whenever the export changes, and have the running bot reload")
    imp.add_argument("--interval", type=float, default=5.0, help="with --watch, seconds between looks at the export (default 5)")


def summary(result: ImportResult, out: Path) -> str:
    p = result.programme
    ev = p.event
    name = ev.name if isinstance(ev.name, str) else next(iter(ev.name.values()))
    lines = [
        f"{result.schedule.path} ({result.schedule.format}) -> {out}: {name}, {ev.start_date} to {ev.end_date}, "
        f"{result.zone}: {len(p.sessions)} sessions, {len(p.streams)} streams, {len(p.venues)} venues"
    ]
    left = [f"{n} {what} without sessions" for n, what in ((result.unused_rooms, "rooms"), (result.unused_tracks, "tracks")) if n]
    if left:
        lines.append(f"left out: {', '.join(left)}")
    if result.added or result.changed or result.cancelled:
        lines.append(f"since the last import: {len(result.added)} new, {len(result.changed)} changed, "
                     f"{len(result.cancelled)} gone from the export (kept, cancelled)")
    lines.append(f"ids kept in {ids_path(out)}")
    return "\n".join(lines)


def _report(exc: ScheduleError, err: TextIO) -> None:
    for problem in exc.problems:
        print(problem, file=err)


def _notes(result: ImportResult, err: TextIO) -> None:
    for note in result.notes:
        print(f"warning: {note}", file=err)


def run(settings: Settings, args: argparse.Namespace, out_stream: TextIO | None = None, err: TextIO | None = None) -> int:
    out_stream = out_stream or sys.stdout
    err = err or sys.stderr
    out: Path | None = args.out
    if out is None:
        from bot.resources import default_programme

        if settings.programme.resolve() == default_programme().resolve():
            print("delegate-bot import: give --out FILE (or set BOT_PROGRAMME to the programme the bot reads)", file=err)
            return 2
        out = settings.programme
    if not args.watch:
        try:
            result = import_file(args.source, out, timezone=args.timezone, replace=args.replace)
        except ScheduleError as exc:
            _report(exc, err)
            return 1
        _notes(result, err)
        changed = write(result, out)
        print(summary(result, out) + ("" if changed else "\nthe programme is unchanged"), file=out_stream)
        return 0
    return asyncio.run(_watch(settings, args, out, out_stream, err))


async def _watch(settings: Settings, args: argparse.Namespace, out: Path, out_stream: TextIO, err: TextIO) -> int:
    from bot.service import signal_service

    if out.resolve() != settings.programme.resolve():
        print(f"note: the bot reads {settings.programme}, not {out}: set BOT_PROGRAMME={out} for it to follow this import", file=err)

    def imported(result: ImportResult) -> None:
        _notes(result, err)
        print(summary(result, out), file=out_stream)
        if signal_service(settings, signal.SIGHUP):
            print("the running bot is loading it; changes are announced to the delegates concerned", file=out_stream)
        out_stream.flush()

    def failed(exc: ScheduleError) -> None:
        print("the export could not be imported; the programme written last stays:", file=err)
        _report(exc, err)
        err.flush()

    watcher = Watcher(args.source, out, imported, failed, timezone=args.timezone, replace=args.replace)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    print(f"watching {args.source} (every {args.interval:g} s; Ctrl-C stops)", file=out_stream)
    out_stream.flush()
    await watcher.run(args.interval, stop)
    return 0
