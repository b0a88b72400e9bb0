"""The /wechat callback: signatures, safe mode and malformed requests (each its 4xx, never a 500)."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from bot.app import Core
from bot.channels.wechat import MAX_BODY_BYTES
from bot.conversation import UserRef
from tests.channels.wechat.kit import TOKEN, FakeWeChatAPI, Follower, Rig, message_xml, sign, wechat_rig

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10))
    + ']>\n<xml><ToUserName>gh</ToUserName><FromUserName>o_x</FromUserName><CreateTime>1</CreateTime>'
    "<MsgType>text</MsgType><Content>&lol9;</Content><MsgId>1</MsgId></xml>"
)
XXE = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<xml><ToUserName>gh</ToUserName><FromUserName>o_x</FromUserName><CreateTime>1</CreateTime>"
    "<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>2</MsgId></xml>"
)


async def test_url_check_echoes_echostr_only_with_a_valid_signature(rig: Rig) -> None:
    good = {"signature": sign(TOKEN, "1749088800", "42"), "timestamp": "1749088800", "nonce": "42", "echostr": "e-123"}
    resp = await rig.client.get("/wechat", params=good)
    assert (resp.status, await resp.text()) == (200, "e-123")
    resp = await rig.client.get("/wechat", params={**good, "nonce": "43"})
    assert resp.status == 403
    assert "e-123" not in await resp.text()
    resp = await rig.client.get("/wechat", params={"echostr": "e-123"})
    assert resp.status == 403


async def test_text_in_safe_mode_gets_an_encrypted_passive_reply(rig: Rig) -> None:
    answer = await rig.follower().say("today")
    assert answer.status == 200
    assert "<Encrypt>" in answer.body and "Liurong" not in answer.body
    assert answer.text is not None and "Liurong" in answer.text


async def test_text_in_plain_mode_gets_a_plain_passive_reply(core: Core, fake_api: FakeWeChatAPI) -> None:
    async with wechat_rig(core, fake_api, safe=False) as plain:
        answer = await plain.follower().say("today")
    assert answer.status == 200
    assert "Liurong" in answer.body and answer.text is not None and "Liurong" in answer.text


async def test_bad_signature_is_refused_before_the_body_is_read(rig: Rig) -> None:
    follower = rig.follower("o_mallory")
    query, body = follower.signed_query(message_xml("o_mallory", {"MsgType": "text", "Content": "today", "MsgId": "9"}))
    query["signature"] = "0" * 40
    assert (await follower.post_raw(query, body or "")).status == 403
    # not even an oversized, unparseable body gets further than the signature
    assert (await follower.post_raw(query, b"\xff" * (MAX_BODY_BYTES + 1024))).status == 403
    assert await rig.core.users.find(UserRef("wechat", "o_mallory")) is None


async def test_bad_msg_signature_is_refused(rig: Rig) -> None:
    follower = rig.follower("o_mallory")
    query, body = follower.signed_query(message_xml("o_mallory", {"MsgType": "text", "Content": "today", "MsgId": "9"}))
    query["msg_signature"] = "f" * 40
    assert (await follower.post_raw(query, body or "")).status == 403
    assert await rig.core.users.find(UserRef("wechat", "o_mallory")) is None


async def test_message_encrypted_for_another_appid_is_refused(rig: Rig) -> None:
    follower = rig.follower("o_mallory", crypto_appid="wx_some_other_app")
    answer = await follower.say("today")
    assert answer.status == 403
    assert await rig.core.users.find(UserRef("wechat", "o_mallory")) is None


async def test_plain_callback_is_refused_when_safe_mode_is_configured(rig: Rig) -> None:
    follower = Follower(rig.client, openid="o_mallory", safe=False)
    assert (await follower.say("today")).status == 403


async def test_safe_callback_is_refused_without_an_aes_key(core: Core, fake_api: FakeWeChatAPI) -> None:
    async with wechat_rig(core, fake_api, safe=False) as plain:
        follower = Follower(plain.client, openid="o_x", safe=True)
        assert (await follower.say("today")).status == 400


@pytest.mark.parametrize("bomb", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
async def test_entity_declarations_are_refused_fast_with_flat_memory(core: Core, fake_api: FakeWeChatAPI, bomb: str) -> None:
    async with wechat_rig(core, fake_api, safe=False) as plain:
        follower = plain.follower("o_x")
        query, _ = follower.signed_query(None)
        tracemalloc.start()
        began = time.perf_counter()
        try:
            answer = await follower.post_raw(query, bomb)
            elapsed = time.perf_counter() - began
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert answer.status == 400
    assert elapsed < 1.0
    assert peak < 8 * 1024 * 1024


@pytest.mark.parametrize("bomb", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
async def test_entity_declarations_inside_the_encrypted_body_are_refused(rig: Rig, bomb: str) -> None:
    follower = rig.follower("o_x")
    query, body = follower.signed_query(bomb)
    assert (await follower.post_raw(query, body or "")).status == 400


async def test_body_over_64_kib_is_refused_413(rig: Rig) -> None:
    follower = rig.follower("o_big")
    query, _ = follower.signed_query(None)
    query.update(encrypt_type="aes", msg_signature="0" * 40)
    answer = await follower.post_raw(query, b"<xml>" + b"a" * (65 * 1024) + b"</xml>")
    assert answer.status == 413
    assert await rig.core.users.find(UserRef("wechat", "o_big")) is None


MALFORMED = {
    "text": "hello, not XML",
    "json": '{"MsgType": "text"}',
    "truncated": "<xml><ToUserName>gh",
    "wrong-root": "<notxml><a>1</a></notxml>",
    "empty-root": "<xml></xml>",
    "no-msgtype": "<xml><FromUserName>o_x</FromUserName><CreateTime>1</CreateTime><MsgId>5</MsgId></xml>",
    "bad-msgid": message_xml("o_x", {"MsgType": "text", "Content": "hi", "MsgId": "not-a-number"}),
    "two-msgtypes": message_xml("o_x", {"MsgType": ["text", "image"], "Content": "hi", "MsgId": "6"}),
    "bad-latitude": message_xml("o_x", {"MsgType": "location", "Location_X": "north", "Location_Y": "1", "MsgId": "7"}),
    "latitude-out-of-range": message_xml("o_x", {"MsgType": "location", "Location_X": "123", "Location_Y": "1", "MsgId": "8"}),
    "no-sender": message_xml("", {"MsgType": "text", "Content": "hi", "MsgId": "10"}),
    "huge-sender": message_xml("o" * 5000, {"MsgType": "text", "Content": "hi", "MsgId": "12"}),
    "nested-sender": message_xml({"a": "1"}, {"MsgType": "text", "Content": "hi", "MsgId": "13"}),  # type: ignore[arg-type]
    "no-create-time": "<xml><ToUserName>gh</ToUserName><FromUserName>o_x</FromUserName><MsgType>text</MsgType><MsgId>11</MsgId></xml>",
    "blank": "   ",
    "not-utf8": b"<xml>\xff\xfe</xml>",
}


async def test_malformed_callbacks_get_400_never_500(core: Core, fake_api: FakeWeChatAPI) -> None:
    async with wechat_rig(core, fake_api, safe=False) as plain:
        follower = plain.follower("o_x")
        statuses = {}
        for name, body in MALFORMED.items():
            query, _ = follower.signed_query(None)
            statuses[name] = (await follower.post_raw(query, body)).status
    assert statuses == {name: 400 for name in MALFORMED}
    assert await core.users.find(UserRef("wechat", "o_x")) is None


async def test_undecryptable_or_non_xml_plaintext_in_safe_mode_gets_400(rig: Rig) -> None:
    follower = rig.follower("o_x")
    query, body = follower.signed_query("just text, no XML")
    assert (await follower.post_raw(query, body or "")).status == 400
    # a well-signed Encrypt that is not AES output
    query, _ = follower.signed_query(None)
    garbage = "bm90IGNpcGhlcnRleHQ="
    query.update(encrypt_type="aes", msg_signature=sign(TOKEN, query["timestamp"], query["nonce"], garbage))
    assert (await follower.post_raw(query, message_xml("o_x", {"Encrypt": garbage}))).status == 400
    assert (await follower.post_raw(query, "<xml><ToUserName>gh</ToUserName></xml>")).status == 400


async def test_unexpected_events_are_acknowledged_without_a_reply(rig: Rig) -> None:
    answer = await rig.follower().event("VIEW", EventKey="https://example.org")
    assert (answer.status, answer.body) == (200, "success")

