"""The Telegram channel (python-telegram-bot 22): Request in, Reply out.

One PTB :class:`~telegram.ext.Application` with a single catch-all handler
turns updates into :class:`~bot.conversation.Request` objects and renders the
core's replies in Telegram's idiom: HTML text with the programme escaped,
inline keyboards (long option lists as numbered lines plus short buttons),
``sendVenue``, native polls, photos and documents.  A button press whose reply
is marked ``navigation`` edits the message in place.

It runs inside ``delegate-bot run`` with PTB's manual lifecycle, so other
channels share the event loop: long polling by default, or a webhook route on
the service's shared aiohttp application when ``BOT_TELEGRAM_WEBHOOK_URL`` is
set.  Every processed ``update_id`` is recorded before it is handled, so a
replayed webhook or a refetch after a restart has no second effect.

Pushed messages (reminders, broadcasts) go through :class:`TelegramSender`,
which keeps to Telegram's flood limits and maps its errors to outbox outcomes.

An update is claimed (kept, with its JSON) before it is handled and marked
done after, the mark committed with the next claim or within
:data:`DONE_WITHIN`: a crash in the middle of handling, or that shortly
after, has the update handled again at the next start, once (see
:class:`UpdateLog`).  Answers to native polls reach the core as ordinary
requests carrying a :class:`~bot.conversation.PollAnswer`.
"""

from __future__ import annotations

import asyncio
import base64
import bisect
import contextlib
import datetime as dt
import functools
import hashlib
import hmac
import html
import json
import logging
import os
import re
import secrets
import sqlite3
import time
import unicodedata
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

import httpx
from aiohttp import web
from babel import Locale
from telegram import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputPollOption,
    Message,
    Update,
    WebAppInfo,
)
from telegram.constants import (
    BotCommandLimit,
    ChatMemberStatus,
    ChatType,
    FloodLimit,
    InlineKeyboardButtonLimit,
    MessageLimit,
    ParseMode,
    PollLimit,
)
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.channels import ChannelStartError

# PTB 22 reports time periods (RetryAfter.retry_after) as timedelta when asked to, and warns otherwise
os.environ.setdefault("PTB_TIMEDELTA", "true")
from bot.conversation import (
    Choice,
    Choices,
    Document,
    Image,
    LinkButton,
    Links,
    Location,
    Poll,
    PollAnswer,
    Reply,
    Request,
    Text,
    UserRef,
    Venue,
    WebAppButton,
)
from bot.geo import Datum, convert
from bot.notify.outbox import Delivered, Delivery, Failed, Outcome, Retry, Uncertain
from bot.store.db import iso

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.ports import ChannelPorts
    from bot.store.db import Database

logger = logging.getLogger(__name__)

CHANNEL: Final = "telegram"

MAX_TEXT: Final[int] = MessageLimit.MAX_TEXT_LENGTH
MAX_CAPTION: Final[int] = MessageLimit.CAPTION_LENGTH
MAX_CALLBACK_DATA: Final[int] = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA
MAX_POLL_QUESTION: Final[int] = PollLimit.MAX_QUESTION_LENGTH
MAX_POLL_OPTION: Final[int] = PollLimit.MAX_OPTION_LENGTH
MAX_POLL_OPTIONS: Final[int] = PollLimit.MAX_OPTION_NUMBER
MIN_POLL_OPTIONS: Final = 2
MAX_COMMAND_NAME: Final[int] = BotCommandLimit.MAX_COMMAND
MAX_COMMAND_DESCRIPTION: Final[int] = BotCommandLimit.MAX_DESCRIPTION
MAX_COMMANDS: Final[int] = BotCommandLimit.MAX_COMMAND_NUMBER
MESSAGES_PER_SECOND: Final[int] = FloodLimit.MESSAGES_PER_SECOND
MESSAGES_PER_SECOND_PER_CHAT: Final[int] = FloodLimit.MESSAGES_PER_SECOND_PER_CHAT

#: A button label longer than this reads badly on a phone: the list is numbered instead.
BUTTON_LABEL: Final = 30
#: The longest text Telegram shows on a button without cutting it on a phone.
BUTTON_TEXT: Final = 64
#: Buttons this short (numbers, "Next page ▶") share a row.
SHORT_BUTTON: Final = 16
SHORT_BUTTONS_PER_ROW: Final = 3
WEBHOOK_SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_WEBHOOK_PATH: Final = "/telegram"
#: Processed update ids are kept this long; Telegram keeps undelivered updates for 24 hours.
UPDATE_MEMORY: Final = dt.timedelta(days=3)
ALLOWED_UPDATES: Final = ("message", "callback_query", "my_chat_member", "poll_answer")
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
_TAG = re.compile(r"<[^>]*>")
TOKEN_PREFIX: Final = "#"
#: Long button payloads are kept this long after they were last issued...
CALLBACK_MEMORY: Final = dt.timedelta(days=30)
#: ... and pruned at start and after this many new ones.
PRUNE_EVERY: Final = 1000
#: A direct answer refused with a 429 is tried again this often, and only if Telegram asks to wait no longer than this.
ANSWER_ATTEMPTS: Final = 3
ANSWER_PATIENCE: Final = 60.0
#: Updates handled at once in long polling (each person's still in order, one at a time)...
CONCURRENT_UPDATES: Final = 1024
#: ... of which one person's may hold this many waiting for their turn; more are a flood, and dropped
#: (the core's flood control would not answer them anyway), so one flooder cannot take every slot.
MAX_WAITING_PER_CHAT: Final = 16
MARKUP_CACHE: Final = 1024
#: Claims on the update log's own connection between two WAL checkpoints (each claim adds a page or two).
CHECKPOINT_EVERY: Final = 500


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split plain text into pieces of at most ``limit`` characters at line boundaries.

    A single line longer than ``limit`` is cut hard.
    """
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append("\n".join(current))
                current, size = [], 0
            pieces.append(line[:limit])
            line = line[limit:]
        added = len(line) + (1 if current else 0)
        if current and size + added > limit:
            pieces.append("\n".join(current))
            current, size = [], 0
            added = len(line)
        current.append(line)
        size += added
    if current and any(current):
        pieces.append("\n".join(current))
    return [p for p in pieces if p.strip()] or []


def html_messages(body: str, title: str | None = None, limit: int = MAX_TEXT) -> list[str]:
    """``<b>title</b>`` and the escaped body, as messages within Telegram's length limit."""
    plain = "\n".join(x for x in (title, body) if x)
    # Most answers fit one message: splitting would only join the same lines again.
    pieces = ([plain] if plain.strip() else []) if len(plain) <= limit else split_text(plain, limit)
    out = []
    for index, piece in enumerate(pieces):
        if index == 0 and title and piece.startswith(title):
            rest = piece[len(title):]
            out.append(f"<b>{html.escape(title, quote=False)}</b>{html.escape(rest, quote=False)}")
        else:
            out.append(html.escape(piece, quote=False))
    return out


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis where it was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _retry_seconds(exc: RetryAfter) -> float:
    """``retry_after`` in seconds, without PTB's int/timedelta deprecation dance."""
    value = getattr(exc, "_retry_after", None)
    if value is None:
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class EditLog:
    """Which message a key last went out as, per chat, so the next one with that key edits it."""

    def __init__(self, db: Database, now: Callable[[], dt.datetime]) -> None:
        self.db = db
        self.now = now

    async def get(self, chat_id: int, key: str) -> int | None:
        row = await self.db.fetchone("SELECT message_id FROM telegram_edits WHERE chat_id = ? AND edit_key = ?", (str(chat_id), key))
        return int(row[0]) if row else None

    async def put(self, chat_id: int, key: str, message_id: int) -> None:
        await self.db.execute(
            "INSERT INTO telegram_edits (chat_id, edit_key, message_id, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (chat_id, edit_key) DO UPDATE SET message_id = excluded.message_id",
            (str(chat_id), key, message_id, iso(self.now())),
        )


