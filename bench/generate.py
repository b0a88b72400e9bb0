"""Programmes of any size for the benchmarks, in the shipped file's format and style.

Sessions are spread over five days, in tracks of rooms; each has an English
and a Chinese title, a description of two to five sentences in both
languages, one to three speakers with roles and organisations, and every
25th is a site visit.  The text comes from a fixed vocabulary with a fixed
seed, so a given size always gives the same file.

    python bench/generate.py 1000 > /tmp/congress.yaml
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

DAYS = 5
STREAMS = 12
FIRST = dt.date(2025, 6, 3)

TOPICS = [
    ("digital twins", "数字孪生"), ("flood resilience", "防洪韧性"), ("public transport", "公共交通"),
    ("affordable housing", "可负担住房"), ("urban heat", "城市热岛"), ("citizen participation", "市民参与"),
    ("open data", "开放数据"), ("low-carbon energy", "低碳能源"), ("waste and recycling", "垃圾分类与回收"),
    ("green corridors", "绿色廊道"), ("community care", "社区关怀"), ("street design", "街道设计"),
    ("metro extensions", "地铁延伸"), ("cycling networks", "自行车网络"), ("smart lighting", "智慧照明"),
    ("water reuse", "水资源再利用"), ("informal settlements", "非正式住区"), ("ageing cities", "老龄化城市"),
    ("drone delivery", "无人机配送"), ("participatory budgets", "参与式预算"), ("air quality", "空气质量"),
    ("school streets", "校园街道"), ("night-time economy", "夜间经济"), ("heritage districts", "历史街区"),
]
CITIES = [
    ("Guangzhou", "广州"), ("Bogotá", "波哥大"), ("Barcelona", "巴塞罗那"), ("Montréal", "蒙特利尔"),
    ("São Paulo", "圣保罗"), ("Seoul", "首尔"), ("Durban", "德班"), ("Mexico City", "墨西哥城"),
    ("Tunis", "突尼斯"), ("Kazan", "喀山"), ("Bangkok", "曼谷"), ("Lisbon", "里斯本"),
    ("Dakar", "达喀尔"), ("Medellín", "麦德林"), ("Chengdu", "成都"), ("Quito", "基多"),
]
KINDS = ["presentation", "panel", "workshop", "roundtable", "stream_session", "seminar"]
FIRST_NAMES = ["Ana", "Li", "Jordi", "Amira", "Kwame", "Sofia", "Hiroshi", "Olga", "Mateo", "Fatou", "Jun", "Clara"]
LAST_NAMES = ["García", "Chen", "Vaquer", "Haddad", "Mensah", "Rossi", "Tanaka", "Petrova", "Silva", "Diop", "Park", "Moreau"]
ROLES = [("Deputy Mayor", "副市长"), ("Chief Digital Officer", "首席数字官"), ("Director of Planning", "规划局局长"),
         ("Researcher", "研究员"), ("Programme Manager", "项目经理"), ("Head of Mobility", "交通出行负责人")]
ORGS = [("Metropolis", "世界大都市协会"), ("UN-Habitat", "联合国人居署"), ("City Hall", "市政府"),
        ("Urban Lab", "城市实验室"), ("Transit Authority", "交通管理局"), ("University of Cities", "城市大学")]
SENTENCES = [
    ("{city} shows how {topic} changed the daily life of its residents, and what it cost.",
     "{city_zh}介绍{topic_zh}如何改变了居民的日常生活，以及为此付出的代价。"),
    ("The session compares {topic} in three districts and asks what other cities can borrow.",
     "本环节比较三个城区的{topic_zh}实践，探讨其他城市可以借鉴什么。"),
    ("Speakers from {city} and its partners explain the rules, budgets and partnerships behind {topic}.",
     "来自{city_zh}及其合作伙伴的发言人讲解{topic_zh}背后的规则、预算与合作机制。"),
    ("Delegates work in small groups on a case from {city} and report back to the room.",
     "代表们分组研究{city_zh}的案例，并向全场汇报。"),
    ("A short film opens the discussion; questions from the floor follow.",
     "讨论以一部短片开场，随后是现场提问。"),
    ("What began as a pilot in {city} is now an everyday public service for half a million people.",
     "{city_zh}最初的试点项目如今已成为惠及五十万人的日常公共服务。"),
    ("The facilitators close with the three lessons the group found most useful for {topic}.",
     "主持人最后总结小组认为对{topic_zh}最有用的三条经验。"),
]


def _yaml_text(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def programme_yaml(sessions: int, seed: int = 2025) -> str:
    """A valid programme of ``sessions`` sessions over five days."""
    rng = random.Random(seed)
    rooms = max(4, -(-sessions // (DAYS * 16)))
    out = [
        "# A generated congress programme for the benchmarks (bench/generate.py).",
        "event:",
        "  id: congress",
        "  name:",
        f"    en: World Congress of Cities ({sessions} sessions)",
        "    zh_Hans: 世界城市大会",
        "  timezone: Asia/Shanghai",
        f"  start_date: {FIRST}",
        f"  end_date: {FIRST + dt.timedelta(days=DAYS - 1)}",
        "  languages: [en, zh_Hans]",
        "  default_language: en",
        "  local_language: zh_Hans",
        "days:",
    ]
    for d in range(DAYS):
        out += [f"  - date: {FIRST + dt.timedelta(days=d)}", "    title:", f"      en: Congress day {d + 1}", f"      zh_Hans: 大会第{d + 1}天"]
    out.append("streams:")
    for n in range(1, STREAMS + 1):
        topic, topic_zh = TOPICS[n % len(TOPICS)]
        out += [f"  - id: st{n}", f"    number: {n}", "    title:", f"      en: Cities and {topic}", f"      zh_Hans: 城市与{topic_zh}"]
    out.append("venues:")
    for r in range(rooms):
        out += [
            f"  - id: room{r}",
            "    name:",
            f"      en: Room {r + 1}, congress centre, level {r % 4 + 1}",
            f"      zh_Hans: 会展中心{r % 4 + 1}层{r + 1}号厅",
            "    district:",
            "      en: Haizhu District",
            "      zh_Hans: 海珠区",
            f"    latitude: {23.09 + r * 0.0001:.4f}",
            f"    longitude: {113.36 + r * 0.0001:.4f}",
        ]
    out += ["  - id: gate", "    name:", "      en: Coach bay, north gate", "      zh_Hans: 北门大巴停靠点", "sessions:"]
    per_day = -(-sessions // DAYS)
    slots = max(1, -(-per_day // rooms))
    for i in range(sessions):
        day, index = divmod(i, per_day)
        slot, room = divmod(index, rooms)
        minutes = 8 * 60 + (slot * (11 * 60) // slots)
        start = dt.datetime.combine(FIRST + dt.timedelta(days=day), dt.time()) + dt.timedelta(minutes=minutes)
        end = start + dt.timedelta(minutes=rng.choice((30, 45, 60, 90)))
        if end.date() != start.date():
            end = start.replace(hour=23, minute=59)
        topic, topic_zh = rng.choice(TOPICS)
        city, city_zh = rng.choice(CITIES)
        visit = i % 25 == 0
        kind = "site_visit" if visit else rng.choice(KINDS)
        words = {"topic": topic, "topic_zh": topic_zh, "city": city, "city_zh": city_zh}
        chosen = rng.sample(SENTENCES, rng.randint(2, 5))
        out += [
            f"  - id: s{i:05d}",
            "    title:",
            f"      en: {_yaml_text(f'{city}: {topic} in practice ({i})')}",
            f"      zh_Hans: {city_zh}：{topic_zh}实践（{i}）",
            f"    kind: {kind}",
            f"    stream: st{i % STREAMS + 1}",
            f"    venue: room{room}",
            f"    start: {start:%Y-%m-%dT%H:%M}",
            f"    end: {end:%Y-%m-%dT%H:%M}",
            "    description:",
            f"      en: {_yaml_text(' '.join(s.format(**words) for s, _ in chosen))}",
            f"      zh_Hans: {''.join(z.format(**words) for _, z in chosen)}",
            "    speakers:",
        ]
        for _ in range(rng.randint(1, 3)):
            role, role_zh = rng.choice(ROLES)
            org, org_zh = rng.choice(ORGS)
            out += [
                f"      - name: {rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                f"        role: {{en: {role}, zh_Hans: {role_zh}}}",
                f"        organisation: {{en: {org}, zh_Hans: {org_zh}}}",
                f"        city: {{en: {city}, zh_Hans: {city_zh}}}",
            ]
        if visit:
            departure = start - dt.timedelta(minutes=30)
            out += ["    site_visit:", "      meeting_point: gate", f"      departure: {departure:%Y-%m-%dT%H:%M}", "      capacity: 40"]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.stdout.write(programme_yaml(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))


#: The real FOSDEM 2025 schedule (frab XML), where ../shared is beside the project; benchmarks skip it otherwise.
FOSDEM = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "schedules" / "fosdem-2025.xml"


def fosdem_yaml(path: Path = FOSDEM) -> str:
    """FOSDEM 2025 (943 events, 80 rooms, 2 days, Europe/Brussels) converted to this format: long English abstracts."""
    import html
    import json
    import re
    import xml.etree.ElementTree as ET

    root = ET.parse(path).getroot()
    conference = root.find("conference")
    assert conference is not None
    text = lambda s: json.dumps(s, ensure_ascii=False)  # noqa: E731 - a JSON string is a YAML double-quoted scalar
    tracks: dict[str, int] = {}
    rooms: dict[str, int] = {}
    events = root.iter("event")
    sessions: list[str] = []
    for event in events:
        track = event.findtext("track") or "General"
        room = event.findtext("room") or "Unknown room"
        tracks.setdefault(track, len(tracks) + 1)
        rooms.setdefault(room, len(rooms) + 1)
        start = dt.datetime.fromisoformat(event.findtext("date") or "")
        hours, minutes = map(int, (event.findtext("duration") or "00:05").split(":"))
        end = start + max(dt.timedelta(hours=hours, minutes=minutes), dt.timedelta(minutes=5))
        abstract = re.sub(r"<[^>]+>", " ", html.unescape(event.findtext("abstract") or ""))
        abstract = re.sub(r"\s+", " ", abstract).strip()
        sessions += [
            f"  - id: f{event.get('id')}",
            f"    title: {text(event.findtext('title') or 'Untitled')}",
            "    kind: presentation",
            f"    stream: t{tracks[track]}",
            f"    venue: r{rooms[room]}",
            f"    start: {start.isoformat()}",
            f"    end: {end.isoformat()}",
        ]
        if abstract:
            sessions.append(f"    description: {text(abstract)}")
        persons = [p.text for p in event.iter("person") if p.text]
        if persons:
            sessions.append("    speakers:")
            sessions += [f"      - name: {text(name)}" for name in persons]
    out = [
        "# FOSDEM 2025 converted from its frab XML by bench/generate.py (for the benchmarks only).",
        "event:",
        "  id: fosdem2025",
        f"  name: {text(conference.findtext('title') or 'FOSDEM')}",
        f"  timezone: {conference.findtext('time_zone_name')}",
        f"  start_date: {conference.findtext('start')}",
        f"  end_date: {conference.findtext('end')}",
        "streams:",
    ]
    for title, number in tracks.items():
        out += [f"  - id: t{number}", f"    number: {number}", f"    title: {text(title)}"]
    out.append("venues:")
    for name, number in rooms.items():
        out += [f"  - id: r{number}", f"    name: {text(name)}"]
    out.append("sessions:")
    return "\n".join(out + sessions) + "\n"
