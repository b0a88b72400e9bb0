"""Logging for operators: useful lines, and never a secret or a delegate's words.

What must not reach a log at INFO: a bot token, the WeChat AppSecret, AES key
or access token, an openid or chat id, or what a delegate wrote.  The bot's own
code logs none of them at INFO; this module makes sure libraries do not either:

* the HTTP clients' per-request lines (httpx logs every Telegram call with the
  bot token in its URL, ``POST .../bot123:SECRET/getMe``) are silenced below
  WARNING;
* every formatted line, tracebacks included, passes through
  :class:`RedactingFormatter` (or :class:`JsonLinesFormatter`), which
  replaces the configured secrets and anything shaped like a bot token, an
  access token or an openid in a URL.

Each event is one line, so a log collector (journald, ``docker logs``, Loki)
never splits one: in text a line break inside a message or a traceback is
written ``\\n``; with ``BOT_LOG_FORMAT=json`` each line is one JSON object
(``time``, ``level``, ``logger``, ``message``, ``exc_info``), written by
python-json-logger.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import sys
from collections.abc import Iterable
from typing import Final, TextIO

from pythonjsonlogger.json import JsonFormatter

#: Libraries whose INFO lines name URLs (with tokens) or are per-request noise.
QUIET_LIBRARIES: Final = ("httpx", "httpcore", "hpack", "aiohttp.client", "apscheduler", "telegram.ext.Updater")
REDACTED: Final = "***"
#: A Telegram bot token (``123456:ABC-...``), alone or in a Bot API path (``/bot123456:ABC...``).
_BOT_TOKEN: Final = re.compile(r"\b\d{3,}:[A-Za-z0-9_-]{20,}")
_BOT_PATH: Final = re.compile(r"(/bot)[^/\s]+")
#: Query parameters that carry a secret or a user id (WeChat puts both in URLs).
_QUERY_SECRET: Final = re.compile(r"(?i)\b(access_token|secret|openid|appsecret|msg_signature|signature|token)=[^&\s\"']+")

FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"
HANDLER_NAME: Final = "delegate-bot"


class Redactor:
    """Removes the configured secrets, and anything shaped like a token or an id in a URL, from a text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # longest first, so a secret containing another is replaced whole
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        text = _BOT_PATH.sub(rf"\1{REDACTED}", text)
        text = _BOT_TOKEN.sub(REDACTED, text)
        return _QUERY_SECRET.sub(rf"\1={REDACTED}", text)


class RedactingFormatter(logging.Formatter):
    """Text lines without secrets, traceback included; with ``one_line``, line breaks are written ``\\n``."""

    def __init__(self, fmt: str = FORMAT, secrets: Iterable[str] = (), *, one_line: bool = True) -> None:
        super().__init__(fmt)
        self.redactor = Redactor(secrets)
        self.secrets = self.redactor.secrets
        self.one_line = one_line

    def redact(self, text: str) -> str:
        return self.redactor.redact(text)

    def format(self, record: logging.LogRecord) -> str:
        text = self.redact(super().format(record))
        return text.replace("\r", "").replace("\n", "\\n") if self.one_line else text


class JsonLinesFormatter(JsonFormatter):
    """One JSON object a line (python-json-logger), without secrets."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__(
            "{asctime}{levelname}{name}{message}", style="{", json_ensure_ascii=False,
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
        self.redactor = Redactor(secrets)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        return dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds")

    def format(self, record: logging.LogRecord) -> str:
        return self.redactor.redact(super().format(record))


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a line is logged (as ``logging.lastResort`` does)."""

    def __init__(self) -> None:
        super().__init__()

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure(
    level: int, secrets: Iterable[str] = (), stream: TextIO | None = None, *, json_lines: bool = False
) -> logging.Handler:
    """Log to ``stream`` (default: the current stderr) at ``level``, redacted, one line an event; quiet chatty libraries.

    Calling it again replaces the handler it added before; other handlers
    (a test runner's) are left alone.
    """
    handler: logging.Handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.setFormatter(JsonLinesFormatter(secrets) if json_lines else RedactingFormatter(secrets=secrets))
    handler.set_name(HANDLER_NAME)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    quiet(level)
    return handler


def quiet(level: int = logging.INFO) -> None:
    """HTTP clients' request lines only from WARNING up, unless DEBUG was asked for."""
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.DEBUG if level <= logging.DEBUG else logging.WARNING)