class CallbackCodec:
    """Button payloads to callback data of 1-64 bytes, and back.

    Payloads that fit are sent as they are; longer ones (a search with a
    long query, say) are stored in ``telegram_callbacks`` and replaced by
    ``#`` and a hash of the payload, so the same payload always gets the same
    token and old buttons keep working after a restart.  Stored payloads
    are pruned :data:`CALLBACK_MEMORY` after they were last issued (at start
    and every :data:`PRUNE_EVERY` new ones), so distinct long searches do not
    grow the table without bound; a button older than that says it expired.
    """

    def __init__(self, db: Database, now: Callable[[], dt.datetime], cache_size: int = 4096) -> None:
        self.db = db
        self.now = now
        self._cache: OrderedDict[str, str] = OrderedDict()
        self._cache_size = cache_size
        #: (token, chat) pairs already recorded in ``telegram_callback_chats``
        self._shown: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._since_prune = 0

    async def prune(self) -> int:
        """Forget payloads last issued more than :data:`CALLBACK_MEMORY` ago; how many."""
        self._since_prune = 0
        async with self.db.transaction() as conn:
            cur = await conn.execute("DELETE FROM telegram_callbacks WHERE created_at < ?", (iso(self.now() - CALLBACK_MEMORY),))
            gone = cur.rowcount
            if gone:  # and the record of which chats got them (privacy: it finds a person's buttons)
                await conn.execute("DELETE FROM telegram_callback_chats WHERE token NOT IN (SELECT token FROM telegram_callbacks)")
        if gone:
            self._cache.clear()  # a pruned token must not live on in memory either
            self._shown.clear()
            logger.info("forgot %d long button payload(s) issued over %d days ago", gone, CALLBACK_MEMORY.days)
        return gone

    @staticmethod
    def fits(payload: str) -> bool:
        return 0 < len(payload.encode("utf-8")) <= MAX_CALLBACK_DATA and not payload.startswith(TOKEN_PREFIX)

    @staticmethod
    def token(payload: str) -> str:
        digest = hashlib.sha256(payload.encode("utf-8")).digest()[:16]
        return TOKEN_PREFIX + base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")

    def _remember(self, token: str, payload: str) -> None:
        self._cache[token] = payload
        self._cache.move_to_end(token)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    async def encode(self, payloads: Iterable[str]) -> dict[str, str]:
        """Callback data for each payload; long payloads are stored (committed) first."""
        out: dict[str, str] = {}
        new: list[tuple[str, str, str]] = []
        for payload in payloads:
            if self.fits(payload):
                out[payload] = payload
                continue
            token = self.token(payload)
            out[payload] = token
            if token in self._cache:
                self._cache.move_to_end(token)
            else:
                new.append((token, payload, iso(self.now())))
        if new:
            async with self.db.transaction() as conn:
                await conn.executemany(
                    "INSERT INTO telegram_callbacks (token, payload, created_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (token) DO UPDATE SET created_at = excluded.created_at",  # issued again: kept longer
                    new,
                )
            for token, payload, _created in new:
                self._remember(token, payload)
            self._since_prune += len(new)
            if self._since_prune >= PRUNE_EVERY:
                await self.prune()
        return out

    async def shown_to(self, tokens: Iterable[str], chat_id: int | str) -> None:
        """Record that buttons with these stored payloads went to ``chat_id`` (so /forget finds them)."""
        chat = str(chat_id)
        new = [(t, chat) for t in dict.fromkeys(tokens) if (t, chat) not in self._shown]
        if not new:
            return
        async with self.db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO telegram_callback_chats (token, chat_id) VALUES (?, ?) ON CONFLICT DO NOTHING", new)
        for pair in new:
            self._shown[pair] = None
        while len(self._shown) > self._cache_size:
            self._shown.popitem(last=False)

    def forget_chat(self, chat_id: str | None) -> None:
        """Drop what memory holds of a chat's buttons (None: of every chat); payloads may hold its words."""
        self._cache.clear()
        if chat_id is None:
            self._shown.clear()
        else:
            for pair in [p for p in self._shown if p[1] == chat_id]:
                del self._shown[pair]

    async def decode(self, data: str) -> str | None:
        """The payload behind callback data; None for a token this bot never issued."""
        if not data.startswith(TOKEN_PREFIX):
            return data
        if data in self._cache:
            return self._cache[data]
        row = await self.db.fetchone("SELECT payload FROM telegram_callbacks WHERE token = ?", (data,))
        if row is None:
            return None
        self._remember(data, row[0])
        return row[0]


@dataclass(frozen=True)
class Keyboard:
    """How a Choices reply shows on Telegram: lines added to the text, and buttons."""

    lines: tuple[str, ...]
    rows: tuple[tuple[tuple[str, str], ...], ...]  # (button text, payload)


