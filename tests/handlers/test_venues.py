"""Venues: the cards in English and Chinese, map links in each service's datum, the QR code, the nearest venues, /where."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import png
import pytest
import qrcode

from bot import i18n
from bot.app import Core
from bot.conversation import Choices, Image, Location, Request, Text, UserRef
from bot.conversation import Venue as VenueReply
from bot.geo import Datum, convert, distance_m, walking_minutes
from bot.i18n import Localizer
from bot.understanding import intents
from handlers.venues import EARLY, QR_BORDER, QR_BOX, TAXI_DETOUR, TAXI_KMH, TAXI_WAIT, distance_text, reading
from tests.conftest import DATA, Chat, at, make_core
from tests.formats import day, time
from tests.notify.helpers import edited_programme, plain

# the shipped Liurong venue (stored in WGS-84) and the care centre near it
LIURONG = (23.1288, 113.2618)
CARE_CENTRE = (23.1302, 113.2630)
PLENARY_HALL = (23.1372, 113.3225)


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def point(text: str, *, lon_first: bool = False) -> tuple[float, float]:
    a, b = (float(x) for x in text.split(","))
    return (b, a) if lon_first else (a, b)


def north_of(where: tuple[float, float], metres: float) -> tuple[float, float]:
    """A point ``metres`` due north (a degree of latitude is about 111.2 km)."""
    return where[0] + metres / 111_195, where[1]


async def share(core: Core, chat: Chat, latitude: float, longitude: float, datum: Datum = Datum.WGS84) -> str:
    chat.replies = await core.handle(Request(user=chat.ref, location=Location(latitude, longitude, None, datum), language_hint=chat.language))
    from bot.channels.console import render

    return plain(render(chat.replies))


def en(fn, *args: object) -> str:
    with i18n.use(Localizer("en")):
        return plain(fn(*args))


# -- the list and the card ------------------------------------------------------------------


async def test_venues_lists_every_venue_in_programme_order_saying_which_are_to_be_confirmed(chat: Chat) -> None:
    out = await chat.say("/venues")
    (listing,) = chat.replies
    assert isinstance(listing, Choices) and listing.title == "Venues"
    assert [c.payload for c in listing.options] == [f"/venue {v.id}" for v in chat.core.programmes.programme.venues]
    assert "5. Liurong community, Yuexiu District\n" in out
    assert "1. Delegates' hotel, Tianhe District (registration desk in the lobby) (to be confirmed)" in out
    assert await chat.say("venues") == out and await chat.say("places") == out


async def test_an_english_card_is_a_pin_with_directions_and_map_links_then_a_block_for_the_driver(chat: Chat) -> None:
    await chat.say("/venue liurong")
    pin, driver, more = chat.replies
    assert isinstance(pin, VenueReply) and isinstance(driver, Text) and isinstance(more, Choices)
    assert (pin.name, pin.address) == ("Liurong community, Yuexiu District", "Yuexiu District, Guangzhou")
    assert (pin.latitude, pin.longitude, pin.datum) == (*LIURONG, Datum.WGS84)  # as stored: each channel converts
    assert pin.directions is not None
    assert "🚇 Metro Line 1, Ximenkou station (to be confirmed)" in pin.directions
    assert "🚇 Metro Lines 1 and 2, Gongyuanqian station (to be confirmed)" in pin.directions
    assert "♿ Access: The visit is a walk through a renovated historical neighbourhood" in pin.directions
    assert "The map pin marks the area, not the exact entrance (to be confirmed)." in pin.directions
    assert [b.label for b in pin.links] == ["Amap", "Baidu Maps", "Apple Maps", "Google Maps", "OpenStreetMap"]
    assert pin.map_url == pin.links[0].url  # the card's one link (for the QR code): Amap, in China
    # the driver's block: the name and address in Chinese, alone, with pinyin to say them
    assert driver.title == "Show this to your driver"
    assert driver.body.split("\n") == [
        "请送我到：", "越秀区六榕社区", "广州市越秀区", "", "To say it:",
        "yuè xiù qū liù róng shè qū", "guǎng zhōu shì yuè xiù qū",
    ]
    assert [(c.label, c.payload) for c in more.options] == [("QR code of the map", "/venueqr liurong"), ("All venues", "/venues")]


async def test_each_map_link_of_a_card_gets_the_venue_in_the_datum_its_service_reads(chat: Chat) -> None:
    await chat.say("/venue liurong")
    links = {b.label: b.url for b in chat.replies[0].links}  # type: ignore[union-attr]
    gcj, bd = convert(*LIURONG, Datum.WGS84, Datum.GCJ02), convert(*LIURONG, Datum.WGS84, Datum.BD09)
    amap, baidu = query(links["Amap"]), query(links["Baidu Maps"])
    assert urlsplit(links["Amap"]).netloc == "uri.amap.com" and amap["coordinate"] == "gaode"
    assert distance_m(point(amap["position"], lon_first=True), gcj) < 0.5 and amap["name"] == "越秀区六榕社区"
    assert urlsplit(links["Baidu Maps"]).netloc == "api.map.baidu.com" and baidu["coord_type"] == "bd09ll"
    assert distance_m(point(baidu["location"]), bd) < 0.5 and baidu["title"] == "越秀区六榕社区"
    assert distance_m(point(query(links["Apple Maps"])["ll"]), LIURONG) < 0.5
    assert query(links["Apple Maps"])["q"] == "Liurong community, Yuexiu District"
    assert distance_m(point(query(links["Google Maps"])["query"]), gcj) < 0.5
    osm = query(links["OpenStreetMap"])
    assert distance_m((float(osm["mlat"]), float(osm["mlon"])), LIURONG) < 0.5
    # hundreds of metres between the datums: a link in the wrong one would send the delegate down the wrong street
    assert distance_m(gcj, LIURONG) > 300 and distance_m(bd, LIURONG) > 900


async def test_a_chinese_card_has_chinese_labels_and_no_block_for_the_driver(core: Core) -> None:
    li = Chat(core, "li", language="zh-CN")
    out = await li.say("/venue liurong")
    pin, more = li.replies
    assert isinstance(pin, VenueReply) and isinstance(more, Choices)
    assert (pin.name, pin.address) == ("越秀区六榕社区", "广州市越秀区")
    assert [b.label for b in pin.links] == ["高德地图", "百度地图", "苹果地图", "谷歌地图", "OpenStreetMap"]
    assert "🚇 地铁1号线西门口站（待定）" in out and "♿ 无障碍：" in out and "地图标记的是大致区域" in out
    assert "请出示给司机" not in out and "yuè" not in out
    assert [c.label for c in more.options] == ["地图二维码", "所有会场"]
    assert await li.say("会场") == await li.say("/venues")


async def test_a_meeting_point_card_lists_the_groups_that_have_not_left_yet(core: Core) -> None:
    chat = Chat(core)
    out = await chat.say("/venue bus-point")
    assert "Site-visit groups leave from here:" in out
    assert f"• {day('2025-06-05')}, {time('2025-06-05T14:50')} — Stream 3 site visit: smart transport control centre" in out
    assert "Liurong" not in out  # that group left at 9:35
    assert "Stream 1 site visit" not in out


async def test_a_venue_is_found_by_number_by_words_or_shown_with_the_list(chat: Chat) -> None:
    card = await chat.say("/venue liurong")
    assert await chat.say("/venue 5") == card
    assert await chat.say("where is liurong") == card
    assert await chat.say("venue Liurong") == card
    assert await chat.say("/venue 六榕") == card  # any language's name
    several = await chat.say("/venue delegates")
    assert 'Several venues match "delegates":' in several and "Bus departure point" in several
    assert "Tianhe Road, Tianhe District" in await chat.say("/venue hotel")  # an id comes first
    missing = await chat.say("/venue atlantis")
    assert 'There is no venue "atlantis". These are the venues:' in missing and "9. Low-altitude economy" in missing
    assert await chat.say("/venue") == await chat.say("/venues")


async def test_a_venue_without_a_position_or_a_local_language_is_a_card_without_links_qr_or_driver_block(tmp_path: Path) -> None:
    core = await make_core(tmp_path, at("2025-06-03T08:00"), programme=DATA / "minimal.yaml")
    try:
        chat = Chat(core)
        await chat.say("/venue hall")
        pin, more = chat.replies
        assert isinstance(pin, VenueReply) and (pin.name, pin.latitude, pin.links, pin.map_url) == ("Main hall", None, (), None)
        assert [c.payload for c in more.options] == ["/venues"]
        assert "Which venue?" in await chat.say("/venueqr hall")
    finally:
        await core.close()


def test_pinyin_reads_place_names_with_their_tones_and_plain_brackets() -> None:
    assert reading("越秀区六榕社区") == "yuè xiù qū liù róng shè qū"
    assert reading("广州市天河区（具体酒店待定）") == "guǎng zhōu shì tiān hé qū (jù tǐ jiǔ diàn dài dìng)"


# -- the QR code ----------------------------------------------------------------------------


async def test_the_qr_code_is_a_png_of_the_cards_map_link(chat: Chat) -> None:
    await chat.say("/venue liurong")
    link = chat.replies[0].map_url  # type: ignore[union-attr]
    await chat.press("/venueqr liurong")
    (image,) = chat.replies
    assert isinstance(image, Image) and image.filename == "map-liurong.png" and image.mime_type == "image/png"
    assert image.caption == f"Scan this with another phone to open the map of Liurong community, Yuexiu District: {link}"
    width, height, rows, _info = png.Reader(bytes=image.data).asDirect()
    pixels = [list(row) for row in rows]
    expected = qrcode.QRCode(border=QR_BORDER)
    expected.add_data(link)
    expected.make(fit=True)
    matrix = expected.get_matrix()  # True = dark, quiet zone included
    assert width == height == len(matrix) * QR_BOX
    planes = len(pixels[0]) // width
    seen = [[pixels[y * QR_BOX + QR_BOX // 2][(x * QR_BOX + QR_BOX // 2) * planes] == 0 for x in range(len(matrix))] for y in range(len(matrix))]
    assert seen == matrix


# -- the nearest venues ------------------------------------------------------------------------


async def test_a_shared_location_answers_with_the_nearest_venues_nearest_first_and_is_kept(core: Core) -> None:
    chat = Chat(core)
    here = north_of(LIURONG, 50)
    out = await share(core, chat, *here)
    (nearest,) = chat.replies
    assert isinstance(nearest, Choices) and nearest.title == "Nearest venues"
    payloads = [c.payload for c in nearest.options]
    assert payloads[:2] == ["/venue liurong", "/venue care-centre"]
    assert set(payloads[2:]) == {"/venue hotel", "/venue plenary-hall", "/venue bus-point"}  # the next three, ~6 km east
    care = distance_m(here, CARE_CENTRE)
    assert f"Community care centre run by a social organisation, Yuexiu District (to be confirmed) — {en(distance_text, care)}, " \
           f"about {walking_minutes(care)} minutes on foot" in out
    assert "a taxi or the metro is quicker" in nearest.options[2].label
    assert "I keep only your latest location" in out
    record = await core.users.find(chat.ref)
    kept = await core.services.locations.last(record.id)  # type: ignore[union-attr]
    assert kept is not None and kept.location == Location(*here, None, Datum.WGS84) and not kept.reported


async def test_a_location_in_gcj02_is_converted_before_distances_are_measured(core: Core) -> None:
    chat = Chat(core)
    on_the_care_centre = convert(*CARE_CENTRE, Datum.WGS84, Datum.GCJ02)  # as WeChat's map gives it
    await share(core, chat, *on_the_care_centre, Datum.GCJ02)
    first = chat.replies[0].options[0]  # type: ignore[union-attr]
    assert first.payload == "/venue care-centre" and f"— {en(distance_text, 0)}, about 1 minute on foot" in first.label
    # taken as WGS-84, the same numbers would be some 600 m off
    assert distance_m(on_the_care_centre, CARE_CENTRE) > 500


async def test_a_delegate_far_away_is_told_the_distances_and_to_take_a_taxi(core: Core) -> None:
    chat = Chat(core)
    out = await share(core, chat, 40.4168, -3.7038)  # Madrid
    assert out.count("a taxi or the metro is quicker") == 5


# -- where next ---------------------------------------------------------------------------


async def test_where_with_nothing_chosen_says_how_to_choose(chat: Chat) -> None:
    out = await chat.say("/where")
    (reply,) = chat.replies
    assert isinstance(reply, Choices) and reply.title == "Where next"
    assert "Nothing you chose is coming up." in out
    assert [c.payload for c in reply.options] == ["/myagenda", "/next", "/venues"]


@pytest.mark.parametrize("words", ["where is my next session", "Where's my next session?", "where", "我的下一场在哪", "下一场在哪里？"])
def test_the_words_for_where_next_in_english_and_chinese(words: str) -> None:
    assert intents.parse(words) == intents.Intent("where")


async def test_where_without_a_location_gives_the_next_sessions_venue_and_asks_for_one(chat: Chat) -> None:
    await chat.say("/bookmark s3-cases")
    await chat.say("/bookmark wrap-up")
    out = await chat.say("where is my next session?")
    summary, pin, *_rest = chat.replies
    assert isinstance(summary, Text) and isinstance(pin, VenueReply)
    assert plain(summary.body).split("\n") == [
        "Your next session: Stream 3: use-case presentations",
        f"\"Stream 3: use-case presentations\" is at Plenary hall, delegates' hotel, {day('2025-06-05')}, {time('2025-06-05T13:45')}.",
        "Share your location and I will tell you how far it is and when to leave.",
    ]
    assert pin.name == "Plenary hall, delegates' hotel (to be confirmed)" and "Show this to your driver" in out


async def test_where_with_a_location_in_walking_distance_says_when_to_leave(core: Core) -> None:
    chat = Chat(core)
    await chat.say("/bookmark s3-cases")  # 13:45 in the plenary hall
    here = north_of(PLENARY_HALL, 1000)
    await share(core, chat, *here)
    out = await chat.say("/where")
    walk = walking_minutes(distance_m(here, PLENARY_HALL))
    leave = at("2025-06-05T13:45") - EARLY - dt.timedelta(minutes=walk)
    assert (f"You are {en(distance_text, 1000)} away, about {walk} minutes on foot: leave by {time(leave)} "
            f"to be there 5 minutes early. (from your location at {time('2025-06-05T10:00')})") in out


async def test_where_with_a_location_across_town_counts_a_taxi(core: Core) -> None:
    chat = Chat(core)
    await chat.say("/subscribe 2")  # next: the Stream 2 roundtable, 11:40 at the care centre in Yuexiu
    here = north_of(PLENARY_HALL, 0)
    await share(core, chat, *here)
    out = await chat.say("/where")
    metres = distance_m(here, CARE_CENTRE)
    taxi = math.ceil((dt.timedelta(hours=metres * TAXI_DETOUR / 1000 / TAXI_KMH) + TAXI_WAIT).total_seconds() / 60)
    leave = at("2025-06-05T11:40") - EARLY - dt.timedelta(minutes=taxi)
    assert "Your next session: Stream 2 roundtable" in out
    assert f"about {taxi} minutes by taxi, traffic permitting: leave by {time(leave)}" in out


async def test_where_when_it_is_too_late_says_leave_now_and_by_how_much_one_may_be_late(tmp_path: Path) -> None:
    core = await make_core(tmp_path, at("2025-06-05T13:35"))
    try:
        chat = Chat(core)
        await chat.say("/bookmark s3-cases")
        here = north_of(PLENARY_HALL, 1500)
        await share(core, chat, *here)
        out = await chat.say("/where")
        walk = walking_minutes(distance_m(here, PLENARY_HALL))
        late = walk - 10  # ten minutes left before 13:45
        assert f"about {walk} minutes on foot: leave now. You may be about {late} minutes late." in out
    finally:
        await core.close()


async def test_where_for_a_joined_visit_is_the_groups_meeting_point_and_its_departure(core: Core) -> None:
    chat = Chat(core)
    await chat.say("/join s3-visit-transport")
    await share(core, chat, 23.1372, 113.3225)  # at the hotel, some 20 m from the bus point
    out = await chat.say("/where")
    assert ("The group for \"Stream 3 site visit: smart transport control centre\" leaves from Bus departure point, "
            f"main entrance of the delegates' hotel on {day('2025-06-05')}, {time('2025-06-05T14:50')}.") in out
    assert "It goes to Smart transport control centre (to be confirmed)." in out
    assert f"You are there already (about {en(distance_text, 20)} away)." in out
    assert isinstance(chat.replies[1], VenueReply) and chat.replies[1].name.startswith("Bus departure point")


async def test_where_ignores_a_stale_location_and_uses_a_phones_own_report(core: Core) -> None:
    chat = Chat(core)
    await chat.say("/bookmark s3-cases")
    await share(core, chat, *north_of(PLENARY_HALL, 1000))
    await core.clock.set(at("2025-06-05T12:30"))  # two and a half hours later
    assert "Share your location and I will tell you" in await chat.say("/where")
    # WeChat's automatic LOCATION report reaches the store through the channel's port, unanswered
    assert await core.report_location(chat.ref, Location(*north_of(PLENARY_HALL, 400), None, Datum.WGS84))
    out = await chat.say("/where")
    assert f"You are {en(distance_text, 400)} away" in out and f"(from your location at {time('2025-06-05T12:30')})" in out
    assert not await core.report_location(UserRef("test", "nobody"), Location(23.1, 113.3))  # unknown: not kept


async def test_where_in_chinese(core: Core) -> None:
    li = Chat(core, "li", language="zh-CN")
    await li.say("收藏 s3-cases")
    await share(core, li, *north_of(PLENARY_HALL, 1000))
    out = await li.say("我的下一场在哪")
    assert "您的下一场：分论坛三：城市案例分享" in out
    assert "“分论坛三：城市案例分享”在代表酒店主会场举行" in out
    with i18n.use(core.catalogs.get("zh_Hans")):
        far = plain(distance_text(1000))
    assert f"您距离该地{far}，步行约" in out and "前出发，以便提前5分钟到达。" in out


# -- "How to get there" under every session and site visit -------------------------------------


async def test_every_session_and_visit_with_a_place_has_a_how_to_get_there_button(chat: Chat) -> None:
    for session in chat.core.programmes.agenda.sessions:
        await chat.say(f"/session {session.id}")
        options = [(c.label, c.payload) for c in chat.replies[0].options]  # type: ignore[union-attr]
        assert ("How to get there", f"/directions {session.id}") in options, session.id


async def test_how_to_get_there_for_a_visit_is_its_meeting_point_and_for_a_session_its_venue(chat: Chat) -> None:
    out = await chat.press("/directions s3-visit-lowalt")
    assert ("The group for \"Stream 3 site visit: low-altitude economy company\" leaves from Smart transport control centre "
            f"on {day('2025-06-05')}, {time('2025-06-05T16:05')}.") in out
    assert "It goes to Low-altitude economy (drone) company campus (to be confirmed)." in out
    out = await chat.press("/directions s2-roundtable")
    assert "is at Community care centre run by a social organisation, Yuexiu District" in out
    assert isinstance(chat.replies[1], VenueReply) and chat.replies[1].name.startswith("Community care centre")
    assert "Which session?" in await chat.press("/directions nothing")


async def test_a_session_without_a_place_has_no_button_and_says_so(tmp_path: Path) -> None:
    core = await make_core(tmp_path, at("2025-06-04T08:00"), programme=edited_programme(tmp_path, "lunch-0604", venue="null"))
    try:
        chat = Chat(core)
        await chat.say("/session lunch-0604")
        assert "/directions lunch-0604" not in [c.payload for c in chat.replies[0].options]  # type: ignore[union-attr]
        out = await chat.say("/directions lunch-0604")
        assert f'No place is given for "Lunch" yet ({day("2025-06-04")}, {time("2025-06-04T12:30")}).' in out
    finally:
        await core.close()
