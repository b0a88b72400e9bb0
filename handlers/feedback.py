"""Session feedback: delegates rate sessions in two taps; facilitators open, close, watch and export polls.

Delegates
  ``/feedback`` lists the sessions whose poll is open; ``/feedback <session>``
  starts (or resumes, or reviews) its questionnaire.  Ratings and single
  choices are buttons (numbered lines where there are none), a multiple
  choice is a poll ("1 3" where polls are text), and a free-text question
  takes the next message (with a Skip button).  "I did not attend" is an
  answer of its own.  Every answer is stored, committed, before it is
  acknowledged, and can be changed until the poll closes.  Buttons carry
  command lines (``/feedback a <session> <question> <value>``), so an old
  button still changes its answer after a restart.

Facilitators (of the event, a stream or a session) and organisers
  ``/poll`` lists their sessions; ``/poll open|close|results|export|live|stop
  <session>``.  Results: counts, average and distribution, the response
  rate, comments (names only for named answers), and a bar chart; the
  export is a CSV document.  ``/feedback summary`` (organisers) ranks every
  session.

The prompts themselves are pushed by :mod:`bot.feedback.prompts`; what they
say is :func:`render_prompt`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from bot import i18n
from bot.conversation import Choice, Choices, Document, Image, Poll, PollAnswer, Reply, Request, Text
from bot.dialogues import DialogueKey, Step
from bot.feedback import Feedback
from bot.feedback.charts import Bars
from bot.feedback.charts import render as render_chart
from bot.feedback.live import WATCH_FOR, edit_key
from bot.feedback.questions import MAX_COMMENT, PollStatus, Questionnaire, closes_at, prompt_at, questionnaire, status
from bot.feedback.report import Wording, csv_document, rate_line, rating_label, result_panels, results_text, summary_panel, summary_text
from bot.feedback.store import Response
from bot.i18n import N_, _, format_number, ngettext
from bot.programme import Session
from bot.programme.model import FeedbackQuestion, QuestionKind
from bot.roles import Role, Scope, actor_of
from bot.router import Context, Router
from bot.store.users import UserRecord
from handlers.views import moment, text

if TYPE_CHECKING:
    from bot.services import Services

STEP: Final = "feedback.text"
STEP_LIFETIME: Final = dt.timedelta(hours=2)
#: Poll ids of multiple-choice questions: ``fb:<session>:<question>``.
POLL_PREFIX: Final = "fb:"
LIST_LIMIT: Final = 10
WECHAT: Final = "wechat"


def fb(ctx: Context) -> Feedback:
    return ctx.services.feedback


def words(ctx: Context) -> Wording:
    return Wording(ctx.programme, ctx.locale)


def _title(ctx: Context, session: Session) -> str:
    return _("Feedback: {title}").format(title=text(ctx, session.title))


def _find(ctx: Context, token: str) -> tuple[Session, Questionnaire] | Reply:
    """The session a token names, with its questionnaire, or the reply that says why not."""
    session = ctx.agenda.session(token) if token else None
    if session is None:
        return Text(_("There is no session \"{session}\". Send /feedback to see the sessions you can rate.").format(session=token[:40]))
    q = questionnaire(ctx.programme, session)
    if q is None:
        return Text(_("\"{title}\" does not ask for feedback.").format(title=text(ctx, session.title)))
    return session, q


async def _status(ctx: Context, session: Session, q: Questionnaire) -> PollStatus:
    return status(session, q, await fb(ctx).store.poll(session.id), ctx.now)


def _closed(ctx: Context, session: Session) -> Text:
    return Text(_("The poll for \"{title}\" is closed; your answer was not stored.").format(title=text(ctx, session.title)))


def _not_yet(ctx: Context, session: Session, q: Questionnaire) -> Text:
    return Text(_("Feedback for \"{title}\" opens {when}.").format(title=text(ctx, session.title), when=moment(ctx, prompt_at(session, q))))


# -- asking -------------------------------------------------------------------------


def _anonymity(q: Questionnaire) -> str:
    if q.named:
        return _("Answers to this session carry your name for its facilitators.")
    return _("Your answers are anonymous: facilitators see no names.")


def question_reply(ctx: Context, session: Session, q: Questionnaire, question: FeedbackQuestion, *,
                   before: Sequence[str] = (), current: object = None) -> list[Reply]:
    """One question as buttons (or numbered lines), a poll, or a question awaiting a message."""
    w = words(ctx)
    number = q.index(question.id) + 1
    first = number == 1
    head = ngettext("Question {number} of {count}:", "Question {number} of {count}:", len(q.questions)).format(
        number=format_number(number), count=format_number(len(q.questions)))
    asked = i18n.spaced(head, w.question(question))
    lines = [*before, asked]
    if current is not None:
        lines.append(_("Your answer now: {answer}").format(answer=_answer_text(ctx, question, current)))
    sid, qid = session.id, question.id
    absent = Choice(_("I did not attend"), f"/feedback absent {sid}")
    skip = Choice(_("Skip"), f"/feedback skip {sid} {qid}")
    title = _title(ctx, session)
    if question.kind is QuestionKind.RATING:
        options = [Choice(rating_label(w, question, v), f"/feedback a {sid} {qid} {v}", short=format_number(v))
                   for v in range(1, question.scale + 1)]
        options += [skip] + ([absent] if first else [])
        return [Choices("\n".join(lines), tuple(options), title=title, columns=min(question.scale, 5))]
    if question.kind is QuestionKind.SINGLE:
        options = [Choice(w(o.label), f"/feedback a {sid} {qid} {o.id}") for o in question.options]
        options += [skip] + ([absent] if first else [])
        return [Choices("\n".join(lines), tuple(options), title=title)]
    if question.kind is QuestionKind.MULTIPLE:
        labels = [w(o.label) for o in question.options] + [_("None of these (skip)")] + ([_("I did not attend")] if first else [])
        poll = Poll(w.question(question), tuple(labels), f"{POLL_PREFIX}{sid}:{qid}", allows_multiple=True)
        lines[len(before)] = i18n.spaced(head, _("(choose all that apply)"))
        return [Text("\n".join(lines), title=title), poll]
    lines.append(_("Write your answer in your next message."))
    options = (skip,) + ((absent,) if first else ())
    return [Choices("\n".join(lines), options, title=title)]


async def _ask(ctx: Context, session: Session, q: Questionnaire, question: FeedbackQuestion, *,
               before: Sequence[str] = (), response: Response | None = None) -> list[Reply]:
    """Ask ``question``; a text question also waits for the next message (a stored step, so a restart keeps it)."""
    key = DialogueKey.of(ctx.user.ref) if ctx.user else None
    current = None
    if response is not None and question.id in response.answers and not response.answers[question.id].skipped:
        current = response.answers[question.id].value
    if key is not None:
        if question.kind is QuestionKind.TEXT:
            expires = ctx.now + STEP_LIFETIME
            closing = closes_at(session, q, await fb(ctx).store.poll(session.id))
            step = Step(STEP, min(expires, closing) if closing is not None else expires, {"session": session.id, "question": question.id})
            await ctx.services.dialogues.begin(key, step, ctx.now)
        elif ctx.dialogue.step is not None and ctx.dialogue.step.name == STEP:
            await ctx.services.dialogues.end(key, ctx.now)
    return question_reply(ctx, session, q, question, before=before, current=current)


def _next_question(q: Questionnaire, response: Response | None, after: str | None = None) -> FeedbackQuestion | None:
    """The first unanswered question (after ``after`` when given, else from the start)."""
    answered = set(response.answers) if response is not None else set()
    start = q.index(after) + 1 if after is not None else 0
    return next((question for question in q.questions[start:] if question.id not in answered), None)


async def _continue(ctx: Context, session: Session, q: Questionnaire, after: str, saved: str) -> list[Reply]:
    """After an answer: the next question not yet answered, or the thanks."""
    store = fb(ctx).store
    response = await store.response(session.id, ctx.user_id)
    following = _next_question(q, response, after)
    if following is not None:
        return await _ask(ctx, session, q, following, before=[saved, ""], response=response)
    await store.complete(session.id, ctx.user_id, ctx.now)
    await _leave_step(ctx)
    return [_thanks(ctx, session, q, saved)]


async def _leave_step(ctx: Context) -> None:
    if ctx.user is not None and ctx.dialogue.step is not None and ctx.dialogue.step.name == STEP:
        await ctx.services.dialogues.end(DialogueKey.of(ctx.user.ref), ctx.now)


def _thanks(ctx: Context, session: Session, q: Questionnaire, saved: str = "") -> Choices:
    lines = [saved, _("Thank you! Your answers about \"{title}\" are saved.").format(title=text(ctx, session.title))]
    lines.append(_("You can change them until the poll closes."))
    options = (Choice(_("Change my answers"), f"/feedback review {session.id}"), Choice(_("Other sessions to rate"), "/feedback"))
    return Choices("\n".join(line for line in lines if line), options, title=_title(ctx, session))


def _answer_text(ctx: Context, question: FeedbackQuestion, value: object) -> str:
    w = words(ctx)
    if question.kind is QuestionKind.RATING and isinstance(value, int):
        return _("{value} of {scale}").format(value=format_number(value), scale=format_number(question.scale))
    if question.kind is QuestionKind.SINGLE:
        return w.option(question, str(value))
    if question.kind is QuestionKind.MULTIPLE:
        return i18n.format_list(w.option(question, str(v)) for v in (value if isinstance(value, list) else [value]))
    shown = str(value)
    return shown if len(shown) <= 80 else shown[:79].rstrip() + "…"


# -- /feedback ---------------------------------------------------------------------


async def feedback(req: Request, ctx: Context) -> Sequence[Reply]:
    """The sessions to rate, one session's questionnaire, or (organisers) the summary."""
    action, _sep, rest = req.args.strip().partition(" ")
    actions = {"a": answer, "skip": skip, "absent": absent, "review": review, "q": ask_one, "summary": summary}
    if action in actions:
        return await actions[action](req, ctx, rest.strip())
    token = req.args.strip()
    if not token:
        return await sessions_to_rate(req, ctx)
    found = _find(ctx, token)
    if not isinstance(found, tuple):
        return [found]
    session, q = found
    state = await _status(ctx, session, q)
    if state is PollStatus.NOT_YET:
        return [_not_yet(ctx, session, q)]
    response = await fb(ctx).store.response(session.id, ctx.user_id)
    if state is PollStatus.CLOSED:
        return [Text(_("The poll for \"{title}\" is closed.").format(title=text(ctx, session.title)))]
    if response is not None and not response.attended:
        return await review(req, ctx, session.id)
    following = _next_question(q, response)
    if following is None:
        return await review(req, ctx, session.id)
    await fb(ctx).store.asked(session.id, [ctx.user_id], ctx.now, "self")
    intro = [] if response is not None else [_anonymity(q)]
    return await _ask(ctx, session, q, following, before=intro, response=response)


