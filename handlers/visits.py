"""Site visits: the list, signing up (within capacity) and leaving."""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversation import Choice, Choices, Reply, Request, Text, echo
from bot.i18n import N_, _, format_day, format_number
from bot.programme import Session
from bot.router import Context, Router
from bot.store.delegates import JoinResult
from handlers.reminders import engine, lead_text, state
from handlers.views import session_button, text, time_of


def all_visits(ctx: Context) -> list[Session]:
    """Every site visit, in time order (their numbers in /visits)."""
    return [s for s in ctx.agenda.sessions if s.site_visit is not None]


def find_visit(ctx: Context, token: str) -> Session | None:
    """A visit by its number in /visits or by session id."""
    visits = all_visits(ctx)
    token = token.strip().lstrip("#")
    if token.isdigit():
        n = int(token)
        return visits[n - 1] if 1 <= n <= len(visits) else None
    session = ctx.agenda.session(token)
    return session if session is not None and session.site_visit is not None else None


def _meeting(ctx: Context, s: Session) -> str:
    visit = s.site_visit
    assert visit is not None
    point = ctx.programme.venue(visit.meeting_point)
    place = text(ctx, point.name) if point is not None else visit.meeting_point
    return _("Meet at {place}, leaving at {time}.").format(place=place, time=time_of(ctx, visit.departure))


def _places(s: Session, count: int) -> str:
    capacity = s.site_visit.capacity if s.site_visit else None
    if capacity is None:
        return ""
    return " · " + _("{taken}/{capacity} places taken").format(taken=format_number(count), capacity=format_number(capacity))


async def visits(req: Request, ctx: Context) -> Sequence[Reply]:
    """The site visits, with meeting point, departure and places left."""
    found = all_visits(ctx)
    if not found:
        return [Text(_("This event has no site visits."), title=_("Site visits"))]
    joined = await state(ctx).visits(ctx.user_id)
    counts = await state(ctx).signup_counts()
    lines: list[str] = []
    for number, s in enumerate(found, 1):
        mark = " ✓" if s.id in joined else ""
        day = _("{day}: {title}").format(day=format_day(ctx.agenda.local_date(s.start)), title=text(ctx, s.title))
        lines.append(f"{number}. {day}{mark}")
        lines.append(f"   {_meeting(ctx, s)}{_places(s, counts.get(s.id, 0))}")
    lines.append("")
    lines.append(_("Sign up with /join and the visit's number, e.g. /join 1; cancel with /leave 1."))
    options = tuple(Choice(session_button(ctx, s, with_day=True), f"/session {s.id}") for s in found)
    return [Choices("\n".join(lines), options, title=_("Site visits"), navigation=ctx.via_button)]


async def _which(ctx: Context, args: str, command: str) -> Session | Reply:
    if not args.strip():
        options = tuple(Choice(session_button(ctx, s, with_day=True), f"/{command} {s.id}") for s in all_visits(ctx))
        if not options:
            return Text(_("This event has no site visits."))
        return Choices(_("Which site visit?"), options)
    found = find_visit(ctx, args)
    if found is None:
        return Text(_("There is no site visit \"{visit}\". Send /visits to see them with their numbers.").format(visit=echo(args)))
    return found


async def join(req: Request, ctx: Context) -> Sequence[Reply]:
    """Sign up for a site visit, unless it is full or has left."""
    found = await _which(ctx, req.args, "join")
    if not isinstance(found, Session):
        return [found]
    visit = found.site_visit
    assert visit is not None
    title = text(ctx, found.title)
    if visit.departure <= ctx.now:
        return [Text(_("The group for \"{title}\" has already left.").format(title=title))]
    result = await state(ctx).join_visit(ctx.user_id, found.id, visit.capacity, ctx.now)
    if result is JoinResult.FULL:
        return [Text(_("Sorry, \"{title}\" is full ({capacity} places).").format(title=title, capacity=format_number(visit.capacity)))]
    await engine(ctx).reconcile(users=[ctx.user_id])
    lines = [
        (_("You are signed up for \"{title}\".") if result is JoinResult.JOINED else _("You were already signed up for \"{title}\".")).format(title=title),
        _meeting(ctx, found),
    ]
    if visit.bring:
        lines.append(_("What to bring: {items}").format(items=text(ctx, visit.bring)))
    lines.append(lead_text(found, await state(ctx).reminder_settings(ctx.user_id)))
    return [Choices("\n".join(lines), (Choice(_("Leave this visit"), f"/leave {found.id}"), Choice(_("My agenda"), "/myagenda")))]


async def leave(req: Request, ctx: Context) -> Sequence[Reply]:
    """Cancel a sign-up, freeing the place."""
    found = await _which(ctx, req.args, "leave")
    if not isinstance(found, Session):
        return [found]
    removed = await state(ctx).leave_visit(ctx.user_id, found.id)
    await engine(ctx).reconcile(users=[ctx.user_id])
    title = text(ctx, found.title)
    if not removed:
        return [Text(_("You were not signed up for \"{title}\".").format(title=title))]
    return [Text(_("You are no longer signed up for \"{title}\"; your place is free for someone else.").format(title=title))]


async def visit_action(ctx: Context, session: Session) -> list[Choice]:
    """The Join / Leave button under a site visit."""
    if ctx.user is None or session.site_visit is None:
        return []
    if session.id in await state(ctx).visits(ctx.user_id):
        return [Choice(_("Leave this visit"), f"/leave {session.id}")]
    if session.site_visit.departure <= ctx.now:
        return []
    return [Choice(_("Join this visit"), f"/join {session.id}")]


def register(router: Router) -> None:
    router.command("visits", description=N_("Site visits: meeting point, departure, places"))(visits)
    router.command("join", description=N_("Sign up for a site visit: /join 1"))(join)
    router.command("leave", description=N_("Cancel a site-visit sign-up: /leave 1"))(leave)
    router.session_action(visit_action)
