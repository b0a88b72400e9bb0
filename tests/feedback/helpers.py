"""Helpers for the feedback tests: a core with staff, a small programme with every kind of question."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.app import Core, build_core
from bot.clock import ManualClock
from bot.config import Settings
from tests.conftest import PROGRAMME, at, shipped

STAFF = {
    "BOT_ORGANISERS": "test:org",
    "BOT_FACILITATORS": "test:fac-s2@stream:s2,test:fac-panel@session:panel",
}

#: A seminar with a named roundtable asking a rating, a single and a multiple choice and a comment.
SMALL = """\
event:
  id: small
  name: Small seminar
  timezone: Asia/Shanghai
  start_date: 2025-06-05
  end_date: 2025-06-05
  languages: [en, zh_Hans]
  feedback:
    prompt_before_end: 10
sessions:
  - id: talk
    title: {en: The talk, zh_Hans: 演讲}
    kind: presentation
    start: 2025-06-05T09:00
    end: 2025-06-05T10:00
  - id: round
    title: {en: The roundtable, zh_Hans: 圆桌}
    kind: roundtable
    start: 2025-06-05T10:30
    end: 2025-06-05T11:30
    feedback:
      named: true
      questions:
        - id: overall
          kind: rating
        - id: pace
          kind: single
          text: {en: How was the pace?, zh_Hans: 节奏如何？}
          options:
            - {id: slow, label: {en: Too slow, zh_Hans: 太慢}}
            - {id: right, label: {en: Just right, zh_Hans: 正好}}
            - {id: fast, label: {en: Too fast, zh_Hans: 太快}}
        - id: topics
          kind: multiple
          text: {en: Which topics should come back?, zh_Hans: 哪些主题值得再谈？}
          options:
            - {id: housing, label: {en: Housing, zh_Hans: 住房}}
            - {id: mobility, label: {en: Mobility, zh_Hans: 出行}}
            - {id: care, label: {en: Care, zh_Hans: 照护}}
        - id: useful
          kind: text
  - id: lunch
    title: Lunch
    kind: break
    start: 2025-06-05T12:00
    end: 2025-06-05T13:00
"""


def small_programme(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    return path


async def staff_core(tmp_path: Path, when: dt.datetime = at("2025-06-05T09:00"), programme: Path = PROGRAMME, **env: str) -> Core:
    """A core on a ManualClock with an organiser (``org``), a Stream 2 facilitator and the panel's facilitator."""
    settings = Settings.from_env({**STAFF, **env}, programme=programme, db=tmp_path / "bot.sqlite3")
    return await build_core(settings, ManualClock(when), programme=shipped(programme) if programme == PROGRAMME else None)


async def rows(core: Core, sql: str, params: tuple = ()) -> list[tuple]:  # type: ignore[type-arg]
    return [tuple(r) for r in await core.db.fetchall(sql, params)]
