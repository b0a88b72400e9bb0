"""Welcome and help."""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversation import Choice, Choices, Reply, Request, Text
from bot.i18n import N_, _, format_date_range
from bot.router import Context, Router
from handlers.privacy import notice as privacy_notice
from handlers.roles import is_invitation, redeem, staff_commands
from handlers.views import event_name, text


def main_menu() -> tuple[Choice, ...]:
    return (
        Choice(_("Today"), "/today"),
        Choice(_("What's next"), "/next"),
        Choice(_("Programme"), "/programme"),
        Choice(_("Streams"), "/streams"),
        Choice(_("Language"), "/lang"),
    )


async def start(req: Request, ctx: Context) -> Sequence[Reply]:
    """Greet the delegate with the event and what they can ask; with an invitation code, redeem it."""
    if is_invitation(req.args):  # a Telegram deep link (t.me/bot?start=CODE) or a WeChat QR scene
        return await redeem(req, ctx, req.args)
    ev = ctx.programme.event
    lines = [
        _("Welcome to {event}!").format(event=text(ctx, ev.name)),
        format_date_range(ev.start_date, ev.end_date),
    ]
    if ev.city and not ev.online:
        lines[-1] = _("{dates} · {city}").format(dates=lines[-1], city=text(ctx, ev.city))
    if ev.theme:
        lines.append(text(ctx, ev.theme))
    lines.append("")
    lines.append(_("I know the programme. Ask me \"today\", \"what's next\", \"day 2\", \"stream 1\" or \"search Bogotá\", or pick below."))
    lines.append("")
    lines.extend(privacy_notice(ctx))
    return [Choices("\n".join(lines), main_menu(), title=event_name(ctx), columns=2)]


async def help_(req: Request, ctx: Context) -> Sequence[Reply]:
    """List the commands with their descriptions, in the delegate's language."""
    lines = [f"/{c.name} — {_(c.description)}" for c in ctx.services.router.menu() if c.description]
    staff = await staff_commands(ctx)
    if staff:
        lines.append("")
        lines.append(_("For staff:"))
        lines.extend(f"/{c.name} — {_(c.description)}" for c in staff)
    lines.append("")
    lines.append(_("You can also write in plain words: \"today\", \"next\", \"tomorrow\", \"day 3\", \"stream 2\", \"my agenda\", \"search Seoul\"."))
    ev = ctx.programme.event
    if ev.contact and ev.contact.email:
        lines.append(_("Questions for the organisers: {email}").format(email=ev.contact.email))
    return [Text("\n".join(lines), title=_("What I can do"))]


def register(router: Router) -> None:
    router.command("start", description=N_("Welcome and main menu"))(start)
    router.command("help", description=N_("What I can do"))(help_)
