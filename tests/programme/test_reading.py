"""Reading a programme file: the quick reader and the round-trip reader agree; hostile files are refused, not obeyed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from bot.programme import ProgrammeError, load_programme, parse_programme
from bot.programme import loader
from tests.conftest import DATA, PROGRAMME, ROOT, SEMINAR

MINIMAL = (DATA / "minimal.yaml").read_text(encoding="utf-8")

#: 342 bytes that stand for 9^9 (387 million) strings
ALIAS_BOMB = "event: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
    for prev, name in zip("abcdefgh", "bcdefghi")
)


def generated(sessions: int) -> str:
    """A programme from the benchmarks' generator (bench/generate.py)."""
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.programme_yaml(sessions)


def carefully(text: str, path: str = "p.yaml"):
    """The programme as the round-trip reader alone reads it (the reader used before the quick one)."""
    tree = loader._careful_document(text, path)
    return loader.build_programme(loader._plain(tree), loader._Locator(tree, path))


def problems(text: str) -> list[str]:
    with pytest.raises(ProgrammeError) as info:
        parse_programme(text, "p.yaml")
    return [str(p) for p in info.value.problems]


def with_session(**fields: str) -> str:
    """MINIMAL with one more session whose fields are given as YAML source."""
    lines = "".join(f"    {key}: {value}\n" for key, value in fields.items())
    return MINIMAL + f"  - id: extra\n{lines}"


# -- the two readers agree ------------------------------------------------------------


@pytest.mark.parametrize("path", [PROGRAMME, SEMINAR, DATA / "minimal.yaml"], ids=lambda p: p.name)
def test_quick_and_round_trip_readers_give_the_same_programme(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert loader._quick_document(text) is not None, "the shipped files are read by the quick reader"
    assert parse_programme(text, str(path)) == carefully(text, str(path))


def test_a_generated_congress_reads_the_same_both_ways() -> None:
    text = generated(120)
    quick = parse_programme(text)
    assert len(quick.sessions) == 120
    assert quick == carefully(text)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # YAML 1.2, not 1.1: these are words, not booleans
        ("no", "no"), ("yes", "yes"), ("on", "on"), ("off", "off"), ("y", "y"),
        # times of day and numbers with a leading zero are not sexagesimal or octal
        ("12:30", "12:30"), ('"010"', "010"),
        # quoting keeps a date or a number as text
        ('"2025-06-03"', "2025-06-03"), ("'12'", "12"), ("'~'", "~"),
        # block scalars, folded alike (the model drops the space between Chinese characters when shown)
        (">-\n      Line one\n      line two", "Line one line two"),
        (">-\n      公共服务、\n      惠及", "公共服务、 惠及"),
        ("|\n      a\n       b\n", "a\n b"),
    ],
)
def test_a_text_field_reads_as_yaml_1_2_reads_it_with_either_reader(source: str, expected: str) -> None:
    text = with_session(title=source, kind="panel", start="2025-06-03T12:00", end="2025-06-03T13:00")
    quick = parse_programme(text).sessions[-1]
    assert quick.title == expected
    assert carefully(text).sessions[-1].title == expected


@pytest.mark.parametrize("source", ["2025-06-03", "12", "1.5", "true", "[a, b]"])
def test_an_unquoted_non_text_in_a_text_field_is_refused_by_both(source: str) -> None:
    text = with_session(title=source, kind="panel", start="2025-06-03T12:00", end="2025-06-03T13:00")
    if source == "2025-06-03":
        # the quick reader leaves dates as text, so a date where a text belongs is taken as that text
        assert parse_programme(text).sessions[-1].title == "2025-06-03"
        return
    quick = problems(text)
    assert quick and all(p.startswith("p.yaml:30:12: session 'extra' title") for p in quick)
    with pytest.raises(ProgrammeError) as careful:
        carefully(text)
    assert [str(p) for p in careful.value.problems] == quick


