"""Agenda lookups against the shipped programmes, on a fixed clock."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.programme import Agenda, Phase
from bot.programme.agenda import fold, relative_day
from tests.conftest import PROGRAMME, SEMINAR, at, shipped


@pytest.fixture(scope="module")
def wtl() -> Agenda:
    return Agenda(shipped(PROGRAMME))


@pytest.fixture(scope="module")
def seminar() -> Agenda:
    return Agenda(shipped(SEMINAR))


def test_fifth_of_june_has_only_streams_two_and_three(wtl: Agenda) -> None:
    sessions = wtl.on(dt.date(2025, 6, 5))
    assert sessions
    assert {s.stream for s in sessions} == {"s2", "s3"}
    assert [s.start for s in sessions] == sorted(s.start for s in sessions)


def test_in_progress_and_upcoming_follow_the_clock(wtl: Agenda) -> None:
    now = at("2025-06-05T10:00")
    running = wtl.in_progress(now)
    assert running and all(s.start <= now < s.end for s in running)
    upcoming = wtl.upcoming(now)
    assert upcoming and all(s.start > now for s in upcoming)
    assert len({s.start for s in upcoming}) == 1
    later = [s for s in wtl.sessions if s.start > now]
    assert upcoming[0].start == min(s.start for s in later)


def test_nothing_in_progress_at_night(wtl: Agenda) -> None:
    assert wtl.in_progress(at("2025-06-05T03:00")) == []


def test_next_on_the_seminar_is_seminar_two_at_half_past_seven(seminar: Agenda) -> None:
    (upcoming,) = seminar.upcoming(at("2023-11-07T19:00"))
    assert upcoming.id == "seminar-2"
    assert upcoming.start == at("2023-11-07T19:30")


def test_phase_before_during_after(wtl: Agenda) -> None:
    assert wtl.phase(at("2025-06-02T23:59")) is Phase.BEFORE
    assert wtl.phase(at("2025-06-03T00:00")) is Phase.DURING
    assert wtl.phase(at("2025-06-08T00:00")) is Phase.AFTER


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2025-06-05", dt.date(2025, 6, 5)),
        ("day 2", dt.date(2025, 6, 4)),
        ("Day 3", dt.date(2025, 6, 5)),
        ("3", dt.date(2025, 6, 5)),
        ("第4天", dt.date(2025, 6, 6)),
        ("thursday", dt.date(2025, 6, 5)),
        ("Thu", dt.date(2025, 6, 5)),
        ("周五", dt.date(2025, 6, 6)),
        ("星期三", dt.date(2025, 6, 4)),
        ("5 June", dt.date(2025, 6, 5)),
        ("June 6th", dt.date(2025, 6, 6)),
        ("6月5日", dt.date(2025, 6, 5)),
        ("tomorrow", dt.date(2025, 6, 5)),
        ("明天", dt.date(2025, 6, 5)),
        ("today", dt.date(2025, 6, 4)),
        ("d2", dt.date(2025, 6, 4)),
        ("第2", dt.date(2025, 6, 4)),
        ("2天", dt.date(2025, 6, 4)),
        ("第 3 天", dt.date(2025, 6, 5)),
        ("5 of June", dt.date(2025, 6, 5)),
        ("Jun 5th", dt.date(2025, 6, 5)),
        ("6月6号", dt.date(2025, 6, 6)),
        ("6 月 7", dt.date(2025, 6, 7)),
        ("星期五", dt.date(2025, 6, 6)),
        ("后天", dt.date(2025, 6, 6)),
        ("明日", dt.date(2025, 6, 5)),
        ("Yesterday.", dt.date(2025, 6, 3)),
    ],
)
def test_resolve_day(wtl: Agenda, text: str, expected: dt.date) -> None:
    assert wtl.resolve_day(text, dt.date(2025, 6, 4), ("en", "zh_Hans")) == expected


@pytest.mark.parametrize("text", ["day 9", "0", "monday", "banana", "", "第9天", "周日", "星期天", "13月5日", "31 June"])
def test_resolve_day_rejects_what_is_not_an_event_day(wtl: Agenda, text: str) -> None:
    assert wtl.resolve_day(text, dt.date(2025, 6, 4), ("en", "zh_Hans")) is None


@pytest.mark.parametrize("text, n", [
    ("first day", 1), ("opening day", 1), ("second day", 2), ("last day", -1), ("penultimate day", -2),
    ("最后一天", -1), ("首日", 1), ("最後一天", -1), ("dernier jour", -1), ("último día", -1), ("primeiro dia", 1),
    ("последний день", -1), ("마지막 날", -1), ("اليوم الأخير", -1),
])
def test_days_counted_within_the_event_in_every_language(wtl: Agenda, text: str, n: int) -> None:
    """"The last day" is the event's, whatever today is: counted from its first day, or back from its last."""
    dates = wtl.dates()
    for today in (dates[0] - dt.timedelta(days=30), dates[1], dates[-1]):
        assert wtl.resolve_day(text, today, ("en", "zh_Hans")) == dates[n - 1 if n > 0 else n]


def test_a_day_counted_past_the_event_is_no_day(wtl: Agenda) -> None:
    dates = wtl.dates()
    assert wtl.day_of_the_event(len(dates)) == dates[-1] and wtl.day_of_the_event(-len(dates)) == dates[0]
    assert wtl.day_of_the_event(len(dates) + 1) is None and wtl.day_of_the_event(-len(dates) - 1) is None
    assert wtl.day_of_the_event(0) is None


def test_relative_days_in_either_language() -> None:
    assert relative_day("Tomorrow") == relative_day("明天") == 1
    assert relative_day("昨天") == -1
    assert relative_day("day 2") is None


def test_streams_by_number_id_and_title(wtl: Agenda) -> None:
    assert wtl.find_stream("2").number == 2
    assert wtl.find_stream("s3").number == 3
    assert wtl.find_stream("resilient").number == 1
    assert wtl.find_stream("9") is None
    assert all(s.stream == "s1" for s in wtl.stream_sessions("s1"))


def test_search_is_case_and_accent_insensitive(wtl: Agenda) -> None:
    plain = wtl.search("bogota")
    assert plain and plain == wtl.search("BOGOTÁ") == wtl.search("Bogotá")


def test_search_requires_every_word(wtl: Agenda) -> None:
    assert wtl.search("liurong visit")
    assert wtl.search("liurong zzzz") == []


def test_search_matches_chinese_substrings(wtl: Agenda) -> None:
    assert any(s.id == "s2-liurong" for s in wtl.search("六榕"))


def test_search_covers_speakers_and_cities(wtl: Agenda, seminar: Agenda) -> None:
    assert any(s.id == "opening" for s in wtl.search("vaquer"))
    assert [s.id for s in seminar.search("kampala")] == ["seminar-3"]
    assert [s.id for s in seminar.search("pit-emptying")] == ["seminar-3"]


def test_session_lookup_ignores_case(wtl: Agenda) -> None:
    assert wtl.session("OPENING").id == "opening"
    assert wtl.session("nope") is None


def test_fold() -> None:
    assert fold("São Paulo") == "sao paulo"
    assert fold("Türkiye") == "turkiye"
