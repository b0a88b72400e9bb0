"""Staff roles in the chat: redeem an invitation, see one's roles; organisers invite, list and revoke."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.clock import parse_duration
from bot.conversation import Choice, Choices, Reply, Request, Text, echo
from bot.i18n import N_, _, format_datetime
from bot.roles import (
    DEFAULT_INVITE_LIFETIME,
    INVITE_CODE,
    MAX_INVITE_LIFETIME,
    Grant,
    RedeemError,
    Role,
    Scope,
    actor_of,
    role_name,
)
from bot.router import Command, Context, Router
from handlers.views import text

REDEEM_ERRORS = {
    "unknown": lambda: _("This invitation code is not valid. Check it, or ask the organisers for a new one."),
    "used": lambda: _("This invitation code has already been used. Ask the organisers for a new one."),
    "expired": lambda: _("This invitation code has expired. Ask the organisers for a new one."),
}


def is_invitation(value: str) -> bool:
    return bool(INVITE_CODE.match(value.strip()))


def scope_text(ctx: Context, scope: Scope) -> str:
    """Where a role applies, as a delegate reads it."""
    if scope.kind == "stream":
        stream = ctx.programme.stream(scope.id or "")
        if stream is not None:
            return _("Stream {number}: {title}").format(number=stream.number, title=text(ctx, stream.title))
    if scope.kind == "session":
        session = ctx.agenda.session(scope.id or "")
        if session is not None:
            return text(ctx, session.title)
    if scope.kind is None:
        return _("the whole event")
    return str(scope)


def grant_text(ctx: Context, grant: Grant) -> str:
    return _("{role} for {scope}").format(role=role_name(grant.role), scope=scope_text(ctx, grant.scope))


async def staff_commands(ctx: Context) -> list[Command]:
    """The privileged commands this person may use (for /help), or none."""
    if ctx.user is None:
        return []
    grants = await ctx.services.roles.grants_of(ctx.user.ref)
    if not grants:
        return []
    held = {g.role for g in grants}
    everything = Role.ORGANISER in held
    commands = [c for c in ctx.services.router.commands.values() if c.description and c.role is not None and (everything or c.role in held)]
    own = [ctx.services.router.commands[name] for name in ("myroles",) if name in ctx.services.router.commands]
    return own + commands


async def redeem(req: Request, ctx: Context, code: str) -> Sequence[Reply]:
    """Redeem an invitation code: the role it carries is granted to this person (committed, audited)."""
    try:
        grant = await ctx.services.roles.redeem(code, req.user, ctx.now)
    except RedeemError as exc:
        return [Text(REDEEM_ERRORS[exc.reason]())]
    lines = [_("Welcome to the team! Your new role: {grant}.").format(grant=grant_text(ctx, grant))]
    lines.append(_("Send /myroles to see your roles and /help for what you can do."))
    return [Text("\n".join(lines), title=_("Invitation accepted"))]


async def redeem_command(req: Request, ctx: Context) -> Sequence[Reply]:
    """``/redeem CODE``: the same as opening the invitation link."""
    code = req.args.strip()
    if not code:
        return [Text(_("Send /redeem followed by the invitation code you were given."))]
    return await redeem(req, ctx, code)


async def myroles(req: Request, ctx: Context) -> Sequence[Reply]:
    """The roles this person holds."""
    grants = await ctx.services.roles.grants_of(req.user)
    if not grants:
        return [Text(_("You hold no staff role. If the organisers gave you an invitation code, send /redeem and the code."), title=_("Your roles"))]
    lines = [f"• {grant_text(ctx, g)}" for g in grants]
    return [Text("\n".join(lines), title=_("Your roles"))]


def _parse_invite(args: str, ctx: Context) -> tuple[Role, Scope, dt.timedelta] | str:
    """``facilitator stream:s2 3d`` -> (role, scope, lifetime), or what is wrong with it."""
    words = args.split()
    if not words:
        return _("Send /invite with a role and, for facilitators and moderators, where it applies: /invite facilitator stream:s2, /invite moderator session:panel, /invite organiser.")
    try:
        role = Role(words[0].lower())
    except ValueError:
        return _("\"{role}\" is not a role. The roles are organiser, facilitator and moderator.").format(role=echo(words[0]))
    scope, lifetime = Scope(), DEFAULT_INVITE_LIFETIME
    for word in words[1:]:
        if ":" in word or word == "event":
            try:
                scope = Scope.parse(word)
            except ValueError:
                return _("\"{scope}\" is not a scope: use stream:<id> or session:<id>.").format(scope=echo(word))
            problem = scope.check(ctx.agenda)
            if problem:
                return _("\"{scope}\" is not in the programme.").format(scope=echo(word))
        else:
            try:
                lifetime = parse_duration(word if not word.isdigit() else f"{word}d")
            except ValueError:
                return _("I could not read \"{value}\" as how long the invitation lasts (e.g. 3d or 12h).").format(value=echo(word))
            if not dt.timedelta(minutes=1) <= lifetime <= MAX_INVITE_LIFETIME:
                return _("An invitation lasts from one minute to 30 days.")
    return role, scope, lifetime


async def invite(req: Request, ctx: Context) -> Sequence[Reply]:
    """Organisers: a one-time code (and link) that grants a role to whoever redeems it."""
    parsed = _parse_invite(req.args, ctx)
    if isinstance(parsed, str):
        return [Text(parsed)]
    role, scope, lifetime = parsed
    code, invitation = await ctx.services.roles.invite(role, scope, by=actor_of(req.user), now=ctx.now, lifetime=lifetime)
    grant = Grant(req.user.channel, req.user.platform_id, role, scope)
    lines = [
        _("An invitation for one person, for this role: {grant}.").format(grant=grant_text(ctx, grant)),
        _("Code: {code}").format(code=code),
        _("Valid until {time}; it works once.").format(time=format_datetime(invitation.expires_at, ctx.programme.zone)),
        "",
        _("In Telegram or WeChat, the person sends: /redeem {code}").format(code=code),
    ]
    username = ctx.services.settings.telegram_username
    if username:
        lines.append(_("Or opens this link in Telegram: {link}").format(link=f"https://t.me/{username.lstrip('@')}?start={code}"))
    lines.append(_("A WeChat QR code for it: delegate-bot invite on the server."))
    return [Text("\n".join(lines), title=_("Invitation"))]


async def staff(req: Request, ctx: Context) -> Sequence[Reply]:
    """Organisers: every role in force, with the number to revoke it by."""
    grants = await ctx.services.roles.all()
    if not grants:
        return [Text(_("Nobody holds a staff role yet. Invite someone with /invite."), title=_("Staff"))]
    lines = []
    options = []
    for g in grants:
        where = f"{g.channel}:{g.platform_id}"
        if g.static:
            lines.append(_("• {grant} · {who} (from the {source}; change it there)").format(
                grant=grant_text(ctx, g), who=where, source=_("configuration") if g.source == "configuration" else _("programme")))
        else:
            lines.append(_("• #{id} {grant} · {who}").format(id=g.id, grant=grant_text(ctx, g), who=where))
            options.append(Choice(_("Revoke #{id}").format(id=g.id), f"/revoke {g.id}"))
    if options:
        return [Choices("\n".join(lines), tuple(options), title=_("Staff"), columns=3)]
    return [Text("\n".join(lines), title=_("Staff"))]


async def revoke(req: Request, ctx: Context) -> Sequence[Reply]:
    """Organisers: take back a stored role by its number in /staff."""
    token = req.args.strip().lstrip("#")
    if not token.isdigit():
        return [Text(_("Send /revoke and the number of the role in /staff, e.g. /revoke 3."))]
    grant = await ctx.services.roles.revoke(int(token), by=actor_of(req.user), now=ctx.now)
    if grant is None:
        return [Text(_("There is no role #{id} in force. Send /staff to see them.").format(id=echo(token)))]
    return [Text(_("Revoked: {grant} · {who}.").format(grant=grant_text(ctx, grant), who=f"{grant.channel}:{grant.platform_id}"))]


async def audit(req: Request, ctx: Context) -> Sequence[Reply]:
    """Organisers: the latest privileged actions."""
    entries = await ctx.services.audit.recent(15)
    if not entries:
        return [Text(_("Nothing has been audited yet."), title=_("Audit log"))]
    zone = ctx.programme.zone
    lines = [f"{format_datetime(e.at, zone)} · {e.actor} · {e.action}" + (f" · {e.target}" if e.target else "") for e in entries]
    return [Text("\n".join(lines), title=_("Audit log"))]


def register(router: Router) -> None:
    # staff commands stay out of the delegates' menus; /help lists them for those who hold a role
    router.command("redeem", description=N_("Accept a staff invitation: /redeem <code>"), hidden=True)(redeem_command)
    router.command("myroles", description=N_("Your staff roles"), hidden=True)(myroles)
    router.command("invite", description=N_("Invite a facilitator, moderator or organiser: /invite facilitator stream:s2"), role=Role.ORGANISER)(invite)
    router.command("staff", description=N_("Everyone with a staff role"), role=Role.ORGANISER)(staff)
    router.command("revoke", description=N_("Take back a staff role: /revoke <number>"), role=Role.ORGANISER)(revoke)
    router.command("audit", description=N_("The latest privileged actions"), role=Role.ORGANISER)(audit)
