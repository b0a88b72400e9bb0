"""The delegate's own time zone, shown beside the event's (online events)."""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.conversation import Reply, Request, Text, echo
from bot.i18n import N_, _, format_utc_offset
from bot.router import Context, Router
from bot.understanding.phrases import phrases


@functools.lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    """Every IANA name, keyed by its case-folded form."""
    return {name.casefold(): name for name in zoneinfo.available_timezones()}


def resolve_zone(value: str) -> str | None:
    """``Europe/Madrid``, ``europe/madrid`` or a unique city (``Madrid``, ``new york``) -> IANA name."""
    token = value.strip().replace(" ", "_").casefold()
    if not token:
        return None
    zones = _zones()
    if token in zones:
        return zones[token]
    cities = [name for key, name in zones.items() if key.rsplit("/", 1)[-1] == token and "/" in key]
    return cities[0] if len(cities) == 1 else None


async def timezone(req: Request, ctx: Context) -> Sequence[Reply]:
    """Show, set (/timezone Europe/Madrid) or clear (/timezone off) the delegate's own zone."""
    wanted = req.args.strip()
    event_zone = ctx.programme.zone
    if not wanted:
        own = ctx.user.timezone if ctx.user else None
        lines = [_("The event's times are {zone} ({offset}).").format(zone=event_zone.key, offset=format_utc_offset(event_zone, ctx.now))]
        if own:
            lines.append(_("Your own zone is {zone} ({offset}); times are shown in both.").format(
                zone=own, offset=format_utc_offset(ZoneInfo(own), ctx.now)))
        lines.append(_("Set yours with /timezone and an IANA name, e.g. /timezone Europe/Madrid; /timezone off to use only the event's."))
        return [Text("\n".join(lines), title=_("Time zone"))]
    if wanted.casefold() in phrases().timezone_clear:
        await ctx.services.users.set_timezone(ctx.user_id, None)
        return [Text(_("Times are now shown in the event's zone only ({zone}).").format(zone=event_zone.key))]
    name = resolve_zone(wanted)
    if name is None:
        return [Text(_("\"{zone}\" is not a time zone I know. Use an IANA name such as Europe/Madrid, America/New_York or Asia/Tokyo.").format(zone=echo(wanted)))]
    await ctx.services.users.set_timezone(ctx.user_id, name)
    zone = ZoneInfo(name)
    if zone.key == event_zone.key:
        return [Text(_("Your zone is {zone}, the same as the event's, so times are shown once.").format(zone=name))]
    return [Text(_("Your zone is now {zone} ({offset}). Times are shown in the event's zone and in yours.").format(
        zone=name, offset=format_utc_offset(zone, ctx.now)))]


def register(router: Router) -> None:
    router.command("timezone", "tz", description=N_("Your own time zone for online events: /timezone Europe/Madrid"))(timezone)
