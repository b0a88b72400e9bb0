"""Logging for operators: useful lines, and never a secret or a delegate's words.

What must not reach a log at INFO: a bot token, the WeChat AppSecret, AES key
or access token, an openid or chat id, or what a delegate wrote.  The bot's own
code logs none of them at INFO; this module makes sure libraries do not either:

* the HTTP clients' per-request lines (httpx logs every Telegram call with the
  bot token in its URL, ``POST .../bot123:SECRET/getMe``) are silenced below
  WARNING;
* every formatted line, tracebacks included, passes through
  :class:`RedactingFormatter`, which replaces the configured secrets and
  anything shaped like a bot token, an access token or an openid in a URL.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from typing import Final, TextIO

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


class RedactingFormatter(logging.Formatter):
    """A formatter that removes secrets from the whole formatted line, traceback included."""

    def __init__(self, fmt: str = FORMAT, secrets: Iterable[str] = ()) -> None:
        super().__init__(fmt)
        # longest first, so a secret containing another is replaced whole
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        text = _BOT_PATH.sub(rf"\1{REDACTED}", text)
        text = _BOT_TOKEN.sub(REDACTED, text)
        return _QUERY_SECRET.sub(rf"\1={REDACTED}", text)

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))


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


def configure(level: int, secrets: Iterable[str] = (), stream: TextIO | None = None) -> logging.Handler:
    """Log to ``stream`` (default: the current stderr) at ``level``, redacted; quiet chatty libraries.

    Calling it again replaces the handler it added before; other handlers
    (a test runner's) are left alone.
    """
    handler: logging.Handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.setFormatter(RedactingFormatter(secrets=secrets))
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
