"""The shape of the code: handlers know no channel or platform, the core knows no channel.

Imports are read with ``ast`` from every module, including those inside
functions and ``TYPE_CHECKING`` blocks, so a lazy import cannot hide a
dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Platform libraries: only channels may use them.
PLATFORM_LIBRARIES = ("telegram", "wechatpy", "aiohttp", "httpx", "xmltodict")
#: The command line and the service runner wire channels in; the rest of bot/ is the core.
ENTRY_POINTS = {"bot/cli.py", "bot/service.py", "bot/admin.py", "bot/__main__.py"}
#: The core's own web server (files under expiring links, calendar feeds, /healthz, /metrics): the core modules that speak HTTP.
CORE_HTTP = {"bot/web/files.py", "bot/web/calendar.py", "bot/web/health.py", "bot/web/metrics.py"}


def modules(folder: str) -> Iterator[Path]:
    yield from sorted((ROOT / folder).rglob("*.py"))


def imports(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            for alias in node.names:  # "from bot import channels"
                yield node.lineno, f"{node.module}.{alias.name}"


def is_under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_handlers_import_no_channel_and_no_platform_library() -> None:
    offences = [
        f"{rel(path)}:{line}: imports {name}"
        for path in modules("handlers")
        for line, name in imports(path)
        if is_under(name, "bot.channels") or any(is_under(name, lib) for lib in PLATFORM_LIBRARIES)
    ]
    assert not offences, "\n".join(offences)


def test_the_core_imports_no_channel() -> None:
    core = [p for p in modules("bot") if not rel(p).startswith("bot/channels/") and rel(p) not in ENTRY_POINTS]
    assert any(rel(p) == "bot/app.py" for p in core)
    offences = [
        f"{rel(path)}:{line}: imports {name}"
        for path in core
        for line, name in imports(path)
        if is_under(name, "bot.channels") and name != "bot.channels.ChannelStartError"
    ]
    assert not offences, "\n".join(offences)


def test_the_core_uses_no_platform_library() -> None:
    core = [p for p in modules("bot") if not rel(p).startswith("bot/channels/") and rel(p) not in ENTRY_POINTS | CORE_HTTP]
    offences = [
        f"{rel(path)}:{line}: imports {name}"
        for path in core
        for line, name in imports(path)
        if any(is_under(name, lib) for lib in PLATFORM_LIBRARIES)
    ]
    assert not offences, "\n".join(offences)


def test_channels_do_not_reach_into_handlers_or_the_composition_root() -> None:
    offences = [
        f"{rel(path)}:{line}: imports {name}"
        for path in modules("bot/channels")
        for line, name in imports(path)
        if is_under(name, "handlers") and rel(path) != "bot/channels/wechat_menu.py" or name == "bot.app" and rel(path) != "bot/channels/wechat_cli.py"
    ]
    assert not offences, "\n".join(offences)


@pytest.mark.parametrize("folder", ["bot", "handlers"])
def test_no_string_keyed_service_registry_is_back(folder: str) -> None:
    for path in modules(folder):
        assert "services[" not in path.read_text(encoding="utf-8"), rel(path)
