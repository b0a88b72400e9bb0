"""The thematic streams."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.conversation import Choice, Choices, Reply, Request, Text, echo
from bot.i18n import N_, _, format_day, format_list
from bot.programme import Stream
from bot.router import Context, Router
from handlers.reminders import stream_token
from handlers.views import event_name, parse_page, session_list, text


async def streams(req: Request, ctx: Context) -> Sequence[Reply]:
    """Every stream with its theme."""
    all_streams = ctx.agenda.streams()
    if not all_streams:
        return [Text(_("This event has no streams."), title=event_name(ctx))]
    options = tuple(
        Choice(
            _("Stream {number}: {title}").format(number=s.number, title=text(ctx, s.title)),
            f"/stream {s.id}",
            short=_("Stream {number}").format(number=s.number),
        )
        for s in all_streams
    )
    return [Choices(_("Pick a stream for its theme and sessions:"), options, title=_("Streams"), navigation=ctx.via_button)]


async def stream(req: Request, ctx: Context) -> Sequence[Reply]:
    """One stream: its theme and its sessions."""
    args, page = parse_page(req.args)
    if not args:
        return await streams(req, ctx)
    found, date = ctx.agenda.find_stream(args), None
    if found is None:
        found, date = _stream_on_day(ctx, args)
    if found is None:
        numbers = format_list(str(s.number) for s in ctx.agenda.streams())
        return [Text(_("There is no stream \"{stream}\". The streams are: {numbers}.").format(stream=echo(args), numbers=numbers or "—"))]
    sessions = ctx.agenda.stream_sessions(found.id)
    if date is not None:
        sessions = tuple(s for s in sessions if ctx.agenda.local_date(s.start) == date)
    body = text(ctx, found.description) if found.description and date is None else ""
    if found.facilitator:
        body += ("\n" if body else "") + _("Facilitator: {name}").format(name=found.facilitator)
    return [
        session_list(
            ctx, sessions,
            title=_("Stream {number}: {title}").format(number=found.number, title=text(ctx, found.title)),
            body=body if date is None else format_day(date), page=page,
            page_command=f"/stream {found.id}" + (f" {date.isoformat()}" if date else ""), with_day=date is None,
            empty=_("This stream has no sessions on that day."),
        )
    ]


def _stream_on_day(ctx: Context, args: str) -> tuple[Stream | None, dt.date | None]:
    """``"s2 2025-06-05"``, ``"2 thursday"``: a stream and a day of its sessions."""
    words = args.split()
    for cut in range(len(words) - 1, 0, -1):
        stream = ctx.agenda.find_stream(stream_token(" ".join(words[:cut])))
        date = ctx.agenda.resolve_day(" ".join(words[cut:]), ctx.today, ctx.services.catalogs.tags)
        if stream is not None and date is not None:
            return stream, date
    return None, None


def register(router: Router) -> None:
    router.command("streams", description=N_("The thematic streams"))(streams)
    router.command("stream", description=N_("One stream: /stream 2"))(stream)
