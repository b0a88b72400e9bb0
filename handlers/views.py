"""How programme items read, in the delegate's language and zone.

Shared by every feature that shows sessions, so a session looks the same in
a day list, a search result, a reminder or a bookmark list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError

from bot.conversation import Choice, Choices, Text
from bot.i18n import L_, _, current, format_day, format_in, format_list, format_time, format_time_range, format_utc_offset, format_number, ngettext, spaced, tidy
from bot.programme import Session, localized
from bot.programme.model import SessionKind, derived_from
from bot.router import Context

PAGE_SIZE = 10
SHORT_LABEL = 40

KIND_NAMES = {
    SessionKind.PLENARY: L_("Plenary"),
    SessionKind.PANEL: L_("Panel discussion"),
    SessionKind.STREAM_SESSION: L_("Stream session"),
    SessionKind.SITE_VISIT: L_("Site visit"),
    SessionKind.WORKSHOP: L_("Workshop"),
    SessionKind.ROUNDTABLE: L_("Roundtable"),
    SessionKind.PRESENTATION: L_("Presentation"),
    SessionKind.SEMINAR: L_("Online seminar"),
    SessionKind.CEREMONY: L_("Ceremony"),
    SessionKind.SOCIAL: L_("Social event"),
    SessionKind.LOGISTICS: L_("Logistics"),
    SessionKind.BREAK: L_("Break"),
}
"""What sort of item a session is, translated each time it is shown."""

#: Marks a line whose session is still to be confirmed, in a list where others are not.
TBC_MARK = "*"


def text(ctx: Context, value: object) -> str:
    """Programme content in the delegate's language where the file has it."""
    return localized(value, ctx.locale, ctx.programme.event.default_language)


def channel_name(channel: str) -> str:
    """A channel as people call it: "Telegram", "WeChat" (微信), "Console"."""
    names = {"telegram": "Telegram", "wechat": _("WeChat"), "console": _("Console")}
    return names.get(channel, channel)


def event_name(ctx: Context) -> str:
    ev = ctx.programme.event
    return text(ctx, ev.short_name or ev.name)


def user_zone(ctx: Context) -> ZoneInfo | None:
    """The delegate's own zone, if they set one that differs from the event's."""
    if ctx.user is None or not ctx.user.timezone:
        return None
    zone = ZoneInfo(ctx.user.timezone)
    return None if zone.key == ctx.programme.zone.key else zone


def _own(ctx: Context, instant: dt.datetime, own: ZoneInfo, shown: str) -> str:
    """The delegate's own time, with their own date where it is another day than the event's."""
    own_date = instant.astimezone(own).date()
    if own_date != ctx.agenda.local_date(instant):
        shown = _("{day}, {time}").format(day=format_day(own_date), time=shown)
    return shown


def time_range(ctx: Context, start: dt.datetime, end: dt.datetime) -> str:
    """``09:00–10:30``; with the delegate's own zone beside the event's where they differ.

    Where the delegate's zone puts the session on another date (Pacific/Auckland
    for an evening in Guangzhou), their own time says that date.
    """
    zone = ctx.programme.zone
    shown = format_time_range(start, end, zone)
    own = user_zone(ctx)
    if own is not None:
        shown = _("{event_time} ({own_time} your time)").format(
            event_time=shown, own_time=_own(ctx, start, own, format_time_range(start, end, own))
        )
    return shown


def time_of(ctx: Context, instant: dt.datetime) -> str:
    zone = ctx.programme.zone
    shown = format_time(instant, zone)
    own = user_zone(ctx)
    if own is not None:
        shown = _("{event_time} ({own_time} your time)").format(
            event_time=shown, own_time=_own(ctx, instant, own, format_time(instant, own)))
    return shown


def moment(ctx: Context, instant: dt.datetime) -> str:
    """When something happens, as seen from now: "at 11:40, in 15 minutes", "at 14:00" (today),
    "tomorrow at 09:00", "on Friday, 6 June at 09:00".

    Never "in 1379 minutes": within the hour it counts minutes, later today
    it gives the time, and another day is named.
    """
    delta = instant - ctx.now
    time = time_of(ctx, instant)
    if dt.timedelta(0) <= delta < dt.timedelta(hours=1):
        minutes = dt.timedelta(minutes=max(1, round(delta.total_seconds() / 60)))
        return _("at {time}, {relative}").format(time=time, relative=format_in(minutes))
    days = (ctx.agenda.local_date(instant) - ctx.today).days
    if days == 0:
        return _("at {time}").format(time=time)
    if days == 1:
        return _("tomorrow at {time}").format(time=time)
    return _("on {day} at {time}").format(day=format_day(ctx.agenda.local_date(instant)), time=time)


