"""WeChat's retries and its five seconds: one effect per callback, late replies pushed once."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Sequence

from bot.app import Core
from bot.channels.wechat import REPLY_DEADLINE, REST_DELAY
from bot.channels.wechat_render import MAX_TEXT_BYTES
from bot.conversation import Reply, Request, Text
from bot.router import Context
from tests.channels.wechat.kit import FakeWeChatAPI, Rig, wechat_rig


class Gate:
    """A handler that counts its calls and waits until the test opens the gate."""

    def __init__(self, core: Core, command: str = "count", body: str | None = None) -> None:
        self.calls = 0
        self.entered = asyncio.Event()
        self.open = asyncio.Event()
        self.body = body
        core.router.command(command)(self.handle)

    async def handle(self, req: Request, ctx: Context) -> Sequence[Reply]:
        self.calls += 1
        self.entered.set()
        await self.open.wait()
        return [Text(self.body or f"counted {self.calls}")]


async def until(condition: Callable[[], bool], rounds: int = 5000) -> None:
    """Let the loop run (the HTTP client and server live in it) until ``condition()`` holds."""
    for _ in range(rounds):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("condition not reached")


async def test_same_msgid_three_times_has_one_effect_and_the_same_reply(rig: Rig) -> None:
    gate = Gate(rig.core)
    alice = rig.follower()
    first = asyncio.create_task(alice.say("/count", msg_id="111"))
    await gate.entered.wait()
    second = asyncio.create_task(alice.say("/count", msg_id="111"))  # a retry while the first still runs
    await until(lambda: rig.channel.callbacks_received == 2)
    gate.open.set()
    answers = [await first, await second, await alice.say("/count", msg_id="111")]
    assert [a.text for a in answers] == ["counted 1"] * 3
    assert gate.calls == 1
    await rig.settle()
    assert rig.api.sent == []


async def test_a_retry_after_a_restart_gets_the_stored_reply_without_a_second_effect(core: Core, fake_api: FakeWeChatAPI) -> None:
    gate = Gate(core)
    gate.open.set()
    async with wechat_rig(core, fake_api) as before:
        assert (await before.follower().say("/count", msg_id="222")).text == "counted 1"
    async with wechat_rig(core, fake_api) as after:  # a new process: nothing in memory
        assert (await after.follower().say("/count", msg_id="222")).text == "counted 1"
    assert gate.calls == 1


async def test_a_retry_of_a_callback_interrupted_by_a_restart_asks_to_send_again(rig: Rig) -> None:
    gate = Gate(rig.core)
    gate.open.set()
    await rig.channel.store.claim("m:333", "o_alice", rig.core.clock.now(), opens_window=True)
    answer = await rig.follower().say("/count", msg_id="333")
    assert answer.text is not None and "send it again" in answer.text
    assert gate.calls == 0


async def test_a_slow_reply_answers_success_in_time_and_follows_by_push(core: Core, fake_api: FakeWeChatAPI) -> None:
    gate = Gate(core, "slow", body="the slow answer")
    async with wechat_rig(core, fake_api) as r:
        alice = r.follower()
        call = asyncio.create_task(alice.say("/slow", msg_id="444"))
        await gate.entered.wait()
        assert not call.done()
        await r.core.clock.advance(dt.timedelta(seconds=REPLY_DEADLINE))  # type: ignore[attr-defined]
        answer = await call
        assert (answer.status, answer.body) == (200, "success")
        retry = asyncio.create_task(alice.say("/slow", msg_id="444"))  # WeChat's retry while still working
        await until(lambda: r.channel.callbacks_received == 2)
        await r.core.clock.advance(dt.timedelta(seconds=REPLY_DEADLINE))  # type: ignore[attr-defined]
        assert (await retry).body == "success"
        assert fake_api.sent == []
        gate.open.set()
        await r.settle()
        assert fake_api.texts_to("o_alice") == ["the slow answer"]
        late_retry = await alice.say("/slow", msg_id="444")
        await r.settle()
    assert late_retry.body == "success"
    assert fake_api.texts_to("o_alice") == ["the slow answer"]
    assert gate.calls == 1


async def test_a_long_reply_goes_first_part_passive_rest_pushed_once(rig: Rig) -> None:
    lines = [f"line {i:03d} " + "汉字" * 30 for i in range(60)]
    gate = Gate(rig.core, "long", body="\n".join(lines))
    gate.open.set()
    alice = rig.follower()
    answer = await alice.say("/long", msg_id="555")
    again = await alice.say("/long", msg_id="555")
    await rig.settle()
    assert rig.api.sent == []  # not before the passive part has had time to arrive
    await rig.core.clock.advance(REST_DELAY)  # type: ignore[attr-defined]
    await rig.settle()
    assert answer.text is not None and again.text == answer.text
    assert len(answer.text.encode("utf-8")) <= MAX_TEXT_BYTES
    pushed = rig.api.texts_to("o_alice")
    assert pushed and all(len(p.encode("utf-8")) <= MAX_TEXT_BYTES for p in pushed)
    whole = "\n".join([answer.text, *pushed])
    invite = "\n\nReply anything, e.g. OK, to keep receiving updates here."
    assert len(pushed) == 5 and whole.endswith(invite)  # the window's last message asks for a reply, renewing it
    assert whole.removesuffix(invite).split("\n") == lines
    assert gate.calls == 1


async def test_the_same_event_twice_welcomes_once(rig: Rig) -> None:
    alice = rig.follower()
    fields = {"MsgType": "event", "Event": "subscribe", "EventKey": ""}
    alice.created = 1749090000
    first = await alice.send(fields)
    alice.created = 1749090000  # same sender, CreateTime and event: WeChat's retry
    again = await alice.send(fields)
    assert first.text is not None and "Welcome" in first.text
    assert again.text == first.text
    alice.created = 1749095000
    assert (await alice.send({"MsgType": "event", "Event": "CLICK", "EventKey": "/today"})).text


async def test_late_reply_to_a_menu_click_is_pushed(core: Core, fake_api: FakeWeChatAPI) -> None:
    gate = Gate(core, "slowmenu", body="menu answer")
    async with wechat_rig(core, fake_api) as r:
        call = asyncio.create_task(r.follower().event("CLICK", EventKey="/slowmenu"))
        await gate.entered.wait()
        await r.core.clock.advance(dt.timedelta(seconds=REPLY_DEADLINE))  # type: ignore[attr-defined]
        answer = await call
        assert answer.body == "success"
        gate.open.set()
        await r.settle()
    assert fake_api.texts_to("o_alice") == ["menu answer"]


async def test_stopping_abandons_a_stuck_reply_and_a_retry_after_the_restart_does_not_redo_it(
    core: Core, fake_api: FakeWeChatAPI
) -> None:
    gate = Gate(core, "stuck", body="finally")
    async with wechat_rig(core, fake_api, stop_grace=0) as before:
        call = asyncio.create_task(before.follower().say("/stuck", msg_id="666"))
        await gate.entered.wait()
        await before.core.clock.advance(dt.timedelta(seconds=REPLY_DEADLINE))  # type: ignore[attr-defined]
        assert (await call).body == "success"
    # stop() gave it no grace and cancelled the handler; its claim stays
    gate.open.set()
    async with wechat_rig(core, fake_api) as after:
        answer = await after.follower().say("/stuck", msg_id="666")
    assert answer.text is not None and "send it again" in answer.text
    assert gate.calls == 1


async def test_a_late_reply_that_fails_tells_the_follower_and_a_retry_gets_no_500(core: Core, fake_api: FakeWeChatAPI) -> None:
    gate = Gate(core, "fragile", body="never shown")
    async with wechat_rig(core, fake_api) as r:
        alice = r.follower()
        call = asyncio.create_task(alice.say("/fragile", msg_id="777"))
        await gate.entered.wait()
        await r.core.clock.advance(dt.timedelta(seconds=REPLY_DEADLINE))  # type: ignore[attr-defined]
        assert (await call).body == "success"  # WeChat had its answer in time; the reply is still being worked out

        def broken(answer, replies):  # a fault of ours after the core answered (rendering, the database)
            raise RuntimeError("boom")

        r.channel._render = broken  # type: ignore[method-assign]
        gate.open.set()
        await r.settle()
        retry = await alice.say("/fragile", msg_id="777")  # WeChat's retry of the same message
        assert retry.status == 200
    apology = core.catalogs.get("en").translations.gettext("Sorry, something went wrong on my side. Please try again in a moment.")
    assert fake_api.texts_to("o_alice") == [apology]  # not silence
    assert gate.calls == 1