@pytest.mark.parametrize(
    ("start", "hour_utc"),
    [
        ("2025-06-03T12:00", 4),
        ("2025-06-03 12:00:00", 4),
        ("2025-06-03T12:00:00+08:00", 4),
        ("2025-06-03 12:00:00 +08:00", 4),  # YAML allows a space before the offset; ISO 8601 does not
        ("2025-06-03T9:00:00", 1),  # and a one-digit hour
        ("2025-06-03t12:00:00Z", 12),
        ('"2025-06-03 12:00:00 +08:00"', 4),  # quoted, it is read the same
    ],
)
def test_yaml_timestamps_are_read_alike_by_both_readers(start: str, hour_utc: int) -> None:
    text = with_session(title="Extra", kind="panel", start=start, end="2025-06-03T23:00")
    for programme in (parse_programme(text), carefully(text)):
        extra = programme.sessions[-1]
        assert extra.start.utcoffset() is not None
        assert extra.start.astimezone(loader.dt.timezone.utc).hour == hour_utc


def test_numbers_and_switches_read_alike() -> None:
    text = MINIMAL.replace("    number: 1\n", "    number: 0o1\n").replace(
        "    venue: hall\n  - id: talk", "    venue: hall\n    tbc: yes\n  - id: talk"
    )
    for programme in (parse_programme(text), carefully(text)):
        assert programme.streams[0].number == 1
        assert programme.sessions[0].tbc is True


def test_anchors_and_aliases_within_reason_are_read() -> None:
    text = MINIMAL.replace(
        "    venue: hall\n  - id: talk",
        "    venue: hall\n    speakers: &board\n      - name: Ana García\n      - name: Li Chen\n  - id: talk",
    ) + "    speakers: *board\n"
    programme = parse_programme(text)
    assert [s.name for s in programme.sessions[1].speakers] == ["Ana García", "Li Chen"]
    assert programme == carefully(text)


def test_a_merge_key_is_read_by_the_round_trip_reader() -> None:
    text = MINIMAL.replace("  - id: opening\n", "  - &base\n    id: opening\n").replace(
        "  - id: talk\n    title: A talk\n", "  - <<: *base\n    id: talk\n    title: A talk\n"
    )
    assert loader._quick_document(text) is None
    talk = parse_programme(text).sessions[1]
    assert (talk.id, talk.title, talk.stream) == ("talk", "A talk", "s1")


def test_a_duplicate_key_is_a_yaml_problem_with_its_place() -> None:
    text = MINIMAL.replace("    title: A talk\n", "    title: A talk\n    title: Another\n")
    (problem,) = problems(text)
    assert problem.startswith("p.yaml:") and "duplicate key" in problem


def test_two_documents_in_one_file_are_refused() -> None:
    (problem,) = problems(MINIMAL + "---\nevent: {}\n")
    assert "YAML syntax error" in problem and "another document" in problem


# -- problems found in a quickly read file are placed ---------------------------------


def test_a_problem_in_a_quickly_read_file_has_its_line_and_column() -> None:
    text = MINIMAL.replace("    venue: hall\n  - id: talk", "    venue: atrium\n  - id: talk")
    assert loader._quick_document(text) is not None
    assert problems(text) == ["p.yaml:21:12: session 'opening' names unknown venue 'atrium'"]


def test_sessions_checked_a_chunk_at_a_time_give_the_problems_of_one_check(monkeypatch: pytest.MonkeyPatch) -> None:
    text = generated(12)
    text = text.replace("    kind: ", "    knd: ", 1)  # the first session
    text = text.replace("    venue: room1\n", "    venu: room1\n")  # sessions 1, 4, 7, 10
    whole = problems(text)
    monkeypatch.setattr(loader, "CHUNK", 2)
    assert problems(text) == whole
    first = "s00000"  # the generator's first session: sessions are named by their id in messages
    assert any(f"unknown field 'knd' in session '{first}'" in p for p in whole), whole
    assert any(f"missing required field 'kind' in session '{first}'" in p for p in whole), whole
    assert sum("unknown field 'venu'" in p for p in whole) == 4


