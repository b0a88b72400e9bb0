"""How programme items read, in the delegate's language and zone.

Shared by every feature that shows sessions, so a session looks the same in
a day list, a search result, a reminder or a bookmark list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.conversation import Choice, Choices, Text
from bot.i18n import _, format_day, format_time, format_time_range, format_utc_offset
from bot.programme import Session, localized
from bot.programme.model import SessionKind
from bot.router import Context

PAGE_SIZE = 10
SHORT_LABEL = 40

KIND_NAMES = {
    SessionKind.PLENARY: lambda: _("Plenary"),
    SessionKind.PANEL: lambda: _("Panel discussion"),
    SessionKind.STREAM_SESSION: lambda: _("Stream session"),
    SessionKind.SITE_VISIT: lambda: _("Site visit"),
    SessionKind.WORKSHOP: lambda: _("Workshop"),
    SessionKind.ROUNDTABLE: lambda: _("Roundtable"),
    SessionKind.PRESENTATION: lambda: _("Presentation"),
    SessionKind.SEMINAR: lambda: _("Online seminar"),
    SessionKind.CEREMONY: lambda: _("Ceremony"),
    SessionKind.SOCIAL: lambda: _("Social event"),
    SessionKind.LOGISTICS: lambda: _("Logistics"),
    SessionKind.BREAK: lambda: _("Break"),
}


def text(ctx: Context, value: object) -> str:
    """Programme content in the delegate's language where the file has it."""
    return localized(value, ctx.locale, ctx.programme.event.default_language)


def event_name(ctx: Context) -> str:
    ev = ctx.programme.event
    return text(ctx, ev.short_name or ev.name)


def user_zone(ctx: Context) -> ZoneInfo | None:
    """The delegate's own zone, if they set one that differs from the event's."""
    if ctx.user is None or not ctx.user.timezone:
        return None
    zone = ZoneInfo(ctx.user.timezone)
    return None if zone.key == ctx.programme.zone.key else zone


def time_range(ctx: Context, start: dt.datetime, end: dt.datetime) -> str:
    """``09:00–10:30``; with the delegate's own zone beside the event's where they differ."""
    zone = ctx.programme.zone
    shown = format_time_range(start, end, zone)
    own = user_zone(ctx)
    if own is not None:
        shown = _("{event_time} ({own_time} your time)").format(
            event_time=shown, own_time=format_time_range(start, end, own)
        )
    return shown


def time_of(ctx: Context, instant: dt.datetime) -> str:
    zone = ctx.programme.zone
    shown = format_time(instant, zone)
    own = user_zone(ctx)
    if own is not None:
        shown = _("{event_time} ({own_time} your time)").format(event_time=shown, own_time=format_time(instant, own))
    return shown


def tbc_mark(session: Session) -> str:
    if session.cancelled:
        return " " + _("(cancelled)")
    return " " + _("(to be confirmed)") if session.tbc else ""


def session_line(ctx: Context, s: Session, *, with_day: bool = False) -> str:
    """One line: time range, title, venue; the day first where lists span days."""
    when = time_range(ctx, s.start, s.end)
    if with_day:
        when = _("{day}, {time}").format(day=format_day(ctx.agenda.local_date(s.start)), time=when)
    line = _("{when} · {title}").format(when=when, title=text(ctx, s.title))
    venue = ctx.programme.venue(s.venue)
    if venue is not None:
        line = _("{line} — {venue}").format(line=line, venue=text(ctx, venue.name))
    return line + tbc_mark(s)


def session_button(ctx: Context, s: Session, *, with_day: bool = False) -> str:
    title = text(ctx, s.title)
    if len(title) > SHORT_LABEL:
        title = title[: SHORT_LABEL - 1].rstrip() + "…"
    when = format_time(s.start, ctx.programme.zone)
    if with_day:
        when = f"{format_day(ctx.agenda.local_date(s.start))} {when}"
    return f"{when} {title}"


MEMO_LIMIT = 50_000


def session_choice(ctx: Context, s: Session, *, with_day: bool = False) -> Choice:
    """A session as a list entry; memoised per programme version, locale and zone (a hot path)."""
    key = ("choice", s.id, ctx.locale, ctx.user.timezone if ctx.user else None, with_day)
    memo = ctx.agenda.memo
    choice = memo.get(key)
    if choice is None:
        if len(memo) >= MEMO_LIMIT:
            memo.clear()
        choice = memo[key] = Choice(
            session_line(ctx, s, with_day=with_day),
            f"/session {s.id}",
            short=session_button(ctx, s, with_day=with_day),
        )
    return choice  # type: ignore[return-value]


