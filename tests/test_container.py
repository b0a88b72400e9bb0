"""The Dockerfile and compose.yaml have what an IT person relies on (no container engine runs here; .ci/run builds where one does).

Read as instructions, continuation lines joined: a slim Python base, the
lock file, a non-root user, compiled catalogs, fonts for the shipped scripts,
the database on a volume, configuration by environment and no secret in the
image, a HEALTHCHECK on /healthz, ``delegate-bot run`` as the command.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ruamel.yaml import YAML

from bot.config import OPTIONS, Settings
from bot.web.health import ROUTE, probe
from tests.conftest import ROOT


def instructions(path: Path) -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), " ".join(rest.split())))
    return out


def final_stage() -> list[tuple[str, str]]:
    steps = instructions(ROOT / "Dockerfile")
    last = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last:]


def env_of(steps: list[tuple[str, str]]) -> dict[str, str]:
    env = {}
    for word, rest in steps:
        if word == "ENV":
            env.update(dict(re.findall(r"(\w+)=(\S+)", rest)))
    return env


def test_the_image_is_built_from_a_slim_python_with_the_locked_dependencies() -> None:
    steps = instructions(ROOT / "Dockerfile")
    bases = [rest.split()[0] for word, rest in steps if word == "FROM"]
    assert bases and all(re.fullmatch(r"python:3\.1[1-9]-slim", base) for base in bases), bases
    runs = " ".join(rest for word, rest in steps if word == "RUN")
    assert "pip install ." in runs
    envs = " ".join(rest for word, rest in steps if word == "ENV")
    assert "PIP_CONSTRAINT=/src/requirements.txt" in envs  # the lock, for the build environment too
    assert any(word == "COPY" and "requirements.txt" in rest for word, rest in steps)


def test_it_runs_as_a_user_that_is_not_root() -> None:
    steps = final_stage()
    users = [rest for word, rest in steps if word == "USER"]
    assert users and users[-1] not in ("root", "0")
    last_user = max(i for i, (word, _) in enumerate(steps) if word == "USER")
    assert last_user < next(i for i, (word, _) in enumerate(steps) if word == "CMD")
    assert any(word == "RUN" and f"useradd" in rest and users[-1] in rest for word, rest in steps)


def test_catalogs_are_compiled_and_a_chart_draws_in_every_shipped_script_with_the_packaged_fonts() -> None:
    steps = final_stage()
    runs = " ".join(rest for word, rest in steps if word == "RUN")
    assert "Catalogs.load" in runs and "delegate-bot validate" in runs  # the build fails on a broken catalog or programme
    # the fonts are the package's (charts use nothing else), checked by drawing one as the bot's user
    (check,) = [rest for word, rest in steps if word == "RUN" and "draw(" in rest]
    assert steps.index(("RUN", check)) > max(i for i, (word, _) in enumerate(steps) if word == "USER")
    code = re.fullmatch(r'python -c "(.*)"', check).group(1).replace("\\\\", "\\")  # type: ignore[union-attr]
    exec(compile(code, "Dockerfile", "exec"), {})  # what the build runs, run here: it must pass
    sample = re.search(r"sample = '([^']*)'", code).group(1)  # type: ignore[union-attr]
    scripts = {"Han": "议", "Hant": "議", "Hangul": "세", "Arabic": "ج", "Cyrillic": "с", "Latin": "é"}
    assert all(ch in sample for ch in scripts.values())


def test_the_database_lives_on_a_volume_and_configuration_comes_from_the_environment() -> None:
    steps = final_stage()
    env = env_of(steps)
    volumes = [json.loads(rest) if rest.startswith("[") else rest.split() for word, rest in steps if word == "VOLUME"]
    assert volumes and any(env["BOT_DB"].startswith(v.rstrip("/") + "/") for group in volumes for v in group)
    assert env["BOT_HTTP_HOST"] == "0.0.0.0"
    exposed = [rest for word, rest in steps if word == "EXPOSE"]
    assert exposed == [env["BOT_HTTP_PORT"]]
    secrets = {o.env for o in OPTIONS if o.secret}
    assert not secrets & set(env), "a secret must never be baked into the image"
    known = {o.env for o in OPTIONS}
    assert {k for k in env if k.startswith("BOT_")} <= known
    Settings.from_env(env)  # what the image sets is valid


def test_the_health_check_asks_healthz_and_the_command_runs_the_bot() -> None:
    steps = final_stage()
    (check,) = [rest for word, rest in steps if word == "HEALTHCHECK"]
    assert "CMD" in check and "delegate-bot" in check and "healthcheck" in check
    assert re.search(r"--interval=\d+s", check) and re.search(r"--start-period=\d+s", check)
    (cmd,) = [rest for word, rest in steps if word == "CMD"]
    assert json.loads(cmd) == ["delegate-bot", "run"]
    assert ("STOPSIGNAL", "SIGTERM") in steps


def test_the_containers_healthcheck_asks_healthz_on_its_own_port_when_the_server_listens_on_every_address() -> None:
    import http.server
    import threading

    asked: list[str] = []

    class Healthy(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            asked.append(self.path)
            body = b'{"status": "ok", "checks": {}}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Healthy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        settings = Settings.from_env({"BOT_HTTP_HOST": "0.0.0.0", "BOT_HTTP_PORT": str(server.server_address[1])})
        assert probe(settings, timeout=5) == 0
    finally:
        server.shutdown()
    assert asked == [ROUTE]


def test_the_build_context_leaves_out_databases_secrets_and_the_virtual_environment() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for pattern in (".git", ".venv", "*.sqlite3", ".env"):
        assert pattern in ignored


def test_compose_runs_the_image_with_a_data_volume_the_programme_and_time_to_stop() -> None:
    compose = YAML(typ="safe").load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    (service,) = compose["services"].values()
    assert service["build"] == "."
    assert service.get("restart") in ("unless-stopped", "always")
    volumes = service["volumes"]
    assert any(v.split(":")[1] == "/data" and v.split(":")[0] in compose.get("volumes", {}) for v in volumes)
    programme = service["environment"]["BOT_PROGRAMME"]
    assert any(v.split(":")[1] == programme for v in volumes)
    host, published, target = service["ports"][0].split(":")
    assert host == "127.0.0.1" and target == env_of(final_stage())["BOT_HTTP_PORT"]
    grace = int(service["stop_grace_period"].rstrip("s"))
    assert grace > int(service["environment"]["BOT_SHUTDOWN_SECONDS"]), "the bot must finish stopping before it is killed"
    assert any(isinstance(e, dict) and e["path"] == ".env" for e in service["env_file"])
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    names = set(re.findall(r"(?m)^(BOT_\w+)=", example))
    assert names <= {o.env for o in OPTIONS} and "BOT_TELEGRAM_TOKEN" in names


def test_ci_builds_the_image_where_an_engine_runs_and_still_runs_the_readme_tests() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'bash -c "$cmd"' in ci
    assert "$engine\" build" in ci and "info >/dev/null" in ci and "for engine in docker podman" in ci
    assert ci.index('bash -c "$cmd"') < ci.index("build -t delegate-companion")
