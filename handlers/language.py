"""The delegate's language: the choices, each in its own name, and switching."""

from __future__ import annotations

from collections.abc import Sequence

from bot import i18n
from bot.conversation import Choice, Choices, Reply, Request, Text, echo
from bot.i18n import N_, _, format_list
from bot.router import Context, Router


def language_order(ctx: Context) -> list[str]:
    """The shipped languages: the event's own first, in its order, then the others by tag."""
    tags = ctx.services.catalogs.tags
    event = [t for t in (ctx.services.catalogs.negotiate(x) for x in ctx.programme.event.languages) if t]
    first = list(dict.fromkeys(event))
    return first + sorted(t for t in tags if t not in first)


async def lang(req: Request, ctx: Context) -> Sequence[Reply]:
    """Show the languages, or switch to one (saved before the answer)."""
    catalogs = ctx.services.catalogs
    wanted = req.args.strip()
    if not wanted:
        options = tuple(
            Choice(catalogs.get(tag).display_name + (" ✓" if tag == ctx.locale else ""), f"/lang {tag}")
            for tag in language_order(ctx)
        )
        current = catalogs.get(ctx.locale).name_in_text
        return [Choices(_("You are reading {language}. Choose a language:").format(language=current), options,
                        navigation=ctx.via_button, columns=2)]
    tag = catalogs.find(wanted)
    if tag is None:
        names = format_list(catalogs.get(t).display_name for t in language_order(ctx))
        return [Text(_("I do not speak \"{language}\" yet. Available: {languages}.").format(language=echo(wanted), languages=names))]
    await ctx.services.users.set_locale(ctx.user_id, tag)
    ctx.services.locales.for_this_run.pop(ctx.user.ref, None)
    ctx.localizer = catalogs.get(tag)
    with i18n.use(ctx.localizer):
        return [Text(_("From now on I will answer in {language}.").format(language=ctx.localizer.name_in_text))]


def register(router: Router) -> None:
    router.command("lang", "language", description=N_("Choose your language: /lang zh"))(lang)
