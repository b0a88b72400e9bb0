"""Agenda lookups: today, now, next, a day, the programme, one session, search."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.conversation import Choice, Choices, Reply, Request, Text, echo
from bot.i18n import L_, N_, _, format_date, format_date_range, format_day, format_in
from bot.programme import Phase, Session
from bot.programme.agenda import relative_day
from bot.router import Context, Router
from bot.understanding.slots import PART_HOURS, split_part_of_day
from handlers.listing import Filter, View, day_listing, pick_venue, read_filter, split_view
from handlers.search import search_reply, searchable
from handlers.views import MEMO_LIMIT, event_name, parse_page, session_detail, session_list, text

#: The parts of a day, as a heading says them.
PART_NAMES = {"morning": L_("Morning"), "afternoon": L_("Afternoon"), "evening": L_("Evening")}


def _phase_notice(ctx: Context) -> str | None:
    """Before or after the event, say so (lookups still work)."""
    agenda = ctx.agenda
    phase = agenda.phase(ctx.now)
    name = event_name(ctx)
    if phase is Phase.BEFORE:
        days = (agenda.first_day - ctx.today).days
        if days == 1:
            return _("{event} starts tomorrow, {date}.").format(event=name, date=format_date(agenda.first_day, "full"))
        return _("{event} starts on {date} ({relative}).").format(
            event=name, date=format_date(agenda.first_day, "full"), relative=format_in(dt.timedelta(days=days), "day")
        )
    if phase is Phase.AFTER:
        return _("{event} ended on {date}.").format(event=name, date=format_date(agenda.last_day, "full"))
    return None


def in_part(ctx: Context, sessions: Sequence, part: str | None) -> Sequence:
    """The sessions that start in a part of the day (event time); all of them for ``None``."""
    if part is None:
        return sessions  # the day itself, which day_listing recognises: its counts are kept per version
    low, high = PART_HOURS[part]
    return [s for s in sessions if low <= s.start.astimezone(ctx.programme.zone).hour < high]


def day_view(ctx: Context, date: dt.date, page: int = 1, heading: str | None = None, view: View = View(), part: str | None = None) -> Reply:
    """The sessions of one day (or of its morning, afternoon or evening), with the day's title and notes.

    A big day opens by time slot, room or stream (:mod:`handlers.listing`).
    """
    agenda = ctx.agenda
    day = next((d for d in ctx.programme.days if d.date == date), None)
    body: list[str] = []
    if heading:
        body.append(heading)
    if agenda.first_day <= date <= agenda.last_day:
        label = _("Day {number}").format(number=agenda.day_number(date))
        if day is not None and day.title:
            label = _("{day}: {title}").format(day=label, title=text(ctx, day.title))
        body.append(label)
        if day is not None and day.note:
            body.append(text(ctx, day.note))
    else:
        body.append(
            _("{date} is not a day of {event} ({dates}).").format(
                date=format_date(date, "long"), event=event_name(ctx), dates=format_date_range(agenda.first_day, agenda.last_day)
            )
        )
    title = format_day(date)
    if part is not None:
        title = _("{day}, {part}").format(day=title, part=PART_NAMES[part])
    return day_listing(
        ctx, date, in_part(ctx, agenda.on(date), part), view, title=title, body="\n".join(body), page=page,
        empty=_("Nothing is scheduled then.") if part else _("Nothing is scheduled on this day."), page_words=part or "",
    )


async def today(req: Request, ctx: Context) -> Sequence[Reply]:
    """Today's sessions (or, outside the event, when it is)."""
    args, page = parse_page(req.args)
    args, view = split_view(args)
    if args:  # "today in room K.1.105"
        found = read_filter(ctx, args)
        if found is not None and not found.day:
            return [filtered(ctx, ctx.today, found)]
        return [Text(_("I found no room or stream in \"{words}\". /venues lists the rooms, /streams the streams.").format(words=args))]
    notice = _phase_notice(ctx)
    if notice:
        return [Choices(notice, _days_choices(ctx), title=event_name(ctx))]
    return [day_view(ctx, ctx.today, page, view=view)]


async def now(req: Request, ctx: Context) -> Sequence[Reply]:
    """What is in progress, or else what comes next."""
    notice = _phase_notice(ctx)
    running = ctx.agenda.in_progress(ctx.now)
    if running:
        return [session_list(ctx, running, title=_("On now"), body=notice or "")]
    upcoming = ctx.agenda.upcoming(ctx.now)
    body = "\n".join(x for x in (notice, _("Nothing is on right now.")) if x)
    if not upcoming:
        return [Text(body, title=_("On now"))]
    return [session_list(ctx, upcoming, title=_("Next"), body=body, with_day=_spans_days(ctx, upcoming))]


async def next_(req: Request, ctx: Context) -> Sequence[Reply]:
    """The sessions of the next time slot."""
    upcoming = ctx.agenda.upcoming(ctx.now)
    notice = _phase_notice(ctx)
    if not upcoming:
        return [Text(notice or _("There are no more sessions."), title=_("Next"))]
    return [session_list(ctx, upcoming, title=_("Next"), body=notice or "", with_day=_spans_days(ctx, upcoming))]


