"""Venues: where each one is, how to get there, what to show a taxi driver; the nearest; where next.

A venue card is the place as a pin with its directions and map links (each
map service given the datum it expects, :func:`bot.geo.map_link`), a block
the delegate can show a driver (the name and address in the local script,
with pinyin to read them aloud), and a QR code of the map link on request.
A shared location answers with the nearest venues; it, and the location a
phone reports by itself, is kept so that ``/where`` can say when to leave
for the delegate's next session.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import unicodedata
from collections.abc import Sequence
from typing import Final

import qrcode
from babel.units import format_unit
from qrcode.image.pure import PyPNGImage

from bot import i18n
from bot.conversation import Choice, Choices, Image, LinkButton, Location, Reply, Request, Text, echo
from bot.conversation import Venue as VenueReply
from bot.geo import (
    CHINESE_SERVICES,
    Datum,
    MapService,
    convert,
    distance_m,
    map_link,
    primary_service,
    services_for,
    walking_minutes,
)
from bot.i18n import N_, _, format_day, spaced
from bot.notify.reminders import moment_of
from bot.programme import Session, Venue
from bot.programme.model import Transit, TransitMode, exactly
from bot.router import Context, Router
from bot.store.locations import KnownLocation
from handlers.reminders import minutes_text, state
from handlers.views import session_button, text, time_of

#: The nearest venues listed for a shared location.
NEAREST: Final = 5
#: Beyond this straight-line distance, walking is not what to suggest (about 35 minutes on foot).
WALKABLE_M: Final = 2000.0
#: Beyond this, "when to leave" would be a guess about a journey, not a city trip.
TOO_FAR_M: Final = 50_000.0
#: Closer than this, the delegate is there already.
THERE_M: Final = 150.0
#: A location older than this says little about where the delegate is now.
FRESH: Final = dt.timedelta(hours=2)
#: Be there this long before a session starts or a group leaves.
EARLY: Final = dt.timedelta(minutes=5)
#: A taxi in a big city's traffic: average speed door to door, the route's extra length, and the wait for one.
TAXI_KMH: Final = 20.0
TAXI_DETOUR: Final = 1.4
TAXI_WAIT: Final = dt.timedelta(minutes=10)
#: Pixels per QR module, and the quiet zone in modules (4 is what the QR standard asks).
QR_BOX: Final = 8
QR_BORDER: Final = 4

SERVICE_NAMES = {
    MapService.AMAP: lambda: _("Amap"),
    MapService.BAIDU: lambda: _("Baidu Maps"),
    MapService.APPLE: lambda: _("Apple Maps"),
    MapService.GOOGLE: lambda: _("Google Maps"),
    MapService.OSM: lambda: _("OpenStreetMap"),
}
TRANSIT_SIGNS = {
    TransitMode.METRO: "🚇", TransitMode.BUS: "🚌", TransitMode.TRAM: "🚊",
    TransitMode.RAIL: "🚆", TransitMode.FERRY: "⛴",
}


# -- finding venues ---------------------------------------------------------------


def all_venues(ctx: Context) -> tuple[Venue, ...]:
    """Every venue, in the order of the programme file (their numbers in /venues)."""
    return ctx.programme.venues


def find_venues(ctx: Context, token: str) -> list[Venue]:
    """Venues by id, by number in /venues, or whose name (else address) in any language holds the words."""
    token = token.strip().lstrip("#")
    venues = all_venues(ctx)
    exact = ctx.programme.venue(token)
    if exact is not None:
        return [exact]
    if token.isdigit():
        n = int(token)
        return [venues[n - 1]] if 1 <= n <= len(venues) else []
    wanted = token.casefold()
    by_name = [v for v in venues if any(wanted in t.casefold() for t in _texts(v.name))]
    return by_name or [v for v in venues if any(wanted in t.casefold() for t in _texts(v.address, v.district))]


def _texts(*values: object) -> list[str]:
    out: list[str] = []
    for value in values:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, dict):
            out.extend(value.values())
    return out


def place_of(ctx: Context, session: Session) -> Venue | None:
    """Where a delegate has to be for a session: a site visit's meeting point, else its venue."""
    if session.site_visit is not None:
        return ctx.programme.venue(session.site_visit.meeting_point) or ctx.programme.venue(session.venue)
    return ctx.programme.venue(session.venue)


# -- how things read --------------------------------------------------------------


