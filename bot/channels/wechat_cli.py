"""``delegate-bot wechat-menu``: put the menu on the Official Account."""

from __future__ import annotations

import json
import logging
import sys

from bot.app import build_core
from bot.channels.wechat_api import WeChatAPI, WeChatAPIError, WeChatUnavailable
from bot.channels.wechat_menu import menu_definition
from bot.clock import SystemClock
from bot.config import Settings
from bot.programme import Programme

logger = logging.getLogger(__name__)


async def wechat_menu(settings: Settings, *, dry_run: bool = False, programme: Programme | None = None) -> int:
    """Create the menu, labelled in the event's default language; 0 on success."""
    if not dry_run and not (settings.wechat_appid and settings.wechat_secret):
        print("Set BOT_WECHAT_APPID and BOT_WECHAT_SECRET (or use --dry-run).", file=sys.stderr)
        return 2
    core = await build_core(settings, SystemClock(), programme=programme)
    try:
        default = core.locales.default()
        menu = menu_definition(core.router, core.catalogs.get(default))
    finally:
        await core.close()
    if dry_run:
        print(json.dumps(menu, ensure_ascii=False, indent=2))
        return 0
    assert settings.wechat_appid and settings.wechat_secret
    api = WeChatAPI(settings.wechat_appid, settings.wechat_secret, SystemClock(), base_url=settings.wechat_api_url)
    try:
        await api.create_menu(menu)
    except (WeChatAPIError, WeChatUnavailable) as exc:
        print(f"WeChat refused the menu: {exc}", file=sys.stderr)
        return 1
    finally:
        await api.close()
    buttons = sum(len(b.get("sub_button", [])) or 1 for b in menu["button"])
    print(f"Menu created: {buttons} buttons in {default}.")
    return 0