async def sessions_to_rate(req: Request, ctx: Context) -> Sequence[Reply]:
    """Every session whose poll is open now: those not yet answered first, then those to change."""
    store = fb(ctx).store
    polls = await store.polls()
    mine = {r.session_id: r for r in await store.mine(ctx.user_id)}
    open_now = []
    for session in ctx.agenda.sessions:
        q = questionnaire(ctx.programme, session)
        if q is not None and status(session, q, polls.get(session.id), ctx.now) is PollStatus.OPEN:
            open_now.append(session)
    done = {sid for sid, r in mine.items() if r.completed_at is not None or not r.attended}
    open_now.sort(key=lambda s: (s.id in done, -s.end.timestamp()))
    options = []
    for session in open_now[:LIST_LIMIT]:
        label = text(ctx, session.title)
        options.append(Choice(f"✓ {label}" if session.id in done else label, f"/feedback {session.id}"))
    admin = await ctx.services.roles.allows(req.user, Role.ORGANISER)
    if admin:
        options.append(Choice(_("Summary of all sessions"), "/feedback summary"))
    if not open_now:
        body = _("No session is taking feedback right now. I will ask you shortly before the end of the sessions you bookmarked, follow or joined.")
        return [Choices(body, tuple(options), title=_("Feedback"))] if options else [Text(body, title=_("Feedback"))]
    body = _("Which session would you like to rate? ✓ marks those you answered; you can change them until the poll closes.")
    return [Choices(body, tuple(options), title=_("Feedback"))]


