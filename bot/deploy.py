"""Setting an event up: ``delegate-bot init`` and ``delegate-bot check-config``.

``init DIR`` writes ``programme.yaml`` (the shipped programme, or a template
with every field explained) and ``delegate-bot.toml`` (every setting,
commented, naming its environment variable) into a folder; run from there,
the bot uses both.  ``check-config`` reports every setting and where it
comes from, the state of each channel, the programme and the database, what
is missing (each variable by name) and what is wrong, and never prints a
secret.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import sys
from dataclasses import fields
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from bot.config import CONFIG_ENV, CONFIG_NAME, OPTIONS, Option, Settings, inspect
from bot.programme import ProgrammeError, load_programme
from bot.resources import migrations_dir, resource_dir
from bot.store.db import _MIGRATION

PROGRAMME_NAME = "programme.yaml"


def template_path() -> Path:
    """The programme template: the smallest valid file, with every other field as a comment."""
    return resource_dir("data") / "templates" / PROGRAMME_NAME


def init(directory: Path, *, minimal: bool = False, force: bool = False, source: Path | None = None, out: TextIO | None = None) -> int:
    """Write ``programme.yaml`` and ``delegate-bot.toml`` into ``directory``; 0, or 1 without writing anything."""
    out = out or sys.stdout
    origin = source or (template_path() if minimal else resource_dir("data") / PROGRAMME_NAME)
    programme, config = directory / PROGRAMME_NAME, directory / CONFIG_NAME
    existing = [p for p in (programme, config) if p.exists()]
    if existing and not force:
        print(f"delegate-bot: {' and '.join(str(p) for p in existing)} already exist{'s' if len(existing) == 1 else ''}; "
              "nothing was written (--force overwrites)", file=sys.stderr)
        return 1
    try:
        text = origin.read_bytes()
    except OSError as exc:
        print(f"delegate-bot: cannot read {origin}: {exc.strerror}", file=sys.stderr)
        return 1
    directory.mkdir(parents=True, exist_ok=True)
    programme.write_bytes(text)
    config.write_text(config_template(), encoding="utf-8")
    config.chmod(0o600)  # it may come to hold a token
    print(f"wrote {programme} ({'a template to fill in' if minimal and source is None else f'a copy of {origin}'})", file=out)
    print(f"wrote {config} (every setting, commented)", file=out)
    try:
        parsed = load_programme(programme)
    except ProgrammeError as exc:
        print(f"{programme} has problems to fix before the bot can use it:", file=out)
        for problem in exc.problems:
            print(f"  {problem}", file=out)
    else:
        print(f"{programme}: OK: {len(parsed.sessions)} sessions", file=out)
    here = "" if directory.resolve() == Path.cwd().resolve() else f"cd {directory} && "
    print("\nNext: edit the programme, then check it and talk to the bot from that folder:", file=out)
    print(f"  {here}delegate-bot validate && delegate-bot check-config && delegate-bot console", file=out)
    print(f"(from elsewhere: --config {config}, or {CONFIG_ENV}={config.resolve()})", file=out)
    return 0


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def config_template() -> str:
    """``delegate-bot.toml`` with every setting commented out at its default, each naming its variable."""
    defaults = {f.name: f.default for f in fields(Settings)}
    examples = {
        "organisers": ("telegram:123456789",), "facilitators": ("wechat:o6_bmjrPTlm6_2sgVt7hMZOPfL2M@stream:s2",),
        "moderators": (), "telegram_token": "123456789:AA...", "public_url": "https://bot.example.org",
        "telegram_webhook_url": "https://bot.example.org/telegram", "metrics_port": 9464,
    }
    lines = [
        "# delegate-bot settings, written by `delegate-bot init`.",
        "#",
        "# The environment wins over this file: each setting's variable is named beside it",
        "# (BOT_ and the name in capitals).  Keep tokens and keys in the environment, or",
        "# keep this file readable only by the bot's user.  Relative paths are relative to",
        "# this file.  Check everything with: delegate-bot check-config",
        "",
        f'programme = "{PROGRAMME_NAME}"  # BOT_PROGRAMME: the programme file',
        'database = "bot.sqlite3"  # BOT_DB: the SQLite database (back it up: delegate-bot backup)',
    ]
    sections: dict[str, list[Option]] = {}
    for option in OPTIONS:
        if option.name not in ("programme", "db"):
            sections.setdefault(option.toml.rpartition(".")[0], []).append(option)
    for section, options in sections.items():
        lines += ["", f"[{section}]"]
        for option in options:
            lines.append(_commented(option, examples, defaults))
    return "\n".join(lines) + "\n"


def _commented(option: Option, examples: dict[str, object], defaults: dict[str, object]) -> str:
    key = option.toml.rpartition(".")[2]
    value = examples.get(option.name, defaults.get(option.name))
    if value is None:
        value = "off" if option.optional_int else ""
    return f"# {key} = {_toml_value(value)}  # {option.env}: {option.doc}"


# -- check-config -----------------------------------------------------------------


def check_config(config: Path | None = None, out: TextIO | None = None, env: dict[str, str] | None = None, **overrides: object) -> int:
    """Print what is configured, missing and wrong; 0 if the bot can start like this, else 1."""
    out = out or sys.stdout
    report = inspect(env, config, **overrides)
    problems = list(report.problems) + list(report.unknown)
    if report.config_file is not None:
        print(f"Configuration file: {report.config_file}", file=out)
    else:
        print(f"Configuration file: none ({CONFIG_ENV} is unset and there is no ./{CONFIG_NAME})", file=out)
    settings = report.settings
    if settings is not None:
        _print_settings(settings, out)
        problems += _print_channels(settings, out)
        problems += _print_programme(settings, out)
        problems += _print_database(settings, out)
    if report.notes:
        print("\nNotes:", file=out)
        for note in report.notes:
            print(f"  - {note}", file=out)
    if problems:
        print(f"\nProblems ({len(problems)}):", file=out)
        for problem in problems:
            print(f"  - {problem}", file=out)
        return 1
    print("\nNo problems: `delegate-bot run` can start with these settings.", file=out)
    return 0


def _shown(option: Option, settings: Settings) -> str:
    value = getattr(settings, option.name)
    if option.secret:
        return "set" if value else "unset"
    if value is None or value == ():
        return "off" if option.optional_int else "unset"
    if isinstance(value, tuple):
        return ", ".join(value)
    return str(value)


def _print_settings(settings: Settings, out: TextIO) -> None:
    print("\nSettings (secrets are shown only as set or unset):", file=out)
    width = max(len(o.env) for o in OPTIONS)
    for option in OPTIONS:
        source = settings.origins.get(option.name, "default")
        source = "environment" if source == option.env else source
        print(f"  {option.env:<{width}}  {_shown(option, settings):<32}  {source}", file=out)


def _print_channels(s: Settings, out: TextIO) -> list[str]:
    problems = list(s.channel_gaps())
    print("\nChannels:", file=out)
    if s.telegram_token:
        how = f"webhook at {urlsplit(s.telegram_webhook_url).path or '/telegram'}" if s.telegram_webhook_url else "long polling"
        print(f"  Telegram: configured ({how})", file=out)
    else:
        print("  Telegram: not configured (set BOT_TELEGRAM_TOKEN)", file=out)
    wechat = (s.wechat_token, s.wechat_appid, s.wechat_secret)
    if all(wechat):
        print(f"  WeChat: configured ({'safe' if s.wechat_aes_key else 'plain'} mode, callback at /wechat)", file=out)
    elif any(wechat):
        print("  WeChat: incomplete (see Problems)", file=out)
    else:
        print("  WeChat: not configured (set BOT_WECHAT_TOKEN, BOT_WECHAT_APPID and BOT_WECHAT_SECRET)", file=out)
    print("  Console: always available (delegate-bot console)", file=out)
    if not s.telegram_token and not any(wechat):
        problems.append("no chat channel is configured: set BOT_TELEGRAM_TOKEN for Telegram, or BOT_WECHAT_TOKEN, "
                        "BOT_WECHAT_APPID and BOT_WECHAT_SECRET for WeChat")
    print(f"  Web server: http://{s.http_host}:{s.http_port}/ (webhooks, files, /healthz"
          + (")" if s.metrics_port else ", /metrics)"), file=out)
    if s.metrics_port:
        print(f"  Metrics: http://{s.metrics_host}:{s.metrics_port}/metrics and /healthz", file=out)
    return problems


def _print_programme(s: Settings, out: TextIO) -> list[str]:
    try:
        programme = load_programme(s.programme)
    except ProgrammeError as exc:
        count = len(exc.problems)
        print(f"\nProgramme: {s.programme}: {count} problem{'s' if count != 1 else ''}", file=out)
        for problem in exc.problems[:5]:
            print(f"  {problem}", file=out)
        return [f"the programme {s.programme} is not valid: delegate-bot validate {s.programme} lists every problem"]
    ev = programme.event
    print(f"\nProgramme: {s.programme}: OK ({ev.id}, {ev.start_date} to {ev.end_date}, {len(programme.sessions)} sessions)", file=out)
    if s.retention_days is not None:
        purge = ev.end_date + dt.timedelta(days=s.retention_days + 1)
        print(f"  delegates' data is deleted {s.retention_days} days after the event ends (from {purge}, {ev.timezone})", file=out)
    return []


def _writable(path: Path) -> bool:
    """Whether ``path`` (or the nearest folder that exists above it) lets this user create files."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return os.access(probe, os.W_OK)


