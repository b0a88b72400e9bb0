"""Whole conversations over WeChat (safe mode), in English and Chinese, answering choices by number.

Each conversation is a table of steps: what the follower sends (free text, a
command word, a bare number that picks from the last numbered choices, or
``!EVENT key`` for a follow or a menu click) and what the passive reply must
contain.  A feature adds its commands by adding rows to both tables;
``test_every_command_is_in_both_conversations`` names the missing ones.

The Chinese table checks programme content, CLDR dates, this channel's own
strings and those of the agenda, visit, reminder and time-zone features, which
ship with their translations.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from bot.understanding import intents
from bot.app import Core
from tests.channels.wechat.kit import Follower, Rig
from tests.formats import date, dates, day, offset, plain, time, times

# dates and times as the bot's own i18n functions write them (not one CLDR version's output)
ZH = "zh_Hans"
WED, THU, FRI = day("2025-06-04"), day("2025-06-05"), day("2025-06-06")
WED_ZH, THU_ZH, FRI_ZH = day("2025-06-04", ZH), day("2025-06-05", ZH), day("2025-06-06", ZH)
MADRID_ZONE = ZoneInfo("Europe/Madrid")


def span(start: str, end: str, tag: str = "en", on: str = "2025-06-05") -> str:
    return times(f"{on}T{start}", f"{on}T{end}", tag)


def at5(clock: str, tag: str = "en") -> str:
    return time(f"2025-06-05T{clock}", tag)


GMT8 = offset("Asia/Shanghai", "2025-06-05T10:00")
MADRID = offset(MADRID_ZONE, "2025-06-05T10:00")
GMT8_ZH = offset("Asia/Shanghai", "2025-06-05T10:00", ZH)
MADRID_ZH = offset(MADRID_ZONE, "2025-06-05T10:00", ZH)
IN_MADRID_ZH = times("2025-06-05T08:30+08:00", "2025-06-05T09:30+08:00", ZH, zone=MADRID_ZONE)


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
    Step("1", (f"【{THU}】", "Day 3: Streams 2 and 3", "Liurong community")),
    Step("hello", ("Welcome to 2025 Workshop for Thought Leaders!",)),
    Step("help", ("【What I can do】", "/today — Today's sessions", "/lang")),
    Step("today", (f"【{THU}】", f"1. {span('08:30', '09:30')}", "Stream 2: use-case presentations")),
    Step("now", ("【On now】", "Liurong community")),
    Step("what's next?", ("【Next】", "Stream 2 roundtable")),
    Step("tomorrow", (f"【{FRI}】", "Day 4:")),
    Step("day 2", (f"【{WED}】", "Panel discussion")),
    Step("programme", ("【Programme】", f"2. Day 2, {WED}", PICK)),
    Step("2", (f"【{WED}】", "Introductory session")),
    Step("1", ("【Introductory session】", "Jordi Vaquer", "1. Bookmark", "2. How to get there", "3. Add to calendar", "4. Day of this session")),
    Step("streams", ("【Streams】", "2. Stream 2: Digital Tools for a More Caring and Inclusive City")),
    Step("2", ("【Stream 2: Digital Tools for a More Caring and Inclusive City】", "Liurong")),
    Step("stream 1", ("【Stream 1: Digital Tools for a Better Planned and Resilient City】",)),
    Step("/session opening", ("【Introductory session】", "Where: Plenary hall")),
    Step("search Bogotá", ("【Search: Bogotá】", "1 match, best first.", "↳ Bogotá, Colombia: Care Blocks")),
    Step("1", ("【Stream 2: use-case presentations】", "Care Blocks")),
    Step("9", ("Please answer with a number from 1 to 5.",)),
    Step("!CLICK /next", ("【Next】",)),
    # my agenda: bookmark under a session by number, then by command
    Step("/session s3-cases", ("【Stream 3: use-case presentations】", "1. Bookmark", "2. How to get there", "3. Add to calendar", "4. Stream 3", "5. Day of this session", PICK)),
    Step("1", (f"Added to your agenda: {THU}", "Stream 3: use-case presentations", "I will remind you 15 minutes before it starts.",
               "1. My agenda", "2. Remove bookmark")),
    Step("1", ("【My agenda】", THU, "Stream 3: use-case presentations",
               "Reminders are on: 15 minutes before a session starts, 30 minutes before a site visit's group leaves.", PICK)),
    Step("unbookmark s3-cases", ("Removed from your agenda: Stream 3: use-case presentations", "1. Bookmark again", "2. My agenda")),
    Step("1", (f"Added to your agenda: {THU}",)),
    Step("bookmark s3-cases", (f"Already in your agenda: {THU}",)),
    # site visits: join under the visit by number, leave by number, then by command
    Step("/session s3-visit-transport", ("【Stream 3 site visit: smart transport control centre】", "1. Bookmark", "2. Join this visit")),
    Step("2", ('You are signed up for "Stream 3 site visit: smart transport control centre".',
               f"Meet at Bus departure point, main entrance of the delegates' hotel, leaving at {at5('14:50')}",
               "I will remind you 30 minutes before the group leaves.", "1. Leave this visit", "2. My agenda")),
    Step("2", ("【My agenda】", "Stream 3: use-case presentations", "Stream 3 site visit: smart transport control centre")),
    Step("visits", ("【Site visits】", f"3. {THU}: Stream 3 site visit: smart transport control centre ✓",
                    "Sign up with /join and the visit's number", PICK)),
    Step("3", ("【Stream 3 site visit: smart transport control centre】", "1. Bookmark", "2. Leave this visit")),
    Step("2", ('You are no longer signed up for "Stream 3 site visit: smart transport control centre"; your place is free for someone else.',)),
    Step("join 3", ('You are signed up for "Stream 3 site visit: smart transport control centre".',)),
    Step("leave 3", ('You are no longer signed up for "Stream 3 site visit: smart transport control centre"',)),
    Step("leave 3", ('You were not signed up for "Stream 3 site visit: smart transport control centre".',)),
    # streams: follow one and unfollow it by number, pick one from the list, unfollow by command
    Step("subscribe to stream 2", ("You now follow Stream 2: Digital Tools for a More Caring and Inclusive City.",
                                   "I will remind you of its 1 coming session.", "1. Sessions of this stream", "2. Unfollow")),
    Step("2", ("You no longer follow Stream 2: Digital Tools for a More Caring and Inclusive City.",)),
    Step("/subscribe", ("Which stream do you want to follow?", "3. Stream 3: Embracing the Future of Transport, Energy and Mobility", PICK)),
    Step("3", ("You now follow Stream 3: Embracing the Future of Transport, Energy and Mobility.", "I will remind you of its 4 coming sessions.")),
    Step("my agenda", ("【My agenda】", "Streams you follow: Stream 3")),
    Step("/calendar", ("【Calendar】", "Calendar subscriptions need the bot's web address", "1. Download my agenda (.ics)")),
    Step("unsubscribe stream 3", ("You no longer follow Stream 3: Embracing the Future of Transport, Energy and Mobility.",)),
    # reminder settings: pick a lead time by number, off, on, minutes, a bad value
    Step("reminders", ("【Reminders】", f'The next one, for "Stream 3: use-case presentations", comes at {at5("13:30")}',
                       "4. 60 minutes", "6. Off", PICK)),
    Step("4", ("Saved. Reminders are on: 60 minutes before a session starts or a site visit's group leaves.",)),
    Step("reminders off", ("Reminders are off. Your bookmarks and streams are kept; send /reminders on to get reminders again.",)),
    Step("reminders on", ("Saved. Reminders are on: 60 minutes before a session starts",)),
    Step("reminders 30", ("Saved. Reminders are on: 30 minutes before a session starts",)),
    Step("reminders 0", ('I could not read "0" as a lead time.',)),
    # the delegate's own time zone, shown beside the event's
    Step("timezone", ("【Time zone】", f"The event's times are Asia/Shanghai ({GMT8}).")),
    Step("timezone Madrid", (f"Your zone is now Europe/Madrid ({MADRID}). Times are shown in the event's zone and in yours.",)),
    Step("today", (f"【{THU}】", "your time) · Stream 2: use-case presentations")),
    Step("timezone off", ("Times are now shown in the event's zone only (Asia/Shanghai).",)),
    Step("today", (f"【{THU}】", "Stream 2: use-case presentations"), absent=("your time",)),
    Step("/digest 08:00", ("once a day at 08:00 (Asia/Shanghai)",)),
    Step("/digest off", ("Broadcasts will reach you as they are sent.",)),
    Step("ok", ("Thank you! You will keep receiving updates here.", "WeChat lets me send you 5 more messages until")),
    # venues: the list, a card by number (map links in their datums, the driver's block), a QR code, by words
    Step("venues", ("【Venues】", "5. Liurong community, Yuexiu District", "3. Bus departure point", PICK)),
    Step("5", ("📍 Liurong community, Yuexiu District", "Yuexiu District, Guangzhou",
               "🚇 Metro Line 1, Ximenkou station (to be confirmed)", "Amap: https://uri.amap.com/marker?position=",
               "coordinate=gaode", "Baidu Maps: https://api.map.baidu.com/marker?location=", "coord_type=bd09ll",
               "Apple Maps: https://maps.apple.com/?ll=23.128800,113.261800", "OpenStreetMap: https://www.openstreetmap.org/",
               "【Show this to your driver】", "请送我到：", "越秀区六榕社区", "广州市越秀区",
               "yuè xiù qū liù róng shè qū", "1. QR code of the map", "2. All venues", PICK)),
    Step("1", ("[Picture: map-liurong.png]", "Scan this with another phone to open the map of Liurong community",
               "https://uri.amap.com/marker?position=")),
    Step("/venue bus", ("📍 Bus departure point, main entrance of the delegates' hotel", "Site-visit groups leave from here:",
                        f"{THU}, {at5('14:50')} — Stream 3 site visit: smart transport control centre")),
    Step("where is liurong", ("📍 Liurong community, Yuexiu District",)),
    Step("venue community", ('Several venues match "community":', "1. Liurong community", "2. Community care centre")),
    # where next: the bookmarked Stream 3 session, its venue, and a request for a location
    Step("where is my next session?", ("Your next session: Stream 3: use-case presentations",
                                       f'"Stream 3: use-case presentations" is at Plenary hall, delegates\' hotel, {THU}, {at5("13:45")}.',
                                       "Share your location and I will tell you how far it is and when to leave.",
                                       "📍 Plenary hall, delegates' hotel (to be confirmed)")),
    # plain words: practical information, who is speaking, the bus
    Step("wifi password", ("【Wi-Fi】", "registration desk")),
    Step("/info", ("【Practical information】", "Wi-Fi", PICK)),
    Step("2", ("【Meals】", "Lunch is served")),
    Step("/speakers", ("【Who is speaking】",)),
    Step("/departure", ("【Your departure】",)),
    Step("good morning", ("Good morning!",)),
        Step("feedback", ("Which session would you like to rate?", "Stream 2: use-case presentations", PICK)),
    Step("feedback s2-cases", ("Question 1 of 2: Overall, how would you rate this session?", "1. 1 – poor", "5. 5 – excellent",
                               "7. I did not attend", PICK)),
    Step("4", ("Saved: 4 of 5.", "Question 2 of 2: What was most useful?", "1. Skip")),
    Step("The city cases", ("Saved your answer.", 'Thank you! Your answers about "Stream 2: use-case presentations" are saved.')),
    Step("lang", ("Choose a language:", "1. English", "2. 简体中文")),
    Step("2", ("简体中文",)),
    Step("next", (span("11:40", "12:30", ZH), "分论坛二圆桌讨论", PICK_ZH), absent=(PICK,)),
    Step("lang", ("1. English",)),
    Step("1", ("English",)),
    # privacy: the notice, a summary (the file itself needs BOT_PUBLIC_URL), deleting it all after a confirm
    Step("privacy", ("【Privacy】", "What I store: your WeChat id", "info@guangzhouaward.org")),
    Step("my data", ("【What I store about you】", "Bookmarked sessions: 1", "[File: my-data-wtl2025.json]")),
    Step("forget me", ("【Delete my data】", "It cannot be undone.", "1. Delete everything", "2. Keep my data", PICK)),
    Step("2", ("Nothing was deleted.",)),
    Step("delete my data", ("1. Delete everything",)),
    Step("1", ("Done: everything I stored about you is deleted.",)),
    Step("my agenda", ("Nothing in your agenda yet.",)),
)

CHINESE: tuple[Step, ...] = (
    Step("!subscribe", ("【2025年思想领袖研讨会】", f"{dates('2025-06-03', '2025-06-07', ZH)}，广州", "数字技术", PICK_ZH)),
    Step("1", (f"【{THU_ZH}】", "越秀区六榕社区")),
    Step("你好", ("2025年思想领袖研讨会", "1. ", PICK_ZH)),
    Step("帮助", ("/today", "/lang", "info@guangzhouaward.org")),
    Step("今天", (f"【{THU_ZH}】", f"1. {span('08:30', '09:30', ZH)} 分论坛二：城市案例分享")),
    Step("现在", (f"{span('10:00', '11:30', ZH)} 分论坛二实地考察：越秀区六榕社区",)),
    Step("下一个", (f"{span('11:40', '12:30', ZH)} 分论坛二圆桌讨论",)),
    Step("明天", (f"【{FRI_ZH}】", "告别晚宴")),
    Step("第2天", (f"【{WED_ZH}】", "专题讨论")),
    Step("最后一天有什么安排", (f"【{day('2025-06-07', ZH)}】", "离会")),
    Step("日程", ("2025年思想领袖研讨会", WED_ZH, PICK_ZH)),
    Step("3", (f"【{THU_ZH}】", "分论坛二与分论坛三")),
    Step("5", ("【分论坛三实地考察：智慧交通指挥中心】", at5("14:50", ZH))),
    Step("分论坛", ("数字工具助力城市更有温度、更加包容", PICK_ZH)),
    Step("2", ("数字工具助力城市更有温度、更加包容】", f"{THU_ZH} {span('10:00', '11:30', ZH)}")),
    Step("分论坛1", ("数字工具助力城市更好规划、更具韧性】",)),
    Step("详情 opening", ("【开幕环节】", f"{WED_ZH} {span('09:00', '09:45', ZH, on='2025-06-04')}", "秘书长", "1. 收藏", "2. 怎么去", "3. 添加到日历", "4. 当天日程")),
    Step("搜索 波哥大", ("波哥大】", f"{THU_ZH} {span('08:30', '09:30', ZH)}")),
    Step("1", ("【分论坛二：城市案例分享】", "波哥大")),
    Step("!CLICK /today", (f"【{THU_ZH}】",)),
    # 我的日程：在议程详情下按编号收藏，再用命令
    Step("详情 s3-cases", ("【分论坛三：城市案例分享】", "1. 收藏", "2. 怎么去", "3. 添加到日历", "4. 分论坛3", "5. 当天日程", PICK_ZH)),
    Step("1", (f"已加入您的日程：{THU_ZH} {span('13:45', '14:45', ZH)} 分论坛三：城市案例分享", "我会在开始前15分钟提醒您。", "1. 我的日程", "2. 取消收藏")),
    Step("1", ("【我的日程】", f"{span('13:45', '14:45', ZH)} 分论坛三：城市案例分享", "提醒已开启：议程开始前15分钟，实地考察出发前30分钟。", PICK_ZH)),
    Step("取消收藏 s3-cases", ("已从您的日程中移除：分论坛三：城市案例分享", "1. 重新收藏", "2. 我的日程")),
    Step("1", (f"已加入您的日程：{THU_ZH} {span('13:45', '14:45', ZH)}",)),
    Step("收藏 s3-cases", (f"已在您的日程中：{THU_ZH} {span('13:45', '14:45', ZH)}",)),
    # 实地考察：在考察详情下按编号报名、取消，再用命令
    Step("详情 s3-visit-transport", ("【分论坛三实地考察：智慧交通指挥中心】", "1. 收藏", "2. 报名参加")),
    Step("2", ("您已报名“分论坛三实地考察：智慧交通指挥中心”。", f"在代表酒店正门大巴集合点集合，{at5('14:50', ZH)}出发。",
               "我会在集合出发前30分钟提醒您。", "1. 取消报名", "2. 我的日程")),
    Step("2", ("【我的日程】", f"{span('15:00', '16:00', ZH)} 分论坛三实地考察：智慧交通指挥中心")),
    Step("参观", ("【实地考察】", f"3. {THU_ZH}：分论坛三实地考察：智慧交通指挥中心 ✓", PICK_ZH)),
    Step("3", ("【分论坛三实地考察：智慧交通指挥中心】", "1. 收藏", "2. 取消报名")),
    Step("2", ("您已取消报名“分论坛三实地考察：智慧交通指挥中心”，名额已留给其他人。",)),
    Step("报名 3", ("您已报名“分论坛三实地考察：智慧交通指挥中心”。",)),
    Step("取消报名 3", ("您已取消报名“分论坛三实地考察：智慧交通指挥中心”",)),
    # 分论坛：关注后按编号取消，再用命令
    Step("订阅分论坛2", ("您已关注分论坛2：数字工具助力城市更有温度、更加包容。", "我会提醒您它接下来的1个议程。", "1. 该分论坛的议程", "2. 取消关注")),
    Step("2", ("您已取消关注分论坛2：数字工具助力城市更有温度、更加包容。",)),
    Step("订阅分论坛三", ("您已关注分论坛3：拥抱交通、能源与出行的未来。", "我会提醒您它接下来的4个议程。")),
    Step("我的日程", ("【我的日程】", "您关注的分论坛：分论坛3")),
    Step("/calendar", ("【日历】", "日历订阅需要机器人的网址", "1. 下载我的日程（ics文件）")),
    Step("取消订阅分论坛3", ("您已取消关注分论坛3：拥抱交通、能源与出行的未来。",)),
    # 提醒设置：按编号选提前量，关闭、打开、分钟数
    Step("提醒", ("【提醒】", f"下一条是“分论坛三：城市案例分享”的提醒，将于{at5('13:30', ZH)}发送。", "4. 60分钟", "6. 关闭", PICK_ZH)),
    Step("4", ("已保存。提醒已开启：议程开始前或实地考察出发前60分钟。",)),
    Step("关闭提醒", ("提醒已关闭。",)),
    Step("打开提醒", ("已保存。提醒已开启：议程开始前或实地考察出发前60分钟。",)),
    Step("提醒 30", ("已保存。提醒已开启：议程开始前或实地考察出发前30分钟。",)),
    # 时区
    Step("时区", ("【时区】", f"活动时间采用Asia/Shanghai时区（{GMT8_ZH}）。")),
    Step("时区 Europe/Madrid", (f"您的时区已设为Europe/Madrid（{MADRID_ZH}）。",)),
    Step("今天", (f"【{THU_ZH}】", f"1. {span('08:30', '09:30', ZH)}（您当地时间{IN_MADRID_ZH}）分论坛二：城市案例分享")),
    Step("时区 关闭", ("现在只按活动时区（Asia/Shanghai）显示时间。",)),
    Step("今天", (f"1. {span('08:30', '09:30', ZH)} 分论坛二：城市案例分享",), absent=("您当地时间",)),
    Step("/digest 08:00", ("每天08:00（Asia/Shanghai）汇总一次",)),
    Step("/digest off", ("群发消息将在发出时送达您。",)),
    Step("好的", ("谢谢！您会继续在这里收到更新。",)),
    # 会场：列表、按编号看会场卡片（中文读者不需要给司机看的那一段）、按词查找、下一场在哪
    Step("会场", ("【会场】", "5. 越秀区六榕社区", PICK_ZH)),
    Step("5", ("📍 越秀区六榕社区", "广州市越秀区", "🚇 地铁1号线西门口站（待定）", "高德地图: https://uri.amap.com/marker?position=",
               "百度地图: https://api.map.baidu.com/marker?location=", "苹果地图: https://maps.apple.com/", "1. 地图二维码", "2. 所有会场"),
         absent=("请出示给司机", "请送我到")),
    Step("怎么去六榕", ("📍 越秀区六榕社区",)),
    Step("我的下一场在哪", ("您的下一场：分论坛三：城市案例分享", f"“分论坛三：城市案例分享”在代表酒店主会场举行，时间：{THU_ZH} {at5('13:45', ZH)}。",
                       "发送您的位置，我会告诉您距离多远、何时出发。", "📍 代表酒店主会场（待定）")),
    Step("午餐在哪里", ("【用餐】",)),
    Step("/info", ("【实用信息】", PICK_ZH)),
    Step("谁在发言", ("【发言人】",)),
    Step("/departure", ("【您的出发安排】",)),
    Step("反馈", ("您想评价哪场议程？", "分论坛二：城市案例分享", PICK_ZH)),
    Step("feedback s2-cases", ("第1题，共2题：总体而言，您如何评价这场议程？", "1. 1 – 很差", "7. 我没有参加")),
    Step("5", ("已保存：5分（满分5分）。", "哪些内容对您最有用？")),
    Step("城市案例很实用", ("您的回答已保存。", "谢谢！您对“分论坛二：城市案例分享”的回答已保存。")),
    Step("语言", ("1. English", "2. 简体中文", PICK_ZH)),
    Step("1", ("English",)),
    Step("today", (f"【{THU}】", PICK), absent=(PICK_ZH,)),
    Step("语言", ("2. 简体中文",)),
    Step("2", ("简体中文",)),
    Step("隐私", ("【隐私】", "info@guangzhouaward.org")),
    Step("我的数据", ("【我存储的您的数据】",)),
    Step("删除我的数据", ("【删除我的数据】", "1. ", "2. ", PICK_ZH)),
    Step("1", ("您的全部数据已删除",)),
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
        text = plain(await send(follower, step))
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
