"""Programme-change notices: each kind of change, only those concerned, once, after a quiet period; /reload."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.notify.changes import diff
from bot.roles import Role, Scope
from tests.conftest import PROGRAMME, Chat, at, make_core
from tests.formats import plain, time, weekday
from tests.notify.helpers import RecordingSender


def programme_copy(tmp_path: Path) -> Path:
    path = tmp_path / "programme.yaml"
    path.write_text(PROGRAMME.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


ROUNDTABLE_START = "    start: 2025-06-05T11:40\n    end: 2025-06-05T12:30\n    venue: care-centre\n"


async def notices(core, sender: RecordingSender) -> dict[str, str]:
    """Let the notice fall due, and what each delegate read."""
    await core.clock.advance(dt.timedelta(minutes=2))
    await core.wakeups.fire_due()
    await core.push.drain()
    return {user.platform_id: plain(replies[0].body) for user, replies in sender.sent if replies[0].title in ("Changes in the programme", "A change in the programme", "日程变更")}


@pytest.fixture
async def setup(tmp_path: Path):
    path = programme_copy(tmp_path)
    core = await make_core(tmp_path, at("2025-06-05T08:00"), programme=path)
    sender = RecordingSender()
    core.push.attach(sender)
    alice, bob, li = Chat(core, "alice"), Chat(core, "bob"), Chat(core, "li", language="zh-CN")
    await alice.say("/bookmark s2-roundtable")
    await li.say("/subscribe 2")
    await bob.say("/bookmark s1-cases")  # not concerned by Stream 2
    try:
        yield core, path, sender
    finally:
        await core.close()


async def test_the_first_start_records_what_delegates_know_and_tells_nobody(setup) -> None:
    core, _path, sender = setup
    assert len(await core.services.changes.baseline()) == len(core.programmes.programme.sessions)
    assert await notices(core, sender) == {}


async def test_a_moved_session_is_told_to_those_concerned_old_to_new_in_their_zone(setup) -> None:
    core, path, sender = setup
    await Chat(core, "alice").say("/timezone Europe/Madrid")
    edit(path, ROUNDTABLE_START, "    start: 2025-06-06T14:00\n    end: 2025-06-06T15:00\n    venue: care-centre\n")
    await core.programmes.reload()
    told = await notices(core, sender)
    assert set(told) == {"alice", "li"}
    madrid = ZoneInfo("Europe/Madrid")
    old, new = at("2025-06-05T11:40"), at("2025-06-06T14:00")
    thursday, friday = weekday("2025-06-05"), weekday("2025-06-06")
    assert f"{thursday} {time(old, zone=madrid)} → {friday} {time(new, zone=madrid)}" in told["alice"]  # her own zone
    assert "→" in told["li"] and "分论坛二圆桌讨论" in told["li"]
    assert await notices(core, sender) == told  # once: nothing more the next time


@pytest.mark.parametrize(
    "old, new, kinds",
    [
        (ROUNDTABLE_START, ROUNDTABLE_START.replace("care-centre", "plenary-hall"), {"venue"}),
        ('      en: "Stream 2 roundtable: a caring and inclusive city for all generations"', '      en: "Stream 2 roundtable: caring cities"', {"title"}),
        (ROUNDTABLE_START, ROUNDTABLE_START + "    cancelled: true\n", {"cancelled"}),
    ],
)
async def test_each_kind_of_change_is_found(setup, old: str, new: str, kinds: set[str]) -> None:
    core, path, _sender = setup
    before = core.services.changes.current()
    edit(path, old, new)
    await core.programmes.reload()
    found = diff(before, core.services.changes.current())
    assert [(c.session_id, set(c.kinds)) for c in found] == [("s2-roundtable", kinds)]


async def test_a_removed_session_is_cancelled_and_a_new_one_in_a_followed_stream_is_announced(setup) -> None:
    core, path, sender = setup
    text = path.read_text(encoding="utf-8")
    start = text.index("  - id: s2-roundtable")
    end = text.index("  - id: ", start + 10)
    block = text[start:end]
    path.write_text(text[:start] + block.replace("s2-roundtable", "s2-roundtable-b").replace("2025-06-05T11:40", "2025-06-05T12:00") + text[end:], encoding="utf-8")
    await core.programmes.reload()
    found = {c.session_id: set(c.kinds) for c in diff(await core.services.changes.baseline(), core.services.changes.current())}
    assert found == {"s2-roundtable": {"cancelled"}, "s2-roundtable-b": {"added"}}
    told = await notices(core, sender)
    assert "cancelled" in told["alice"] and "New:" not in told["alice"]  # she bookmarked it; she does not follow the stream
    assert "已取消" in told["li"] and "新增" in told["li"]  # li follows Stream 2


async def test_edits_within_the_quiet_period_make_one_notice(setup) -> None:
    core, path, sender = setup
    edit(path, ROUNDTABLE_START, ROUNDTABLE_START.replace("care-centre", "plenary-hall"))
    await core.programmes.reload()
    await core.clock.advance(dt.timedelta(minutes=1))
    await core.wakeups.fire_due()
    edit(path, "    start: 2025-06-05T11:40", "    start: 2025-06-05T11:50")
    await core.programmes.reload()  # restarts the quiet period
    await core.clock.advance(dt.timedelta(minutes=1))
    await core.wakeups.fire_due()
    await core.push.drain()
    assert [u for u, _r in sender.sent] == []  # not yet: the second edit restarted the wait
    told = await notices(core, sender)
    assert set(told) == {"alice", "li"}
    assert "now in" in told["alice"] and "→" in told["alice"]  # both changes, one message
    assert len([u for u, r in sender.sent if u.platform_id == "alice"]) == 1


async def test_an_edit_made_while_the_bot_was_down_is_told_after_the_restart(tmp_path: Path) -> None:
    path = programme_copy(tmp_path)
    core = await make_core(tmp_path, at("2025-06-05T08:00"), programme=path)
    await Chat(core, "alice").say("/bookmark s2-roundtable")
    await core.close()
    edit(path, ROUNDTABLE_START, ROUNDTABLE_START.replace("care-centre", "plenary-hall"))
    core = await make_core(tmp_path, at("2025-06-05T08:30"), programme=path)
    try:
        sender = RecordingSender()
        core.push.attach(sender)
        told = await notices(core, sender)
        assert "now in Plenary hall" in told["alice"]
    finally:
        await core.close()


async def test_a_session_moved_after_its_reminder_is_reminded_again_at_its_new_time(setup) -> None:
    core, path, sender = setup
    await core.clock.set(at("2025-06-05T11:26"))
    await core.wakeups.fire_due()
    await core.push.drain()
    reminded = [u.platform_id for u, r in sender.sent if r[0].title in ("Reminder", "提醒")]
    assert sorted(reminded) == ["alice", "li"]
    edit(path, "    start: 2025-06-05T11:40", "    start: 2025-06-05T12:40")
    edit(path, "    end: 2025-06-05T12:30\n    venue: care-centre", "    end: 2025-06-05T13:30\n    venue: care-centre")
    await core.programmes.reload()
    await core.clock.set(at("2025-06-05T12:26"))
    await core.wakeups.fire_due()
    await core.push.drain()
    again = [u.platform_id for u, r in sender.sent if r[0].title in ("Reminder", "提醒")]
    assert sorted(again) == ["alice", "alice", "li", "li"]


async def test_reload_in_the_chat_refuses_a_broken_file_and_keeps_the_old_programme(setup) -> None:
    core, path, _sender = setup
    boss = Chat(core, "boss")
    assert "only for the event's organisers" in await boss.say("/reload")
    await core.services.roles.grant(boss.ref, Role.ORGANISER, Scope(), by="cli:test", source="command line", now=core.clock.now())
    path.write_text(path.read_text(encoding="utf-8").replace("    start: 2025-06-05T11:40", "    start: not a time"), encoding="utf-8")
    out = await boss.say("/reload")
    assert "Reload refused" in out and f"{path}:" in out and "start" in out
    assert core.programmes.agenda.session("s2-roundtable").start == at("2025-06-05T11:40")  # type: ignore[union-attr]
    path.write_text(path.read_text(encoding="utf-8").replace("    start: not a time", "    start: 2025-06-05T11:45"), encoding="utf-8")
    out = await boss.say("/reload")
    assert "Programme reloaded" in out and "1 session changed" in out and "→" in out
    actions = [e.action for e in await core.services.audit.recent(10)]
    assert "programme.refused" in actions and "programme.reloaded" in actions


async def test_the_wake_up_path_asks_when_a_notice_goes_without_comparing_every_session(setup, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the notice will say compares every session (0.6 s at 16,000): only the notice itself, and /changes, need it."""
    from bot.notify import changes as module

    core, path, sender = setup
    edit(path, ROUNDTABLE_START, ROUNDTABLE_START.replace("care-centre", "plenary-hall"))
    await core.programmes.reload()
    compared = 0
    real = module.diff

    def counting(*args):
        nonlocal compared
        compared += 1
        return real(*args)

    monkeypatch.setattr(module, "diff", counting)
    assert await core.services.changes.next_due() == at("2025-06-05T08:00") + core.services.changes.quiet
    await core.wakeups.next_due()
    await core.wakeups.fire_due()  # not yet due
    assert compared == 0
    told = await notices(core, sender)
    assert set(told) == {"alice", "li"} and compared == 1
