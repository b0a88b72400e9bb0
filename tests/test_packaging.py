"""A plain (non-editable) install carries the programme, the nine catalogs (.po) and phrases, and migrations."""

from __future__ import annotations

import tomllib
import zipfile
from pathlib import Path

from hatchling.builders.wheel import WheelBuilder
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT


def test_wheel_contains_programme_catalogs_and_migrations(tmp_path: Path) -> None:
    (wheel_path,) = WheelBuilder(str(ROOT)).build(directory=str(tmp_path), versions=["standard"])
    names = set(zipfile.ZipFile(wheel_path).namelist())
    expected = {
        "bot/_data/data/programme.yaml",
        "bot/_data/data/examples/seminar-2023.yaml",
        "bot/_data/data/templates/programme.yaml",
        "bot/store/migrations/0001_initial.sql",
        "handlers/__init__.py",
        "bot/cli.py",
    }
    for tag in ("en", "zh_Hans", "zh_Hant", "es", "fr", "pt", "ar", "ru", "ko"):
        expected |= {f"bot/_data/locales/{tag}/LC_MESSAGES/messages.po", f"bot/_data/locales/{tag}/phrases.toml"}
    assert expected <= names, sorted(expected - names)
    for migration in (ROOT / "bot" / "store" / "migrations").glob("*.sql"):
        assert f"bot/store/migrations/{migration.name}" in names
    assert not any(n.startswith("tests/") for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "delegate-bot = bot.cli:main" in zipfile.ZipFile(wheel_path).read(entry_points).decode()


def _lock() -> dict[str, str]:
    """Package name -> pinned version, from requirements.txt."""
    pins = {}
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def test_the_lock_pins_every_dependency_within_its_range() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = _lock()
    wanted = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]]
    for req in wanted:
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not in requirements.txt: run .ci/lock"
        assert req.specifier.contains(pins[name], prereleases=True), f"{req.name}=={pins[name]} is outside {req.specifier}: run .ci/lock"


def test_the_lock_pins_the_build_backend_too() -> None:
    """``pip install .`` builds the project in an environment of its own: what it installs there is locked as well."""
    build = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["build-system"]["requires"]
    pins = _lock()
    for req in map(Requirement, build):
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} (the build backend) is not in requirements.txt: run .ci/lock"
        assert req.specifier.contains(pins[name], prereleases=True), f"{req.name}=={pins[name]} is outside {req.specifier}"


def test_readme_ci_and_dockerfile_install_from_the_lock() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [line for line in readme.splitlines() if "pip install" in line and line.startswith("python3 -m venv")]
    # the variable, not -c: pip passes it on to the isolated environment it builds the project in
    assert len(commands) >= 2 and all("PIP_CONSTRAINT=requirements.txt .venv/bin/pip install" in c for c in commands), commands
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "COPY pyproject.toml README.md requirements.txt" in dockerfile
    assert "PIP_CONSTRAINT=/src/requirements.txt" in dockerfile and "WORKDIR /src" in dockerfile
    assert "requirements.txt" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
