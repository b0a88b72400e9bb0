"""Reminders: at the lead time, once, across restarts and programme changes."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from pathlib import Path

import pytest

from bot.app import Core
from bot.clock import ManualClock
from bot.notify.reminders import affected_sessions
from bot.notify.wakeups import JOB_ID
from bot.programme import load_programme
from tests.conftest import PROGRAMME, Chat, at, make_core, shipped
from tests.notify.helpers import RecordingSender, advance, console_for, count, edited_programme, lines, plain

STREAM_1_DUE = {
    "Stream 1: use-case presentations": "11:00",
    "Stream 1 site visit: city operations and digital-twin centre": "13:00",
    "Stream 1 roundtable: planning for resilience with digital tools": "16:15",
}


def pushed_blocks(output: str) -> list[tuple[str, str]]:
    """(stamp, first line of the reminder) for every pushed reminder the console printed (feedback prompts aside)."""
    found = re.findall(r"🔔 \[(.+?)\]\n\*\*\* (?!Feedback: ).+? \*\*\*\n(.+)", output)
    return [(stamp, first) for stamp, first in found]


async def test_console_subscribe_stream_1_and_advance_a_day_prints_each_stream_1_reminder_once_at_its_lead_time(
    tmp_path: Path,
) -> None:
    core = await make_core(tmp_path, at("2025-06-04T00:00"))
    try:
        channel, out = console_for(core)
        await channel.run(lines("subscribe 1", ":advance 1d"))
    finally:
        await core.close()
    output = plain(out.getvalue())
    blocks = pushed_blocks(output)
    assert [title for _stamp, title in blocks] == list(STREAM_1_DUE)
    for (stamp, title), due in zip(blocks, STREAM_1_DUE.values()):
        hour, minute = due.split(":")
        assert f"Jun 4, 2025, {int(hour) % 12 or 12}:{minute}:00" in stamp, (title, stamp)
    # each printed before the clock line that ends the advance, not batched after it
    assert output.rstrip().endswith("🕑 Jun 5, 2025, 12:00:00 AM")


async def test_site_visit_reminder_names_meeting_point_and_departure(tmp_path: Path) -> None:
    core = await make_core(tmp_path, at("2025-06-04T08:00"))
    try:
        channel, out = console_for(core)
        await channel.run(lines("/join s1-visit", ":at 2025-06-04T13:05"))
    finally:
        await core.close()
    text = plain(out.getvalue())
    assert "🔔 [Jun 4, 2025, 1:00:00 PM]" in text
    assert "The group leaves from Bus departure point, main entrance of the delegates' hotel at 1:30 PM, in 30 minutes." in text
    assert "What to bring: Name badge, comfortable shoes, water" in text


async def _subscribed_core(tmp_path: Path, when: dt.datetime, stream: str = "1") -> Core:
    core = await make_core(tmp_path, when)
    await Chat(core).say(f"/subscribe {stream}")
    return core


async def test_ten_restarts_in_a_row_add_no_duplicate_reminder(tmp_path: Path) -> None:
    core = await _subscribed_core(tmp_path, at("2025-06-04T08:00"))
    await core.close()
    for _ in range(10):
        core = await make_core(tmp_path, at("2025-06-04T08:00"))
        await core.close()
    core = await make_core(tmp_path, at("2025-06-04T08:00"))
    try:
        assert core.services.reminders.scheduled() == 3
        sender = RecordingSender()
        core.push.attach(sender)
        await advance(core, at("2025-06-05T00:00"))
        assert sorted(sender.titles()) == sorted(STREAM_1_DUE)
        assert await count(core, "SELECT COUNT(*) FROM sent_reminders") == 3
        assert await count(core, "SELECT COUNT(*) FROM outbox WHERE dedupe_key LIKE 'reminder:%'") == 3
    finally:
        await core.close()


async def test_restart_across_a_due_time_delivers_the_missed_reminder_once(tmp_path: Path) -> None:
    core = await _subscribed_core(tmp_path, at("2025-06-04T10:50"))
    await core.close()
    # down from 10:50 to 11:05: the 11:00 reminder for the 11:15 session was missed
    for restart_at in ("2025-06-04T11:05", "2025-06-04T11:06"):
        core = await make_core(tmp_path, at(restart_at))
        sender = RecordingSender()
        core.push.attach(sender)
        try:
            await core.wakeups.fire_due()
            await core.push.drain()
            delivered = sender.titles()
        finally:
            await core.close()
        if restart_at.endswith("11:05"):
            assert delivered == ["Stream 1: use-case presentations"]
        else:
            assert delivered == []


async def test_missed_reminder_whose_session_has_started_is_dropped_after_restart(tmp_path: Path) -> None:
    core = await _subscribed_core(tmp_path, at("2025-06-04T10:50"))
    await core.close()
    core = await make_core(tmp_path, at("2025-06-04T11:20"))
    try:
        sender = RecordingSender()
        core.push.attach(sender)
        await core.wakeups.fire_due()
        await core.push.drain()
        assert sender.sent == []
        assert await count(core, "SELECT COUNT(*) FROM sent_reminders") == 0
        assert "s1-cases" not in [sid for sid, _due in await core.services.reminders.pending(1)]
    finally:
        await core.close()


async def test_session_moved_in_the_programme_is_reminded_at_its_new_time_and_not_the_old(tmp_path: Path) -> None:
    core = await _subscribed_core(tmp_path, at("2025-06-04T08:00"))
    try:
        sender = RecordingSender()
        core.push.attach(sender)
        moved = edited_programme(tmp_path, "s1-cases", start="2025-06-04T17:00", end="2025-06-04T17:45")
        await core.programmes.reload(moved)
        await advance(core, at("2025-06-04T16:44"))
        assert "Stream 1: use-case presentations" not in sender.titles()
        sender.sent.clear()
        await advance(core, at("2025-06-04T17:00"))
        assert sender.titles() == ["Stream 1: use-case presentations"]
        assert "Starts at 5:00 PM, in 15 minutes." in plain(sender.sent[0][1][0].body)
    finally:
        await core.close()


async def test_session_moved_while_the_service_was_down_is_rescheduled_at_start_up(tmp_path: Path) -> None:
    core = await _subscribed_core(tmp_path, at("2025-06-04T08:00"))
    await core.close()
    moved = edited_programme(tmp_path, "s1-cases", start="2025-06-04T17:00", end="2025-06-04T17:45")
    core = await make_core(tmp_path, at("2025-06-04T08:00"), programme=moved)
    try:
        user = await core.users.find(Chat(core).ref)
        assert user is not None
        assert dict(await core.services.reminders.pending(user.id))["s1-cases"] == at("2025-06-04T16:45")
    finally:
        await core.close()


async def test_session_removed_from_the_programme_loses_its_pending_reminder(tmp_path: Path) -> None:
    core = await _subscribed_core(tmp_path, at("2025-06-04T08:00"))
    try:
        await core.programmes.reload(edited_programme(tmp_path, "s1-roundtable", remove="yes"))
        user = await core.users.find(Chat(core).ref)
        assert user is not None
        assert [sid for sid, _due in await core.services.reminders.pending(user.id)] == ["s1-cases", "s1-visit"]
    finally:
        await core.close()


def test_affected_sessions_are_those_moved_added_or_removed(tmp_path: Path) -> None:
    old = shipped(PROGRAMME)
    new = load_programme(edited_programme(tmp_path, "s1-cases", start="2025-06-04T11:20"))
    assert affected_sessions(old, new) == {"s1-cases"}
    assert affected_sessions(old, old) == set()


async def test_reminders_off_cancels_pending_reminders_and_on_restores_them(tmp_path: Path) -> None:
    core = await _subscribed_core(tmp_path, at("2025-06-04T08:00"))
    try:
        chat = Chat(core)
        sender = RecordingSender()
        core.push.attach(sender)
        out = await chat.say("/reminders off")
        assert "Reminders are off" in out
        assert core.services.reminders.scheduled() == 0
        await advance(core, at("2025-06-04T12:00"))
        assert sender.sent == []
        await chat.say("/reminders on")
        await advance(core, at("2025-06-05T00:00"))
        assert sender.titles() == list(STREAM_1_DUE)[1:]
    finally:
        await core.close()


async def test_unsubscribe_cancels_the_streams_pending_reminders(tmp_path: Path) -> None:
    core = await _subscribed_core(tmp_path, at("2025-06-04T08:00"))
    try:
        sender = RecordingSender()
        core.push.attach(sender)
        out = await Chat(core).say("/unsubscribe 1")
        assert "You no longer follow Stream 1" in out
        await advance(core, at("2025-06-05T00:00"))
        assert sender.sent == []
    finally:
        await core.close()


async def test_unsubscribe_keeps_the_reminder_of_a_bookmarked_session(tmp_path: Path) -> None:
    core = await _subscribed_core(tmp_path, at("2025-06-04T08:00"))
    try:
        chat = Chat(core)
        sender = RecordingSender()
        core.push.attach(sender)
        await chat.say("/bookmark s1-roundtable")
        await chat.say("/unsubscribe 1")
        await advance(core, at("2025-06-05T00:00"))
        assert sender.titles() == ["Stream 1 roundtable: planning for resilience with digital tools"]
    finally:
        await core.close()


async def test_changing_the_lead_time_reschedules_at_once(tmp_path: Path) -> None:
    core = await _subscribed_core(tmp_path, at("2025-06-04T08:00"))
    try:
        out = await Chat(core).say("/reminders 60")
        assert "60 minutes before a session starts" in out
        user = await core.users.find(Chat(core).ref)
        assert user is not None
        assert await core.services.reminders.pending(user.id) == [
            ("s1-cases", at("2025-06-04T10:15")),
            ("s1-visit", at("2025-06-04T12:30")),
            ("s1-roundtable", at("2025-06-04T15:30")),
        ]
    finally:
        await core.close()


async def test_a_lead_time_that_is_not_minutes_is_refused_and_the_setting_kept(chat: Chat) -> None:
    await chat.say("/reminders 20")
    for bad in ("/reminders soon", "/reminders 0", "/reminders 2000", "/reminders 30s"):
        assert "I could not read" in await chat.say(bad)
    assert "20 minutes before a session starts" in await chat.say("/reminders")


async def test_reminder_is_written_to_the_outbox_with_a_dedupe_key_before_delivery(tmp_path: Path) -> None:
    core = await _subscribed_core(tmp_path, at("2025-06-04T10:59"))
    try:
        assert isinstance(core.clock, ManualClock)
        await core.clock.set(at("2025-06-04T11:00"))
        await core.wakeups.fire_due()
        rows = await core.db.fetchall("SELECT dedupe_key, status FROM outbox")
        assert [(r[0], r[1]) for r in rows] == [("reminder:session:s1-cases:20250604T0315", "pending")]  # keyed by its moment (UTC)
    finally:
        await core.close()


async def test_reminder_is_rendered_in_the_delegates_language(tmp_path: Path) -> None:
    core = await make_core(tmp_path, at("2025-06-04T08:00"))
    try:
        chat = Chat(core, language="zh-CN")
        await chat.say("订阅分论坛1")
        sender = RecordingSender()
        core.push.attach(sender)
        await advance(core, at("2025-06-04T11:00"))
        body = sender.sent[0][1][0].body
        assert "分论坛一" in body  # the session title in Chinese
        assert "（15分钟后）开始。" in body
    finally:
        await core.close()


async def test_starting_the_core_arms_apscheduler_for_the_next_due_reminder(tmp_path: Path) -> None:
    core = await _subscribed_core(tmp_path, at("2025-06-04T10:00"))
    try:
        before = dt.datetime.now(dt.timezone.utc)
        await core.start()
        job = core.wakeups._scheduler.get_job(JOB_ID)
        # the 11:00 reminder is one hour of service time away, whatever the wall clock says; the panel's
        # feedback round (10:55, five minutes before it ends) comes first and is what the timer waits for
        assert await core.services.reminders.next_due() == at("2025-06-04T11:00")
        due = await core.wakeups.next_due()
        assert due is not None and due <= at("2025-06-04T11:00")
        expected = before + (due - at("2025-06-04T10:00"))
        assert abs((job.next_run_time - expected).total_seconds()) < 5
    finally:
        await core.close()
    assert core.wakeups._scheduler is None


async def test_a_sent_reminder_is_not_sent_again_when_a_shorter_lead_brings_it_back(tmp_path: Path) -> None:
    core = await _subscribed_core(tmp_path, at("2025-06-04T10:50"))
    try:
        sender = RecordingSender()
        core.push.attach(sender)
        await advance(core, at("2025-06-04T11:02"))
        assert sender.titles() == ["Stream 1: use-case presentations"]
        await Chat(core).say("/reminders 5")  # would fall due again at 11:10
        await advance(core, at("2025-06-04T11:14"))
        assert sender.titles() == ["Stream 1: use-case presentations"]
        assert await count(core, "SELECT COUNT(*) FROM sent_reminders") == 1
    finally:
        await core.close()


async def test_the_database_refuses_a_second_record_of_the_same_reminder(core: Core) -> None:
    await Chat(core).say("/start")
    insert = "INSERT INTO sent_reminders (user_id, session_id, kind, due_at, sent_at) VALUES (1, 's1-cases', 'session', 'x', 'y')"
    await core.db.execute(insert)
    with pytest.raises(sqlite3.IntegrityError):
        await core.db.execute(insert)


async def test_a_session_moved_to_another_stream_leaves_the_old_streams_followers(tmp_path: Path) -> None:
    core = await _subscribed_core(tmp_path, at("2025-06-04T08:00"))
    try:
        await core.programmes.reload(edited_programme(tmp_path, "s1-roundtable", stream="s2"))
        user = await core.users.find(Chat(core).ref)
        assert user is not None
        assert "s1-roundtable" not in dict(await core.services.reminders.pending(user.id))
    finally:
        await core.close()


async def test_a_bookmarked_session_moved_in_the_programme_is_rescheduled_for_its_bookmarker(tmp_path: Path) -> None:
    core = await make_core(tmp_path, at("2025-06-04T08:00"))
    try:
        chat = Chat(core, "bob")
        await chat.say("/bookmark wrap-up")
        await core.programmes.reload(edited_programme(tmp_path, "wrap-up", start="2025-06-06T15:00", end="2025-06-06T16:00"))
        user = await core.users.find(chat.ref)
        assert user is not None
        assert await core.services.reminders.pending(user.id) == [("wrap-up", at("2025-06-06T14:45"))]
    finally:
        await core.close()


@pytest.mark.parametrize("text", ["提醒 20分钟", "/reminders 20 min", "remind me 20min", "提醒20"])
async def test_a_lead_time_in_minutes_in_either_language(chat: Chat, text: str) -> None:
    chat.language = "en"  # an English reader (their platform says so) typing either language's words
    assert "Saved. Reminders are on: 20 minutes before" in await chat.say(text)


@pytest.mark.parametrize("off, on", [("reminders off", "reminders on"), ("提醒 关闭", "提醒 开启"), ("关闭提醒", "打开提醒")])
async def test_reminders_off_and_on_in_either_language(chat: Chat, off: str, on: str) -> None:
    chat.language = "en"
    assert "Reminders are off." in await chat.say(off)
    assert "Saved. Reminders are on" in await chat.say(on)
    await chat.say("/reminders 45")
    assert "Reminders are on: 15 minutes before a session" in await chat.say("提醒 默认")


@pytest.mark.parametrize("text", ["subscribe to stream 2", "follow track 2", "订阅分论坛2", "关注分论坛二", "/subscribe 论坛 二"])
async def test_a_stream_named_in_either_language(chat: Chat, text: str) -> None:
    chat.language = "en"
    assert "You now follow Stream 2" in await chat.say(text)


async def test_a_burst_of_reminders_is_planned_backwards_so_the_last_is_not_late(tmp_path: Path) -> None:
    """100 followers of one stream on a channel that sends 10 a second: the reminders start 10.9 s early.

    The last goes out a second (BURST_MARGIN) before the lead time, so that its send's round trip does not make it late.
    """
    from bot.notify.reminders import BURST_MARGIN
    from tests.notify.helpers import RecordingSender

    core = await make_core(tmp_path, at("2025-06-05T10:00"))
    try:
        slow = RecordingSender(channel="slow")
        slow.rate_per_second = 10  # type: ignore[attr-defined]
        core.push.attach(slow)
        for n in range(100):
            await Chat(core, f"d{n}", channel="slow").say("/subscribe 3")
        await core.services.reminders.reconcile()
        dues = []
        for uid in range(1, 101):
            dues += [due for sid, due in await core.services.reminders.pending(uid) if sid == "s3-cases"]
        dues.sort()
        assert len(dues) == 100
        lead = at("2025-06-05T13:30")  # 15 minutes before 13:45
        assert dues[-1] == lead - BURST_MARGIN
        assert dues[0] == lead - BURST_MARGIN - dt.timedelta(seconds=9.9)
        assert all(b - a == dt.timedelta(seconds=0.1) for a, b in zip(dues, dues[1:]))
    finally:
        await core.close()