async def _open_for_answers(ctx: Context, token: str) -> tuple[Session, Questionnaire] | Reply:
    """The session of an answer, if its poll takes answers now; else the reply that says why not."""
    found = _find(ctx, token)
    if not isinstance(found, tuple):
        return found
    session, q = found
    state = await _status(ctx, session, q)
    if state is PollStatus.CLOSED:
        await _leave_step(ctx)
        return _closed(ctx, session)
    if state is PollStatus.NOT_YET:
        return _not_yet(ctx, session, q)
    return session, q


async def answer(req: Request, ctx: Context, rest: str) -> Sequence[Reply]:
    """A button: ``<session> <question> <value>``, a rating or an option."""
    token, qid, value = (rest.split() + ["", "", ""])[:3]
    found = await _open_for_answers(ctx, token)
    if not isinstance(found, tuple):
        return [found]
    session, q = found
    question = q.question(qid)
    if question is None or question.kind not in (QuestionKind.RATING, QuestionKind.SINGLE):
        return [Text(_("That button has expired. Send /feedback {session} to answer again.").format(session=session.id))]
    if question.kind is QuestionKind.RATING:
        if not value.isdigit() or not 1 <= int(value) <= question.scale:
            return question_reply(ctx, session, q, question, before=[_("Please choose a rating from 1 to {scale}.").format(scale=format_number(question.scale))])
        stored: object = int(value)
    else:
        if value not in {o.id for o in question.options}:
            return [Text(_("That button has expired. Send /feedback {session} to answer again.").format(session=session.id))]
        stored = value
    await fb(ctx).store.answer(session.id, ctx.user_id, question.id, question.kind.value, stored, named=q.named, now=ctx.now)
    await fb(ctx).live.changed(session.id)
    saved = _("Saved: {answer}.").format(answer=_answer_text(ctx, question, stored))
    return await _continue(ctx, session, q, question.id, saved)


