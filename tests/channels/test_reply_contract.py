"""The reply contract: every channel renders every reply type, natively or by its declared fallback.

Each channel module has a map from reply type to renderer (``RENDERERS``)
and one of declared fallbacks (``FALLBACKS``).  Here one sample of every
type goes through each channel's real output path: the console's text, the
Telegram Bot API (the spec-checking fake, over HTTP), and WeChat's passive
reply and pushes (the fake WeChat API).
"""

from __future__ import annotations

import dataclasses
import struct
import zlib
from collections.abc import Sequence

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.channels import console, wechat_render
from bot.channels.wechat_render import render_text
from bot.channels import telegram as telegram_channel
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
    Reply,
    Request,
    Text,
    Venue,
    WebAppButton,
)
from bot.geo import Datum, convert
from bot.router import Context
from bot.web.files import FileLinks, add_routes
from tests.channels.wechat.kit import FakeWeChatAPI, wechat_rig
from tests.channels.telegram.fake import FakeBotAPI, Harness, buttons_of
from tests.channels.telegram.fixtures import fake_api, telegram  # noqa: F401  (fixtures)


def _png() -> bytes:
    """A real 1×1 PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b"")


PNG = _png()
#: The bus stop, stored in GCJ-02 (as Amap gives it); WGS-84 for Telegram is 23.131788, 113.2590543
BUS_STOP = (23.1291146, 113.2643859)
SAMPLES: dict[type, Reply] = {
    Text: Text("Plain words", title="A title"),
    Choices: Choices("Pick one:", (Choice("Alpha", "/help"), Choice("Beta", "/today"))),
    Venue: Venue(
        "Liurong community", 23.131788, 113.2590543, address="Liurong community, Yuexiu District", directions="Metro Line 1",
        links=(LinkButton("OpenStreetMap", "https://www.openstreetmap.org/?mlat=23.131788&mlon=113.259054"),),
    ),
    Poll: Poll("How was the visit?", ("Useful", "Not for me"), "contract-poll"),
    Image: Image(PNG, "map.png", caption="The site map"),
    Document: Document(b"name,score\nLiurong,5\n", "results.csv", caption="Results", mime_type="text/csv"),
    Location: Location(*BUS_STOP, label="Bus stop", datum=Datum.GCJ02),
    Links: Links("Join online:", (LinkButton("Zoom", "https://zoom.example/j/1"), WebAppButton("Programme", "https://p.example/app"))),
}


def test_the_samples_cover_every_reply_type() -> None:
    assert set(SAMPLES) == set(REPLY_TYPES)


@pytest.mark.parametrize("module", [console, telegram_channel, wechat_render], ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_every_channel_maps_every_reply_type_to_a_renderer_or_a_declared_fallback(module) -> None:
    renderers, fallbacks = set(module.RENDERERS), set(module.FALLBACKS)
    assert not renderers & fallbacks, "a type is either rendered or falls back, not both"
    missing = [t.__name__ for t in REPLY_TYPES if t not in renderers | fallbacks]
    assert not missing, f"{module.__name__} renders no {missing}"


def register_samples(core) -> None:
    for kind, sample in SAMPLES.items():
        async def handler(req: Request, ctx: Context, sample: Reply = sample) -> Sequence[Reply]:
            return [sample]

        core.router.command(f"show{kind.__name__.lower()}", hidden=True)(handler)


# -- console ---------------------------------------------------------------------------


def test_the_console_shows_every_reply_type() -> None:
    shown = {kind: console.render([sample]) for kind, sample in SAMPLES.items()}
    assert "*** A title ***" in shown[Text] and "Plain words" in shown[Text]
    assert "1. Alpha" in shown[Choices] and "2. Beta" in shown[Choices]
    assert "📍 Liurong community" in shown[Venue] and "WGS84" in shown[Venue] and "Metro Line 1" in shown[Venue]
    assert "🔗 OpenStreetMap: https://www.openstreetmap.org/?mlat=23.131788" in shown[Venue]
    assert "1. Useful" in shown[Poll]
    assert "map.png" in shown[Image] and "results.csv" in shown[Document]
    assert "Bus stop" in shown[Location] and "GCJ02" in shown[Location]
    assert "Zoom: https://zoom.example/j/1" in shown[Links]


async def test_the_console_saves_documents_it_is_sent(core, tmp_path) -> None:
    import io

    register_samples(core)
    channel = console.ConsoleChannel(core.ports(), core.wakeups, out=io.StringIO(), files_dir=tmp_path / "files")
    await channel.say("/showdocument")
    assert (tmp_path / "files" / "results.csv").read_bytes() == SAMPLES[Document].data  # type: ignore[union-attr]


# -- Telegram --------------------------------------------------------------------------


async def test_telegram_renders_every_reply_type_natively(telegram: Harness, fake_api: FakeBotAPI) -> None:
    register_samples(telegram.core)
    methods = {}
    for kind in SAMPLES:
        calls = await telegram.say(f"/show{kind.__name__.lower()}")
        methods[kind] = [c.method for c in calls]
        if kind is Location:
            (call,) = calls
            wgs = convert(*BUS_STOP, Datum.GCJ02, Datum.WGS84)
            assert abs(float(call.params["latitude"]) - wgs[0]) < 1e-6 and abs(float(call.params["longitude"]) - wgs[1]) < 1e-6
        if kind is Links:
            (call,) = calls
            rows = call.params["reply_markup"]["inline_keyboard"]
            assert rows[0][0] == {"text": "Zoom", "url": "https://zoom.example/j/1"}
            assert rows[1][0] == {"text": "Programme", "web_app": {"url": "https://p.example/app"}}
        if kind is Choices:
            assert [label for label, _data in buttons_of(calls[0])] == ["Alpha", "Beta"]
        if kind is Venue:
            pin, directions = calls
            assert pin.params["title"] == "Liurong community" and abs(float(pin.params["latitude"]) - 23.131788) < 1e-6
            assert "Metro Line 1" in directions.params["text"]
            assert directions.params["reply_markup"]["inline_keyboard"] == [
                [{"text": "OpenStreetMap", "url": "https://www.openstreetmap.org/?mlat=23.131788&mlon=113.259054"}]]
    assert methods == {
        Text: ["sendMessage"], Choices: ["sendMessage"], Venue: ["sendVenue", "sendMessage"], Poll: ["sendPoll"],
        Image: ["sendPhoto"], Document: ["sendDocument"], Location: ["sendLocation"], Links: ["sendMessage"],
    }
    # the fake checked every request against the Bot API specification (the fixture asserts no violation)


# -- WeChat ------------------------------------------------------------------------------


async def test_wechat_renders_every_reply_type_or_its_fallback(core) -> None:
    api = FakeWeChatAPI()
    await api.start()
    files_app = web.Application()
    core.files = FileLinks(core.db, core.clock, None)
    add_routes(files_app, core.files)
    files_client = TestClient(TestServer(files_app, host="127.0.0.1"))
    await files_client.start_server()
    try:
        core.files.public_url = str(files_client.make_url("")).rstrip("/")  # where the bot's web server is
        register_samples(core)
        async with wechat_rig(core, api) as rig:
            li = rig.follower("o_li")
            await li.say("hello")  # opens the customer-service window
            shown = {}
            for kind in SAMPLES:
                answer = await li.say(f"/show{kind.__name__.lower()}")
                assert answer.status == 200
                shown[kind] = answer.text or ""
            await rig.settle()
            assert "【A title】" in shown[Text] and "1. Alpha" in shown[Choices]
            assert "📍 Liurong community" in shown[Venue] and "Metro Line 1" in shown[Venue]
            assert "OpenStreetMap: https://www.openstreetmap.org/?mlat=23.131788" in shown[Venue]  # its links, one a line
            amap = render_text([dataclasses.replace(SAMPLES[Venue], links=())])  # without links: one Amap line, in GCJ-02
            assert "uri.amap.com" in amap and f"{convert(23.131788, 113.2590543, Datum.WGS84, Datum.GCJ02)[1]:.6f}" in amap
            assert "1. Useful" in shown[Poll] and "Reply with the number" in shown[Poll]
            assert "[Picture: map.png]" in shown[Image]
            assert "uri.amap.com" in shown[Location] and f"{BUS_STOP[1]:.6f}" in shown[Location]  # GCJ-02 as stored
            assert "Zoom: https://zoom.example/j/1" in shown[Links]
            # the picture itself follows as an image message (uploaded as media)
            assert api.uploads == [("map.png", PNG)] and api.images_to("o_li") == ["media-1"]
            # the document is a link the bot's web server serves
            link = next(line.split(": ", 1)[1] for line in shown[Document].splitlines() if "results.csv" in line)
            response = await files_client.get(link.removeprefix(str(files_client.make_url("")).rstrip("/")))
            assert response.status == 200 and await response.read() == SAMPLES[Document].data  # type: ignore[union-attr]
            assert response.headers["Content-Type"] == "text/csv"
    finally:
        await files_client.close()
        await api.close()


async def test_a_poll_shown_as_numbers_on_wechat_is_answered_by_number(core) -> None:
    votes = []

    async def ask(req: Request, ctx: Context) -> Sequence[Reply]:
        return [SAMPLES[Poll]]

    async def vote(req: Request, ctx: Context) -> Sequence[Reply]:
        assert req.poll_answer is not None
        votes.append((req.poll_answer.poll_id, req.poll_answer.option_ids))
        return [Text("Thank you!")]

    core.router.command("rate", hidden=True)(ask)
    core.router.poll_answer(vote)
    api = FakeWeChatAPI()
    await api.start()
    try:
        async with wechat_rig(core, api) as rig:
            follower = rig.follower("o_li")
            assert "1. Useful" in ((await follower.say("/rate")).text or "")
            assert (await follower.say("2")).text == "Thank you!"
    finally:
        await api.close()
    assert votes == [("contract-poll", (1,))]
