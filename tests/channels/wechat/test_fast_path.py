"""The callback's fast path: our crypto against wechatpy's, and claims group-committed in one statement."""

from __future__ import annotations

import asyncio

import pytest
import xmltodict
from wechatpy.crypto import WeChatCrypto

from bot.app import Core
from bot.channels.wechat import NOT_TEXT, BadCallback, safe_xml
from bot.channels.wechat_crypto import MessageCrypto, Undecryptable, WrongAppId
from bot.store.wechat import WeChatStore
from tests.channels.wechat.kit import AES_KEY, APPID, TOKEN


def test_our_reply_decrypts_with_wechatpy_and_wechatpy_messages_decrypt_with_ours() -> None:
    ours, theirs = MessageCrypto(TOKEN, AES_KEY, APPID), WeChatCrypto(TOKEN, AES_KEY, APPID)
    for text in ("<xml><Content>hi</Content></xml>", "<xml><Content>汉字" + "x" * 31 + "</Content></xml>"):
        outer = xmltodict.parse(ours.encrypt_reply(text, "nonce1", "1749088800"))["xml"]
        assert theirs.decrypt_message(outer, outer["MsgSignature"], outer["TimeStamp"], outer["Nonce"]) == text
        sealed = xmltodict.parse(theirs.encrypt_message(text, "nonce2", "1749088801"))["xml"]["Encrypt"]
        assert ours.decrypt(sealed) == text.encode("utf-8")


def test_a_message_for_another_appid_or_not_ciphertext_is_refused() -> None:
    ours = MessageCrypto(TOKEN, AES_KEY, APPID)
    other = xmltodict.parse(WeChatCrypto(TOKEN, AES_KEY, "wx_other").encrypt_message("<xml/>", "n", "1"))["xml"]
    with pytest.raises(WrongAppId):
        ours.decrypt(other["Encrypt"])
    for garbage in ("bm90IGNpcGhlcnRleHQ=", "", "A" * 44):
        with pytest.raises(Undecryptable):
            ours.decrypt(garbage)


def test_safe_xml_reads_flat_text_and_marks_what_is_not_text() -> None:
    fields = safe_xml(b"<xml><A> a </A><B/><C><D>1</D></C><E>1</E><E>2</E><F x='1'>f</F></xml>")
    assert fields == {"A": "a", "B": None, "C": NOT_TEXT, "E": NOT_TEXT, "F": NOT_TEXT}
    with pytest.raises(BadCallback):
        safe_xml(b"<other/>")


async def test_concurrent_claims_go_in_one_statement_and_a_key_is_won_once(core: Core) -> None:
    store = WeChatStore(core.db)
    statements: list[str] = []
    execute_returning = core.db.execute_returning

    async def counting(sql: str, params: tuple = ()) -> list:
        statements.append(sql)
        return await execute_returning(sql, params)

    core.db.execute_returning = counting  # type: ignore[method-assign]
    now = core.clock.now()
    keys = [f"m:{i}" for i in range(20)] + ["m:3"]  # m:3 twice in the same batch
    claims = await asyncio.gather(*(store.claim(k, "o_a", now, opens_window=True) for k in keys))
    assert len(statements) == 1
    assert [c.new for c in claims] == [True] * 20 + [False]
    assert not (await store.claim("m:7", "o_a", now, opens_window=True)).new  # committed: a later retry loses
    assert await store.window("o_a") is not None
    await store.close()
