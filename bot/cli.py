"""``delegate-bot``: run, console, validate, wechat-menu, invite, roles, audit, broadcast, reload, feedback."""

from __future__ import annotations

import argparse
import dataclasses
import asyncio
import datetime as dt
import logging
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bot import logs
from bot.clock import Clock, ManualClock, OffsetClock, SystemClock, parse_duration, parse_instant
from bot.config import Settings
from bot.programme import Programme, ProgrammeError, load_programme
from bot.programme.loader import translation_problems
from bot.roles import DEFAULT_INVITE_LIFETIME, MAX_INVITE_LIFETIME, Role, Scope
from bot.understanding.phrases import PhraseError, phrases

logger = logging.getLogger("bot")


def _instant(text: str):
    try:
        return parse_instant(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO-8601 instant with an offset, e.g. 2025-06-04T09:00+08:00"
        ) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="delegate-bot", description="The delegate companion chatbot.")
    sub = parser.add_subparsers(dest="command", required=True)

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--programme", type=Path, help="programme YAML (default: the shipped one, or BOT_PROGRAMME)")
    common.add_argument("--db", type=Path, help="SQLite database file (default: in your user data directory, or BOT_DB)")
    # the same options after a sub-subcommand ("roles grant ... --db X"), without overwriting those given before it
    again = argparse.ArgumentParser(add_help=False)
    again.add_argument("--programme", type=Path, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    again.add_argument("--db", type=Path, default=argparse.SUPPRESS, help=argparse.SUPPRESS)

    console = sub.add_parser("console", parents=[common], help="talk to the bot in this terminal (no token needed)")
    console.add_argument("--user", default="local", help="the console user's id (default: local)")
    console.add_argument("--lang", help="answer in this language for this run, e.g. en or zh_Hans (/lang stores a choice)")
    console.add_argument("--at", type=_instant, help="pretend it is this instant (rehearsal), e.g. 2025-06-04T09:00+08:00")
    console.add_argument("--echo", action="store_true", help="repeat each input line before its reply")
    console.add_argument("--explain", action="store_true", help="after each reply to free text, show how it was read (BOT_DEBUG_UNDERSTANDING)")
    console.add_argument("--files", type=Path, help="save documents and pictures the bot sends here (default: a temporary folder)")

    run = sub.add_parser("run", parents=[common], help="run every configured channel (Telegram, WeChat)")
    run.add_argument("--at", type=_instant, help="start the clock at this instant and let it run (rehearsal)")

    menu = sub.add_parser("wechat-menu", parents=[common], help="create the WeChat Official Account menu")
    menu.add_argument("--dry-run", action="store_true", help="print the menu JSON instead of sending it")

    validate = sub.add_parser("validate", help="check a programme file and report every problem")
    validate.add_argument("path", nargs="?", type=Path, help="programme YAML (default: the shipped one)")
    validate.add_argument(
        "--strict", action="store_true",
        help="also list every text missing in one of the event's languages (exit 1 if any)",
    )

    invite = sub.add_parser(
        "invite", parents=[common],
        help="print a one-time code (Telegram link, WeChat QR code) that grants a role to whoever redeems it",
    )
    invite.add_argument("role", type=_role, help="organiser, facilitator or moderator")
    invite.add_argument("--scope", type=_scope, default=Scope(), help="event (default), stream:<id> or session:<id>")
    invite.add_argument("--expires", type=_lifetime, default=DEFAULT_INVITE_LIFETIME, help="how long it stays valid, e.g. 3d or 12h (default 7d, at most 30d)")
    invite.add_argument("--qr-file", type=Path, help="also save the QR code as an SVG file")

    roles = sub.add_parser("roles", parents=[common], help="list, grant or revoke staff roles")
    roles_sub = roles.add_subparsers(dest="roles_command")
    roles_sub.add_parser("list", parents=[again], help="every role in force (the default)")
    grant = roles_sub.add_parser("grant", parents=[again], help="grant a role to a platform id (telegram:123456789, wechat:<openid>)")
    grant.add_argument("role", type=_role)
    grant.add_argument("who", help="channel:platform-id")
    grant.add_argument("--scope", type=_scope, default=Scope())
    revoke = roles_sub.add_parser("revoke", parents=[again], help="revoke a stored role by its number")
    revoke.add_argument("grant_id", type=int)

    audit = sub.add_parser("audit", parents=[common], help="the latest privileged actions, oldest first")
    audit.add_argument("--limit", type=int, default=50)

    cast = sub.add_parser("broadcast", parents=[common], help="send a message to delegates (the running bot delivers it)")
    cast.add_argument("--to", required=True, metavar="AUDIENCE", help="everyone, stream:2, visit:ID, session:ID, lang:zh_Hans or channel:wechat")
    source = cast.add_mutually_exclusive_group(required=True)
    source.add_argument("--text", help="the message (a [zh] line starts another language's version)")
    source.add_argument("--text-file", type=Path, help="a UTF-8 file with the message")
    cast.add_argument("--at", help="send at this time instead of now: 18:30, 'tomorrow 09:00', 2025-06-05T18:30 (the event's zone)")
    cast.add_argument("--yes", action="store_true", help="do not ask before sending")

    casts = sub.add_parser("broadcasts", parents=[common], help="recent broadcasts and their delivery figures")
    casts.add_argument("id", nargs="?", type=int, help="one broadcast, with the reasons of its failures")

    sub.add_parser("reload", parents=[common], help="validate the programme and have the running bot load it (and announce changes)")

    export = sub.add_parser("export-ics", parents=[common], help="write the whole programme as an iCalendar (.ics) file")
    export.add_argument("--out", type=Path, help="the file to write (default: the standard output)")
    export.add_argument("--lang", help="the language of titles and texts (default: the event's)")

    from bot.importers.cli import add_parser as add_import

    add_import(sub, common)

    feedback = sub.add_parser("feedback", parents=[common], help="session feedback: export the answers as CSV, or a summary")
    feedback_sub = feedback.add_subparsers(dest="feedback_command", required=True)
    export = feedback_sub.add_parser("export", parents=[again], help="every answer as CSV (one row per answer)")
    export.add_argument("--session", help="one session's id (default: every session)")
    export.add_argument("--out", type=Path, help="write to this file (default: standard output)")
    summary = feedback_sub.add_parser("summary", parents=[again], help="sessions by average rating, lowest-rated questions, comments")
    summary.add_argument("--chart", type=Path, help="also save the chart of average ratings as a PNG file")
    return parser


def _role(text: str) -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a role: organiser, facilitator or moderator") from None


def _scope(text: str) -> Scope:
    try:
        return Scope.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _lifetime(text: str) -> dt.timedelta:
    try:
        value = parse_duration(text if not text.isdigit() else f"{text}d")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if not dt.timedelta(minutes=1) <= value <= MAX_INVITE_LIFETIME:
        raise argparse.ArgumentTypeError("an invitation lasts from one minute to 30 days")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    overrides = {"programme": getattr(args, "programme", None), "db": getattr(args, "db", None)}
    try:
        settings = Settings.from_env(**overrides)
    except ValueError as exc:
        print(f"delegate-bot: {exc}", file=sys.stderr)
        return 2
    quiet = args.command in {"console", "validate", "wechat-menu", "invite", "roles", "audit", "broadcast", "broadcasts", "reload", "import", "export-ics", "feedback"}
    logs.configure(
        logging.WARNING if quiet else getattr(logging, settings.log_level, logging.INFO),
        secrets=settings.secret_values(),
    )
    if args.command == "validate":
        return validate(args.path or settings.programme, strict=args.strict)
    if args.command == "import":  # before the programme is read: the import may be what makes it
        from bot.importers import cli as importing

        return importing.run(settings, args)
    # a broken programme or phrases file stops the service before anything starts
    programme = load_or_report(settings.programme)
    if programme is None or not phrases_or_report():
        return 1
    if args.command == "console":
        try:
            return asyncio.run(console(settings, args, programme))
        except BrokenPipeError:
            # the reader went away (``| head``): stop quietly, as command-line tools do
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
    if args.command == "run":
        clock: Clock = OffsetClock(args.at) if args.at else SystemClock()
        from bot.service import run_service

        return asyncio.run(run_service(settings, clock, programme=programme))
    if args.command in {"invite", "roles", "audit", "broadcast", "broadcasts"}:
        return asyncio.run(_admin(settings, args, programme))
    if args.command == "feedback":
        from bot.feedback import admin as feedback_admin

        if args.feedback_command == "export":
            return asyncio.run(feedback_admin.export(settings, programme, args.session, args.out))
        return asyncio.run(feedback_admin.summary(settings, programme, args.chart))
    if args.command == "reload":
        from bot import admin

        return admin.reload(settings)
    if args.command == "export-ics":
        return export_ics(settings, programme, args.out, args.lang)
    if args.command == "wechat-menu":
        from bot.channels.wechat_cli import wechat_menu

        return asyncio.run(wechat_menu(settings, dry_run=args.dry_run, programme=programme))
    return 2


async def _admin(settings: Settings, args: argparse.Namespace, programme: Programme) -> int:
    from bot import admin

    if args.command == "invite":
        return await admin.invite(settings, programme, args.role, args.scope, args.expires, qr_file=args.qr_file)
    if args.command == "audit":
        return await admin.show_audit(settings, programme, args.limit)
    if args.command == "broadcast":
        try:
            text = args.text if args.text is not None else args.text_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"delegate-bot: cannot read {args.text_file}: {exc}", file=sys.stderr)
            return 2
        return await admin.broadcast(settings, programme, args.to, text, at=args.at, yes=args.yes)
    if args.command == "broadcasts":
        return await admin.show_broadcasts(settings, programme, args.id)
    if args.roles_command == "grant":
        return await admin.grant_role(settings, programme, args.role, args.who, args.scope)
    if args.roles_command == "revoke":
        return await admin.revoke_role(settings, programme, args.grant_id)
    return await admin.list_roles(settings, programme)


