"""Settings from the environment (``BOT_*``), with embedded defaults.

With nothing set, the bot uses the shipped programme, a SQLite file in the
user's data directory and only the console channel.  Secrets (tokens, keys)
are never logged: :meth:`Settings.describe` prints only whether they are set.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from platformdirs import user_data_path

from bot.resources import default_programme
from bot.roles import Grant, Role, parse_grants
from bot.store.wechat import Budget

APP_NAME = "delegate-companion"
_ROLE_LISTS = {"organisers": Role.ORGANISER, "facilitators": Role.FACILITATOR, "moderators": Role.MODERATOR}
#: Whole-number settings and their allowed range.
_NUMBERS = {
    "wechat_window_messages": (0, 100),
    "wechat_window_hours": (1, 48 * 7),
    "wechat_event_messages": (0, 100),
    "wechat_event_seconds": (1, 3600),
    "notice_quiet_minutes": (0, 240),
    "flood_burst": (0, 1000),
    "flood_per_minute": (1, 6000),
}


def default_db_path() -> Path:
    return user_data_path(APP_NAME, appauthor=False) / "bot.sqlite3"


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValueError(f"BOT_HTTP_PORT must be a port number from 1 to 65535, not {text!r}")
    return int(text)


@dataclass(frozen=True)
class Settings:
    programme: Path
    db: Path
    log_level: str = "INFO"
    http_host: str = "127.0.0.1"
    http_port: int = 8080
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
    flood_burst: int = 20
    """Messages one person may send at once before the bot asks them to slow down (0: no flood control)."""
    flood_per_minute: int = 30
    """... and how many a minute it reads from them after that."""
    debug_understanding: bool = False
    """Every reply to free text ends with how it was read (which phrase or question matched, its score)."""

    _SECRETS = frozenset({"telegram_token", "telegram_webhook_secret", "wechat_token", "wechat_secret", "wechat_aes_key"})

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(f"BOT_{name.upper()}")
            return value.strip() if value and value.strip() else None

        values: dict[str, object] = {
            "programme": Path(get("programme") or default_programme()),
            "db": Path(get("db") or default_db_path()),
            "log_level": (get("log_level") or "INFO").upper(),
            "http_host": get("http_host") or "127.0.0.1",
            "http_port": _port(get("http_port") or "8080"),
        }
        values["debug_understanding"] = (get("debug_understanding") or "").casefold() in {"1", "true", "yes", "on"}
        for name in _ROLE_LISTS:
            values[name] = tuple(x.strip() for x in (get(name) or "").split(",") if x.strip())
        for name, (low, high) in _NUMBERS.items():
            raw = get(name)
            if raw is not None:
                if not raw.isdigit() or not low <= int(raw) <= high:
                    raise ValueError(f"BOT_{name.upper()} must be a whole number from {low} to {high}, not {raw!r}")
                values[name] = int(raw)
            else:
                values[name] = next(f.default for f in fields(cls) if f.name == name)
        for f in fields(cls):
            if f.name not in values and not f.name.startswith("_"):
                values[f.name] = get(f.name)
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)  # type: ignore[arg-type]
        settings.role_grants()  # a malformed BOT_ORGANISERS entry stops the bot with its name
        return settings

    def role_grants(self) -> list[Grant]:
        """The roles granted here (``BOT_ORGANISERS``, ``BOT_FACILITATORS``, ``BOT_MODERATORS``)."""
        out: list[Grant] = []
        for name, role in _ROLE_LISTS.items():
            try:
                out += parse_grants(role, ",".join(getattr(self, name)))
            except ValueError as exc:
                raise ValueError(f"BOT_{name.upper()}: {exc}") from None
        return out

    @property
    def wechat_budget(self) -> Budget:
        return Budget(
            messages=self.wechat_window_messages, window=dt.timedelta(hours=self.wechat_window_hours),
            event_messages=self.wechat_event_messages, event_window=dt.timedelta(seconds=self.wechat_event_seconds),
        )

    def secret_values(self) -> tuple[str, ...]:
        """The configured secrets, for the log formatter to remove wherever they appear."""
        return tuple(v for name in sorted(self._SECRETS) if (v := getattr(self, name)))

    def describe(self) -> dict[str, str]:
        """The settings for a log line, with secrets shown only as set or unset."""
        out = {}
        for f in fields(self):
            if f.name.startswith("_"):
                continue
            value = getattr(self, f.name)
            out[f.name] = ("set" if value else "unset") if f.name in self._SECRETS else str(value)
        return out
