"""Settings: the environment (``BOT_*``), an optional TOML file, and embedded defaults.

With nothing set, the bot uses the shipped programme, a SQLite file in the
user's data directory and only the console channel.  Every setting is one
:class:`Option` of :data:`OPTIONS`: its environment variable
(``BOT_`` and the field's name in capitals), its key in the TOML file
(``[telegram] token``), its type and what it means.  What is set where:

1. the command line (``--programme``, ``--db``) wins;
2. then the environment;
3. then the TOML file: ``--config PATH``, else ``BOT_CONFIG``, else
   ``delegate-bot.toml`` in the current directory if there is one (what
   ``delegate-bot init`` writes); relative paths in it are relative to it;
4. then the defaults.

:meth:`Settings.load` reports every problem at once (:class:`ConfigError`);
:func:`inspect` is what ``delegate-bot check-config`` prints from.  Secrets
(tokens, keys) are never shown: :meth:`Settings.describe` says only whether
they are set.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Final

from platformdirs import user_data_path

from bot.resources import default_programme
from bot.roles import Grant, Role, parse_grants
from bot.store.wechat import Budget

APP_NAME: Final = "delegate-companion"
#: The configuration file looked for in the current directory (``delegate-bot init`` writes it).
CONFIG_NAME: Final = "delegate-bot.toml"
CONFIG_ENV: Final = "BOT_CONFIG"
LOG_LEVELS: Final = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS: Final = ("text", "json")
_ROLE_LISTS = {"organisers": Role.ORGANISER, "facilitators": Role.FACILITATOR, "moderators": Role.MODERATOR}
_WEBHOOK_SECRET: Final = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_BOT_TOKEN: Final = re.compile(r"^\d{5,}:[A-Za-z0-9_-]{30,}$")
_AES_KEY: Final = re.compile(r"^[A-Za-z0-9+/]{43}$")


def default_db_path() -> Path:
    return user_data_path(APP_NAME, appauthor=False) / "bot.sqlite3"


@dataclass(frozen=True)
class Option:
    """One setting: where it is read from, its type, and what it means (for ``check-config`` and the README)."""

    name: str
    """The :class:`Settings` field; its environment variable is ``BOT_`` and this in capitals."""
    toml: str
    """Its key in the TOML file, ``table.key`` or ``key``."""
    kind: str
    """``str``, ``path``, ``int``, ``port``, ``list`` or ``choice``."""
    doc: str
    secret: bool = False
    bounds: tuple[int, int] | None = None
    choices: tuple[str, ...] = ()
    optional_int: bool = False
    """An ``int`` that may also be ``off`` (None)."""

    @property
    def env(self) -> str:
        return f"BOT_{self.name.upper()}"


OPTIONS: Final[tuple[Option, ...]] = (
    Option("programme", "programme", "path", "the programme file"),
    Option("db", "database", "path", "the SQLite database file"),
    Option("log_level", "log.level", "choice", "log level", choices=LOG_LEVELS),
    Option("log_format", "log.format", "choice", "log lines as text, or one JSON object a line", choices=LOG_FORMATS),
    Option("http_host", "http.host", "str", "the address the web server listens on"),
    Option("http_port", "http.port", "port", "the web server's port (webhooks, files, /healthz, /metrics)"),
    Option("metrics_host", "metrics.host", "str", "with metrics.port: the address of a separate listener for /metrics and /healthz"),
    Option("metrics_port", "metrics.port", "port", "a separate port for /metrics and /healthz (then not served on http.port)"),
    Option("public_url", "http.public_url", "str", "the HTTPS address the web server is reached at (documents for WeChat)"),
    Option("telegram_token", "telegram.token", "str", "the bot token from @BotFather", secret=True),
    Option("telegram_api_url", "telegram.api_url", "str", "another Bot API server (default https://api.telegram.org)"),
    Option("telegram_webhook_url", "telegram.webhook_url", "str", "receive updates by webhook at this HTTPS URL (default: long polling)"),
    Option("telegram_webhook_secret", "telegram.webhook_secret", "str", "the secret Telegram sends back with every webhook request", secret=True),
    Option("telegram_username", "telegram.username", "str", "the bot's @username for invitation links (default: asked of Telegram)"),
    Option("wechat_token", "wechat.token", "str", "the Official Account's callback token", secret=True),
    Option("wechat_appid", "wechat.appid", "str", "the Official Account's AppID"),
    Option("wechat_secret", "wechat.secret", "str", "the Official Account's AppSecret", secret=True),
    Option("wechat_aes_key", "wechat.aes_key", "str", "the EncodingAESKey (safe mode)", secret=True),
    Option("wechat_api_url", "wechat.api_url", "str", "another WeChat API address (default https://api.weixin.qq.com)"),
    Option("wechat_template_id", "wechat.template_id", "str", "a template message for pushes outside the customer-service window"),
    Option("organisers", "roles.organisers", "list", "organisers by platform id (telegram:123, wechat:<openid>)"),
    Option("facilitators", "roles.facilitators", "list", "facilitators by platform id, optionally @stream:<id> or @session:<id>"),
    Option("moderators", "roles.moderators", "list", "moderators by platform id, optionally @stream:<id> or @session:<id>"),
    Option("wechat_window_messages", "limits.wechat_window_messages", "int", "customer-service messages WeChat allows after a follower's message", bounds=(0, 100)),
    Option("wechat_window_hours", "limits.wechat_window_hours", "int", "... within this many hours", bounds=(1, 48 * 7)),
    Option("wechat_event_messages", "limits.wechat_event_messages", "int", "customer-service messages after a menu click, follow or scan", bounds=(0, 100)),
    Option("wechat_event_seconds", "limits.wechat_event_seconds", "int", "... within this many seconds", bounds=(1, 3600)),
    Option("notice_quiet_minutes", "limits.notice_quiet_minutes", "int", "programme edits this close together make one change notice", bounds=(0, 240)),
    Option("flood_burst", "limits.flood_burst", "int", "messages one person may send at once before being asked to slow down (0: no flood control)", bounds=(0, 1000)),
    Option("flood_per_minute", "limits.flood_per_minute", "int", "... and how many a minute are read from them after that", bounds=(1, 6000)),
    Option("debug_understanding", "debug.understanding", "bool", "1: every reply to free text ends with how it was read (for rehearsals, not for delegates)"),
    Option("shutdown_seconds", "limits.shutdown_seconds", "int", "on SIGTERM, how long answers and sends under way may take to finish", bounds=(0, 300)),
    Option("retention_days", "privacy.retention_days", "int", "delete delegates' data this many days after the event ends (off: keep)", bounds=(0, 3650), optional_int=True),
)
_BY_NAME: Final = {o.name: o for o in OPTIONS}
_BY_ENV: Final = {o.env: o for o in OPTIONS}
_BY_TOML: Final = {o.toml: o for o in OPTIONS}


class ConfigError(ValueError):
    """Settings that cannot be used; ``problems`` names each (the variable or the file's key, and why)."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class Settings:
    programme: Path
    db: Path
    log_level: str = "INFO"
    log_format: str = "text"
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = None
    """A separate listener for /metrics and /healthz; None: they are served on ``http_port``."""
    telegram_token: str | None = None
    telegram_api_url: str | None = None
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = None
    wechat_token: str | None = None
    wechat_appid: str | None = None
    wechat_secret: str | None = None
    wechat_aes_key: str | None = None
    wechat_api_url: str | None = None
    wechat_template_id: str | None = None
    telegram_username: str | None = None
    """The bot's @username, for invitation links; asked of Telegram (getMe) when unset."""
    public_url: str | None = None
    """The HTTPS address the bot's web server is reached at (documents for WeChat)."""
    organisers: tuple[str, ...] = ()
    facilitators: tuple[str, ...] = ()
    moderators: tuple[str, ...] = ()
    wechat_window_messages: int = 5
    """Customer-service messages WeChat allows within the window after a follower's message."""
    wechat_window_hours: int = 48
    wechat_event_messages: int = 3
    """... and within a short window after a menu click, follow or scan."""
    wechat_event_seconds: int = 60
    notice_quiet_minutes: int = 2
    """Programme edits within this long of each other make one change notice."""
    shutdown_seconds: int = 8
    """On SIGTERM, answers and sends under way get this long to finish (below Docker's 10 s before it kills)."""
    retention_days: int | None = 30
    """Delegates' personal data is deleted this many days after the event ends; None keeps it."""
    config_file: Path | None = field(default=None, compare=False)
    """The TOML file read, if any."""
    origins: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    """Where each setting that is not a default came from: ``BOT_X``, the file's key, or the command line."""
    unknown: tuple[str, ...] = field(default=(), compare=False, repr=False)
    """Variables and keys that are no setting (typos), each with the one it looks like: ``run`` warns of them."""
    flood_burst: int = 20
    """Messages one person may send at once before the bot asks them to slow down (0: no flood control)."""
    flood_per_minute: int = 30
    """... and how many a minute it reads from them after that."""
    debug_understanding: bool = False
    """Every reply to free text ends with how it was read (which phrase or question matched, its score)."""

    _SECRETS = frozenset(o.name for o in OPTIONS if o.secret)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """The settings from ``env`` (default: ``os.environ``, and then a ``delegate-bot.toml`` here is read too).

        ``overrides`` (command-line options; None means not given) win over
        everything.  Raises :class:`ConfigError` (a ``ValueError``) naming
        every problem.
        """
        return cls.load(env, **overrides)

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, config: Path | None = None, **overrides: object) -> Settings:
        report = inspect(env, config, **overrides)
        if report.problems:
            raise ConfigError(report.problems)
        assert report.settings is not None
        return report.settings

    def role_grants(self) -> list[Grant]:
        """The roles granted here (``BOT_ORGANISERS``, ``BOT_FACILITATORS``, ``BOT_MODERATORS``)."""
        out: list[Grant] = []
        for name, role in _ROLE_LISTS.items():
            try:
                out += parse_grants(role, ",".join(getattr(self, name)))
            except ValueError as exc:
                raise ValueError(f"{self.origins.get(name, _BY_NAME[name].env)}: {exc}") from None
        return out

    @property
    def wechat_budget(self) -> Budget:
        return Budget(
            messages=self.wechat_window_messages, window=dt.timedelta(hours=self.wechat_window_hours),
            event_messages=self.wechat_event_messages, event_window=dt.timedelta(seconds=self.wechat_event_seconds),
        )

    @property
    def log_level_number(self) -> int:
        return logging.getLevelName(self.log_level) if self.log_level in LOG_LEVELS else logging.INFO

    def secret_values(self) -> tuple[str, ...]:
        """The configured secrets, for the log formatter to remove wherever they appear."""
        return tuple(v for name in sorted(self._SECRETS) if (v := getattr(self, name)))

    def describe(self) -> dict[str, str]:
        """The settings for a log line, with secrets shown only as set or unset."""
        out = {}
        for f in fields(self):
            if f.name.startswith("_") or f.name in ("origins", "unknown"):
                continue
            value = getattr(self, f.name)
            out[f.name] = ("set" if value else "unset") if f.name in self._SECRETS else str(value)
        return out

    def channel_gaps(self) -> list[str]:
        """Channels begun but not finished: one sentence each, naming every missing variable."""
        gaps = []
        wechat = {"wechat_token": self.wechat_token, "wechat_appid": self.wechat_appid, "wechat_secret": self.wechat_secret}
        given = [n for n, v in wechat.items() if v]
        if given and len(given) < len(wechat):
            missing = [self._name(n) for n, v in wechat.items() if not v]
            gaps.append(
                f"WeChat is not fully configured: {_and(missing)} {'is' if len(missing) == 1 else 'are'} missing "
                f"({_and([self._name(n) for n in given])} {'is' if len(given) == 1 else 'are'} set)"
            )
        if not self.telegram_token:
            extra = [n for n in ("telegram_webhook_url", "telegram_webhook_secret", "telegram_username") if getattr(self, n)]
            if extra:
                gaps.append(f"Telegram is not configured: {self._name('telegram_token')} is missing ({_and([self._name(n) for n in extra])} set)")
        return gaps

    def _name(self, name: str) -> str:
        return self.origins.get(name) or _BY_NAME[name].env


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


