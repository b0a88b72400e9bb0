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
    documents = {(d.kind, d.key): d for d in idx.documents}
    found = idx.search("越秀")
    assert found
    for hit in found:
        assert any("越秀" in text for _weight, text in documents[hit.kind, hit.key].chinese)
    # both characters are in the programme, never side by side in this order: no hit
    assert "秀越" not in "".join(text for d in idx.documents for _weight, text in d.chinese)
    assert len(idx.search("秀越")) == 0
    assert len(idx.search("越秀 Liurong")) >= 1  # a Chinese word and a spaced one together
