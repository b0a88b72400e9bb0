"""WeChat's real limits for every push: the budget per follower, merged pushes, held items, templates."""

from __future__ import annotations

import datetime as dt

from bot.conversation import Text, UserRef
from bot.notify.outbox import Priority
from tests.channels.wechat.kit import FakeWeChatAPI, Rig, wechat_rig
from tests.channels.wechat.test_push import follower_id, outbox_rows


async def spent(rig: Rig, openid: str = "o_alice") -> int:
    row = await rig.core.db.fetchone("SELECT message_spent FROM wechat_window WHERE openid = ?", (openid,))
    return int(row[0])


async def test_pushes_due_together_for_one_follower_go_as_one_message(rig: Rig) -> None:
    uid = await follower_id(rig)
    port = rig.core.push
    await port.push(uid, "wechat", [Text("The panel moves to room B.", title="From the organisers")], dedupe_key="c:1", priority=Priority.BROADCAST)
    await port.push(uid, "wechat", [Text("Starts at 11:40, in 15 minutes.", title="Reminder")], dedupe_key="r:1", priority=Priority.REMINDER)
    await port.drain()
    (message,) = rig.api.texts_to("o_alice")
    assert message.index("【Reminder】") < message.index("【From the organisers】")  # the urgent one first
    assert await spent(rig) == 1
    assert [s for s, _e, _a in await outbox_rows(rig.core.db)] == ["sent", "sent"]


async def test_the_message_that_spends_the_window_invites_a_reply_and_the_rest_is_held(rig: Rig) -> None:
    uid = await follower_id(rig)
    port = rig.core.push
    for n in range(1, 7):  # one more than the window allows; each too long to merge with the next
        await port.push(uid, "wechat", [Text(f"Update {n}\n" + "x" * 1500)], dedupe_key=f"c:{n}", priority=Priority.BROADCAST)
        await port.drain()
    texts = rig.api.texts_to("o_alice")
    assert len(texts) == 5 and await spent(rig) == 5
    assert "Reply anything, e.g. OK, to keep receiving updates here." in texts[-1]
    assert not any("Reply anything" in t for t in texts[:-1])
    statuses = [s for s, _e, _a in await outbox_rows(rig.core.db)]
    assert statuses == ["sent"] * 5 + ["held"]
    # the follower answers: the held update opens the reply (free), and the window starts again
    answer = await rig.follower().say("OK")
    assert answer.text is not None and answer.text.startswith("1 update while you were away:\n\nUpdate 6")
    assert await spent(rig) == 0
    assert [s for s, _e, _a in await outbox_rows(rig.core.db)] == ["sent"] * 6


async def test_three_messages_in_the_minute_after_a_menu_click_when_the_follower_never_wrote(rig: Rig) -> None:
    follower = rig.follower("o_clicker")
    await follower.event("CLICK", EventKey="/today")
    record = await rig.core.users.find(UserRef("wechat", "o_clicker"))
    assert record is not None
    port = rig.core.push
    for n in range(1, 5):
        await port.push(record.id, "wechat", [Text(f"Note {n}\n" + "y" * 1500)], dedupe_key=f"c:{n}", priority=Priority.BROADCAST)
        await port.drain()
    assert len(rig.api.texts_to("o_clicker")) == 3
    await rig.core.clock.advance(dt.timedelta(minutes=2))  # type: ignore[attr-defined]
    assert [s for s, _e, _a in await outbox_rows(rig.core.db)][-1] == "held"


async def test_with_a_template_a_closed_window_is_no_obstacle(core, fake_api: FakeWeChatAPI) -> None:
    async with wechat_rig(core, fake_api, template_id="TPL-1") as rig:
        uid = await follower_id(rig)
        await core.clock.advance(dt.timedelta(hours=49))  # type: ignore[attr-defined]
        await core.push.push(uid, "wechat", [Text("The farewell dinner starts at 19:00.", title="From the organisers")], dedupe_key="c:1")
        await core.push.drain()
        (template,) = fake_api.templates
        assert template["data"]["title"]["value"] == "From the organisers"
        assert [s for s, _e, _a in await outbox_rows(core.db)] == ["sent"]


async def test_a_progress_message_is_not_sent_to_wechat_only_the_final_report(rig: Rig) -> None:
    uid = await follower_id(rig)
    port = rig.core.push
    await port.push(uid, "wechat", [Text("1 / 2 sent", title="Broadcast #1: sending", edit_key="campaign:1", transient=True)], dedupe_key="p:1")
    await port.drain()
    assert rig.api.texts_to("o_alice") == [] and await spent(rig) == 0
    await port.push(uid, "wechat", [Text("Delivered: 2", title="Broadcast #1: report", edit_key="campaign:1")], dedupe_key="p:2")
    await port.drain()
    assert rig.api.texts_to("o_alice") == ["【Broadcast #1: report】\nDelivered: 2"]
