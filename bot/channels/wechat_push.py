"""Pushing to WeChat followers within what WeChat allows: the customer-service budget, templates, held items.

An Official Account may send a follower customer-service messages only for
a while after the follower's own action, and only so many: about 5 within 48
hours of their last message, about 3 within a minute of a menu click, follow
or scan (``BOT_WECHAT_WINDOW_*`` / ``BOT_WECHAT_EVENT_*``).  Reminders,
notices, feedback prompts and broadcasts all draw on that budget, so the
sender counts what it spends per follower (``wechat_window``) and plans it:

* pushes due together for one follower are merged into one message;
* the outbox hands them over in priority order (reminders and change notices
  before broadcasts), so the urgent ones use the budget first;
* the message that spends the window's last one invites a reply, which
  renews the window;
* what the budget cannot carry goes as a template message where one is
  configured (``BOT_WECHAT_TEMPLATE_ID``, with ``{{title.DATA}}`` and
  ``{{content.DATA}}`` fields), else it is held and delivered at the top of
  the follower's next passive reply (:meth:`bot.channels.wechat.WeChatChannel`).

WeChat's own refusals (45015 out of the window, 45047 over the quota) close
the window until the follower writes again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Final, Union

from bot import i18n
from bot.i18n import _
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
from bot.channels.wechat_render import MAX_TEXT_BYTES, render_parts, render_text
from bot.conversation import Document, Image, LinkButton, Links, Reply, Text, UserRef
from bot.notify.outbox import Defer, Delivered, Delivery, Failed, Held, Outcome, OutboxItem, Retry
from bot.ports import ChannelPorts
from bot.store.wechat import Budget, WeChatStore, Window

logger = logging.getLogger(__name__)

CHANNEL: Final = "wechat"
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


async def documents_as_links(ports: ChannelPorts, replies: Sequence[Reply], owner: int | None = None) -> list[Reply]:
    """Each document as a link the bot's web server serves (where it has a public address), kept as ``owner``'s."""
    out: list[Reply] = []
    for reply in replies:
        if isinstance(reply, Document):
            url = await ports.files.link(reply.data, reply.filename, reply.mime_type, owner=owner)
            if url is not None:
                body = reply.caption or ""
                out.append(Links(body, (LinkButton(f"📎 {reply.filename}", url),)))
                continue
            logger.warning("a document cannot reach a WeChat follower: set BOT_PUBLIC_URL to hand files out by link")
        out.append(reply)
    return out


def _open(window: Window | None, now: dt.datetime, budget: Budget) -> bool:
    """Whether the follower's window is open by time (what it still allows aside)."""
    if window is None:
        return False

    def within(at: dt.datetime | None, span: dt.timedelta) -> bool:
        return at is not None and dt.timedelta(0) <= now - at < span

    return within(window.last_message_at, budget.window) or within(window.last_event_at, budget.event_window)


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
        """One or more pushes as WeChat messages, within the follower's budget (see the module docstring).

        The replies go out as units: text parts (a long text is cut to fit)
        and pictures (uploaded, then sent as image messages); documents as a
        link where the bot has a public address.  Other pushes due for the
        same follower are merged into the same message where they fit, so
        they cost one message of the budget, not several.  The message that
        spends the window's last one invites a reply that renews it.  What
        the budget cannot carry goes as a template message where one is
        configured, or is held for the top of the follower's next reply.
        How many units already went out is the item's stored ``progress``,
        so a retry sends only the rest.
        """
        user = delivery.user
        record = await self.ports.users.find(user)
        if record is not None and not record.active:
            return Failed("the follower unfollowed the account")
        if all(isinstance(r, Text) and r.transient for r in delivery.replies):
            return Delivered()  # a progress message the next one replaces: messages cannot be edited here, and each costs quota
        now = self.ports.clock.now()
        window = await self.store.window(user.platform_id)
        budget = self.ports.settings.wechat_budget
        remaining = window.remaining(now, budget) if window is not None else 0
        localizer = self.ports.locales.localizer(record)
        lead = await documents_as_links(self.ports, delivery.replies, owner=delivery.item.user_id)
        with i18n.use(localizer):
            units = units_of(lead)
        companions: list[OutboxItem] = []
        if delivery.progress == 0 and remaining > 0 and len(units) == 1 and isinstance(units[0], str):
            companions, units, lead = await self._merge(delivery, lead, localizer)
        outcome = await self._deliver(delivery, user, lead, units, remaining, localizer, window_open=_open(window, now, budget))
        await self._settle(companions, outcome, now)
        return outcome

    async def _merge(self, delivery: Delivery, lead: list[Reply], localizer: i18n.Localizer) -> tuple[list[OutboxItem], list[Unit], list[Reply]]:
        """Take the follower's other due pushes into this one message while it stays one message."""
        outbox = self.ports.push.outbox
        now = self.ports.clock.now()
        merged, taken, spare = list(lead), [], []
        for companion in await outbox.companions(delivery.item, now):
            extra = [r for r in await documents_as_links(self.ports, companion.replies, owner=companion.user_id) if not (isinstance(r, Text) and r.transient)]
            with i18n.use(localizer):
                fits = len(units_of(merged + extra)) == 1 and not any(isinstance(u, Image) for u in units_of(extra))
            if fits:
                merged += extra
                taken.append(companion)
            else:
                spare.append(companion)
        await self._settle(spare, Defer(now, "not merged: sent on its own"), now)
        with i18n.use(localizer):
            units = units_of(merged)
        if taken:
            logger.info("merged %d WeChat push(es) into one message to save the follower's budget", len(taken))
        return taken, units, merged

    async def _settle(self, companions: Sequence[OutboxItem], outcome: Outcome, now: dt.datetime) -> None:
        """Merged items share the message's fate; after a passing failure they simply wait again."""
        outbox = self.ports.push.outbox
        for companion in companions:
            await outbox.record(companion, Defer(now, "released") if isinstance(outcome, Retry) else outcome, now)

    async def _deliver(
        self, delivery: Delivery, user: UserRef, replies: list[Reply], units: list[Unit], remaining: int, localizer: i18n.Localizer,
        *, window_open: bool = True,
    ) -> Outcome:
        with i18n.use(localizer):
            title = next((t for r in replies if (t := getattr(r, "title", None))), None) or self._event_name()
            summary = render_text(replies)
            invite = _("Reply anything, e.g. OK, to keep receiving updates here.")
        sent = min(delivery.progress, len(units))
        if sent >= len(units):
            return Delivered()

        def rest() -> str:
            return "\n".join(u for u in units[sent:] if isinstance(u, str)) if sent else summary

        left = len(units) - sent
        if remaining < left:
            reason = "outside the customer-service window" if remaining == 0 and sent == 0 else "the follower's customer-service budget is spent"
            self.ports.metrics.wechat_refused("quota" if window_open else "window", "bot")
            return await self._template(user, title, rest(), reason, sent=sent)
        if remaining == left and isinstance(units[-1], str) and len((units[-1] + "\n\n" + invite).encode("utf-8")) <= MAX_TEXT_BYTES:
            units = [*units[:-1], units[-1] + "\n\n" + invite]  # the window's last message asks for a reply, which renews it
        for unit in units[sent:]:
            try:
                if isinstance(unit, str):
                    await self.api.send_text(user.platform_id, unit)
                else:
                    media_id = await self.api.upload_image(unit.data, unit.filename, unit.mime_type)
                    await self.api.send_image(user.platform_id, media_id)
            except WeChatAPIError as exc:
                if exc.errcode in WINDOW_ERRORS:
                    self.ports.metrics.wechat_refused("window" if exc.errcode == ERR_OUT_OF_WINDOW else "quota", "wechat")
                    await self.store.window_exhausted(user.platform_id, self.ports.clock.now())
                    reason = f"customer-service message refused (errcode {exc.errcode})"
                    return await self._template(user, title, rest(), reason, sent=sent)
                return self._outcome(exc, sent, len(units))
            except WeChatUnavailable as exc:
                return self._unavailable(exc)
            sent += 1
            await self.store.spend(user.platform_id)
            await delivery.advanced(sent)
        return Delivered()

    async def _template(self, user: UserRef, title: str, text: str, reason: str, sent: int = 0) -> Outcome:
        """The template fallback; without a template, the item is held for the follower's next reply."""
        if not self.template_id:
            prefix = f"delivered {sent} part(s), then " if sent else ""
            return Held(f"{prefix}{reason}; held for the follower's next message (no template message configured)")
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
