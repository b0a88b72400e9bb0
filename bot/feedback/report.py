"""Results as people read them: text, chart panels and CSV, in one language (the chat's or the server's).

Shared by ``/poll``, ``/feedback summary`` and ``delegate-bot feedback``:
the caller sets the language (:func:`bot.i18n.use`) and passes the tag for
programme texts.  Comments never carry a name unless the response was given
under a session's declaration of named answers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from babel.numbers import format_percent

from bot import i18n
from bot.feedback.charts import Bars
from bot.feedback.questions import BUILTIN_HIGH, BUILTIN_LOW, BUILTIN_TEXTS, Questionnaire
from bot.feedback.results import QuestionResult, SessionResults, Summary
from bot.feedback.store import Response
from bot.i18n import _, format_number, ngettext
from bot.programme import Programme, Session, localized
from bot.programme.model import FeedbackQuestion, QuestionKind

#: Comments shown under a question in a results message (all of them are in the CSV).
COMMENTS_SHOWN: Final = 10
#: In a live message, which must stay one message to be edited in place.
COMMENTS_LIVE: Final = 3
CSV_COLUMNS: Final = (
    "session_id", "session", "respondent", "name", "attended", "question_id", "question", "kind",
    "answer", "value", "skipped", "answered_at",
)


@dataclass(frozen=True)
class Wording:
    """Programme texts in one language."""

    programme: Programme
    tag: str

    def __call__(self, value: object) -> str:
        return localized(value, self.tag, self.programme.event.default_language)

    def question(self, q: FeedbackQuestion) -> str:
        return self(q.text) if q.text is not None else str(BUILTIN_TEXTS[q.id])

    def low(self, q: FeedbackQuestion) -> str | None:
        if q.low is not None:
            return self(q.low)
        return str(BUILTIN_LOW) if q.id == "overall" and q.text is None else None

    def high(self, q: FeedbackQuestion) -> str | None:
        if q.high is not None:
            return self(q.high)
        return str(BUILTIN_HIGH) if q.id == "overall" and q.text is None else None

    def option(self, q: FeedbackQuestion, option_id: str) -> str:
        found = next((o for o in q.options if o.id == option_id), None)
        return self(found.label) if found is not None else option_id

    def title(self, session_id: str) -> str:
        session = next((s for s in self.programme.sessions if s.id == session_id), None)
        return self(session.title) if session is not None else session_id


def average_text(value: float, scale: int) -> str:
    """"4.2 of 5"."""
    return _("{average} of {scale}").format(average=format_number(round(value, 1)), scale=format_number(scale))


def percent(value: float) -> str:
    return format_percent(value, locale=i18n.current().locale)


def rate_line(results: SessionResults) -> str:
    """"Asked: 30 · answered: 12 (40%) · did not attend: 2"."""
    parts = [_("Asked: {count}").format(count=format_number(results.asked))]
    answered = _("answered: {count}").format(count=format_number(results.answered))
    if results.response_rate is not None:
        answered = _("{text} ({percent})").format(text=answered, percent=percent(results.response_rate))
    parts.append(answered)
    if results.absent:
        parts.append(_("did not attend: {count}").format(count=format_number(results.absent)))
    line = parts[0]
    for part in parts[1:]:
        line = _("{first} · {second}").format(first=line, second=part)
    return line


def rating_label(words: Wording, q: FeedbackQuestion, value: int) -> str:
    """A rating as a line or a bar's label: "1 – poor", "3", "5 – excellent"."""
    shown = format_number(value)
    extra = words.low(q) if value == 1 else words.high(q) if value == q.scale else None
    return _("{value} – {meaning}").format(value=shown, meaning=extra) if extra else shown


def question_lines(words: Wording, result: QuestionResult, *, comments: int = COMMENTS_SHOWN) -> list[str]:
    q = result.question
    lines = []
    if q.kind is QuestionKind.RATING:
        if result.average is not None:
            lines.append(ngettext("Average {average} ({count} answer)", "Average {average} ({count} answers)", result.answered).format(
                average=average_text(result.average, q.scale), count=format_number(result.answered)))
        else:
            lines.append(_("No answers yet."))
        for value in range(q.scale, 0, -1):
            count = result.distribution.get(str(value), 0)
            lines.append(_("{label}: {count}").format(label=rating_label(words, q, value), count=format_number(count)))
    elif q.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        lines.append(ngettext("{count} answer", "{count} answers", result.answered).format(count=format_number(result.answered)))
        for option in q.options:
            lines.append(_("{label}: {count}").format(label=words(option.label), count=format_number(result.distribution.get(option.id, 0))))
    else:
        lines.append(ngettext("{count} comment", "{count} comments", result.answered).format(count=format_number(result.answered)))
        shown = result.comments[-comments:] if comments else ()
        for comment in shown:
            line = _("• {comment}").format(comment=comment.text)
            if comment.name:
                line = _("{comment} ({name})").format(comment=line, name=comment.name)
            lines.append(line)
        if len(result.comments) > len(shown):
            lines.append(_("… and {count} more in the CSV (/poll export).").format(count=format_number(len(result.comments) - len(shown))))
    if result.skipped:
        lines.append(_("Skipped: {count}").format(count=format_number(result.skipped)))
    return lines


def results_text(words: Wording, results: SessionResults, *, comments: int = COMMENTS_SHOWN) -> str:
    """Every question's results, the response rate first."""
    lines = [rate_line(results)]
    lines.append(_("Answers carry names (the session declared named answers).") if results.named
                 else _("Answers are anonymous."))
    for number, result in enumerate(results.questions, 1):
        lines.append("")
        lines.append(_("{number}. {question}").format(number=format_number(number), question=words.question(result.question)))
        lines.extend(question_lines(words, result, comments=comments))
    return "\n".join(lines)


