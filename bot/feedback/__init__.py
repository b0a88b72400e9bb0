"""Session feedback: questionnaires from the programme, prompts, answers, results, charts and CSV.

* :mod:`bot.feedback.questions`: a session's questionnaire and when its poll is open;
* :mod:`bot.feedback.store`: polls, who was asked, answers (committed before they are acknowledged);
* :mod:`bot.feedback.prompts`: each session's prompts, once, through the outbox (a wake-up participant);
* :mod:`bot.feedback.live`: facilitators' results messages refreshed as answers arrive (another one);
* :mod:`bot.feedback.results`, :mod:`bot.feedback.report`, :mod:`bot.feedback.charts`: figures, texts, PNG and CSV.

:class:`Feedback` is what handlers reach as ``ctx.services.feedback``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.feedback.live import LiveResults
from bot.feedback.prompts import FeedbackPrompter
from bot.feedback.questions import Questionnaire, questionnaire
from bot.feedback.results import SessionResults, Summary, compute, summarise
from bot.feedback.store import FeedbackStore, Response
from bot.programme import Programme, Session
from bot.store.users import Users

__all__ = ["Feedback", "FeedbackPrompter", "FeedbackStore", "LiveResults", "Questionnaire", "questionnaire"]


async def names_of(users: Users, responses: list[Response]) -> dict[int, str]:
    """Display names of the delegates whose responses are named (no one else's is looked up)."""
    wanted = {r.user_id for r in responses if r.named and r.user_id is not None}
    return {u.id: u.display_name or f"#{u.id}" for u in await users.get_many(wanted)}


async def summary_of(store: FeedbackStore, users: Users, programme: Programme) -> Summary:
    """Every session with a questionnaire that someone was asked about or answered, best-rated first."""
    responses = await store.responses()
    asked = await store.asked_counts()
    names = await names_of(users, responses)
    by_session: dict[str, list[Response]] = {}
    for r in responses:
        by_session.setdefault(r.session_id, []).append(r)
    found = []
    order = {}
    for index, session in enumerate(programme.sessions):
        order[session.id] = index
        q = questionnaire(programme, session)
        if q is None or not (asked.get(session.id) or by_session.get(session.id)):
            continue
        found.append(compute(q, by_session.get(session.id, []), asked.get(session.id, 0), names))
    return summarise(found, order)


@dataclass
class Feedback:
    store: FeedbackStore
    prompts: FeedbackPrompter
    live: LiveResults
    users: Users

    async def names(self, responses: list[Response]) -> dict[int, str]:
        return await names_of(self.users, responses)

    async def results(self, session: Session, q: Questionnaire) -> SessionResults:
        responses = await self.store.responses([session.id])
        asked = (await self.store.asked_counts()).get(session.id, 0)
        return compute(q, responses, asked, await self.names(responses))

    async def summary(self, programme: Programme) -> Summary:
        return await summary_of(self.store, self.users, programme)
