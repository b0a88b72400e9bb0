"""``delegate-bot``: run, console, validate, init, check-config, backup, restore, import, export-ics, feedback, and the staff's commands."""

from __future__ import annotations

import argparse
import dataclasses
import asyncio
import datetime as dt
import importlib.metadata
import logging
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from bot import logs
from bot.clock import Clock, ManualClock, OffsetClock, SystemClock, parse_duration, parse_instant
from bot.config import CONFIG_NAME, ConfigError, Settings
from bot.programme import Programme, ProgrammeError, load_programme
from bot.programme.loader import translation_problems
from bot.resources import default_programme
from bot.roles import DEFAULT_INVITE_LIFETIME, MAX_INVITE_LIFETIME, Role, Scope
from bot.understanding.phrases import PhraseError, phrases

logger = logging.getLogger("bot")


class At:
    """An ``--at`` instant as typed; without an offset it is read in the event's zone (:meth:`resolve`)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def resolve(self, zone: dt.tzinfo) -> dt.datetime:
        return parse_instant(self.text, default_zone=zone)


def _instant(text: str) -> At:
    try:
        parse_instant(text, default_zone=dt.timezone.utc)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO-8601 instant, e.g. 2025-06-04T09:00 (in the event's zone) or 2025-06-04T09:00+08:00"
        ) from None
    return At(text)


#: Every subcommand: (name, one line for the list, a paragraph for its --help).
COMMANDS: dict[str, tuple[str, str]] = {
    "console": ("talk to the bot in this terminal (no token needed)",
                "Talk to the bot in this terminal, as a delegate would in a chat. With a pipe, each input line is one message."),
    "run": ("run every configured channel (Telegram, WeChat) and the web server",
            "Run the bot: every configured channel, the reminders and pushes, and the web server "
            "(webhooks, /healthz, /metrics). Stops cleanly on SIGTERM or Ctrl-C."),
    "validate": ("check a programme file and report every problem",
                 "Check a programme file: a summary and exit 0, or PATH:LINE:COLUMN: message for each problem and exit 1."),
    "init": ("write an editable programme and a configuration file into a folder",
             "Start an event of your own: write programme.yaml (a copy of the shipped programme, or with --minimal a "
             "template with every field explained) and delegate-bot.toml (the settings, commented) into DIR."),
    "check-config": ("say what is configured, what is missing and what is wrong",
                     "Report every setting and where it comes from (secrets only as set), each channel's state, the "
                     "missing variables and the wrong values; exit 1 if the bot could not start like this."),
    "healthcheck": ("ask the running bot's /healthz (exit 0 if healthy)",
                    "Ask the running bot's /healthz on BOT_HTTP_HOST:BOT_HTTP_PORT (or the metrics port) and exit 0 "
                    "if it is healthy, 1 if not: for a container's HEALTHCHECK or a monitoring script."),
    "backup": ("copy the database consistently, also while the bot runs",
               "Copy the database with SQLite's online backup (the write-ahead log included), consistent even while "
               "the bot runs, then check the copy's integrity. PATH is a file, or a folder for a dated file."),
    "restore": ("replace the database with a backup, after checking it",
                "Replace the database with a backup: the backup's integrity and migrations are checked first, the "
                "bot must be stopped, and the database replaced is kept beside it."),
    "wechat-menu": ("create the WeChat Official Account menu",
                    "Create the WeChat Official Account menu, labelled in the event's default language."),
    "invite": ("print a one-time code (Telegram link, WeChat QR code) that grants a role",
               "Print a one-time code, a Telegram link and, with WeChat configured, a QR code; whoever redeems it gets the role."),
    "roles": ("list, grant or revoke staff roles", "List the staff roles in force, grant one to a platform id, or revoke one."),
    "audit": ("the latest privileged actions, oldest first", "Show the audit log: the latest privileged actions, oldest first."),
    "broadcast": ("send a message to delegates (the running bot delivers it)",
                  "Queue a broadcast to delegates; the running bot is told at once and delivers it."),
    "broadcasts": ("recent broadcasts and their delivery figures", "Recent broadcasts and their delivery figures, or one with its failures."),
    "reload": ("validate the programme and have the running bot load it",
               "Validate the programme and have the running bot load it (and announce changes to those concerned)."),
    "export-ics": ("write the whole programme as an iCalendar (.ics) file",
                   "Write the whole programme as an iCalendar file, in one language, for calendar programs and the organisers' site."),
    "import": ("convert a frab/Pentabarf, c3voc or pretalx export into a programme file",
               "Convert a frab/Pentabarf schedule.xml, c3voc schedule.json or pretalx export into a programme file, with an "
               "id map beside it so a re-import keeps delegates' bookmarks; --watch follows the export."),
    "feedback": ("session feedback: export the answers as CSV, or a summary",
                 "Session feedback for the organisers: every answer as CSV (export), or sessions by average rating with "
                 "response rates, the lowest-rated questions and the comments (summary)."),
}


def _version() -> str:
    try:
        return importlib.metadata.version("delegate-companion")
    except importlib.metadata.PackageNotFoundError:
        from bot import __version__

        return __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="delegate-bot", description="The delegate companion chatbot.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--programme", type=Path, help="programme YAML (default: BOT_PROGRAMME, the configuration file, or the shipped one)")
    common.add_argument("--db", type=Path, help="SQLite database file (default: BOT_DB, the configuration file, or in your user data directory)")
    common.add_argument("--config", type=Path, help=f"configuration file (default: BOT_CONFIG, or ./{CONFIG_NAME} if there is one)")
    # the same options after a sub-subcommand ("roles grant ... --db X"), without overwriting those given before it
    again = argparse.ArgumentParser(add_help=False)
    for name in ("--programme", "--db", "--config"):
        again.add_argument(name, type=Path, default=argparse.SUPPRESS, help=argparse.SUPPRESS)

    def command(name: str) -> argparse.ArgumentParser:
        summary, description = COMMANDS[name]
        return sub.add_parser(name, parents=[common], help=summary, description=description)

    console = command("console")
    console.add_argument("--user", default="local", help="the console user's id (default: local)")
    console.add_argument("--lang", help="answer in this language for this run, e.g. en or zh_Hans (/lang stores a choice)")
    console.add_argument("--at", type=_instant, help="pretend it is this instant (rehearsal), e.g. 2025-06-04T09:00 in the event's zone")
    console.add_argument("--echo", action="store_true", help="repeat each input line before its reply")
    console.add_argument("--explain", action="store_true", help="after each reply to free text, show how it was read (BOT_DEBUG_UNDERSTANDING)")
    console.add_argument("--files", type=Path, help="save documents and pictures the bot sends here (default: a temporary folder)")

    run = command("run")
    run.add_argument("--at", type=_instant, help="start the clock at this instant and let it run (rehearsal), e.g. 2025-06-04T09:00")

    validate = command("validate")
    validate.add_argument("path", nargs="?", type=Path, help="programme YAML (default: --programme, or as for every command)")
    validate.add_argument(
        "--strict", action="store_true",
        help="also list every text missing in one of the event's languages (exit 1 if any)",
    )

    init = command("init")
    init.add_argument("dir", nargs="?", type=Path, default=Path("."), help="the folder to write into (default: this one)")
    init.add_argument("--minimal", action="store_true", help="a template with every field explained, instead of a copy of the shipped programme")
    init.add_argument("--force", action="store_true", help="overwrite programme.yaml and delegate-bot.toml if they exist")

    command("check-config")

    health = command("healthcheck")
    health.add_argument("--url", help="the address to ask (default: http://BOT_HTTP_HOST:BOT_HTTP_PORT/healthz)")
    health.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the answer (default 5)")

    backup = command("backup")
    backup.add_argument("path", type=Path, help="the backup file to write, or a folder for delegate-bot-YYYYmmdd-HHMMSS.sqlite3")

    restore = command("restore")
    restore.add_argument("path", type=Path, help="the backup file to restore")
    restore.add_argument("--yes", action="store_true", help="do not ask before replacing the database")

    menu = command("wechat-menu")
    menu.add_argument("--dry-run", action="store_true", help="print the menu JSON instead of sending it")

    invite = command("invite")
    invite.add_argument("role", type=_role, help="organiser, facilitator or moderator")
    invite.add_argument("--scope", type=_scope, default=Scope(), help="event (default), stream:<id> or session:<id>")
    invite.add_argument("--expires", type=_lifetime, default=DEFAULT_INVITE_LIFETIME, help="how long it stays valid, e.g. 3d or 12h (default 7d, at most 30d)")
    invite.add_argument("--qr-file", type=Path, help="also save the QR code as an SVG file")

    roles = command("roles")
    roles_sub = roles.add_subparsers(dest="roles_command")
    roles_sub.add_parser("list", parents=[again], help="every role in force (the default)", description="List every role in force.")
    grant = roles_sub.add_parser("grant", parents=[again], help="grant a role to a platform id (telegram:123456789, wechat:<openid>)",
                                 description="Grant a role to a platform id (telegram:123456789, wechat:<openid>).")
    grant.add_argument("role", type=_role)
    grant.add_argument("who", help="channel:platform-id")
    grant.add_argument("--scope", type=_scope, default=Scope())
    revoke = roles_sub.add_parser("revoke", parents=[again], help="revoke a stored role by its number",
                                  description="Revoke a stored role by its number (see delegate-bot roles).")
    revoke.add_argument("grant_id", type=int)

    audit = command("audit")
    audit.add_argument("--limit", type=int, default=50)

    cast = command("broadcast")
    cast.add_argument("--to", required=True, metavar="AUDIENCE", help="everyone, stream:2, visit:ID, session:ID, lang:zh_Hans or channel:wechat")
    source = cast.add_mutually_exclusive_group(required=True)
    source.add_argument("--text", help="the message (a [zh] line starts another language's version)")
    source.add_argument("--text-file", type=Path, help="a UTF-8 file with the message")
    cast.add_argument("--at", help="send at this time instead of now: 18:30, 'tomorrow 09:00', 2025-06-05T18:30 (the event's zone)")
    cast.add_argument("--yes", action="store_true", help="do not ask before sending")

    casts = command("broadcasts")
    casts.add_argument("id", nargs="?", type=int, help="one broadcast, with the reasons of its failures")

    command("reload")

    export = command("export-ics")
    export.add_argument("--out", type=Path, help="the file to write (default: the standard output)")
    export.add_argument("--lang", help="the language of titles and texts (default: the event's)")

    from bot.importers.cli import add_parser as add_import

    add_import(sub, common)
    sub.choices["import"].description = COMMANDS["import"][1]

    feedback = command("feedback")
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


#: Commands whose output is their own: only warnings are logged.
_QUIET: Final = frozenset({
    "console", "validate", "wechat-menu", "invite", "roles", "audit", "broadcast", "broadcasts", "reload",
    "init", "check-config", "healthcheck", "backup", "restore", "import", "export-ics", "feedback",
})


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    overrides = {"programme": getattr(args, "programme", None), "db": getattr(args, "db", None)}
    config = getattr(args, "config", None)
    if args.command == "check-config":
        from bot import deploy

        return deploy.check_config(config, **overrides)
    if args.command == "init":
        from bot import deploy

        return deploy.init(args.dir, minimal=args.minimal, force=args.force, source=args.programme)
    try:
        settings = Settings.load(config=config, **overrides)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"delegate-bot: {problem}", file=sys.stderr)
        print("delegate-bot: see every setting with: delegate-bot check-config", file=sys.stderr)
        return 2
    logs.configure(
        logging.WARNING if args.command in _QUIET else settings.log_level_number,
        secrets=settings.secret_values(), json_lines=settings.log_format == "json",
    )
    for unknown in settings.unknown:
        # a typo'd variable is otherwise silently a default (a token "missing" that was set)
        logger.warning("%s; it is ignored (delegate-bot check-config lists every setting)", unknown)
    if args.command == "validate":
        path = args.path or settings.programme
        print(programme_note(path, settings), file=sys.stderr)
        return validate(path, strict=args.strict)
    if args.command == "healthcheck":
        from bot.web.health import probe

        return probe(settings, url=args.url, timeout=args.timeout)
    if args.command in {"backup", "restore"}:
        from bot import backup

        if args.command == "backup":
            return backup.backup(settings, args.path)
        return backup.restore(settings, args.path, yes=args.yes)
    if args.command == "import":  # before the programme is read: the import may be what makes it
        from bot.importers import cli as importing

        return importing.run(settings, args)
    # a broken programme or phrases file stops the service before anything starts
    programme = load_or_report(settings.programme)
    if programme is None or not phrases_or_report():
        return 1
    at = args.at.resolve(programme.zone) if isinstance(getattr(args, "at", None), At) else None
    if args.command == "console":
        print(programme_note(settings.programme, settings), file=sys.stderr)
        try:
            return asyncio.run(console(settings, args, programme, at))
        except BrokenPipeError:
            # the reader went away (``| head``): stop quietly, as command-line tools do
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
    if args.command == "run":
        clock: Clock = OffsetClock(at) if at else SystemClock()
        from bot.service import run_service

        logger.info("%s", programme_note(settings.programme, settings))
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


def programme_note(path: Path, settings: Settings) -> str:
    """Which programme file is in use, and where it was named; for the shipped one, how to use one's own."""
    path = Path(path)
    where = settings.origins.get("programme")
    shown = str(path.resolve()) if path.exists() else str(path)
    if where is not None or path.resolve() != default_programme().resolve():
        return f"programme: {shown}" + (f" (from {where})" if where else "")
    note = f"programme: {shown} (the shipped example; `delegate-bot init DIR` writes a copy to edit)"
    here = Path.cwd() / "data" / "programme.yaml"
    if here.is_file() and here.resolve() != path.resolve():
        note += f"; to use {here}, pass --programme {here.relative_to(Path.cwd())} or set BOT_PROGRAMME"
    return note


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


async def console(settings: Settings, args: argparse.Namespace, programme: Programme, at: dt.datetime | None = None) -> int:
    from bot.app import build_core
    from bot.channels.console import ConsoleChannel, stdin_lines

    clock: Clock = ManualClock(at) if at else SystemClock()
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
