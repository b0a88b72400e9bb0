"""Roles (organiser, facilitator, moderator), one-time invitations and the audit log.

A role is granted to a platform id on a channel (``telegram:123456789``,
``wechat:o6_bmjrPTlm6_2sgVt7hMZOPfL2M``), never to a username: usernames
change and can be taken.  Grants come from

* the configuration (``BOT_ORGANISERS``, ``BOT_FACILITATORS``,
  ``BOT_MODERATORS``: comma-separated ``channel:id``, optionally
  ``@stream:s2`` or ``@session:panel``) and the programme's ``staff`` list,
  both read-only here;
* one-time invitations: nobody knows their own WeChat openid or Telegram id,
  so ``delegate-bot invite ROLE`` prints a code (with a Telegram deep link
  and a WeChat QR code) and whoever redeems it in the chat gets the role;
* the command line (``delegate-bot roles grant``).

An organiser may do everything a facilitator or moderator may.  A
facilitator or moderator holds the role for the event, a stream or one
session; a stream's covers its sessions.  :meth:`Roles.allows` is the one
check; the router's permission guard (:func:`permission_guard`) calls it for
every command that declares a role, and handlers call it for a scope.

Every grant, revocation, invitation, redemption, refusal and privileged
command is written to ``audit_log`` (in the database, never the log file).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import logging
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from bot.conversation import Reply, Request, Text, UserRef
from bot.i18n import _
from bot.store.db import Database, iso, parse_iso

if TYPE_CHECKING:
    from bot.programme import Agenda
    from bot.router import Context, Next

logger = logging.getLogger(__name__)

INVITE_PREFIX: Final = "inv_"
#: An invitation code: the prefix and 16 URL-safe characters (96 random bits); fits a Telegram deep link.
INVITE_CODE: Final = re.compile(r"^inv_[A-Za-z0-9_-]{16}$")
DEFAULT_INVITE_LIFETIME: Final = dt.timedelta(days=7)
#: The longest an invitation may stay open (WeChat's temporary QR codes live 30 days at most).
MAX_INVITE_LIFETIME: Final = dt.timedelta(days=30)
#: Arguments of a privileged command kept in the audit log (a broadcast's whole text is not).
AUDIT_ARGS: Final = 200


class Role(str, enum.Enum):
    ORGANISER = "organiser"
    FACILITATOR = "facilitator"
    MODERATOR = "moderator"


@dataclass(frozen=True)
class Scope:
    """Where a role applies: the whole event (``kind`` None), a stream or a session."""

    kind: str | None = None
    id: str | None = None

    @classmethod
    def parse(cls, text: str | None) -> Scope:
        """``event`` / empty, ``stream:s2``, ``session:panel``; ValueError otherwise."""
        text = (text or "").strip()
        if text in ("", "event"):
            return cls()
        kind, sep, ident = text.partition(":")
        if not sep or kind not in ("stream", "session") or not ident.strip():
            raise ValueError(f"{text!r} is not a scope: use event, stream:<id> or session:<id>")
        return cls(kind, ident.strip())

    @classmethod
    def stream(cls, stream_id: str) -> Scope:
        return cls("stream", stream_id)

    @classmethod
    def session(cls, session_id: str) -> Scope:
        return cls("session", session_id)

    def __str__(self) -> str:
        return "event" if self.kind is None else f"{self.kind}:{self.id}"

    @property
    def stored(self) -> str:
        return "" if self.kind is None else str(self)

    def covers(self, target: Scope | None, agenda: Agenda | None) -> bool:
        """Whether a role held for this scope applies to ``target`` (None: anywhere at all)."""
        if self.kind is None or target is None:
            return True
        if self == target:
            return True
        if self.kind == "stream" and target.kind == "session" and agenda is not None:
            session = agenda.session(target.id or "")
            return session is not None and session.stream == self.id
        return False

    def check(self, agenda: Agenda) -> str | None:
        """Why this scope does not fit the programme (None when it does)."""
        if self.kind == "stream" and not any(s.id == self.id for s in agenda.streams()):
            return f"there is no stream {self.id!r} in the programme"
        if self.kind == "session" and agenda.session(self.id or "") is None:
            return f"there is no session {self.id!r} in the programme"
        return None


@dataclass(frozen=True)
class Grant:
    """One person holding one role in one scope."""

    channel: str
    platform_id: str
    role: Role
    scope: Scope = Scope()
    source: str = "configuration"
    id: int | None = None
    """The stored grant's number (None for grants from the configuration or the programme)."""
    granted_at: dt.datetime | None = None
    granted_by: str | None = None

    @property
    def ref(self) -> UserRef:
        return UserRef(self.channel, self.platform_id)

    @property
    def static(self) -> bool:
        return self.id is None


