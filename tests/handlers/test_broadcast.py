"""Organisers' broadcasts through the core: the dialogue, the audiences, the preview, sending once, the report."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.conversation import Choices, Text, UserRef
from bot.notify.broadcasts import AudienceSpec
from bot.roles import Role, Scope
from handlers.broadcast import parse_texts, parse_when
from tests.conftest import Chat, at
from tests.notify.helpers import RecordingSender


async def organiser(core, name: str = "boss") -> Chat:
    chat = Chat(core, name)
    await core.services.roles.grant(chat.ref, Role.ORGANISER, Scope(), by="cli:test", source="command line", now=core.clock.now())
    return chat


async def delegates(core) -> dict[str, Chat]:
    """Alice follows Stream 2; Li reads Chinese and joined the Stream 3 transport visit; Sam bookmarked the panel."""
    alice, li, sam = Chat(core, "alice"), Chat(core, "li", language="zh-CN"), Chat(core, "sam")
    await alice.say("/subscribe 2")
    await li.say("/join s3-visit-transport")
    await sam.say("/bookmark panel")
    return {"alice": alice, "li": li, "sam": sam}


def last_choices(chat: Chat) -> Choices:
    found = [r for r in chat.replies if isinstance(r, Choices)]
    assert found, chat.replies
    return found[-1]


def payloads(chat: Chat) -> list[str]:
    return [c.payload for c in last_choices(chat).options]


async def write(boss: Chat, text: str) -> int:
    """Start a broadcast with ``text``; the draft's number."""
    await boss.say("/broadcast")
    await boss.say(text)
    (everyone,) = [p for p in payloads(boss) if p.endswith(" everyone")]
    return int(everyone.split()[2])


async def test_a_delegate_without_the_role_is_refused_and_it_is_audited(core, chat: Chat) -> None:
    assert "only for the event's organisers" in await chat.say("/broadcast")
    assert "only for the event's organisers" in await chat.say("/broadcasts")
    entries = [(e.actor, e.action, e.target) for e in await core.services.audit.recent(10)]
    assert ("test:alice", "permission.refused", "command:broadcast") in entries


async def test_the_dialogue_asks_the_text_then_the_audience_then_shows_a_preview(core) -> None:
    await delegates(core)
    boss = await organiser(core)
    assert "Send the message as delegates should read it." in await boss.say("/broadcast")
    out = await boss.say("The Stream 2 roundtable moves to room B.\n[zh]\n分论坛二圆桌讨论改在B厅。")
    assert "Written in: English, 简体中文" in out
    cid = int(payloads(boss)[0].split()[2])
    await boss.press(f"/broadcast to {cid} stream")
    assert f"/broadcast to {cid} stream:s2" in payloads(boss)
    preview = await boss.press(f"/broadcast to {cid} stream:s2")
    assert "To followers of Stream 2" in preview and "1 person." in preview
    assert "In English (1 person):\nThe Stream 2 roundtable moves to room B." in preview
    assert payloads(boss)[0] == f"/broadcast send {cid}"


@pytest.mark.parametrize(
    "audience, expected",
    [
        ("everyone", {"alice", "li", "sam"}),  # the organiser has not written yet: not a user
        ("stream:2", {"alice"}),
        ("stream:s2", {"alice"}),
        ("visit:s3-visit-transport", {"li"}),
        ("session:panel", {"sam"}),
        ("lang:zh_Hans", {"li"}),
        ("channel:test", {"alice", "li", "sam"}),
        ("channel:wechat", set()),
    ],
)
async def test_each_audience_names_exactly_its_people(core, audience: str, expected: set[str]) -> None:
    await delegates(core)
    await organiser(core)
    spec = AudienceSpec.parse(audience, core.programmes.agenda, core.catalogs.tags)
    people = await core.services.broadcasts.recipients(spec, core.programmes.agenda)
    assert {u.platform_id for u in people} == expected


def test_an_unknown_audience_is_refused_with_the_reason(core) -> None:
    agenda = core.programmes.agenda
    for text, reason in [("stream:9", "no stream"), ("visit:panel", "not a site visit"), ("lang:xx", "no language"), ("nobody", "not an audience")]:
        with pytest.raises(ValueError, match=reason):
            AudienceSpec.parse(text, agenda, core.catalogs.tags)


