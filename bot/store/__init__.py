"""Persistence: one SQLite database, numbered migrations, small repositories."""

from bot.store.db import Database, iso, parse_iso
from bot.store.users import UserRecord, Users

__all__ = ["Database", "UserRecord", "Users", "iso", "parse_iso"]