@functools.lru_cache(maxsize=8192)
def display_width(text: str) -> int:
    """Columns ``text`` takes on a phone: wide (CJK) characters count twice."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def layout(choices: Choices) -> Keyboard:
    """Options whose labels fit a button as buttons; otherwise numbered lines plus numbered short buttons."""
    return _layout(choices.options, choices.columns)


@functools.lru_cache(maxsize=1024)
def _layout(options: tuple[Choice, ...], columns: int) -> Keyboard:
    """:func:`layout` for one list of options; the same lists come up again and again."""
    numbered = any(display_width(o.label) > BUTTON_LABEL for o in options)
    lines: list[str] = []
    buttons: list[tuple[str, str]] = []
    for number, option in enumerate(options, 1):
        if numbered and (option.short or display_width(option.label) > BUTTON_LABEL):
            lines.append(f"{number}. {option.label}")
            buttons.append((f"{number}. {option.short}" if option.short else str(number), option.payload))
        else:
            buttons.append((option.label, option.payload))
    rows: list[tuple[tuple[str, str], ...]] = []
    if numbered:
        row: list[tuple[str, str]] = []
        for button in buttons:
            short = display_width(button[0]) <= SHORT_BUTTON
            if row and (not short or len(row) >= SHORT_BUTTONS_PER_ROW or display_width(row[-1][0]) > SHORT_BUTTON):
                rows.append(tuple(row))
                row = []
            row.append(button)
        if row:
            rows.append(tuple(row))
    else:
        width = max(1, columns)
        rows = [tuple(buttons[i : i + width]) for i in range(0, len(buttons), width)]
    return Keyboard(tuple(lines), tuple(rows))


def _with_lines(body: str, keyboard: Keyboard) -> str:
    """The body, a blank line, then the numbered options."""
    if not keyboard.lines:
        return body
    return "\n".join((body, "", *keyboard.lines)) if body else "\n".join(keyboard.lines)


Gate = Callable[[], Awaitable[bool]]
"""Awaited before every Bot API call a reply makes: waits for the rate limits, and says whether to make it
(False: that message already went out, in an earlier attempt of the same outbox item)."""


async def _no_gate() -> bool:
    return True


class Renderer:
    """Sends replies to one chat in Telegram's idiom.

    Text messages and edits, the bulk of the traffic, go out through
    :meth:`call`: PTB's request path (its error mapping, timeouts and rate
    limiter hook) with the inline keyboard already serialised, and without
    building a :class:`~telegram.Message` from Telegram's answer, which
    nothing here reads.  Keyboards are built as PTB objects and serialised
    once per distinct keyboard; the same lists come up again and again.
    """

    def __init__(self, app: Application, callbacks: CallbackCodec, db: Database, now: Callable[[], dt.datetime]) -> None:
        self.app = app
        self.callbacks = callbacks
        self.db = db
        self.now = now
        self.edits = EditLog(db, now)
        self._markups: OrderedDict[tuple[tuple[tuple[str, str], ...], ...], str] = OrderedDict()

    @property
    def bot(self) -> Any:
        return self.app.bot

    def forget_markups(self) -> None:
        """Drop the serialised keyboards (their payloads may hold a delegate's words)."""
        self._markups.clear()

    async def call(self, endpoint: str, data: dict[str, Any]) -> Any:
        """One Bot API call through PTB's request path; Telegram's answer as parsed JSON.

        ``Bot.send_message`` and friends turn every answer into a ``Message``
        (about a third of the channel's time per update in the benchmark);
        ``Bot.do_api_request`` would do the same work but warns for known
        methods.  ``Bot._post`` is the step both share: it inserts PTB's
        defaults, drops ``None`` values and raises PTB's errors
        (``RetryAfter``, ``Forbidden``, ``BadRequest``...) as they do.
        """
        return await self.bot._post(endpoint, data)  # noqa: SLF001 - see the docstring

    async def markup(self, keyboard: Keyboard, chat_id: int | None = None) -> str | None:
        """The inline keyboard as Bot API JSON, built and serialised once per distinct keyboard.

        With ``chat_id``, buttons whose payloads are stored are recorded as that chat's.
        """
        if not keyboard.rows:
            return None
        if chat_id is not None:
            stored = [CallbackCodec.token(p) for row in keyboard.rows for _label, p in row if not CallbackCodec.fits(p)]
            if stored:
                markup = await self._markup(keyboard)
                await self.callbacks.shown_to(stored, chat_id)
                return markup
        return await self._markup(keyboard)

    async def _markup(self, keyboard: Keyboard) -> str | None:
        cached = self._markups.get(keyboard.rows)
        if cached is not None:
            self._markups.move_to_end(keyboard.rows)
            return cached
        data = await self.callbacks.encode(p for row in keyboard.rows for _label, p in row)
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(label, callback_data=data[payload]) for label, payload in row] for row in keyboard.rows]
        ).to_json()
        self._markups[keyboard.rows] = markup
        if len(self._markups) > MARKUP_CACHE:
            self._markups.popitem(last=False)
        return markup

    async def send(self, chat_id: int, replies: Sequence[Reply], gate: Gate = _no_gate, edit: Message | None = None) -> None:
        """Send each reply; with ``edit``, a navigation reply replaces that message instead."""
        for reply in replies:
            if edit is not None and isinstance(reply, Choices) and reply.navigation:
                if await self._edit(edit, reply, gate):
                    edit = None
                    continue
            await self.send_one(chat_id, reply, gate)

    async def send_one(self, chat_id: int, reply: Reply, gate: Gate = _no_gate) -> None:
        """One reply, by the renderer of its type (:data:`RENDERERS`)."""
        await RENDERERS[type(reply)](self, chat_id, reply, gate)

    async def _send_text(self, chat_id: int, reply: Text, gate: Gate) -> None:
        messages = html_messages(reply.body, reply.title)
        if reply.edit_key is None or len(messages) != 1:
            await self._text(chat_id, reply.body, reply.title, None, gate)
            return
        # a message that replaces the last one with its key (a broadcast's progress): edited in place
        if not await gate():
            return
        known = await self.edits.get(chat_id, reply.edit_key)
        if known is not None:
            try:
                await self.call("editMessageText", {"chat_id": chat_id, "message_id": known, "text": messages[0], "parse_mode": ParseMode.HTML})
                return
            except BadRequest as exc:
                if "not modified" in str(exc).lower():
                    return
                logger.info("could not edit a message in place (%s); sending a new one", exc)
        result = await self.call("sendMessage", {"chat_id": chat_id, "text": messages[0], "parse_mode": ParseMode.HTML})
        if isinstance(result, dict) and "message_id" in result:
            await self.edits.put(chat_id, reply.edit_key, int(result["message_id"]))

    async def _send_choices(self, chat_id: int, reply: Choices, gate: Gate) -> None:
        keyboard = layout(reply)
        await self._text(chat_id, _with_lines(reply.body, keyboard), reply.title, await self.markup(keyboard, chat_id), gate)

    async def _send_photo(self, chat_id: int, reply: Image, gate: Gate) -> None:
        if await gate():
            await self.bot.send_photo(chat_id, photo=reply.data, filename=reply.filename, **self._caption(reply.caption))

    async def _send_document(self, chat_id: int, reply: Document, gate: Gate) -> None:
        if await gate():
            await self.bot.send_document(chat_id, document=reply.data, filename=reply.filename, **self._caption(reply.caption))

    async def _send_location(self, chat_id: int, reply: Location, gate: Gate) -> None:
        """A map pin; Telegram's maps are WGS-84, so a GCJ-02 or BD-09 point is converted first."""
        latitude, longitude = convert(reply.latitude, reply.longitude, reply.datum, Datum.WGS84)
        if await gate():
            await self.call("sendLocation", {"chat_id": chat_id, "latitude": latitude, "longitude": longitude})

    async def _send_links(self, chat_id: int, reply: Links, gate: Gate) -> None:
        """Link buttons (and web-app buttons, which Telegram opens inside the chat)."""
        await self._text(chat_id, reply.body, reply.title, _link_markup(reply.buttons), gate)

    @staticmethod
    def _caption(caption: str | None) -> dict[str, Any]:
        if not caption:
            return {}
        return {"caption": html.escape(truncate(caption, MAX_CAPTION), quote=False), "parse_mode": ParseMode.HTML}

    async def _text(self, chat_id: int, body: str, title: str | None, markup: str | None, gate: Gate) -> None:
        messages = html_messages(body, title)
        if not messages:
            if markup is None:
                return
            messages = ["…"]
        for index, text in enumerate(messages):
            last = index == len(messages) - 1
            if not await gate():
                continue
            await self.call(
                "sendMessage",
                {"chat_id": chat_id, "text": text, "parse_mode": ParseMode.HTML, "reply_markup": markup if last else None},
            )

    async def _edit(self, message: Message, reply: Choices, gate: Gate = _no_gate) -> bool:
        """Replace ``message`` with ``reply``; False where it cannot be (too long, too old)."""
        keyboard = layout(reply)
        messages = html_messages(_with_lines(reply.body, keyboard), reply.title)
        if len(messages) != 1:
            return False
        if not await gate():
            return True
        try:
            await self.call("editMessageText", {
                "chat_id": message.chat_id, "message_id": message.message_id, "text": messages[0],
                "parse_mode": ParseMode.HTML, "reply_markup": await self.markup(keyboard, message.chat_id),
            })
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return True
            logger.info("could not edit a message in place (%s); sending a new one", exc)
            return False
        return True

    async def _venue(self, chat_id: int, venue: Venue, gate: Gate) -> None:
        """A native venue pin (WGS-84, converted from the venue's datum), then its directions.

        The map links are buttons under the last of those messages; a venue
        without a position is a text message with its name as the title.
        """
        markup = _link_markup(venue.links)
        extra = [x for x in (venue.directions, None if venue.links else venue.map_url) if x]
        if venue.latitude is None or venue.longitude is None:
            lines = [x for x in (venue.address, *extra) if x]
            await self._text(chat_id, "\n".join(lines), "📍 " + venue.name, markup, gate)
            return
        latitude, longitude = convert(venue.latitude, venue.longitude, venue.datum, Datum.WGS84)
        if await gate():
            await self.call("sendVenue", {
                "chat_id": chat_id, "latitude": latitude, "longitude": longitude,
                "title": truncate(venue.name, MAX_TEXT), "address": truncate(venue.address or venue.name, MAX_TEXT),
                "reply_markup": None if extra else markup,
            })
        if extra:
            await self._text(chat_id, "\n".join(extra), None, markup, gate)

    async def _poll(self, chat_id: int, poll: Poll, gate: Gate) -> None:
        fits = MIN_POLL_OPTIONS <= len(poll.options) <= MAX_POLL_OPTIONS and all(o.strip() for o in poll.options)
        if not fits or not poll.question.strip():
            lines = [f"{i}. {o}" for i, o in enumerate(poll.options, 1)]
            await self._text(chat_id, "\n".join(lines), "📊 " + poll.question, None, gate)
            return
        if not await gate():
            return
        sent = await self.bot.send_poll(
            chat_id,
            question=truncate(poll.question, MAX_POLL_QUESTION),
            options=[InputPollOption(truncate(o, MAX_POLL_OPTION)) for o in poll.options],
            is_anonymous=False,
            allows_multiple_answers=poll.allows_multiple,
        )
        if sent.poll is not None:
            await self.db.execute(
                "INSERT INTO telegram_polls (telegram_poll_id, poll_id, chat_id, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (telegram_poll_id) DO NOTHING",
                (sent.poll.id, poll.poll_id, str(chat_id), iso(self.now())),
            )


def _link_markup(buttons: Sequence[LinkButton | WebAppButton]) -> str | None:
    """Link buttons (one a row) as Bot API JSON; web-app buttons open inside Telegram."""
    rows = []
    for button in buttons:
        label = truncate(button.label, BUTTON_TEXT)
        if isinstance(button, WebAppButton) and button.url.startswith("https://"):
            rows.append([InlineKeyboardButton(label, web_app=WebAppInfo(button.url))])
        else:
            rows.append([InlineKeyboardButton(label, url=button.url)])
    return InlineKeyboardMarkup(rows).to_json() if rows else None


RENDERERS: Final[dict[type, Callable[[Renderer, int, Any, Gate], Awaitable[None]]]] = {
    Text: Renderer._send_text,
    Choices: Renderer._send_choices,
    Venue: Renderer._venue,
    Poll: Renderer._poll,
    Image: Renderer._send_photo,
    Document: Renderer._send_document,
    Location: Renderer._send_location,
    Links: Renderer._send_links,
}
"""One renderer per reply type: Telegram shows every kind natively."""
FALLBACKS: Final[dict[type, Callable[[Any], tuple[Reply, ...]]]] = {}
"""None needed (a poll that does not fit Telegram's limits is sent as numbered text by its renderer)."""


#: A little room below Telegram's limits: what leaves here evenly spaced arrives there a few ms bunched.
SAFETY: Final = 0.01