def tbc_note(sessions: Sequence[Session]) -> str:
    """Said once for a list: all its sessions are to be confirmed, or those marked are; "" if none."""
    pending = sum(1 for s in sessions if s.tbc)
    if not pending:
        return ""
    if pending == len(sessions):
        if len(sessions) == 1:
            return _("Times and places of this session are still to be confirmed.")
        return _("Times and places are still to be confirmed.")
    return _("{mark} Still to be confirmed.").format(mark=TBC_MARK)


def marks_tbc(sessions: Sequence[Session]) -> bool:
    """Whether the lines of a list mark their sessions to be confirmed: only where some are and some are not."""
    return any(s.tbc for s in sessions) and not all(s.tbc for s in sessions)


def _venue_in_title(title: str, venue: str) -> bool:
    """A title that already names its venue ("Site visit: Liurong community") does not repeat it."""
    return venue.casefold() in title.casefold()


def session_line(ctx: Context, s: Session, *, with_day: bool = False, mark: bool = False) -> str:
    """One line: time range, title, venue; the day first where lists span days.

    ``mark``: end the line with :data:`TBC_MARK` if the session is to be
    confirmed (the list says what the mark means, once: :func:`tbc_note`).
    A cancelled session's line always says so.
    """
    when = time_range(ctx, s.start, s.end)
    if with_day:
        when = _("{day}, {time}").format(day=format_day(ctx.agenda.local_date(s.start)), time=when)
    title = text(ctx, s.title)
    line = _("{when} · {title}").format(when=when, title=title)
    venue = ctx.programme.venue(s.venue)
    if venue is not None:
        name = text(ctx, venue.name)
        if not _venue_in_title(title, name):
            line = _("{line} — {venue}").format(line=line, venue=name)
    if s.cancelled:  # whether or not the list marks its sessions to be confirmed
        return spaced(line, _("(cancelled)"))
    return tidy(line) + (f" {TBC_MARK}" if mark and s.tbc else "")


def session_button(ctx: Context, s: Session, *, with_day: bool = False) -> str:
    title = text(ctx, s.title)
    if len(title) > SHORT_LABEL:
        title = title[: SHORT_LABEL - 1].rstrip() + "…"
    when = format_time(s.start, ctx.programme.zone)
    if with_day:
        when = f"{format_day(ctx.agenda.local_date(s.start))} {when}"
    return tidy(f"{when} {title}")


MEMO_LIMIT = 50_000


def session_choice(ctx: Context, s: Session, *, with_day: bool = False, mark: bool = False) -> Choice:
    """A session as a list entry; memoised per programme version, locale and zone (a hot path)."""
    key = ("choice", s.id, ctx.locale, ctx.user.timezone if ctx.user else None, with_day, mark)
    memo = ctx.agenda.memo
    choice = memo.get(key)
    if choice is None:
        if len(memo) >= MEMO_LIMIT:
            memo.clear()
        choice = memo[key] = Choice(
            session_line(ctx, s, with_day=with_day, mark=mark),
            f"/session {s.id}",
            short=session_button(ctx, s, with_day=with_day),
        )
    return choice  # type: ignore[return-value]


def derived_note(ctx: Context, *values: object) -> str:
    """A note that programme text was converted (Traditional Chinese from Simplified); "" if none was."""
    for value in values:
        source = derived_from(text(ctx, value)) if value is not None else None
        if source is not None:
            if source == "zh_Hans":
                return _("Programme texts not written in Traditional Chinese are converted automatically from Simplified Chinese.")
            return _("Programme texts not written in Simplified Chinese are converted automatically from Traditional Chinese.")
    return ""