def session_list(
    ctx: Context,
    sessions: Sequence[Session],
    *,
    title: str,
    body: str = "",
    page: int = 1,
    page_command: str | None = None,
    with_day: bool = False,
    empty: str | None = None,
) -> Choices | Text:
    """A list of sessions to drill into, ``PAGE_SIZE`` at a time with page buttons."""
    if not sessions:
        return Text(body + ("\n\n" if body else "") + (empty or _("No sessions.")), title=title)
    pages = max(1, -(-len(sessions) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = sessions[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    options = [session_choice(ctx, s, with_day=with_day) for s in shown]
    if pages > 1:
        body = (body + "\n" if body else "") + _("Page {page} of {pages} ({count} sessions)").format(
            page=page, pages=pages, count=len(sessions)
        )
        if page_command:
            if page > 1:
                options.append(Choice(_("◀ Previous page"), f"{page_command} p{page - 1}"))
            if page < pages:
                options.append(Choice(_("Next page ▶"), f"{page_command} p{page + 1}"))
    return Choices(body or _("Pick a session for details:"), tuple(options), title=title, navigation=ctx.via_button)


def session_detail(ctx: Context, s: Session) -> list[str]:
    """Every fact about a session, one line or paragraph each."""
    prog = ctx.programme
    lines = [
        _("{day}, {time}").format(day=format_day(ctx.agenda.local_date(s.start)), time=time_range(ctx, s.start, s.end))
    ]
    if prog.event.online:
        lines.append(_("Times are {zone}.").format(zone=format_utc_offset(prog.zone, s.start)))
    kind = KIND_NAMES[s.kind]()
    stream = prog.stream(s.stream) if s.stream else None
    if stream is not None:
        lines.append(_("{kind} · Stream {number}: {title}").format(kind=kind, number=stream.number, title=text(ctx, stream.title)))
    else:
        lines.append(kind)
    venue = prog.venue(s.venue)
    if venue is not None:
        where = text(ctx, venue.name)
        if venue.address:
            where = _("{name}, {address}").format(name=where, address=text(ctx, venue.address))
        lines.append(_("Where: {place}").format(place=where))
    if s.cancelled:
        lines.append(_("This session is cancelled."))
    elif s.tbc:
        lines.append(_("Times and places of this session are still to be confirmed."))
    if s.description:
        lines.append("")
        lines.append(text(ctx, s.description))
    if s.moderators:
        lines.append("")
        lines.append(_("Moderators:"))
        lines.extend(f"• {_person(ctx, p)}" for p in s.moderators)
    if s.speakers:
        lines.append("")
        lines.append(_("Speakers:"))
        lines.extend(f"• {_person(ctx, p)}" for p in s.speakers)
    if s.presenters:
        lines.append("")
        lines.append(_("Cities and initiatives:"))
        for p in s.presenters:
            city = text(ctx, p.city) + (f", {text(ctx, p.country)}" if p.country else "")
            lines.append(_("• {city}: {initiative}").format(city=city, initiative=text(ctx, p.initiative)))
    if s.site_visit is not None:
        visit = s.site_visit
        point = prog.venue(visit.meeting_point)
        lines.append("")
        lines.append(
            _("Meet at {place} at {time} (the group leaves then).").format(
                place=text(ctx, point.name) if point else visit.meeting_point, time=time_of(ctx, visit.departure)
            )
        )
        if visit.meeting_note:
            lines.append(text(ctx, visit.meeting_note))
        if visit.bring:
            lines.append(_("Bring: {items}").format(items=text(ctx, visit.bring)))
        if visit.hosts:
            lines.append(_("Hosts: {hosts}").format(hosts=", ".join(text(ctx, h) for h in visit.hosts)))
    if s.online is not None:
        meeting = s.online
        lines.append("")
        lines.append(_("Online on {platform}").format(platform=meeting.platform) if meeting.platform else _("Online"))
        if meeting.url:
            lines.append(_("Link: {url}").format(url=meeting.url))
        if meeting.meeting_id:
            lines.append(_("Meeting ID: {id}").format(id=meeting.meeting_id))
        if meeting.passcode:
            lines.append(_("Passcode: {code}").format(code=meeting.passcode))
    return lines


def _person(ctx: Context, p: object) -> str:
    name = text(ctx, getattr(p, "name"))
    extra = [text(ctx, v) for v in (getattr(p, "role", None), getattr(p, "organisation", None), getattr(p, "city", None)) if v]
    return f"{name} ({', '.join(extra)})" if extra else name


def parse_page(args: str) -> tuple[str, int]:
    """Split a trailing ``p3`` page marker from command arguments."""
    words = args.split()
    if words and words[-1].startswith("p") and words[-1][1:].isdigit():
        return " ".join(words[:-1]), int(words[-1][1:])
    return args.strip(), 1
