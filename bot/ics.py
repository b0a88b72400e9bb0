"""Calendars of programme sessions (iCalendar, RFC 5545), built with the icalendar library.

One :func:`calendar` serves every use: a session's "Add to calendar" file,
a delegate's agenda (file or subscription feed), the whole programme
(``delegate-bot export-ics``, the programme feed).  Each session is a
VEVENT with:

- a stable UID (``<session>@<event>.delegate-companion``), so a calendar
  that imports it again, or refreshes a feed, updates the event instead of
  adding a second;
- its times in the event's zone (``TZID`` and the zone's VTIMEZONE);
- its venue's name and address (LOCATION), position (GEO, and Apple's
  structured location, which maps apps pin), or the meeting link of an
  online session (URL, CONFERENCE, and the text);
- SEQUENCE and LAST-MODIFIED from :class:`Revision` (a moved session's
  sequence goes up, so calendars take the new time at their next refresh),
  STATUS:CANCELLED for a cancelled one, TENTATIVE while to be confirmed;
- an alarm at the delegate's lead time, for their own agenda.

Texts are in the reader's language (the active :mod:`bot.i18n` localizer).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Final

import icalendar

from bot.geo import Datum
from bot.i18n import _, format_list
from bot.programme import Programme, Session, localized

PRODID: Final = "-//delegate-companion//programme//EN"
MIME_TYPE: Final = "text/calendar"
#: How often a subscribed calendar should look again (a hint: RFC 7986 REFRESH-INTERVAL).
REFRESH: Final = dt.timedelta(hours=1)

Alarm = Callable[[Session], dt.timedelta | None]
"""How long before a session its alarm rings (None: no alarm)."""


@dataclass(frozen=True)
class Revision:
    """How many times a session changed as calendars see it, and when it last did."""

    sequence: int
    modified: dt.datetime


def uid(programme: Programme, session: Session) -> str:
    """The session's calendar UID: the same in every file and feed, for as long as its id lasts."""
    return f"{session.id}@{programme.event.id}.delegate-companion"


def _text(programme: Programme, value: object, locale: str) -> str:
    return localized(value, locale, programme.event.default_language) if value is not None else ""


def location(programme: Programme, session: Session, locale: str) -> str | None:
    """Where: the venue's name and address, or the meeting link of an online session."""
    venue = programme.venue(session.venue)
    if venue is not None:
        parts = [_text(programme, venue.name, locale)]
        if venue.address:
            parts.append(_text(programme, venue.address, locale))
        return ", ".join(p for p in parts if p)
    if session.online is not None and session.online.url:
        return session.online.url
    return None


def description(programme: Programme, session: Session, locale: str) -> str:
    """What a calendar shows under the title: what it is, who speaks, the text, how to join, links."""
    lines: list[str] = []
    stream = programme.stream(session.stream) if session.stream else None
    if stream is not None:
        lines.append(_("Stream {number}: {title}").format(number=stream.number, title=_text(programme, stream.title, locale)))
    if session.cancelled:
        lines.append(_("This session is cancelled."))
    elif session.tbc:
        lines.append(_("Times and places of this session are still to be confirmed."))
    people = [_text(programme, p.name, locale) for p in (*session.moderators, *session.speakers)]
    if people:
        lines.append(_("Speakers: {names}").format(names=format_list(people)))
    if session.description:
        lines += ["", _text(programme, session.description, locale)]
    meeting = session.online
    if meeting is not None:
        lines.append("")
        lines.append(_("Online on {platform}").format(platform=meeting.platform) if meeting.platform else _("Online"))
        if meeting.url:
            lines.append(_("Link: {url}").format(url=meeting.url))
        if meeting.meeting_id:
            lines.append(_("Meeting ID: {id}").format(id=meeting.meeting_id))
        if meeting.passcode:
            lines.append(_("Passcode: {code}").format(code=meeting.passcode))
    visit = session.site_visit
    if visit is not None:
        point = programme.venue(visit.meeting_point)
        lines.append("")
        lines.append(_("Meet at {place} at {time} (the group leaves then).").format(
            place=_text(programme, point.name, locale) if point else visit.meeting_point,
            time=visit.departure.astimezone(programme.zone).strftime("%H:%M"),
        ))
    links = [session.url] if session.url else []
    links += [link.url for link in session.links]
    if links:
        lines.append("")
        lines += links
    return "\n".join(lines).strip()