# -- hostile files ----------------------------------------------------------------------


def test_an_alias_bomb_is_refused_at_its_anchor() -> None:
    assert len(ALIAS_BOMB.encode()) < 400
    (problem,) = problems(ALIAS_BOMB)
    assert problem.startswith("p.yaml:")
    assert "aliases of the anchor here repeat more than 100,000 values" in problem


def test_an_alias_bomb_in_a_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(ALIAS_BOMB, encoding="utf-8")
    with pytest.raises(ProgrammeError) as info:
        load_programme(path)
    assert "repeat more than" in str(info.value)


@pytest.mark.parametrize(
    "nesting",
    [
        "event: " + "[" * 1000 + "]" * 1000 + "\n",
        "event: " + "{a: " * 1000 + "b" + "}" * 1000 + "\n",
        "".join(" " * i + "k:\n" for i in range(1000)),
        "event:\n" + "".join("  " * i + "- \n" for i in range(1, 1000)),
        "event: " + "- " * 1000 + "x\n",
    ],
    ids=["flow lists", "flow maps", "block maps", "block lists", "compact lists"],
)
def test_a_thousand_levels_of_nesting_are_refused_with_a_reason(nesting: str) -> None:
    found = problems(nesting)
    assert any(f"nested more than {loader.MAX_DEPTH} levels deep" in p for p in found) or any(
        "YAML syntax error" in p for p in found
    ), found
    assert all(p.startswith("p.yaml:") for p in found)


def test_deep_nesting_inside_a_valid_structure_is_named() -> None:
    deep = "{a: " * 40 + "b" + "}" * 40
    (problem,) = problems(MINIMAL.replace("title: Opening", f"title: {deep}"))
    assert problem.startswith("p.yaml:17:") and f"nested more than {loader.MAX_DEPTH} levels deep" in problem


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "MAX_BYTES", 2 * 2**20)
    path = tmp_path / "huge.yaml"
    path.write_text(MINIMAL + "# " + "x" * (3 * 2**20) + "\n", encoding="utf-8")
    with pytest.raises(ProgrammeError) as info:
        load_programme(path)
    (problem,) = info.value.problems
    assert str(problem) == (
        f"{path}:1:1: the file is 3.0 MB; a programme file may be at most 2 MB "
        "(shorten the descriptions, or split the event into several programmes)"
    )
    assert "at most 2 MB" in problems(path.read_text(encoding="utf-8"))[0]


def test_the_size_limit_leaves_room_for_a_congress() -> None:
    # 16,000 sessions with two-language descriptions take about 21 MB
    assert loader.MAX_BYTES >= 30 * 2**20


def test_the_c_composer_places_things_where_the_round_trip_loader_does() -> None:
    text = generated(20)
    tree = loader._careful_document(text, "p.yaml")
    careful = loader._Locator(tree, "p.yaml")
    later = loader._LaterLocator(text, "p.yaml")
    assert loader.CParser is not None, "ruamel.yaml.clib is a dependency"
    assert isinstance(later.doc, loader.MappingNode)
    locs = [(), ("event",), ("event", "name", "en"), ("streams", 3, "title"), ("venues", 2), ("sessions", 0),
            ("sessions", 7, "speakers", 1, "role", "zh_Hans"), ("sessions", 0, "site_visit", "departure"),
            ("sessions", 19, "nope"), ("sessions", 99), ("days", 4, "date")]
    for loc in locs:
        for key in (False, True):
            assert later.position(loc, key=key) == careful.position(loc, key=key), (loc, key)


def test_problems_in_a_large_file_are_placed_without_the_round_trip_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(text: str, path: str):
        raise AssertionError("the slow reader was used")

    text = generated(60).replace("    venue: room1\n", "    venue: room99\n")
    monkeypatch.setattr(loader, "_careful_document", refuse)
    found = problems(text)
    assert found and all("names unknown venue 'room99'" in p for p in found)
    assert all(p.split(":")[2] == "12" for p in found)
