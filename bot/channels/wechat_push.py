"""Pushing to WeChat followers: customer-service messages, template messages as the fallback.

An Official Account may send a follower customer-service messages only for
48 hours after the follower's last message (menu click, follow...), and only
so many.  Outside that window, or once WeChat says the quota is used up
(45015, 45047), a template message is sent where one is configured
(``BOT_WECHAT_TEMPLATE_ID``, with ``{{title.DATA}}`` and ``{{content.DATA}}``
fields); without one, the item is recorded as undeliverable with the reason.
Such an item is never retried: it could only fail the same way.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Final, Union

from bot import i18n
from bot.channels.wechat_api import (
    ERR_BUSY,
    ERR_DAILY_QUOTA,
    ERR_OUT_OF_QUOTA,
    ERR_OUT_OF_WINDOW,
    UNREACHABLE_ERRORS,
    WeChatAPI,
    WeChatAPIError,
    WeChatUnavailable,
)
from bot.channels.wechat_render import render_parts, render_text
from bot.conversation import Document, Image, LinkButton, Links, Reply, Text, UserRef
from bot.notify.outbox import Delivered, Delivery, Failed, Outcome, Retry
from bot.ports import ChannelPorts
from bot.store.wechat import WeChatStore

logger = logging.getLogger(__name__)

CHANNEL: Final = "wechat"
#: Customer-service messages are allowed this long after the follower's last message.
SERVICE_WINDOW: Final = dt.timedelta(hours=48)
#: Template fields hold short values; longer text is cut with an ellipsis.
TEMPLATE_TITLE_CHARS: Final = 20
TEMPLATE_CONTENT_CHARS: Final = 200
WINDOW_ERRORS: Final = frozenset({ERR_OUT_OF_WINDOW, ERR_OUT_OF_QUOTA})


Unit = Union[str, Image]
"""What one WeChat message carries: a text part, or a picture."""


def units_of(replies: Sequence[Reply]) -> list[Unit]:
    """The replies as WeChat messages, in order: text cut into parts that fit, and pictures on their own.

    A picture's caption follows it as text (image messages have none).
    Render inside the follower's locale (``i18n.use``).
    """
    units: list[Unit] = []
    run: list[Reply] = []
    for reply in replies:
        if isinstance(reply, Image):
            units.extend(render_parts(run))
            run = []
            units.append(reply)
            if reply.caption:
                run.append(Text(reply.caption))
        else:
            run.append(reply)
    units.extend(render_parts(run))
    return units


async def documents_as_links(ports: ChannelPorts, replies: Sequence[Reply]) -> list[Reply]:
    """Each document as a link the bot's web server serves (where it has a public address)."""
    out: list[Reply] = []
    for reply in replies:
        if isinstance(reply, Document):
            url = await ports.files.link(reply.data, reply.filename, reply.mime_type)
            if url is not None:
                body = reply.caption or ""
                out.append(Links(body, (LinkButton(f"📎 {reply.filename}", url),)))
                continue
            logger.warning("a document cannot reach a WeChat follower: set BOT_PUBLIC_URL to hand files out by link")
        out.append(reply)
    return out


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class WeChatSender:
    """The outbox's way to reach a WeChat follower (see the module docstring)."""

    channel = CHANNEL

    def __init__(self, ports: ChannelPorts, api: WeChatAPI, store: WeChatStore, template_id: str | None = None) -> None:
        self.ports = ports
        self.api = api
        self.store = store
        self.template_id = template_id

    async def send(self, delivery: Delivery) -> Outcome:
        """Customer-service messages inside the window, else the template fallback (see the module docstring).

        The replies go out as units: text parts (a long text is cut to fit)
        and pictures (uploaded, then sent as image messages); documents as a
        link where the bot has a public address.  How many units already
        went out is the item's stored ``progress``, so a retry sends only the rest.
        """
        user = delivery.user
        record = await self.ports.users.find(user)
        if record is not None and not record.active:
            return Failed("the follower unfollowed the account")
        replies = await documents_as_links(self.ports, delivery.replies)
        with i18n.use(self.ports.locales.localizer(record)):
            units = units_of(replies)
            title = next((t for r in replies if (t := getattr(r, "title", None))), None) or self._event_name()
            summary = render_text(replies)
        sent = min(delivery.progress, len(units))
        if sent >= len(units):
            return Delivered()

        def rest() -> str:
            return "\n".join(u for u in units[sent:] if isinstance(u, str)) if sent else summary

        now = self.ports.clock.now()
        window = await self.store.window(user.platform_id)
        if window is None or not window.open_at(now, SERVICE_WINDOW):
            return await self._template(user, title, rest(), "outside the 48-hour customer-service window", sent=sent)
        for unit in units[sent:]:
            try:
                if isinstance(unit, str):
                    await self.api.send_text(user.platform_id, unit)
                else:
                    media_id = await self.api.upload_image(unit.data, unit.filename, unit.mime_type)
                    await self.api.send_image(user.platform_id, media_id)
            except WeChatAPIError as exc:
                if exc.errcode in WINDOW_ERRORS:
                    await self.store.window_exhausted(user.platform_id, self.ports.clock.now())
                    reason = f"customer-service message refused (errcode {exc.errcode})"
                    return await self._template(user, title, rest(), reason, sent=sent)
                return self._outcome(exc, sent, len(units))
            except WeChatUnavailable as exc:
                return self._unavailable(exc)
            sent += 1
            await delivery.advanced(sent)
        return Delivered()

    async def _template(self, user: UserRef, title: str, text: str, reason: str, sent: int = 0) -> Outcome:
        """The template fallback, or an undeliverable record where no template is configured."""
        if not self.template_id:
            prefix = f"delivered {sent} part(s), then " if sent else ""
            return Failed(f"{prefix}{reason}; no template message configured (BOT_WECHAT_TEMPLATE_ID)")
        body = text.split("\n", 1)[1] if text.startswith("【") and "\n" in text else text
        data = {
            "title": _shorten(title, TEMPLATE_TITLE_CHARS),
            "content": _shorten(body, TEMPLATE_CONTENT_CHARS),
        }
        try:
            await self.api.send_template(user.platform_id, self.template_id, data)
        except WeChatAPIError as exc:
            return self._outcome(exc, sent, sent + 1, prefix=f"{reason}; template message: ")
        except WeChatUnavailable as exc:
            return self._unavailable(exc)
        logger.info("WeChat push went out as a template message (%s)", reason)
        return Delivered()

    def _event_name(self) -> str:
        """The event's (short) name in the current locale."""
        return self.ports.event_name(i18n.current().tag)

    @staticmethod
    def _outcome(exc: WeChatAPIError, sent: int, total: int, prefix: str = "") -> Outcome:
        reason = f"{prefix}errcode {exc.errcode}"
        done = f"delivered {sent} of {total} part(s), then " if sent else ""
        if exc.errcode in UNREACHABLE_ERRORS:
            return Failed(f"{done}{reason}: the follower cannot be reached", deactivate=True)
        if exc.errcode == ERR_BUSY:
            # the parts already sent are recorded in the item: a retry sends only the rest
            return Retry(f"{done}{reason}: WeChat busy", dt.timedelta(seconds=30))
        if exc.errcode == ERR_DAILY_QUOTA:
            return Retry(f"{done}{reason}: daily API quota reached", dt.timedelta(hours=1))
        return Failed(f"{done}{reason}")

    @staticmethod
    def _unavailable(exc: WeChatUnavailable) -> Outcome:
        return Retry(str(exc), dt.timedelta(seconds=30))