class RateLimiter:
    """Telegram's flood limits for pushes: 30 messages a second overall, 1 a second per chat.

    Sending slots are handed out in the order they are asked for (each
    :meth:`acquire` reserves the next one, evenly spaced, not in bursts: a
    burst's messages reach Telegram bunched by the network), so no sender
    waits behind others that asked later.  A chat's one-second interval
    delays only that chat.  A direct answer keeps it from the answers before
    it, not from a push that has just gone to the same chat: the person is
    waiting for the answer, and a reminder with an answer is the short burst
    Telegram allows; a push keeps it from every message.  ``monotonic`` and
    ``sleep`` are injectable, so tests run on simulated time.  :meth:`pause`
    holds every send (a 429 ``retry_after``).
    """

    def __init__(
        self,
        per_second: int = MESSAGES_PER_SECOND,
        per_chat_interval: float = 1.0 / MESSAGES_PER_SECOND_PER_CHAT,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.per_second = per_second
        self.per_chat_interval = per_chat_interval
        self.spacing = (1 + SAFETY) / per_second
        self.monotonic = monotonic
        self.sleep = sleep
        self._next_free = 0.0
        self._reserved: list[float] = []
        self._last_by_chat: dict[int, float] = {}
        self._last_answer_by_chat: dict[int, float] = {}
        self._paused_until = 0.0
        #: when the last ``per_second`` messages actually left, and each chat's last one (and last answer)
        self._left: deque[float] = deque(maxlen=per_second)
        self._left_by_chat: dict[int, float] = {}
        self._left_answer_by_chat: dict[int, float] = {}

    def forget(self, chat_id: int | None) -> None:
        """Drop a chat's last send times (None: every chat's)."""
        if chat_id is None:
            self._last_by_chat.clear()
            self._left_by_chat.clear()
        else:
            self._last_by_chat.pop(chat_id, None)
            self._left_by_chat.pop(chat_id, None)

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self.monotonic() + seconds)
        self._next_free = max(self._next_free, self._paused_until)

    async def wait_if_paused(self) -> None:
        """Direct answers are not counted, but they too wait out a 429 pause."""
        while (wait := self._paused_until - self.monotonic()) > 0:
            await self.sleep(wait)

    def _reserve(self, chat_id: int, *, follow_on: bool = False, answer: bool = False) -> float:
        """The instant of the next free slot that also keeps ``chat_id``'s interval; taken at once.

        Slots follow one another ``spacing`` apart.  A send that must wait
        for its chat's interval takes a slot of its own later on, and the
        slots in between stay free for the others.
        """
        now = self.monotonic()
        earliest = max(now, self._paused_until)
        last = (self._last_answer_by_chat if answer else self._last_by_chat).get(chat_id)
        chat_ready = last + self.per_chat_interval * (1 + SAFETY) if last is not None and not follow_on else earliest
        self._reserved = [r for r in self._reserved if r > now - self.spacing]
        pointer = max(earliest, self._next_free)
        if chat_ready <= pointer:
            at = self._clear_of_reserved(pointer)
            self._next_free = at + self.spacing
        else:
            at = self._clear_of_reserved(max(chat_ready, earliest))
            bisect.insort(self._reserved, at)
        self._last_by_chat[chat_id] = max(at, self._last_by_chat.get(chat_id, at))
        if answer:
            self._last_answer_by_chat[chat_id] = at
        return at

    def _clear_of_reserved(self, at: float) -> float:
        """``at``, or later where it would fall within ``spacing`` of a slot taken out of turn."""
        for taken in self._reserved:
            if taken - self.spacing < at < taken + self.spacing:
                at = taken + self.spacing
        return at

    async def acquire(self, chat_id: int, *, follow_on: bool = False, answer: bool = False) -> None:
        """Wait for a slot that keeps a message to ``chat_id`` within every limit (reserved now, in order).

        ``follow_on``: the next message of one answer (a long text's second
        part, the map after a venue card): it keeps the overall rate but not
        the chat's interval, so an answer arrives whole.  ``answer``: a
        direct answer, which keeps the interval from the chat's earlier
        answers only (a push keeps it from everything, answers included).

        A busy event loop wakes a sender late, so the slots' even spacing is
        checked again against the instants messages actually left: no more
        than ``per_second`` in any second, and the chat's interval since its
        last message, whatever the lateness of the one before.
        """
        while True:
            at = self._reserve(chat_id, follow_on=follow_on, answer=answer)
            wait = at - self.monotonic()
            if wait > 0:
                await self.sleep(wait)
            if self.monotonic() >= self._paused_until:
                break  # a 429 during the wait pushes every reservation after the pause
        while True:
            now = self.monotonic()
            wait = 0.0
            if len(self._left) >= self.per_second:
                wait = self._left[-self.per_second] + 1.0 + SAFETY - now
            last = None if follow_on else (self._left_answer_by_chat if answer else self._left_by_chat).get(chat_id)
            if last is not None:
                wait = max(wait, last + self.per_chat_interval + SAFETY - now)
            if wait <= 0:
                break
            await self.sleep(wait)
        now = self.monotonic()
        self._left.append(now)
        self._left_by_chat[chat_id] = now
        if answer:
            self._left_answer_by_chat[chat_id] = now
        if len(self._left_by_chat) > 10_000:
            self._left_by_chat = {c: t for c, t in self._left_by_chat.items() if now - t < self.per_chat_interval + SAFETY}
            self._left_answer_by_chat = {c: t for c, t in self._left_answer_by_chat.items() if now - t < self.per_chat_interval + SAFETY}
        if len(self._last_by_chat) > 10_000:
            now = self.monotonic()
            self._last_by_chat = {c: t for c, t in self._last_by_chat.items() if now - t < self.per_chat_interval}
            self._last_answer_by_chat = {c: t for c, t in self._last_answer_by_chat.items() if now - t < self.per_chat_interval}


class TelegramSender:
    """Pushes outbox items to Telegram and says what became of them.

    The outbox worker runs up to :attr:`concurrency` deliveries at once, one
    per chat at a time; the rate limiter keeps them within Telegram's limits.

    An item's replies may take several Bot API calls (a long text is split);
    how many already went out is the item's ``progress``, stored in the
    outbox row, so an item retried after a 429 or a network error resumes
    after them, also after a restart.
    """

    channel = CHANNEL
    #: Deliveries in flight at once: enough to keep 30 messages a second going with a round trip of
    #: ~250 ms, and no more: those beyond wait in the rate limiter, where a reminder cannot overtake them.
    concurrency: int = 8

    def __init__(self, renderer: Renderer, limiter: RateLimiter | None = None) -> None:
        self.renderer = renderer
        self.limiter = limiter or RateLimiter()
        self._failures: dict[str, int] = {}

    @property
    def rate_per_second(self) -> float:
        """What the limiter lets through (its spacing, safety included): bursts of reminders are planned with it."""
        return 1.0 / self.limiter.spacing

    @property
    def per_person_interval(self) -> float:
        """Telegram's one message a second per chat: the worker serves others meanwhile."""
        return self.limiter.per_chat_interval * (1 + SAFETY)

    def forget_chat(self, chat: str | None) -> None:
        """Drop what is kept of one chat (None: all): its failure count and its place in the rate limiter."""
        if chat is None:
            self._failures.clear()
            self.limiter.forget(None)
            return
        self._failures.pop(chat, None)
        with contextlib.suppress(ValueError):
            self.limiter.forget(int(chat))

    def _backoff(self, chat: str) -> dt.timedelta:
        count = self._failures[chat] = self._failures.get(chat, 0) + 1
        return dt.timedelta(seconds=min(5 * 2 ** (count - 1), 300))

    async def send(self, delivery: Delivery) -> Outcome:
        """Send the replies in order, skipping the calls an earlier attempt made."""
        user = delivery.user
        try:
            chat_id = int(user.platform_id)
        except ValueError:
            return Failed(f"not a Telegram chat id: {user.platform_id!r}")
        calls = 0

        async def gate() -> bool:
            nonlocal calls
            index, calls = calls, calls + 1
            if index < delivery.progress:
                return False  # delivered in an earlier attempt
            await delivery.advanced(index)  # the calls before this one went out
            await self.limiter.acquire(chat_id, follow_on=index > delivery.progress)  # one item's messages go together
            return True

        try:
            for reply in delivery.replies:
                await self.renderer.send_one(chat_id, reply, gate)
        except RetryAfter as exc:
            seconds = _retry_seconds(exc)
            self.limiter.pause(seconds)
            logger.warning("Telegram asks to slow down: pausing pushes for %.0f s", seconds)
            return Retry("rate limited by Telegram", after=dt.timedelta(seconds=seconds))
        except Forbidden as exc:
            logger.info("a delegate cannot be reached (%s); marking them inactive", exc)
            logger.debug("unreachable chat: %s", chat_id)
            return Failed(f"forbidden: {exc}", deactivate=True)
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                return Failed(f"bad request: {exc}", deactivate=True)
            logger.warning("Telegram refused a push: %s", exc)
            return Failed(f"bad request: {exc}")
        except TimedOut as exc:
            if may_have_arrived(exc):
                # the request left and no answer came: Telegram may have delivered it; a resend could repeat it
                logger.warning("a push timed out after it was sent; counted as uncertain, not resent")
                return Uncertain("timed out waiting for Telegram's answer; it may have arrived")
            after = self._backoff(user.platform_id)
            return Retry(f"network: {type(exc).__name__}", after=after)
        except NetworkError as exc:
            after = self._backoff(user.platform_id)
            logger.warning("network error pushing (%s: %s); retrying in %s", type(exc).__name__, exc, after)
            return Retry(f"network: {type(exc).__name__}", after=after)
        self._failures.pop(user.platform_id, None)
        return Delivered()


def may_have_arrived(exc: TimedOut) -> bool:
    """Whether a timed-out Bot API call may have reached Telegram.

    PTB raises :class:`TimedOut` for every httpx time-out; only those after
    the request was (being) written (``ReadTimeout``, ``WriteTimeout``) may
    have arrived.  A connection or pool time-out never left this machine.
    """
    cause = exc.__cause__
    return not isinstance(cause, (httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ConnectError))


_INBOX_SCHEMA: Final = (
    "CREATE TABLE IF NOT EXISTS telegram_updates (update_id INTEGER PRIMARY KEY, received_at TEXT NOT NULL, "
    "body TEXT, replays INTEGER NOT NULL DEFAULT 0)"
)


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction on a synchronous connection: committed at the end, rolled back on any failure."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def inbox_path(database: str) -> str:
    """The update log's own file, beside the database (``bot.sqlite3`` -> ``bot.sqlite3.telegram-inbox``)."""
    return f"{database}.telegram-inbox"


