"""Features, one module each; :func:`register_all` is the one place their commands are registered."""

from __future__ import annotations

from bot.router import Router
from handlers import agenda, ask, broadcast, calendar, changes, feedback, info, language, myagenda, privacy, reminders, roles, roster, search, start, streams, timezone, updates, venues, visits
from handlers.broadcast import render_broadcast, render_report
from handlers.changes import render_notice
from handlers.feedback import render_live, render_prompt
from handlers.reminders import render_reminder

MODULES = (start, agenda, search, info, ask, streams, language, myagenda, visits, reminders, timezone, updates, venues, roles, broadcast, changes, roster, calendar, feedback, privacy)

__all__ = ["MODULES", "register_all", "render_broadcast", "render_live", "render_notice", "render_prompt", "render_reminder", "render_report"]


def register_all(router: Router) -> None:
    """Register every feature's commands, buttons and hooks on the router."""
    for module in MODULES:
        module.register(router)
