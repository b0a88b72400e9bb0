"""Feedback questions in the programme: the event's template, sessions' own, checked with PATH:LINE:COLUMN."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.feedback.questions import DEFAULT_QUESTIONS, PollRecord, PollStatus, closes_at, prompt_at, questionnaire, status
from bot.programme import ProgrammeError, parse_programme
from bot.programme.loader import translation_problems
from bot.programme.model import QuestionKind
from tests.conftest import PROGRAMME, at, shipped

HEAD = """\
event:
  id: t
  name: Test
  timezone: Asia/Shanghai
  start_date: 2025-06-04
  end_date: 2025-06-05
  languages: [en, zh_Hans]
{template}
sessions:
  - id: panel
    title: Panel
    kind: panel
    start: 2025-06-04T10:00
    end: 2025-06-04T11:00
{panel}
  - id: lunch
    title: Lunch
    kind: break
    start: 2025-06-04T12:00
    end: 2025-06-04T13:00
{lunch}
"""


def programme(template: str = "", panel: str = "", lunch: str = ""):  # type: ignore[no-untyped-def]
    return parse_programme(HEAD.format(template=template, panel=panel, lunch=lunch), "p.yaml")


def problems(template: str = "", panel: str = "", lunch: str = "") -> list[str]:
    with pytest.raises(ProgrammeError) as raised:
        programme(template, panel, lunch)
    return [str(p) for p in raised.value.problems]


def test_without_a_template_panels_ask_the_built_in_questions_and_breaks_ask_none() -> None:
    p = programme()
    panel, lunch = p.sessions
    q = questionnaire(p, panel)
    assert q is not None and q.questions == DEFAULT_QUESTIONS and not q.named
    assert [x.kind for x in q.questions] == [QuestionKind.RATING, QuestionKind.TEXT]
    assert prompt_at(panel, q) == at("2025-06-04T10:55")
    assert questionnaire(p, lunch) is None


def test_a_session_turns_feedback_off_declares_named_answers_or_asks_its_own() -> None:
    own = """\
    feedback:
      named: true
      prompt_before_end: 15
      questions:
        - id: overall
          kind: rating
        - id: topics
          kind: multiple
          text: {en: Which topics should come back?, zh_Hans: 哪些主题值得再讨论？}
          options:
            - {id: housing, label: Housing}
            - {id: mobility, label: Mobility}
"""
    p = programme(panel=own, lunch="    feedback: on")
    panel, lunch = p.sessions
    q = questionnaire(p, panel)
    assert q is not None and q.named and [x.id for x in q.questions] == ["overall", "topics"]
    assert prompt_at(panel, q) == at("2025-06-04T10:45")
    assert questionnaire(p, lunch) is not None  # a break asks only when it says so
    off = programme(panel="    feedback: off")
    assert questionnaire(off, off.sessions[0]) is None
    also_off = programme(panel="    feedback: false")
    assert questionnaire(also_off, also_off.sessions[0]) is None


def test_the_events_template_sets_questions_kinds_and_times() -> None:
    template = """\
  feedback:
    prompt_before_end: 10
    open_hours: 2
    kinds: [break]
    questions:
      - id: food
        kind: single
        text: How was the food?
        options: [{id: good, label: Good}, {id: bad, label: Bad}]
"""
    p = programme(template=template)
    panel, lunch = p.sessions
    assert questionnaire(p, panel) is None
    q = questionnaire(p, lunch)
    assert q is not None and [x.id for x in q.questions] == ["food"]
    assert prompt_at(lunch, q) == at("2025-06-04T12:50")
    assert closes_at(lunch, q) == at("2025-06-04T15:00")


def test_every_mistake_in_the_questions_is_reported_with_its_line_and_column() -> None:
    own = """\
    feedback:
      prompt_before_end: 90
      questions:
        - id: overall
          kind: text
        - id: topics
          kind: multiple
          text: Topics?
          options: [{id: a, label: A}]
        - id: topics
          kind: rating
          text: Again?
          options: [{id: a, label: A}, {id: b, label: B}]
        - id: pick
          kind: single
          text: Pick one
          low: poor
          options: [{id: a, label: A}, {id: a, label: B}]