def parse_grants(role: Role, text: str, source: str = "configuration") -> list[Grant]:
    """``telegram:123, wechat:oAbC@stream:s2`` -> grants; ValueError naming the bad entry."""
    out = []
    for entry in (e.strip() for e in text.split(",")):
        if not entry:
            continue
        who, _sep, scope = entry.partition("@")
        channel, sep, platform_id = who.partition(":")
        if not sep or not channel.strip() or not platform_id.strip():
            raise ValueError(f"{entry!r} is not channel:platform-id (e.g. telegram:123456789)")
        out.append(Grant(channel.strip(), platform_id.strip(), role, Scope.parse(scope), source))
    return out


@dataclass(frozen=True)
class Invitation:
    id: int
    role: Role
    scope: Scope
    created_by: str
    created_at: dt.datetime
    expires_at: dt.datetime
    redeemed_at: dt.datetime | None = None


class RedeemError(Exception):
    """Why an invitation code gives nothing: unknown, used, or expired (``reason``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: dt.datetime
    actor: str
    action: str
    target: str | None
    detail: dict[str, Any]


def actor_of(ref: UserRef) -> str:
    return f"{ref.channel}:{ref.platform_id}"


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


class AuditLog:
    """Privileged actions, in the database (never the log file: it names people)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(
        self, now: dt.datetime, actor: str, action: str, target: str | None = None, **detail: Any
    ) -> int:
        rows = await self.db.execute_returning(
            "INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?) RETURNING id",
            (iso(now), actor, action, target, json.dumps(detail, ensure_ascii=False, default=str)),
        )
        return int(rows[0][0])

    async def recent(self, limit: int = 50) -> list[AuditEntry]:
        rows = await self.db.fetchall(
            "SELECT id, at, actor, action, target, detail FROM audit_log ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [AuditEntry(r[0], parse_iso(r[1]), r[2], r[3], r[4], json.loads(r[5] or "{}")) for r in rows]


class Roles:
    """Who holds which role; invitations; every change audited."""

    def __init__(self, db: Database, audit: AuditLog, static: Sequence[Grant] = ()) -> None:
        self.db = db
        self.audit = audit
        self.static: list[Grant] = list(static)
        """Grants from the configuration and the programme (not stored, not revocable here)."""

    def set_static(self, grants: Iterable[Grant]) -> None:
        """Replace the grants from configuration and programme (a programme reload)."""
        self.static = list(grants)

    # -- checking ----------------------------------------------------------

    async def grants_of(self, ref: UserRef) -> list[Grant]:
        stored = await self.db.fetchall(
            "SELECT id, role, scope, source, granted_at, granted_by FROM role_grants "
            "WHERE channel = ? AND platform_id = ? AND revoked_at IS NULL ORDER BY id",
            (ref.channel, ref.platform_id),
        )
        own = [g for g in self.static if g.ref == ref]
        return own + [
            Grant(ref.channel, ref.platform_id, Role(r[1]), Scope.parse(r[2]), r[3], r[0], parse_iso(r[4]), r[5])
            for r in stored
        ]

    async def allows(self, ref: UserRef, role: Role, target: Scope | None = None, agenda: Agenda | None = None) -> bool:
        """Whether ``ref`` may act as ``role`` (for ``target``, else anywhere); organisers may do everything."""
        for grant in await self.grants_of(ref):
            if grant.role is Role.ORGANISER:
                return True
            if grant.role is role and grant.scope.covers(target, agenda):
                return True
        return False

    async def all(self) -> list[Grant]:
        """Every grant in force: the configuration's, the programme's, then the stored ones."""
        rows = await self.db.fetchall(
            "SELECT id, channel, platform_id, role, scope, source, granted_at, granted_by FROM role_grants "
            "WHERE revoked_at IS NULL ORDER BY id"
        )
        return list(self.static) + [
            Grant(r[1], r[2], Role(r[3]), Scope.parse(r[4]), r[5], r[0], parse_iso(r[6]), r[7]) for r in rows
        ]

    # -- changing ----------------------------------------------------------

    async def grant(self, ref: UserRef, role: Role, scope: Scope, *, by: str, source: str, now: dt.datetime,
                    invitation: int | None = None) -> Grant:
        """Store a grant (or return the same one already in force); audited."""
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "SELECT id, source, granted_at, granted_by FROM role_grants WHERE channel = ? AND platform_id = ? "
                "AND role = ? AND scope = ? AND revoked_at IS NULL",
                (ref.channel, ref.platform_id, role.value, scope.stored),
            )
            row = await cur.fetchone()
            await cur.close()
            if row is None:
                cur = await conn.execute(
                    "INSERT INTO role_grants (channel, platform_id, role, scope, source, granted_by, granted_at, invitation_id) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (ref.channel, ref.platform_id, role.value, scope.stored, source, by, iso(now), invitation),
                )
                grant = Grant(ref.channel, ref.platform_id, role, scope, source, cur.lastrowid, now, by)
                await cur.close()
                await conn.execute(
                    "INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, 'role.granted', ?, ?)",
                    (iso(now), by, actor_of(ref), json.dumps({"role": role.value, "scope": str(scope), "grant": grant.id, "source": source})),
                )
            else:
                grant = Grant(ref.channel, ref.platform_id, role, scope, row[1], row[0], parse_iso(row[2]), row[3])
        logger.info("role %s (%s) granted by %s (grant #%s)", role.value, scope, source, grant.id)
        return grant

    async def revoke(self, grant_id: int, *, by: str, now: dt.datetime) -> Grant | None:
        """Revoke a stored grant; None if there is none in force with that number. Audited."""
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE role_grants SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL "
                "RETURNING channel, platform_id, role, scope, source, granted_at, granted_by",
                (iso(now), by, grant_id),
            )
            row = await cur.fetchone()
            await cur.close()
            if row is None:
                return None
            grant = Grant(row[0], row[1], Role(row[2]), Scope.parse(row[3]), row[4], grant_id, parse_iso(row[5]), row[6])
            await conn.execute(
                "INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, 'role.revoked', ?, ?)",
                (iso(now), by, actor_of(grant.ref), json.dumps({"role": grant.role.value, "scope": str(grant.scope), "grant": grant_id})),
            )
        logger.info("grant #%s (%s) revoked", grant_id, grant.role.value)
        return grant

    # -- invitations -------------------------------------------------------

    async def invite(self, role: Role, scope: Scope, *, by: str, now: dt.datetime,
                     lifetime: dt.timedelta = DEFAULT_INVITE_LIFETIME) -> tuple[str, Invitation]:
        """A new one-time code for ``role`` in ``scope``; only its hash is stored. Audited."""
        if not dt.timedelta(minutes=1) <= lifetime <= MAX_INVITE_LIFETIME:
            raise ValueError("an invitation lasts from one minute to 30 days")
        code = INVITE_PREFIX + secrets.token_urlsafe(12)
        expires = now + lifetime
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "INSERT INTO invitations (code_hash, role, scope, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                (_hash(code), role.value, scope.stored, by, iso(now), iso(expires)),
            )
            invitation = Invitation(int(cur.lastrowid or 0), role, scope, by, now, expires)
            await cur.close()
            await conn.execute(
                "INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, 'invitation.created', ?, ?)",
                (iso(now), by, f"invitation:{invitation.id}", json.dumps({"role": role.value, "scope": str(scope), "expires": iso(expires)})),
            )
        return code, invitation

    async def redeem(self, code: str, ref: UserRef, now: dt.datetime) -> Grant:
        """Grant the role behind ``code`` to ``ref`` and use the code up; RedeemError otherwise. Audited either way."""
        code = code.strip()
        actor = actor_of(ref)
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE invitations SET redeemed_at = ?, redeemed_channel = ?, redeemed_platform_id = ? "
                "WHERE code_hash = ? AND redeemed_at IS NULL AND expires_at > ? RETURNING id, role, scope",
                (iso(now), ref.channel, ref.platform_id, _hash(code), iso(now)),
            )
            row = await cur.fetchone()
            await cur.close()
            if row is None:
                cur = await conn.execute("SELECT id, redeemed_at, expires_at FROM invitations WHERE code_hash = ?", (_hash(code),))
                known = await cur.fetchone()
                await cur.close()
                reason = "unknown" if known is None else ("used" if known[1] else "expired")
                await conn.execute(
                    "INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, 'invitation.refused', ?, ?)",
                    (iso(now), actor, f"invitation:{known[0]}" if known else None, json.dumps({"reason": reason})),
                )
        if row is None:
            logger.info("an invitation code was refused (%s)", reason)
            raise RedeemError(reason)
        role, scope = Role(row[1]), Scope.parse(row[2])
        grant = await self.grant(ref, role, scope, by=actor, source="invitation", now=now, invitation=int(row[0]))
        await self.audit.record(now, actor, "invitation.redeemed", f"invitation:{row[0]}", role=role.value, scope=str(scope), grant=grant.id)
        return grant