def _joined(*parts: str) -> str:
    return "\n".join(p for p in parts if p)


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
    """A list of sessions to drill into, ``PAGE_SIZE`` at a time with page buttons.

    "To be confirmed" is said once, under the list's heading, not on every line.
    """
    if not sessions:
        return Text(body + ("\n\n" if body else "") + (empty or _("No sessions.")), title=title)
    pages = max(1, -(-len(sessions) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = sessions[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    mark = marks_tbc(shown)
    options = [session_choice(ctx, s, with_day=with_day, mark=mark) for s in shown]
    notes = _joined(tbc_note(shown), derived_note(ctx, *(s.title for s in shown)))
    if pages > 1:
        body = (body + "\n" if body else "") + ngettext(
            "Page {page} of {pages} ({count} session)", "Page {page} of {pages} ({count} sessions)", len(sessions)
        ).format(page=format_number(page), pages=format_number(pages), count=format_number(len(sessions)))
        if page_command:
            if page > 1:
                options.append(Choice(_("◀ Previous page"), f"{page_command} p{page - 1}"))
            if page < pages:
                options.append(Choice(_("Next page ▶"), f"{page_command} p{page + 1}"))
    body = _joined(body, notes)
    return Choices(body or _("Pick a session for details:"), tuple(options), title=title, navigation=ctx.via_button)


def session_detail(ctx: Context, s: Session) -> list[str]:
    """Every fact about a session, one line or paragraph each."""
    prog = ctx.programme
    lines = [
        _("{day}, {time}").format(day=format_day(ctx.agenda.local_date(s.start)), time=time_range(ctx, s.start, s.end))
    ]
    if prog.event.online:
        lines.append(_("Times are {zone}.").format(zone=format_utc_offset(prog.zone, s.start)))
    kind = str(KIND_NAMES[s.kind])
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
            city = text(ctx, p.city)
            if p.country:
                city = _("{city}, {country}").format(city=city, country=text(ctx, p.country))
            line = _("• {city}: {initiative}").format(city=city, initiative=text(ctx, p.initiative))
            lines.append(spaced(line, _("(to be confirmed)")) if p.tbc else line)
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
            lines.append(_("Hosts: {hosts}").format(hosts=format_list(text(ctx, h) for h in visit.hosts)))
    note = derived_note(ctx, s.title, s.description)
    if note:
        lines += ["", note]
    lines += _session_extras(ctx, s)
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


def language_name(tag: str) -> str:
    """A language as the reader calls it: ``de`` -> "German" (English), "alemán" (Spanish), "德语" (Chinese)."""
    try:
        name = Locale.parse(tag).get_display_name(current().locale)
    except (ValueError, UnknownLocaleError):
        return tag
    return name or tag


def _session_extras(ctx: Context, s: Session) -> list[str]:
    """The session's language, its page, links and recording, where the programme (an import) gives them."""
    lines: list[str] = []
    if s.language and s.language.split("_")[0] != ctx.programme.event.default_language.split("_")[0]:
        lines.append(_("Language: {language}").format(language=language_name(s.language)))
    links = [(text(ctx, link.title) if link.title else link.url, link.url) for link in s.links]
    if s.url:
        links.insert(0, (_("Web page"), s.url))
    if s.recording is not None and s.recording.url:
        links.append((_("Recording"), s.recording.url))
    if links:
        lines.append("")
        lines.append(_("Links:"))
        lines.extend(_("• {title}: {url}").format(title=title, url=url) for title, url in links)
    if s.recording is not None and s.recording.optout:
        lines.append(_("This session is not recorded, at the speakers' request."))
    return lines


def _person(ctx: Context, p: object) -> str:
    """A speaker or moderator: name (role, organisation, city), and "to be confirmed" where their part is."""
    name = text(ctx, getattr(p, "name"))
    extra = [text(ctx, v) for v in (getattr(p, "role", None), getattr(p, "organisation", None), getattr(p, "city", None)) if v]
    shown = name
    if extra:
        details = extra[0]
        for more in extra[1:]:
            details = _("{first}, {second}").format(first=details, second=more)
        shown = _("{name} ({details})").format(name=name, details=details)
    return spaced(shown, _("(to be confirmed)")) if getattr(p, "tbc", False) else shown


def parse_page(args: str) -> tuple[str, int]:
    """Split a trailing ``p3`` page marker from command arguments."""
    words = args.split()
    if words and words[-1].startswith("p") and words[-1][1:].isdigit():
        return " ".join(words[:-1]), int(words[-1][1:])
    return args.strip(), 1
