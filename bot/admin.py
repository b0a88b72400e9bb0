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
from collections.abc import AsyncIterator, Callable, Iterator
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


async def broadcast(
    settings: Settings,
    programme: Programme,
    audience: str,
    text: str,
    *,
    at: str | None = None,
    yes: bool = False,
    out: TextIO = sys.stdout,
    ask: Callable[[str], str] | None = None,
    clock: Clock | None = None,
) -> int:
    """``delegate-bot broadcast``: the same broadcast as in the chat, from the server; the running bot sends it."""
    import signal

    from bot.app import build_core
    from bot.notify.broadcasts import AudienceSpec
    from bot.router import Context
    from bot.service import signal_service
    from handlers.broadcast import parse_texts, parse_when, preview_lines, title_of

    core = await build_core(settings, clock or SystemClock(), programme=programme)
    try:
        ctx = Context.create(core.services, localizer=core.catalogs.get("en"))
        with _english():
            texts = parse_texts(text, ctx)
        if isinstance(texts, str):
            print(f"delegate-bot: {texts}", file=sys.stderr)
            return 2
        try:
            spec = AudienceSpec.parse(audience, core.programmes.agenda, core.catalogs.tags)
        except ValueError as exc:
            print(f"delegate-bot: {exc}", file=sys.stderr)
            return 2
        when = None
        if at:
            when = parse_when(at, ctx)
            if when is None or when <= ctx.now:
                print(f"delegate-bot: {at!r} is not a time in the future (e.g. 18:30, 'tomorrow 09:00', 2025-06-05T18:30)", file=sys.stderr)
                return 2
        campaigns = core.services.campaigns
        draft = await campaigns.draft("broadcast", title_of(texts), created_by=cli_actor(), now=ctx.now, texts=texts, audience=spec.to_json())
        if when is not None:
            draft = await campaigns.update_draft(draft.id, not_before=when) or draft
        seen = await core.services.broadcasts.preview(draft, core.programmes.agenda)
        with _english():
            print(f"Broadcast #{draft.id}", file=out)
            print("\n".join(preview_lines(ctx, draft, seen)), file=out)
        if seen.total == 0:
            await campaigns.cancel(draft.id, ctx.now)
            print("Nobody is in this audience: nothing was sent.", file=sys.stderr)
            return 1
        if not yes:
            answer = (ask or input)("Send it? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                await campaigns.cancel(draft.id, ctx.now)
                print("Not sent.", file=out)
                return 1
        confirmed = await campaigns.confirm(draft.id, ctx.now)
        assert confirmed is not None
        count = await core.services.broadcasts.start(confirmed, core.programmes.agenda)
        await core.services.audit.record(ctx.now, cli_actor(), "broadcast.sent", f"campaign:{draft.id}", audience=spec.to_json(), recipients=count)
    finally:
        await core.close()
    running = signal_service(settings, signal.SIGUSR1)
    when_text = f" at {confirmed.not_before:%Y-%m-%d %H:%M %Z}" if confirmed.not_before else ""
    print(f"Broadcast #{confirmed.id}: {count} {'message' if count == 1 else 'messages'} queued{when_text}.", file=out)
    print("The running bot is sending it." if running else "No running bot was found for this database: it goes out when `delegate-bot run` starts.", file=out)
    return 0


async def show_broadcasts(settings: Settings, programme: Programme, campaign_id: int | None, out: TextIO = sys.stdout) -> int:
    """``delegate-bot broadcasts [ID]``: recent broadcasts and their figures."""
    from bot.notify.campaigns import Campaigns
    from bot.notify.outbox import Outbox, PushPort

    async with admin(settings, programme) as a:
        outbox = Outbox(a.db)
        campaigns = Campaigns(a.db, outbox, PushPort(outbox, a.clock))
        chosen = [c for c in [await campaigns.get(campaign_id)] if c] if campaign_id else await campaigns.recent(20, kind="broadcast")
        if not chosen:
            print("No broadcast yet." if not campaign_id else f"There is no broadcast #{campaign_id}.", file=out)
            return 0 if not campaign_id else 1
        for c in chosen:
            report = await campaigns.report(c.id)
            assert report is not None
            counts = ", ".join(f"{status} {n}" for status, n in sorted(report.by_status.items()))
            print(f"#{c.id} {c.status:<9} {c.created_at:%Y-%m-%d %H:%M} UTC  {c.title}  [{counts or 'no messages'}]", file=out)
            if campaign_id:
                for reason, n in report.failures.items():
                    print(f"    {n} × {reason}", file=out)
    return 0


def reload(settings: Settings, out: TextIO = sys.stdout) -> int:
    """``delegate-bot reload``: the file has been validated; tell the running bot to load it (SIGHUP)."""
    import signal

    from bot.service import signal_service

    if signal_service(settings, signal.SIGHUP):
        print("The running bot is loading the programme again; changes are announced to the delegates concerned.", file=out)
        return 0
    print("No running bot was found for this database; the programme is read when `delegate-bot run` starts.", file=out)
    return 0


@contextlib.contextmanager
def _english() -> Iterator[None]:
    """Operator output in English (the command line is not translated)."""
    from bot import i18n
    from bot.i18n import Localizer

    with i18n.use(Localizer("en")):
        yield