def event(
    programme: Programme,
    session: Session,
    *,
    locale: str,
    stamp: dt.datetime,
    revision: Revision | None = None,
    alarm: dt.timedelta | None = None,
) -> icalendar.Event:
    zone = programme.zone
    item = icalendar.Event()
    item.add("uid", uid(programme, session))
    item.add("dtstamp", (revision.modified if revision else stamp).astimezone(dt.timezone.utc))
    item.add("dtstart", session.start.astimezone(zone))
    item.add("dtend", session.end.astimezone(zone))
    item.add("summary", _text(programme, session.title, locale))
    text = description(programme, session, locale)
    if text:
        item.add("description", text)
    where = location(programme, session, locale)
    if where:
        item.add("location", where)
    venue = programme.venue(session.venue)
    point = venue.point(Datum.WGS84) if venue is not None else None
    if point is not None:
        item.add("geo", (round(point[0], 6), round(point[1], 6)))
        item.add(
            "x-apple-structured-location", f"geo:{point[0]:.6f},{point[1]:.6f}",
            parameters={"VALUE": "URI", "X-TITLE": where or "", "X-APPLE-RADIUS": "70"},
        )
    meeting = session.online
    if meeting is not None and meeting.url:
        item.add("url", meeting.url)
        item.add("conference", meeting.url, parameters={"VALUE": "URI", "FEATURE": "VIDEO", "LABEL": meeting.platform or meeting.url})
    elif session.url:
        item.add("url", session.url)
    stream = programme.stream(session.stream) if session.stream else None
    if stream is not None:
        item.add("categories", [_text(programme, stream.title, locale)])
    item.add("status", "CANCELLED" if session.cancelled else "TENTATIVE" if session.tbc else "CONFIRMED")
    item.add("sequence", revision.sequence if revision else 0)
    if revision is not None:
        item.add("last-modified", revision.modified.astimezone(dt.timezone.utc))
    if alarm is not None and not session.cancelled:
        reminder = icalendar.Alarm()
        reminder.add("action", "DISPLAY")
        reminder.add("description", _text(programme, session.title, locale))
        # a site visit's group leaves before the visit starts: the alarm is before the departure
        ahead = alarm + (session.start - session.site_visit.departure if session.site_visit is not None else dt.timedelta(0))
        reminder.add("trigger", -ahead)
        item.add_component(reminder)
    return item


def calendar(
    programme: Programme,
    sessions: Iterable[Session],
    *,
    locale: str,
    name: str,
    stamp: dt.datetime,
    revisions: Mapping[str, Revision] | None = None,
    alarm: Alarm | None = None,
    feed: bool = False,
) -> bytes:
    """An .ics document of ``sessions``, with the VTIMEZONE of the event's zone.

    ``feed``: a subscription, which says how often to refresh.
    """
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("name", name)
    cal.add("x-wr-timezone", programme.zone.key)
    if feed:
        cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", icalendar.vDuration(REFRESH))
    revisions = revisions or {}
    first = programme.event.start_date
    last = programme.event.end_date
    for session in sessions:
        cal.add_component(event(
            programme, session, locale=locale, stamp=stamp, revision=revisions.get(session.id),
            alarm=alarm(session) if alarm is not None else None,
        ))
        first = min(first, session.start.astimezone(programme.zone).date())
        last = max(last, session.end.astimezone(programme.zone).date())
    cal.add_missing_timezones(first_date=first - dt.timedelta(days=1), last_date=last + dt.timedelta(days=1))
    return cal.to_ical()


def filename(text: str, fallback: str = "calendar") -> str:
    """A file name from a title: letters, digits and dashes, ending in ``.ics``."""
    kept = "".join(ch if ch.isalnum() else "-" for ch in text).strip("-")
    while "--" in kept:
        kept = kept.replace("--", "-")
    return f"{(kept[:60].rstrip('-') or fallback)}.ics"
