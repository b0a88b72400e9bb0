"""A WeChat follower's language: what WeChat says at follow time, else the script of what they write."""

from __future__ import annotations

import pytest

from bot.conversation import UserRef
from tests.channels.wechat.kit import FakeWeChatAPI, Rig
from tests.formats import day


async def test_a_follower_who_writes_chinese_is_answered_in_chinese(rig: Rig) -> None:
    """The issue's case: no language from WeChat, a first message "今天", and the answer was English."""
    answer = await rig.follower("o_li").say("今天")
    assert answer.text is not None and day("2025-06-05", "zh_Hans") in answer.text and "六榕社区" in answer.text
    # the script was stored as a hint, not as a choice: /lang still decides
    record = await rig.core.users.find(UserRef("wechat", "o_li"))
    assert record is not None and record.locale is None and record.language_hint == "zh_Hans"
    again = await rig.follower("o_li").say("today")  # later Latin words keep the language
    assert again.text is not None and "六榕社区" in again.text


@pytest.mark.parametrize(("text", "tag"), [("오늘", "ko"), ("сегодня", "ru"), ("اليوم", "ar"), ("今天的議程", "zh_Hant")])
async def test_the_script_of_a_first_message_picks_the_language(rig: Rig, text: str, tag: str) -> None:
    answer = await rig.follower(f"o_{tag}").say(text)
    assert answer.text is not None and day("2025-06-05", tag) in answer.text  # right-to-left marks and all


@pytest.mark.parametrize(("wechat", "tag"), [("zh_CN", "zh_Hans"), ("zh_TW", "zh_Hant"), ("zh_HK", "zh_Hant"), ("en", "en")])
async def test_the_language_wechat_gives_at_follow_time_comes_first(rig: Rig, fake_api: FakeWeChatAPI, wechat: str, tag: str) -> None:
    openid = f"o_{wechat}"
    fake_api.languages[openid] = wechat
    follower = rig.follower(openid)
    await follower.event("subscribe")
    answer = await follower.say("今天")  # the platform's hint wins over the script
    assert answer.text is not None and day("2025-06-05", tag) in answer.text


async def test_a_chosen_language_wins_over_the_script(rig: Rig) -> None:
    follower = rig.follower("o_chosen")
    await follower.say("/lang es")
    answer = await follower.say("今天")
    assert answer.text is not None and day("2025-06-05", "es") in answer.text
