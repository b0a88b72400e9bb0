"""How updates reach a delegate: a daily digest instead of each broadcast, and WeChat's message budget.

WeChat lets the bot write to a follower only a few times after the
follower's own last message.  ``/digest 08:00`` gathers broadcasts into one
message a day (reminders and programme changes still come at once); any
reply, such as "OK", renews the window; ``/reminders`` says how many
messages the window still allows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.conversation import Reply, Request, Text, echo
from bot.i18n import N_, _, format_datetime, ngettext
from bot.router import Context, Router

_TIME = re.compile(r"^(?P<h>\d{1,2})[:.：](?P<m>\d{2})$")
WECHAT = "wechat"


async def window_line(ctx: Context) -> str | None:
    """For a WeChat follower: how many messages the bot may still send them, and until when."""
    if ctx.user is None or ctx.user.channel != WECHAT:
        return None
    services = ctx.services
    window = await services.wechat_windows.window(ctx.user.platform_id)
    budget = services.settings.wechat_budget
    left = window.remaining(ctx.now, budget) if window is not None else 0
    closes = window.closes_at(budget) if window is not None else None
    if left and closes is not None:
        return ngettext(
            "WeChat lets me send you {count} more message until {time}; any reply from you renews that.",
            "WeChat lets me send you {count} more messages until {time}; any reply from you renews that.",
            left,
        ).format(count=left, time=format_datetime(closes, ctx.programme.zone))
    return _("WeChat lets me send you nothing more until you write: updates wait for your next message.")


async def ok(req: Request, ctx: Context) -> Sequence[Reply]:
    """An acknowledgement ("OK"): it renews the WeChat window, and updates held for the delegate come first."""
    line = await window_line(ctx)
    body = _("Thank you! You will keep receiving updates here.")
    return [Text(body if line is None else f"{body}\n{line}")]


async def digest(req: Request, ctx: Context) -> Sequence[Reply]:
    """``/digest 08:00``: broadcasts once a day at that time; ``/digest off``: as they come."""
    store = ctx.services.delegates
    value = req.args.strip().casefold()
    zone = ctx.programme.zone
    if not value:
        current = await store.digest_at(ctx.user_id)
        if current is None:
            lines = [_("Broadcasts reach you as they are sent.")]
        else:
            lines = [_("Broadcasts reach you once a day, at {time} ({zone}).").format(time=current, zone=zone.key)]
        lines.append(_("Send /digest 08:00 to get them once a day, or /digest off to get them as they come. Reminders and programme changes always come at once."))
        return [Text("\n".join(lines), title=_("Daily digest"))]
    if value in ("off", "none", "no", "stop") or value in {w.casefold() for w in _off_words()}:
        await store.set_digest(ctx.user_id, None)
        return [Text(_("Broadcasts will reach you as they are sent."))]
    m = _TIME.match(value)
    if m is None or int(m.group("h")) > 23 or int(m.group("m")) > 59:
        return [Text(_("I could not read \"{value}\" as a time of day. Send for example /digest 08:00.").format(value=echo(req.args)))]
    at = f"{int(m.group('h')):02d}:{m.group('m')}"
    await store.set_digest(ctx.user_id, at)
    return [Text(_("From now on broadcasts reach you once a day at {time} ({zone}); reminders and programme changes still come at once.").format(
        time=at, zone=zone.key))]


def _off_words() -> tuple[str, ...]:
    from bot.understanding.phrases import phrases

    return tuple(phrases().reminders_off)


def register(router: Router) -> None:
    router.command("ok", hidden=True)(ok)
    router.command("digest", description=N_("Broadcasts once a day: /digest 08:00, /digest off"))(digest)
