"""The search index at any size: the same ranking and explanations however the hits are read."""

from __future__ import annotations

from bot.programme.agenda import Agenda
from bot.understanding.search import SearchIndex
from tests.conftest import PROGRAMME, shipped


def index() -> SearchIndex:
    return SearchIndex(Agenda(shipped(PROGRAMME)))


def test_hits_read_by_index_slice_or_iteration_are_the_same_and_explained() -> None:
    hits = index().search("city")
    assert len(hits) > 3
    listed = list(hits)
    assert [h.key for h in hits[1:3]] == [h.key for h in listed[1:3]]
    assert hits[-1].key == listed[-1].key and hits[0].key == listed[0].key
    scores = [h.score for h in listed]
    assert scores == sorted(scores, reverse=True)  # best first
    assert all(h.matches for h in listed)  # every hit says what matched, when it is read


def test_chinese_is_found_as_a_substring_not_as_scattered_characters() -> None:
    idx = index()
    numbers = {(d.kind, d.key): n for n, d in enumerate(idx.documents)}
    found = idx.search("越秀")
    assert found
    for hit in found:
        assert "越秀" in idx._chinese_of(numbers[hit.kind, hit.key])
    # both characters are in the programme, never side by side in this order: no hit
    assert "秀越" not in "\n".join(idx._chinese_of(n) for n in range(len(idx.documents)))
    assert len(idx.search("秀越")) == 0
    assert len(idx.search("越秀 Liurong")) >= 1  # a Chinese word and a spaced one together


QUERIES = ["city", "Guangzhou", "site visit", "越秀", "广州", "城市", "公共交通", "数字化转型", "lunch", "Metropolis workshop",
           "urban innovation", "越秀 Liurong", "花城", "创新 city", "workshop", "广州城市创新",
           "分论坛", "评估方法", "越秀区", "无线网络"]  # each in a title or a question and in a lighter field too


def ranking(idx: SearchIndex, query: str) -> list[tuple[str, str, float]]:
    return [(h.kind, h.key, h.score) for h in idx.search(query)]


def test_looking_in_every_text_at_once_ranks_as_looking_in_each_candidate(monkeypatch) -> None:
    """A common word is looked for in all titles and texts at once (str.split); a rare one document by document: the same hits."""
    from bot.understanding import search

    idx = index()
    one_by_one = {q: ranking(idx, q) for q in QUERIES}
    assert sum(bool(r) for r in one_by_one.values()) >= 12
    monkeypatch.setattr(search, "MANY_TITLED", 0)
    monkeypatch.setattr(search, "MANY_CANDIDATES", 0)
    at_once = {q: ranking(idx, q) for q in QUERIES}
    assert at_once == one_by_one


def test_postings_built_in_many_parts_find_what_one_part_finds(monkeypatch) -> None:
    """A congress's Chinese postings are built a few hundred thousand characters at a time: the same hits, in order."""
    from bot.understanding import search

    whole = index()
    assert len(whole.chinese.parts) == 1
    monkeypatch.setattr(search, "CHUNK_CHARACTERS", 200)
    parted = index()
    assert len(parted.chinese.parts) > 10
    for query in QUERIES:
        assert ranking(parted, query) == ranking(whole, query), query
    for ch in "广州越秀城市":
        assert [a.tolist() for a in parted._chinese_postings_of(ch)] == [a.tolist() for a in whole._chinese_postings_of(ch)]


def test_the_ranking_is_what_the_weights_say() -> None:
    """Each hit's score is its words' best fields' weights, plus the title bonuses: worked out the slow way here."""
    from bot.understanding.search import IN_TITLE, WHOLE_TITLE, SearchIndex as S
    from bot.understanding.text import normal, unspaced, words

    idx = index()
    for query in QUERIES:
        wanted = words(normal(query))
        spellings = {w: idx._spellings(w) for w in wanted if not unspaced(w)}
        expected = []
        for number, doc in enumerate(idx.documents):
            score, _matches = S._score(doc, wanted, spellings)
            if score is None:
                continue
            whole = normal(query)
            if all(
                any((w in f.chinese) if unspaced(w) else bool(spellings[w] & f.words) for f in doc.fields if f.name == "title")
                for w in wanted
            ) and any(whole in t for t in doc.titles):
                score += IN_TITLE
            if whole in doc.titles:
                score += WHOLE_TITLE
            expected.append((-score, int(idx.place[number]), doc.kind, doc.key))
        expected.sort()
        assert ranking(idx, query) == [(kind, key, -score) for score, _place, kind, key in expected], query


def test_chinese_pairs_do_not_straddle_two_fields() -> None:
    """The last character of a title and the first of a description are not a pair of either."""
    idx = index()
    for doc in idx.documents:
        texts = [f.chinese for f in doc.fields if f.chinese]
        if len(texts) >= 2 and texts[0] and texts[1]:
            pair = texts[0][-1] + texts[1][0]
            if not any(pair in t for t in texts) and not any(pair in f.chinese for d in idx.documents for f in d.fields):
                assert len(idx.search(pair)) == 0
                return
    raise AssertionError("no document with two Chinese fields")
