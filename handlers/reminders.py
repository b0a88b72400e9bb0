"""Reminders: follow a stream, choose the lead time, and what a reminder says."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot import i18n
from bot.clock import parse_duration
from bot.conversation import Choice, Choices, Reply, Request, Text, echo
from bot.i18n import N_, _, format_list, format_number, ngettext
from bot.notify.reminders import Kind, ReminderEngine, lead_for, moment_of
from bot.programme import Session, Stream
from bot.router import Context, Router
from bot.store.delegates import DelegateState, ReminderSettings
from bot.store.users import UserRecord
from bot.understanding.intents import without_command_word
from bot.understanding.phrases import phrases
from handlers.updates import window_line
from handlers.views import moment, text, time_range

if TYPE_CHECKING:
    from bot.services import Services

MAX_LEAD_MINUTES = 1440


def state(ctx: Context) -> DelegateState:
    return ctx.services.delegates


def engine(ctx: Context) -> ReminderEngine:
    return ctx.services.reminders


def minutes_text(minutes: int) -> str:
    """A number of minutes on its own, as on a button: "15 minutes"."""
    return ngettext("{count} minute", "{count} minutes", minutes).format(count=format_number(minutes))


def lead_text(session: Session, settings: ReminderSettings) -> str:
    """"I will remind you 15 minutes before it starts" or the visit/off variant."""
    if not settings.enabled:
        return _("Reminders are off; send /reminders on to get them.")
    minutes = int(lead_for(session, settings.lead_minutes).total_seconds() // 60)
    if session.site_visit is not None:
        return ngettext("I will remind you {count} minute before the group leaves.",
                        "I will remind you {count} minutes before the group leaves.", minutes).format(count=format_number(minutes))
    return ngettext("I will remind you {count} minute before it starts.",
                    "I will remind you {count} minutes before it starts.", minutes).format(count=format_number(minutes))


def settings_text(settings: ReminderSettings) -> str:
    if not settings.enabled:
        return _("Reminders are off.")
    if settings.lead_minutes is None:
        return _("Reminders are on: {session} before a session starts, {visit} before a site visit's group leaves.").format(
            session=minutes_text(15), visit=minutes_text(30)
        )
    return ngettext("Reminders are on: {count} minute before a session starts or a site visit's group leaves.",
                    "Reminders are on: {count} minutes before a session starts or a site visit's group leaves.",
                    settings.lead_minutes).format(count=format_number(settings.lead_minutes))


# -- streams --------------------------------------------------------------------


def stream_token(args: str) -> str:
    """``stream 2``, ``分论坛二``, ``#2`` -> ``2``; anything else unchanged."""
    token = without_command_word("stream", args)
    return phrases().numbers.get(token.casefold(), token)


def _stream_name(ctx: Context, stream: Stream) -> str:
    return _("Stream {number}: {title}").format(number=stream.number, title=text(ctx, stream.title))


async def _pick_stream(ctx: Context, command: str, question: str) -> Reply:
    followed = await state(ctx).subscriptions(ctx.user_id)
    options = tuple(
        Choice(("✓ " if s.id in followed else "") + _stream_name(ctx, s), f"/{command} {s.id}",
               short=_("Stream {number}").format(number=s.number))
        for s in ctx.agenda.streams()
    )
    if not options:
        return Text(_("This event has no streams."))
    return Choices(question, options, navigation=ctx.via_button)


async def _find_stream(ctx: Context, args: str) -> Stream | Reply:
    stream = ctx.agenda.find_stream(stream_token(args))
    if stream is None:
        numbers = format_list(str(s.number) for s in ctx.agenda.streams())
        return Text(_("There is no stream \"{stream}\". The streams are: {numbers}.").format(stream=echo(args), numbers=numbers or "—"))
    return stream


async def subscribe(req: Request, ctx: Context) -> Sequence[Reply]:
    """Follow a stream: every one of its sessions is reminded."""
    if not req.args.strip():
        return [await _pick_stream(ctx, "subscribe", _("Which stream do you want to follow? I will remind you of each of its sessions."))]
    stream = await _find_stream(ctx, req.args)
    if not isinstance(stream, Stream):
        return [stream]
    added = await state(ctx).subscribe(ctx.user_id, stream.id, ctx.now)
    await engine(ctx).reconcile(users=[ctx.user_id])
    upcoming = [s for s in ctx.agenda.stream_sessions(stream.id) if moment_of(s) > ctx.now]
    lines = [
        (_("You now follow {stream}.") if added else _("You already follow {stream}.")).format(stream=_stream_name(ctx, stream)),
        ngettext("I will remind you of its {count} coming session.", "I will remind you of its {count} coming sessions.",
                 len(upcoming)).format(count=format_number(len(upcoming)))
        if upcoming else _("This stream has no more sessions, so there is nothing to remind you of."),
    ]
    if upcoming:
        lines.append(settings_text(await state(ctx).reminder_settings(ctx.user_id)))
    options = (Choice(_("Sessions of this stream"), f"/stream {stream.id}"), Choice(_("Unfollow"), f"/unsubscribe {stream.id}"))
    return [Choices("\n".join(lines), options)]


async def unsubscribe(req: Request, ctx: Context) -> Sequence[Reply]:
    """Stop following a stream; its pending reminders are cancelled."""
    if not req.args.strip():
        return [await _pick_stream(ctx, "unsubscribe", _("Which stream do you want to stop following?"))]
    stream = await _find_stream(ctx, req.args)
    if not isinstance(stream, Stream):
        return [stream]
    removed = await state(ctx).unsubscribe(ctx.user_id, stream.id)
    await engine(ctx).reconcile(users=[ctx.user_id])
    if not removed:
        return [Text(_("You did not follow {stream}.").format(stream=_stream_name(ctx, stream)))]
    return [Text(_("You no longer follow {stream}. Sessions you bookmarked or visits you joined are still reminded.").format(
        stream=_stream_name(ctx, stream)))]


