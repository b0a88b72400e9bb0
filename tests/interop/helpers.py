"""Helpers for the import and calendar tests: the samples written for them, the shared real exports."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.importers import import_file, write
from bot.importers.convert import ImportResult
from tests.conftest import DATA, shared_path

SAMPLES = DATA / "interop"
FRAB = SAMPLES / "schedule.xml"
C3VOC = SAMPLES / "schedule.json"
PRETALX = SAMPLES / "pretalx.json"


def schedules(*name: str) -> Path:
    """A file of ../shared/data/schedules, or skip."""
    return shared_path("data", "schedules", *name)


def imported(source: Path, tmp_path: Path, name: str = "programme.yaml", **options: object) -> tuple[ImportResult, Path]:
    """Import ``source`` into ``tmp_path/name`` (written, with its id map)."""
    out = tmp_path / name
    result = import_file(source, out, **options)  # type: ignore[arg-type]
    write(result, out)
    return result, out


def copy(source: Path, tmp_path: Path, name: str | None = None) -> Path:
    """A copy of an export that a test may edit."""
    target = tmp_path / (name or source.name)
    shutil.copyfile(source, target)
    return target


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")
