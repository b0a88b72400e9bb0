"""Results: counts, averages and distributions per question, response rates, comments; a summary across sessions.

The response rate is the delegates who answered (at least one question,
having attended) over the delegates asked: those prompted, and those who
opened the questionnaire themselves.  "I did not attend" is counted apart,
in neither the answers nor the averages.  Comments carry a name only where
the response was given under a session's declaration of named answers.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.feedback.questions import Questionnaire
from bot.feedback.store import Response
from bot.programme.model import FeedbackQuestion, QuestionKind


@dataclass(frozen=True)
class Comment:
    text: str
    at: dt.datetime
    name: str | None = None
    """The delegate's name, for named answers only."""


@dataclass(frozen=True)
class QuestionResult:
    question: FeedbackQuestion
    answered: int
    skipped: int
    distribution: dict[str, int] = field(default_factory=dict)
    """Rating value (as text, "1".."5") or option id -> how many chose it, in the question's order."""
    average: float | None = None
    comments: tuple[Comment, ...] = ()

    @property
    def normalised(self) -> float | None:
        """The average as a share of the scale (1 -> 0, scale -> 1), to compare ratings on different scales."""
        if self.average is None:
            return None
        return (self.average - 1) / (self.question.scale - 1)


@dataclass(frozen=True)
class SessionResults:
    session_id: str
    asked: int
    answered: int
    absent: int
    questions: tuple[QuestionResult, ...]
    named: bool

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.asked if self.asked else None

    @property
    def rating(self) -> QuestionResult | None:
        """The session's headline rating: its ``overall`` question, else its first rating question."""
        ratings = [r for r in self.questions if r.question.kind is QuestionKind.RATING]
        return next((r for r in ratings if r.question.id == "overall"), ratings[0] if ratings else None)


def compute(q: Questionnaire, responses: Sequence[Response], asked: int, names: Mapping[int, str] | None = None) -> SessionResults:
    """The results of one session from its stored responses."""
    names = names or {}
    attended = [r for r in responses if r.attended]
    results = []
    for question in q.questions:
        given = [(r, r.answers[question.id]) for r in attended if question.id in r.answers]
        answers = [(r, a) for r, a in given if not a.skipped and a.value is not None]
        skipped = len(given) - len(answers)
        if question.kind is QuestionKind.RATING:
            values = [int(a.value) for _r, a in answers if isinstance(a.value, int) and 1 <= a.value <= question.scale]
            counts = Counter(values)
            distribution = {str(v): counts.get(v, 0) for v in range(1, question.scale + 1)}
            average = sum(values) / len(values) if values else None
            results.append(QuestionResult(question, len(values), skipped, distribution, average))
        elif question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            counts = Counter()
            known = {o.id for o in question.options}
            for _r, a in answers:
                picked = a.value if isinstance(a.value, list) else [a.value]
                counts.update(p for p in picked if p in known)
            distribution = {o.id: counts.get(o.id, 0) for o in question.options}
            results.append(QuestionResult(question, len(answers), skipped, distribution))
        else:
            comments = tuple(
                Comment(str(a.value), a.answered_at, names.get(r.user_id) if r.named and r.user_id is not None else None)
                for r, a in sorted(answers, key=lambda ra: ra[1].answered_at)
            )
            results.append(QuestionResult(question, len(answers), skipped, comments=comments))
    return SessionResults(
        session_id=q.session_id,
        asked=max(asked, len(responses)),
        answered=sum(1 for r in responses if r.answered),
        absent=sum(1 for r in responses if not r.attended),
        questions=tuple(results),
        named=q.named,
    )


@dataclass(frozen=True)
class LowQuestion:
    session_id: str
    result: QuestionResult


@dataclass(frozen=True)
class Summary:
    """Every session with answers or prompts, best-rated first; the lowest-rated questions; comments by session."""

    sessions: tuple[SessionResults, ...]
    lowest: tuple[LowQuestion, ...]

    @property
    def comments(self) -> list[tuple[str, tuple[Comment, ...]]]:
        out = []
        for s in self.sessions:
            found = tuple(c for r in s.questions for c in r.comments)
            if found:
                out.append((s.session_id, found))
        return out


#: How many of the lowest-rated questions the summary names.
LOWEST: int = 5


def summarise(results: Sequence[SessionResults], order: Mapping[str, int] | None = None, lowest: int = LOWEST) -> Summary:
    """Sessions sorted by their headline average (highest first; unrated ones last, in programme ``order``)."""
    order = order or {}

    def key(s: SessionResults) -> tuple[int, float, int]:
        rating = s.rating
        average = rating.normalised if rating is not None else None
        return (0 if average is not None else 1, -(average or 0.0), order.get(s.session_id, 0))

    ranked = tuple(sorted(results, key=key))
    rated = [LowQuestion(s.session_id, r) for s in results for r in s.questions if r.normalised is not None]
    rated.sort(key=lambda lq: (lq.result.normalised, -lq.result.answered, order.get(lq.session_id, 0)))
    return Summary(ranked, tuple(rated[:lowest]))