def distance_text(metres: float) -> str:
    """``350 m`` or ``1.2 km``, as the delegate's locale writes lengths."""
    locale = i18n.current().locale
    if metres < 1000:
        return format_unit(max(10, round(metres, -1)), "length-meter", length="short", locale=locale)
    return format_unit(round(metres / 1000, 1), "length-kilometer", length="short", format="#,##0.#", locale=locale)


def venue_name(ctx: Context, venue: Venue) -> str:
    name = text(ctx, venue.name)
    return spaced(name, _("(to be confirmed)")) if venue.tbc else name


def _transit_line(ctx: Context, stop: Transit) -> str:
    """``🚇 Line 1, Ximenkou station, exit C, 5 minutes on foot``."""
    parts = [_("{line}, {station} station").format(line=text(ctx, stop.line), station=text(ctx, stop.station))]
    if stop.exit:
        parts.append(_("exit {exit}").format(exit=text(ctx, stop.exit)))
    if stop.walk_minutes is not None:
        parts.append(_("{minutes} on foot").format(minutes=minutes_text(stop.walk_minutes)))
    shown = ", ".join(parts)
    if stop.note:
        shown = _("{text} ({note})").format(text=shown, note=text(ctx, stop.note))
    if stop.tbc:
        shown = spaced(shown, _("(to be confirmed)"))
    return f"{TRANSIT_SIGNS[stop.mode]} {shown}"


def departures_from(ctx: Context, venue: Venue) -> list[Session]:
    """The site visits whose group leaves from this venue and has not left yet, in time order."""
    found = [
        s for s in ctx.agenda.sessions
        if s.site_visit is not None and s.site_visit.meeting_point == venue.id and s.site_visit.departure > ctx.now
    ]
    return sorted(found, key=lambda s: (s.site_visit.departure, s.id))  # type: ignore[union-attr]


def when(ctx: Context, instant: dt.datetime) -> str:
    return _("{day}, {time}").format(day=format_day(ctx.agenda.local_date(instant)), time=time_of(ctx, instant))


def details(ctx: Context, venue: Venue) -> str:
    """What goes with the pin: transport, entrance, floor, access, phone, directions, groups leaving from here."""
    lines: list[str] = []
    lines.extend(_transit_line(ctx, stop) for stop in venue.transport)
    if venue.entrance:
        lines.append(_("Entrance: {text}").format(text=text(ctx, venue.entrance)))
    if venue.floor:
        lines.append(_("Floor: {text}").format(text=text(ctx, venue.floor)))
    if venue.accessibility:
        lines.append("♿ " + _("Access: {text}").format(text=text(ctx, venue.accessibility)))
    if venue.phone:
        lines.append("📞 " + _("Phone: {phone}").format(phone=venue.phone))
    if venue.directions:
        lines.append(text(ctx, venue.directions))
    leaving = departures_from(ctx, venue)
    if leaving:
        lines.append(_("Site-visit groups leave from here:"))
        lines.extend(
            f"• {when(ctx, s.site_visit.departure)} — {text(ctx, s.title)}"  # type: ignore[union-attr]
            for s in leaving
        )
    if venue.has_position and venue.position_tbc:
        lines.append(_("The map pin marks the area, not the exact entrance (to be confirmed)."))
    return "\n".join(lines)


def map_links(ctx: Context, venue: Venue) -> tuple[LinkButton, ...]:
    """The organisers' own map link, then one per map service, each in the datum that service reads."""
    buttons = [LinkButton(_("Map"), venue.map_url)] if venue.map_url else []
    if venue.latitude is not None and venue.longitude is not None:
        buttons.extend(
            LinkButton(
                SERVICE_NAMES[service](),
                map_link(service, venue.latitude, venue.longitude, venue.datum, pin_label(ctx, venue, service)),
            )
            for service in services_for(venue.latitude, venue.longitude, venue.datum)
        )
    return tuple(buttons)


def pin_label(ctx: Context, venue: Venue, service: MapService) -> str:
    """The pin's name: in the local script on the Chinese services (their apps, and drivers, read it),
    else in the delegate's language."""
    if service in CHINESE_SERVICES:
        local = exactly(venue.name, ctx.programme.local_language(venue))
        if local:
            return local
    return text(ctx, venue.name)


def main_link(ctx: Context, venue: Venue) -> str | None:
    """The card's one map link (for a QR code): the organisers' own, else Amap in China, OpenStreetMap elsewhere."""
    if venue.map_url:
        return venue.map_url
    if venue.latitude is None or venue.longitude is None:
        return None
    service = primary_service(venue.latitude, venue.longitude, venue.datum)
    return map_link(service, venue.latitude, venue.longitude, venue.datum, pin_label(ctx, venue, service))


