"""``delegate-bot run`` with nothing configured, and the settings it reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Settings


def test_run_without_a_channel_says_how_to_configure_one(tmp_path: Path, monkeypatch, capsys) -> None:
    for name in ("BOT_TELEGRAM_TOKEN", "BOT_WECHAT_TOKEN", "BOT_WECHAT_APPID", "BOT_WECHAT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BOT_DB", str(tmp_path / "run.sqlite3"))
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "BOT_TELEGRAM_TOKEN" in err and "BOT_WECHAT_TOKEN" in err
    assert "delegate-bot console" in err


def test_settings_describe_hides_secrets() -> None:
    settings = Settings.from_env({"BOT_TELEGRAM_TOKEN": "123:secret", "BOT_WECHAT_SECRET": "shh", "BOT_HTTP_PORT": "9000"})
    described = settings.describe()
    assert described["telegram_token"] == "set" and described["wechat_secret"] == "set"
    assert described["wechat_aes_key"] == "unset"
    assert "secret" not in " ".join(described.values()).replace("unset", "")
    assert settings.http_port == 9000


def test_settings_default_to_the_shipped_programme_and_a_user_data_database() -> None:
    settings = Settings.from_env({})
    assert settings.programme.name == "programme.yaml" and settings.programme.exists()
    assert settings.db.name == "bot.sqlite3"
    assert settings.telegram_token is None


@pytest.mark.parametrize("port", ["eighty", "-1"])
def test_a_bad_port_is_refused(port: str) -> None:
    with pytest.raises(ValueError):
        Settings.from_env({"BOT_HTTP_PORT": port})


def test_a_bad_setting_is_reported_not_raised(monkeypatch, capsys) -> None:
    monkeypatch.setenv("BOT_HTTP_PORT", "http")
    assert main(["validate"]) == 2
    assert "BOT_HTTP_PORT must be a port number" in capsys.readouterr().err


def test_start_up_leaves_pypinyin_for_later() -> None:
    """pypinyin and its phrase data took 0.3-0.7 s of every start; only a driver's block in Chinese needs it."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    code = (
        "import sys, bot.cli, bot.app, bot.service, handlers\n"
        "assert not [m for m in sys.modules if m.startswith('pypinyin')], 'imported at start'\n"
        "from handlers.venues import reading\n"
        "assert reading('六榕') == 'liù róng', reading('六榕')\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True, timeout=120)


async def test_the_warm_up_loads_the_readings_in_a_thread(monkeypatch) -> None:
    import threading

    from bot import service
    from handlers import venues

    threads: list[int] = []
    monkeypatch.setattr(venues, "load_readings", lambda: threads.append(threading.get_ident()))
    await service.warm_up()
    assert threads and threads[0] != threading.get_ident()
