"""Middleware around every request: errors, the user and their language, numbered choices.

Each is ``async (request, ctx, call_next) -> replies``.  The composition root
installs them in this order, outermost first: :func:`error_middleware` (so a
failure anywhere below, user lookup included, becomes a polite reply),
:func:`user_middleware`, then :class:`ChoiceMemory`.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence

from bot import i18n
from bot.conversation import Choice, Choices, Reply, Request, Text
from bot.i18n import _
from bot.router import Context, Next

logger = logging.getLogger(__name__)


async def error_middleware(req: Request, ctx: Context, call_next: Next) -> Sequence[Reply]:
    """Turn an unexpected exception into an apology; the log gets the traceback, not the text."""
    try:
        return await call_next(req, ctx)
    except Exception:
        logger.exception("handler failed for a request on %s (command %s)", req.user.channel, req.command or "-")
        with i18n.use(ctx.localizer):
            return [Text(_("Sorry, something went wrong on my side. Please try again in a moment."))]


async def user_middleware(req: Request, ctx: Context, call_next: Next) -> Sequence[Reply]:
    """Look up (or create) the user and choose the language they read."""
    services = ctx.services
    ctx.user = await services.users.seen(req.user, req.language_hint, ctx.now)
    ctx.localizer = services.catalogs.get(services.locales.for_user(ctx.user))
    with i18n.use(ctx.localizer):
        return await call_next(req, ctx)


class ChoiceMemory:
    """Remembers each user's last offered choices, so "2" picks the second.

    Channels without buttons (console, WeChat) show choices as numbered lines;
    this middleware turns a bare number back into that choice's payload.
    """

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._last: OrderedDict[int, tuple[Choice, ...]] = OrderedDict()

    def get(self, user_id: int) -> tuple[Choice, ...]:
        return self._last.get(user_id, ())

    def remember(self, user_id: int, options: tuple[Choice, ...]) -> None:
        self._last[user_id] = options
        self._last.move_to_end(user_id)
        while len(self._last) > self.capacity:
            self._last.popitem(last=False)

    async def __call__(self, req: Request, ctx: Context, call_next: Next) -> Sequence[Reply]:
        if ctx.user is not None and req.text is not None and req.command is None:
            number = req.text.strip().rstrip(".)")
            if number.isdigit():
                options = self.get(ctx.user.id)
                index = int(number) - 1
                if options and 0 <= index < len(options):
                    req = req.with_payload(options[index].payload)
                elif options:
                    return [Text(_("Please answer with a number from 1 to {count}.").format(count=len(options)))]
        replies = await call_next(req, ctx)
        if ctx.user is not None:
            offered = [r for r in replies if isinstance(r, Choices)]
            if offered:
                self.remember(ctx.user.id, offered[-1].options)
        return replies
