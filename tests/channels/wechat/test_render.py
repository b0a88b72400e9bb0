"""Replies as WeChat text: titles, numbered choices, venues, polls, media notes, parts within the limit."""

from __future__ import annotations

from bot.channels.wechat_render import FALLBACKS, MAX_TEXT_BYTES, RENDERERS, render_parts, render_text, split_text
from bot.conversation import (
    REPLY_TYPES,
    Choice,
    Choices,
    Document,
    Image,
    LinkButton,
    Links,
    Location,
    Poll,
    Text,
    Venue,
    WebAppButton,
)
from bot.geo import Datum, convert


def test_title_is_a_first_line_and_choices_are_numbered() -> None:
    text = render_text([Choices("Pick one:", (Choice("Alpha", "/a"), Choice("Beta", "/b")), title="Menu")])
    assert text.split("\n") == ["【Menu】", "Pick one:", "1. Alpha", "2. Beta", "Reply with the number of your choice."]


def test_venue_has_name_address_and_a_map_link_in_amaps_datum() -> None:
    venue = Venue("Liurong community", 23.131788, 113.2590543, address="Yuexiu District", directions="Metro line 1")
    text = render_text([venue])
    assert text.startswith("📍 Liurong community\nYuexiu District\nMetro line 1\nMap: https://uri.amap.com/marker?")
    lat, lon = convert(23.131788, 113.2590543, Datum.WGS84, Datum.GCJ02)  # Amap takes GCJ-02
    assert f"position={lon:.6f},{lat:.6f}" in text and "coordinate=gaode" in text
    assert "position=113.26438" in text  # hundreds of metres east of the WGS-84 point, as Amap draws it
    stored_in_gcj = render_text([Venue("Liurong", 23.1291146, 113.2643859, datum=Datum.GCJ02)])
    assert "position=113.264386,23.129115" in stored_in_gcj  # already GCJ-02: not shifted twice
    own = render_text([Venue("Hall", None, None, map_url="https://maps.example/hall")])
    assert own == "📍 Hall\nMap: https://maps.example/hall"


def test_a_venue_with_map_links_lists_each_link_on_its_own_line_instead_of_one_map_line() -> None:
    links = (LinkButton("Amap", "https://uri.amap.com/marker?position=1,2"), LinkButton("OpenStreetMap", "https://osm.example/?m=2,1"))
    venue = Venue("Liurong", 23.131788, 113.2590543, address="Yuexiu", directions="Metro line 1", map_url="https://x", links=links)
    assert render_text([venue]).split("\n") == [
        "📍 Liurong", "Yuexiu", "Metro line 1", "Amap: https://uri.amap.com/marker?position=1,2", "OpenStreetMap: https://osm.example/?m=2,1"]


def test_the_declared_fallbacks_numbered_polls_links_locations_and_media_notes() -> None:
    assert render_text([Poll("How was it?", ("Good", "Bad"), "p1")]) == "📊 How was it?\n1. Good\n2. Bad\nReply with the number of your choice."
    assert render_text([Poll("Which?", ("A", "B"), "p2", allows_multiple=True)]).endswith("Reply with the numbers of your choices, e.g. 1 3.")
    assert render_text([Image(b"\x89PNG", "map.png", caption="The site")]) == "[Picture: map.png]\nThe site"
    assert render_text([Document(b"a,b", "results.csv")]) == "[File: results.csv] (files cannot be sent in WeChat)"
    links = render_text([Links("Join online:", (LinkButton("Zoom", "https://zoom.example/j/1"), WebAppButton("Programme", "https://p.example")))])
    assert links == "Join online:\nZoom: https://zoom.example/j/1\nProgramme: https://p.example"
    pin = render_text([Location(23.131788, 113.2590543, "Liurong")])
    assert pin.startswith("📍 Liurong\nMap: https://uri.amap.com/marker?") and "coordinate=gaode" in pin


def test_every_reply_type_has_a_renderer_or_a_declared_fallback() -> None:
    assert set(REPLY_TYPES) <= set(RENDERERS) | set(FALLBACKS)


def test_several_replies_are_one_text_with_blank_lines_between() -> None:
    assert render_text([Text("one"), Text("two", title="T")]) == "one\n\n【T】\ntwo"


def test_long_text_is_split_on_line_boundaries_within_the_byte_limit() -> None:
    lines = [f"{i:04d} " + "会议" * 40 for i in range(100)]
    parts = render_parts([Text("\n".join(lines))])
    assert len(parts) > 1
    assert all(len(p.encode("utf-8")) <= MAX_TEXT_BYTES for p in parts)
    assert "\n".join(parts).split("\n") == lines


def test_a_single_overlong_line_is_cut_between_characters() -> None:
    line = "汉" * 1500  # 4500 bytes, no line break
    parts = split_text(line, MAX_TEXT_BYTES)
    assert "".join(parts) == line
    assert [len(p.encode("utf-8")) for p in parts] == [1998, 1998, 504]


def test_a_short_text_is_one_part_and_empty_replies_none() -> None:
    assert render_parts([Text("hello")]) == ["hello"]
    assert render_parts([]) == []
