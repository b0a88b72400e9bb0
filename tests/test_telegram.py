"""The Telegram channel against a fake Bot API over HTTP, checked against the Bot API specification."""

from __future__ import annotations

import pytest

from bot.app import Core
from tests.telegram_fake import FakeBotAPI, Harness, buttons_of, text_of
from tests.telegram_fixtures import fake_api, telegram  # noqa: F401  (fixtures)


async def test_start_sets_the_webhook_with_its_secret_and_publishes_menus(telegram: Harness, fake_api: FakeBotAPI) -> None:
    hooks = fake_api.sent("setWebhook")
    assert hooks and hooks[0].params["url"] == "https://bot.example.org/telegram"
    assert hooks[0].params["secret_token"] == "test-secret_0123"
    menus = fake_api.sent("setMyCommands")
    assert {c.params.get("language_code") for c in menus} == {None, "en", "zh"}


async def test_today_is_answered_as_html_with_session_buttons(telegram: Harness) -> None:
    calls = await telegram.say("/today")
    print(calls)
    assert "Liurong" in text_of(calls)