async def skip(req: Request, ctx: Context, rest: str) -> Sequence[Reply]:
    """Skip a question (its answer, if any, is removed)."""
    token, _sep, qid = rest.partition(" ")
    found = await _open_for_answers(ctx, token)
    if not isinstance(found, tuple):
        return [found]
    session, q = found
    question = q.question(qid.strip())
    if question is None:
        return [Text(_("That button has expired. Send /feedback {session} to answer again.").format(session=session.id))]
    await fb(ctx).store.answer(session.id, ctx.user_id, question.id, question.kind.value, None, named=q.named, now=ctx.now, skipped=True)
    await fb(ctx).live.changed(session.id)
    return await _continue(ctx, session, q, question.id, _("Skipped."))


async def absent(req: Request, ctx: Context, rest: str) -> Sequence[Reply]:
    """"I did not attend": counted apart; answers given before are removed."""
    found = await _open_for_answers(ctx, rest.strip())
    if not isinstance(found, tuple):
        return [found]
    session, q = found
    await fb(ctx).store.absent(session.id, ctx.user_id, named=q.named, now=ctx.now)
    await fb(ctx).live.changed(session.id)
    await _leave_step(ctx)
    body = _("Noted: you did not attend \"{title}\". Thank you for saying so.").format(title=text(ctx, session.title))
    options = (Choice(_("I did attend: answer"), f"/feedback q {session.id} {q.questions[0].id}"), Choice(_("Other sessions to rate"), "/feedback"))
    return [Choices(body, options, title=_title(ctx, session))]


async def ask_one(req: Request, ctx: Context, rest: str) -> Sequence[Reply]:
    """One question again (to change its answer): ``<session> <question>``."""
    token, _sep, qid = rest.partition(" ")
    found = await _open_for_answers(ctx, token)
    if not isinstance(found, tuple):
        return [found]
    session, q = found
    question = q.question(qid.strip()) or q.questions[0]
    response = await fb(ctx).store.response(session.id, ctx.user_id)
    return await _ask(ctx, session, q, question, response=response)


