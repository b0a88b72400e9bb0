"""Answers to plain-word questions that no other feature has: greetings, thanks, who is speaking, when my bus leaves."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from bot.conversation import Choice, Choices, Reply, Request, Text, echo
from bot.i18n import N_, _, format_day, spaced
from bot.programme import Session
from bot.router import Context, Router
from bot.understanding.text import normal
from bot.understanding.understand import understanding_for
from handlers.reminders import state
from handlers.start import main_menu
from handlers.views import _person, moment, session_button, session_line, tbc_note, text, time_of, user_zone
from handlers.visits import all_visits

#: Hours at which the afternoon and the evening begin, for a greeting.
AFTERNOON, EVENING = 12, 18


def greeting(ctx: Context) -> str:
    """Good morning, afternoon or evening, by the delegate's own clock."""
    hour = ctx.now.astimezone(user_zone(ctx) or ctx.programme.zone).hour
    if hour < AFTERNOON:
        return _("Good morning!")
    if hour < EVENING:
        return _("Good afternoon!")
    return _("Good evening!")


async def hello(req: Request, ctx: Context) -> Sequence[Reply]:
    """A greeting answered with one, and what to ask."""
    body = spaced(greeting(ctx), _("Ask me anything about the programme in plain words, such as \"what's on now\", \"where is lunch\" or \"wifi\", or pick below."))
    return [Choices(body, (*main_menu(), Choice(_("Practical information"), "/info")), columns=2)]


async def thanks(req: Request, ctx: Context) -> Sequence[Reply]:
    """Thanks answered in kind."""
    return [Text(_("You're welcome! Ask me whenever you need something."))]


# -- who is speaking ------------------------------------------------------------


def sessions_named(ctx: Context, words: str) -> list[Session]:
    """The sessions that words of a title name ("the panel", "stream 2 use cases"), else those search finds."""
    from handlers.search import ranked

    slots = understanding_for(ctx.agenda, ctx.services.catalogs.tags).slots
    found = [f for f in slots.find(normal(words), ctx.today) if f.slot == "session"]
    if found and isinstance(found[0].value, tuple):
        named = [s for i in found[0].value if (s := ctx.agenda.session(i)) is not None]
        streams = [f.value for f in slots.find(normal(words), ctx.today) if f.slot == "stream"]
        narrowed = [s for s in named if s.stream in streams]
        return narrowed or named
    return list(itertools.islice((h.session for h in ranked(ctx, words) if h.session is not None), 10))


def people(ctx: Context, s: Session) -> list[str]:
    """The speakers, moderators and presenting cities of a session, one a line; empty if it lists none."""
    lines: list[str] = []
    if s.speakers:
        lines.append(_("Speakers:"))
        lines += [f"• {_person(ctx, p)}" for p in s.speakers]
    if s.moderators:
        lines.append(_("Moderators:"))
        lines += [f"• {_person(ctx, p)}" for p in s.moderators]
    if s.presenters:
        lines.append(_("Cities and initiatives:"))
        for p in s.presenters:
            city = text(ctx, p.city)
            if p.speaker:
                city = _("{city} ({speaker})").format(city=city, speaker=text(ctx, p.speaker))
            lines.append(_("• {city}: {initiative}").format(city=city, initiative=text(ctx, p.initiative)))
    return lines


def _who(ctx: Context, sessions: Sequence[Session], heading: str) -> Reply:
    lines = [heading]
    for s in sessions:
        lines += ["", session_line(ctx, s)]
        found = people(ctx, s)
        lines += found or [_("No speakers are listed for it.")]
    note = tbc_note(sessions)
    if note:
        lines += ["", note]
    options = tuple(Choice(session_button(ctx, s), f"/session {s.id}") for s in sessions)
    return Choices("\n".join(lines), options, title=_("Who is speaking"))


async def speakers(req: Request, ctx: Context) -> Sequence[Reply]:
    """Who is speaking now (or next); ``/speakers panel``: at that session."""
    wanted = req.args.strip()
    if wanted:
        found = ctx.agenda.session(wanted)
        if found is None:
            from handlers.search import searchable

            await searchable(ctx)
            hits = sessions_named(ctx, wanted)
            if len(hits) != 1:
                if not hits:
                    return [Text(_("Nothing in the programme matches \"{query}\".").format(query=echo(wanted)), title=_("Who is speaking"))]
                options = tuple(Choice(session_line(ctx, s, with_day=True), f"/speakers {s.id}", short=session_button(ctx, s, with_day=True)) for s in hits)
                return [Choices(_("Which session?"), options, title=_("Who is speaking"))]
            found = hits[0]
        return [_who(ctx, [found], _("{day}, {time}").format(day=format_day(ctx.agenda.local_date(found.start)), time=time_of(ctx, found.start)))]
    running = [s for s in ctx.agenda.in_progress(ctx.now) if not s.cancelled]
    if running:
        return [_who(ctx, running, _("On now:"))]
    upcoming = ctx.agenda.upcoming(ctx.now)
    if not upcoming:
        return [Text(_("Nothing is on right now, and there are no more sessions."), title=_("Who is speaking"))]
    return [_who(ctx, upcoming, _("Nothing is on right now. Next:"))]


# -- when my bus leaves ---------------------------------------------------------


def _departure_line(ctx: Context, s: Session) -> str:
    visit = s.site_visit
    assert visit is not None
    point = ctx.programme.venue(visit.meeting_point)
    place = text(ctx, point.name) if point is not None else visit.meeting_point
    return _("\"{title}\": the group leaves from {place} {when}.").format(title=text(ctx, s.title), when=moment(ctx, visit.departure), place=place)


async def departure(req: Request, ctx: Context) -> Sequence[Reply]:
    """When and where the group of the next site visit I joined leaves; without one, the next visits."""
    joined = await state(ctx).visits(ctx.user_id)
    ahead = [s for s in all_visits(ctx) if s.site_visit is not None and s.site_visit.departure > ctx.now]
    mine = [s for s in ahead if s.id in joined]
    if mine:
        first = mine[0]
        visit = first.site_visit
        assert visit is not None
        lines = [_departure_line(ctx, first)]
        if visit.meeting_note:
            lines.append(text(ctx, visit.meeting_note))
        if visit.bring:
            lines.append(_("What to bring: {items}").format(items=text(ctx, visit.bring)))
        if len(mine) > 1:
            lines += ["", _("Your other site visits:")]
            lines += [spaced("•", _departure_line(ctx, s)) for s in mine[1:]]
        note = tbc_note(mine)
        if note:
            lines.append(note)
        options = (Choice(_("How to get there"), f"/directions {first.id}"), Choice(text(ctx, first.title), f"/session {first.id}", short=session_button(ctx, first)))
        return [Choices("\n".join(lines), options, title=_("Your departure"))]
    if not ahead:
        return [Text(_("There are no more site visits to leave for."), title=_("Your departure"))]
    lines = [_("You have not joined a site visit. The next ones:")]
    lines += [spaced("•", _departure_line(ctx, s)) for s in ahead[:5]]
    note = tbc_note(ahead[:5])
    if note:
        lines.append(note)
    options = tuple(Choice(_("Join: {title}").format(title=session_button(ctx, s, with_day=True)), f"/join {s.id}") for s in ahead[:5])
    return [Choices("\n".join(lines), options, title=_("Your departure"))]


def register(router: Router) -> None:
    router.command("speakers", description=N_("Who is speaking now, or at a session: /speakers panel"))(speakers)
    router.command("departure", description=N_("When and where your site visit's group leaves"))(departure)
    router.command("hello", hidden=True)(hello)
    router.command("thanks", hidden=True)(thanks)
