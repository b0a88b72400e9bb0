"""The thematic streams."""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversation import Choice, Choices, Reply, Request, Text, echo
from bot.i18n import N_, _, format_list
from bot.router import Context, Router
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
    found = ctx.agenda.find_stream(args)
    if found is None:
        numbers = format_list(str(s.number) for s in ctx.agenda.streams())
        return [Text(_("There is no stream \"{stream}\". The streams are: {numbers}.").format(stream=echo(args), numbers=numbers or "—"))]
    body = text(ctx, found.description) if found.description else ""
    if found.facilitator:
        body += ("\n" if body else "") + _("Facilitator: {name}").format(name=found.facilitator)
    return [
        session_list(
            ctx, ctx.agenda.stream_sessions(found.id),
            title=_("Stream {number}: {title}").format(number=found.number, title=text(ctx, found.title)),
            body=body, page=page, page_command=f"/stream {found.id}", with_day=True,
        )
    ]


def register(router: Router) -> None:
    router.command("streams", description=N_("The thematic streams"))(streams)
    router.command("stream", description=N_("One stream: /stream 2"))(stream)
