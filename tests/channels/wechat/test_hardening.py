"""Callbacks that must not act twice or act at all, and a database locked by another process.

A callback signed a week ago, or a captured plain-mode signature put on
another body, is refused (403) with no effect and no openid in the log.
A database locked for longer than SQLite's busy timeout does not turn a
callback into "success and nothing done", nor WeChat's retry into a 500:
the request waits and is answered, once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
import threading

import pytest

from bot.app import Core
from bot.conversation import UserRef
from bot.store.db import Database
from tests.channels.wechat.kit import FakeWeChatAPI, Rig, message_xml, wechat_rig


async def bookmarks(core: Core, openid: str) -> list[str]:
    user = await core.users.find(UserRef("wechat", openid))
    if user is None:
        return []
    return [r[0] for r in await core.db.fetchall("SELECT session_id FROM bookmarks WHERE user_id = ?", (user.id,))]


async def test_a_callback_signed_a_week_ago_is_refused_without_effect(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    follower = rig.follower("o_replayer")
    week_ago = str(int((rig.core.clock.now() - dt.timedelta(days=7)).timestamp()))
    query, body = follower.signed_query(
        message_xml("o_replayer", {"MsgType": "text", "Content": "/bookmark s3-cases", "MsgId": "77"}), timestamp=week_ago)
    with caplog.at_level(logging.INFO):
        answer = await follower.post_raw(query, body or "")
    assert answer.status == 403
    assert await bookmarks(rig.core, "o_replayer") == []
    assert "o_replayer" not in caplog.text and "timestamp" in caplog.text


async def test_a_callback_from_a_few_seconds_ago_or_ahead_is_accepted(rig: Rig) -> None:
    follower = rig.follower("o_skewed")
    for seconds in (-90, 90):  # two clocks a minute and a half apart
        when = str(int((rig.core.clock.now() + dt.timedelta(seconds=seconds)).timestamp()))
        query, body = follower.signed_query(
            message_xml("o_skewed", {"MsgType": "text", "Content": "today", "MsgId": str(500 + seconds)}), timestamp=when)
        assert (await follower.post_raw(query, body or "")).status == 200


async def test_a_url_check_with_a_stale_timestamp_is_refused(rig: Rig) -> None:
    follower = rig.follower()
    stale = str(int((rig.core.clock.now() - dt.timedelta(hours=1)).timestamp()))
    query, _ = follower.signed_query(timestamp=stale)
    resp = await rig.client.get("/wechat", params={**query, "echostr": "e-1"})
    assert resp.status == 403 and "e-1" not in await resp.text()


async def test_plain_mode_refuses_a_captured_signature_on_another_body(core: Core, fake_api: FakeWeChatAPI) -> None:
    async with wechat_rig(core, fake_api, safe=False) as plain:
        alice, mallory = plain.follower("o_alice"), plain.follower("o_mallory")
        query, body = alice.signed_query(message_xml("o_alice", {"MsgType": "text", "Content": "today", "MsgId": "1001"}))
        first = await alice.post_raw(query, body or "")
        assert first.status == 200 and first.text
        retry = await alice.post_raw(query, body or "")  # WeChat's own retry: the same query and body
        assert (retry.status, retry.text) == (200, first.text)
        forged = message_xml("o_mallory", {"MsgType": "text", "Content": "/bookmark s3-cases", "MsgId": "1002"})
        assert (await mallory.post_raw(query, forged)).status == 403
        assert await bookmarks(core, "o_mallory") == []


def hold_write_lock(path: str, seconds: float) -> threading.Event:
    """Another process's transaction: the write lock held ``seconds`` (wall time: SQLite's locks are real)."""
    taken = threading.Event()

    def run() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TABLE IF NOT EXISTS other_process (x)")
        taken.set()
        threading.Event().wait(seconds)
        conn.execute("COMMIT")
        conn.close()

    threading.Thread(target=run, daemon=True).start()
    assert taken.wait(5)
    return taken


async def short_busy_timeout(db: Database) -> None:
    """SQLite gives up waiting after 50 ms, so 0.6 s of lock is "longer than the busy timeout"."""
    await db.conn.execute("PRAGMA busy_timeout = 50")


async def test_a_database_locked_longer_than_the_busy_timeout_delays_the_answer_but_loses_nothing(rig: Rig) -> None:
    await short_busy_timeout(rig.core.db)
    follower = rig.follower("o_patient")
    await follower.say("hello")  # known before the lock
    hold_write_lock(rig.core.db.path, 0.6)
    query, body = follower.signed_query(
        message_xml("o_patient", {"MsgType": "text", "Content": "/bookmark s3-cases", "MsgId": "2001"}))
    # the first attempt and WeChat's retry, while the file is locked
    first, retry = await asyncio.gather(follower.post_raw(query, body or ""), follower.post_raw(query, body or ""))
    assert (first.status, retry.status) == (200, 200)
    assert first.text and retry.text == first.text and "Stream 3" in first.text
    assert await bookmarks(rig.core, "o_patient") == ["s3-cases"]
    assert rig.core.db.lock_retries > 0  # it did meet the lock