@dataclass
class ConfigReport:
    """Everything ``check-config`` says: the settings (if usable), what is wrong, and what to know."""

    settings: Settings | None
    problems: list[str]
    notes: list[str]
    config_file: Path | None
    unknown: list[str] = field(default_factory=list)
    """Variables and keys that are no setting (typos), with a suggestion where one is close."""


def config_path(env: Mapping[str, str], explicit: Path | None, discover: bool) -> Path | None:
    """The TOML file to read: the one given, else ``BOT_CONFIG``, else ``delegate-bot.toml`` here (when discovering)."""
    if explicit is not None:
        return explicit
    named = (env.get(CONFIG_ENV) or "").strip()
    if named:
        return Path(named)
    here = Path.cwd() / CONFIG_NAME
    return here if discover and here.is_file() else None


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and name not in _BY_TOML:
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def _suggest(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
    return f" (did you mean {close[0]}?)" if close else ""


def inspect(env: Mapping[str, str] | None = None, config: Path | None = None, **overrides: object) -> ConfigReport:
    """Read every source and check every value; never raises for a bad setting (see :class:`ConfigReport`)."""
    discover = env is None
    env = os.environ if env is None else env
    problems: list[str] = []
    notes: list[str] = []
    unknown: list[str] = []
    raw: dict[str, tuple[object, str, Path | None]] = {}  # name -> (value, where, base directory for paths)

    path = config_path(env, config, discover)
    file_values: dict[str, Any] = {}
    if path is not None:
        try:
            file_values = _flatten(tomllib.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            problems.append(f"{path}: the configuration file does not exist")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{path}: cannot read the configuration file ({exc})")
        except tomllib.TOMLDecodeError as exc:
            problems.append(f"{path}: not valid TOML: {exc}")
    for key, value in file_values.items():
        option = _BY_TOML.get(key)
        if option is None:
            unknown.append(f"{path}: {key} is not a setting{_suggest(key, list(_BY_TOML))}")
            continue
        raw[option.name] = (value, f"{path}: {key}", path.parent if path else None)
        if option.secret:
            notes.append(f"{path} holds {option.toml}: keep the file readable only by the bot's user")
    for name, value in env.items():
        if not name.startswith("BOT_") or name == CONFIG_ENV:
            continue
        option = _BY_ENV.get(name)
        if option is None:
            unknown.append(f"{name} is not a setting{_suggest(name, list(_BY_ENV))}")
            continue
        if value.strip():
            raw[option.name] = (value.strip(), name, None)
    for name, value in overrides.items():
        if value is not None:
            raw[name] = (value, f"--{name}", None)

    values: dict[str, object] = {}
    origins: dict[str, str] = {}
    for option in OPTIONS:
        if option.name not in raw:
            continue
        value, where, base = raw[option.name]
        try:
            values[option.name] = _convert(option, value, where, base)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        origins[option.name] = where
    values.setdefault("programme", Path(default_programme()))
    values.setdefault("db", default_db_path())
    settings: Settings | None = None
    if not problems:
        settings = Settings(**values, config_file=path, origins=origins, unknown=tuple(unknown))  # type: ignore[arg-type]
        try:
            settings.role_grants()
        except ValueError as exc:
            problems.append(str(exc))
        problems.extend(_value_problems(settings))
        notes.extend(_notes(settings))
    return ConfigReport(settings, problems, sorted(set(notes)), path, unknown)


def _convert(option: Option, value: object, where: str, base: Path | None) -> object:
    """One value as its setting's type; ValueError naming ``where`` and what is allowed."""
    if option.kind == "list":
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            items: Sequence[str] = value
        elif isinstance(value, str):
            items = value.split(",")
        else:
            raise ValueError(f"{where} must be a list of platform ids, like [\"telegram:123456789\"]")
        return tuple(x.strip() for x in items if x.strip())
    if option.kind == "path":
        if not isinstance(value, (str, Path)) or not str(value).strip():
            raise ValueError(f"{where} must be a file path")
        p = Path(str(value)).expanduser()
        return base / p if base is not None and not p.is_absolute() else p
    if option.kind in ("int", "port"):
        text = str(value).strip()
        if option.optional_int and text.lower() in ("off", "never", "none"):
            return None
        low, high = option.bounds or (1, 65535)
        if isinstance(value, bool) or not text.isdigit() or not low <= int(text) <= high:
            if option.kind == "port":
                raise ValueError(f"{where} must be a port number from 1 to 65535, not {text!r}")
            extra = " or off" if option.optional_int else ""
            raise ValueError(f"{where} must be a whole number from {low} to {high}{extra}, not {text!r}")
        return int(text)
    if option.kind == "bool":
        if isinstance(value, bool):
            return value
        flag = str(value).strip().casefold()
        if flag in ("1", "true", "yes", "on"):
            return True
        if flag in ("", "0", "false", "no", "off"):
            return False
        raise ValueError(f"{where} must be 1 or 0 (true or false), not {str(value)!r}")
    if not isinstance(value, str):
        raise ValueError(f"{where} must be a text")
    text = value.strip()
    if option.kind == "choice":
        chosen = text.upper() if option.choices == LOG_LEVELS else text.lower()
        if chosen not in option.choices:
            raise ValueError(f"{where} must be one of {', '.join(option.choices)}, not {text!r}")
        return chosen
    return text or None


def _value_problems(s: Settings) -> list[str]:
    """Values of the right type that still cannot work (a webhook secret Telegram refuses, a plain-HTTP webhook)."""
    out = []
    if s.telegram_webhook_secret and not _WEBHOOK_SECRET.match(s.telegram_webhook_secret):
        out.append(f"{s._name('telegram_webhook_secret')} must be 1-256 characters of A-Z a-z 0-9 _ - (Telegram refuses others)")
    if s.telegram_webhook_url and not s.telegram_webhook_url.startswith("https://"):
        out.append(f"{s._name('telegram_webhook_url')} must be an https:// address (Telegram sends webhooks only over HTTPS)")
    if s.public_url and not s.public_url.startswith(("https://", "http://")):
        out.append(f"{s._name('public_url')} must be a web address, like https://bot.example.org")
    if s.metrics_port is not None and s.metrics_port == s.http_port and s.metrics_host == s.http_host:
        out.append(f"{s._name('metrics_port')} is the web server's own port: leave it unset to serve /metrics there")
    return out


def _notes(s: Settings) -> list[str]:
    """What works but may surprise (shown by ``check-config``, never fatal)."""
    out = []
    if s.telegram_token and not _BOT_TOKEN.match(s.telegram_token):
        out.append(f"{s._name('telegram_token')} does not look like a bot token from @BotFather (digits, a colon, then about 35 characters)")
    if s.wechat_aes_key and not _AES_KEY.match(s.wechat_aes_key):
        out.append(f"{s._name('wechat_aes_key')} is not 43 letters and digits, as an EncodingAESKey is")
    if s.telegram_webhook_url and not s.telegram_webhook_secret:
        out.append(f"{_BY_NAME['telegram_webhook_secret'].env} is unset: a random secret is used for each run")
    if s.wechat_token and s.wechat_appid and s.wechat_secret and not s.public_url:
        out.append(f"{_BY_NAME['public_url'].env} is unset: documents (exports, sign-up lists) cannot reach WeChat followers")
    if s.public_url and s.public_url.startswith("http://"):
        out.append(f"{s._name('public_url')} is plain http: links to delegates' documents should be https")
    if s.retention_days is None:
        out.append(f"{s._name('retention_days')} is off: delegates' data is kept until /forget or a manual purge")
    if s.http_host not in ("127.0.0.1", "localhost", "::1") and s.metrics_port is None:
        out.append(f"the web server listens on {s.http_host}: let your proxy forward only /wechat, /telegram and /files/, "
                   f"not /metrics (or set {_BY_NAME['metrics_port'].env})")
    return out
