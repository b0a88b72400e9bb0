"""Pushing to WeChat: access-token caching, the 48-hour window, template fallback, quota errors."""

from __future__ import annotations

import datetime as dt

from bot.app import Core
from bot.channels.wechat_api import WeChatAPI
from bot.conversation import Choice, Choices, Text, UserRef
from bot.store.db import Database
from tests.channels.wechat.kit import APPID, SECRET, FakeWeChatAPI, Rig, wechat_rig


async def follower_id(rig: Rig, openid: str = "o_alice") -> int:
    """The follower writes once (which opens their window); their user id."""
    assert (await rig.follower(openid).say("help")).status == 200
    record = await rig.core.users.find(UserRef("wechat", openid))
    assert record is not None
    return record.id


async def push(rig: Rig, user_id: int, text: str, key: str) -> None:
    await rig.core.push.push(user_id, "wechat", [Text(text)], dedupe_key=key)
    await rig.core.push.drain()


async def outbox_rows(db: Database) -> list[tuple[str, str | None, int]]:
    rows = await db.fetchall("SELECT status, last_error, attempts FROM outbox ORDER BY id")
    return [(r[0], r[1], r[2]) for r in rows]


async def test_access_token_is_fetched_once_and_reused(rig: Rig) -> None:
    uid = await follower_id(rig)
    await push(rig, uid, "one", "k1")
    await push(rig, uid, "two", "k2")
    assert rig.api.texts_to("o_alice") == ["one", "two"]
    assert rig.api.tokens_issued == 1
    assert set(rig.api.tokens_seen) == {"token-1"}


async def test_access_token_is_refreshed_when_it_expires_on_the_clock(rig: Rig) -> None:
    uid = await follower_id(rig)
    await push(rig, uid, "one", "k1")
    await rig.core.clock.advance(dt.timedelta(hours=2))  # type: ignore[attr-defined]
    await rig.follower().say("help")  # keep the window open
    await push(rig, uid, "two", "k2")
    assert rig.api.tokens_issued == 2
    assert rig.api.tokens_seen[-1] == "token-2"


async def test_a_token_wechat_calls_expired_is_replaced_and_the_message_sent_once(rig: Rig) -> None:
    uid = await follower_id(rig)
    await push(rig, uid, "one", "k1")
    rig.api.expired.add("token-1")  # 42001 from now on
    await push(rig, uid, "two", "k2")
    assert rig.api.texts_to("o_alice") == ["one", "two"]
    assert rig.api.tokens_issued == 2
    assert [r[0] for r in await outbox_rows(rig.core.db)] == ["sent", "sent"]


async def test_an_invalid_credential_answer_also_refreshes_the_token(core: Core, fake_api: FakeWeChatAPI) -> None:
    api = WeChatAPI(APPID, SECRET, core.clock, base_url=fake_api.url)
    try:
        api._token, api._token_expires = "stale", core.clock.now() + dt.timedelta(hours=1)  # 40001 at the fake
        await api.send_text("o_x", "hello")
    finally:
        await api.close()
    assert fake_api.tokens_seen == ["stale", "token-1"]
    assert fake_api.texts_to("o_x") == ["hello"]


async def test_outside_the_48_hour_window_a_template_message_is_sent(core: Core, fake_api: FakeWeChatAPI) -> None:
    async with wechat_rig(core, fake_api, template_id="tmpl-1") as r:
        uid = await follower_id(r)
        await core.clock.advance(dt.timedelta(hours=48, minutes=1))  # type: ignore[attr-defined]
        await core.push.push(uid, "wechat", [Text("Room change: plenary moves to hall B.", title="Programme change")], dedupe_key="b1")
        await core.push.drain()
    assert fake_api.sent == []
    assert len(fake_api.templates) == 1
    template = fake_api.templates[0]
    assert template["touser"] == "o_alice" and template["template_id"] == "tmpl-1"
    assert template["data"]["title"]["value"] == "Programme change"
    assert template["data"]["content"]["value"] == "Room change: plenary moves to hall B."
    assert [r[0] for r in await outbox_rows(core.db)] == ["sent"]


async def test_outside_the_window_without_a_template_the_item_is_held_for_the_next_reply(rig: Rig) -> None:
    uid = await follower_id(rig)
    await rig.core.clock.advance(dt.timedelta(hours=49))  # type: ignore[attr-defined]
    await push(rig, uid, "too late", "k1")
    await rig.core.clock.advance(dt.timedelta(hours=1))  # type: ignore[attr-defined]
    await rig.core.push.drain()
    ((status, error, attempts),) = await outbox_rows(rig.core.db)
    assert status == "held" and attempts == 1
    assert error is not None and "outside the customer-service window" in error and "no template" in error
    assert rig.api.sent == [] and rig.api.templates == []
    # the follower writes again: the held push opens the passive reply, at no cost
    answer = await rig.follower().say("today")
    assert answer.text is not None and answer.text.startswith("1 update while you were away:\n\ntoo late")
    ((status, _error, _attempts),) = await outbox_rows(rig.core.db)
    assert status == "sent" and rig.api.sent == []


