"""Middleware around every request: errors, the user and their language, numbered choices.

Each is ``async (request, ctx, call_next) -> replies``.  The composition root
installs them in this order, outermost first: :func:`error_middleware` (so a
failure anywhere below, user lookup included, becomes a polite reply),
:func:`user_middleware`, then :class:`DialogueMiddleware`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot import i18n
from bot.conversation import PollAnswer, Reply, Request, Text, UserRef, bounded
from bot.dialogues import Dialogue, DialogueKey, DialogueStore, Offer
from bot.i18n import _
from bot.router import STEP_PREFIX, Context, Next

if TYPE_CHECKING:
    from bot.web.metrics import Metrics

logger = logging.getLogger(__name__)


async def error_middleware(req: Request, ctx: Context, call_next: Next) -> Sequence[Reply]:
    """Turn an unexpected exception into an apology; the log gets the traceback, not the text.

    Every answer is :func:`~bot.conversation.bounded` on its way out.
    """
    try:
        return bounded(await call_next(req, ctx))
    except Exception:
        logger.exception("handler failed for a request on %s (command %s)", req.user.channel, req.command or "-")
        with i18n.use(ctx.localizer):
            return [Text(_("Sorry, something went wrong on my side. Please try again in a moment."))]


async def user_middleware(req: Request, ctx: Context, call_next: Next) -> Sequence[Reply]:
    """Look up (or create) the user and choose the language they read.

    Without a stored choice or a platform hint, the script of what they write
    is stored as their hint (:meth:`bot.i18n.Locales.hint_from_text`).
    Replies in a right-to-left language are :func:`bot.i18n.directed`.
    """
    services = ctx.services
    ctx.user = await services.users.seen(req.user, req.language_hint, ctx.now, req.display_name)
    guessed = services.locales.hint_from_text(ctx.user, req.text)
    if guessed is not None:
        ctx.user = await services.users.seen(req.user, guessed, ctx.now, req.display_name)
    ctx.localizer = services.catalogs.get(services.locales.for_user(ctx.user))
    with i18n.use(ctx.localizer):
        replies = await call_next(req, ctx)
    # /lang may have changed the language: the replies are in the one in force now
    return i18n.directed_replies(replies, ctx.localizer.tag)  # type: ignore[return-value]


class FloodGuard:
    """Per-person flood control: a burst is answered, then one polite "slow down", then quiet.

    A token bucket per person (``burst`` requests, refilled at ``rate`` a
    second, on the request's clock): someone sending a hundred messages gets
    their first ``burst`` answered and one warning, and is read again as the
    bucket refills (one message per ``1 / rate`` seconds); a sustained flood
    is warned of once, and a new warning needs a calm long enough to fill
    the whole bucket; everyone else is unaffected.  Poll answers and button
    presses count too (a script can press as fast as it types).  Installed
    inside :func:`user_middleware`, so the warning is in their language.
    """

    def __init__(self, burst: int = 12, rate: float = 0.5, memory: int = 50_000, metrics: Metrics | None = None) -> None:
        self.burst = burst
        self.rate = rate
        self.memory = memory
        self.metrics = metrics
        #: person -> (tokens left, when last counted (epoch seconds), warned in this flood)
        self._buckets: dict[tuple[str, str], tuple[float, float, bool]] = {}
        self.refused = 0

    def allow(self, who: tuple[str, str], now: float) -> bool | None:
        """True to answer; None to warn (the first refusal of a flood); False to stay quiet."""
        tokens, last, warned = self._buckets.get(who, (float(self.burst), now, False))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        if tokens >= self.burst:
            warned = False  # calm long enough for a whole burst: a flood after this is a new one
        if tokens >= 1:
            self._buckets[who] = (tokens - 1, now, warned)
            return True
        self.refused += 1
        self._buckets[who] = (tokens, now, True)
        if len(self._buckets) > self.memory:
            full = now - self.burst / self.rate  # buckets full again by now hold nothing worth keeping
            self._buckets = {k: v for k, v in self._buckets.items() if v[1] > full}
        return False if warned else None

    def forget_person(self, ref: UserRef, user_id: int | None) -> None:
        """``/forget``: this person's count goes (a :class:`bot.privacy.PersonalCache`)."""
        self._buckets.pop((ref.channel, ref.platform_id), None)

    def forget_everyone(self) -> None:
        self._buckets.clear()

    async def __call__(self, req: Request, ctx: Context, call_next: Next) -> Sequence[Reply]:
        verdict = self.allow((req.user.channel, req.user.platform_id), ctx.now.timestamp())
        if verdict:
            return await call_next(req, ctx)
        if self.metrics is not None:
            self.metrics.flood_refused(req.user.channel, warned=verdict is None)
        if verdict is None:
            logger.info("a person on %s is sending faster than %.1f a second; answering again in a moment", req.user.channel, self.rate)
            return [Text(_("You are sending messages faster than I can read them. I will answer again in a moment."))]
        return []


class DialogueMiddleware:
    """Numbered answers and pending steps, from the stored conversation state (:mod:`bot.dialogues`).

    Before the handler: a bare number (or "1 3" under a multiple-choice poll)
    becomes the offered choice's payload or a :class:`PollAnswer`; free text
    while a step is pending goes to that step's handler; a typed command
    abandons the step.  After it: the choices or poll the replies show
    become what numbers answer next, committed before the replies go out.
    """

    def __init__(self, store: DialogueStore) -> None:
        self.store = store

    async def __call__(self, req: Request, ctx: Context, call_next: Next) -> Sequence[Reply]:
        key = DialogueKey.of(req.user)
        dialogue = await self.store.load(key, ctx.now)
        ctx.dialogue = dialogue
        if req.text is not None and req.command is None:
            numbers = _numbers(req.text)
            offer = dialogue.offer
            if numbers is not None and len(numbers) > 1 and not (offer is not None and offer.multiple):
                numbers = None  # "10 15" is not an answer to a single choice: let it be read as words
            if numbers is not None and offer is not None and offer.count:
                picked = self._pick(req, offer, numbers)
                if picked is None:
                    if offer.count == 1:
                        return [Text(_("There is only one choice: answer with 1."))]
                    return [Text(_("Please answer with a number from 1 to {count}.").format(count=offer.count))]
                req = picked
            elif dialogue.step is not None:
                if req.text.lstrip().startswith("/"):
                    await self.store.end(key, ctx.now)  # a typed command leaves the dialogue
                    ctx.abandoned_step = dialogue.step
                    ctx.dialogue = Dialogue(offer=dialogue.offer)
                else:
                    ctx.step = dialogue.step
                    req = req.with_command(STEP_PREFIX + dialogue.step.name, req.text.strip())
        replies = await call_next(req, ctx)
        offer = Offer.from_replies(list(replies))
        if offer is not None:
            await self.store.offer(key, offer, ctx.now)
        return replies

    @staticmethod
    def _pick(req: Request, offer: Offer, numbers: tuple[int, ...]) -> Request | None:
        if not all(1 <= n <= offer.count for n in numbers):
            return None
        if offer.poll_id is not None:
            if len(numbers) > 1 and not offer.multiple:
                return None
            return req.with_poll_answer(PollAnswer(offer.poll_id, tuple(sorted({n - 1 for n in numbers}))))
        if len(numbers) != 1:
            return None
        return req.with_payload(offer.payloads[numbers[0] - 1])


def _numbers(text: str) -> tuple[int, ...] | None:
    """``2``, ``2.``, ``2)``, ``２``, ``1 3``, ``1,3`` -> the numbers; None for anything else."""
    words = text.replace(",", " ").replace("，", " ").replace("、", " ").split()
    if not words:
        return None
    out = []
    for word in words:
        word = word.rstrip(".)")
        if not word.isdecimal() or len(word) > 4:
            return None
        out.append(int(word))
    return tuple(out)
