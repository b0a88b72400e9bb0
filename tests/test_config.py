"""Settings from the environment and a TOML file; ``check-config``; ``init`` then ``validate``; the command line's options."""

from __future__ import annotations

import io
import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot import cli
from bot.config import OPTIONS, ConfigError, Settings, inspect
from bot.deploy import check_config, config_template
from tests.conftest import PROGRAMME, ROOT

SECRET = "424242:AAH-very-secret-token-value-0123456789"


def check(env: dict[str, str], config: Path | None = None) -> tuple[int, str]:
    out = io.StringIO()
    status = check_config(config, out=out, env=env)
    return status, out.getvalue()


def base(tmp_path: Path) -> dict[str, str]:
    return {"BOT_PROGRAMME": str(PROGRAMME), "BOT_DB": str(tmp_path / "bot.sqlite3")}


# -- sources ----------------------------------------------------------------------


def test_a_toml_file_gives_the_longer_lists_and_the_environment_wins(tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text(
        'programme = "event.yaml"\n'
        "[http]\nport = 9000\n"
        '[roles]\norganisers = ["telegram:111", "wechat:oABC"]\nfacilitators = ["telegram:222@stream:s2"]\n'
        "[limits]\nwechat_window_messages = 4\n"
        "[privacy]\nretention_days = \"off\"\n",
        encoding="utf-8",
    )
    settings = Settings.load({"BOT_HTTP_PORT": "9100"}, config)
    assert settings.programme == tmp_path / "event.yaml"  # relative to the file
    assert settings.http_port == 9100 and settings.origins["http_port"] == "BOT_HTTP_PORT"
    assert settings.organisers == ("telegram:111", "wechat:oABC")
    assert [(g.scope.kind, g.scope.id) for g in settings.role_grants() if g.role.value == "facilitator"] == [("stream", "s2")]
    assert settings.wechat_window_messages == 4 and settings.origins["wechat_window_messages"].endswith("limits.wechat_window_messages")
    assert settings.retention_days is None


def test_the_command_line_wins_over_the_environment(tmp_path: Path) -> None:
    settings = Settings.load({"BOT_DB": str(tmp_path / "env.db")}, db=tmp_path / "cli.db")
    assert settings.db == tmp_path / "cli.db" and settings.origins["db"] == "--db"


def test_every_problem_is_named_at_once(tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text("[http]\nport = \"web\"\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        Settings.load({"BOT_LOG_LEVEL": "chatty", "BOT_WECHAT_WINDOW_HOURS": "0"}, config)
    problems = info.value.problems
    assert any(p.startswith("BOT_LOG_LEVEL must be one of DEBUG, INFO") for p in problems)
    assert any(p.startswith("BOT_WECHAT_WINDOW_HOURS must be a whole number from 1 to 336") for p in problems)
    assert any(p == f"{config}: http.port must be a port number from 1 to 65535, not 'web'" for p in problems)


def test_a_log_level_is_read_in_any_case() -> None:
    assert Settings.load({"BOT_LOG_LEVEL": "debug"}).log_level == "DEBUG"


def test_every_option_has_its_variable_and_a_settings_field() -> None:
    names = {f for f in Settings.__dataclass_fields__}
    for option in OPTIONS:
        assert option.name in names
        assert option.env == "BOT_" + option.name.upper()
    assert len({o.toml for o in OPTIONS}) == len(OPTIONS)


def test_the_written_configuration_template_is_toml_that_names_every_variable() -> None:
    import tomllib

    text = config_template()
    assert tomllib.loads(text) == {"programme": "programme.yaml", "database": "bot.sqlite3", **{
        section: {} for section in ("log", "http", "metrics", "telegram", "wechat", "roles", "limits", "debug", "privacy")}}
    for option in OPTIONS:
        assert option.env in text
    uncommented = re.sub(r"(?m)^# ([a-z_]+ = .*?)  # BOT_\w+:.*$", r"\1", text)
    everything = tomllib.loads(uncommented)
    assert everything["telegram"]["token"] and everything["limits"]["wechat_window_hours"] == 48


# -- check-config -----------------------------------------------------------------------


def test_check_config_names_each_missing_wechat_variable_and_a_misspelt_one(tmp_path: Path) -> None:
    status, out = check({**base(tmp_path), "BOT_WECHAT_TOKEN": "abc", "BOT_TELEGRAM_TOKN": "x"})
    assert status == 1
    assert "WeChat is not fully configured: BOT_WECHAT_APPID and BOT_WECHAT_SECRET are missing (BOT_WECHAT_TOKEN is set)" in out
    assert "BOT_TELEGRAM_TOKN is not a setting (did you mean BOT_TELEGRAM_TOKEN?)" in out


def test_check_config_without_any_channel_says_what_to_set(tmp_path: Path) -> None:
    status, out = check(base(tmp_path))
    assert status == 1
    assert "no chat channel is configured: set BOT_TELEGRAM_TOKEN for Telegram, or BOT_WECHAT_TOKEN" in out


def test_check_config_passes_a_working_setup_and_never_prints_a_secret(tmp_path: Path) -> None:
    status, out = check({
        **base(tmp_path), "BOT_TELEGRAM_TOKEN": SECRET, "BOT_WECHAT_TOKEN": "wechat-token-value",
        "BOT_WECHAT_APPID": "wx0123456789", "BOT_WECHAT_SECRET": "wechat-app-secret-value", "BOT_PUBLIC_URL": "https://bot.example.org",
    })
    assert status == 0, out
    assert "No problems" in out and "Telegram: configured (long polling)" in out and "WeChat: configured (plain mode" in out
    for secret in (SECRET, "wechat-token-value", "wechat-app-secret-value"):
        assert secret not in out
    assert re.search(r"BOT_TELEGRAM_TOKEN\s+set\s+environment", out)


def test_check_config_reports_wrong_values(tmp_path: Path) -> None:
    status, out = check({
        **base(tmp_path), "BOT_TELEGRAM_TOKEN": SECRET, "BOT_TELEGRAM_WEBHOOK_URL": "http://bot.example.org/telegram",
        "BOT_TELEGRAM_WEBHOOK_SECRET": "has spaces", "BOT_HTTP_PORT": "99999",
    })
    assert status == 1
    assert "BOT_HTTP_PORT must be a port number from 1 to 65535, not '99999'" in out
    assert SECRET not in out


def test_check_config_reports_an_invalid_programme_and_an_unknown_toml_key(tmp_path: Path) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text("event: [", encoding="utf-8")
    config = tmp_path / "bot.toml"
    config.write_text('programme = "p.yaml"\n[telegram]\ntoken = "' + SECRET + '"\nwebhok_url = "x"\n', encoding="utf-8")
    status, out = check({"BOT_DB": str(tmp_path / "b.db")}, config)
    assert status == 1
    assert f"the programme {bad} is not valid" in out
    assert "telegram.webhok_url is not a setting (did you mean telegram.webhook_url?)" in out
    assert "keep the file readable only by the bot's user" in out  # a token in the file
    assert SECRET not in out


def test_check_config_says_a_database_from_a_newer_program_cannot_be_used(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "bot.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE schema_migrations (number INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)")
    conn.execute("INSERT INTO schema_migrations VALUES (9999, '9999_future.sql', 'x')")
    conn.commit()
    conn.close()
    status, out = check({**base(tmp_path), "BOT_TELEGRAM_TOKEN": SECRET})
    assert status == 1 and "migrations [9999] that this program does not know" in out


def test_inspect_does_not_raise_on_bad_values() -> None:
    report = inspect({"BOT_HTTP_PORT": "x", "BOT_ORGANISERS": "nonsense"})
    assert report.settings is None and report.problems


# -- init, then validate -----------------------------------------------------------------


def test_init_writes_the_shipped_programme_and_a_configuration_that_validate_and_run_use(tmp_path: Path, monkeypatch, capsys) -> None:
    folder = tmp_path / "my-event"
    assert cli.main(["init", str(folder)]) == 0
    assert (folder / "programme.yaml").read_bytes() == PROGRAMME.read_bytes()
    assert (folder / "delegate-bot.toml").stat().st_mode & 0o077 == 0
    monkeypatch.chdir(folder)
    for name in ("BOT_PROGRAMME", "BOT_DB", "BOT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    capsys.readouterr()
    assert cli.main(["validate"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(f"{folder / 'programme.yaml'}: OK: 2025 Workshop for Thought Leaders")
    assert f"programme: {folder / 'programme.yaml'} (from {folder / 'delegate-bot.toml'}: programme)" in captured.err
    assert Settings.load().db == folder / "bot.sqlite3"


def test_init_minimal_writes_a_template_that_validates_also_with_every_field_uncommented(tmp_path: Path, capsys) -> None:
    assert cli.main(["init", "--minimal", str(tmp_path)]) == 0
    template = tmp_path / "programme.yaml"
    assert cli.main(["validate", str(template)]) == 0
    full = tmp_path / "full.yaml"
    full.write_text(_uncomment(template.read_text(encoding="utf-8")), encoding="utf-8")
    assert full.read_text(encoding="utf-8").count("\n") > template.read_text(encoding="utf-8").count("\n") - 5
    capsys.readouterr()
    assert cli.main(["validate", "--strict", str(full)]) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert "3 sessions" in out  # the commented site visit too


def _uncomment(text: str) -> str:
    """Every commented field (``# key: value``, and the lines of its block) made live."""
    out, block = [], None
    for line in text.splitlines():
        m = re.match(r"^(\s*)# ((?:- )?[a-z_]+:.*)$", line)
        if m:
            block = m.group(1)
            out.append(m.group(1) + m.group(2))
        elif block is not None and line.startswith(block + "#   "):
            out.append(block + line[len(block) + 2:])
        else:
            block = None
            out.append(line)
    return "\n".join(out) + "\n"


def test_init_does_not_overwrite_without_force(tmp_path: Path, capsys) -> None:
    (tmp_path / "programme.yaml").write_text("mine", encoding="utf-8")
    assert cli.main(["init", str(tmp_path)]) == 1
    assert (tmp_path / "programme.yaml").read_text(encoding="utf-8") == "mine"
    assert not (tmp_path / "delegate-bot.toml").exists()
    assert cli.main(["init", "--force", str(tmp_path)]) == 0


# -- the command line -------------------------------------------------------------------


def test_version() -> None:
    result = subprocess.run([sys.executable, "-m", "bot", "--version"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0 and re.fullmatch(r"delegate-bot \d+\.\d+\.\d+\S*\n", result.stdout)


def test_every_subcommand_has_a_description_and_the_common_options() -> None:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == set(cli.COMMANDS)
    for name, command in sub.choices.items():
        assert command.description and len(command.description) > 30, name
        helptext = command.format_help()
        for option in ("--programme", "--db", "--config"):
            assert option in helptext, (name, option)


def test_validate_takes_programme_as_every_command_does(tmp_path: Path, capsys) -> None:
    assert cli.main(["validate", "--programme", str(PROGRAMME)]) == 0
    assert capsys.readouterr().out.startswith(f"{PROGRAMME}: OK")


def test_at_without_an_offset_is_read_in_the_events_zone(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "console", "--db", str(tmp_path / "c.db"), "--at", "2025-06-05T10:00"],
        input="now\n", capture_output=True, text=True, cwd=ROOT, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Liurong" in result.stdout  # 10:00 in Guangzhou, not in UTC (18:00, when nothing is on)
    assert "programme:" in result.stderr and "the shipped example" in result.stderr


def test_a_bad_setting_stops_every_command_with_its_name(monkeypatch, capsys) -> None:
    monkeypatch.setenv("BOT_LOG_LEVEL", "LOUD")
    assert cli.main(["console"]) == 2
    err = capsys.readouterr().err
    assert "BOT_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, not 'LOUD'" in err
    assert "delegate-bot check-config" in err


def test_in_a_clone_the_note_says_the_edited_programme_is_not_the_one_in_use(tmp_path: Path, monkeypatch) -> None:
    from bot.resources import default_programme

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "programme.yaml").write_text(PROGRAMME.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    settings = Settings.load({})
    note = cli.programme_note(settings.programme, settings)
    assert note.startswith(f"programme: {default_programme().resolve()} (the shipped example")
    assert "to use" in note and "--programme data/programme.yaml" in note


def test_every_command_warns_of_a_variable_that_is_no_setting(monkeypatch, caplog, capsys) -> None:
    monkeypatch.setenv("BOT_TELEGRAM_TOKN", "123:secret")
    with caplog.at_level(logging.WARNING):
        assert cli.main(["validate", str(PROGRAMME)]) == 0
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["BOT_TELEGRAM_TOKN is not a setting (did you mean BOT_TELEGRAM_TOKEN?); "
                        "it is ignored (delegate-bot check-config lists every setting)"]
    assert "123:secret" not in caplog.text + capsys.readouterr().err


def test_a_switch_reads_one_or_zero_from_the_environment_and_a_boolean_from_the_file(tmp_path: Path) -> None:
    assert Settings.load({"BOT_DEBUG_UNDERSTANDING": "1"}).debug_understanding is True
    assert Settings.load({"BOT_DEBUG_UNDERSTANDING": "off"}).debug_understanding is False
    assert Settings.load({}).debug_understanding is False
    with pytest.raises(ConfigError, match=r"BOT_DEBUG_UNDERSTANDING must be 1 or 0 \(true or false\), not 'maybe'"):
        Settings.load({"BOT_DEBUG_UNDERSTANDING": "maybe"})
    config = tmp_path / "delegate-bot.toml"
    config.write_text("[debug]\nunderstanding = true\n", encoding="utf-8")
    assert Settings.load({}, config=config).debug_understanding is True
