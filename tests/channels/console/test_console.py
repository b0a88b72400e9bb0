"""The console channel, scripted through a pipe as a newcomer would use it."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from bot.channels.console import ConsoleChannel, render
from bot.conversation import Choice, Choices, Text, Venue
from tests.conftest import ROOT, SEMINAR, plain
from tests.formats import day, times


def run_console(tmp_path: Path, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BOT_DB": str(tmp_path / "console.sqlite3"), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "bot", "console", *args],
        input=script, capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path,
    )


def test_scripted_today_lists_the_days_sessions_with_times(tmp_path: Path) -> None:
    result = run_console(tmp_path, "today\n", "--at", "2025-06-05T10:00+08:00")
    assert result.returncode == 0, result.stderr
    out = plain(result.stdout)
    assert day("2025-06-05") in out
    assert f"{times('2025-06-05T08:30', '2025-06-05T09:30')} · Stream 2" in out
    assert f"{times('2025-06-05T13:45', '2025-06-05T14:45')} · Stream 3" in out


def test_scripted_chinese_tomorrow(tmp_path: Path) -> None:
    result = run_console(tmp_path, "明天\n", "--lang", "zh_Hans", "--at", "2025-06-04T20:00+08:00")
    assert result.returncode == 0, result.stderr
    assert day("2025-06-05", "zh_Hans") in plain(result.stdout)
    assert "分论坛" in result.stdout


def test_scripted_seminar_next_names_seminar_two(tmp_path: Path) -> None:
    result = run_console(tmp_path, "next\n", "--programme", str(SEMINAR), "--at", "2023-11-07T19:00+08:00")
    assert result.returncode == 0, result.stderr
    assert f"{times('2023-11-07T19:30', '2023-11-07T21:00')} · Seminar 2" in plain(result.stdout)


def test_scripted_numbers_pick_choices_and_language_persists(tmp_path: Path) -> None:
    first = run_console(tmp_path, "lang\n2\n", "--at", "2025-06-05T10:00+08:00")
    assert "中文" in first.stdout
    second = run_console(tmp_path, "today\n", "--at", "2025-06-05T10:00+08:00")
    assert day("2025-06-05", "zh_Hans") in plain(second.stdout)


def test_lang_option_lasts_one_run(tmp_path: Path) -> None:
    chinese = run_console(tmp_path, "today\n", "--lang", "zh-CN", "--at", "2025-06-05T10:00+08:00")
    assert day("2025-06-05", "zh_Hans") in plain(chinese.stdout)
    english = run_console(tmp_path, "today\n", "--at", "2025-06-05T10:00+08:00")
    assert day("2025-06-05") in plain(english.stdout)


def test_unknown_language_option_is_refused(tmp_path: Path) -> None:
    result = run_console(tmp_path, "today\n", "--lang", "tlh")
    assert result.returncode == 2
    assert "unknown language" in result.stderr


def test_bad_at_option_is_explained(tmp_path: Path) -> None:
    result = run_console(tmp_path, "today\n", "--at", "tomorrow morning")
    assert result.returncode == 2
    assert "ISO-8601" in result.stderr


async def test_clock_commands_move_the_rehearsal_clock(core) -> None:
    out = io.StringIO()
    channel = ConsoleChannel(core.ports(), core.wakeups, "local", out=out)

    async def lines():
        for line in [":advance 2h", "now", ":at 2025-06-06T09:30", "now", ":advance soon", ":bogus"]:
            yield line

    await channel.run(lines())
    text = plain(out.getvalue())
    assert "Stream 2 roundtable" in text  # on at 12:00 on 5 June
    assert "Civitas Novus" in text  # at 09:30 on 6 June the workshop is on
    assert 'cannot read "soon"' in text
    assert ":advance" in text


def test_render_numbers_choices_and_shows_venues() -> None:
    text = render([
        Text("Hello", title="Hi"),
        Choices("Pick", (Choice("One", "/a"), Choice("Two", "/b"))),
        Venue("Hall", 23.1, 113.2, address="Road 1"),
    ])
    assert "*** Hi ***" in text and "  1. One" in text and "  2. Two" in text
    assert "📍 Hall" in text and "Road 1" in text


def test_scripted_venue_cards_in_english_and_in_chinese(tmp_path: Path) -> None:
    english = run_console(tmp_path, "venues\n5\n1\n", "--at", "2025-06-05T10:00+08:00", "--files", str(tmp_path / "files"))
    assert english.returncode == 0, english.stderr
    out = plain(english.stdout)
    assert "*** Venues ***" in out and "  5. Liurong community, Yuexiu District" in out
    assert "📍 Liurong community, Yuexiu District\nYuexiu District, Guangzhou\n(23.12880, 113.26180, WGS84)" in out
    assert "  🔗 Amap: https://uri.amap.com/marker?position=" in out and "  🔗 OpenStreetMap: https://www.openstreetmap.org/" in out
    assert "*** Show this to your driver ***\n请送我到：\n越秀区六榕社区\n广州市越秀区" in out
    assert "yuè xiù qū liù róng shè qū" in out
    assert "[map-liurong.png, " in out  # the QR code, picked by its number, saved where --files says
    assert (tmp_path / "files" / "map-liurong.png").read_bytes().startswith(b"\x89PNG")
    chinese = run_console(tmp_path, "会场\n5\n", "--lang", "zh_Hans", "--at", "2025-06-05T10:00+08:00")
    assert chinese.returncode == 0, chinese.stderr
    out = plain(chinese.stdout)
    assert "*** 会场 ***" in out and "📍 越秀区六榕社区\n广州市越秀区" in out
    assert "  🔗 高德地图: https://uri.amap.com/marker?position=" in out and "  🔗 百度地图: https://api.map.baidu.com/" in out
    assert "请出示给司机" not in out
