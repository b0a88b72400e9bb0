"""Replies as WeChat text: titles, numbered choices, venues, polls, media notes, parts within the limit."""

from __future__ import annotations

from bot.channels.wechat_render import MAX_TEXT_BYTES, render_parts, render_text, split_text
from bot.conversation import Choice, Choices, File, Image, Poll, Text, Venue


def test_title_is_a_first_line_and_choices_are_numbered() -> None:
    text = render_text([Choices("Pick one:", (Choice("Alpha", "/a"), Choice("Beta", "/b")), title="Menu")])
    assert text.split("\n") == ["【Menu】", "Pick one:", "1. Alpha", "2. Beta", "Reply with the number of your choice."]


def test_venue_has_name_address_and_a_map_link() -> None:
    venue = Venue("Liurong community", 23.1291, 113.2644, address="Yuexiu District", directions="Metro line 1")
    text = render_text([venue])
    assert text.startswith("📍 Liurong community\nYuexiu District\nMetro line 1\nMap: https://uri.amap.com/marker?")
    assert "position=113.264400%2C23.129100" in text and "coordinate=wgs84" in text
    own = render_text([Venue("Hall", None, None, map_url="https://maps.example/hall")])
    assert own == "📍 Hall\nMap: https://maps.example/hall"


def test_poll_options_are_numbered_and_media_become_a_short_note() -> None:
    assert render_text([Poll("How was it?", ("Good", "Bad"), "p1")]) == "📊 How was it?\n1. Good\n2. Bad"
    assert render_text([Image(b"\x89PNG", "map.png", caption="The site")]) == "[Picture: map.png]\nThe site"
    assert render_text([File(b"a,b", "results.csv")]) == "[File: results.csv]"


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
