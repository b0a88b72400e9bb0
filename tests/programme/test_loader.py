"""The programme loader: every problem reported with file, line, column and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.programme import ProgrammeError, load_programme, parse_programme
from tests.conftest import DATA, PROGRAMME, SEMINAR

MINIMAL = (DATA / "minimal.yaml").read_text(encoding="utf-8")


def problems(text: str) -> list[str]:
    with pytest.raises(ProgrammeError) as info:
        parse_programme(text, "p.yaml")
    return [str(p) for p in info.value.problems]


def test_shipped_programmes_are_valid() -> None:
    wtl = load_programme(PROGRAMME)
    assert wtl.event.timezone == "Asia/Shanghai"
    assert {s.number for s in wtl.streams} == {1, 2, 3}
    seminar = load_programme(SEMINAR)
    assert seminar.event.online and len(seminar.sessions) == 4


def test_naive_times_are_read_in_the_event_zone() -> None:
    programme = parse_programme(MINIMAL)
    opening = programme.sessions[0]
    assert opening.start.utcoffset().total_seconds() == 8 * 3600


def test_yaml_syntax_error_has_line_and_column() -> None:
    broken = MINIMAL.replace("    title: Opening", "    title: [Opening")
    (problem,) = problems(broken)
    assert problem.startswith("p.yaml:")
    assert "YAML syntax error" in problem
    line = int(problem.split(":")[1])
    assert line >= 17


def test_unknown_field_points_at_the_key() -> None:
    text = MINIMAL.replace("    venue: hall\n  - id: talk", "    vneue: hall\n  - id: talk")
    assert problems(text) == ["p.yaml:21:5: unknown field 'vneue' in session 'opening'"]


def test_missing_required_field_points_at_the_item() -> None:
    text = MINIMAL.replace("    kind: plenary\n", "")
    assert problems(text) == ["p.yaml:16:5: missing required field 'kind' in session 'opening'"]


def test_a_session_without_an_id_is_named_by_its_place_in_the_list() -> None:
    text = MINIMAL.replace("  - id: opening\n", "  - ident: opening\n", 1)
    assert "missing required field 'id' in sessions[0]" in " ".join(problems(text))


def test_end_before_start() -> None:
    text = MINIMAL.replace("end: 2025-06-03T10:00", "end: 2025-06-03T08:00")
    assert problems(text) == [
        "p.yaml:20:10: session 'opening' ends (2025-06-03 08:00) before or when it starts (2025-06-03 09:00)"
    ]


def test_session_outside_event_dates() -> None:
    text = MINIMAL.replace("start: 2025-06-03T10:30", "start: 2025-06-09T10:30").replace(
        "end: 2025-06-03T11:30", "end: 2025-06-09T11:30"
    )
    found = problems(text)
    assert "p.yaml:26:12: session 'talk' starts on 2025-06-09, outside the event's dates (2025-06-03 to 2025-06-04)" in found
    assert any(p.startswith("p.yaml:27:10:") and "ends on 2025-06-09" in p for p in found)


def test_unknown_venue_reference_has_line_and_column() -> None:
    text = MINIMAL.replace("    venue: hall\n  - id: talk", "    venue: atrium\n  - id: talk")
    assert problems(text) == ["p.yaml:21:12: session 'opening' names unknown venue 'atrium'"]


def test_unknown_stream_reference() -> None:
    text = MINIMAL.replace("    stream: s1", "    stream: s9")
    assert problems(text) == ["p.yaml:25:13: session 'talk' names unknown stream 's9'"]


def test_duplicate_ids() -> None:
    text = MINIMAL.replace("  - id: talk", "  - id: opening")
    assert problems(text) == ["p.yaml:22:9: duplicate session id 'opening'"]


def test_unknown_time_zone() -> None:
    text = MINIMAL.replace("Asia/Shanghai", "Asia/Guangzhou")
    (problem,) = problems(text)
    assert problem.startswith("p.yaml:5:13: event.timezone: unknown time zone 'Asia/Guangzhou'")


def test_text_must_be_a_string_or_a_language_map() -> None:
    text = MINIMAL.replace("title: Opening", "title: [a, b]")
    assert problems(text) == ["p.yaml:17:12: session 'opening' title: expected a text, or a map of language to text"]


def test_all_problems_are_reported_at_once() -> None:
    text = MINIMAL.replace("venue: hall\n  - id: talk", "venue: atrium\n  - id: talk").replace("stream: s1", "stream: s9")
    assert len(problems(text)) == 2


def test_site_visit_meeting_point_must_be_a_venue() -> None:
    text = MINIMAL + (
        "  - id: visit\n    title: Visit\n    kind: site_visit\n    start: 2025-06-04T10:00\n"
        "    end: 2025-06-04T12:00\n    site_visit:\n      meeting_point: lobby\n      departure: 2025-06-04T09:30\n"
    )
    assert problems(text) == ["p.yaml:35:22: site visit 'visit' meets at unknown venue 'lobby'"]


def test_validate_command_prints_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(PROGRAMME)]) == 0
    out = capsys.readouterr().out
    assert "OK" in out and "sessions" in out and "venues" in out


def test_validate_command_reports_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.replace("    venue: hall\n  - id: talk", "    venue: atrium\n  - id: talk"), encoding="utf-8")
    assert main(["validate", str(bad)]) == 1
    assert capsys.readouterr().out.strip() == f"{bad}:21:12: session 'opening' names unknown venue 'atrium'"


def test_missing_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    with pytest.raises(ProgrammeError) as info:
        load_programme(tmp_path / "nope.yaml")
    assert "file not found" in str(info.value)


def test_service_refuses_to_start_on_invalid_programme(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("event: [", encoding="utf-8")
    assert main(["console", "--programme", str(bad), "--db", str(tmp_path / "x.db")]) == 1
    assert "YAML syntax error" in capsys.readouterr().err
    assert not (tmp_path / "x.db").exists()


async def test_reload_keeps_the_good_programme_when_the_new_one_is_broken(core, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.replace("stream: s1", "stream: s9"), encoding="utf-8")
    before = core.programmes.programme
    with pytest.raises(ProgrammeError):
        await core.programmes.reload(bad)
    assert core.programmes.programme is before
    assert core.programmes.path == PROGRAMME


async def test_an_edited_programme_file_is_picked_up_and_a_broken_edit_is_not(core, tmp_path: Path) -> None:
    import os

    from bot.programme import ProgrammeHolder

    path = tmp_path / "live.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    holder = ProgrammeHolder.from_file(path)
    assert not await holder.reload_if_changed()
    path.write_text(MINIMAL.replace("title: A talk", "title: A moved talk"), encoding="utf-8")
    os.utime(path, ns=(1, 10**18))
    assert await holder.reload_if_changed()
    assert holder.agenda.session("talk").title == "A moved talk"
    path.write_text(MINIMAL.replace("stream: s1", "stream: s9"), encoding="utf-8")
    os.utime(path, ns=(1, 2 * 10**18))
    assert not await holder.reload_if_changed()
    assert holder.agenda.session("talk").title == "A moved talk"