_CLAIM_SQL: Final = (
    "INSERT INTO telegram_updates (update_id, received_at, body) VALUES (?, ?, ?) ON CONFLICT (update_id) DO NOTHING"
)
#: Updates received and not yet claimed, kept as they came (a getUpdates answer holds at most 100).
RAW_MEMORY: Final = 10_000
_DONE_SQL: Final = "UPDATE telegram_updates SET body = NULL WHERE update_id = ? AND body IS NOT NULL"
#: Done-marks written through the shared connection in one statement (well within SQLite's 32,766 parameters).
_DONE_BATCH: Final = 500
#: An update a crash interrupted is handled again once at the next start; if that start crashes too, it is let go.
MAX_REPLAYS: Final = 1
#: An interrupted update older than this at the next start is let go: an answer that late would puzzle.
REPLAY_WITHIN: Final = dt.timedelta(hours=1)
#: A done-mark is committed with the next update's claim (one commit for both), and at the latest this many
#: seconds after the update was handled: an update handled that shortly before a crash, with no update claimed
#: after it, is handled again at the next start, as one the crash interrupted is (once, within REPLAY_WITHIN).
DONE_WITHIN: Final = 0.02


class UpdateLog:
    """Which ``update_id`` values were processed, so each has an effect once; and those being handled.

    A claim keeps the update itself (``body``) until :meth:`done`: an update
    whose handling a crash interrupted is still there at the next start, and
    :meth:`unfinished` gives it to be handled then.  Long polling confirms
    updates to Telegram with the next ``getUpdates``, before they are
    handled, and a webhook update redelivered after a crash finds its claim:
    without the body a kill between receiving an update and answering it
    lost the update.

    The claim is committed before the update is handled.  Through the shared
    aiosqlite connection it costs a trip to the database thread and back
    (0.3-0.5 ms on the 2-core development machine), so once :meth:`open` is
    called on a file database in WAL mode the log keeps a synchronous
    connection of its own and commits on the event loop thread.

    That connection is to the log's own file beside the database
    (:func:`inbox_path`), which the running bot holds alone
    (``locking_mode = EXCLUSIVE``, ``synchronous = OFF``, WAL): a commit there
    takes no shared-memory locks (about 7 µs, against 17-37 µs in the shared
    file), and it leaves the page cache of the database's read connection
    alone, which each commit to the shared file empties (the bookmark lookup
    under a session then reads its pages again).  A process that dies loses
    nothing committed (the WAL is written before the commit returns); only an
    operating-system crash can lose the last claims, and a damaged file is
    set aside at the next start and a new one begun: the file holds nothing
    but updates in flight and the ids of recent ones.  Rows the database's
    own ``telegram_updates`` table holds (from an earlier version, or a run
    that could not lock the file) are moved into it at :meth:`open`.  Where
    the file cannot be had (another process holds it), the connection is to
    the shared file, as before: it never waits for a lock
    (``busy_timeout = 0``; while the shared connection is writing, the claim
    goes through the shared connection), nor checkpoints the WAL on the event
    loop (every ``checkpoint_every`` claims the shared connection runs a
    passive checkpoint in its thread).

    On either connection a done-mark is not a commit of its own (group
    commit): it waits for the next claim and goes in the same transaction,
    or, when no update comes, is committed on its own ``done_within`` seconds
    (:data:`DONE_WITHIN`) after the update was handled, and at :meth:`close`.
    The claim of the next update is never delayed by it.  What a crash can
    cost is bounded: an update handled within ``done_within`` before the
    crash, with no update claimed since, is handled again at the next start,
    like one the crash interrupted (:data:`MAX_REPLAYS`, :data:`REPLAY_WITHIN`).
    Without its own connection (a database in memory) a done-mark is
    committed at once.
    """

    def __init__(
        self,
        db: Database,
        now: Callable[[], dt.datetime],
        memory: int = 10_000,
        checkpoint_every: int = CHECKPOINT_EVERY,
        done_within: float = DONE_WITHIN,
        call_later: Callable[[float, Callable[[], None]], Any] | None = None,
        own_file: bool = True,
    ) -> None:
        self.db = db
        #: Whether :meth:`open` tries the log's own file first (False: the shared file's table, as before it had one).
        self.own_file = own_file
        self.now = now
        self._recent: OrderedDict[int, None] = OrderedDict()
        self._memory = memory
        self._conn: sqlite3.Connection | None = None
        self._checkpoint_every = checkpoint_every
        self._unchecked = 0
        #: The checkpoint under way on the shared connection, if any.
        self.pending_checkpoint: asyncio.Task[None] | None = None
        self.done_within = done_within
        #: ``loop.call_later`` unless given (a test runs the timer itself).
        self._call_later = call_later
        #: Updates handled whose done-mark is not committed yet, and the timer that commits them.
        self._done: list[int] = []
        self._done_timer: Any = None
        #: Done-marks being written through the shared connection (the own one was busy).
        self._done_writes: set[asyncio.Task[None]] = set()
        #: Whether the own connection is to the log's own file (:func:`inbox_path`) rather than the shared one.
        self.inbox = False
        #: (epoch second, its stored form): a claim's time, formatted once a second
        self._stamp: tuple[int, str] = (-1, "")

    def open(self) -> None:
        """Open the log's own connection where the database allows it (a file in WAL mode): to its own file if it can."""
        path = getattr(self.db, "path", ":memory:")
        if self._conn is not None or not path or path == ":memory:" or path.startswith("file:"):
            return
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() != "wal":
                conn.close()
                return
            conn.execute("PRAGMA busy_timeout = 0")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA wal_autocheckpoint = 0")
        except sqlite3.Error:
            conn.close()
            raise
        inbox = self._open_inbox(inbox_path(path)) if self.own_file else None
        if inbox is None:
            self._conn = conn
            return
        try:
            self._move_into(inbox, conn)
        except sqlite3.Error as exc:  # the shared file stayed busy: its rows move at the next start
            logger.warning("could not move the update log's rows into its own file (%s); they move at the next start", exc)
        finally:
            conn.close()
        self._conn, self.inbox = inbox, True

    @staticmethod
    def _open_inbox(target: str) -> sqlite3.Connection | None:
        """The log's own file, locked for this process; None where another process holds it or it cannot be made."""
        for _attempt in range(2):
            try:
                conn = sqlite3.connect(target, isolation_level=None)
            except sqlite3.Error as exc:
                logger.warning("no file of its own for the Telegram update log (%s); it shares the database's", exc)
                return None
            try:
                conn.execute("PRAGMA locking_mode = EXCLUSIVE")
                conn.execute("PRAGMA busy_timeout = 0")
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = OFF")
                conn.execute(_INBOX_SCHEMA)
                conn.execute("BEGIN IMMEDIATE")  # the lock, held until close: nobody else reads or writes here
                conn.execute("SELECT count(*) FROM telegram_updates").fetchone()
                conn.execute("COMMIT")
                return conn
            except sqlite3.OperationalError as exc:  # locked: another process runs a bot on this database
                conn.close()
                logger.warning("the Telegram update log's own file is in use by another process (%s); "
                               "the log shares the database's file", exc)
                return None
            except sqlite3.DatabaseError as exc:  # not a database, or damaged (an OS crash): set aside, begin anew
                conn.close()
                aside = f"{target}.damaged-{int(time.time())}"
                logger.warning("the Telegram update log's own file is damaged (%s); kept as %s, a new one begun",
                               exc, os.path.basename(aside))
                for suffix in ("", "-wal", "-shm"):
                    with contextlib.suppress(FileNotFoundError):
                        os.replace(target + suffix, aside + suffix)
        return None

    def _move_into(self, inbox: sqlite3.Connection, shared: sqlite3.Connection) -> None:
        """The shared file's recent rows into the own file (committed there first), then gone from the shared file."""
        shared.execute("PRAGMA busy_timeout = 2000")  # at start: the shared connection's writes are short
        rows = shared.execute(
            "SELECT update_id, received_at, body, replays FROM telegram_updates WHERE received_at >= ?",
            (iso(self.now() - UPDATE_MEMORY),),
        ).fetchall()
        if rows:
            with _transaction(inbox):
                inbox.executemany(
                    "INSERT INTO telegram_updates (update_id, received_at, body, replays) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (update_id) DO UPDATE SET body = COALESCE(excluded.body, body), "
                    "replays = max(replays, excluded.replays)",
                    rows,
                )
        shared.execute("DELETE FROM telegram_updates")

    def forget(self, platform_id: str | None) -> int:
        """/forget and the purge: what the own file keeps of one chat's updates being handled (None: everyone's).

        The database's own table is reached by :mod:`bot.privacy`'s rule for
        ``telegram_updates``; this is that rule for the log's own file.
        """
        if not self.inbox or self._conn is None:
            return 0
        if platform_id is None:
            sql, params = "UPDATE telegram_updates SET body = NULL WHERE body IS NOT NULL", ()
        elif len(platform_id) >= 5:
            sql, params = "UPDATE telegram_updates SET body = NULL WHERE body IS NOT NULL AND instr(body, ?) > 0", (platform_id,)
        else:
            return 0
        try:
            return self._conn.execute(sql, params).rowcount
        except sqlite3.Error as exc:
            logger.warning("could not forget the Telegram updates kept in the log's own file (%s)", exc)
            return 0

    def kept(self, update_id: int) -> tuple[str | None, int] | None:
        """An update's row (body, replays) as the log's own connection sees it; None where there is none."""
        if self._conn is None:
            return None
        row = self._conn.execute("SELECT body, replays FROM telegram_updates WHERE update_id = ?", (update_id,)).fetchone()
        return (row[0], row[1]) if row is not None else None

    async def close(self) -> None:
        """Commit the done-marks still waiting, then close the log's own connection, after any checkpoint under way."""
        if self._done_timer is not None:
            self._done_timer.cancel()
            self._done_timer = None
        if self._done and not self._done_here():
            await self._done_through_shared()
        while self._done_writes:
            await asyncio.gather(*self._done_writes, return_exceptions=True)
        if self.pending_checkpoint is not None:
            await self.pending_checkpoint
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @property
    def waiting(self) -> tuple[int, ...]:
        """Updates handled whose done-mark is not committed yet (oldest first)."""
        return tuple(self._done)

    async def _checkpoint(self) -> None:
        try:
            await self.db.fetchone("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception as exc:  # a missed checkpoint only lets the WAL grow until the next one
            logger.warning("WAL checkpoint after update claims failed: %s", exc)
        finally:
            self.pending_checkpoint = None

    def _claim_here(self, params: tuple[Any, ...]) -> int | None:
        """The claim on the log's own connection, with the done-marks waiting, in one commit; None when it is busy."""
        conn = self._conn
        assert conn is not None
        done = self._done
        try:
            if not done:
                changed = conn.execute(_CLAIM_SQL, params).rowcount
            else:
                with _transaction(conn):
                    conn.executemany(_DONE_SQL, [(update_id,) for update_id in done])
                    changed = conn.execute(_CLAIM_SQL, params).rowcount
                del done[:]
        except sqlite3.OperationalError as exc:  # busy: the shared connection is writing
            logger.debug("update log connection busy (%s); writing through the shared one", exc)
            return None
        self._unchecked += 1
        return changed

    def _done_here(self) -> bool:
        """The done-marks waiting, committed on the log's own connection; False when it is busy (or there is none)."""
        conn = self._conn
        if conn is None:
            return False
        done = self._done
        try:
            if len(done) == 1:
                conn.execute(_DONE_SQL, (done[0],))
            elif done:
                with _transaction(conn):
                    conn.executemany(_DONE_SQL, [(update_id,) for update_id in done])
        except sqlite3.OperationalError as exc:
            logger.debug("update log connection busy (%s); done-marks through the shared one", exc)
            return False
        del done[:]
        return True

    async def _done_through_shared(self) -> None:
        done, self._done = self._done, []
        for start in range(0, len(done), _DONE_BATCH):
            chunk = done[start : start + _DONE_BATCH]
            try:
                await self.db.execute(
                    "UPDATE telegram_updates SET body = NULL WHERE body IS NOT NULL AND update_id IN ("
                    + ", ".join("?" * len(chunk)) + ")",
                    tuple(chunk),
                )
            except BaseException:
                self._done[:0] = done[start:]  # still waiting: the next claim or close tries again
                raise

    def _done_due(self) -> None:
        """The timer: commit the done-marks no claim took along."""
        self._done_timer = None
        if not self._done or self._done_here():
            return
        if self.inbox:  # the rows are in the own file: tried again with the next claim, or soon
            self._done_timer = (self._call_later or asyncio.get_running_loop().call_later)(self.done_within, self._done_due)
            return
        task = asyncio.get_running_loop().create_task(self._write_done_later(), name="telegram-done-marks")
        self._done_writes.add(task)
        task.add_done_callback(self._done_writes.discard)

    async def _write_done_later(self) -> None:
        try:
            await self._done_through_shared()
        except Exception as exc:  # the updates are handled again after a crash, no worse than that
            logger.warning("recording handled Telegram updates failed (%s); a crash now would answer them again", exc)

    def _received_at(self) -> str:
        """Now, as stored: formatted once a second (the times only prune ids and let old updates go)."""
        now = self.now()
        second = int(now.timestamp())
        if second != self._stamp[0]:
            self._stamp = (second, iso(now.replace(microsecond=0)))
        return self._stamp[1]

    async def claim(self, update_id: int, body: str | None = None) -> bool:
        """True the first time an update is seen (recorded with ``body``, committed); False for a replay.

        Done-marks waiting are committed with it.
        """
        if update_id in self._recent:
            return False
        params = (update_id, self._received_at(), body)
        changed = self._claim_here(params) if self._conn is not None else None
        if changed is None:
            if self._done and not self.inbox:  # in the own file they wait for its next claim
                await self._done_through_shared()
            changed = await self.db.execute(_CLAIM_SQL, params)
        if self._unchecked >= self._checkpoint_every and self.pending_checkpoint is None and not self.inbox:
            self._unchecked = 0
            self.pending_checkpoint = asyncio.create_task(self._checkpoint())
        self._recent[update_id] = None
        if len(self._recent) > self._memory:
            self._recent.popitem(last=False)
        return changed > 0

    async def done(self, update_id: int) -> None:
        """The update was handled (answered, or failed and said so): committed with the next claim, or soon after.

        Once committed, a crash does not bring it back; see the class for how soon that is.
        """
        if self._conn is None:
            await self.db.execute(_DONE_SQL, (update_id,))
            return
        self._done.append(update_id)
        if self._done_timer is None:
            call_later = self._call_later or asyncio.get_running_loop().call_later
            self._done_timer = call_later(self.done_within, self._done_due)

    async def unfinished(self) -> tuple[list[tuple[int, str]], int]:
        """Updates a crash interrupted, oldest first, each marked as handled again; and how many were let go.

        One handled again at an earlier start and interrupted again (it may
        be what brings the bot down), or older than :data:`REPLAY_WITHIN`,
        is let go.
        """
        select = "SELECT update_id, body, replays, received_at FROM telegram_updates WHERE body IS NOT NULL ORDER BY update_id"
        conn = self._conn if self.inbox else None
        rows = conn.execute(select).fetchall() if conn is not None else await self.db.fetchall(select)
        oldest = iso(self.now() - REPLAY_WITHIN)
        again: list[tuple[int, str]] = []
        dropped: list[int] = []
        for update_id, body, replays, received_at in rows:
            if replays >= MAX_REPLAYS or received_at < oldest:
                dropped.append(update_id)
            else:
                again.append((update_id, body))
        replayed = "UPDATE telegram_updates SET replays = replays + 1 WHERE update_id = ?"
        if conn is not None:
            with _transaction(conn):
                conn.executemany(_DONE_SQL, [(update_id,) for update_id in dropped])
                conn.executemany(replayed, [(update_id,) for update_id, _ in again])
            return again, len(dropped)
        async with self.db.transaction() as tx:
            for update_id in dropped:
                await tx.execute(_DONE_SQL, (update_id,))
            for update_id, _ in again:
                await tx.execute(replayed, (update_id,))
        return again, len(dropped)

    async def prune(self) -> int:
        """Ids older than :data:`UPDATE_MEMORY` go (Telegram redelivers for 24 hours), from wherever the log keeps them."""
        sql, params = "DELETE FROM telegram_updates WHERE received_at < ?", (iso(self.now() - UPDATE_MEMORY),)
        if self.inbox and self._conn is not None:
            return self._conn.execute(sql, params).rowcount
        return await self.db.execute(sql, params)


class _Unreachable(Exception):
    """The Bot API could not be reached at start-up (not a refused token)."""


#: After the Bot API was unreachable at start-up, it is tried again after this long, doubling up to the longest.
START_RETRY_FIRST: Final = 5.0
START_RETRY_LONGEST: Final = 300.0


class TelegramChannel:
    """Telegram updates to the core and the core's replies back, plus the push sender."""

    name = CHANNEL

    def __init__(self, ports: ChannelPorts, app: Application, *, webhook_url: str | None = None, webhook_secret: str | None = None) -> None:
        self.ports = ports
        self.app = app
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        #: where the Bot API is, for messages (never the URL itself: it holds the token)
        self.api_host = urlsplit(ports.settings.telegram_api_url or "https://api.telegram.org").netloc
        now = ports.clock.now
        self.callbacks = CallbackCodec(ports.db, now)
        self.updates = UpdateLog(ports.db, now)
        self.renderer = Renderer(app, self.callbacks, ports.db, now)
        self.sender = TelegramSender(self.renderer)
        #: person -> [the lock that keeps their updates in order, how many hold or wait for it]
        self._order: dict[int, list[Any]] = {}
        self.flood_dropped = 0
        #: update_id -> the update as Telegram sent it (JSON), kept by the claim until the update is handled
        self._raw: OrderedDict[int, str] = OrderedDict()
        #: Trying to reach the Bot API again after it was down at start-up.
        self._starting: asyncio.Task[None] | None = None
        self.start_attempts = 0
        app.add_handler(TypeHandler(Update, self._on_update))
        app.add_error_handler(self._on_error)
        ports.caches.add(self)

    # -- what memory holds of a person (bot.privacy.PersonalCache) ------------

    def forget_person(self, ref: UserRef, user_id: int | None) -> None:
        """/forget: a chat's buttons, its pace in the rate limiter, its failure count."""
        if ref.channel != CHANNEL:
            return
        self.callbacks.forget_chat(ref.platform_id)
        self.renderer.forget_markups()
        self.sender.forget_chat(ref.platform_id)
        self.updates.forget(ref.platform_id)

    def forget_everyone(self) -> None:
        self.callbacks.forget_chat(None)
        self.renderer.forget_markups()
        self.sender.forget_chat(None)
        self.updates.forget(None)

    def received(self, update_id: int, body: str) -> None:
        """An update's JSON as it came (webhook body, getUpdates result): what its claim keeps, at no extra cost."""
        self._raw[update_id] = body
        while len(self._raw) > RAW_MEMORY:  # updates never dispatched (PTB refused them): forget the oldest
            self._raw.popitem(last=False)

    def received_batch(self, payload: bytes) -> None:
        """A getUpdates answer: each update's JSON, for :meth:`received` (an answer not understood is left to PTB)."""
        try:
            data = json.loads(payload)
            updates = data.get("result") if isinstance(data, dict) and data.get("ok") else None
            for item in updates or ():
                if isinstance(item, dict) and isinstance(item.get("update_id"), int):
                    self.received(item["update_id"], json.dumps(item, separators=(",", ":")))
        except (ValueError, TypeError, AttributeError):
            pass

    # -- lifecycle -----------------------------------------------------------

    async def start(self) -> None:
        """Initialise PTB, publish the command menus, then poll or set the webhook.

        A refused token stops the bot (:class:`ChannelStartError`: it is a
        mistake in the settings).  A Bot API that cannot be reached (the
        network, a proxy, Telegram's 5xx) does not: the other channels serve,
        and Telegram is tried again in the background with growing pauses
        (:data:`START_RETRY_FIRST` to :data:`START_RETRY_LONGEST` seconds),
        said once in the log when it fails and once when it comes up.
        """
        self.updates.open()
        await self.updates.prune()
        await self.callbacks.prune()
        try:
            await self._initialize()
        except _Unreachable as exc:
            logger.warning(
                "cannot reach the Telegram Bot API at %s (%s); the other channels serve, and Telegram is tried "
                "again in the background (check the network, a proxy, or BOT_TELEGRAM_API_URL)", self.api_host, exc)
            self._starting = asyncio.create_task(self._start_later(), name="telegram-start")
            return
        except BaseException:
            await self.updates.close()
            raise
        await self._serve()

    async def _initialize(self) -> None:
        try:
            await self.app.initialize()  # getMe: checks the token
        except InvalidToken:
            # PTB's own message repeats the token: never show it
            raise ChannelStartError(
                "Telegram refused the bot token in BOT_TELEGRAM_TOKEN (unauthorised); "
                "copy it again from @BotFather"
            ) from None
        except NetworkError as exc:  # TimedOut and a 5xx ("Bad Gateway") are NetworkErrors too
            raise _Unreachable(type(exc).__name__) from None

    async def _start_later(self) -> None:
        clock = self.ports.clock
        delay = START_RETRY_FIRST
        while True:
            await clock.sleep_until(clock.now() + dt.timedelta(seconds=delay))
            self.start_attempts += 1
            try:
                await self._initialize()
            except _Unreachable as exc:
                logger.debug("Telegram still unreachable (%s); next try in %.0f s", exc, delay)
                delay = min(delay * 2, START_RETRY_LONGEST)
                continue
            except ChannelStartError as exc:
                logger.error("Telegram channel not started: %s", exc)
                return
            break
        try:
            await self._serve()
        except Exception:
            logger.exception("the Telegram channel could not start after the Bot API came back")
            return
        logger.info("the Telegram Bot API is reachable again; the Telegram channel started")

    async def _serve(self) -> None:
        """After getMe: the menus, then the webhook or long polling."""
        try:
            await self.publish_commands()
            if self.webhook_url:
                await self.app.bot.set_webhook(
                    self.webhook_url, secret_token=self.webhook_secret, allowed_updates=list(ALLOWED_UPDATES)
                )
                logger.info("Telegram webhook set (path %s)", urlsplit(self.webhook_url).path or "/")
            await self.app.start()
            await self._resume_interrupted()
            if not self.webhook_url and self.app.updater is not None:
                await self.app.updater.start_polling(allowed_updates=list(ALLOWED_UPDATES))
                logger.info("Telegram long polling started")
        except BaseException:
            await self.stop()
            raise

    async def stop_input(self) -> None:
        """Stop fetching updates (a graceful stop); those already fetched are handled by :meth:`stop`."""
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
    async def _resume_interrupted(self) -> None:
        """Updates an earlier run received and did not finish handling (a crash): handled now, before new ones.

        Each is queued in its person's order before polling starts, so a
        delegate's next message is answered after the one the crash cut off.
        """
        again, dropped = await self.updates.unfinished()
        handled = 0
        for update_id, body in again:
            try:
                update = Update.de_json(json.loads(body), self.app.bot)
            except Exception as exc:  # a row this version cannot read: let it go, say so
                logger.warning("an interrupted update could not be read again (%s); let go", type(exc).__name__)
                await self.updates.done(update_id)
                dropped += 1
                continue
            handled += 1
            self.app.create_task(self._handle(update), update=update, name=f"telegram-resume-{update_id}")
        self.ports.metrics.updates_resumed("telegram", handled, dropped)
        if handled or dropped:
            logger.info("%d Telegram updates an earlier run did not finish are handled now; %d let go "
                        "(interrupted twice, over %s old, or unreadable)", handled, dropped, REPLAY_WITHIN)

    async def stop(self) -> None:
        """Stop polling, then PTB; safe to call on a channel that did not finish starting."""
        if self._starting is not None and self._starting is not asyncio.current_task():
            self._starting.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._starting
        self._starting = None
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
        await self.updates.close()

    async def publish_commands(self) -> None:
        """``setMyCommands`` once per catalog language, and once as the default."""
        catalogs = self.ports.catalogs
        default_tag = self.ports.locales.default()
        done: set[str] = set()
        for tag in sorted(catalogs.tags, key=lambda t: (t != default_tag, t)):
            code = Locale.parse(tag).language
            if code in done:
                continue
            done.add(code)
            await self._set_commands(tag, code)
        await self._set_commands(default_tag, None)

    async def _set_commands(self, tag: str, code: str | None) -> None:
        try:
            await self.app.bot.set_my_commands(self.commands(tag), language_code=code)
        except TelegramError as exc:  # a missing menu is no reason not to start
            logger.warning("setMyCommands for %s failed: %s", code or "the default", exc)

    def commands(self, tag: str) -> list[BotCommand]:
        """The menu in one language, within Telegram's limits for names and descriptions."""
        translations = self.ports.catalogs.get(tag).translations
        out = []
        for command in self.ports.menu():
            if not _COMMAND_NAME.match(command.name):
                logger.warning("command /%s cannot be a Telegram command; left out of the menu", command.name)
                continue
            description = truncate(translations.gettext(command.description or "").strip(), MAX_COMMAND_DESCRIPTION)
            if description:
                out.append(BotCommand(command.name, description))
        return out[:MAX_COMMANDS]

    # -- webhook ---------------------------------------------------------------

    async def webhook(self, request: web.Request) -> web.Response:
        """POST from Telegram: check the secret, parse, handle, then answer 200."""
        given = request.headers.get(WEBHOOK_SECRET_HEADER, "")
        if not self.webhook_secret or not hmac.compare_digest(given.encode(), self.webhook_secret.encode()):
            logger.warning("webhook request with a wrong secret token from %s", request.remote)
            return web.Response(status=403, text="forbidden")
        try:
            text = await request.text()
            data = json.loads(text)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update")
            update = Update.de_json(data, self.app.bot)
        except Exception as exc:  # any body PTB cannot read is the sender's error: 400, never 500
            logger.warning("malformed webhook body (%s)", type(exc).__name__, exc_info=logger.isEnabledFor(logging.DEBUG))
            return web.Response(status=400, text="malformed update")
        if not self.app.running:  # the Bot API was down at start-up (a webhook set by an earlier run): later
            return web.Response(status=503, text="starting")
        self.received(update.update_id, text)
        await self.app.process_update(update)
        return web.Response(text="ok")

    # -- updates ---------------------------------------------------------------

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        logger.error("error handling a Telegram update: %s", type(error).__name__, exc_info=error)

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Every update: once only, then to the core or to the delegate's status.

        Updates are handled concurrently (PTB's ``concurrent_updates``; the
        webhook's requests), so one delegate's slow or flooding chat holds up
        nobody else; those of one person are handled one at a time, in order.
        """
        body = self._raw.pop(update.update_id, None)
        if body is None:  # not through the webhook or getUpdates (a test, a bench): PTB's own, slower, form
            body = json.dumps(update.to_dict(), separators=(",", ":"))  # ASCII: a lone surrogate survives as \ud800
        if not await self.updates.claim(update.update_id, body):
            logger.info("update %s was already processed; ignored", update.update_id)
            return
        await self._handle(update)

    async def _handle(self, update: Update) -> None:
        """A claimed update, in its person's order; recorded as handled unless the bot stops in the middle."""
        try:
            await self._in_order(update)
        except asyncio.CancelledError:
            raise  # stopping: the next start handles it
        except BaseException:
            await self.updates.done(update.update_id)  # it failed and was logged: not again after a restart
            raise
        await self.updates.done(update.update_id)

    async def _in_order(self, update: Update) -> None:
        user = update.effective_user
        key = user.id if user is not None else 0
        entry = self._order.get(key)
        if entry is None:
            entry = self._order[key] = [asyncio.Lock(), 0]
        if entry[1] > MAX_WAITING_PER_CHAT:
            self.flood_dropped += 1
            self.ports.metrics.update_dropped("telegram", "flood")
            logger.info("an update dropped: %d from one person are already waiting (a flood)", entry[1])
            return
        entry[1] += 1
        try:
            async with entry[0]:  # one person's updates one at a time, in order
                await self._dispatch(update)
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                self._order.pop(key, None)

    async def _dispatch(self, update: Update) -> None:
        if update.callback_query is not None:
            await self._on_callback(update.callback_query)
        elif update.message is not None:
            await self._on_message(update.message)
        elif update.my_chat_member is not None:
            await self._on_membership(update)
        elif update.poll_answer is not None:
            await self._on_poll_answer(update)

    def _request(self, user: Any, **fields: Any) -> Request:
        return Request(
            user=UserRef(CHANNEL, str(user.id)),
            language_hint=user.language_code,
            display_name=user.first_name,
            **fields,
        )

    async def _on_message(self, message: Message) -> None:
        user = message.from_user
        if user is None or user.is_bot:
            return
        if message.text:
            request = self._request(user, text=message.text, message_id=str(message.message_id))
        elif message.location is not None:
            # a shared location or a venue picked from the map: GPS coordinates, WGS-84
            loc = message.location
            label = message.venue.title if message.venue is not None else None
            location = Location(loc.latitude, loc.longitude, label, Datum.WGS84)
            request = self._request(user, location=location, message_id=str(message.message_id))
        else:
            return
        replies = await self.ports.handle(request)
        await self._answer(message.chat_id, replies)

    async def _answer(self, chat_id: int, replies: Sequence[Reply], edit: Message | None = None) -> None:
        """Send a direct answer within Telegram's limits; after a 429, the rest of it once the pause is over.

        Answers take their place in the overall 30 a second with the pushes
        and keep the chat's interval between answers (the messages of one
        answer go together), not behind a push that has just gone to the
        chat.  The calls made before a 429 are not made again.
        """
        limiter = self.sender.limiter
        done = 0
        for attempt in range(1, ANSWER_ATTEMPTS + 1):
            calls = 0

            async def gate() -> bool:
                nonlocal calls
                index, calls = calls, calls + 1
                if index < done:
                    return False  # went out before the 429
                await limiter.acquire(chat_id, follow_on=index > 0, answer=True)
                return True

            try:
                await self.renderer.send(chat_id, replies, gate, edit=edit)
                return
            except RetryAfter as exc:
                done = calls - 1  # the refused call did not go out
                seconds = _retry_seconds(exc)
                limiter.pause(seconds)
                if attempt == ANSWER_ATTEMPTS or seconds > ANSWER_PATIENCE:
                    logger.warning("Telegram asks to slow down for %.0f s; an answer is dropped after %d attempt(s)", seconds, attempt)
                    return
                logger.warning("Telegram asks to slow down: the answer goes on in %.0f s", seconds)

    async def _on_callback(self, query: CallbackQuery) -> None:
        payload = await self.callbacks.decode(query.data) if query.data else None
        request = self._request(query.from_user, payload=payload if payload is not None else (query.data or "#"))
        try:
            replies = await self.ports.handle(request)
        finally:
            try:
                await self.renderer.call("answerCallbackQuery", {"callback_query_id": query.id})
            except TelegramError as exc:
                logger.info("could not answer a callback query (%s)", type(exc).__name__)
        message = query.message if isinstance(query.message, Message) else None
        chat_id = message.chat_id if message is not None else query.from_user.id
        await self._answer(chat_id, replies, edit=message)

    async def _on_membership(self, update: Update) -> None:
        member = update.my_chat_member
        assert member is not None
        if member.chat.type != ChatType.PRIVATE:
            return
        status = member.new_chat_member.status
        active = status not in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
        known = await self.ports.users.set_active(UserRef(CHANNEL, str(member.chat.id)), active)
        logger.info("a Telegram delegate is now %s%s", "active" if active else "inactive", "" if known else " (unknown user)")
        logger.debug("membership change in chat %s", member.chat.id)

    async def _on_poll_answer(self, update: Update) -> None:
        answer = update.poll_answer
        assert answer is not None
        if answer.user is None:
            return  # an anonymous poll's answer: ours are never anonymous
        row = await self.ports.db.fetchone(
            "SELECT poll_id, chat_id FROM telegram_polls WHERE telegram_poll_id = ?", (answer.poll_id,)
        )
        if row is None:
            return
        request = self._request(answer.user, poll_answer=PollAnswer(row[0], tuple(answer.option_ids)))
        replies = await self.ports.handle(request)
        if replies:
            await self._answer(int(row[1]), replies)


#: Long polling brings an answer from Telegram every few seconds: none for this long is worth a look (/healthz).
POLL_CONTACT: Final = dt.timedelta(minutes=1)
#: HTTP answers that mean Telegram is not reachable as configured (the token refused, no such Bot API path).
_NOT_REACHED: Final = frozenset({401, 404})


class ContactRecordingRequest(BaseRequest):
    """PTB's request path with each answer noted for /healthz: any answer from Telegram is contact, an error is not.

    ``sink``, where set, gets each getUpdates answer as it came (see :meth:`TelegramChannel.received_batch`).
    """

    def __init__(self, inner: BaseRequest, ok: Callable[[], None], failed: Callable[[str], None]) -> None:
        self.inner = inner
        self._ok = ok
        self._failed = failed
        self.sink: Callable[[bytes], None] | None = None

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE, write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE, pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        try:
            code, payload = await self.inner.do_request(
                url, method, request_data, read_timeout=read_timeout, write_timeout=write_timeout,
                connect_timeout=connect_timeout, pool_timeout=pool_timeout,
            )
        except Exception as exc:
            self._failed(type(exc).__name__)
            raise
        if code >= 500 or code in _NOT_REACHED:
            self._failed(f"HTTP {code}")
        else:
            self._ok()
            if code == 200 and self.sink is not None and url.endswith("/getUpdates"):
                self.sink(payload)
        return code, payload


async def bot_username(settings: Settings) -> str | None:
    """The bot's @username from Telegram (getMe), or None where Telegram cannot tell (logged)."""
    if not settings.telegram_token:
        return None
    app = build_application(settings.telegram_token, api_url=settings.telegram_api_url, webhook=True)
    try:
        await app.bot.initialize()
        return app.bot.username
    except TelegramError as exc:  # InvalidToken's message repeats the token: name the class only
        logger.warning("could not ask Telegram for the bot's username (%s)", type(exc).__name__)
        return None
    finally:
        with contextlib.suppress(Exception):
            await app.bot.shutdown()


def build_application(
    token: str,
    *,
    api_url: str | None = None,
    webhook: bool = False,
    request: BaseRequest | None = None,
    contact: tuple[Callable[[], None], Callable[[str], None]] | None = None,
) -> Application:
    """A PTB application for the manual lifecycle (no ``run_polling``).

    ``contact`` (ok, failed) is told of every Bot API answer or error.
    """
    builder = ApplicationBuilder().token(token).concurrent_updates(CONCURRENT_UPDATES)
    if api_url:
        base = api_url.rstrip("/")
        builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
    if contact is not None:
        # PTB's own defaults: a pool of 256 connections for calls, one for getUpdates
        calls = ContactRecordingRequest(request or HTTPXRequest(connection_pool_size=256), *contact)
        polls = calls if request is not None else ContactRecordingRequest(HTTPXRequest(connection_pool_size=1), *contact)
        builder = builder.request(calls).get_updates_request(polls)
    elif request is not None:
        builder = builder.request(request).get_updates_request(request)
    if webhook:
        builder = builder.updater(None)
    return builder.build()


def build_channel(ports: ChannelPorts, web_app: web.Application, *, request: BaseRequest | None = None) -> TelegramChannel | None:
    """The Telegram channel, or None without ``BOT_TELEGRAM_TOKEN``.

    In webhook mode the update route (the path of ``BOT_TELEGRAM_WEBHOOK_URL``,
    else ``/telegram``) is added to ``web_app``.
    """
    settings = ports.settings
    if not settings.telegram_token:
        return None
    webhook_url = settings.telegram_webhook_url
    secret = settings.telegram_webhook_secret
    if webhook_url and not secret:
        secret = secrets.token_urlsafe(32)
        logger.info("BOT_TELEGRAM_WEBHOOK_SECRET is unset: using a random secret for this run")
    contacts = ports.contacts
    contacts.channel(CHANNEL, expect_every=None if webhook_url else POLL_CONTACT)
    app = build_application(
        settings.telegram_token, api_url=settings.telegram_api_url, webhook=bool(webhook_url), request=request,
        contact=(lambda: contacts.ok(CHANNEL), lambda reason: contacts.failed(CHANNEL, reason)),
    )
    channel = TelegramChannel(ports, app, webhook_url=webhook_url, webhook_secret=secret)
    polls = app.bot._request[0]  # PTB keeps (getUpdates request, other requests)
    if isinstance(polls, ContactRecordingRequest):
        polls.sink = channel.received_batch
    if webhook_url:
        web_app.router.add_post(urlsplit(webhook_url).path or DEFAULT_WEBHOOK_PATH, channel.webhook)
    ports.push.attach(channel.sender)
    return channel
