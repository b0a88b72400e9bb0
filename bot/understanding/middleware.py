"""The middleware that reads plain words: free text becomes the command it asks for.

Installed after the dialogue middleware (numbered answers and pending steps
are theirs), so what reaches it is a message to read.  A message it cannot
read goes on as text, to the router's command words and then the search
fallback.  With ``debug`` (``BOT_DEBUG_UNDERSTANDING=1``, or ``delegate-bot
console --explain``) every reply to free text ends with the explanation:
which phrase, question or information entry matched, with its score.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from bot.conversation import Reply, Request, Text
from bot.router import Context, Next
from bot.understanding import intents
from bot.understanding.understand import understanding_ready

logger = logging.getLogger(__name__)


class UnderstandingMiddleware:
    """Free text -> ``req.with_command(...)`` when :mod:`bot.understanding.understand` reads it."""

    def __init__(self, debug: bool = False, leave: Callable[[str], bool] = lambda text: False) -> None:
        self.debug = debug
        self.leave = leave
        """Texts to leave as they are (an invitation code pasted into the chat)."""

    async def __call__(self, req: Request, ctx: Context, call_next: Next) -> Sequence[Reply]:
        text = (req.text or "").strip()
        if req.command is not None or req.payload is not None or req.location is not None or req.poll_answer is not None:
            return await call_next(req, ctx)
        if not text or text.startswith("/") or self.leave(text) or self._typed_command(text, ctx):
            return await call_next(req, ctx)
        understanding = await understanding_ready(ctx.agenda, ctx.services.catalogs.tags)
        meaning = understanding.understand(text, ctx.today, ctx.locale)
        if meaning is not None:
            logger.debug("understood free text as /%s (score %.0f)", meaning.command, meaning.score)
            req = req.with_command(meaning.command, meaning.args)
        replies = list(await call_next(req, ctx))
        if self.debug:
            replies.append(Text(meaning.explain() if meaning is not None else "understood: nothing; searched the programme"))
        return replies

    @staticmethod
    def _typed_command(text: str, ctx: Context) -> bool:
        """A command typed without its slash ("myagenda", "bookmark opening"): the router's to read."""
        head = text.split(maxsplit=1)[0]
        return intents.parse(text) is None and ctx.services.router.resolve(head) is not None
