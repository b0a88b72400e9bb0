"""Programme changes: what a delegate is told when the programme moves, and /reload for organisers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final
from zoneinfo import ZoneInfo

from bot import i18n
from bot.conversation import Reply, Request, Text
from bot.i18n import N_, _, format_date, format_time
from bot.notify.changes import Change
from bot.programme import Programme, ProgrammeError
from bot.programme.model import localized
from bot.roles import Role, actor_of
from bot.router import Context, Router
from bot.services import Services
from bot.store.users import UserRecord

#: Problems of a refused programme shown in the chat (all of them are in the log and from `delegate-bot validate`).
MAX_PROBLEMS: Final = 10


def _zone(user: UserRecord, programme: Programme) -> ZoneInfo:
    return ZoneInfo(user.timezone) if user.timezone else programme.zone


def _when(instant: dt.datetime, zone: ZoneInfo) -> str:
    """"Thu 13:00": the weekday (the delegate's own day in their zone) and the time."""
    local = instant.astimezone(zone)
    return _("{day} {time}").format(day=format_date(local.date(), "EEE"), time=format_time(instant, zone))


def change_line(change: Change, locale: str, programme: Programme, zone: ZoneInfo) -> str:
    """One change, as a delegate reads it: old → new in their zone."""
    default = programme.event.default_language
    title = localized(change.after("title") or change.before("title"), locale, default)
    kinds = change.kinds
    if "cancelled" in kinds:
        return _("{title}: cancelled").format(title=title)
    start, old_start = change.instant("start", new=True), change.instant("start", new=False)
    venue = localized(change.after("venue_name"), locale, default) if change.after("venue_name") else None
    if "added" in kinds:
        assert start is not None
        line = _("New: {title}, {when}").format(title=title, when=_when(start, zone))
        return _("{line}, in {venue}").format(line=line, venue=venue) if venue else line
    parts: list[str] = []
    name = title
    if "title" in kinds:
        old_title = localized(change.before("title"), locale, default)
        if old_title != title:
            parts.append(_("now called \"{title}\"").format(title=title))
            name = old_title
    if "moved" in kinds and start is not None and old_start is not None:
        parts.append(_("{old} → {new}").format(old=_when(old_start, zone), new=_when(start, zone)))
    if "venue" in kinds and venue:
        parts.append(_("now in {venue}").format(venue=venue))
    if "presenters" in kinds:
        parts.append(_("the speakers or presenters have changed"))
    if "confirmed" in kinds:
        parts.append(_("confirmed"))
    if not parts:
        return _("{title}: changed").format(title=name)
    return _("{title}: {what}").format(title=name, what=_(", ").join(parts))


def render_notice(services: Services, user: UserRecord, changes: Sequence[Change], programme: Programme) -> list[Reply]:
    """One delegate's notice of the changes that concern them, in their language and zone."""
    localizer = services.locales.localizer(user)
    zone = _zone(user, programme)
    with i18n.use(localizer):
        lines = [f"• {change_line(c, localizer.tag, programme, zone)}" for c in changes]
        lines.append("")
        lines.append(_("Your agenda and reminders follow the new programme: /myagenda"))
        return [Text("\n".join(lines), title=i18n.ngettext("A change in the programme", "Changes in the programme", len(changes)))]


async def reload(req: Request, ctx: Context) -> Sequence[Reply]:
    """Organisers: read the programme file again; a broken one is refused with its problems, the old one stays."""
    services = ctx.services
    holder = services.programmes
    try:
        new = await holder.reload()
    except ProgrammeError as exc:
        await services.audit.record(ctx.now, actor_of(req.user), "programme.refused", str(holder.path), problems=len(exc.problems))
        shown = [str(p) for p in exc.problems[:MAX_PROBLEMS]]
        more = len(exc.problems) - len(shown)
        if more:
            shown.append(i18n.ngettext("… and {count} more problem.", "… and {count} more problems.", more).format(count=more))
        return [Text("\n".join([_("The programme file was not loaded; the programme in force stays. Problems:"), *shown]), title=_("Reload refused"))]
    await services.audit.record(ctx.now, actor_of(req.user), "programme.reloaded", str(holder.path), sessions=len(new.sessions))
    due, changes = await services.changes.pending()
    lines = [i18n.ngettext("Programme reloaded: {count} session.", "Programme reloaded: {count} sessions.", len(new.sessions)).format(count=len(new.sessions))]
    if changes and due is not None:
        lines.append(i18n.ngettext(
            "{count} session changed; the delegates concerned are told at {time}, unless you edit again before.",
            "{count} sessions changed; the delegates concerned are told at {time}, unless you edit again before.",
            len(changes)).format(count=len(changes), time=format_time(due, ctx.programme.zone)))
        lines.extend(f"• {change_line(c, ctx.locale, new, ctx.programme.zone)}" for c in changes[:MAX_PROBLEMS])
    else:
        lines.append(_("Nothing that delegates were told has changed."))
    return [Text("\n".join(lines), title=_("Programme"))]


def register(router: Router) -> None:
    router.command("reload", description=N_("Load the programme file again and tell delegates what changed"), role=Role.ORGANISER)(reload)
