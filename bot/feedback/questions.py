"""A session's questionnaire, from the programme, and when its poll is open.

The event's ``feedback`` template gives the questions of every session of
its ``kinds`` (by default the built-in overall rating and "what was most
useful?"); a session's own ``feedback`` may replace the questions, turn
feedback off, declare named answers, or change when delegates are asked.

A poll opens ``prompt_before_end`` minutes before its session ends (when
the delegates concerned are asked) and closes ``open_hours`` after it
ends.  A facilitator's ``/poll open`` and ``/poll close`` override that:
the later of the two acts wins; a poll opened by hand stays open until
``open_hours`` after it was opened or after its session ends, whichever
is later.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from bot.i18n import L_
from bot.programme import Programme, Session
from bot.programme.model import FeedbackQuestion, FeedbackTemplate, QuestionKind

#: Asked when neither the event nor the session names questions.
DEFAULT_QUESTIONS: tuple[FeedbackQuestion, ...] = (
    FeedbackQuestion(id="overall", kind=QuestionKind.RATING),
    FeedbackQuestion(id="useful", kind=QuestionKind.TEXT),
)
#: The wording of the built-in questions, in every shipped language.
BUILTIN_TEXTS = {
    "overall": L_("Overall, how would you rate this session?"),
    "useful": L_("What was most useful?"),
}
BUILTIN_LOW = L_("poor")
BUILTIN_HIGH = L_("excellent")
#: The longest comment kept (a Telegram message is 4,096 characters).
MAX_COMMENT = 2000


class PollStatus(str, enum.Enum):
    NOT_YET = "not_yet"
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class Questionnaire:
    """What a session asks, whether answers are named, and when its poll is open."""

    session_id: str
    questions: tuple[FeedbackQuestion, ...]
    named: bool
    prompt_before_end: dt.timedelta
    open_for: dt.timedelta

    def question(self, question_id: str) -> FeedbackQuestion | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def index(self, question_id: str) -> int:
        return next(i for i, q in enumerate(self.questions) if q.id == question_id)

    def after(self, question_id: str) -> FeedbackQuestion | None:
        """The question after this one (None after the last)."""
        i = self.index(question_id)
        return self.questions[i + 1] if i + 1 < len(self.questions) else None

    @property
    def ratings(self) -> tuple[FeedbackQuestion, ...]:
        return tuple(q for q in self.questions if q.kind is QuestionKind.RATING)


@dataclass(frozen=True)
class PollRecord:
    """A facilitator's last open and close of a poll, as stored."""

    session_id: str
    opened_at: dt.datetime | None = None
    opened_by: str | None = None
    closed_at: dt.datetime | None = None
    closed_by: str | None = None


def questionnaire(programme: Programme, session: Session) -> Questionnaire | None:
    """The session's questionnaire, or None where it asks for no feedback (off, cancelled, a kind not asked)."""
    if session.cancelled:
        return None
    template = programme.event.feedback or FeedbackTemplate()
    own = session.feedback
    if own is not None and not own.enabled:
        return None
    if own is None and session.kind not in template.kinds:
        return None
    questions = own.questions if own is not None and own.questions is not None else template.questions
    named = own.named if own is not None and own.named is not None else template.named
    lead = own.prompt_before_end if own is not None and own.prompt_before_end is not None else template.prompt_before_end
    hours = own.open_hours if own is not None and own.open_hours is not None else template.open_hours
    return Questionnaire(
        session_id=session.id,
        questions=questions or DEFAULT_QUESTIONS,
        named=named,
        prompt_before_end=dt.timedelta(minutes=lead),
        open_for=dt.timedelta(hours=hours),
    )


def prompt_at(session: Session, q: Questionnaire) -> dt.datetime:
    """When the delegates concerned are asked (never before the session starts)."""
    return max(session.start, session.end - q.prompt_before_end)


def closes_at(session: Session, q: Questionnaire, record: PollRecord | None = None) -> dt.datetime | None:
    """When the poll closes by itself (None: a facilitator closed it)."""
    if record is not None and record.closed_at is not None and (record.opened_at is None or record.closed_at >= record.opened_at):
        return None
    end = session.end + q.open_for
    if record is not None and record.opened_at is not None:
        return max(end, record.opened_at + q.open_for)
    return end


def status(session: Session, q: Questionnaire, record: PollRecord | None, now: dt.datetime) -> PollStatus:
    """Whether answers are taken now."""
    if record is not None and record.closed_at is not None and (record.opened_at is None or record.closed_at >= record.opened_at):
        return PollStatus.CLOSED
    closing = closes_at(session, q, record)
    if closing is not None and now >= closing:
        return PollStatus.CLOSED
    if record is not None and record.opened_at is not None:
        return PollStatus.OPEN
    return PollStatus.OPEN if now >= prompt_at(session, q) else PollStatus.NOT_YET


def options_of(question: FeedbackQuestion) -> dict[str, int]:
    """Option id -> its position (for ordering counts as the programme lists them)."""
    return {o.id: i for i, o in enumerate(question.options)}