async def review(req: Request, ctx: Context, rest: str) -> Sequence[Reply]:
    """The delegate's answers to a session, each a button to change it."""
    found = _find(ctx, rest.strip())
    if not isinstance(found, tuple):
        return [found]
    session, q = found
    response = await fb(ctx).store.response(session.id, ctx.user_id)
    state = await _status(ctx, session, q)
    lines = []
    options = []
    if response is not None and not response.attended:
        lines.append(_("You said you did not attend \"{title}\".").format(title=text(ctx, session.title)))
    else:
        lines.append(_("Your answers about \"{title}\":").format(title=text(ctx, session.title)))
        for number, question in enumerate(q.questions, 1):
            given = response.answers.get(question.id) if response is not None else None
            shown = _("(skipped)") if given is not None and given.skipped else _answer_text(ctx, question, given.value) if given is not None else _("(not answered)")
            lines.append(_("{number}. {question}: {answer}").format(number=format_number(number), question=words(ctx).question(question), answer=shown))
    if state is PollStatus.OPEN:
        options = [Choice(_("Change: {question}").format(question=words(ctx).question(question)), f"/feedback q {session.id} {question.id}")
                   for question in q.questions]
        if response is None or response.attended:
            options.append(Choice(_("I did not attend"), f"/feedback absent {session.id}"))
        lines.append(_("You can change them until the poll closes."))
    else:
        lines.append(_("The poll is closed: answers can no longer change."))
    if not options:
        return [Text("\n".join(lines), title=_title(ctx, session))]
    return [Choices("\n".join(lines), tuple(options), title=_title(ctx, session))]


async def comment(req: Request, ctx: Context) -> Sequence[Reply]:
    """The message after a free-text question: its answer."""
    assert ctx.step is not None
    data = ctx.step.data
    found = await _open_for_answers(ctx, str(data.get("session", "")))
    if not isinstance(found, tuple):
        await _leave_step(ctx)
        return [found]
    session, q = found
    question = q.question(str(data.get("question", "")))
    if question is None or question.kind is not QuestionKind.TEXT:
        await _leave_step(ctx)
        return [Text(_("That question is no longer asked. Send /feedback {session} to go on.").format(session=session.id))]
    value = req.args.strip()
    if not value:
        return question_reply(ctx, session, q, question)
    if len(value) > MAX_COMMENT:
        return [Text(_("That is {count} characters; please keep your answer under {limit}.").format(
            count=format_number(len(value)), limit=format_number(MAX_COMMENT)))]
    await fb(ctx).store.answer(session.id, ctx.user_id, question.id, question.kind.value, value, named=q.named, now=ctx.now)
    await fb(ctx).live.changed(session.id)
    await _leave_step(ctx)
    return await _continue(ctx, session, q, question.id, _("Saved your answer."))


async def poll_answer(req: Request, ctx: Context) -> Sequence[Reply]:
    """A vote in a multiple-choice question's poll (native, or numbers typed under it)."""
    vote: PollAnswer | None = req.poll_answer
    if vote is None or not vote.poll_id.startswith(POLL_PREFIX):
        return [Text(_("That poll has expired. Send /feedback to see the sessions you can rate."))]
    token, _sep, qid = vote.poll_id[len(POLL_PREFIX):].rpartition(":")
    found = await _open_for_answers(ctx, token)
    if not isinstance(found, tuple):
        return [found]
    session, q = found
    question = q.question(qid)
    if question is None or question.kind is not QuestionKind.MULTIPLE:
        return [Text(_("That poll has expired. Send /feedback {session} to answer again.").format(session=session.id))]
    count = len(question.options)
    first = q.index(question.id) == 0
    if first and count + 1 in vote.option_ids:
        return await absent(req, ctx, session.id)
    picked = sorted({question.options[i].id: i for i in vote.option_ids if 0 <= i < count}.items(), key=lambda kv: kv[1])
    store = fb(ctx).store
    if not picked:
        await store.answer(session.id, ctx.user_id, question.id, question.kind.value, None, named=q.named, now=ctx.now, skipped=True)
        saved = _("Skipped.")
    else:
        value = [option_id for option_id, _i in picked]
        await store.answer(session.id, ctx.user_id, question.id, question.kind.value, value, named=q.named, now=ctx.now)
        saved = _("Saved: {answer}.").format(answer=_answer_text(ctx, question, value))
    await fb(ctx).live.changed(session.id)
    return await _continue(ctx, session, q, question.id, saved)


# -- what a prompt says ------------------------------------------------------------


