"""Practical information: Wi-Fi, meals, the registration desk, contacts (the programme's ``info`` section)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversation import Choice, Choices, Reply, Request, Text, echo
from bot.i18n import N_, _
from bot.programme.model import InfoEntry
from bot.router import Context, Router
from bot.understanding.understand import understanding_for, understanding_ready
from handlers.views import derived_note, text


def find_entry(ctx: Context, wanted: str) -> InfoEntry | None:
    """An entry by id, else the one whose questions the words ask (``/info wifi password``)."""
    wanted = wanted.strip()
    for entry in ctx.programme.info:
        if entry.id.casefold() == wanted.casefold():
            return entry
    meaning = understanding_for(ctx.agenda, ctx.services.catalogs.tags).understand(wanted, ctx.today, ctx.locale)
    if meaning is not None and meaning.command == "info" and meaning.args:
        return next((e for e in ctx.programme.info if e.id == meaning.args), None)
    return None


def contact_line(ctx: Context) -> str:
    """How to reach the organisers, from the event's contact; "" where the programme gives none."""
    contact = ctx.programme.event.contact
    if contact is None or not (contact.email or contact.phone):
        return ""
    return _("Questions for the organisers: {email}").format(email=contact.email or contact.phone)


def topics(ctx: Context, body: str | None = None) -> Reply:
    """Every entry, to pick one."""
    entries = ctx.programme.info
    if not entries:
        lines = [_("There is no practical information in the programme yet.")]
        contact = contact_line(ctx)
        if contact:
            lines.append(contact)
        return Text("\n".join(lines), title=_("Practical information"))
    options = tuple(Choice(text(ctx, e.title), f"/info {e.id}") for e in entries)
    return Choices(body or _("Pick a topic:"), options, title=_("Practical information"), navigation=ctx.via_button, columns=2)


def entry_view(ctx: Context, entry: InfoEntry) -> Reply:
    """One entry: its answer, whether it is confirmed, how to reach someone, where it is."""
    lines = [text(ctx, entry.answer)]
    if entry.tbc:
        lines.append(_("This is still to be confirmed by the organisers."))
    if entry.email:
        lines.append(_("E-mail: {email}").format(email=entry.email))
    if entry.phone:
        lines.append(_("Phone: {phone}").format(phone=entry.phone))
    if entry.url:
        lines.append(_("More: {url}").format(url=entry.url))
    note = derived_note(ctx, entry.title, entry.answer)
    if note:
        lines.append(note)
    options: list[Choice] = []
    venue = ctx.programme.venue(entry.venue)
    if venue is not None:
        options.append(Choice(_("Where: {place}").format(place=text(ctx, venue.name)), f"/venue {venue.id}", short=_("Where it is")))
    options.append(Choice(_("All practical information"), "/info", short=_("Practical information")))
    return Choices("\n".join(lines), tuple(options), title=text(ctx, entry.title))


async def info(req: Request, ctx: Context) -> Sequence[Reply]:
    """``/info``: the topics; ``/info wifi`` (or its words): one of them."""
    wanted = req.args.strip()
    if not wanted:
        return [topics(ctx)]
    await understanding_ready(ctx.agenda, ctx.services.catalogs.tags)  # built in a thread, not here, if it is not yet
    entry = find_entry(ctx, wanted)
    if entry is None:
        return [topics(ctx, _("I have no practical information on \"{topic}\". These are the topics:").format(topic=echo(wanted)))]
    return [entry_view(ctx, entry)]


def register(router: Router) -> None:
    router.command("info", description=N_("Practical information: Wi-Fi, meals, contacts"))(info)
