"""Shared fixtures: a core on a fixed clock with a fresh database, and a recording console."""

from __future__ import annotations

import datetime as dt
import functools
import io
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import Core, build_core
from bot.channels.console import ConsoleChannel, render
from bot.clock import ManualClock
from bot.config import Settings
from bot.conversation import Reply, Request, UserRef
from bot.programme import Programme, load_programme

ROOT = Path(__file__).resolve().parent.parent
PROGRAMME = ROOT / "data" / "programme.yaml"
SEMINAR = ROOT / "data" / "examples" / "seminar-2023.yaml"
SHARED = ROOT.parent / "shared"
DATA = Path(__file__).resolve().parent / "data"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> dt.datetime:
    """An instant in Guangzhou time: ``at("2025-06-05T10:00")``."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def shared_path(*parts: str) -> Path:
    """A file under ../shared, or skip the test where that folder is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (../shared is not beside this clone)")
    return path


@functools.cache
def shipped(path: Path) -> Programme:
    """A shipped programme, parsed once per test session (it is immutable, so tests share it)."""
    return load_programme(path)


async def make_core(tmp_path: Path, when: dt.datetime, programme: Path = PROGRAMME, db_name: str = "bot.sqlite3") -> Core:
    """A core on a ManualClock at ``when``, with a fresh database; the shipped programmes are not parsed again."""
    # scripted conversations say dozens of things in one instant of the fixed clock: no flood control
    # (tests/test_flood.py turns it on)
    settings = Settings.from_env({}, programme=programme, db=tmp_path / db_name, flood_burst=0)
    parsed = shipped(programme) if programme in (PROGRAMME, SEMINAR) else None
    return await build_core(settings, ManualClock(when), programme=parsed)


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[Core]:
    c = await make_core(tmp_path, at("2025-06-05T10:00"))
    yield c
    await c.close()


def plain(text: str) -> str:
    """CLDR formats use thin and no-break spaces; tests compare with plain ones."""
    return text.replace("\u2009", " ").replace("\u202f", " ").replace("\u00a0", " ")


class Chat:
    """A delegate talking to the core; keeps the last replies as text."""

    def __init__(self, core: Core, user: str = "alice", channel: str = "test", language: str | None = None) -> None:
        self.core = core
        self.ref = UserRef(channel, user)
        self.language = language
        self.replies: list[Reply] = []

    async def say(self, text: str) -> str:
        self.replies = await self.core.handle(Request(user=self.ref, text=text, language_hint=self.language))
        return plain(render(self.replies))

    async def press(self, payload: str) -> str:
        self.replies = await self.core.handle(Request(user=self.ref, payload=payload, language_hint=self.language))
        return plain(render(self.replies))


@pytest.fixture
def chat(core: Core) -> Chat:
    return Chat(core)


@pytest.fixture
def console(core: Core) -> tuple[ConsoleChannel, io.StringIO]:
    out = io.StringIO()
    return ConsoleChannel(core.ports(), core.wakeups, "local", out=out), out
