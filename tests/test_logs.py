"""Operators' logs: no token, AES key, openid, chat id or message text at INFO; clear start-up failures."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import io
import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import logs
from bot.clock import ManualClock
from bot.config import Settings
from bot.logs import RedactingFormatter
from bot.service import EXIT_CHANNEL, run_service
from tests.conftest import PROGRAMME, at
from tests.channels.telegram.fake import TOKEN, FakeBotAPI, message_update
from tests.channels.telegram.fixtures import fake_api  # noqa: F401  (fixture)

#: a chat id and words that must not reach a log line
CHAT_ID = 987654321
WORDS = "search Kampala-unusual-words"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The service's log as ``delegate-bot run`` configures it (INFO, redacting), into a buffer."""
    buffer = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(RedactingFormatter(secrets=(TOKEN,)))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logs.quiet(logging.INFO)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def settings_for(tmp_path: Path, **env: str) -> Settings:
    """Settings for a run, its web server on a free port (parallel test runs share the machine)."""
    env.setdefault("http_port", str(free_port()))
    return Settings.from_env({f"BOT_{k.upper()}": v for k, v in env.items()}, programme=PROGRAMME, db=tmp_path / "run.sqlite3")


async def test_a_run_against_the_fake_logs_neither_the_token_nor_what_was_said(
    tmp_path: Path, fake_api: FakeBotAPI, captured: io.StringIO
) -> None:
    settings = settings_for(tmp_path, telegram_token=TOKEN, telegram_api_url=fake_api.url)
    stop = asyncio.Event()
    service = asyncio.create_task(run_service(settings, ManualClock(at("2025-06-05T10:00")), stop))
    try:
        await fake_api.push_update(message_update(1, WORDS, user_id=CHAT_ID, language="en"))
        async with asyncio.timeout(10):
            while not fake_api.sent("sendMessage"):
                await asyncio.sleep(0.01)
    finally:
        stop.set()
        assert await service == 0
    log = captured.getvalue()
    assert "channel telegram started" in log  # the log did capture the run
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    assert "Kampala-unusual-words" not in log
    assert str(CHAT_ID) not in log


async def test_a_wrong_token_is_one_clear_line_and_an_exit_code(tmp_path: Path, fake_api: FakeBotAPI, capsys) -> None:
    wrong = "654321:AAHthisIsNotTheTokenTheFakeKnows0000"
    settings = settings_for(tmp_path, telegram_token=wrong, telegram_api_url=fake_api.url)
    assert await run_service(settings, ManualClock(at("2025-06-05T10:00"))) == EXIT_CHANNEL
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "refused the bot token in BOT_TELEGRAM_TOKEN" in err
    assert wrong not in err and "Traceback" not in err


async def test_a_bot_api_down_at_start_up_leaves_wechat_serving_and_telegram_retrying(
    tmp_path: Path, fake_api: FakeBotAPI, captured: io.StringIO
) -> None:
    """getMe answers 502: one log line, WeChat answers meanwhile, and Telegram starts once the API is back."""
    import aiohttp

    from tests.channels.wechat.kit import APPID, SECRET as WECHAT_SECRET, TOKEN as WECHAT_TOKEN, sign

    port = free_port()
    settings = settings_for(
        tmp_path, telegram_token=TOKEN, telegram_api_url=fake_api.url, wechat_token=WECHAT_TOKEN,
        wechat_appid=APPID, wechat_secret=WECHAT_SECRET, http_port=str(port),
    )
    fake_api.fail_next("getMe", 502, "Bad Gateway")
    clock = ManualClock(at("2025-06-05T10:00"))
    stop = asyncio.Event()
    service = asyncio.create_task(run_service(settings, clock, stop))
    try:
        now = str(int(clock.now().timestamp()))
        query = {"signature": sign(WECHAT_TOKEN, now, "7"), "timestamp": now, "nonce": "7", "echostr": "up"}
        async with aiohttp.ClientSession() as http:
            async with asyncio.timeout(20):
                while True:  # the WeChat route answers while Telegram is down
                    with contextlib.suppress(aiohttp.ClientConnectionError):
                        async with http.get(f"http://127.0.0.1:{port}/wechat", params=query) as resp:
                            if resp.status == 200 and await resp.text() == "up":
                                break
                    assert not service.done(), "the service stopped"
                    await asyncio.sleep(0.02)
        assert not any(c.method == "getUpdates" for c in fake_api.calls)
        await clock.advance(dt.timedelta(seconds=5))  # the first retry
        async with asyncio.timeout(20):
            while not any(c.method == "getUpdates" for c in fake_api.calls):
                await asyncio.sleep(0.02)
    finally:
        stop.set()
        assert await service == 0
    log = captured.getvalue()
    assert log.count("cannot reach the Telegram Bot API") == 1 and "tried again in the background" in log
    assert "reachable again" in log
    assert TOKEN not in log and "Traceback" not in log


