"""Privacy: what is stored and why (/privacy, and in short under /start), all of it (/mydata), deleting it (/forget).

``/forget`` asks first: it begins a dialogue step with a one-time code the
confirming button carries, so only that button (or "1" under it), pressed
within :data:`CONFIRM_LIFETIME`, deletes anything.  The deletion itself is
:meth:`bot.privacy.Privacy.forget`, driven by the declared registry of
tables.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Sequence
from typing import Final

from bot.conversation import Choice, Choices, Document, Reply, Request, Text
from bot.dialogues import DialogueKey, Step
from bot.i18n import N_, _, format_date, format_datetime, format_list, format_number
from bot.router import Context, Router
from handlers.views import channel_name, event_name, text

STEP: Final = "privacy.forget"
CONFIRM_LIFETIME: Final = dt.timedelta(minutes=15)


def purge_date(ctx: Context) -> dt.date | None:
    at = ctx.services.privacy.purge_at()
    return at.astimezone(ctx.programme.zone).date() if at is not None else None


def contact_line(ctx: Context) -> str | None:
    contact = ctx.programme.event.contact
    if contact is None:
        return None
    how = contact.email or contact.url or contact.phone
    return _("Questions for the organisers: {email}").format(email=how) if how else None


def notice(ctx: Context) -> list[str]:
    """The short notice under the welcome: what, why, how long, where to see and delete it, whom to ask."""
    day = purge_date(ctx)
    if day is not None:
        first = _("Privacy: I keep your language and your choices (bookmarks, streams, site visits, reminders) only to "
                  "answer and remind you, and delete them on {date}.").format(date=format_date(day, "long"))
    else:
        first = _("Privacy: I keep your language and your choices (bookmarks, streams, site visits, reminders) only to "
                  "answer and remind you, until you delete them.")
    lines = [first, _("/mydata shows them, /forget deletes them, /privacy says more.")]
    contact = contact_line(ctx)
    if contact:
        lines.append(contact)
    return lines


async def privacy(req: Request, ctx: Context) -> Sequence[Reply]:
    """The privacy notice in full."""
    ev = ctx.programme.event
    lines = [
        _("What I store: your {channel} id and the name it shows, your language and time zone, the sessions you "
          "bookmark, the streams you follow, the site visits you join, your reminder settings, the last location you "
          "share, and the messages waiting for you.").format(channel=channel_name(req.user.channel)),
        _("Why: to answer you, to remind you of what you chose and to pass on the organisers' news. The organisers see "
          "your name on the list of a site visit you join; nothing is used for anything else."),
    ]
    lines.append(_("Feedback on sessions: your answers are anonymous unless the questionnaire says otherwise. /forget "
                   "deletes your named answers; anonymous ones stay for the statistics, without you."))
    lines.append(_("If you subscribe to your calendar, its private link is kept too, until /calendar off or /forget."))
    day = purge_date(ctx)
    days = ctx.services.privacy.retention_days
    if day is not None and days is not None:
        lines.append(_("How long: until {date}, {days} days after the event ends; then it is deleted.").format(
            date=format_date(day, "long"), days=format_number(days)))
    else:
        lines.append(_("How long: until you delete it with /forget."))
    if ev.organisers:
        lines.append(_("Responsible: {organisers}.").format(organisers=format_list(text(ctx, o.name) for o in ev.organisers)))
    contact = contact_line(ctx)
    if contact:
        lines.append(contact)
    lines.append(_("/mydata sends you all of it as a file; /forget deletes all of it at once."))
    return [Text("\n\n".join(lines), title=_("Privacy"))]


async def mydata(req: Request, ctx: Context) -> Sequence[Reply]:
    """Everything stored about the delegate: a short summary, and all of it as a JSON document."""
    services = ctx.services
    tables = await services.privacy.export(req.user)
    document = {
        "event": ctx.programme.event.id,
        "exported_at": ctx.now.astimezone(dt.timezone.utc).isoformat(timespec="seconds"),
        "person": {"channel": req.user.channel, "id": req.user.platform_id},
        "tables": tables,
    }
    data = json.dumps(document, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    user = ctx.user
    lines = []
    if user is not None:
        lines.append(_("Language: {language}").format(language=services.catalogs.get(ctx.locale).display_name))
        if user.timezone:
            lines.append(_("Time zone: {zone}").format(zone=user.timezone))
    counts = (
        (_("Bookmarked sessions: {count}"), "bookmarks"),
        (_("Followed streams: {count}"), "stream_subscriptions"),
        (_("Site visits joined: {count}"), "visit_signups"),
        (_("Messages kept for you: {count}"), "outbox"),
    )
    for label, table in counts:
        if tables.get(table):
            lines.append(label.format(count=format_number(len(tables[table]))))
    location = (tables.get("last_locations") or [None])[0]
    if location is not None and user is not None:
        from bot.store.db import parse_iso

        lines.append(_("Last location shared: {time}").format(
            time=format_datetime(parse_iso(str(location["recorded_at"])), ctx.programme.zone)))
    lines.append("")
    lines.append(_("The file has all of it. /forget deletes it."))
    filename = f"my-data-{ctx.programme.event.id}.json"
    return [
        Text("\n".join(lines), title=_("What I store about you")),
        Document(data, filename, caption=_("Everything I store about you, as JSON ({event})").format(event=event_name(ctx)),
                 mime_type="application/json"),
    ]


def _question(code: str) -> Choices:
    body = _("This deletes everything I store about you: your language, bookmarks, streams, site visits, reminders, "
             "the messages waiting for you and our conversation. It cannot be undone. Delete it all?")
    options = (Choice(_("Delete everything"), f"/forget yes {code}"), Choice(_("Keep my data"), "/forget no"))
    return Choices(body, options, title=_("Delete my data"))


async def forget(req: Request, ctx: Context) -> Sequence[Reply]:
    """Ask before deleting everything about the delegate; the confirming button deletes it."""
    services = ctx.services
    key = DialogueKey.of(req.user)
    words = req.args.split()
    pending = ctx.dialogue.step or ctx.abandoned_step
    if words and words[0] == "no":
        if pending is not None and pending.name == STEP:
            await services.dialogues.end(key, ctx.now)
        return [Text(_("Nothing was deleted."))]
    if words and words[0] == "yes":
        confirmed = (pending is not None and pending.name == STEP and pending.live_at(ctx.now)
                     and len(words) == 2 and secrets.compare_digest(str(pending.data.get("code", "")), words[1]))
        if not confirmed:
            return [Text(_("That confirmation has expired. Send /forget again to delete your data."))]
        await services.privacy.forget(req.user)
        ctx.user = None  # nothing of them is left to note after this answer
        return [Text(_("Done: everything I stored about you is deleted. If you write to me again, I start afresh."))]
    code = secrets.token_hex(4)
    await services.dialogues.begin(key, Step(STEP, ctx.now + CONFIRM_LIFETIME, {"code": code}), ctx.now)
    return [_question(code)]


async def forget_step(req: Request, ctx: Context) -> Sequence[Reply]:
    """Anything but an answer while the question is open: ask again."""
    assert ctx.step is not None
    return [_question(str(ctx.step.data.get("code", "")))]


def register(router: Router) -> None:
    router.command("privacy", description=N_("What I store about you, and why"))(privacy)
    router.command("mydata", description=N_("Everything I store about you, as a file"))(mydata)
    router.command("forget", description=N_("Delete everything I store about you"))(forget)
    router.step(STEP)(forget_step)