# -- the driver's block -----------------------------------------------------------


def load_readings() -> None:
    """Import pypinyin and its phrase data (0.3-0.7 s, more than the rest of start-up's imports together).

    Not at start: ``delegate-bot run`` calls this in a thread once it
    answers, and :func:`reading` if it comes first.
    """
    import pypinyin  # noqa: F401


@functools.lru_cache(maxsize=512)
def reading(words: str) -> str:
    """Chinese as tone-marked pinyin, a syllable a word, for reading it aloud (pypinyin's phrase data
    picks the reading of characters with several, such as 六 in place names)."""
    from pypinyin import Style, pinyin

    parts: list[str] = []
    for (syllable,) in pinyin(words, style=Style.TONE, heteronym=False):
        piece = unicodedata.normalize("NFKC", syllable).strip()  # full-width brackets and commas as plain ones
        if piece:
            parts.append(piece)
    out = " ".join(parts)
    for opening in "([":
        out = out.replace(f"{opening} ", opening)
    for closing in ")],.;:":
        out = out.replace(f" {closing}", closing)
    return out


def _in_language(ctx: Context, tag: str, message: str) -> str | None:
    """``message`` in the language ``tag`` (a catalog the bot ships), or None where it has none."""
    shipped = ctx.services.catalogs.negotiate(tag)
    if shipped is None:
        return None
    with i18n.use(ctx.services.catalogs.get(shipped)):
        return _(message)


def driver_block(ctx: Context, venue: Venue) -> Text | None:
    """The name and address in the local script, alone, to show a driver; pinyin to say them.

    None where the venue has no name in the local language, or the delegate
    reads that language anyway (the card itself is then in it).
    """
    local = ctx.programme.local_language(venue)
    name = exactly(venue.name, local)
    if local is None or name is None or local.split("_")[0] == ctx.locale.split("_")[0]:
        return None
    address = exactly(venue.address, local)
    lines = [x for x in (_in_language(ctx, local, N_("Please take me to:")), name, address) if x]
    if venue.phone:
        phone = _in_language(ctx, local, N_("Phone: {phone}"))
        lines.append((phone or "{phone}").format(phone=venue.phone))
    if local.split("_")[0] == "zh":
        lines.append("")
        lines.append(_("To say it:"))
        lines.extend(reading(x) for x in (name, address) if x)
    title = _("Show this to your driver")
    if venue.tbc:
        title = spaced(title, _("(to be confirmed)"))
    return Text("\n".join(lines), title=title)


# -- the card -----------------------------------------------------------------------


def venue_card(ctx: Context, venue: Venue) -> list[Reply]:
    """The pin with its directions and map links, the driver's block, and what to do next."""
    pin = VenueReply(
        name=venue_name(ctx, venue),
        latitude=venue.latitude,
        longitude=venue.longitude,
        datum=venue.datum,
        address=text(ctx, venue.address) or None,
        directions=details(ctx, venue) or None,
        map_url=main_link(ctx, venue),
        links=map_links(ctx, venue),
    )
    replies: list[Reply] = [pin]
    block = driver_block(ctx, venue)
    if block is not None:
        replies.append(block)
    options = [Choice(_("QR code of the map"), f"/venueqr {venue.id}")] if pin.map_url else []
    options.append(Choice(_("All venues"), "/venues"))
    body = _("A QR code opens this map on another phone.") if pin.map_url else _("The other venues:")
    replies.append(Choices(body, tuple(options), columns=2))
    return replies


def venue_list(ctx: Context, body: str, venues: Sequence[Venue], title: str | None = None) -> Reply:
    options = tuple(Choice(venue_name(ctx, v), f"/venue {v.id}") for v in venues)
    return Choices(body, options, title=title, navigation=ctx.via_button)


# -- commands -----------------------------------------------------------------------


async def venues(req: Request, ctx: Context) -> Sequence[Reply]:
    """Every venue of the event, to pick one."""
    found = all_venues(ctx)
    if not found:
        return [Text(_("This programme names no venues."), title=_("Venues"))]
    body = _("Pick a venue for its address, directions and maps; or share your location to find the nearest.")
    return [venue_list(ctx, body, found, title=_("Venues"))]


