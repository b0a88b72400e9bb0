"""Calendars: "Add to calendar" under every session, /myagenda ics, and /calendar, a feed that follows the programme."""

from __future__ import annotations

from collections.abc import Sequence

from bot.calendars import Calendars, webcal
from bot.conversation import Choice, Choices, Document, Reply, Request, Text
from bot.i18n import N_, _, format_number, ngettext
from bot.ics import MIME_TYPE, filename
from bot.programme import Session
from bot.router import Context, Router
from bot.understanding.phrases import key, phrases
from handlers.views import text

#: Button payloads of /calendar (words typed after it are read from the phrase data too).
NEW, OFF = "new", "off"


def calendars(ctx: Context) -> Calendars:
    return ctx.services.calendars


async def session_document(ctx: Context, session: Session) -> Document:
    data = await calendars(ctx).session_file(ctx.user, session)
    return Document(
        data, filename(text(ctx, session.title), session.id),
        caption=_("Open this file to add \"{title}\" to your calendar.").format(title=text(ctx, session.title)),
        mime_type=MIME_TYPE,
    )


async def agenda_document(ctx: Context) -> Sequence[Reply]:
    """``/myagenda ics``: the delegate's agenda as a calendar file."""
    sessions = await calendars(ctx).sessions_of(ctx.user_id)
    if not sessions:
        return [Text(_("Nothing in your agenda yet. Press Bookmark under a session, or send /bookmark and its id."))]
    assert ctx.user is not None
    data = await calendars(ctx).agenda_file(ctx.user)
    caption = ngettext(
        "Your agenda: {count} session. Open the file to add it to your calendar; /calendar keeps your calendar up to date instead.",
        "Your agenda: {count} sessions. Open the file to add them to your calendar; /calendar keeps your calendar up to date instead.",
        len(sessions),
    ).format(count=format_number(len(sessions)))
    return [Document(data, filename(calendars(ctx).event_name(ctx.locale), "agenda"), caption=caption, mime_type=MIME_TYPE)]


async def add_to_calendar(req: Request, ctx: Context) -> Sequence[Reply]:
    """One session as a calendar file: /ics <id>."""
    wanted = req.args.strip()
    session = ctx.agenda.session(wanted) if wanted else None
    if session is None:
        if not wanted:
            return [Text(_("Which session? Press \"Add to calendar\" under a session, or send /ics and its id."))]
        return [Text(_("There is no session with the id \"{id}\".").format(id=wanted) + "\n" + _("Find its id with /search and a word of its title."))]
    return [await session_document(ctx, session)]


def _wants(args: str) -> str | None:
    words = key(args)
    if not words:
        return None
    if words == OFF or words in phrases().reminders_off:
        return OFF
    if words == NEW or words in phrases().reminders_default:
        return NEW
    return "?"


async def calendar(req: Request, ctx: Context) -> Sequence[Reply]:
    """Subscribe to your agenda in your phone's calendar: a link that follows bookmarks and programme changes."""
    service = calendars(ctx)
    wanted = _wants(req.args)
    if wanted == OFF:
        revoked = await service.revoke(ctx.user_id)
        message = _("Your calendar link no longer works; calendars subscribed to it stop updating.") if revoked else _("You have no calendar link.")
        return [Choices(message, (Choice(_("New calendar link"), "/calendar"),))]
    if wanted == "?":
        return [Text(_("Send /calendar for your calendar link, /calendar new to replace it, or /calendar off to stop it."))]
    download = Choice(_("Download my agenda (.ics)"), "/myagenda ics")
    if service.public_url is None:
        return [Choices(
            "\n".join((
                _("Calendar subscriptions need the bot's web address, which the organisers have not set up (BOT_PUBLIC_URL)."),
                _("You can still download your agenda as a file and open it in your calendar."),
            )),
            (download,),
            title=_("Calendar"),
        )]
    if wanted == NEW:
        await service.revoke(ctx.user_id)
    token = await service.token(ctx.user_id)
    url = service.feed_url(token) or ""
    programme_url = service.programme_url() or ""
    lines = [
        _("Subscribe to your agenda in your calendar app with this link:"),
        webcal(url),
        "",
        _("It holds your bookmarks, your site visits and the sessions of the streams you follow, with an alarm at your reminder time. When a session moves or is cancelled, your calendar shows it at its next refresh."),
        _("On an iPhone, tap the link; in Google Calendar, choose \"From URL\" and paste this address:"),
        url,
        "",
        _("Keep the link to yourself: whoever has it sees your agenda. /calendar new replaces it."),
        "",
        _("The whole programme: {url}").format(url=webcal(programme_url)),
    ]
    options = (download, Choice(_("New calendar link"), f"/calendar {NEW}"), Choice(_("Stop my calendar link"), f"/calendar {OFF}"))
    return [Choices("\n".join(lines), options, title=_("Calendar"))]


async def calendar_action(ctx: Context, session: Session) -> list[Choice]:
    """The "Add to calendar" button under every session."""
    return [Choice(_("Add to calendar"), f"/ics {session.id}")]


def register(router: Router) -> None:
    router.command("calendar", description=N_("Your agenda in your phone's calendar, kept up to date"))(calendar)
    router.command("ics")(add_to_calendar)
    router.session_action(calendar_action)
