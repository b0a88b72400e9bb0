"""Moved to :mod:`bot.understanding.intents`; this name remains for importers not yet updated."""

from bot.understanding.intents import Intent, parse

__all__ = ["Intent", "parse"]