# -- settings -------------------------------------------------------------------


def _settings_choices() -> tuple[Choice, ...]:
    return (
        Choice(minutes_text(10), "/reminders 10"),
        Choice(minutes_text(15), "/reminders 15"),
        Choice(minutes_text(30), "/reminders 30"),
        Choice(minutes_text(60), "/reminders 60"),
        Choice(_("Default"), "/reminders default"),
        Choice(_("Off"), "/reminders off"),
    )


async def reminders(req: Request, ctx: Context) -> Sequence[Reply]:
    """Show or change reminders: /reminders 30, /reminders off, /reminders on."""
    word = req.args.strip().casefold()
    store, uid = state(ctx), ctx.user_id
    if not word:
        current = await store.reminder_settings(uid)
        lines = [settings_text(current)]
        pending = await engine(ctx).pending(uid)
        if pending:
            sid, due = pending[0]
            session = ctx.agenda.session(sid)
            lines.append(ngettext("{count} reminder is waiting.", "{count} reminders are waiting.", len(pending)).format(count=format_number(len(pending))))
            if session is not None:
                title = text(ctx, session.title)
                if due <= ctx.now:  # due and on its way: no time already past
                    lines.append(_("The next one, for \"{title}\", is on its way.").format(title=title))
                else:
                    lines.append(_("The next one, for \"{title}\", comes {when}.").format(title=title, when=moment(ctx, due)))
        lines.append(_("Change it with /reminders <minutes>, /reminders off or /reminders on."))
        budget = await window_line(ctx)
        if budget is not None:
            lines.append(budget)
        return [Choices("\n".join(lines), _settings_choices(), title=_("Reminders"), columns=2)]
    words = phrases()
    if word in words.reminders_off:
        await store.set_reminders_enabled(uid, False)
        await engine(ctx).reconcile(users=[uid])
        return [Text(_("Reminders are off. Your bookmarks and streams are kept; send /reminders on to get reminders again."))]
    if word in words.reminders_on:
        await store.set_reminders_enabled(uid, True)
    elif word in words.reminders_default:
        await store.set_lead(uid, None)
    else:
        try:
            lead = parse_duration(_without_minutes(word))
        except ValueError:
            lead = None
        minutes = int(lead.total_seconds() // 60) if lead is not None else 0
        if lead is None or lead.total_seconds() % 60 or not 1 <= minutes <= MAX_LEAD_MINUTES:
            return [Text(_("I could not read \"{value}\" as a lead time. Send a number of minutes from 1 to {max}, e.g. /reminders 30, or /reminders off.").format(
                value=req.args.strip(), max=MAX_LEAD_MINUTES))]
        await store.set_lead(uid, minutes)
    await engine(ctx).reconcile(users=[uid])
    return [Text(_("Saved. {settings}").format(settings=settings_text(await store.reminder_settings(uid))))]


def _without_minutes(word: str) -> str:
    """``30min``, ``30 min`` or ``30分钟`` -> ``30``: the words for minutes are the default unit."""
    for suffix in phrases().minute_words:
        if word.endswith(suffix):
            return word.removesuffix(suffix)
    return word


# -- what a reminder says -------------------------------------------------------


def render_reminder(services: Services, user: UserRecord, session: Session, kind: Kind, now: dt.datetime) -> list[Reply]:
    """The reminder, in the delegate's language and zone(s)."""
    localizer = services.locales.localizer(user)
    ctx = Context.create(services, user, localizer, now)
    with i18n.use(localizer):
        lines = [text(ctx, session.title)]
        prog = ctx.programme
        if kind is Kind.VISIT and session.site_visit is not None:
            visit = session.site_visit
            point = prog.venue(visit.meeting_point)
            place = text(ctx, point.name) if point is not None else visit.meeting_point
            lines.append(_("The group leaves from {place} {when}.").format(place=place, when=moment(ctx, visit.departure)))
            if point is not None and point.address:
                lines.append(_("Address: {address}").format(address=text(ctx, point.address)))
            if visit.meeting_note:
                lines.append(text(ctx, visit.meeting_note))
            lines.append(_("The visit itself: {time}.").format(time=time_range(ctx, session.start, session.end)))
            if visit.bring:
                lines.append(_("What to bring: {items}").format(items=text(ctx, visit.bring)))
            title = _("Site visit reminder")
        else:
            lines.append(_("Starts {when}.").format(when=moment(ctx, session.start)))
            venue = prog.venue(session.venue)
            if venue is not None:
                lines.append(_("Where: {place}").format(place=text(ctx, venue.name)))
            if session.online is not None and session.online.url:
                lines.append(_("Link: {url}").format(url=session.online.url))
            title = _("Reminder")
        if session.tbc:
            lines.append(_("Times and places of this session are still to be confirmed."))
        lines.append(_("Details: /session {id}").format(id=session.id))
        return i18n.directed_replies([Text("\n".join(lines), title=title)], localizer.tag)  # type: ignore[return-value]


def register(router: Router) -> None:
    router.command("subscribe", "follow", description=N_("Follow a stream and be reminded of its sessions: /subscribe 2"))(subscribe)
    router.command("unsubscribe", "unfollow", description=N_("Stop following a stream: /unsubscribe 2"))(unsubscribe)
    router.command("reminders", "remind", description=N_("Reminder lead time: /reminders 30, /reminders off"))(reminders)

