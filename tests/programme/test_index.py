"""Indexed agenda queries give exactly what a scan of every session gives."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from bot.programme import Agenda, parse_programme
from bot.programme.agenda import fold
from bot.programme.index import TextIndex, runs
from tests.conftest import PROGRAMME, SEMINAR, shipped
from tests.programme.test_reading import generated


@pytest.fixture(scope="module")
def congress() -> Agenda:
    return Agenda(parse_programme(generated(400)))


def scanned(agenda: Agenda, query: str) -> list:
    """Search as it was before the index: every session's text, every word."""
    words = [fold(w) for w in query.split() if w.strip()]
    return [s for s, hay in agenda._haystacks if words and all(w in hay for w in words)]


QUERIES = [
    "Bogotá", "bogota", "BOGOTÁ", "metro", "Metropolis", "a", "e", "p2", "s2-liurong", "liurong", "Guangzhou award",
    "digital twins", "twins digital", "heat", "cycling", "2025", "(12)", "-", "—", "xyzzy", "Jordi Vaquer", "mayor",
    "广州", "广", "州", "城市", "数字孪生", "六榕社区", "越秀", "实践", "讨论以一部短片开场", "不存在的词", "基多：空气",
    "São", "Medellín", "medellin", "montreal", "room 3", "congress centre", "空气 quality", "ⅱ", "ﬁ",
]


@pytest.mark.parametrize("query", QUERIES)
def test_search_through_the_index_finds_what_a_scan_finds(congress: Agenda, query: str) -> None:
    assert congress.search(query) == scanned(congress, query)


@pytest.mark.parametrize("path", [PROGRAMME, SEMINAR], ids=lambda p: p.name)
def test_search_of_the_shipped_programmes_is_unchanged(path) -> None:
    agenda = Agenda(shipped(path))
    for query in QUERIES:
        assert agenda.search(query) == scanned(agenda, query), query


def test_random_fragments_of_session_texts_find_what_a_scan_finds(congress: Agenda) -> None:
    rng = random.Random(7)
    for _ in range(300):
        _s, hay = rng.choice(congress._haystacks)
        start = rng.randrange(len(hay))
        fragment = hay[start : start + rng.randint(1, 12)].strip()
        if fragment:
            assert congress.search(fragment) == scanned(congress, fragment), fragment


def test_candidates_are_a_superset_and_narrow_the_search(congress: Agenda) -> None:
    index = congress.index
    assert index.candidates([]) is None
    assert index.candidates(["—"]) is None  # punctuation alone narrows nothing: every session is checked
    assert index.candidates(["xyzzy"]) == []
    quito = index.candidates([fold("Quito")])
    assert quito is not None and 0 < len(quito) < len(congress.sessions) / 4
    assert set(quito) >= {i for i, (_s, hay) in enumerate(congress._haystacks) if "quito" in hay}


def test_one_and_two_character_chinese_queries_use_the_index() -> None:
    index = TextIndex(["广州城市创新奖", "深圳", "城市更新 urban renewal"])
    assert index.candidates(["城"]) == [0, 2]
    assert index.candidates(["城市"]) == [0, 2]
    assert index.candidates(["州城"]) == [0]
    assert index.candidates(["市更"]) == [2]
    assert index.candidates(["ban"]) == [2]  # part of a word
    assert index.candidates(["城市", "renew"]) == [2]


def test_text_is_cut_into_word_and_cjk_runs() -> None:
    assert runs("s2-liurong 六榕社区, 2025年6月") == ["s2", "liurong", "六榕社区", "2025", "年", "6", "月"]


def test_search_results_are_remembered_for_the_version(congress: Agenda) -> None:
    first = congress.search("quito")
    assert congress.search("  QUITO ") == first
    assert congress._found[("quito",)] == tuple(first)


def test_a_new_version_has_its_own_memory(congress: Agenda) -> None:
    congress.search("quito")
    other = Agenda(congress.programme)
    assert other._found == {}


