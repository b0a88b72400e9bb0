"""The callback's fast path: signatures as wechatpy computes them, and claims group-committed in one statement."""

from __future__ import annotations

import asyncio

import pytest
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature

from bot.app import Core
from bot.channels.wechat import signature_matches
from bot.store.wechat import WeChatStore
from tests.channels.wechat.kit import TOKEN, sign


def test_signature_matches_accepts_exactly_what_wechatpys_check_signature_accepts() -> None:
    good = sign(TOKEN, "1749088800", "nonce1")
    check_signature(TOKEN, good, "1749088800", "nonce1")
    assert signature_matches(good, TOKEN, "1749088800", "nonce1")
    for bad in (good[:-1] + ("0" if good[-1] != "0" else "1"), good.upper(), "", None, "签名"):
        with pytest.raises(InvalidSignatureException):
            check_signature(TOKEN, bad, "1749088800", "nonce1")
        assert not signature_matches(bad, TOKEN, "1749088800", "nonce1")


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
