"""Features, one module each; :func:`register_all` is the one place their commands are registered."""

from __future__ import annotations

from bot.router import Router
from handlers import agenda, language, myagenda, reminders, roles, start, streams, timezone, venues, visits
from handlers.reminders import render_reminder

MODULES = (start, agenda, streams, language, myagenda, visits, reminders, timezone, roles, venues)

__all__ = ["MODULES", "register_all", "render_reminder"]


def register_all(router: Router) -> None:
    """Register every feature's commands, buttons and hooks on the router."""
    for module in MODULES:
        module.register(router)