def brute_now(agenda: Agenda, now: dt.datetime) -> list:
    return [s for s in agenda.sessions if s.start <= now < s.end]


def brute_next(agenda: Agenda, now: dt.datetime) -> list:
    later = [s for s in agenda.sessions if s.start > now]
    return [s for s in later if s.start == later[0].start] if later else []


def test_now_and_next_by_binary_search_match_a_scan(congress: Agenda) -> None:
    start = dt.datetime(2025, 6, 2, 20, tzinfo=dt.timezone.utc)
    for minutes in range(0, 6 * 24 * 60, 7):
        now = start + dt.timedelta(minutes=minutes)
        assert congress.in_progress(now) == brute_now(congress, now)
        assert congress.upcoming(now) == brute_next(congress, now)


def test_long_sessions_are_in_progress_all_along() -> None:
    agenda = Agenda(shipped(PROGRAMME))  # registration runs for six and a half hours
    long = [s for s in agenda.sessions if s.end - s.start > dt.timedelta(hours=4)]
    assert long, "the shipped programme has a long session"
    for session in long:
        for fraction in (0.01, 0.5, 0.99):
            now = session.start + (session.end - session.start) * fraction
            assert session in agenda.in_progress(now)
            assert agenda.in_progress(now) == brute_now(agenda, now)


@pytest.mark.parametrize("text", ["Bogotá", "BOGOTA", "Straße", "ＡＢＣ（１２）", "ﬁ", "Ǆ", "서울", "a\u0301\u0323", "İstanbul", "ΣΑΣ", "plain ascii"])
def test_folding_texts_one_by_one_is_folding_them_joined(text: str) -> None:
    other = "Metropolis: Café"
    assert fold(text + " \n " + other) == fold(text) + " \n " + fold(other)


def test_the_haystacks_are_the_folded_texts_of_each_session() -> None:
    agenda = Agenda(shipped(PROGRAMME))
    for session, hay in agenda._haystacks:
        assert hay == fold(" \n ".join(agenda._search_texts(session)))


def test_single_runs_need_no_checking_and_other_words_do(congress: Agenda) -> None:
    index = congress.index
    assert index.exact(["quito"]) and index.exact(["广州"]) and index.exact(["广"]) and index.exact(["s2", "2025"])
    assert not index.exact(["数字孪生"])  # its bigrams may sit in different places
    assert not index.exact(["s2-liurong"]) and not index.exact(["(12)"])


def test_a_days_outline_is_what_a_scan_of_the_day_finds(congress: Agenda) -> None:
    from collections import Counter

    for date in congress.dates():
        day = congress.on(date)
        outline = congress.outline(date)
        hours: dict[int, list] = {}
        for s in day:
            hours.setdefault(s.start.astimezone(congress.zone).hour, []).append(s)
        assert {h: list(v) for h, v in outline.by_hour.items()} == hours
        assert list(outline.by_hour) == sorted(hours)
        assert outline.venues == Counter(s.venue for s in day if s.venue)
        assert outline.streams == Counter(s.stream for s in day if s.stream)
        assert congress.outline(date) is outline  # worked out once per version


async def test_a_big_days_overview_is_counted_once_per_version(tmp_path, monkeypatch) -> None:
    """The whole day reaches the listing as the agenda's own tuple, so its counts come from the outline."""
    from bot.programme.agenda import Agenda as AgendaClass
    from tests.conftest import Chat, at, make_core

    path = tmp_path / "congress.yaml"
    path.write_text(generated(400), encoding="utf-8")
    core = await make_core(tmp_path, at("2025-06-05T10:00"), programme=path)
    try:
        agenda = core.programmes.agenda
        date = max(agenda.dates(), key=lambda d: len(agenda.on(d)))
        calls: list[dt.date] = []
        outline = AgendaClass.outline

        def counting(self, day):
            calls.append(day)
            return outline(self, day)

        monkeypatch.setattr(AgendaClass, "outline", counting)
        await Chat(core).say(f"/day {date.isoformat()}")
        assert calls == [date]
    finally:
        await core.close()