"""
    found = problems(panel=own)
    assert found == sorted(found)
    assert "p.yaml:16:26: session 'panel': prompt_before_end is 90 minutes but the session lasts 60; delegates would be asked before it starts" in found
    assert any(p.startswith("p.yaml:18:11:") and "question 'overall' needs a text" in p for p in found)
    assert "p.yaml:23:20: session 'panel': question 'topics' (multiple choice) needs at least two options" in found
    assert "p.yaml:24:15: session 'panel': duplicate question id 'topics'" in found
    assert "p.yaml:27:20: session 'panel': question 'topics' is a rating question and takes no options" in found
    assert "p.yaml:31:16: session 'panel': question 'pick': low is only for rating questions" in found
    assert "p.yaml:32:45: session 'panel': question 'pick' has a duplicate option id 'a'" in found


def test_shape_mistakes_name_the_field() -> None:
    found = problems(panel="    feedback:\n      questions:\n        - id: x\n          kind: stars\n          text: X")
    assert len(found) == 1 and found[0].startswith("p.yaml:18:17: session 'panel' feedback.questions[0].kind: input should be")
    found = problems(template="  feedback:\n    prompt_before_end: -5")
    assert found[0].startswith("p.yaml:9:24: event.feedback.prompt_before_end: input should be greater than or equal to 0")
    assert problems(panel="    feedback:\n      questions: []") == [
        "p.yaml:16:18: session 'panel': feedback has no questions (write feedback: off to ask none)"]


def test_strict_validation_lists_untranslated_questions(tmp_path: Path) -> None:
    own = """\
    feedback:
      questions:
        - id: topics
          kind: single
          text: Topics?
          options: [{id: a, label: {en: A, zh_Hans: 甲}}, {id: b, label: B}]
"""
    path = tmp_path / "p.yaml"
    path.write_text(HEAD.format(template="", panel=own, lunch=""), encoding="utf-8")
    missing = [str(p) for p in translation_problems(path)]
    assert f"{path}:19:17: zh_Hans: session 'panel' feedback.questions[0].text has no text in this language (en is shown)" in missing
    assert any(":20:73: zh_Hans: session 'panel' feedback.questions[0].options[1].label" in m for m in missing)
    assert not any(".options[0].label" in m for m in missing)


def test_the_shipped_programme_asks_every_session_of_substance_and_no_meal() -> None:
    p = shipped(PROGRAMME)
    asked = {s.id for s in p.sessions if questionnaire(p, s) is not None}
    assert {"opening", "panel", "s2-liurong", "s2-roundtable", "civitas-novus", "wrap-up"} <= asked
    assert not asked & {"registration", "welcome-dinner", "lunch-0604", "farewell-dinner", "departure"}


def test_a_poll_opens_at_the_prompt_closes_after_the_open_hours_and_follows_the_facilitator() -> None:
    p = programme()
    panel = p.sessions[0]
    q = questionnaire(p, panel)
    assert q is not None
    assert status(panel, q, None, at("2025-06-04T10:54")) is PollStatus.NOT_YET
    assert status(panel, q, None, at("2025-06-04T10:55")) is PollStatus.OPEN
    assert status(panel, q, None, at("2025-06-05T11:00")) is PollStatus.CLOSED
    early = PollRecord("panel", opened_at=at("2025-06-04T10:10"))
    assert status(panel, q, early, at("2025-06-04T10:20")) is PollStatus.OPEN
    closed = PollRecord("panel", opened_at=at("2025-06-04T10:10"), closed_at=at("2025-06-04T11:30"))
    assert status(panel, q, closed, at("2025-06-04T11:31")) is PollStatus.CLOSED
    assert closes_at(panel, q, closed) is None
    reopened = PollRecord("panel", opened_at=at("2025-06-06T09:00"), closed_at=at("2025-06-04T11:30"))
    assert status(panel, q, reopened, at("2025-06-06T10:00")) is PollStatus.OPEN
    assert closes_at(panel, q, reopened) == at("2025-06-06T09:00") + dt.timedelta(hours=24)
