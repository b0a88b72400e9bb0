"""Calendar feeds on the bot's web server: a delegate's agenda behind its token, and the whole programme.

``GET /calendar/<token>.ics`` answers the delegate's agenda (404 for a token
it does not know or that was revoked); ``GET /calendar/programme.ics``
(``?lang=fr`` for another language) the whole programme.  Both carry an
ETag and Last-Modified, so a calendar that refreshes often costs a 304.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from email.utils import format_datetime

from aiohttp import web

from bot.calendars import PROGRAMME_FEED, ROUTE_PREFIX, Calendars
from bot.ics import MIME_TYPE

ROUTE = ROUTE_PREFIX + "/{name}"


def _answer(request: web.Request, body: bytes, calendars: Calendars, *, private: bool) -> web.Response:
    tag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    revisions = calendars.revisions().values()
    modified = max((r.modified for r in revisions), default=calendars.clock.now()).astimezone(dt.timezone.utc)
    headers = {
        "ETag": tag,
        "Last-Modified": format_datetime(modified.replace(microsecond=0), usegmt=True),
        "Cache-Control": ("private" if private else "public") + ", max-age=300",
        "X-Content-Type-Options": "nosniff",
    }
    if private:
        headers["Referrer-Policy"] = "no-referrer"
    if tag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type=MIME_TYPE, charset="utf-8", headers=headers)


def add_routes(app: web.Application, calendars: Calendars) -> None:
    async def serve(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if not name.endswith(".ics"):
            raise web.HTTPNotFound(text="no such calendar")
        key = name[: -len(".ics")]
        if key == PROGRAMME_FEED:
            lang = request.query.get("lang")
            tag = calendars.locales.catalogs.negotiate(lang) if lang else None
            return _answer(request, calendars.programme_file(tag, feed=True), calendars, private=False)
        user = await calendars.user_of(key)
        if user is None:
            raise web.HTTPNotFound(text="no such calendar")
        return _answer(request, await calendars.agenda_file(user, feed=True), calendars, private=True)

    app.router.add_get(ROUTE, serve)