async def venue(req: Request, ctx: Context) -> Sequence[Reply]:
    """One venue's card: ``/venue liurong``, ``/venue 5`` or a word of its name."""
    wanted = req.args.strip()
    if not wanted:
        return await venues(req, ctx)
    found = find_venues(ctx, wanted)
    if len(found) == 1:
        return venue_card(ctx, found[0])
    if found:
        return [venue_list(ctx, _("Several venues match \"{words}\":").format(words=echo(wanted)), found)]
    body = _("There is no venue \"{words}\". These are the venues:").format(words=echo(wanted))
    return [venue_list(ctx, body, all_venues(ctx))]


def qr_png(data: str) -> bytes:
    """A QR code of ``data`` as PNG bytes (qrcode's pure-Python PNG writer, pypng)."""
    image = qrcode.make(data, image_factory=PyPNGImage, box_size=QR_BOX, border=QR_BORDER)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


async def venue_qr(req: Request, ctx: Context) -> Sequence[Reply]:
    """A QR code of a venue's map link, to open it on another phone."""
    found = find_venues(ctx, req.args) if req.args.strip() else []
    link = main_link(ctx, found[0]) if len(found) == 1 else None
    if link is None:
        return [Text(_("Which venue? Pick one in /venues, then its QR code."))]
    place = found[0]
    caption = _("Scan this with another phone to open the map of {venue}: {url}").format(venue=text(ctx, place.name), url=link)
    return [Image(qr_png(link), f"map-{place.id}.png", caption=caption)]


# -- getting there on time ---------------------------------------------------------------


def _taxi(distance: float) -> dt.timedelta:
    hours = distance * TAXI_DETOUR / 1000 / TAXI_KMH
    return dt.timedelta(hours=hours) + TAXI_WAIT


