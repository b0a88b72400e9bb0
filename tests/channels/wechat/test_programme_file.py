"""A hostile file put in the watched programme's place: refused and logged, the watch goes on, followers are answered.

Issue 14's row: a 300-byte alias bomb or 1,000-deep nesting once blocked the
event loop for 16.8 s and killed the watcher silently.  Here the real
watcher (``ProgrammeHolder.watch``, as ``delegate-bot run`` starts it) reads
each edit while a follower talks to ``/wechat`` over HTTP on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.app import Core
from tests.channels.wechat.kit import FakeWeChatAPI, wechat_rig
from tests.conftest import PROGRAMME, at, make_core
from tests.programme.test_reading import ALIAS_BOMB

DEEP_BLOCKS = "".join(" " * i + "k:\n" for i in range(1000))
DEEP_FLOW = "event: " + "[" * 1000 + "]" * 1000


def edit(path: Path, text: str, stamp: int) -> None:
    """Write ``text`` with a new modification time (what the watcher looks at)."""
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(stamp, stamp))


async def until(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    """Wait for the watcher (which reads the file in a thread) to have done something."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        assert loop.time() < deadline, "the watcher did not get to the edit"
        await asyncio.sleep(0.01)


@pytest.fixture
async def watched(tmp_path: Path) -> AsyncIterator[tuple[Core, Path]]:
    path = tmp_path / "programme.yaml"
    shutil.copy(PROGRAMME, path)
    os.utime(path, ns=(10**18, 10**18))
    core = await make_core(tmp_path, at("2025-06-05T10:00"), programme=path)
    yield core, path
    await core.close()


@pytest.mark.parametrize("hostile", [ALIAS_BOMB, DEEP_BLOCKS, DEEP_FLOW], ids=["alias bomb", "deep blocks", "deep flow"])
async def test_a_hostile_programme_file_is_logged_the_watch_goes_on_and_followers_are_answered(
    watched: tuple[Core, Path], fake_api: FakeWeChatAPI, hostile: str, caplog: pytest.LogCaptureFixture
) -> None:
    core, path = watched
    good = path.read_text(encoding="utf-8")
    before = core.programmes.programme
    async with wechat_rig(core, fake_api) as rig:
        alice = rig.follower()
        watching = asyncio.create_task(core.programmes.watch(interval=0))
        try:
            with caplog.at_level(logging.ERROR, logger="bot.programme.holder"):
                edit(path, hostile, 2 * 10**18)
                answer = await alice.say("/session opening")  # while the watcher reads the hostile file, or after
                assert answer.status == 200 and answer.text is not None and "Introductory session" in answer.text
                await until(lambda: "not reloaded" in caplog.text)
            assert core.programmes.programme is before
            (record,) = [r for r in caplog.records if "not reloaded" in r.getMessage()]
            assert f"{path}:" in record.getMessage()

            edit(path, good.replace("en: Introductory session\n", "en: Opening plenary\n", 1), 3 * 10**18)
            await until(lambda: core.programmes.programme is not before)
            answer = await alice.say("/session opening")
            assert answer.status == 200 and answer.text is not None and "Opening plenary" in answer.text
            assert not watching.done()
        finally:
            watching.cancel()
            with pytest.raises(asyncio.CancelledError):
                await watching