def _known_migrations() -> set[int]:
    return {int(m.group(1)) for p in migrations_dir().glob("*.sql") if (m := _MIGRATION.match(p.name))}


def _print_database(s: Settings, out: TextIO) -> list[str]:
    db = s.db
    if not db.exists():
        print(f"\nDatabase: {db} (created at the first start)", file=out)
        return [] if _writable(db.parent) else [f"cannot create the database {db}: its folder is not writable by this user"]
    problems = []
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            rows = conn.execute("SELECT number FROM schema_migrations").fetchall()
        finally:
            conn.close()
        applied = {int(r[0]) for r in rows}
    except sqlite3.Error as exc:
        print(f"\nDatabase: {db}: cannot be read ({exc})", file=out)
        return [f"the database {db} cannot be read: {exc}"]
    known = _known_migrations()
    unknown = sorted(applied - known)
    todo = len(known - applied)
    print(f"\nDatabase: {db} ({len(applied)} migrations applied" + (f", {todo} to apply at the next start)" if todo else ")"), file=out)
    if unknown:
        problems.append(f"the database {db} has migrations {unknown} that this program does not know: upgrade the program")
    if not os.access(db, os.W_OK) or not _writable(db.parent):
        problems.append(f"the database {db} (or its folder, for the write-ahead log) is not writable by this user")
    return problems