def _minutes(delta: dt.timedelta) -> int:
    return max(1, -(-int(delta.total_seconds()) // 60))


def travel_advice(ctx: Context, known: KnownLocation | None, place: Venue, arrive_by: dt.datetime) -> str:
    """How far the place is from the delegate's last known location, and when to leave to be there early."""
    target = place.point(Datum.WGS84)
    if target is None:
        return _("This place has no position on the map yet, so I cannot say how long it takes to get there.")
    if known is None or known.age(ctx.now) > FRESH:
        return _("Share your location and I will tell you how far it is and when to leave.")
    metres = distance_m(_wgs84(known.location), target)
    far = distance_text(metres)
    basis = _("(from your location at {time})").format(time=time_of(ctx, known.recorded_at))
    if metres > TOO_FAR_M:
        return _("You are {distance} away, too far for me to say when to leave.").format(distance=far) + " " + basis
    if metres <= THERE_M:
        return _("You are there already (about {distance} away).").format(distance=far) + " " + basis
    if metres <= WALKABLE_M:
        travel = dt.timedelta(minutes=walking_minutes(metres))
        how = _("about {minutes} on foot").format(minutes=minutes_text(_minutes(travel)))
    else:
        travel = _taxi(metres)
        how = _("about {minutes} by taxi, traffic permitting").format(minutes=minutes_text(_minutes(travel)))
    leave = arrive_by - EARLY - travel
    if leave <= ctx.now:
        late = ctx.now + travel - arrive_by
        line = _("You are {distance} away, {how}: leave now.").format(distance=far, how=how)
        if late > dt.timedelta(0):
            line = spaced(line, _("You may be about {minutes} late.").format(minutes=minutes_text(_minutes(late))))
    else:
        line = _("You are {distance} away, {how}: leave by {time} to be there {early} early.").format(
            distance=far, how=how, time=time_of(ctx, leave), early=minutes_text(_minutes(EARLY)))
    return line + " " + basis


def _wgs84(location: Location) -> tuple[float, float]:
    return convert(location.latitude, location.longitude, location.datum, Datum.WGS84)


async def getting_there(ctx: Context, session: Session, heading: str | None = None) -> list[Reply]:
    """Where to be for a session and when: the group's meeting point for a visit, else the venue; then its card."""
    title = text(ctx, session.title)
    place = place_of(ctx, session)
    lines = [heading] if heading else []
    if place is None:
        lines.append(_("No place is given for \"{title}\" yet ({when}).").format(title=title, when=when(ctx, session.start)))
        return [Choices("\n".join(lines), (Choice(session_button(ctx, session, with_day=True), f"/session {session.id}"),))]
    visit = session.site_visit
    if visit is not None and place.id == visit.meeting_point:
        lines.append(_("The group for \"{title}\" leaves from {place} on {when}.").format(
            title=title, place=text(ctx, place.name), when=when(ctx, visit.departure)))
        destination = ctx.programme.venue(session.venue)
        if destination is not None and destination.id != place.id:
            lines.append(_("It goes to {venue}.").format(venue=venue_name(ctx, destination)))
    else:
        lines.append(_("\"{title}\" is at {place}, {when}.").format(
            title=title, place=text(ctx, place.name), when=when(ctx, session.start)))
    known = await ctx.services.locations.last(ctx.user_id) if ctx.user is not None else None
    lines.append(travel_advice(ctx, known, place, moment_of(session)))
    return [Text("\n".join(lines)), *venue_card(ctx, place)]


async def directions(req: Request, ctx: Context) -> Sequence[Reply]:
    """How to get to a session (the "How to get there" button): where to be, when to leave, the venue card."""
    wanted = req.args.strip()
    session = ctx.agenda.session(wanted) if wanted else None
    if session is None:
        return [Text(_("Which session? Press \"How to get there\" under a session, or send /where for your next one."))]
    return await getting_there(ctx, session)


async def next_chosen(ctx: Context) -> Session | None:
    """The delegate's next bookmarked, followed (its stream) or joined session that has not begun (or left)."""
    store = state(ctx)
    chosen = await store.bookmarks(ctx.user_id) | await store.visits(ctx.user_id)
    streams = await store.subscriptions(ctx.user_id)
    upcoming = [
        s for s in ctx.agenda.sessions
        if moment_of(s) > ctx.now and (s.id in chosen or (s.stream is not None and s.stream in streams))
    ]
    return min(upcoming, key=lambda s: (moment_of(s), s.start, s.id), default=None)


async def where(req: Request, ctx: Context) -> Sequence[Reply]:
    """Where the delegate's next session is, and when to leave to be there on time."""
    session = await next_chosen(ctx)
    if session is None:
        body = _("Nothing you chose is coming up. Bookmark sessions, follow a stream or join a site visit, "
                 "and I will tell you where the next one is and when to leave.")
        options = (Choice(_("My agenda"), "/myagenda"), Choice(_("What's next"), "/next"), Choice(_("All venues"), "/venues"))
        return [Choices(body, options, title=_("Where next"))]
    heading = _("Your next session: {session}").format(session=text(ctx, session.title))
    return await getting_there(ctx, session, heading)


async def shared_location(req: Request, ctx: Context) -> Sequence[Reply]:
    """A shared location: kept for /where, and answered with the nearest venues, how far and how long on foot."""
    location = req.location
    assert location is not None
    if ctx.user is not None:
        await ctx.services.locations.remember(ctx.user_id, location, ctx.now)
    here = _wgs84(location)
    ranked = sorted(
        ((distance_m(here, point), v) for v in all_venues(ctx) if (point := v.point(Datum.WGS84)) is not None),
        key=lambda pair: (pair[0], pair[1].id),
    )[:NEAREST]
    if not ranked:
        return [Text(_("No venue of this programme is on the map yet."))]
    options = []
    for metres, place in ranked:
        walk = _("about {minutes} on foot").format(minutes=minutes_text(walking_minutes(metres)))
        if metres > WALKABLE_M:
            walk += " — " + _("a taxi or the metro is quicker")
        options.append(Choice(f"{venue_name(ctx, place)} — {distance_text(metres)}, {walk}", f"/venue {place.id}"))
    body = "\n".join((
        _("The venues nearest to you:"),
        _("I keep only your latest location, to tell you when to leave for your next session (/where)."),
    ))
    return [Choices(body, tuple(options), title=_("Nearest venues"))]


async def directions_action(ctx: Context, session: Session) -> list[Choice]:
    """The "How to get there" button under every session and site visit that has a place."""
    if place_of(ctx, session) is None:
        return []
    return [Choice(_("How to get there"), f"/directions {session.id}")]


def register(router: Router) -> None:
    router.command("venues", description=N_("Venues: addresses, maps and directions"))(venues)
    router.command("venue", description=N_("One venue: /venue <id or name>"))(venue)
    router.command("where", description=N_("Where your next session is, and when to leave"))(where)
    router.command("directions", hidden=True)(directions)
    router.command("venueqr", hidden=True)(venue_qr)
    router.location(shared_location)
    router.session_action(directions_action)
