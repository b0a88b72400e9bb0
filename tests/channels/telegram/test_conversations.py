"""Scripted Telegram conversations, one row per command, in English and Chinese.

Each row is a list of steps: say something or press a button on the last
message with buttons, then what the delegate must read and whether the
message was sent or edited in place.  Everything goes through the webhook
route, and every request the bot makes goes over HTTP to the fake Bot API,
which checks it against the Bot API specification.  Features add their
commands by adding rows: my agenda, streams followed, site visits,
reminders and the time zone each have theirs, pressing the buttons those
features put under a session, a visit or a followed stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from tests.formats import date, day, offset, plain, time, times
from tests.channels.telegram.fake import Call, Harness, buttons_of, text_of
from tests.channels.telegram.fixtures import fake_api, telegram  # noqa: F401  (fixtures)


@dataclass(frozen=True)
class Say:
    text: str


@dataclass(frozen=True)
class Press:
    """Press the first button (on the latest message with buttons) whose label or payload contains ``match``."""

    match: str


SENT, EDITED = "sendMessage", "editMessageText"


@dataclass(frozen=True)
class Step:
    action: Say | Press
    expect: tuple[str, ...]
    method: str = SENT


def step(action: Say | Press, *expect: str, method: str = SENT) -> Step:
    return Step(action, tuple(plain(e) for e in expect), method)


# dates and times as the bot's own i18n functions write them (not one CLDR version's output)
ZH = "zh_Hans"
MADRID_ZONE = ZoneInfo("Europe/Madrid")


def d(number: str, tag: str = "en") -> str:
    """The heading of a day in June 2025: ``d("5")``."""
    return day(f"2025-06-0{number}", tag)


def span(start: str, end: str, tag: str = "en", on: str = "2025-06-05") -> str:
    return times(f"{on}T{start}", f"{on}T{end}", tag)


def at5(clock: str, tag: str = "en") -> str:
    return time(f"2025-06-05T{clock}", tag)


def gmt(zone: str, tag: str = "en") -> str:
    return offset(zone, "2025-06-05T10:00", tag)


ENGLISH: dict[str, list[Step]] = {
    "start": [step(Say("/start"), "Welcome to", "Workshop"), step(Press("/today"), d("5"), "Liurong", method=EDITED)],
    "help": [step(Say("/help"), "/today", "/search", "/lang")],
    "today": [step(Say("/today"), d("5"), "Liurong")],
    "now": [step(Say("/now"), span("10:00", "11:30"), "Liurong")],
    "next": [step(Say("/next"), span("11:40", "12:30"), "roundtable")],
    "day": [step(Say("/day 2"), d("4"), "Introductory session")],
    "day-buttons": [
        step(Say("/day"), d("5")),
        step(Press("/day 2025-06-04"), d("4"), "Introductory session", method=EDITED),
    ],
    "programme": [
        step(Say("/programme"), "Workshop", d("7")),
        step(Press("/day 2025-06-05"), d("5"), "Liurong", method=EDITED),
        step(Press("/session s2-liurong"), "Liurong", "Yuexiu"),
    ],
    "streams": [
        step(Say("/streams"), "Digital Tools for a Better Planned and Resilient City"),
        step(Press("/stream"), "Stream 1", method=EDITED),
    ],
    "stream": [step(Say("/stream 2"), "Caring and Inclusive", "Liurong")],
    "session": [step(Say("/session opening"), "Introductory session", "Jordi Vaquer")],
    "search": [step(Say("/search Bogotá"), "Bogotá", "Stream 2: use-case presentations")],
    "search-paging": [
        step(Say("/search a"), "Page 1 of 2", "Stream 2 roundtable"),
        step(Press(" p2"), "Page 2 of 2", "Practical information: Meals", method=EDITED),
        step(Press(" p1"), "Page 1 of 2", method=EDITED),
        step(Press(" p2"), "Page 2 of 2", method=EDITED),
    ],
    "lang": [step(Say("/lang"), "English", "中文"), step(Press("/lang zh_Hans"), "中文", method=SENT)],
    "free-text": [step(Say("tomorrow"), d("6")), step(Say("what's next"), span("11:40", "12:30")),
                  step(Say("what's on the last day"), d("7"), "Departure"), step(Say("first day"), d("3"))],
    # -- plain-word questions, practical information, search that says what matched ----
    "ask": [
        step(Say("where is lunch"), "Meals", "Lunch is served at the delegates' hotel"),
        step(Say("wifi password"), "Wi-Fi", "This is still to be confirmed by the organisers."),
        step(Say("/info"), "Practical information", "Wi-Fi", "Emergencies"),
        step(Say("who is speaking"), "Who is speaking", "Liurong"),
        step(Say("/speakers panel"), "Agnès Bickart"),
        step(Say("/departure"), "You have not joined a site visit", "smart transport control centre"),
        step(Say("good morning"), "Good morning!"),
        step(Say("thanks"), "You're welcome!"),
        step(Say("search Bogotá"), "Bogotá, Colombia: Care Blocks"),
    ],
    "numbered-answer": [step(Say("/today"), "Liurong"), step(Say("2"), "Liurong", "Yuexiu")],
    # -- my agenda, streams followed, site visits, reminders, time zone ---------------
    "bookmark": [
        step(Say("/session s2-roundtable"), "Stream 2 roundtable", "Bookmark"),
        step(Press("/bookmark s2-roundtable"), f"Added to your agenda: {d('5')}, {at5('11:40')}",
             "I will remind you 15 minutes before it starts.", "Remove bookmark"),
        step(Press("/myagenda"), "My agenda", d("5"), "Stream 2 roundtable", method=EDITED),
        step(Say("/session s2-roundtable"), "Remove bookmark"),
    ],
    "bookmark-by-title": [
        step(Say("/bookmark roundtable"), 'There is no session with the id "roundtable".', "Did you mean one of these?", "Stream 3 roundtable"),
        step(Press("/bookmark s2-roundtable"), "Added to your agenda", "Stream 2 roundtable"),
    ],
    "unbookmark": [
        step(Say("/bookmark s2-roundtable"), "Added to your agenda"),
        step(Press("Remove bookmark"), "Removed from your agenda: Stream 2 roundtable", "Bookmark again"),
        step(Press("Bookmark again"), "Added to your agenda"),
        step(Say("/unbookmark s2-roundtable"), "Removed from your agenda"),
        step(Say("/unbookmark s2-roundtable"), '"Stream 2 roundtable: a caring and inclusive city for all generations" was not in your agenda.'),
    ],
    "myagenda": [
        step(Say("/myagenda"), "Nothing in your agenda yet.", "Reminders are on: 15 minutes before a session starts"),
        step(Say("/bookmark s2-roundtable"), "Added to your agenda"),
        step(Say("/join 3"), "You are signed up"),
        step(Say("/subscribe 3"), "You now follow Stream 3"),
        step(Say("/myagenda"), f"{span('11:40', '12:30')} · Stream 2 roundtable",
             f"{span('15:00', '16:00')} · Stream 3 site visit", "Streams you follow: Stream 3"),
        step(Press("/session s3-visit-transport"), "smart transport control centre", "Leave this visit"),
    ],
    "calendar": [
        step(Say("/bookmark opening"), "Added to your agenda"),
        step(Say("/calendar"), "Calendar subscriptions need the bot's web address", "Download my agenda (.ics)"),
        step(Press("/myagenda ics"), method="sendDocument"),
    ],
    "subscribe": [
        step(Say("/subscribe 2"), "You now follow Stream 2", "I will remind you of its 1 coming session.", "Unfollow"),
        step(Press("/unsubscribe s2"), "You no longer follow Stream 2", "Sessions you bookmarked or visits you joined are still reminded."),
    ],
    "subscribe-buttons": [
        step(Say("/subscribe"), "Which stream do you want to follow?", "Stream 3: Embracing the Future"),
        step(Press("/subscribe s3"), "You now follow Stream 3", "I will remind you of its 4 coming sessions."),
        step(Press("Sessions of this stream"), "Stream 3: use-case presentations", "Stream 3 roundtable", method=EDITED),
    ],
    "unsubscribe": [
        step(Say("/subscribe 3"), "You now follow Stream 3"),
        step(Say("/unsubscribe"), "Which stream do you want to stop following?", "✓ Stream 3"),
        step(Press("/unsubscribe s3"), "You no longer follow Stream 3"),
        step(Say("/unsubscribe 3"), "You did not follow Stream 3"),
    ],
    "visits": [
        step(Say("/visits"), "Site visits", f"leaving at {at5('14:50')}", "Sign up with /join"),
        step(Press("/session s3-visit-transport"), "smart transport control centre", "Join this visit"),
        step(Press("Join this visit"), 'You are signed up for "Stream 3 site visit: smart transport control centre".',
             "What to bring: Name badge", "I will remind you 30 minutes before the group leaves.", "Leave this visit"),
        step(Say("/visits"), "smart transport control centre ✓"),
    ],
    "join": [
        step(Say("/join 3"), 'You are signed up for "Stream 3 site visit: smart transport control centre".', f"leaving at {at5('14:50')}"),
        step(Say("/join 3"), 'You were already signed up for "Stream 3 site visit: smart transport control centre".'),
        step(Say("/join 1"), "has already left."),
        step(Say("/join"), "Which site visit?", "low-altitude econo"),
        step(Press("/join s3-visit-lowalt"), 'You are signed up for "Stream 3 site visit: low-altitude economy company".'),
        step(Press("/myagenda"), "My agenda", "low-altitude economy company", method=EDITED),
    ],
    "leave": [
        step(Say("/join 3"), "You are signed up"),
        step(Press("Leave this visit"), "You are no longer signed up", "your place is free for someone else."),
        step(Say("/leave 3"), 'You were not signed up for "Stream 3 site visit: smart transport control centre".'),
        step(Say("/leave 9"), 'There is no site visit "9".'),
    ],
    "reminders": [
        step(Say("/reminders"), "Reminders are on: 15 minutes before a session starts, 30 minutes before a site visit", "Change it with /reminders"),
        step(Press("/reminders 30"), "Saved. Reminders are on: 30 minutes before a session starts or a site visit's group leaves."),
        step(Say("/subscribe 3"), "You now follow Stream 3"),
        step(Say("/reminders"), "4 reminders are waiting.", f'The next one, for "Stream 3: use-case presentations", comes at {at5("13:15")}.'),
        step(Press("/reminders off"), "Reminders are off. Your bookmarks and streams are kept"),
    ],
    "reminders-minutes": [
        step(Say("/reminders 45"), "Saved. Reminders are on: 45 minutes before"),
        step(Say("/reminders 0"), 'I could not read "0" as a lead time.'),
        step(Say("/reminders default"), "Saved. Reminders are on: 15 minutes before a session starts, 30 minutes before"),
    ],
    "reminders-off-on": [
        step(Say("/reminders off"), "Reminders are off."),
        step(Say("/bookmark s2-roundtable"), "Reminders are off; send /reminders on to get them."),
        step(Say("/reminders on"), "Saved. Reminders are on"),
        step(Say("/bookmark s2-roundtable"), "Already in your agenda", "I will remind you 15 minutes before it starts."),
    ],
    "digest": [
        step(Say("/digest"), "Broadcasts reach you as they are sent.", "/digest 08:00"),
        step(Say("/digest 08:00"), "once a day at 08:00 (Asia/Shanghai)"),
        step(Say("/digest off"), "Broadcasts will reach you as they are sent."),
    ],
    "timezone": [
        step(Say("/timezone"), f"The event's times are Asia/Shanghai ({gmt('Asia/Shanghai')}).", "/timezone Europe/Madrid"),
        step(Say("/timezone Europe/Madrid"), f"Your zone is now Europe/Madrid ({gmt('Europe/Madrid')})."),
        step(Say("/timezone"), f"Your own zone is Europe/Madrid ({gmt('Europe/Madrid')}); times are shown in both."),
        step(Say("/now"), f"{span('10:00', '11:30')} ({times('2025-06-05T10:00+08:00', '2025-06-05T11:30+08:00', zone=MADRID_ZONE)} your time)"),
        step(Say("/timezone Mars"), '"Mars" is not a time zone I know.'),
        step(Say("/timezone off"), "Times are now shown in the event's zone only (Asia/Shanghai)."),
    ],
    "agenda-free-text": [
        step(Say("follow stream 3"), "You now follow Stream 3"),
        step(Say("bookmark s2-roundtable"), "Added to your agenda"),
        step(Say("my agenda"), "Stream 2 roundtable", "Streams you follow: Stream 3"),
        step(Say("site visits"), "Site visits"),
        step(Say("join 3"), "You are signed up"),
        step(Say("leave 3"), "You are no longer signed up"),
        step(Say("remind me 20"), "Saved. Reminders are on: 20 minutes before"),
        step(Say("reminders off"), "Reminders are off."),
        step(Say("time zone Tokyo"), f"Your zone is now Asia/Tokyo ({gmt('Asia/Tokyo')})."),
    ],
    # -- venues: the card (a native pin, map links, the driver's block), its QR code, where next ----
    "venues": [
        step(Say("/venues"), "Venues", "Liurong community, Yuexiu District", "Bus departure point"),
        step(Press("/venue liurong"), "Liurong community, Yuexiu District", "Yuexiu District, Guangzhou",
             "Metro Line 1, Ximenkou station", "Amap", "Baidu Maps", "Apple Maps", "Google Maps", "OpenStreetMap",
             "Show this to your driver", "请送我到：", "越秀区六榕社区", "yuè xiù qū liù róng shè qū", "QR code of the map",
             method="sendVenue"),
        step(Press("/venueqr liurong"), "Scan this with another phone to open the map of Liurong community", method="sendPhoto"),
    ],
    "venue": [
        step(Say("/venue 3"), "Bus departure point", "Site-visit groups leave from here:", method="sendVenue"),
        step(Say("/venue community"), 'Several venues match "community":', "Community care centre"),
        step(Press("/venue care-centre"), "Community care centre", "(to be confirmed)", method="sendVenue"),
        step(Say("/venue atlantis"), 'There is no venue "atlantis". These are the venues:', "Liurong community"),
        step(Say("where is liurong"), "Liurong community, Yuexiu District", method="sendVenue"),
    ],
    "where": [
        step(Say("/where"), "Where next", "Nothing you chose is coming up.", "My agenda"),
        step(Say("/join 3"), "You are signed up"),
        step(Say("where is my next session?"),
             'The group for "Stream 3 site visit: smart transport control centre" leaves from Bus departure point, '
             f"main entrance of the delegates' hotel on {d('5')}, {at5('14:50')}.",
             "It goes to Smart transport control centre", "Share your location", "Bus departure point"),
    ],
    "feedback": [
        step(Say("/feedback"), "Which session would you like to rate?", "Stream 2: use-case presentations"),
        step(Press("/feedback s2-cases"), "Question 1 of 2: Overall, how would you rate this session?"),
        step(Press("overall 4"), "Saved: 4 of 5.", "Question 2 of 2: What was most useful?"),
        step(Say("The city cases"), "Saved your answer.", 'Thank you! Your answers about "Stream 2: use-case presentations" are saved.'),
    ],
    "how-to-get-there": [
        step(Say("/session s2-roundtable"), "Stream 2 roundtable", "How to get there"),
        step(Press("/directions s2-roundtable"), '"Stream 2 roundtable: a caring and inclusive city for all generations" is at '
             "Community care centre run by a social organisation, Yuexiu District", "Community care centre"),
    ],
    # -- privacy: the notice, everything stored as a file, deleting it all after a confirm ----
    "privacy": [step(Say("/privacy"), "What I store: your Telegram id", "30 days after the event ends", "/forget deletes all of it")],
    "mydata": [
        step(Say("/bookmark s2-roundtable"), "Added to your agenda"),
        step(Say("/mydata"), "What I store about you", "Bookmarked sessions: 1", "The file has all of it."),
    ],
    "forget": [
        step(Say("/bookmark s2-roundtable"), "Added to your agenda"),
        step(Say("/forget"), "This deletes everything I store about you", "Delete everything", "Keep my data"),
        step(Press("Keep my data"), "Nothing was deleted."),
        step(Say("/forget"), "It cannot be undone."),
        step(Press("Delete everything"), "Done: everything I stored about you is deleted."),
        step(Say("/myagenda"), "Nothing in your agenda yet."),
    ],
}

CHINESE: dict[str, list[Step]] = {
    "start": [step(Say("/start"), "2025年思想领袖研讨会", date("2025-06-03", "long", ZH)), step(Press("/today"), d("5", ZH), "六榕社区", method=EDITED)],
    "help": [step(Say("/help"), "/today", "/search", "/lang")],
    "today": [step(Say("/today"), d("5", ZH), "六榕社区")],
    "now": [step(Say("/now"), span("10:00", "11:30", ZH), "六榕社区")],
    "next": [step(Say("/next"), span("11:40", "12:30", ZH), "圆桌讨论")],
    "day": [step(Say("/day 2"), d("4", ZH), "开幕环节")],
    "day-buttons": [
        step(Say("/day"), d("5", ZH)),
        step(Press("/day 2025-06-04"), d("4", ZH), "开幕环节", method=EDITED),
    ],
    "programme": [
        step(Say("/programme"), "2025年思想领袖研讨会", d("7", ZH)),
        step(Press("/day 2025-06-05"), d("5", ZH), "六榕社区", method=EDITED),
        step(Press("/session s2-liurong"), "六榕社区", span("10:00", "11:30", ZH)),
    ],
    "streams": [step(Say("/streams"), "数字工具助力城市更好规划"), step(Press("/stream"), "数字工具", method=EDITED)],
    "stream": [step(Say("/stream 2"), "更有温度", "六榕社区")],
    "session": [step(Say("/session opening"), "开幕环节", "Jordi Vaquer")],
    "search": [step(Say("/search 波哥大"), "波哥大", "分论坛二：城市案例分享")],
    "search-paging": [
        step(Say("/search a"), "1", d("5", ZH)),
        step(Press(" p2"), d("4", ZH), method=EDITED),
        step(Press(" p1"), d("5", ZH), method=EDITED),
    ],
    "lang": [step(Say("/lang"), "English", "简体中文"), step(Press("/lang en"), "English", method=SENT)],
    "free-text": [step(Say("明天"), d("6", ZH)), step(Say("下一个"), span("11:40", "12:30", ZH))],
    "ask": [
        step(Say("午餐在哪里"), "用餐", "代表酒店"),
        step(Say("wifi密码"), "无线网络", "此信息尚待主办方确认。"),
        step(Say("谁在发言"), "发言人", "六榕社区"),
        step(Say("大巴几点出发"), "您还没有报名实地考察", "智慧交通指挥中心"),
        step(Say("谢谢"), "不客气！"),
    ],
    "numbered-answer": [step(Say("今天"), "六榕社区"), step(Say("2"), "六榕社区", span("10:00", "11:30", ZH))],
    # -- my agenda, streams followed, site visits, reminders, time zone ---------------
    "bookmark": [
        step(Say("详情 s2-roundtable"), "分论坛二圆桌讨论", "收藏"),
        step(Press("/bookmark s2-roundtable"), f"已加入您的日程：{d('5', ZH)} {span('11:40', '12:30', ZH)}", "我会在开始前15分钟提醒您。",
             "取消收藏"),
        step(Press("/myagenda"), "我的日程", d("5", ZH), "分论坛二圆桌讨论", method=EDITED),
        step(Say("详情 s2-roundtable"), "取消收藏"),
    ],
    "unbookmark": [
        step(Say("收藏 s2-roundtable"), "已加入您的日程"),
        step(Press("/unbookmark s2-roundtable"), "已从您的日程中移除：分论坛二圆桌讨论", "重新收藏"),
        step(Press("/bookmark s2-roundtable"), "已加入您的日程"),
        step(Say("取消收藏 s2-roundtable"), "已从您的日程中移除"),
        step(Say("取消收藏 s2-roundtable"), "“分论坛二圆桌讨论：建设全龄友好的关爱型包容城市”不在您的日程中。"),
    ],
    "bookmark-by-title": [
        step(Say("收藏 roundtable"), "没有编号为“roundtable”的议程。", "您要找的是下面哪一个？", "分论坛三圆桌讨论"),
        step(Press("/bookmark s2-roundtable"), "已加入您的日程", "分论坛二圆桌讨论"),
    ],
    "myagenda": [
        step(Say("我的日程"), "您的日程还是空的。", "提醒已开启：议程开始前15分钟，实地考察出发前30分钟。"),
        step(Say("收藏 s2-roundtable"), "已加入您的日程"),
        step(Say("报名 3"), "您已报名"),
        step(Say("我的日程"), f"{span('11:40', '12:30', ZH)} 分论坛二圆桌讨论", f"{span('15:00', '16:00', ZH)} 分论坛三实地考察：智慧交通指挥中心"),
        step(Press("/session s3-visit-transport"), "智慧交通指挥中心", "取消报名"),
    ],
    "subscribe": [
        step(Say("订阅分论坛2"), "您已关注分论坛2", "我会提醒您它接下来的1个议程。", "取消关注"),
        step(Press("/unsubscribe s2"), "您已取消关注分论坛2", "您收藏的议程和报名的实地考察仍会提醒。"),
    ],
    "subscribe-buttons": [
        step(Say("/subscribe"), "您想关注哪个分论坛？我会在它的每个议程开始前提醒您。", "分论坛3：拥抱交通、能源与出行的未来"),
        step(Press("/subscribe s3"), "您已关注分论坛3", "我会提醒您它接下来的4个议程。"),
        step(Press("/stream s3"), "分论坛三：城市案例分享", method=EDITED),
    ],
    "unsubscribe": [
        step(Say("关注分论坛3"), "您已关注分论坛3"),
        step(Say("/unsubscribe"), "您想取消关注哪个分论坛？", "✓ 分论坛3"),
        step(Press("/unsubscribe s3"), "您已取消关注分论坛3"),
        step(Say("取消订阅分论坛3"), "您没有关注分论坛3：拥抱交通、能源与出行的未来。"),
    ],
    "visits": [
        step(Say("参观"), "实地考察", f"{at5('14:50', ZH)}出发", "/join 1"),
        step(Press("/session s3-visit-transport"), "智慧交通指挥中心", "报名参加"),
        step(Press("/join s3-visit-transport"), "您已报名“分论坛三实地考察：智慧交通指挥中心”。", "请携带：胸牌", "我会在集合出发前30分钟提醒您。", "取消报名"),
        step(Say("参观"), "智慧交通指挥中心 ✓"),
    ],
    "join": [
        step(Say("报名 3"), "您已报名“分论坛三实地考察：智慧交通指挥中心”。", f"{at5('14:50', ZH)}出发"),
        step(Say("报名 3"), "您之前已报名“分论坛三实地考察：智慧交通指挥中心”。"),
        step(Say("报名 1"), "“分论坛一实地考察：城市运行与数字孪生中心”的队伍已经出发了。"),
        step(Say("/join"), "分论坛三实地考察：低空经济企业"),
        step(Press("/join s3-visit-lowalt"), "您已报名“分论坛三实地考察：低空经济企业”。"),
    ],
    "leave": [
        step(Say("报名 3"), "您已报名"),
        step(Press("/leave s3-visit-transport"), "您已取消报名“分论坛三实地考察：智慧交通指挥中心”，名额已留给其他人。"),
        step(Say("取消报名 3"), "您没有报名“分论坛三实地考察：智慧交通指挥中心”。"),
        step(Say("/leave 9"), "没有实地考察“9”。发送 /visits 可查看所有考察及其序号。"),
    ],
    "reminders": [
        step(Say("提醒"), "提醒已开启：议程开始前15分钟，实地考察出发前30分钟。", "/reminders <分钟数>"),
        step(Press("/reminders 30"), "已保存。提醒已开启：议程开始前或实地考察出发前30分钟。"),
        step(Say("订阅分论坛3"), "您已关注分论坛3"),
        step(Say("提醒"), "还有4条提醒待发送。", f"下一条是“分论坛三：城市案例分享”的提醒，将于{at5('13:15', ZH)}发送。"),
        step(Press("/reminders off"), "提醒已关闭。"),
    ],
    "reminders-minutes": [
        step(Say("提醒 45"), "已保存。提醒已开启：议程开始前或实地考察出发前45分钟。"),
        step(Say("提醒 0"), "无法把“0”识别为提前时间。"),
    ],
    "reminders-off-on": [
        step(Say("关闭提醒"), "提醒已关闭。您的收藏和关注的分论坛都会保留"),
        step(Say("收藏 s2-roundtable"), "提醒已关闭；发送 /reminders on 可重新开启。"),
        step(Say("开启提醒"), "已保存。提醒已开启"),
    ],
    "digest": [
        step(Say("/digest"), "群发消息会在发出时送达您。"),
        step(Say("/digest 08:00"), "每天08:00（Asia/Shanghai）汇总一次"),
        step(Say("/digest off"), "群发消息将在发出时送达您。"),
    ],
    "venues": [
        step(Say("会场"), "会场", "越秀区六榕社区"),
        step(Press("/venue liurong"), "越秀区六榕社区", "地铁1号线西门口站", "高德地图", "百度地图", "苹果地图", "谷歌地图", "地图二维码",
             method="sendVenue"),
        step(Press("/venueqr liurong"), "用另一部手机扫描，即可打开越秀区六榕社区的地图", method="sendPhoto"),
    ],
    "where": [
        step(Say("我的下一场在哪"), "下一场在哪", "您选择的议程中没有即将开始的。"),
        step(Say("收藏 s2-roundtable"), "已加入您的日程"),
        step(Say("我的下一场在哪？"), "您的下一场：分论坛二圆桌讨论", "发送您的位置", "越秀区社会组织运营的社区关爱服务中心"),
    ],
    "feedback": [
        step(Say("反馈"), "您想评价哪场议程？", "分论坛二：城市案例分享"),
        step(Press("/feedback s2-cases"), "第1题，共2题：总体而言，您如何评价这场议程？"),
        step(Press("overall 5"), "已保存：5分（满分5分）。", "哪些内容对您最有用？"),
    ],
    "timezone": [
        step(Say("时区"), f"活动时间采用Asia/Shanghai时区（{gmt('Asia/Shanghai', ZH)}）。"),
        step(Say("时区 Europe/Madrid"), f"您的时区已设为Europe/Madrid（{gmt('Europe/Madrid', ZH)}）。"),
        step(Say("时区"), f"您的时区是Europe/Madrid（{gmt('Europe/Madrid', ZH)}），时间会同时按两个时区显示。"),
        step(Say("现在"), f"{span('10:00', '11:30', ZH)}（您当地时间{times('2025-06-05T10:00+08:00', '2025-06-05T11:30+08:00', ZH, zone=MADRID_ZONE)}）"),
        step(Say("时区 火星"), "“火星”不是可识别的时区。"),
        step(Say("时区 关闭"), "现在只按活动时区（Asia/Shanghai）显示时间。"),
    ],
}

LANGUAGES = (
    pytest.param("en", ENGLISH, id="en"),
    pytest.param("zh-hans", CHINESE, id="zh-hans"),
    pytest.param("zh-CN", {name: CHINESE[name] for name in ("start", "today", "programme", "search-paging", "myagenda", "reminders")}, id="zh-CN"),
)


def _last_with_buttons(calls: list[Call]) -> Call:
    for call in reversed(calls):
        if call.method in (SENT, EDITED) and buttons_of(call):
            return call
    raise AssertionError("no message with buttons to press")


async def run_row(telegram: Harness, language: str, steps: list[Step], user_id: int) -> None:
    """Play one row as its own delegate; an AssertionError names the failing step."""
    history: list[Call] = []
    for number, s in enumerate(steps, 1):
        if isinstance(s.action, Say):
            calls = await telegram.say(s.action.text, language=language, user_id=user_id)
        else:
            target = _last_with_buttons(history)
            data = next((d for label, d in buttons_of(target) if s.action.match in label or s.action.match in d), None)
            assert data is not None, f"step {number}: no button matching {s.action.match!r} in {buttons_of(target)}"
            message_id = target.result["message_id"]
            calls = await telegram.press(data, message_id=message_id, language=language, user_id=user_id)
            answers = [c for c in calls if c.method == "answerCallbackQuery"]
            assert len(answers) == 1, f"step {number}: the callback query was answered {len(answers)} times"
            if s.method == EDITED:
                edits = [c for c in calls if c.method == EDITED]
                assert edits and int(edits[0].params["message_id"]) == message_id, f"step {number}: not edited in place"
        replies = [c for c in calls if c.method != "answerCallbackQuery"]
        assert replies, f"step {number}: no reply"
        assert replies[0].method == s.method, f"step {number}: {replies[0].method}, expected {s.method}"
        assert all(int(c.params["chat_id"]) == user_id for c in replies), f"step {number}: a reply went to another chat"
        shown = plain(text_of(replies))
        for expected in s.expect:
            assert expected in shown, f"step {number}: {expected!r} not in:\n{shown}"
        history += calls


@pytest.mark.parametrize(("language", "rows"), LANGUAGES)
async def test_every_command_converses_through_the_bot_api(telegram: Harness, language: str, rows: dict[str, list[Step]]) -> None:
    """Every row, each as a new delegate with this language_code; all failing rows are reported."""
    failures = []
    for index, (name, steps) in enumerate(rows.items()):
        try:
            await run_row(telegram, language, steps, user_id=1000 + index)
        except AssertionError as exc:
            failures.append(f"[{language} {name}] {exc}")
    assert not failures, "\n\n".join(failures)


def test_the_table_covers_every_command_in_the_menu() -> None:
    """A command added to the router without a conversation row fails here."""
    from bot.router import Router
    from handlers import MODULES

    router = Router()
    for module in MODULES:
        module.register(router)
    said = {step.action.text.split()[0].lstrip("/") for steps in ENGLISH.values() for step in steps if isinstance(step.action, Say)}
    missing = {c.name for c in router.menu()} - said
    assert not missing, f"no conversation row for: {sorted(missing)}"
