"""``delegate-bot feedback export`` and ``delegate-bot feedback summary``, on the server.

They read the database and the programme directly (no channel, no
prompts), so they are safe beside a running bot, and write in the event's
default language.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from bot import i18n
from bot.config import Settings
from bot.feedback import charts, names_of, summary_of
from bot.feedback.questions import questionnaire
from bot.feedback.report import Wording, csv_document, summary_panel, summary_text
from bot.feedback.store import FeedbackStore
from bot.i18n import Catalogs, _
from bot.programme import Programme
from bot.resources import resource_dir
from bot.store import Database, Users


def _localizer(programme: Programme) -> i18n.Localizer:
    catalogs = Catalogs.load(resource_dir("locales"))
    return catalogs.get(catalogs.negotiate(programme.event.default_language) or i18n.SOURCE_LOCALE)


async def export(settings: Settings, programme: Programme, session_id: str | None, out: Path | None, stdout: TextIO = sys.stdout) -> int:
    """Every answer (of one session, or of all) as CSV, to ``out`` or standard output."""
    sessions = []
    for session in programme.sessions:
        q = questionnaire(programme, session)
        if q is not None and (session_id is None or session.id == session_id):
            sessions.append((session, q))
    if session_id is not None and not sessions:
        known = any(s.id == session_id for s in programme.sessions)
        reason = "asks for no feedback" if known else "is not in the programme"
        print(f"delegate-bot: session {session_id!r} {reason}", file=sys.stderr)
        return 2
    db = await Database.open(settings.db)
    try:
        store = FeedbackStore(db)
        responses = await store.responses([s.id for s, _q in sessions])
        names = await names_of(Users(db), responses)
    finally:
        await db.close()
    localizer = _localizer(programme)
    with i18n.use(localizer):
        data = csv_document(Wording(programme, localizer.tag), sessions, responses, names, programme.zone)
    if out is None:
        stdout.write(data.decode("utf-8-sig"))
    else:
        out.write_bytes(data)
        print(f"{out}: {len(responses)} responses to {len(sessions)} sessions", file=stdout)
    return 0


async def summary(settings: Settings, programme: Programme, chart: Path | None, stdout: TextIO = sys.stdout) -> int:
    """Sessions by average rating with response rates, the lowest-rated questions, comments; the chart to ``chart``."""
    db = await Database.open(settings.db)
    try:
        result = await summary_of(FeedbackStore(db), Users(db), programme)
    finally:
        await db.close()
    localizer = _localizer(programme)
    with i18n.use(localizer):
        words = Wording(programme, localizer.tag)
        print(_("Feedback summary"), file=stdout)
        print(summary_text(words, result), file=stdout)
        panel = summary_panel(words, result)
        if chart is not None:
            if panel is None:
                print("delegate-bot: no session has a rating yet; no chart written", file=sys.stderr)
                return 1
            chart.write_bytes(charts.draw(_("Feedback summary"), [panel], locale=localizer.tag))
            print(f"{chart}: chart written", file=stdout)
    return 0