def render_prompt(services: Services, user: UserRecord, session: Session, q: Questionnaire, now: dt.datetime) -> list[Reply]:
    """The prompt: the session, that answering takes two taps, whether answers are named, and the first question."""
    localizer = services.locales.localizer(user)
    ctx = Context.create(services, user, localizer, now)
    with i18n.use(localizer):
        title = text(ctx, session.title)
        if session.end > now:
            intro = _("\"{title}\" ends {when}. How was it? It takes two taps.").format(title=title, when=moment(ctx, session.end))
        else:
            intro = _("How was \"{title}\"? It takes two taps.").format(title=title)
        before = [intro, _anonymity(q), _("Send /feedback {session} to answer later.").format(session=session.id), ""]
        replies = question_reply(ctx, session, q, q.questions[0], before=before)
        return i18n.directed_replies(replies, localizer.tag)  # type: ignore[return-value]


# -- /poll: facilitators -----------------------------------------------------------


async def _scoped(req: Request, ctx: Context, token: str) -> tuple[Session, Questionnaire] | Reply:
    found = _find(ctx, token)
    if not isinstance(found, tuple):
        return found
    session, q = found
    if not await ctx.services.roles.allows(req.user, Role.FACILITATOR, Scope.session(session.id), ctx.agenda):
        await ctx.services.audit.record(ctx.now, actor_of(req.user), "permission.refused", f"session:{session.id}", command="poll")
        return Text(_("Sorry, the feedback of \"{title}\" is for its facilitators and the organisers.").format(title=text(ctx, session.title)))
    return session, q


def _status_line(ctx: Context, session: Session, q: Questionnaire, record: object, state: PollStatus) -> str:
    if state is PollStatus.NOT_YET:
        return _("Opens {when}, when the delegates concerned are asked.").format(when=moment(ctx, prompt_at(session, q)))
    if state is PollStatus.OPEN:
        closing = closes_at(session, q, record)  # type: ignore[arg-type]
        return _("Open until {when}.").format(when=moment(ctx, closing)) if closing else _("Open.")
    return _("Closed.")


async def poll(req: Request, ctx: Context) -> Sequence[Reply]:
    """``/poll``, ``/poll <session>``, ``/poll open|close|results|export|live|stop <session>``."""
    action, _sep, rest = req.args.strip().partition(" ")
    actions = {"open": poll_open, "close": poll_close, "results": poll_results, "export": poll_export, "live": poll_live, "stop": poll_stop}
    if action in actions:
        found = await _scoped(req, ctx, rest.strip())
        if not isinstance(found, tuple):
            return [found]
        return await actions[action](req, ctx, *found)
    if not action:
        return await poll_list(req, ctx)
    found = await _scoped(req, ctx, req.args.strip())
    if not isinstance(found, tuple):
        return [found]
    return await poll_card(req, ctx, *found)


async def poll_list(req: Request, ctx: Context) -> Sequence[Reply]:
    """The sessions this facilitator may follow: open polls first, then those opening soonest, then the latest closed."""
    roles = ctx.services.roles
    polls = await fb(ctx).store.polls()
    rows: list[tuple[tuple[int, float], Session, PollStatus]] = []
    for session in ctx.agenda.sessions:
        q = questionnaire(ctx.programme, session)
        if q is None or not await roles.allows(req.user, Role.FACILITATOR, Scope.session(session.id), ctx.agenda):
            continue
        state = status(session, q, polls.get(session.id), ctx.now)
        rank = {PollStatus.OPEN: 0, PollStatus.NOT_YET: 1, PollStatus.CLOSED: 2}[state]
        order = session.end.timestamp() if state is not PollStatus.CLOSED else -session.end.timestamp()
        rows.append(((rank, order), session, state))
    if not rows:
        return [Text(_("None of your sessions asks for feedback."), title=_("Polls"))]
    rows.sort(key=lambda r: r[0])
    names = {PollStatus.OPEN: _("open"), PollStatus.NOT_YET: _("not open yet"), PollStatus.CLOSED: _("closed")}
    options = tuple(Choice(_("{title} ({state})").format(title=text(ctx, s.title), state=names[state]), f"/poll {s.id}")
                    for _key, s, state in rows[:LIST_LIMIT])
    body = _("Which session's poll?")
    if len(rows) > LIST_LIMIT:
        body = i18n.spaced(body, _("For another, send /poll and its id, e.g. /poll {session}.").format(session=rows[LIST_LIMIT][1].id))
    return [Choices(body, options, title=_("Polls"))]


