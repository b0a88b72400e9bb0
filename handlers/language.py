"""The delegate's language."""

from __future__ import annotations

from collections.abc import Sequence

from bot import i18n
from bot.conversation import Choice, Choices, Reply, Request, Text
from bot.i18n import N_, _
from bot.router import Context, Router


async def lang(req: Request, ctx: Context) -> Sequence[Reply]:
    """Show the languages, or switch to one (saved before the answer)."""
    catalogs = ctx.services.catalogs
    wanted = req.args.strip()
    if not wanted:
        options = tuple(
            Choice(catalogs.get(tag).display_name, f"/lang {tag}") for tag in sorted(catalogs.tags)
        )
        current = catalogs.get(ctx.locale).display_name
        return [Choices(_("You are reading {language}. Choose a language:").format(language=current), options, navigation=ctx.via_button)]
    tag = catalogs.negotiate(wanted)
    if tag is None:
        names = ", ".join(f"{catalogs.get(t).display_name} ({t})" for t in sorted(catalogs.tags))
        return [Text(_("I do not speak \"{language}\" yet. Available: {languages}.").format(language=wanted, languages=names))]
    await ctx.services.users.set_locale(ctx.user_id, tag)
    ctx.services.locales.for_this_run.pop(ctx.user.ref, None)
    ctx.localizer = catalogs.get(tag)
    with i18n.use(ctx.localizer):
        return [Text(_("From now on I will answer in {language}.").format(language=ctx.localizer.display_name))]


def register(router: Router) -> None:
    router.command("lang", "language", description=N_("Choose your language: /lang zh"))(lang)