async def test_the_preview_counts_per_channel_and_the_wechat_followers_out_of_reach(core) -> None:
    await delegates(core)
    boss = await organiser(core)
    now = core.clock.now()
    users = core.users
    reachable = await users.seen(UserRef("wechat", "o_reachable"), "zh_CN", now)
    await users.seen(UserRef("wechat", "o_silent"), "zh_CN", now)  # followed, never wrote
    await users.seen(UserRef("telegram", "1234"), "en", now)
    await core.db.execute(
        "INSERT INTO wechat_window (openid, last_inbound_at, last_message_at) VALUES (?, ?, ?)",
        ("o_reachable", (now - dt.timedelta(hours=1)).isoformat(), (now - dt.timedelta(hours=1)).isoformat()),
    )
    assert reachable.active
    cid = await write(boss, "Dinner moves to 19:30.")
    preview = await boss.press(f"/broadcast to {cid} everyone")
    assert "To everyone: 7 people." in preview
    assert "Telegram 1 · test 4 · WeChat 2" in preview  # the core's test chats are on a channel named "test"
    assert "1 WeChat follower cannot be reached now" in preview
    assert "In 简体中文 (3 people): (the English text: none was written in theirs)" in preview


async def test_each_recipient_reads_their_language_or_the_events_and_confirming_twice_sends_once(core) -> None:
    people = await delegates(core)
    boss = await organiser(core)
    sender = RecordingSender()
    core.push.attach(sender)
    cid = await write(boss, "[en]\nThe bus leaves at 14:50 from gate 2.\n[zh]\n大巴14:50从2号门出发。")
    await boss.press(f"/broadcast to {cid} everyone")
    assert "is on its way to 4 people" in await boss.press(f"/broadcast send {cid}")
    assert "has already been sent; nothing was sent twice" in await boss.press(f"/broadcast send {cid}")
    await core.push.drain()
    by_person = {user.platform_id: replies for user, replies in sender.sent if user.platform_id != "boss"}
    assert by_person["li"] == (Text("大巴14:50从2号门出发。", title="来自组织方"),)
    assert by_person["alice"] == (Text("The bus leaves at 14:50 from gate 2.", title="From the organisers"),)
    assert sorted(by_person) == ["alice", "li", "sam"]
    assert len([u for u, _ in sender.sent if u.platform_id == "alice"]) == 1
    del people


async def test_the_organiser_gets_the_progress_then_one_report(core) -> None:
    await delegates(core)
    boss = await organiser(core)
    sender = RecordingSender()
    core.push.attach(sender)
    cid = await write(boss, "Coffee is served in the lobby.")
    await boss.press(f"/broadcast to {cid} everyone")
    await boss.press(f"/broadcast send {cid}")
    await core.push.drain()  # the four messages
    await core.wakeups.fire_due()  # the monitor looks: everything went out
    await core.push.drain()
    reports = [replies[0] for user, replies in sender.sent if user.platform_id == "boss" and replies[0].title.startswith("Broadcast")]  # type: ignore[union-attr]
    assert [r.title for r in reports] == [f"Broadcast #{cid}: report"]  # type: ignore[union-attr]
    assert reports[0].body == "Delivered: 4" and reports[0].edit_key == f"campaign:{cid}" and not reports[0].transient  # type: ignore[union-attr]
    assert (await core.services.campaigns.get(cid)).status == "done"  # type: ignore[union-attr]
    await core.clock.advance(dt.timedelta(seconds=10))
    await core.wakeups.fire_due()
    await core.push.drain()
    assert len([u for u, r in sender.sent if u.platform_id == "boss" and r[0].title.startswith("Broadcast")]) == 1  # type: ignore[union-attr]


async def test_a_scheduled_broadcast_waits_for_its_time(core) -> None:
    await delegates(core)
    boss = await organiser(core)
    sender = RecordingSender()
    core.push.attach(sender)
    cid = await write(boss, "See you at the farewell dinner.")
    await boss.press(f"/broadcast to {cid} stream:2")
    assert "When should broadcast" in await boss.press(f"/broadcast schedule {cid}")
    assert "has passed" in await boss.say("09:00")
    preview = await boss.say("18:30")
    assert "Scheduled for" in preview and payloads(boss)[0] == f"/broadcast send {cid}"
    assert "will go to 1 person at" in await boss.press(f"/broadcast send {cid}")
    await core.push.drain()
    assert [u.platform_id for u, _ in sender.sent] == []
    assert "Scheduled for" in await boss.say(f"/broadcasts {cid}")
    await core.clock.set(at("2025-06-05T18:30"))
    await core.push.drain()
    assert [u.platform_id for u, _ in sender.sent] == ["alice"]