def _spans_days(ctx: Context, sessions: Sequence) -> bool:
    return any(ctx.agenda.local_date(s.start) != ctx.today for s in sessions)


def _days_choices(ctx: Context) -> tuple[Choice, ...]:
    agenda = ctx.agenda
    options = []
    titles = {d.date: d.title for d in ctx.programme.days}
    for date in agenda.dates():
        label = _("Day {number}, {date}").format(number=agenda.day_number(date), date=format_day(date))
        if titles.get(date):
            label = _("{day}: {title}").format(day=label, title=text(ctx, titles[date]))
        options.append(Choice(label, f"/day {date.isoformat()}", short=format_day(date)))
    return tuple(options)


async def day(req: Request, ctx: Context) -> Sequence[Reply]:
    """One day: a date, a weekday, "day 2", "tomorrow", with "morning", "afternoon" or "evening"; without one, the list of days."""
    args, page = parse_page(req.args)
    args, view = split_view(args)
    args, part = split_part_of_day(args)
    if not args and part is not None:
        args = ctx.today.isoformat()  # "this afternoon"
    if not args:
        return [Choices(_("Which day?"), _days_choices(ctx), title=event_name(ctx), navigation=ctx.via_button)]
    date = ctx.agenda.resolve_day(args, ctx.today, ctx.services.catalogs.tags)
    if date is None:  # "day 2 in room K.1.105", "tomorrow stream 3"
        found = read_filter(ctx, args)
        day = ctx.agenda.resolve_day(found.day, ctx.today, ctx.services.catalogs.tags) if found is not None and found.day else None
        if found is not None and day is not None:
            return [filtered(ctx, day, found)]
    if date is None:
        return [
            Choices(
                _("I could not read \"{day}\" as a day. Try a date (2025-06-05), \"day 2\" or a weekday.").format(day=echo(args)),
                _days_choices(ctx),
            )
        ]
    # a day counted from today may fall outside the event: say where the event stands
    notice = _phase_notice(ctx) if relative_day(args) is not None else None
    return [day_view(ctx, date, page, heading=notice, view=view, part=part)]


def filtered(ctx: Context, date: dt.date, found: Filter) -> Reply:
    """A day narrowed to a room or a stream; a choice of rooms where several answer to the name."""
    if found.candidates:
        return pick_venue(ctx, date, found.candidates, title=format_day(date))
    return day_view(ctx, date, view=found.view)


async def programme(req: Request, ctx: Context) -> Sequence[Reply]:
    """The days of the event, to pick one."""
    ev = ctx.programme.event
    lines = [text(ctx, ev.name)]
    lines.append(format_date_range(ev.start_date, ev.end_date))
    notice = _phase_notice(ctx)
    if notice:
        lines.append(notice)
    return [Choices("\n".join(lines), _days_choices(ctx), title=_("Programme"), navigation=ctx.via_button)]


async def session(req: Request, ctx: Context) -> Sequence[Reply]:
    """One session in full."""
    args = req.args.strip()
    if not args:
        return [Text(_("Which session? Send /session followed by its id, or search with /search."))]
    found = ctx.agenda.session(args)
    if found is None:
        await searchable(ctx)
        return [search_reply(ctx, args, _("There is no session with the id \"{id}\".").format(id=echo(args)))]
    body, options, title = _session_view(ctx, found)
    # features (bookmarks, visits, venues, feedback) add their buttons with router.session_action
    extra = [choice for action in ctx.services.router.session_actions for choice in await action(ctx, found)]
    return [Choices(body, (*extra, *options), title=title, columns=2)]


def _session_view(ctx: Context, found: Session) -> tuple[str, tuple[Choice, ...], str]:
    """What a session's page shows to everyone alike; memoised per programme version, locale and zone (a hot path)."""
    key = ("session", found.id, ctx.locale, ctx.user.timezone if ctx.user else None)
    memo = ctx.agenda.memo
    view = memo.get(key)
    if view is None:
        options = [Choice(_("Day of this session"), f"/day {ctx.agenda.local_date(found.start).isoformat()}")]
        if found.stream:
            stream = ctx.programme.stream(found.stream)
            if stream is not None:
                options.insert(0, Choice(_("Stream {number}").format(number=stream.number), f"/stream {stream.id}"))
        if len(memo) >= MEMO_LIMIT:
            memo.clear()
        view = memo[key] = ("\n".join(session_detail(ctx, found)), tuple(options), text(ctx, found.title))
    return view  # type: ignore[return-value]


def register(router: Router) -> None:
    router.command("today", description=N_("Today's sessions"))(today)
    router.command("now", description=N_("What is on right now"))(now)
    router.command("next", description=N_("What comes next"))(next_)
    router.command("day", description=N_("One day: /day 2 or /day 2025-06-05"))(day)
    router.command("programme", "program", "agenda", description=N_("All days of the event"))(programme)
    router.command("session", description=N_("One session in full: /session <id>"))(session)
