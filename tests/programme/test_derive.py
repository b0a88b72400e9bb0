"""What a programme version derives (search index, understanding) is built in a worker thread, once, never on the loop."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bot.app import Core
from bot.programme.agenda import Agenda
from bot.understanding import search as search_module
from bot.understanding import understand as understand_module
from tests.conftest import PROGRAMME, Chat, shipped


async def test_one_build_in_a_worker_thread_however_many_wait() -> None:
    agenda = Agenda(shipped(PROGRAMME))
    loop_thread = threading.get_ident()
    builds: list[int] = []
    release = threading.Event()

    def build() -> str:
        builds.append(threading.get_ident())
        release.wait(5)
        agenda.derived["thing"] = "built"
        return "built"

    waiting = [asyncio.ensure_future(agenda.derive("thing", build)) for _ in range(5)]
    await asyncio.sleep(0)
    while not builds:  # the loop runs on while the thread builds
        await asyncio.sleep(0.001)
    assert not any(w.done() for w in waiting)
    release.set()
    assert await asyncio.gather(*waiting) == ["built"] * 5
    assert len(builds) == 1 and builds[0] != loop_thread


async def test_a_build_that_failed_is_tried_again() -> None:
    agenda = Agenda(shipped(PROGRAMME))
    attempts = []

    def build() -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise MemoryError("the first time")
        return len(attempts)

    with pytest.raises(MemoryError):
        await agenda.derive("thing", build)
    assert await agenda.derive("thing", build) == 2


@pytest.mark.parametrize("text", ["/search Bogotá", "Bogotá Metro Cable", "/session no-such-id", "/info wifi password"])
async def test_a_request_just_after_a_reload_never_builds_the_index_or_the_understanding_on_the_loop(
    core: Core, monkeypatch: pytest.MonkeyPatch, text: str,
) -> None:
    """As just after a reload: nothing derived yet. The request waits for a worker thread to build both."""
    agenda = core.programmes.agenda
    agenda.derived.clear()
    loop_thread = threading.get_ident()
    built_in: dict[str, int] = {}
    index_init, understanding_init = search_module.SearchIndex.__init__, understand_module.Understanding.__init__

    def index(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        built_in["search"] = threading.get_ident()
        index_init(self, *args, **kwargs)

    def understanding(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        built_in["understanding"] = threading.get_ident()
        understanding_init(self, *args, **kwargs)

    monkeypatch.setattr(search_module.SearchIndex, "__init__", index)
    monkeypatch.setattr(understand_module.Understanding, "__init__", understanding)
    reply = await Chat(core, "just-after-the-reload").say(text)
    assert reply
    assert built_in and loop_thread not in built_in.values(), built_in