async def poll_card(req: Request, ctx: Context, session: Session, q: Questionnaire) -> Sequence[Reply]:
    record = await fb(ctx).store.poll(session.id)
    state = status(session, q, record, ctx.now)
    results = await fb(ctx).results(session, q)
    lines = [_status_line(ctx, session, q, record, state), rate_line(results)]
    sid = session.id
    options = [Choice(_("Results and chart"), f"/poll results {sid}"), Choice(_("Live results"), f"/poll live {sid}"),
               Choice(_("Export as CSV"), f"/poll export {sid}")]
    options.append(Choice(_("Close the poll"), f"/poll close {sid}") if state is PollStatus.OPEN else Choice(_("Open the poll now"), f"/poll open {sid}"))
    return [Choices("\n".join(lines), tuple(options), title=_("Poll: {title}").format(title=text(ctx, session.title)), columns=2)]


async def poll_open(req: Request, ctx: Context, session: Session, q: Questionnaire) -> Sequence[Reply]:
    """Open now (also before its time, or again after closing); the delegates concerned are asked now if they were not yet."""
    feedback_ = fb(ctx)
    await feedback_.store.open(session.id, actor_of(req.user), ctx.now)
    asked = await feedback_.prompts.opened(session.id, ctx.now)
    record = await feedback_.store.poll(session.id)
    lines = [_("The poll for \"{title}\" is open.").format(title=text(ctx, session.title)),
             _status_line(ctx, session, q, record, PollStatus.OPEN)]
    if asked:
        lines.append(ngettext("{count} delegate was asked just now.", "{count} delegates were asked just now.", asked).format(count=format_number(asked)))
    return [Choices("\n".join(lines), (Choice(_("Live results"), f"/poll live {session.id}"), Choice(_("Close the poll"), f"/poll close {session.id}")),
                    title=_("Poll: {title}").format(title=text(ctx, session.title)))]


async def poll_close(req: Request, ctx: Context, session: Session, q: Questionnaire) -> Sequence[Reply]:
    feedback_ = fb(ctx)
    await feedback_.store.close(session.id, actor_of(req.user), ctx.now)
    results = await feedback_.results(session, q)
    lines = [_("The poll for \"{title}\" is closed: answers are no longer taken.").format(title=text(ctx, session.title)), rate_line(results)]
    options = (Choice(_("Results and chart"), f"/poll results {session.id}"), Choice(_("Export as CSV"), f"/poll export {session.id}"),
               Choice(_("Open it again"), f"/poll open {session.id}"))
    return [Choices("\n".join(lines), options, title=_("Poll: {title}").format(title=text(ctx, session.title)))]


async def results_replies(ctx: Context, session: Session, q: Questionnaire, *, live_until: dt.datetime | None = None) -> tuple[Text, list[Bars]]:
    feedback_ = fb(ctx)
    record = await feedback_.store.poll(session.id)
    state = status(session, q, record, ctx.now)
    results = await feedback_.results(session, q)
    w = words(ctx)
    body = "\n".join([_status_line(ctx, session, q, record, state),
                      results_text(w, results, comments=3 if live_until else 10)])
    if live_until is not None:
        body += "\n\n" + _("Live: refreshed as answers arrive, until {time}. /poll stop {session} ends it.").format(
            time=moment(ctx, live_until), session=session.id)
    title = _("Results: {title}").format(title=text(ctx, session.title))
    return Text(body, title=title, edit_key=edit_key(session.id) if live_until else None, transient=live_until is not None), result_panels(w, results)


async def poll_results(req: Request, ctx: Context, session: Session, q: Questionnaire) -> Sequence[Reply]:
    """The results as text and as a bar chart."""
    message, panels = await results_replies(ctx, session, q)
    replies: list[Reply] = [message]
    if panels:
        png = await render_chart(text(ctx, session.title), panels, locale=ctx.locale)
        replies.append(Image(png, f"results-{session.id}.png", caption=_("Results: {title}").format(title=text(ctx, session.title))))
    return replies


