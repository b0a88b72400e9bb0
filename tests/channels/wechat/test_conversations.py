"""Whole conversations over WeChat (safe mode), in English and Chinese, answering choices by number.

Each conversation is a table of steps: what the follower sends (free text, a
command word, a bare number that picks from the last numbered choices, or
``!EVENT key`` for a follow or a menu click) and what the passive reply must
contain.  A feature adds its commands by adding rows to both tables;
``test_every_command_is_in_both_conversations`` names the missing ones.

The Chinese table checks programme content, CLDR dates and this channel's
own strings, not the skeleton's strings (their translations land separately).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot import intents
from bot.app import Core
from tests.channels.wechat.kit import Follower, Rig


@dataclass(frozen=True)
class Step:
    send: str
    expect: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()

    @property
    def command(self) -> str | None:
        """The command this step asks for (None for a bare number)."""
        if self.send.startswith("!"):
            event, _, key = self.send[1:].partition(" ")
            if event == "subscribe":
                return "start"
            intent = intents.parse(key)
        else:
            intent = intents.parse(self.send)
        return intent.command if intent else None


PICK = "Reply with the number of your choice."
PICK_ZH = "请回复您选择的编号。"

ENGLISH: tuple[Step, ...] = (
    Step("!subscribe", ("【2025 Workshop for Thought Leaders】", "Welcome to 2025 Workshop for Thought Leaders!", "1. Today", PICK)),
    Step("1", ("【Thu, Jun 5】", "Day 3: Streams 2 and 3", "Liurong community")),
    Step("hello", ("Welcome to 2025 Workshop for Thought Leaders!",)),
    Step("help", ("【What I can do】", "/today — Today's sessions", "/lang")),
    Step("today", ("【Thu, Jun 5】", "1. 8:30", "Stream 2: use-case presentations")),
    Step("now", ("【On now】", "Liurong community")),
    Step("what's next?", ("【Next】", "Stream 2 roundtable")),
    Step("tomorrow", ("【Fri, Jun 6】", "Day 4:")),
    Step("day 2", ("【Wed, Jun 4】", "Panel discussion")),
    Step("programme", ("【Programme】", "2. Day 2, Wed, Jun 4", PICK)),
    Step("2", ("【Wed, Jun 4】", "Introductory session")),
    Step("1", ("【Introductory session】", "Jordi Vaquer", "1. Day of this session")),
    Step("streams", ("【Streams】", "2. Stream 2: Digital Tools for a More Caring and Inclusive City")),
    Step("2", ("【Stream 2: Digital Tools for a More Caring and Inclusive City】", "Liurong")),
    Step("stream 1", ("【Stream 1: Digital Tools for a Better Planned and Resilient City】",)),
    Step("/session opening", ("【Introductory session】", "Where: Plenary hall")),
    Step("search Bogotá", ("【Search: Bogotá】", "1 sessions match.")),
    Step("1", ("【Stream 2: use-case presentations】", "Care Blocks")),
    Step("9", ("Please answer with a number from 1 to 2.",)),
    Step("!CLICK /next", ("【Next】",)),
    Step("lang", ("Choose a language:", "1. English", "2. 中文 (简体)")),
    Step("2", ("中文 (简体)",)),
    Step("next", ("11:40–12:30", "分论坛二圆桌讨论", PICK_ZH), absent=(PICK,)),
)

CHINESE: tuple[Step, ...] = (
    Step("!subscribe", ("【2025年思想领袖研讨会】", "2025年6月3日 – 2025年6月7日 · 广州", "数字技术", PICK_ZH)),
    Step("1", ("【6月5日周四】", "越秀区六榕社区")),
    Step("你好", ("2025年思想领袖研讨会", "1. ", PICK_ZH)),
    Step("帮助", ("/today", "/lang", "info@guangzhouaward.org")),
    Step("今天", ("【6月5日周四】", "1. 08:30–09:30 · 分论坛二：城市案例分享")),
    Step("现在", ("10:00–11:30 · 分论坛二实地考察：越秀区六榕社区",)),
    Step("下一个", ("11:40–12:30 · 分论坛二圆桌讨论",)),
    Step("明天", ("【6月6日周五】", "告别晚宴")),
    Step("第2天", ("【6月4日周三】", "专题讨论")),
    Step("日程", ("2025年思想领袖研讨会", "6月4日周三", PICK_ZH)),
    Step("3", ("【6月5日周四】", "分论坛二与分论坛三")),
    Step("5", ("【分论坛三实地考察：智慧交通指挥中心】", "14:50")),
    Step("分论坛", ("数字工具助力城市更有温度、更加包容", PICK_ZH)),
    Step("2", ("数字工具助力城市更有温度、更加包容】", "6月5日周四, 10:00–11:30")),
    Step("分论坛1", ("数字工具助力城市更好规划、更具韧性】",)),
    Step("详情 opening", ("【开幕环节】", "6月4日周三, 09:00–09:45", "秘书长")),
    Step("搜索 波哥大", ("波哥大】", "6月5日周四, 08:30–09:30")),
    Step("1", ("【分论坛二：城市案例分享】", "波哥大")),
    Step("!CLICK /today", ("【6月5日周四】",)),
    Step("语言", ("1. English", "2. 中文 (简体)", PICK_ZH)),
    Step("1", ("English",)),
    Step("today", ("【Thu, Jun 5】", PICK), absent=(PICK_ZH,)),
)

#: conversation -> (the follower's WeChat language, its steps)
CONVERSATIONS: dict[str, tuple[str | None, tuple[Step, ...]]] = {
    "english": (None, ENGLISH),
    "chinese": ("zh_CN", CHINESE),
}


async def send(follower: Follower, step: Step) -> str:
    if step.send.startswith("!"):
        event, _, key = step.send[1:].partition(" ")
        answer = await follower.event(event, **({"EventKey": key} if key else {"EventKey": ""}))
    else:
        answer = await follower.say(step.send)
    assert answer.status == 200, f"{step.send!r}: HTTP {answer.status}"
    return answer.text or ""


@pytest.mark.parametrize("name", list(CONVERSATIONS))
async def test_conversation(rig: Rig, name: str) -> None:
    language, steps = CONVERSATIONS[name]
    openid = f"o_{name}"
    if language:
        rig.api.languages[openid] = language
    follower = rig.follower(openid)
    problems = []
    for number, step in enumerate(steps, 1):
        text = await send(follower, step)
        missing = [e for e in step.expect if e not in text]
        present = [a for a in step.absent if a in text]
        if missing or present:
            problems.append(f"step {number} {step.send!r}: missing {missing}, unexpected {present}\n{text}")
    assert not problems, "\n\n".join(problems)


def test_every_command_is_in_both_conversations(core: Core) -> None:
    commands = {c.name for c in core.router.menu()}
    for name, (_, steps) in CONVERSATIONS.items():
        covered = {step.command for step in steps}
        missing = sorted(commands - covered)
        assert not missing, f"add rows for {missing} to the {name} conversation"