def export_ics(settings: Settings, programme: Programme, out: Path | None, lang: str | None) -> int:
    """``delegate-bot export-ics``: every session, in the event's zone, with stable UIDs (no database needed)."""
    from bot import i18n, ics
    from bot.i18n import Catalogs
    from bot.programme import localized
    from bot.resources import resource_dir

    catalogs = Catalogs.load(resource_dir("locales"))
    tag = catalogs.negotiate(lang or programme.event.default_language) or i18n.SOURCE_LOCALE
    if lang and catalogs.negotiate(lang) is None:
        print(f"unknown language {lang!r}; available: {', '.join(catalogs.tags)}", file=sys.stderr)
        return 2
    event = programme.event
    with i18n.use(catalogs.get(tag)):
        data = ics.calendar(
            programme, sorted(programme.sessions, key=lambda s: (s.start, s.id)), locale=tag,
            name=localized(event.short_name or event.name, tag, event.default_language), stamp=dt.datetime.now(dt.timezone.utc),
        )
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    try:
        out.write_bytes(data)
    except OSError as exc:
        print(f"delegate-bot: cannot write {out}: {exc.strerror}", file=sys.stderr)
        return 1
    print(f"{out}: {len(programme.sessions)} sessions, {event.timezone}", file=sys.stderr)
    return 0


