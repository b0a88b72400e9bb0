"""Files under unguessable, expiring URLs: how a channel without file messages (WeChat) sends a document.

:meth:`FileLinks.link` stores the file and returns
``BOT_PUBLIC_URL/files/<token>/<name>``; the token is 24 random bytes
(``secrets.token_urlsafe``), so the URL cannot be guessed, and it expires
(7 days by default).  :func:`add_routes` serves it: 404 for a token (or a
name) it does not know, 410 once expired.  Without ``BOT_PUBLIC_URL`` there
is no address to give, and :meth:`FileLinks.link` returns None.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote

from aiohttp import web

from bot.clock import Clock
from bot.store.db import Database, iso, parse_iso

logger = logging.getLogger(__name__)

ROUTE: Final = "/files/{token}/{name}"
DEFAULT_LIFETIME: Final = dt.timedelta(days=7)
#: The largest file handed out this way.
MAX_BYTES: Final = 20 * 1024 * 1024


@dataclass(frozen=True)
class StoredFile:
    filename: str
    mime_type: str
    data: bytes
    expires_at: dt.datetime


class FileLinks:
    def __init__(self, db: Database, clock: Clock, public_url: str | None, lifetime: dt.timedelta = DEFAULT_LIFETIME) -> None:
        self.db = db
        self.clock = clock
        self.public_url = public_url.rstrip("/") if public_url else None
        self.lifetime = lifetime

    @property
    def available(self) -> bool:
        return self.public_url is not None

    async def link(self, data: bytes, filename: str, mime_type: str, owner: int | None = None) -> str | None:
        """Store the file (committed) and return its URL; None without a public address or if too large.

        ``owner`` is the delegate it is for (``users.id``): it is deleted with them (/forget, retention).
        """
        if self.public_url is None:
            return None
        if len(data) > MAX_BYTES:
            logger.warning("a %d-byte file is too large to hand out by link", len(data))
            return None
        now = self.clock.now()
        token = secrets.token_urlsafe(24)
        name = filename.replace("/", "_").replace("\\", "_") or "file"
        await self.db.execute(
            "INSERT INTO files (token, filename, mime_type, data, created_at, expires_at, user_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (token, name, mime_type, data, iso(now), iso(now + self.lifetime), owner),
        )
        await self.db.execute("DELETE FROM files WHERE expires_at < ?", (iso(now - dt.timedelta(days=1)),))
        return f"{self.public_url}/files/{token}/{quote(name)}"

    async def get(self, token: str) -> StoredFile | None:
        row = await self.db.fetchone("SELECT filename, mime_type, data, expires_at FROM files WHERE token = ?", (token,))
        if row is None:
            return None
        return StoredFile(row[0], row[1], bytes(row[2]), parse_iso(row[3]))


def add_routes(app: web.Application, files: FileLinks) -> None:
    async def serve(request: web.Request) -> web.StreamResponse:
        token, name = request.match_info["token"], request.match_info["name"]
        if len(token) != 32:
            raise web.HTTPNotFound(text="no such file")
        stored = await files.get(token)
        if stored is None or stored.filename != name:
            raise web.HTTPNotFound(text="no such file")
        if files.clock.now() >= stored.expires_at:
            raise web.HTTPGone(text="this link has expired")
        return web.Response(
            body=stored.data,
            headers={
                "Content-Type": stored.mime_type,
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(stored.filename)}",
                "Cache-Control": "private, no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    app.router.add_get(ROUTE, serve)
