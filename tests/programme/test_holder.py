"""Reloading the programme in force: off the event loop, one version at a time, and a watcher nothing stops."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from pathlib import Path

import pytest

from bot.programme import ProgrammeError, ProgrammeHolder
from bot.programme import loader, reader
from tests.conftest import DATA, Chat
from tests.programme.test_reading import ALIAS_BOMB, generated

MINIMAL = (DATA / "minimal.yaml").read_text(encoding="utf-8")
DEEP = "".join(" " * i + "k:\n" for i in range(1000))


def edit(path: Path, text: str, stamp: int) -> None:
    """Write ``text`` and give the file a new modification time (the watcher's signal)."""
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(stamp, stamp))


@pytest.fixture
def live(tmp_path: Path) -> tuple[Path, ProgrammeHolder]:
    path = tmp_path / "live.yaml"
    edit(path, MINIMAL, 10**18)
    return path, ProgrammeHolder.from_file(path)


@pytest.mark.parametrize("hostile", [ALIAS_BOMB, DEEP, "event: " + "[" * 1000 + "]" * 1000], ids=["alias bomb", "deep blocks", "deep flow"])
async def test_a_hostile_file_is_logged_and_the_next_good_edit_is_read(
    live: tuple[Path, ProgrammeHolder], hostile: str, caplog: pytest.LogCaptureFixture
) -> None:
    path, holder = live
    before = holder.programme
    edit(path, hostile, 2 * 10**18)
    with caplog.at_level(logging.ERROR, logger="bot.programme.holder"):
        assert not await holder.reload_if_changed()
    assert holder.programme is before
    (record,) = caplog.records
    assert "not reloaded; the previous version stays in force" in record.getMessage()
    assert f"{path}:" in record.getMessage()
    edit(path, MINIMAL.replace("title: A talk", "title: A moved talk"), 3 * 10**18)
    assert await holder.reload_if_changed()
    assert holder.agenda.session("talk").title == "A moved talk"


async def test_the_file_is_read_in_another_thread(live: tuple[Path, ProgrammeHolder], monkeypatch: pytest.MonkeyPatch) -> None:
    path, holder = live
    seen: list[int] = []
    read = loader.read_document

    def spying(text: str, where: str = "<programme>"):
        seen.append(threading.get_ident())
        return read(text, where)

    monkeypatch.setattr(reader, "read_document", spying)
    monkeypatch.setattr(loader, "read_document", spying)
    edit(path, MINIMAL.replace("title: A talk", "title: Elsewhere"), 2 * 10**18)
    assert await holder.reload_if_changed()
    assert seen and threading.get_ident() not in seen


