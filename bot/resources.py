"""Where the shipped programme, catalogs and migrations live.

In a wheel they are package data under ``bot/_data``; in a source checkout
(or an editable install) they are the top-level ``data/`` and ``locales/``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent


def resource_dir(name: str) -> Path:
    """The directory ``data`` or ``locales``, wherever this installation keeps it."""
    for candidate in (_PACKAGE / "_data" / name, _CHECKOUT / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the bot's {name!r} directory is missing from this installation")


def default_programme() -> Path:
    return resource_dir("data") / "programme.yaml"


def migrations_dir() -> Path:
    return _PACKAGE / "store" / "migrations"
