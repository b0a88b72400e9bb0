"""Calendars for delegates: files, subscription feeds behind unguessable tokens, and sessions' revisions.

- A delegate's calendar holds what they chose: bookmarked sessions, site
  visits they joined and the sessions of the streams they follow, each with
  an alarm at their reminder lead time, in their language.
- Feeds: ``/calendar/<token>.ics`` is one delegate's agenda (the token is
  24 random bytes, kept in ``calendar_feeds``, personal data, revoked by
  :meth:`Calendars.revoke` for ``/calendar off``, and by ``/forget`` through
  the registry in :mod:`bot.privacy`);
  ``/calendar/programme.ics`` is the whole programme.
- Revisions: every session's calendar-visible content is hashed in
  ``calendar_revisions`` when the programme loads; a change raises its
  SEQUENCE and LAST-MODIFIED, so a phone that refreshes the feed moves the
  event (RFC 5545 3.8.7.4).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
import secrets
import time
from collections.abc import Sequence
from typing import Final

from bot import i18n, ics
from bot.clock import Clock
from bot.i18n import Locales
from bot.notify.reminders import lead_for
from bot.programme import Programme, ProgrammeHolder, Session, localized
from bot.store.db import Database, iso, parse_iso
from bot.store.delegates import DelegateState
from bot.store.users import UserRecord, Users

logger = logging.getLogger(__name__)

ROUTE_PREFIX: Final = "/calendar"
PROGRAMME_FEED: Final = "programme"
TOKEN_BYTES: Final = 24


def digest(programme: Programme, session: Session) -> str:
    """What calendars show of a session, hashed: a change here is a new revision."""
    venue = programme.venue(session.venue)
    stream = programme.stream(session.stream) if session.stream else None
    shown = {
        "title": session.title, "start": iso(session.start), "end": iso(session.end),
        "venue": venue.model_dump(mode="json") if venue else None,
        "stream": stream.title if stream else None, "description": session.description,
        "people": [p.model_dump(mode="json") for p in (*session.moderators, *session.speakers)],
        "online": session.online.model_dump(mode="json") if session.online else None,
        "visit": session.site_visit.model_dump(mode="json") if session.site_visit else None,
        "url": session.url, "links": [link.url for link in session.links],
        "tbc": session.tbc, "cancelled": session.cancelled,
    }
    return hashlib.sha256(json.dumps(shown, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")).hexdigest()


#: How long the revisions' comparison holds the event loop before it lets others in.
SLICE: Final = 0.003


class Calendars:
    """Builds the calendars and keeps the feed tokens and the sessions' revisions."""

    def __init__(
        self, *, db: Database, clock: Clock, programmes: ProgrammeHolder, delegates: DelegateState,
        users: Users, locales: Locales, public_url: str | None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.programmes = programmes
        self.delegates = delegates
        self.users = users
        self.locales = locales
        self.public_url = public_url.rstrip("/") if public_url else None
        self._revisions: dict[str, ics.Revision] = {}

    # -- revisions ----------------------------------------------------------------

    async def sync(self, programme: Programme | None = None) -> int:
        """Record the programme's sessions as calendars see them; a changed one gets the next SEQUENCE. Returns how many changed."""
        programme = programme or self.programmes.programme
        now = self.clock.now()
        rows = await self.db.fetchall("SELECT session_id, digest, sequence, modified_at FROM calendar_revisions")
        known = {r[0]: (r[1], r[2], r[3]) for r in rows}
        changes = []
        revisions: dict[str, ics.Revision] = {}
        # every session hashed and compared (0.1 ms each, 1.5 s at 16,000) in slices of a few ms, letting the
        # event loop in between (a worker thread would contend for the interpreter lock, which on a busy
        # machine kept the loop waiting 0.1-0.3 s at a time)
        slice_ends = time.perf_counter() + SLICE
        for session in programme.sessions:
            if time.perf_counter() > slice_ends:
                await asyncio.sleep(0)
                slice_ends = time.perf_counter() + SLICE
            value = digest(programme, session)
            before = known.get(session.id)
            if before is not None and before[0] == value:
                revisions[session.id] = ics.Revision(before[1], parse_iso(before[2]))
                continue
            sequence = before[1] + 1 if before is not None else 0
            changes.append((session.id, value, sequence, iso(now)))
            revisions[session.id] = ics.Revision(sequence, now)
        if changes:
            async with self.db.transaction() as conn:
                await conn.executemany(
                    "INSERT INTO calendar_revisions (session_id, digest, sequence, modified_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (session_id) DO UPDATE SET digest = excluded.digest, sequence = excluded.sequence, "
                    "modified_at = excluded.modified_at",
                    changes,
                )
        self._revisions = revisions
        return len(changes)

    async def on_programme_change(self, old: Programme, new: Programme) -> None:
        """A :class:`ProgrammeHolder` listener: the new version's revisions, before any feed is served from it."""
        changed = await self.sync(new)
        if changed:
            logger.info("calendars: %d sessions changed", changed)

    def revisions(self) -> dict[str, ics.Revision]:
        return self._revisions

    # -- what a delegate's calendar holds -------------------------------------------

    async def sessions_of(self, user_id: int, programme: Programme | None = None) -> list[Session]:
        """Bookmarked sessions, joined visits and the followed streams' sessions, in time order."""
        agenda = self.programmes.agenda
        ids = await self.delegates.bookmarks(user_id) | await self.delegates.visits(user_id)
        found = {s.id: s for sid in ids if (s := agenda.session(sid)) is not None}
        for stream_id in await self.delegates.subscriptions(user_id):
            found.update({s.id: s for s in agenda.stream_sessions(stream_id)})
        return sorted(found.values(), key=lambda s: (s.start, s.end, s.id))

    async def agenda_file(self, user: UserRecord, *, feed: bool = False) -> bytes:
        """The delegate's agenda as an .ics document, in their language, alarms at their lead time."""
        programme = self.programmes.programme
        settings = await self.delegates.reminder_settings(user.id)
        sessions = await self.sessions_of(user.id, programme)
        localizer = self.locales.localizer(user)
        with i18n.use(localizer):
            name = i18n._("{event}: my agenda").format(event=self.event_name(localizer.tag))
            return ics.calendar(
                programme, sessions, locale=localizer.tag, name=name, stamp=self.clock.now(),
                revisions=self._revisions, alarm=lambda s: lead_for(s, settings.lead_minutes), feed=feed,
            )

    async def session_file(self, user: UserRecord | None, session: Session) -> bytes:
        """One session as an .ics document (the "Add to calendar" button), with the delegate's alarm."""
        programme = self.programmes.programme
        settings = await self.delegates.reminder_settings(user.id) if user is not None else None
        localizer = self.locales.localizer(user)
        with i18n.use(localizer):
            return ics.calendar(
                programme, [session], locale=localizer.tag, name=self.event_name(localizer.tag), stamp=self.clock.now(),
                revisions=self._revisions, alarm=lambda s: lead_for(s, settings.lead_minutes if settings else None),
            )

    def programme_file(self, tag: str | None = None, *, feed: bool = False, sessions: Sequence[Session] | None = None) -> bytes:
        """The whole programme (no alarms: nobody wants hundreds) in ``tag``, else the event's language."""
        programme = self.programmes.programme
        localizer = self.locales.catalogs.get(tag or programme.event.default_language)
        with i18n.use(localizer):
            return ics.calendar(
                programme, sessions if sessions is not None else self.programmes.agenda.sessions, locale=localizer.tag,
                name=self.event_name(localizer.tag), stamp=self.clock.now(), revisions=self._revisions, feed=feed,
            )

    def event_name(self, tag: str) -> str:
        event = self.programmes.programme.event
        return localized(event.short_name or event.name, tag, event.default_language)

    # -- feed tokens ------------------------------------------------------------------

    async def token(self, user_id: int) -> str:
        """The delegate's feed token, made (and committed) the first time."""
        row = await self.db.fetchone("SELECT token FROM calendar_feeds WHERE user_id = ?", (user_id,))
        if row is not None:
            return str(row[0])
        token = secrets.token_urlsafe(TOKEN_BYTES)
        await self.db.execute(
            "INSERT INTO calendar_feeds (user_id, token, created_at) VALUES (?, ?, ?) ON CONFLICT (user_id) DO NOTHING",
            (user_id, token, iso(self.clock.now())),
        )
        row = await self.db.fetchone("SELECT token FROM calendar_feeds WHERE user_id = ?", (user_id,))
        assert row is not None
        return str(row[0])

    async def has_token(self, user_id: int) -> bool:
        return await self.db.fetchone("SELECT 1 FROM calendar_feeds WHERE user_id = ?", (user_id,)) is not None

    async def revoke(self, user_id: int) -> int:
        """Revoke the delegate's feed token (``/calendar off``, ``/forget``): its URL answers 404 from now on."""
        return await self.db.execute("DELETE FROM calendar_feeds WHERE user_id = ?", (user_id,))

    async def user_of(self, token: str) -> UserRecord | None:
        if len(token) != len(secrets.token_urlsafe(TOKEN_BYTES)):
            return None
        row = await self.db.fetchone("SELECT user_id FROM calendar_feeds WHERE token = ?", (token,))
        if row is None:
            return None
        user = await self.users.get(int(row[0]))
        return user if user is not None and user.active else None

    # -- addresses --------------------------------------------------------------------

    def feed_url(self, token: str) -> str | None:
        """``https://host/calendar/<token>.ics``; None without ``BOT_PUBLIC_URL``."""
        return f"{self.public_url}{ROUTE_PREFIX}/{token}.ics" if self.public_url else None

    def programme_url(self) -> str | None:
        return f"{self.public_url}{ROUTE_PREFIX}/{PROGRAMME_FEED}.ics" if self.public_url else None


def webcal(url: str) -> str:
    """The same address for calendar apps to subscribe to: ``https://`` -> ``webcal://``."""
    for scheme in ("https://", "http://"):
        if url.startswith(scheme):
            return "webcal://" + url[len(scheme):]
    return url