def result_panels(words: Wording, results: SessionResults) -> list[Bars]:
    """One bar panel per rating or choice question (comments are not charted)."""
    panels = []
    for result in results.questions:
        q = result.question
        if q.kind is QuestionKind.RATING:
            values = list(range(q.scale, 0, -1))
            counts = [float(result.distribution.get(str(v), 0)) for v in values]
            title = words.question(q)
            if result.average is not None:
                title = _("{question} — average {average}").format(question=title, average=average_text(result.average, q.scale))
            panels.append(Bars(title, tuple(rating_label(words, q, v) for v in values), tuple(counts),
                               tuple(format_number(int(c)) for c in counts)))
        elif q.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            counts = [float(result.distribution.get(o.id, 0)) for o in q.options]
            panels.append(Bars(words.question(q), tuple(words(o.label) for o in q.options), tuple(counts),
                               tuple(format_number(int(c)) for c in counts)))
    return panels


def summary_text(words: Wording, summary: Summary) -> str:
    """Sessions by average rating with response rates, the lowest-rated questions, comments by session."""
    if not summary.sessions:
        return _("No session has feedback yet.")
    lines = [_("Sessions by average rating:")]
    for number, s in enumerate(summary.sessions, 1):
        rating = s.rating
        shown = average_text(rating.average, rating.question.scale) if rating is not None and rating.average is not None else _("no rating yet")
        rate = percent(s.response_rate) if s.response_rate is not None else "—"
        lines.append(_("{number}. {title}: {average} · {answered} of {asked} answered ({rate})").format(
            number=format_number(number), title=words.title(s.session_id), average=shown,
            answered=format_number(s.answered), asked=format_number(s.asked), rate=rate))
    if summary.lowest:
        lines += ["", _("Lowest-rated questions:")]
        for low in summary.lowest:
            result = low.result
            assert result.average is not None
            lines.append(_("• {title}: {question}: {average} ({count})").format(
                title=words.title(low.session_id), question=words.question(result.question),
                average=average_text(result.average, result.question.scale),
                count=ngettext("{count} answer", "{count} answers", result.answered).format(count=format_number(result.answered))))
    grouped = summary.comments
    if grouped:
        lines += ["", _("Comments by session:")]
        for session_id, comments in grouped:
            lines.append(words.title(session_id))
            for comment in comments:
                line = _("• {comment}").format(comment=comment.text)
                lines.append(_("{comment} ({name})").format(comment=line, name=comment.name) if comment.name else line)
    return "\n".join(lines)


def summary_panel(words: Wording, summary: Summary) -> Bars | None:
    """The sessions' headline averages as one panel (the response rate beside each value)."""
    rated = [s for s in summary.sessions if s.rating is not None and s.rating.average is not None]
    if not rated:
        return None
    scale = max(s.rating.question.scale for s in rated)  # type: ignore[union-attr]
    values, shown = [], []
    for s in rated:
        rating = s.rating
        assert rating is not None and rating.average is not None
        values.append(rating.average * scale / rating.question.scale)
        rate = percent(s.response_rate) if s.response_rate is not None else "—"
        shown.append(_("{average} ({rate})").format(average=format_number(round(rating.average, 1)), rate=rate))
    return Bars(_("Average rating (response rate)"), tuple(words.title(s.session_id) for s in rated), tuple(values), tuple(shown), float(scale))


# -- CSV ----------------------------------------------------------------------------


def csv_document(
    words: Wording,
    sessions: Sequence[tuple[Session, Questionnaire]],
    responses: Sequence[Response],
    names: Mapping[int, str],
    zone: dt.tzinfo,
) -> bytes:
    """One row per answer (and one per "I did not attend"), UTF-8 with a byte-order mark for spreadsheets.

    ``respondent`` numbers the responses of each session from 1 (not a
    delegate id); ``name`` is filled for named answers only.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    by_session: dict[str, list[Response]] = {}
    for r in responses:
        by_session.setdefault(r.session_id, []).append(r)
    when: Callable[[dt.datetime], str] = lambda t: t.astimezone(zone).isoformat(timespec="seconds")  # noqa: E731
    for session, q in sessions:
        title = words(session.title)
        for number, r in enumerate(sorted(by_session.get(session.id, []), key=lambda r: r.id), 1):
            name = names.get(r.user_id, "") if r.named and r.user_id is not None else ""
            if not r.attended:
                writer.writerow([session.id, title, number, name, "no", "", "", "", "", "", "", when(r.updated_at)])
                continue
            for question in q.questions:
                answer = r.answers.get(question.id)
                if answer is None:
                    continue
                shown, value = _cells(words, question, answer.value, answer.skipped)
                writer.writerow([session.id, title, number, name, "yes", question.id, words.question(question), question.kind.value,
                                 shown, value, "yes" if answer.skipped else "no", when(answer.answered_at)])
    return out.getvalue().encode("utf-8-sig")


def _cells(words: Wording, q: FeedbackQuestion, value: object, skipped: bool) -> tuple[str, str]:
    """(what the answer says, its stored value) for one CSV row."""
    if skipped or value is None:
        return "", ""
    if q.kind is QuestionKind.RATING:
        return str(value), str(value)
    if q.kind is QuestionKind.SINGLE:
        return words.option(q, str(value)), str(value)
    if q.kind is QuestionKind.MULTIPLE:
        ids = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        return "; ".join(words.option(q, v) for v in ids), ";".join(ids)
    return str(value), ""
