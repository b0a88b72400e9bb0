"""Server-side administration: ``delegate-bot invite``, ``roles`` and ``audit``.

These open the database and the programme directly (no channel, no
reminders), so they are quick and safe to run beside a running bot: SQLite
in WAL mode takes one writer at a time and waits for the other.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import logging
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.programme import Agenda, Programme
from bot.roles import AuditLog, Grant, Role, Roles, Scope, static_grants
from bot.store import Database

logger = logging.getLogger(__name__)


def cli_actor() -> str:
    """Who acts from the command line, for the audit log."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in this environment (a container)
        return "cli"


@dataclass
class Admin:
    db: Database
    roles: Roles
    agenda: Agenda
    clock: Clock


@contextlib.asynccontextmanager
async def admin(settings: Settings, programme: Programme, clock: Clock | None = None) -> AsyncIterator[Admin]:
    db = await Database.open(settings.db)
    try:
        roles = Roles(db, AuditLog(db), static_grants(settings.role_grants(), programme.staff))
        yield Admin(db, roles, Agenda(programme), clock or SystemClock())
    finally:
        await db.close()


def _who(grant: Grant) -> str:
    return f"{grant.channel}:{grant.platform_id}"


async def list_roles(settings: Settings, programme: Programme, out: TextIO = sys.stdout) -> int:
    async with admin(settings, programme) as a:
        grants = await a.roles.all()
    if not grants:
        print("Nobody holds a role. Invite someone: delegate-bot invite organiser", file=out)
        return 0
    for g in grants:
        number = f"#{g.id}" if g.id is not None else "-"
        since = f" since {g.granted_at:%Y-%m-%d %H:%M} UTC" if g.granted_at else ""
        print(f"{number:>5}  {g.role.value:<11} {str(g.scope):<24} {_who(g):<40} {g.source}{since}", file=out)
    if any(g.static for g in grants):
        print("Roles marked '-' come from the configuration or the programme; change them there.", file=out)
    return 0


async def grant_role(settings: Settings, programme: Programme, role: Role, who: str, scope: Scope, out: TextIO = sys.stdout) -> int:
    channel, sep, platform_id = who.partition(":")
    if not sep or not channel or not platform_id:
        print(f"delegate-bot: {who!r} is not channel:platform-id (e.g. telegram:123456789)", file=sys.stderr)
        return 2
    async with admin(settings, programme) as a:
        problem = scope.check(a.agenda)
        if problem:
            print(f"delegate-bot: {problem}", file=sys.stderr)
            return 2
        from bot.conversation import UserRef

        grant = await a.roles.grant(UserRef(channel, platform_id), role, scope, by=cli_actor(), source="command line", now=a.clock.now())
    print(f"Granted: #{grant.id} {role.value} for {scope} to {who}", file=out)
    return 0


async def revoke_role(settings: Settings, programme: Programme, grant_id: int, out: TextIO = sys.stdout) -> int:
    async with admin(settings, programme) as a:
        grant = await a.roles.revoke(grant_id, by=cli_actor(), now=a.clock.now())
        static = [g for g in a.roles.static]
    if grant is None:
        hint = " (roles from the configuration or the programme are changed there)" if static else ""
        print(f"delegate-bot: there is no stored role #{grant_id} in force{hint}; see delegate-bot roles", file=sys.stderr)
        return 1
    print(f"Revoked: #{grant_id} {grant.role.value} for {grant.scope} from {_who(grant)}", file=out)
    return 0


async def show_audit(settings: Settings, programme: Programme, limit: int, out: TextIO = sys.stdout) -> int:
    async with admin(settings, programme) as a:
        entries = await a.roles.audit.recent(limit)
    for e in reversed(entries):
        detail = " ".join(f"{k}={v}" for k, v in e.detail.items())
        print(f"{e.at:%Y-%m-%d %H:%M:%S} UTC  {e.actor:<30} {e.action:<20} {e.target or '':<24} {detail}", file=out)
    if not entries:
        print("The audit log is empty.", file=out)
    return 0


async def invite(
    settings: Settings,
    programme: Programme,
    role: Role,
    scope: Scope,
    lifetime: dt.timedelta,
    *,
    qr_file: Path | None = None,
    out: TextIO = sys.stdout,
) -> int:
    """Print a one-time code, a Telegram deep link and (with WeChat configured) a QR code for a QR scene."""
    async with admin(settings, programme) as a:
        problem = scope.check(a.agenda)
        if problem:
            print(f"delegate-bot: {problem}", file=sys.stderr)
            return 2
        code, invitation = await a.roles.invite(role, scope, by=cli_actor(), now=a.clock.now(), lifetime=lifetime)
    print(f"Invitation #{invitation.id}: {role.value} for {scope}, valid until {invitation.expires_at:%Y-%m-%d %H:%M} UTC, once.", file=out)
    print(f"Code: {code}", file=out)
    print(f"In the chat (Telegram, WeChat or the console), the person sends: /redeem {code}", file=out)
    qr_payload: str | None = None
    username = await _telegram_username(settings)
    if username:
        link = f"https://t.me/{username}?start={code}"
        print(f"Telegram link: {link}", file=out)
        qr_payload = link
    elif settings.telegram_token:
        print("Telegram link: unavailable (Telegram did not say the bot's username; set BOT_TELEGRAM_USERNAME)", file=out)
    if settings.wechat_appid and settings.wechat_secret:
        wechat = await _wechat_qr(settings, code, lifetime)
        if isinstance(wechat, str):
            print(f"WeChat QR code: unavailable ({wechat})", file=out)
        else:
            print(f"WeChat QR code (scan it with WeChat to follow the account and accept): {wechat.image_url}", file=out)
            _print_qr(wechat.url, out)
            qr_payload = wechat.url
    if qr_file is not None:
        if qr_payload is None:
            print("No QR file written: neither Telegram nor WeChat is configured.", file=sys.stderr)
            return 1
        _save_qr(qr_payload, qr_file)
        print(f"QR code saved to {qr_file}", file=out)
    return 0


async def _telegram_username(settings: Settings) -> str | None:
    if settings.telegram_username:
        return settings.telegram_username.lstrip("@")
    if not settings.telegram_token:
        return None
    from bot.channels.telegram import bot_username

    return await bot_username(settings)


async def _wechat_qr(settings: Settings, code: str, lifetime: dt.timedelta):
    from bot.channels.wechat_api import WeChatAPI, WeChatAPIError, WeChatUnavailable

    assert settings.wechat_appid and settings.wechat_secret
    api = WeChatAPI(settings.wechat_appid, settings.wechat_secret, SystemClock(), base_url=settings.wechat_api_url)
    try:
        return await api.create_qr_scene(code, lifetime)
    except (WeChatAPIError, WeChatUnavailable) as exc:
        return str(exc)
    finally:
        await api.close()


def _print_qr(data: str, out: TextIO) -> None:
    import qrcode

    qr = qrcode.QRCode(border=2)
    qr.add_data(data)
    qr.make(fit=True)
    qr.print_ascii(out=out, invert=True)


def _save_qr(data: str, path: Path) -> None:
    """An SVG file (no imaging library needed); print it or show it on a screen."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    with path.open("wb") as fh:
        image.save(fh)