def load_or_report(path: Path) -> Programme | None:
    """The programme at ``path``, or None after printing each problem to stderr."""
    try:
        return load_programme(path)
    except ProgrammeError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return None


def phrases_or_report() -> bool:
    """Read the shipped phrases now (not at the first message), or print why not to stderr."""
    try:
        phrases()
    except PhraseError as exc:
        print(exc, file=sys.stderr)
        return False
    return True


def validate(path: Path, *, strict: bool = False) -> int:
    """Print a one-line summary (exit 0) or one line per problem (exit 1).

    ``strict``: a text missing in one of the event's languages is a problem
    too, listed per language, with a count per language at the end.
    """
    try:
        programme = load_programme(path)
        missing = translation_problems(path, programme) if strict else []
    except ProgrammeError as exc:
        for problem in exc.problems:
            print(problem)
        return 1
    ev = programme.event
    if missing:
        for problem in missing:
            print(problem)
        counts: dict[str, int] = {}
        for problem in missing:
            language = problem.message.split(":", 1)[0]
            counts[language] = counts.get(language, 0) + 1
        print("; ".join(f"{language}: {count} missing" for language, count in counts.items()))
        return 1
    name = ev.name if isinstance(ev.name, str) else ev.name.get(ev.default_language, next(iter(ev.name.values())))
    print(
        f"{path}: OK: {name} ({ev.start_date} to {ev.end_date}, {ev.timezone}): "
        f"{(ev.end_date - ev.start_date).days + 1} days, {len(programme.sessions)} sessions, "
        f"{len(programme.streams)} streams, {len(programme.venues)} venues"
    )
    return 0


async def console(settings: Settings, args: argparse.Namespace, programme: Programme) -> int:
    from bot.app import build_core
    from bot.channels.console import ConsoleChannel, stdin_lines

    clock: Clock = ManualClock(args.at) if args.at else SystemClock()
    if args.explain:
        settings = dataclasses.replace(settings, debug_understanding=True)
    core = await build_core(settings, clock, programme=programme)
    try:
        interactive = sys.stdin.isatty()
        files = args.files or Path(tempfile.gettempdir()) / "delegate-companion-files"
        channel = ConsoleChannel(core.ports(), core.wakeups, args.user, echo=args.echo, files_dir=files)
        if args.lang and channel.set_language(args.lang) is None:
            print(f"unknown language {args.lang!r}; available: {', '.join(core.catalogs.tags)}", file=sys.stderr)
            return 2
        if not isinstance(clock, ManualClock):
            # on the real clock, reminders arrive while the console waits for input
            await core.start()
        await channel.run(stdin_lines("> " if interactive else None), prompt=interactive)
    finally:
        await core.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
