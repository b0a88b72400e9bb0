"""A FOSDEM-sized day through the Telegram channel: hundreds of sessions, long texts, markup in titles."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from ruamel.yaml import YAML

from bot.app import Core
from bot.channels.telegram import MAX_CALLBACK_DATA, MAX_TEXT, build_channel
from tests.conftest import PROGRAMME, at, make_core
from tests.channels.telegram.fake import FakeBotAPI, Harness, buttons_of, text_of
from tests.channels.telegram.fixtures import fake_api, telegram_settings  # noqa: F401  (fixtures)

SESSIONS = 400


def big_programme(tmp_path: Path) -> Path:
    """The shipped programme plus 400 talks on 5 June, titles with markup, one 12,000-character abstract."""
    yaml = YAML()
    data = yaml.load(PROGRAMME.read_text(encoding="utf-8"))
    for i in range(SESSIONS):
        minute = 8 * 60 + i * 2
        start = f"2025-06-05T{minute // 60:02d}:{minute % 60:02d}"
        end_minute = minute + 25
        end = f"2025-06-05T{end_minute // 60:02d}:{end_minute % 60:02d}"
        data["sessions"].append({
            "id": f"talk-{i:03d}",
            "title": {"en": f"Talk {i:03d}: <Rust> & \"memory\" safety in embedded systems for very long titles",
                      "zh_Hans": f"报告{i:03d}：嵌入式系统中的<Rust>与内存安全"},
            "kind": "presentation",
            "start": start,
            "end": end,
            "description": {"en": ("A long abstract line. " * 40 + "\n") * 14} if i == 0 else {"en": "Short."},
        })
    out = io.StringIO()
    yaml.dump(data, out)
    path = tmp_path / "big.yaml"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def big_yaml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return big_programme(tmp_path_factory.mktemp("big"))


@pytest.fixture
async def big(tmp_path: Path, big_yaml: Path, fake_api: FakeBotAPI) -> AsyncIterator[Harness]:
    core: Core = await make_core(tmp_path, at("2025-06-05T10:00"), programme=big_yaml)
    core.settings = telegram_settings(core, fake_api)
    web_app = web.Application()
    channel = build_channel(core.ports(), web_app)
    assert channel is not None
    await channel.start()
    async with TestClient(TestServer(web_app)) as client:
        yield Harness(core, fake_api, channel, client)
    await channel.stop()
    await core.close()


async def test_a_day_of_hundreds_of_sessions_pages_in_place_within_limits(big: Harness) -> None:
    for user_id, language in ((201, "en"), (202, "zh-hans")):
        overview = await big.say("/day 2025-06-05", language=language, user_id=user_id)
        slots = [d for _label, d in buttons_of(overview[0]) if " h=" in d]
        agenda = big.core.programmes.agenda
        hours = {s.start.astimezone(agenda.zone).hour for s in agenda.on(dt.date(2025, 6, 5))}
        assert len(slots) == len(hours) <= 24  # a day of 407 sessions opens by hour, not on page 1 of 41
        pressed = await big.press(slots[0], message_id=overview[0].result["message_id"], language=language, user_id=user_id)
        assert [c.method for c in pressed if c.method.startswith(("send", "edit"))] == ["editMessageText"]
        first = await big.say("/day 2025-06-05 all", language=language, user_id=user_id)  # every session, in order
        assert first[0].method == "sendMessage"
        assert "&lt;Rust&gt;" in first[0].params["text"] and "<Rust>" not in first[0].params["text"]
        message_id = first[0].result["message_id"]
        current = first[0]
        for page in range(2, 6):
            data = next(d for _label, d in buttons_of(current) if d.endswith(f" p{page}"))
            pressed = await big.press(data, message_id=message_id, language=language, user_id=user_id)
            edits = [c for c in pressed if c.method == "editMessageText"]
            assert len(edits) == 1 and int(edits[0].params["message_id"]) == message_id
            current = edits[0]
        assert "41" in text_of([current])  # 407 sessions, 10 a page
    for call in big.api.calls:
        for _label, data in buttons_of(call):
            assert 1 <= len(data.encode()) <= MAX_CALLBACK_DATA


async def test_long_abstracts_are_split_with_the_buttons_last_and_big_searches_page(big: Harness) -> None:
    calls = await big.say("/session talk-000")
    texts = [c for c in calls if c.method == "sendMessage"]
    assert len(texts) >= 3
    assert all(len(c.params["text"]) <= MAX_TEXT for c in texts)
    assert texts[0].params["text"].startswith("<b>Talk 000: &lt;Rust&gt;")
    assert not buttons_of(texts[0]) and buttons_of(texts[-1])
    found = await big.say("/search memory safety")
    assert "400" in text_of(found)
    assert any(d.endswith(" p2") for _label, d in buttons_of(found[0]))