async def test_cancel_stops_what_has_not_gone_out(core) -> None:
    await delegates(core)
    boss = await organiser(core)
    sender = RecordingSender()
    core.push.attach(sender)
    cid = await write(boss, "A message that will be stopped.")
    await boss.press(f"/broadcast to {cid} everyone")
    await boss.press(f"/broadcast send {cid}")
    assert f"#{cid}" in await boss.say("/cancel")  # which one?
    assert "stopped: 4 messages will not be sent" in await boss.press(f"/cancel {cid}")
    await core.push.drain()
    assert [u for u, r in sender.sent if r[0].title == "From the organisers"] == []  # type: ignore[union-attr]
    assert "is not running" in await boss.say(f"/cancel {cid}")
    report = await core.services.campaigns.report(cid)
    assert report is not None and report.by_status == {"cancelled": 4}


async def test_cancel_while_writing_drops_the_draft_and_nothing_is_sent(core) -> None:
    boss = await organiser(core)
    await boss.say("/broadcast")
    assert "Stopped. Nothing was sent." in await boss.say("/cancel")
    assert "did not understand" in await boss.say("this is no longer the broadcast text")


async def test_broadcasts_lists_recent_ones_with_their_figures(core) -> None:
    await delegates(core)
    boss = await organiser(core)
    core.push.attach(RecordingSender())
    cid = await write(boss, "Registration opens at 8.")
    await boss.press(f"/broadcast to {cid} session:panel")
    await boss.press(f"/broadcast send {cid}")
    await core.push.drain()
    listed = await boss.say("/broadcasts")
    assert f"#{cid} · Registration opens at 8. · Delivered: 1" in listed
    detail = await boss.say(f"/broadcasts {cid}")
    assert "To who bookmarked \"Panel discussion\"" in detail and "Delivered: 1" in detail


def test_texts_per_language_are_read_from_their_markers(core, chat: Chat) -> None:
    from bot.router import Context

    ctx = Context.create(core.services)
    assert parse_texts("Hello", ctx) == {"en": "Hello"}
    assert parse_texts("[en] Hello\n[zh]\n第一行\n第二行", ctx) == {"en": "Hello", "zh_Hans": "第一行\n第二行"}
    assert parse_texts("Hello\n[zh-CN] 你好", ctx) == {"en": "Hello", "zh_Hans": "你好"}
    assert "I do not know the language [xx]" in str(parse_texts("[xx]\nhello", ctx))
    assert "empty" in str(parse_texts("[en]\n   ", ctx))
    assert "characters" in str(parse_texts("x" * 3001, ctx))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("18:30", "2025-06-05T18:30"),
        ("tomorrow 09:00", "2025-06-06T09:00"),
        ("2025-06-06 07:15", "2025-06-06T07:15"),
        ("2025-06-06T07:15", "2025-06-06T07:15"),
        ("friday 8:00", "2025-06-06T08:00"),
        ("25:00", None),
        ("soon", None),
    ],
)
def test_a_time_is_read_in_the_events_zone(core, text: str, expected: str | None) -> None:
    from bot.router import Context

    ctx = Context.create(core.services)
    got = parse_when(text, ctx)
    assert (got, expected) == (None, None) or got == at(expected)  # type: ignore[arg-type]


async def test_a_delegate_with_a_daily_digest_gets_broadcasts_at_that_time_and_reminders_at_once(core) -> None:
    people = await delegates(core)
    alice = people["alice"]
    assert "once a day at 18:00" in await alice.say("/digest 18:00")
    boss = await organiser(core)
    sender = RecordingSender()
    core.push.attach(sender)
    cid = await write(boss, "Tomorrow's buses leave at 8.")
    await boss.press(f"/broadcast to {cid} everyone")
    await boss.press(f"/broadcast send {cid}")
    await core.push.drain()
    titles = {"From the organisers", "来自组织方"}
    got = {u.platform_id for u, r in sender.sent if r[0].title in titles}  # type: ignore[union-attr]
    assert got == {"li", "sam", "boss"}  # alice waits for her digest
    await core.clock.set(at("2025-06-05T18:00"))
    await core.push.drain()
    assert [u.platform_id for u, r in sender.sent if r[0].title in titles].count("alice") == 1  # type: ignore[union-attr]
    assert "as they are sent" in await alice.say("/digest off")