@pytest.mark.parametrize(
    "line, hidden",
    [
        ('HTTP Request: POST http://127.0.0.1:1/bot123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe "HTTP/1.1 200 OK"', "AAHdqTcv"),
        ("GET /cgi-bin/user/info?access_token=ACCESS-TOKEN-1&openid=o_abcdefg", "ACCESS-TOKEN-1"),
        ("GET /cgi-bin/user/info?access_token=ACCESS-TOKEN-1&openid=o_abcdefg", "o_abcdefg"),
        ("the AES key is a-configured-secret-value", "a-configured-secret-value"),
    ],
)
def test_the_formatter_redacts_tokens_ids_and_configured_secrets(line: str, hidden: str) -> None:
    formatter = RedactingFormatter(secrets=("a-configured-secret-value",))
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, line, None, None)
    assert hidden not in formatter.format(record)


def test_a_traceback_is_redacted_too() -> None:
    formatter = RedactingFormatter(secrets=("s3cr3t-value",))
    try:
        raise RuntimeError("failed calling https://api.example/bot123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/x with s3cr3t-value")
    except RuntimeError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", None, sys.exc_info())
    text = formatter.format(record)
    assert "Traceback" in text and "AAHdqTcv" not in text and "s3cr3t-value" not in text


def test_http_clients_request_lines_are_below_the_info_level() -> None:
    logs.quiet(logging.INFO)
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)


async def test_a_wechat_run_logs_neither_openids_keys_nor_what_was_said(tmp_path: Path, captured: io.StringIO) -> None:
    import aiohttp

    from tests.channels.wechat.kit import AES_KEY, APPID, SECRET, FakeWeChatAPI, Follower
    from tests.channels.wechat.kit import TOKEN as WECHAT_TOKEN

    api = FakeWeChatAPI()
    await api.start()
    port = free_port()
    settings = settings_for(
        tmp_path, wechat_token=WECHAT_TOKEN, wechat_appid=APPID, wechat_secret=SECRET, wechat_aes_key=AES_KEY,
        wechat_api_url=api.url, http_port=str(port),
    )
    handler = logging.getLogger().handlers[-1]
    handler.setFormatter(RedactingFormatter(secrets=settings.secret_values()))
    stop = asyncio.Event()
    service = asyncio.create_task(run_service(settings, ManualClock(at("2025-06-05T10:00")), stop))
    openid = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
    try:
        async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{port}") as session:
            follower = Follower(session, openid=openid)  # type: ignore[arg-type]
            async with asyncio.timeout(10):
                while True:
                    try:
                        answer = await follower.say(WORDS)
                        break
                    except aiohttp.ClientConnectionError:
                        await asyncio.sleep(0.05)  # the service is still starting
            assert answer.status == 200 and answer.text
    finally:
        stop.set()
        assert await service == 0
        await api.close()
    log = captured.getvalue()
    assert "channel wechat started" in log and "POST /wechat 200" in log  # the log did capture the run
    for secret in (openid, "Kampala-unusual-words", AES_KEY, SECRET, WECHAT_TOKEN, "token-1"):
        assert secret not in log, secret


def _one_event(formatter: logging.Formatter) -> str:
    logger = logging.getLogger("tests.one-event")
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(formatter)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise RuntimeError(f"calling https://api.telegram.org/bot{TOKEN}/getMe failed")
        except RuntimeError:
            logger.exception("programme not reloaded:\nline one\nline two")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    return buffer.getvalue()


def test_each_event_is_one_text_line_traceback_included() -> None:
    out = _one_event(RedactingFormatter(secrets=(TOKEN,)))
    assert out.count("\n") == 1 and out.endswith("\n")
    assert "programme not reloaded:\\nline one\\nline two" in out and "Traceback" in out and "RuntimeError" in out
    assert TOKEN not in out


def test_json_lines_are_one_object_each_without_secrets() -> None:
    import json

    out = _one_event(logs.JsonLinesFormatter(secrets=(TOKEN,)))
    assert out.count("\n") == 1
    record = json.loads(out)
    assert record["level"] == "ERROR" and record["logger"] == "tests.one-event"
    assert record["message"] == "programme not reloaded:\nline one\nline two"
    assert "RuntimeError" in record["exc_info"] and TOKEN not in out and TOKEN.split(":")[1] not in out
    assert record["time"].endswith("+00:00")


def test_configure_chooses_json_lines() -> None:
    buffer = io.StringIO()
    level = logging.getLogger().level
    handler = logs.configure(logging.INFO, secrets=(TOKEN,), stream=buffer, json_lines=True)
    try:
        logging.getLogger("bot.test").info("started with %s", TOKEN)
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(level)
        logs.quiet(level)
    import json

    assert json.loads(buffer.getvalue())["message"] == "started with ***"