def static_grants(settings_grants: Iterable[Grant], programme_staff: Iterable[Any]) -> list[Grant]:
    """The configuration's grants and the programme's ``staff`` list, as grants."""
    out = list(settings_grants)
    for member in programme_staff:
        out.append(Grant(member.channel, member.id, Role(member.role), Scope.parse(member.scope), "programme"))
    return out


ROLE_NAMES: Final = {
    Role.ORGANISER: lambda: _("organiser"),
    Role.FACILITATOR: lambda: _("facilitator"),
    Role.MODERATOR: lambda: _("moderator"),
}


def role_name(role: Role) -> str:
    """The role's name in the current language."""
    return ROLE_NAMES[role]()


REFUSALS: Final = {
    Role.ORGANISER: lambda: _("Sorry, /{command} is only for the event's organisers."),
    Role.FACILITATOR: lambda: _("Sorry, /{command} is only for facilitators."),
    Role.MODERATOR: lambda: _("Sorry, /{command} is only for moderators."),
}


async def permission_guard(req: Request, ctx: Context, call_next: Next) -> Sequence[Reply]:
    """Refuse a command that declares a role to anyone without it; audit every privileged command.

    The one place permissions are checked for commands (and dialogue steps,
    which are commands too); a handler that acts on one stream or session
    checks that scope with :meth:`Roles.allows`.
    """
    command = ctx.command
    if command is None or command.role is None:
        return await call_next(req, ctx)
    roles = ctx.services.roles
    actor = actor_of(req.user)
    if not await roles.allows(req.user, command.role):
        await roles.audit.record(ctx.now, actor, "permission.refused", f"command:{command.name}", role=command.role.value)
        logger.info("refused /%s to someone without the %s role", command.name, command.role.value)
        return [Text(REFUSALS[command.role]().format(command=command.name.lstrip("@")))]
    await roles.audit.record(ctx.now, actor, "command", f"command:{command.name}", args=req.args[:AUDIT_ARGS])
    return await call_next(req, ctx)
