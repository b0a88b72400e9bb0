"""Start-up as a user waits for it: the real ``delegate-bot run``, from exec to the first answered request.

A congress (10,000 delegates with 20 bookmarks each, a generated programme of
1,000 sessions with descriptions in two languages, reminders to schedule: the
clock is set before the event) against, in the same run, the shipped
workshop programme with an empty database.  Each start is a new process,
``python -m bot.cli run`` of this tree (what the ``delegate-bot run``
console script calls), with the WeChat channel in plain mode on 127.0.0.1; the clock
stops when a signed WeChat text message ("today") gets its passive reply.
Peak RSS is read from /proc at that moment.

    VENV/bin/python bench/startup.py [--quick] [--rounds 3] [--delegates 10000] [--bookmarks 20] [--sessions 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import hashlib
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from generate import programme_yaml  # noqa: E402

TOKEN = "bench-token"
APPID = "wxbench000000000"
BEFORE_THE_EVENT = "2025-06-02T12:00+08:00"
#: The bot's clock at its start (``--at``), in seconds since the epoch.
AT = datetime.datetime.fromisoformat(BEFORE_THE_EVENT).timestamp()


def fill(db_path: Path, delegates: int, bookmarks: int, sessions: int) -> int:
    """WeChat followers, their bookmarks and settings, written straight into SQLite (setup, not measured)."""
    from bot.store import Database

    async def migrate() -> None:
        await (await Database.open(db_path)).close()

    asyncio.run(migrate())
    rng = random.Random(42)
    con = sqlite3.connect(db_path)
    now = "2025-06-01T00:00:00.000000+00:00"
    with con:
        con.executemany(
            "INSERT INTO users (id, channel, platform_id, created_at) VALUES (?, 'wechat', ?, ?)",
            ((u, f"o_bench_{u:05d}", now) for u in range(1, delegates + 1)),
        )
        con.executemany(
            "INSERT INTO bookmarks (user_id, session_id, created_at) VALUES (?, ?, ?)",
            ((u, f"s{s:05d}", now) for u in range(1, delegates + 1) for s in rng.sample(range(sessions), min(bookmarks, sessions))),
        )
        con.executemany(
            "INSERT INTO reminder_settings (user_id, enabled, lead_minutes) VALUES (?, 1, ?)",
            ((u, rng.choice((10, 15, 30))) for u in range(1, delegates + 1, 3)),
        )
    count = con.execute("SELECT COUNT(*) FROM bookmarks").fetchone()[0]
    con.close()
    return count


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def command() -> list[str]:
    """``delegate-bot run`` of this tree: the console script calls ``bot.cli:main``, as this does."""
    return [sys.executable, "-m", "bot.cli", "run", "--at", BEFORE_THE_EVENT]


def message(openid: str, msg_id: int, signed_at: float) -> tuple[str, bytes]:
    """A signed plain-mode WeChat text message: the query string and the body.

    ``signed_at``: the bot's time (it runs from ``--at``), since it refuses a
    callback signed more than a few minutes from its own clock.
    """
    timestamp, nonce = str(int(signed_at)), str(100000 + msg_id)
    signature = hashlib.sha1("".join(sorted((TOKEN, timestamp, nonce))).encode()).hexdigest()
    body = (
        f"<xml><ToUserName>gh_bench</ToUserName><FromUserName>{openid}</FromUserName>"
        f"<CreateTime>{timestamp}</CreateTime><MsgType>text</MsgType><Content>today</Content>"
        f"<MsgId>{msg_id}</MsgId></xml>"
    )
    return f"signature={signature}&timestamp={timestamp}&nonce={nonce}&openid={openid}", body.encode()


def ask(port: int, openid: str, msg_id: int, signed_at: float) -> bytes | None:
    """One request over a plain socket (no client library to import or warm up); the reply body, or None."""
    query, body = message(openid, msg_id, signed_at)
    request = (
        f"POST /wechat?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(request)
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
    except OSError:
        return None
    answer = b"".join(chunks)
    head, _, rest = answer.partition(b"\r\n\r\n")
    return rest if head.startswith(b"HTTP/1.1 200") else None


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process, in MB."""
    fields = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def start_once(programme: Path, db: Path, openid: str) -> tuple[float, float, float, float]:
    """Seconds from exec to the first answer, the CPU seconds the process used, its RSS and peak RSS then."""
    port = free_port()
    env = {
        **os.environ, "PYTHONPATH": str(ROOT), "BOT_PROGRAMME": str(programme), "BOT_DB": str(db), "BOT_HTTP_PORT": str(port),
        "BOT_WECHAT_TOKEN": TOKEN, "BOT_WECHAT_APPID": APPID, "BOT_WECHAT_SECRET": "unused",
        "BOT_WECHAT_API_URL": "http://127.0.0.1:9", "BOT_LOG_LEVEL": "WARNING",
    }
    env.pop("BOT_WECHAT_AES_KEY", None)
    began = time.perf_counter()
    proc = subprocess.Popen(command(), env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        msg_id = int(began * 1000) % 10**12
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"delegate-bot run stopped: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
            reply = ask(port, openid, msg_id, AT + time.perf_counter() - began)
            if reply is not None and b"<Content>" in reply:
                elapsed = time.perf_counter() - began
                break
            msg_id += 1
            time.sleep(0.005)
        cpu = cpu_seconds(proc.pid)
        rss, peak = memory(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return elapsed, cpu, rss, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one round, 2,000 delegates")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--delegates", type=int, default=10_000)
    parser.add_argument("--bookmarks", type=int, default=20)
    parser.add_argument("--sessions", type=int, default=1_000)
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.delegates = 1, min(args.delegates, 2_000)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        congress = folder / "congress.yaml"
        congress.write_text(programme_yaml(args.sessions), encoding="utf-8")
        big_db = folder / "congress.sqlite3"
        rows = fill(big_db, args.delegates, args.bookmarks, args.sessions)
        workshop = ROOT / "data" / "programme.yaml"
        print(f"command: python -m bot.cli run --at {BEFORE_THE_EVENT}  (bench/startup.py"
              f"{' --quick' if args.quick else ''} --rounds {args.rounds} --delegates {args.delegates})")
        print(f"congress: {args.delegates:,} delegates, {rows:,} bookmarks, {args.sessions:,} sessions "
              f"({congress.stat().st_size / 2**20:.1f} MB); workshop: the shipped programme, an empty database")
        results: dict[str, list[tuple[float, float, float, float]]] = {"workshop": [], "congress": []}
        for round_ in range(args.rounds):  # interleaved: the machine may be shared
            small_db = folder / f"workshop-{round_}.sqlite3"
            results["workshop"].append(start_once(workshop, small_db, "o_bench_00001"))
            results["congress"].append(start_once(congress, big_db, "o_bench_00001"))
        base = statistics.median(t for t, _c, _r, _p in results["workshop"])
        for name, runs in results.items():
            times = [t for t, _c, _r, _p in runs]
            median = statistics.median(times)
            print(
                f"  {name:>8}: exec to first answer {median:5.2f} s (best {min(times):.2f}, {median / base:4.2f}x the workshop),"
                f" CPU {statistics.median(c for _t, c, _r, _p in runs):4.2f} s"
                f"   RSS {max(r for _t, _c, r, _p in runs):4.0f} MB, peak {max(p for _t, _c, _r, p in runs):4.0f} MB"
            )
        print("target for the congress: under 3 s and under 300 MB")


if __name__ == "__main__":
    main()
