"""Features, one module each; :func:`register_all` is the one place they are wired."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers import agenda, language, myagenda, reminders, start, streams, timezone, visits

if TYPE_CHECKING:
    from bot.app import Core

MODULES = (start, agenda, streams, language, myagenda, visits, reminders, timezone)


async def register_all(core: Core) -> None:
    """Register every feature's commands on the router and set up its services."""
    for module in MODULES:
        module.register(core.router)
        setup = getattr(module, "setup", None)
        if setup is not None:
            await setup(core)