async def test_delegates_are_answered_from_the_old_version_while_the_new_one_is_read(core, monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    started = threading.Event()
    load = reader.load_agenda

    def slow(path: Path):
        started.set()
        assert release.wait(10), "the test did not let the reader finish"
        return load(path)

    monkeypatch.setattr(reader, "load_agenda", slow)
    before = core.programmes.programme
    reloading = asyncio.create_task(core.programmes.reload())
    await asyncio.to_thread(started.wait, 10)
    answer = await Chat(core).say("/session opening")  # answered while the reader is still reading
    assert "Introductory session" in answer
    assert not reloading.done() and core.programmes.programme is before
    release.set()
    await reloading
    assert core.programmes.programme is not before


async def test_reloads_run_one_at_a_time(live: tuple[Path, ProgrammeHolder], monkeypatch: pytest.MonkeyPatch) -> None:
    path, holder = live
    inside = 0
    most = 0
    load = reader.load_agenda

    def counting(p: Path):
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        try:
            threading.Event().wait(0.02)
            return load(p)
        finally:
            inside -= 1

    monkeypatch.setattr(reader, "load_agenda", counting)
    await asyncio.gather(*(holder.reload() for _ in range(4)))
    assert most == 1


async def test_the_watch_goes_on_after_a_failure(live: tuple[Path, ProgrammeHolder], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    path, holder = live
    calls = 0
    second = asyncio.Event()

    async def flaky() -> bool:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("disk on fire")
        second.set()
        return False

    monkeypatch.setattr(holder, "reload_if_changed", flaky)
    watching = asyncio.create_task(holder.watch(interval=0))
    with caplog.at_level(logging.ERROR, logger="bot.programme.holder"):
        await asyncio.wait_for(second.wait(), 10)
    watching.cancel()
    with pytest.raises(asyncio.CancelledError):
        await watching
    assert "still watching for the next edit" in caplog.text


async def test_a_failing_listener_neither_undoes_the_reload_nor_silences_the_others(
    live: tuple[Path, ProgrammeHolder], caplog: pytest.LogCaptureFixture
) -> None:
    path, holder = live
    heard: list[str] = []

    async def broken(old, new) -> None:
        raise RuntimeError("listener bug")

    async def fine(old, new) -> None:
        heard.append(new.sessions[1].title)

    holder.on_change(broken)
    holder.on_change(fine)
    edit(path, MINIMAL.replace("title: A talk", "title: Heard"), 2 * 10**18)
    with caplog.at_level(logging.ERROR, logger="bot.programme.holder"):
        assert await holder.reload_if_changed()
    assert heard == ["Heard"] and holder.agenda.session("talk").title == "Heard"
    assert "failed on it" in caplog.text


async def test_a_large_file_is_read_in_a_child_process(tmp_path: Path) -> None:
    path = tmp_path / "congress.yaml"
    path.write_text(generated(450), encoding="utf-8")
    agenda = await reader.read_agenda(path, in_thread_bytes=0)
    assert agenda.programme == loader.load_programme(path)
    assert len(agenda.sessions) == 450


async def test_a_child_reports_the_problems_of_the_file_with_their_places(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.replace("stream: s1", "stream: s9"), encoding="utf-8")
    with pytest.raises(ProgrammeError) as info:
        await reader.read_agenda(bad, in_thread_bytes=0)
    assert [str(p) for p in info.value.problems] == [f"{bad}:25:13: session 'talk' names unknown stream 's9'"]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(ALIAS_BOMB, encoding="utf-8")
    with pytest.raises(ProgrammeError, match="repeat more than"):
        await reader.read_agenda(bomb, in_thread_bytes=0)


async def test_a_child_that_dies_is_a_problem_of_the_file_not_of_the_bot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    (tmp_path / "sitecustomize.py").write_text("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="bot.programme.reader"), pytest.raises(ProgrammeError) as info:
        await reader.read_agenda(path, in_thread_bytes=0)
    assert "the reader stopped: signal 9" in str(info.value)
    assert "the programme reader stopped" in caplog.text


def test_an_old_version_nobody_holds_is_taken_apart_and_one_still_in_use_is_left_alone() -> None:
    import gc
    import weakref

    from bot.programme import Agenda, parse_programme

    programme = parse_programme(generated(30))
    in_use = Agenda(programme)
    box = [in_use]
    reader.release(box)
    assert box == [] and in_use.session("s00001") is not None  # a request still reading it is not disturbed
    del in_use
    unheld = Agenda(parse_programme(generated(30)))
    gone = weakref.ref(unheld)
    box = [unheld]
    del unheld
    reader.release(box)
    gc.collect()
    assert gone() is None


def test_the_collector_is_paused_while_a_version_is_built_and_then_as_before() -> None:
    import gc

    assert gc.isenabled()
    with reader.collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with reader.collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


async def test_calendars_let_the_event_loop_in_while_they_hash_the_new_version(core, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hashing every session for the calendars' revisions took 0.35-0.45 s of the loop at 4,000 sessions, in one go."""
    from bot import calendars

    monkeypatch.setattr(calendars, "SLICE", 0.0)  # let others in after every session
    ticks = 0
    seen: list[int] = []
    hashed = calendars.digest

    def spying(programme, session):
        seen.append(ticks)
        return hashed(programme, session)

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    monkeypatch.setattr(calendars, "digest", spying)
    task = asyncio.create_task(ticker())
    try:
        await core.programmes.reload()
    finally:
        task.cancel()
    sessions = len(core.programmes.programme.sessions)
    assert len(seen) == sessions and len(set(seen)) >= sessions - 1  # the ticker ran between (nearly) every two
    assert core.services.calendars.revisions().keys() == {s.id for s in core.programmes.programme.sessions}


async def test_feedback_rounds_of_the_new_version_are_worked_out_in_another_thread(core, monkeypatch: pytest.MonkeyPatch) -> None:
    """0.16 s at 16,000 sessions, which the next wake-up would otherwise spend on the event loop."""
    from bot.feedback import prompts

    threads: set[int] = set()
    real = prompts.questionnaire

    def spying(programme, session):
        threads.add(threading.get_ident())
        return real(programme, session)

    monkeypatch.setattr(prompts, "questionnaire", spying)
    await core.programmes.reload()
    assert threads and threading.get_ident() not in threads
    threads.clear()
    await core.wakeups.next_due()
    assert not threads  # already known for this version


async def test_the_search_index_of_a_new_version_is_built_in_another_thread(core, monkeypatch: pytest.MonkeyPatch) -> None:
    """0.3 s at 1,000 sessions, which a delegate's first search after the reload would otherwise spend on the loop."""
    from bot.understanding.search import SearchIndex

    threads: set[int] = set()
    build = SearchIndex.__init__

    def spying(self, agenda):
        threads.add(threading.get_ident())
        build(self, agenda)

    monkeypatch.setattr(SearchIndex, "__init__", spying)
    await core.programmes.reload()
    assert threads and threading.get_ident() not in threads
    threads.clear()
    SearchIndex.of(core.programmes.agenda)
    assert not threads  # the first search finds it built


async def test_a_childs_sessions_come_in_small_frames_each_unpickled_apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One pickle of the whole outcome held the event loop 15-35 ms at 16,000 sessions while it was unpickled."""
    import pickle

    path = tmp_path / "congress.yaml"
    path.write_text(generated(120), encoding="utf-8")
    head, chunks = await reader._read_in_child(path)
    assert head["sessions"] == [] and len(chunks) == 3  # 50, 50 and 20 sessions
    sizes: list[int] = []
    real = pickle.loads

    def spying(data: bytes):
        found = real(data)
        sizes.append(len(found))
        return found

    monkeypatch.setattr(reader.pickle, "loads", spying)
    agenda = reader._agenda_from_chunks(path, head, chunks)
    assert sizes == [50, 50, 20]
    assert agenda.programme == loader.load_programme(path)


async def test_a_child_output_cut_short_is_noticed() -> None:
    import pickle

    stream = asyncio.StreamReader()
    first = pickle.dumps(("programme", {}, 2))
    stream.feed_data(reader._LENGTH.pack(len(first)) + first + reader._LENGTH.pack(100) + b"x" * 40)
    stream.feed_eof()
    with pytest.raises(reader._ChildStopped):
        await reader._frames(stream)


def test_collector_pauses_may_overlap_and_the_collector_comes_back_after_the_last(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    assert gc.isenabled()
    outer = reader.collector_paused()
    outer.__enter__()
    with reader.collector_paused():  # the search index built while a version is read
        pass
    assert not gc.isenabled()
    outer.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_new_version_is_frozen_only_where_the_service_keeps_its_objects_out_of_collections(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    freezes: list[int] = []

    def never() -> int:
        raise AssertionError("gc.get_freeze_count() walks every frozen object with the interpreter held")

    monkeypatch.setattr(gc, "get_freeze_count", never)
    monkeypatch.setattr(gc, "freeze", lambda: freezes.append(1))
    monkeypatch.setattr(reader, "_frozen", False)
    with reader.collector_paused():
        pass
    assert freezes == []
    reader.keep_out_of_collections()
    assert freezes == [1]
    with reader.collector_paused():
        pass
    assert freezes == [1, 1]


async def test_an_old_version_goes_with_its_search_index_and_understanding_a_piece_at_a_time(
    live: tuple[Path, ProgrammeHolder], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kept in weak-key dictionaries whose values held the agenda, every old version stayed for good;
    freed in one go, a 16,000-session version and its search index held the interpreter 0.1-0.3 s."""
    import gc
    import weakref

    from bot.understanding.search import SearchIndex
    from bot.understanding.understand import understanding_for

    path, holder = live
    index = SearchIndex.of(holder.agenda)
    kept = index.search("talk")  # a delegate paging through results still reads them after the reload
    understanding_for(holder.agenda, ["en"])
    old = weakref.ref(holder.agenda)
    opened: list[str] = []
    real = reader._opened

    def spying(item, depth):
        opened.append(type(item).__name__)
        return real(item, depth)

    monkeypatch.setattr(reader, "_opened", spying)
    del index
    gc.disable()  # gone by reference counts alone, not by the collector
    try:
        edit(path, MINIMAL.replace("title: A talk", "title: A moved talk"), 2 * 10**18)
        assert await holder.reload_if_changed()
        assert old() is None
    finally:
        gc.enable()
    assert {"Agenda", "Understanding"} <= set(opened) and "SearchIndex" not in opened  # the index is still read
    assert kept and kept[0].session is not None and kept[0].matches
    opened.clear()
    agenda = holder.agenda
    SearchIndex.of(agenda)
    box = [agenda]
    del agenda
    holder._agenda = reader.load_agenda(path)  # the version in force replaced, as by a reload
    reader.release(box)
    assert {"Agenda", "SearchIndex"} <= set(opened)  # nobody reads this one's index: taken apart too


def test_release_leaves_whatever_someone_else_holds_as_it_was() -> None:
    from bot.programme import Agenda, parse_programme

    agenda = Agenda(parse_programme(generated(100)))
    by_id = agenda._by_id
    sessions = list(agenda.sessions)
    held = sessions[0]
    before = dict(vars(held))
    reader.release([agenda])
    assert len(by_id) == 100 and vars(held) == before and held.title
    assert all(s.id for s in sessions)


async def test_change_notices_compare_the_versions_with_the_collector_paused_and_free_both_sides_in_pieces(
    core, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    opened: list[tuple[int, bool]] = []
    real = reader._opened

    def spying(item, depth):
        if depth == 0 and isinstance(item, dict):
            opened.append((len(item), gc.isenabled()))
        return real(item, depth)

    monkeypatch.setattr(reader, "_opened", spying)
    await core.programmes.reload()
    sessions = len(core.programmes.programme.sessions)
    assert opened.count((sessions, False)) == 2  # what delegates were told, and what is now
