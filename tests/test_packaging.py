"""A plain (non-editable) install carries the programme, catalogs and migrations."""

from __future__ import annotations

import zipfile
from pathlib import Path

from hatchling.builders.wheel import WheelBuilder

from tests.conftest import ROOT


def test_wheel_contains_programme_catalogs_and_migrations(tmp_path: Path) -> None:
    (wheel_path,) = WheelBuilder(str(ROOT)).build(directory=str(tmp_path), versions=["standard"])
    names = set(zipfile.ZipFile(wheel_path).namelist())
    expected = {
        "bot/_data/data/programme.yaml",
        "bot/_data/data/examples/seminar-2023.yaml",
        "bot/_data/locales/en/LC_MESSAGES/messages.po",
        "bot/_data/locales/zh_Hans/LC_MESSAGES/messages.po",
        "bot/store/migrations/0001_initial.sql",
        "handlers/__init__.py",
        "bot/cli.py",
    }
    assert expected <= names, sorted(expected - names)
    for migration in (ROOT / "bot" / "store" / "migrations").glob("*.sql"):
        assert f"bot/store/migrations/{migration.name}" in names
    assert not any(n.startswith("tests/") for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "delegate-bot = bot.cli:main" in zipfile.ZipFile(wheel_path).read(entry_points).decode()