async def test_a_follower_who_never_wrote_gets_no_customer_service_message(rig: Rig) -> None:
    record = await rig.core.users.seen(UserRef("wechat", "o_silent"), None, rig.core.clock.now())
    await push(rig, record.id, "hello", "k1")
    ((status, error, _),) = await outbox_rows(rig.core.db)
    assert status == "held" and error is not None and "window" in error
    assert rig.api.sent == []


async def test_quota_error_falls_back_to_a_template_and_closes_the_window_until_the_follower_writes(
    core: Core, fake_api: FakeWeChatAPI
) -> None:
    async with wechat_rig(core, fake_api, template_id="tmpl-1") as r:
        uid = await follower_id(r)
        fake_api.send_errors = [45047]
        await push(r, uid, "first", "k1")
        assert [t["data"]["content"]["value"] for t in fake_api.templates] == ["first"]
        await push(r, uid, "second", "k2")  # straight to the template: no customer-service attempt
        assert [t["data"]["content"]["value"] for t in fake_api.templates] == ["first", "second"]
        assert fake_api.sent == []
        await r.follower().say("help")  # the follower writes: a new window
        await push(r, uid, "third", "k3")
    assert fake_api.texts_to("o_alice") == ["third"]
    assert [row[0] for row in await outbox_rows(core.db)] == ["sent", "sent", "sent"]


async def test_out_of_time_limit_without_a_template_is_held(rig: Rig) -> None:
    uid = await follower_id(rig)
    rig.api.send_errors = [45015]
    await push(rig, uid, "hello", "k1")
    ((status, error, attempts),) = await outbox_rows(rig.core.db)
    assert (status, attempts) == ("held", 1)
    assert error is not None and "45015" in error


async def test_a_follower_who_unfollowed_is_deactivated(rig: Rig) -> None:
    uid = await follower_id(rig)
    rig.api.send_errors = [43004]
    await push(rig, uid, "hello", "k1")
    ((status, error, _),) = await outbox_rows(rig.core.db)
    assert status == "failed" and error is not None and "43004" in error
    record = await rig.core.users.get(uid)
    assert record is not None and not record.active


async def test_wechat_busy_is_retried_later(rig: Rig) -> None:
    uid = await follower_id(rig)
    rig.api.send_errors = [-1]
    await push(rig, uid, "hello", "k1")
    ((status, error, _),) = await outbox_rows(rig.core.db)
    assert status == "pending" and error is not None and "busy" in error
    await rig.core.clock.advance(dt.timedelta(minutes=1))  # type: ignore[attr-defined]
    await rig.core.push.drain()
    assert rig.api.texts_to("o_alice") == ["hello"]


async def test_an_unreachable_api_is_retried_later(core: Core, fake_api: FakeWeChatAPI) -> None:
    async with wechat_rig(core, fake_api) as r:
        uid = await follower_id(r)
        r.channel.api.base_url = "http://127.0.0.1:9"  # nothing listens there
        await push(r, uid, "hello", "k1")
    ((status, error, _),) = await outbox_rows(core.db)
    assert status == "pending" and error is not None


async def test_pushed_choices_are_numbered_in_the_followers_language(rig: Rig) -> None:
    uid = await follower_id(rig)
    await rig.follower().say("/lang zh_Hans")
    choices = Choices("Pick:", (Choice("A", "/today"), Choice("B", "/next")))
    await rig.core.push.push(uid, "wechat", [choices], dedupe_key="c1")
    await rig.core.push.drain()
    (text,) = rig.api.texts_to("o_alice")
    assert "1. A\n2. B" in text
    assert "回复" in text


async def test_a_refused_access_token_is_retried_later_not_given_up(core: Core, fake_api: FakeWeChatAPI) -> None:
    async with wechat_rig(core, fake_api, secret="wrong-secret") as r:
        uid = await follower_id(r)
        await push(r, uid, "hello", "k1")
    ((status, error, _),) = await outbox_rows(core.db)
    assert status == "pending" and error is not None and "40125" in error


async def test_nothing_is_sent_to_a_follower_who_unfollowed(rig: Rig) -> None:
    uid = await follower_id(rig)
    await rig.follower().event("unsubscribe")
    await push(rig, uid, "hello", "k1")
    ((status, error, _),) = await outbox_rows(rig.core.db)
    assert status == "failed" and error is not None and "unfollowed" in error
    assert rig.api.sent == [] and rig.api.tokens_issued == 0
