"""Sign-up lists for site visits: who joined, against the capacity, as a message and as CSV for the bus captain."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from bot.conversation import Choice, Choices, Document, Reply, Request, Text, echo
from bot.i18n import N_, _, format_day, format_number, ngettext
from bot.roles import Role, Scope
from bot.router import Context, Router
from handlers.views import channel_name, text, time_of


async def roster(req: Request, ctx: Context) -> Sequence[Reply]:
    """Organisers (and the visit's facilitators): who joined a site visit, as a list and a CSV document."""
    visits = [s for s in ctx.agenda.sessions if s.site_visit is not None]
    token = req.args.strip().lstrip("#")
    if not token:
        options = tuple(Choice(text(ctx, s.title), f"/roster {s.id}") for s in visits)
        if not options:
            return [Text(_("This event has no site visits."))]
        return [Choices(_("Which site visit's sign-up list?"), options, title=_("Sign-up lists"))]
    session = visits[int(token) - 1] if token.isdigit() and 1 <= int(token) <= len(visits) else ctx.agenda.session(token)
    if session is None or session.site_visit is None:
        return [Text(_("There is no site visit \"{visit}\". Send /roster to pick one.").format(visit=echo(token)))]
    if not await ctx.services.roles.allows(req.user, Role.FACILITATOR, Scope.session(session.id), ctx.agenda):
        return [Text(_("Sorry, the sign-up list of \"{title}\" is for the organisers and the visit's facilitators.").format(title=text(ctx, session.title)))]
    services = ctx.services
    members = await services.users.get_many(await services.audience.joined([session.id]))
    joined_at = await services.delegates.signup_times(session.id)
    members.sort(key=lambda u: (joined_at.get(u.id, ""), u.id))
    visit = session.site_visit
    title = text(ctx, session.title)
    count = len(members)
    if visit.capacity:
        head = ngettext("{count} of {capacity} place taken.", "{count} of {capacity} places taken.", visit.capacity).format(
            count=format_number(count), capacity=format_number(visit.capacity))
    else:
        head = ngettext("{count} person signed up.", "{count} people signed up.", count).format(count=format_number(count))
    point = ctx.programme.venue(visit.meeting_point)
    lines = [head, _("The group leaves from {place} at {time}.").format(
        place=text(ctx, point.name) if point else visit.meeting_point,
        time=_("{day}, {time}").format(day=format_day(ctx.agenda.local_date(visit.departure)), time=time_of(ctx, visit.departure)))]
    names = [_("{number}. {name} ({channel})").format(
        number=format_number(n), name=u.display_name or _("(no name given)"), channel=channel_name(u.channel))
             for n, u in enumerate(members, 1)]
    body = "\n".join(lines + ([""] + names if names else []))
    sheet = io.StringIO()
    writer = csv.writer(sheet)
    writer.writerow(["number", "name", "channel", "language", "joined_at"])
    for n, u in enumerate(members, 1):
        writer.writerow([n, u.display_name or "", u.channel, services.locales.for_user(u), joined_at.get(u.id, "")])
    document = Document(sheet.getvalue().encode("utf-8-sig"), f"roster-{session.id}.csv",
                        caption=_("Sign-up list: {title}").format(title=title), mime_type="text/csv")
    return [Text(body, title=_("Sign-up list: {title}").format(title=title)), document]


def register(router: Router) -> None:
    router.command("roster", description=N_("Who joined a site visit, with a CSV: /roster <visit>"), role=Role.FACILITATOR)(roster)