async def poll_export(req: Request, ctx: Context, session: Session, q: Questionnaire) -> Sequence[Reply]:
    """Every answer as a CSV document (one row per answer)."""
    feedback_ = fb(ctx)
    responses = await feedback_.store.responses([session.id])
    data = csv_document(words(ctx), [(session, q)], responses, await feedback_.names(responses), ctx.programme.zone)
    caption = ngettext("Feedback on \"{title}\": {count} response.", "Feedback on \"{title}\": {count} responses.", len(responses)).format(
        title=text(ctx, session.title), count=format_number(len(responses)))
    return [Document(data, f"feedback-{session.id}.csv", caption=caption, mime_type="text/csv")]


async def poll_live(req: Request, ctx: Context, session: Session, q: Questionnaire) -> Sequence[Reply]:
    """Results kept up to date: the message is refreshed as answers arrive (edited in place where the app allows)."""
    until = ctx.now + WATCH_FOR
    feedback_ = fb(ctx)
    await feedback_.store.watch(session.id, ctx.user_id, until, await feedback_.store.state(session.id), ctx.now)
    message, _panels = await results_replies(ctx, session, q, live_until=until)
    replies: list[Reply] = [Text(message.body, title=message.title, edit_key=message.edit_key)]
    if ctx.user is not None and ctx.user.channel == WECHAT:
        replies.append(Text(_("WeChat cannot update a message in place, and each new one uses up the few messages it allows me: send /poll results {session} whenever you want the latest figures.").format(session=session.id)))
    return replies


async def poll_stop(req: Request, ctx: Context, session: Session, q: Questionnaire) -> Sequence[Reply]:
    stopped = await fb(ctx).store.unwatch(session.id, ctx.user_id)
    if not stopped:
        return [Text(_("The results of \"{title}\" were not being refreshed for you.").format(title=text(ctx, session.title)))]
    return [Text(_("The results of \"{title}\" are no longer refreshed.").format(title=text(ctx, session.title)))]


async def render_live(services: Services, user: UserRecord, session_id: str, now: dt.datetime) -> list[Reply]:
    """A watcher's refreshed results message (it replaces the previous one where the channel can edit)."""
    localizer = services.locales.localizer(user)
    ctx = Context.create(services, user, localizer, now)
    with i18n.use(localizer):
        session = ctx.agenda.session(session_id)
        q = questionnaire(ctx.programme, session) if session is not None else None
        if session is None or q is None:
            return []
        watch = next((w for w in await services.feedback.store.watches(now) if w.session_id == session_id and w.user_id == user.id), None)
        message, _panels = await results_replies(ctx, session, q, live_until=watch.until if watch else now)
        return i18n.directed_replies([message], localizer.tag)  # type: ignore[return-value]


# -- /feedback summary: organisers --------------------------------------------------


async def summary(req: Request, ctx: Context, rest: str) -> Sequence[Reply]:
    """Every session by average rating with response rates, the lowest-rated questions, comments by session; and one chart."""
    if not await ctx.services.roles.allows(req.user, Role.ORGANISER):
        await ctx.services.audit.record(ctx.now, actor_of(req.user), "permission.refused", "command:feedback summary", role=Role.ORGANISER.value)
        return [Text(_("Sorry, the summary of all sessions is for the event's organisers. Send /feedback to rate a session."))]
    await ctx.services.audit.record(ctx.now, actor_of(req.user), "command", "command:feedback summary")
    found = await fb(ctx).summary(ctx.programme)
    w = words(ctx)
    replies: list[Reply] = [Text(summary_text(w, found), title=_("Feedback summary"))]
    panel = summary_panel(w, found)
    if panel is not None:
        png = await render_chart(_("Feedback summary"), [panel], locale=ctx.locale)
        replies.append(Image(png, "feedback-summary.png", caption=_("Feedback summary")))
    return replies


def register(router: Router) -> None:
    router.command("feedback", description=N_("Rate a session you attended: /feedback"))(feedback)
    router.command("poll", description=N_("Feedback polls of your sessions: /poll open|close|results|export <session>"), role=Role.FACILITATOR)(poll)
    router.step(STEP)(comment)
    router.poll_answer(poll_answer)
