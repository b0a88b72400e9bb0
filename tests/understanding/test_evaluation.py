"""The evaluation set (tests/data/questions/): at least 95% of real-sounding questions read right."""

from __future__ import annotations

import functools

from bot.programme import Agenda
from bot.router import Router
from bot.understanding.evaluation import Canon, accuracy, evaluate, load
from bot.understanding.understand import Understanding
from handlers import register_all
from tests.conftest import DATA, PROGRAMME, shipped

QUESTIONS = DATA / "questions"
SHIPPED = ("en", "zh_Hans", "zh_Hant", "es", "fr", "pt", "ar", "ru", "ko")


@functools.cache
def rig() -> tuple[Agenda, Understanding, Router]:
    agenda = Agenda(shipped(PROGRAMME))
    router = Router()
    register_all(router)
    return agenda, Understanding(agenda, __import__("bot.understanding.phrases", fromlist=["phrases"]).phrases(), SHIPPED), router


def test_the_set_has_the_questions_the_issue_asks_for() -> None:
    questions, _clocks = load(QUESTIONS)
    counts = {tag: sum(1 for q in questions if q.language == tag) for tag in SHIPPED}
    assert len(questions) >= 300
    assert counts["en"] >= 100 and counts["zh_Hans"] >= 100
    assert all(counts[tag] >= 10 for tag in SHIPPED), counts


def test_at_least_95_percent_of_the_questions_are_understood() -> None:
    agenda, understanding, router = rig()
    questions, clocks = load(QUESTIONS)
    results = evaluate(agenda, understanding, questions, clocks, router.resolve)
    right, asked = accuracy(results)["all"]
    misses = "\n".join(f"[{r.question.language}] {r.question.text!r}: expected {r.question.expected}, got {r.got}"
                       for r in results if not r.correct)
    assert right / asked >= 0.95, f"{right}/{asked} = {right / asked:.1%}; misses:\n{misses}"


def test_answers_are_compared_by_meaning() -> None:
    import datetime as dt

    agenda, understanding, router = rig()
    canon = Canon(agenda, understanding, dt.date(2025, 6, 5), router.resolve)
    assert canon("/today") == canon("/day 2025-06-05") == canon("/day thursday")
    assert canon("/day tomorrow afternoon") == canon("/day 2025-06-06 afternoon")
    assert canon("/stream 2") == canon("/stream s2") == canon("/stream two")
    assert canon("/venue Liurong") == canon("/venue liurong")
    assert canon("/program") == canon("/programme")
    assert canon("/day 2025-06-06") != canon("/day 2025-06-06 morning")
    assert canon("/session panel") != canon("/session opening")
