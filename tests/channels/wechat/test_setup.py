"""Setting the channel up: configuration, the published vectors, the menu, and each kind of callback."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
import xmltodict
from aiohttp import web
from wechatpy.crypto import WeChatCrypto

from bot.app import Core
from bot.channels.wechat import WeChatChannel, build_channel
from bot.channels.wechat_cli import wechat_menu
from bot.channels.wechat_menu import MAX_TOP_NAME_BYTES, menu_definition
from bot.conversation import Location, Request, Text, UserRef
from bot.geo import Datum
from bot.router import Context
from tests.conftest import shared_path
from tests.channels.wechat.kit import APPID, SECRET, TOKEN, FakeWeChatAPI, Follower, Rig, message_xml, sign, wechat_rig


def test_build_channel_needs_token_appid_and_secret(core: Core) -> None:
    app = web.Application()
    assert build_channel(core.ports(), app) is None
    core.settings = dataclasses.replace(core.settings, wechat_token=TOKEN, wechat_appid=APPID)
    assert build_channel(core.ports(), app) is None
    core.settings = dataclasses.replace(core.settings, wechat_secret=SECRET)
    channel = build_channel(core.ports(), app)
    assert isinstance(channel, WeChatChannel) and channel.crypto is None
    assert {(r.method, r.resource.canonical) for r in app.router.routes() if r.method != "HEAD"} == {("GET", "/wechat"), ("POST", "/wechat")}
    assert core.push.workers["wechat"].sender is channel.sender


def vectors() -> dict:
    return json.loads(Path(shared_path("data", "wechat-vectors.json")).read_text(encoding="utf-8"))


async def test_official_account_vector_verifies_decrypts_and_gets_an_encrypted_reply(core: Core, fake_api: FakeWeChatAPI) -> None:
    v = vectors()["official_account_sample"]
    await core.clock.set(dt.datetime.fromtimestamp(int(v["timestamp"]), dt.timezone.utc))  # when WeChat signed it
    async with wechat_rig(core, fake_api, token=v["token"], appid=v["appid"], aes_key=v["encoding_aes_key"]) as r:
        query = {"signature": v["signature"], "timestamp": v["timestamp"], "nonce": v["nonce"],
                 "encrypt_type": "aes", "msg_signature": v["msg_signature"]}
        plain = r.channel._decrypt(xmltodict.unparse({"xml": {"Encrypt": v["encrypt"]}}).encode(), v["msg_signature"], v["timestamp"], v["nonce"])
        message = xmltodict.parse(plain)["xml"]
        assert {k: message[k] for k in v["decrypts_to"]} == v["decrypts_to"]
        body = xmltodict.unparse({"xml": {"ToUserName": message["ToUserName"], "Encrypt": v["encrypt"]}})
        crypto = WeChatCrypto(v["token"], v["encoding_aes_key"], v["appid"])

        async def post() -> dict:
            resp = await r.client.post("/wechat", params=query, data=body)
            assert resp.status == 200
            outer = xmltodict.parse(await resp.text())["xml"]
            return xmltodict.parse(crypto.decrypt_message(outer, outer["MsgSignature"], outer["TimeStamp"], outer["Nonce"]))["xml"]

        reply = await post()
        assert reply["ToUserName"] == message["FromUserName"]
        assert "abcdteT" in reply["Content"]  # the core read the text (and did not understand it)
        assert (await post())["Content"] == reply["Content"]  # WeChat's retry: the same reply
        assert await r.core.users.find(UserRef("wechat", message["FromUserName"])) is not None
        tampered = {**query, "msg_signature": v["msg_signature"][:-1] + "0"}
        assert (await r.client.post("/wechat", params=tampered, data=body)).status == 403


async def test_wechatpy_vector_keys_round_trip_and_its_signature_fits_no_other_ciphertext(core: Core, fake_api: FakeWeChatAPI) -> None:
    v = vectors()["wechatpy_sample"]
    async with wechat_rig(core, fake_api, token=v["token"], appid=v["appid"], aes_key=v["encoding_aes_key"]) as r:
        follower = Follower(r.client, openid="o_vec", token=v["token"], aes_key=v["encoding_aes_key"], appid=v["appid"])
        assert (await follower.say("today")).text
        query, body = follower.signed_query(
            "<xml><ToUserName>gh</ToUserName><FromUserName>o_vec</FromUserName><CreateTime>1</CreateTime>"
            "<MsgType>text</MsgType><Content>x</Content><MsgId>99</MsgId></xml>",
            timestamp=v["timestamp"],
        )
        query.update(nonce=v["nonce"], signature=sign(v["token"], v["timestamp"], v["nonce"]), msg_signature=v["msg_signature"])
        assert (await follower.post_raw(query, body or "")).status == 403


async def test_menu_uses_existing_commands_and_the_event_language(core: Core) -> None:
    menu = menu_definition(core.router, core.catalogs.get("en"))
    assert [b.get("key") or b["name"] for b in menu["button"]] == ["/today", "/next", "More"]
    assert [(s["name"], s["key"]) for s in menu["button"][2]["sub_button"]] == [
        ("My agenda", "/myagenda"), ("Venues", "/venues"), ("Feedback", "/feedback"), ("Programme", "/programme"), ("Language", "/lang")]
    menu = menu_definition(core.router, core.catalogs.get("zh_Hans"))
    assert [(s["name"], s["key"]) for s in menu["button"][2]["sub_button"]] == [
        ("我的日程", "/myagenda"), ("会场", "/venues"), ("反馈", "/feedback"), ("日程", "/programme"), ("语言", "/lang")]
    assert all(len(b["name"].encode()) <= MAX_TOP_NAME_BYTES for b in menu["button"])


async def test_wechat_menu_command_creates_the_menu_through_the_api(core: Core, fake_api: FakeWeChatAPI, tmp_path: Path) -> None:
    settings = dataclasses.replace(core.settings, db=tmp_path / "menu.sqlite3", wechat_appid=APPID, wechat_secret=SECRET, wechat_api_url=fake_api.url)
    assert await wechat_menu(settings) == 0
    (menu,) = fake_api.menus
    assert menu["button"][0] == {"type": "click", "name": "Today", "key": "/today"}


async def test_menu_click_runs_the_command_in_its_key(rig: Rig) -> None:
    answer = await rig.follower().event("CLICK", EventKey="/streams")
    assert answer.text is not None and answer.text.startswith("【Streams】")


async def test_a_location_message_reaches_the_core_as_a_location_in_gcj02(rig: Rig) -> None:
    seen: list[Location] = []

    async def where(req: Request, ctx: Context) -> list[Text]:
        assert req.location is not None
        seen.append(req.location)
        return [Text("got it")]

    rig.core.router.location(where)
    sent = await rig.follower().send({"MsgType": "location", "Location_X": "23.134521", "Location_Y": "113.358803", "Scale": "20", "Label": "Tianhe"})
    assert sent.text == "got it"
    # a place picked on WeChat's (Tencent's) map is in GCJ-02
    assert seen == [Location(23.134521, 113.358803, "Tianhe", Datum.GCJ02)]


async def test_a_location_report_is_kept_for_where_and_answered_success_with_no_reply(rig: Rig) -> None:
    asked: list[Request] = []

    async def where(req: Request, ctx: Context) -> list[Text]:
        asked.append(req)
        return [Text("a reply nobody should see")]

    rig.core.router.location(where)
    alice = rig.follower("o_alice")
    await alice.say("hello")  # a follower the bot knows
    reported = await alice.event("LOCATION", Latitude="23.1372", Longitude="113.3225", Precision="65.0")
    assert (reported.status, reported.body, reported.text) == (200, "success", None)
    await rig.settle()
    assert asked == [] and rig.api.texts_to("o_alice") == []  # no reply, passive or pushed
    record = await rig.core.users.find(UserRef("wechat", "o_alice"))
    assert record is not None
    kept = await rig.core.services.locations.last(record.id)
    assert kept is not None and kept.reported
    assert kept.location == Location(23.1372, 113.3225, None, Datum.WGS84)  # the phone's GPS fix
    # WeChat's retry of the same report (same sender, CreateTime, event) is answered alike and kept once
    query, body = alice.signed_query(message_xml("o_alice", {"MsgType": "event", "Event": "LOCATION", "Latitude": "23.2",
                                                              "Longitude": "113.4", "Precision": "5"}, created=alice.created))
    assert body is not None
    assert (await alice.post_raw(query, body)).body == "success"
    assert (await rig.core.services.locations.last(record.id)) == kept
    # a report from someone who never wrote is answered alike and not kept (there is nobody to keep it for)
    stranger = await rig.follower("o_stranger").event("LOCATION", Latitude="23.1", Longitude="113.3", Precision="65.0")
    assert stranger.body == "success" and await rig.core.users.find(UserRef("wechat", "o_stranger")) is None


@pytest.mark.parametrize("kind", [{"MsgType": "image", "PicUrl": "http://x/p.jpg", "MediaId": "m1"},
                                  {"MsgType": "voice", "MediaId": "m2", "Format": "amr"}], ids=["image", "voice"])
async def test_other_messages_get_the_help_reply(rig: Rig, kind: dict) -> None:
    answer = await rig.follower().send(kind)
    assert answer.text is not None and "/today" in answer.text


async def test_a_voice_message_with_recognised_text_is_read_as_text(rig: Rig) -> None:
    answer = await rig.follower().send({"MsgType": "voice", "MediaId": "m3", "Format": "amr", "Recognition": "今天。"})
    assert answer.text is not None and "六榕社区" in answer.text  # said in Chinese, answered in Chinese


async def test_unfollowing_deactivates_and_answers_nothing(rig: Rig) -> None:
    alice = rig.follower()
    await alice.say("help")
    answer = await alice.event("unsubscribe")
    assert answer.body == "success"
    record = await rig.core.users.find(UserRef("wechat", "o_alice"))
    assert record is not None and not record.active


async def test_reply_text_that_looks_like_the_end_of_cdata_survives(rig: Rig) -> None:
    answer = await rig.follower().say("search ]]><evil/>")
    assert answer.text is not None and "]]><evil/>" in answer.text


async def test_new_follower_without_a_wechat_language_is_welcomed_in_the_event_language(rig: Rig) -> None:
    answer = await rig.follower("o_new").event("subscribe", EventKey="")
    assert answer.text is not None and "Welcome to 2025 Workshop for Thought Leaders!" in answer.text


def test_access_log_lines_leave_out_the_query_with_the_openid(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from aiohttp.test_utils import make_mocked_request

    from bot.service import PathOnlyAccessLogger

    access = PathOnlyAccessLogger(logging.getLogger("test.access"), "")
    with caplog.at_level(logging.INFO, logger="test.access"):
        access.log(make_mocked_request("POST", "/wechat?openid=o_secret&signature=abc"), web.Response(text="success"), 0.002)
    assert caplog.messages == ["POST /wechat 200 2.0 ms"]
