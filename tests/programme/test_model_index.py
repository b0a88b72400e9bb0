"""Venues and streams by id on a frozen programme: looked up through an index that follows copies."""

from __future__ import annotations

from tests.conftest import PROGRAMME, shipped


def test_venue_and_stream_lookups_follow_a_copy_with_other_venues() -> None:
    programme = shipped(PROGRAMME)
    first = programme.venues[0]
    assert programme.venue(first.id) is first
    assert programme.venue("no-such-venue") is None and programme.venue(None) is None
    stream = programme.streams[0]
    assert programme.stream(stream.id) is stream
    renamed = first.model_copy(update={"id": "elsewhere"})
    copy = programme.model_copy(update={"venues": (renamed, *programme.venues[1:])})
    assert copy.venue(first.id) is None  # not the index of the programme it was copied from
    assert copy.venue("elsewhere") is renamed
    assert programme.venue(first.id) is first
    assert copy.model_dump()["venues"][0]["id"] == "elsewhere" and programme == shipped(PROGRAMME)
