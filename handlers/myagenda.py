"""My agenda: bookmark sessions, see them by day, be warned of overlaps."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from bot.conversation import Choice, Choices, Reply, Request, Text, echo
from bot.i18n import N_, _, format_day, format_list
from bot.programme import Session
from bot.router import Context, Router
from handlers.reminders import engine, lead_text, settings_text, state
from handlers.views import PAGE_SIZE, marks_tbc, session_button, session_line, tbc_note, text


#: ``/myagenda ics`` (a file format's name, the same in every language).
ICS_WORDS = frozenset({"ics", ".ics", "ical", "icalendar"})


def busy_from(s: Session) -> dt.datetime:
    """A site visit takes the delegate from its departure, not only from its start."""
    return min(s.start, s.site_visit.departure) if s.site_visit is not None else s.start


def overlaps(a: Session, b: Session) -> bool:
    return a.id != b.id and busy_from(a) < b.end and busy_from(b) < a.end


async def my_sessions(ctx: Context) -> list[Session]:
    """Bookmarked sessions and joined visits that are in the programme, in time order."""
    store = state(ctx)
    ids = await store.bookmarks(ctx.user_id) | await store.visits(ctx.user_id)
    found = [s for sid in ids if (s := ctx.agenda.session(sid)) is not None]
    return sorted(found, key=lambda s: (s.start, s.end, s.id))


async def _not_found(ctx: Context, wanted: str, command: str) -> Reply:
    """No session with that id: offer the sessions whose text matches instead."""
    matches = ctx.agenda.search(wanted)[:PAGE_SIZE]
    message = _("There is no session with the id \"{id}\".").format(id=echo(wanted))
    if not matches:
        return Text(message + "\n" + _("Find its id with /search and a word of its title."))
    mark = marks_tbc(matches)
    options = tuple(
        Choice(session_line(ctx, s, with_day=True, mark=mark), f"/{command} {s.id}", short=session_button(ctx, s, with_day=True))
        for s in matches
    )
    return Choices("\n".join(x for x in (message, _("Did you mean one of these?"), tbc_note(matches)) if x), options)


async def bookmark(req: Request, ctx: Context) -> Sequence[Reply]:
    """Add a session to my agenda; warn (and still save) when it overlaps another."""
    wanted = req.args.strip()
    if not wanted:
        return [Text(_("Which session? Send /bookmark followed by its id, or press Bookmark under a session."))]
    session = ctx.agenda.session(wanted)
    if session is None:
        return [await _not_found(ctx, wanted, "bookmark")]
    added = await state(ctx).bookmark(ctx.user_id, session.id, ctx.now)
    await engine(ctx).reconcile(users=[ctx.user_id])
    line = session_line(ctx, session, with_day=True)
    lines = [(_("Added to your agenda: {session}") if added else _("Already in your agenda: {session}")).format(session=line)]
    if session.end <= ctx.now:
        lines.append(_("This session has already taken place, so there is nothing to remind you of."))
    elif session.start <= ctx.now:
        lines.append(_("This session has already started, so there is nothing to remind you of."))
    clashes = [other for other in await my_sessions(ctx) if overlaps(session, other)]
    if clashes and session.end > ctx.now:
        lines.append("")
        lines.append(_("⚠ It overlaps with:"))
        lines.extend(f"• {session_line(ctx, other)}" for other in clashes)
    if session.start > ctx.now:
        lines.append(lead_text(session, await state(ctx).reminder_settings(ctx.user_id)))
    note = tbc_note([session, *clashes]) if session.end > ctx.now else ""
    if note:
        lines.append(note)
    options = (Choice(_("My agenda"), "/myagenda"), Choice(_("Remove bookmark"), f"/unbookmark {session.id}"))
    return [Choices("\n".join(lines), options)]


async def unbookmark(req: Request, ctx: Context) -> Sequence[Reply]:
    """Remove a session from my agenda; its reminder is cancelled unless a stream or visit still wants it."""
    wanted = req.args.strip()
    if not wanted:
        return [Text(_("Which session? Send /unbookmark followed by its id."))]
    session = ctx.agenda.session(wanted)
    session_id = session.id if session is not None else wanted
    removed = await state(ctx).unbookmark(ctx.user_id, session_id)
    await engine(ctx).reconcile(users=[ctx.user_id])
    title = text(ctx, session.title) if session is not None else session_id
    if not removed:
        return [Text(_("\"{title}\" was not in your agenda.").format(title=title))]
    lines = [_("Removed from your agenda: {title}").format(title=title)]
    if session is not None and session.stream and session.stream in await state(ctx).subscriptions(ctx.user_id):
        lines.append(_("You still follow its stream, so I will still remind you of it."))
    return [Choices("\n".join(lines), (Choice(_("Bookmark again"), f"/bookmark {session_id}"), Choice(_("My agenda"), "/myagenda")))]


def _by_day(ctx: Context, sessions: Iterable[Session]) -> list[str]:
    days: dict[object, list[Session]] = defaultdict(list)
    for s in sessions:
        days[ctx.agenda.local_date(s.start)].append(s)
    lines: list[str] = []
    everything = [s for date in days for s in days[date]]
    tbc = marks_tbc(everything)
    for date in sorted(days):
        day_sessions = days[date]
        lines.append(format_day(date))  # type: ignore[arg-type]
        for s in day_sessions:
            clash = " ⚠" if any(overlaps(s, o) for o in day_sessions) else ""
            lines.append(f"  {session_line(ctx, s, mark=tbc)}{clash}")
    note = tbc_note(everything)
    if note:
        lines.append(note)
    return lines


async def myagenda(req: Request, ctx: Context) -> Sequence[Reply]:
    """My bookmarked sessions, joined visits and the sessions of the streams I follow, by day (``/myagenda 2`` for one day)."""
    wanted = req.args.strip()
    if wanted.casefold() in ICS_WORDS:  # /myagenda ics: the agenda as a calendar file
        from handlers.calendar import agenda_document

        return await agenda_document(ctx)
    sessions = await my_sessions(ctx)
    store = state(ctx)
    subscribed = await store.subscriptions(ctx.user_id)
    followed = [s for s in ctx.agenda.streams() if s.id in subscribed]
    # the sessions of the streams followed are the delegate's too
    chosen = {s.id for s in sessions}
    extra = [s for stream in followed for s in ctx.agenda.stream_sessions(stream.id) if s.id not in chosen]
    sessions = sorted([*sessions, *extra], key=lambda s: (s.start, s.end, s.id))
    if wanted:
        date = ctx.agenda.resolve_day(wanted, ctx.today, ctx.services.catalogs.tags)
        if date is None:
            return [Text(_("I could not read \"{day}\" as a day. Try a date (2025-06-05), \"day 2\" or a weekday.").format(day=echo(wanted)))]
        sessions = [s for s in sessions if ctx.agenda.local_date(s.start) == date]
    lines = _by_day(ctx, sessions)
    if not lines:
        lines.append(_("Nothing in your agenda yet. Press Bookmark under a session, or send /bookmark and its id."))
    lines.append("")
    if followed:
        lines.append(_("Streams you follow: {streams}").format(
            streams=format_list(_("Stream {number}").format(number=s.number) for s in followed)))
    lines.append(settings_text(await store.reminder_settings(ctx.user_id)))
    title = _("My agenda")
    if not sessions:
        return [Text("\n".join(lines), title=title)]
    options = tuple(Choice(session_button(ctx, s, with_day=True), f"/session {s.id}") for s in sessions)
    return [Choices("\n".join(lines), options, title=title, navigation=ctx.via_button)]


async def bookmark_action(ctx: Context, session: Session) -> list[Choice]:
    """The Bookmark / Remove bookmark button under a session."""
    if ctx.user is None:
        return []
    if await state(ctx).is_bookmarked(ctx.user_id, session.id):
        return [Choice(_("Remove bookmark"), f"/unbookmark {session.id}")]
    return [Choice(_("Bookmark"), f"/bookmark {session.id}")]


def register(router: Router) -> None:
    router.command("bookmark", "save", description=N_("Add a session to your agenda: /bookmark <id>"))(bookmark)
    router.command("unbookmark", description=N_("Remove a session from your agenda: /unbookmark <id>"))(unbookmark)
    router.command("myagenda", "mine", description=N_("Your agenda by day"))(myagenda)
    router.session_action(bookmark_action)
