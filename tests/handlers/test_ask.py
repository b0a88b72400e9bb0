"""Asking in plain words: practical information, search that says what matched, who is speaking, my departure, my agenda."""

from __future__ import annotations

from pathlib import Path

from bot.programme import ProgrammeError, parse_programme
from tests.conftest import PROGRAMME, SEMINAR, Chat, at, make_core


async def test_info_lists_the_topics_and_answers_one_in_english_and_chinese(core) -> None:  # type: ignore[no-untyped-def]
    chat = Chat(core)
    out = await chat.say("/info")
    assert "Practical information" in out and "Wi-Fi" in out and "Contact the organisers" in out
    wifi = await chat.say("wifi password")
    assert "*** Wi-Fi ***" in wifi and "registration desk" in wifi and "This is still to be confirmed by the organisers." in wifi
    contact = await chat.say("contact the organisers")
    assert "info@guangzhouaward.org" in contact and "still to be confirmed" not in contact  # the documents say it
    zh = Chat(core, user="li", language="zh-CN")
    answer = await zh.say("wifi密码是多少")
    assert "无线网络" in answer and "注册台" in answer and "此信息尚待主办方确认。" in answer
    assert "info@guangzhouaward.org" in await zh.say("怎么联系主办方")


async def test_search_shows_the_city_and_initiative_that_matched(tmp_path: Path) -> None:
    core = await make_core(tmp_path, at("2023-11-06T10:00"), programme=SEMINAR)
    try:
        out = await Chat(core).say("/search Kampala")
        assert "Seminar 3: Beyond smart city" in out
        assert "↳ Kampala, Uganda: An innovation for pit-emptying services using a GIS-enabled application" in out
    finally:
        await core.close()


async def test_search_matches_whole_words_in_latin_scripts_and_substrings_in_chinese(core) -> None:  # type: ignore[no-untyped-def]
    chat = Chat(core)
    metro = await chat.say("/search metro")
    assert "Metropolis" not in metro and "Introductory session" not in metro  # Jordi Vaquer is of Metropolis
    assert "Airport and transfers" in metro  # "Metro Line 3" in its answer
    assert "Introductory session" in await chat.say("/search metropolis")
    assert "分论坛二：城市案例分享" in await Chat(core, user="li", language="zh-CN").say("搜索 波哥")


async def test_search_finds_the_lunch_in_a_day_note_and_the_meals_entry(core) -> None:  # type: ignore[no-untyped-def]
    out = await Chat(core).say("/search lunch")
    assert "Day 3: Streams 2 and 3" in out and "lunch is served at the hotel between them" in out
    assert "Practical information: Meals" in out
    assert out.index("Lunch") < out.index("Day 3")  # the sessions called Lunch rank first


async def test_a_long_query_is_answered_in_one_short_message_that_echoes_it_once(core) -> None:  # type: ignore[no-untyped-def]
    chat = Chat(core)
    query = "Bogotá " + "x" * 15_000
    out = await chat.say(query)
    assert len(chat.replies) == 1 and len(out) < 1500
    assert len(out.splitlines()[0]) < 60 and "x" * 60 not in out  # the title echoes it, shortened, and nothing else does
    searched = await chat.say("/search " + "lunch " * 3000)
    assert len(chat.replies) == 1 and len(searched) < 3000 and len(searched.splitlines()[0]) < 60


async def test_nothing_found_offers_the_closest_and_the_organisers(core) -> None:  # type: ignore[no-untyped-def]
    chat = Chat(core)
    out = await chat.say("/search Bogta")
    assert "Nothing in the programme matches that." in out and "info@guangzhouaward.org" in out
    assert any(c.payload == "/search bogota" for c in chat.replies[-1].options)
    assert any(c.payload == "/info" for c in chat.replies[-1].options)


async def test_who_is_speaking_names_the_people_of_what_is_on(tmp_path: Path) -> None:
    core = await make_core(tmp_path, at("2025-06-04T10:00"))  # the panel discussion
    try:
        chat = Chat(core)
        out = await chat.say("who is speaking")
        assert "Panel discussion" in out and "Agnès Bickart" in out
        assert "Jordi Vaquer" in await chat.say("who is speaking at the opening")
        cities = await chat.say("/speakers s2-cases")
        assert "Bogotá (Claudia Patricia Silva Yepes)" in cities
    finally:
        await core.close()


async def test_when_my_bus_leaves_is_the_departure_of_the_visit_i_joined(core) -> None:  # type: ignore[no-untyped-def]
    chat = Chat(core)
    assert "You have not joined a site visit" in await chat.say("when does my bus leave")
    await chat.say("/join s3-visit-transport")
    out = await chat.say("when does my bus leave")
    assert '"Stream 3 site visit: smart transport control centre": the group leaves from Bus departure point' in out
    assert "Name badge, comfortable shoes, water" in out
    zh = await Chat(core, user="alice", language="zh-CN").say("大巴几点出发")
    assert "智慧交通指挥中心" in zh


async def test_greetings_and_thanks_get_a_friendly_answer(core) -> None:  # type: ignore[no-untyped-def]
    chat = Chat(core)
    assert "Good morning!" in await chat.say("good morning")  # 10:00 in Guangzhou
    assert "You're welcome!" in await chat.say("thanks")
    assert "不客气" in await Chat(core, user="li", language="zh-CN").say("谢谢")
    assert "de nada" in (await Chat(core, user="ana", language="es").say("gracias")).casefold()


async def test_my_agenda_lists_the_sessions_of_followed_streams_and_joined_visits_by_day(core) -> None:  # type: ignore[no-untyped-def]
    chat = Chat(core)
    await chat.say("/subscribe 2")
    await chat.say("/join s3-visit-transport")
    out = await chat.say("my agenda")
    assert "Stream 2 site visit: Liurong community" in out and "Stream 2 roundtable" in out
    assert "Stream 3 site visit: smart transport control centre" in out and "Streams you follow: Stream 2" in out


async def test_a_part_of_the_day_and_a_stream_on_a_day(core) -> None:  # type: ignore[no-untyped-def]
    chat = Chat(core)
    afternoon = await chat.say("what's on this afternoon")
    assert "Stream 3: use-case presentations" in afternoon and "Stream 2 site visit" not in afternoon
    stream = await chat.say("stream 2 on thursday")
    assert "Liurong" in stream and "Introductory" not in stream


async def test_the_debug_flag_shows_how_free_text_was_read(tmp_path: Path) -> None:
    import io

    from bot.app import build_core
    from bot.channels.console import ConsoleChannel
    from bot.clock import ManualClock
    from bot.config import Settings
    from tests.conftest import shipped

    settings = Settings.from_env({"BOT_DEBUG_UNDERSTANDING": "1"}, programme=PROGRAMME, db=tmp_path / "bot.sqlite3")
    assert settings.debug_understanding
    core = await build_core(settings, ManualClock(at("2025-06-05T10:00")), programme=shipped(PROGRAMME))
    try:
        out = io.StringIO()
        console = ConsoleChannel(core.ports(), core.wakeups, "local", out=out)

        async def lines():  # type: ignore[no-untyped-def]
            for text in ("where is lunch", "/today"):
                yield text

        await console.run(lines())
        shown = out.getvalue()
        assert "understood: /info meals (score 100)" in shown and "question: info meals 'where is lunch'" in shown
        assert shown.count("understood:") == 1  # a command typed is not explained
    finally:
        await core.close()


def test_validate_checks_the_practical_information() -> None:
    text = PROGRAMME.read_text(encoding="utf-8")
    bad = text.replace("    venue: hotel\n    tbc: true\n  - id: meals", "    venue: nowhere\n    tbc: true\n  - id: meals", 1)
    bad = bad.replace("  - id: dress-code\n", "  - id: wifi\n", 1)
    bad = bad.replace("zh_Hans: [午餐, 午饭,", "zh_Hans: [午餐, 无线网, 午饭,", 1)
    try:
        parse_programme(bad, "p.yaml")
    except ProgrammeError as exc:
        messages = [str(p) for p in exc.problems]
    else:
        raise AssertionError("the programme should not validate")
    assert any("info entry 'wifi' names unknown venue 'nowhere'" in m and m.startswith("p.yaml:") for m in messages), messages
    assert any("duplicate info entry id 'wifi'" in m for m in messages), messages
    assert any("info entry 'meals': the question '无线网' is also one of 'wifi''s" in m for m in messages), messages
    line, column = next(m for m in messages if "unknown venue 'nowhere'" in m).split(":")[1:3]
    assert text.splitlines()[int(line) - 1].strip().startswith("venue:") and int(column) > 1


async def test_each_example_the_issue_saw_misunderstood_gets_its_answer(core) -> None:  # type: ignore[no-untyped-def]
    """Through the whole core, as a new delegate: no "did not understand", and the answer each asks for."""
    from tests.formats import time

    expected = {
        "where is lunch": "*** Meals ***",
        "when does the bus leave": "the group leaves from Bus departure point",
        "who is speaking": "Stream 2 site visit: Liurong community",  # on at 10:00 on 5 June
        "wifi password": "*** Wi-Fi ***",
        "good morning": "Good morning!",
        "thanks": "You're welcome!",
        "how do I get to Liurong": "📍 Liurong community",
        "what time is the panel": "*** Panel discussion ***",
        "tdoay": "Day 3: Streams 2 and 3",
        "tommorow": "Day 4: Civitas Novus",
        "nxt": "Stream 2 roundtable",
        "第三天": "第3天：分论坛二与分论坛三",
        "明天有什么": "第4天：",
        "午餐在哪里": "*** 用餐 ***",
        "大巴几点出发": f"考察团将于{time('2025-06-05T14:50', 'zh_Hans')}从",
        "谁在发言": "分论坛二实地考察：越秀区六榕社区",
        "联系方式": "info@guangzhouaward.org",
    }
    for number, (question, answer) in enumerate(expected.items()):
        out = await Chat(core, user=f"new-{number}").say(question)
        assert "did not understand" not in out and "不明白" not in out, (question, out)
        assert answer in out, (question, out)


async def test_an_unknown_topic_or_session_is_echoed_on_one_short_line(core) -> None:  # type: ignore[no-untyped-def]
    chat = Chat(core)
    topic = await chat.say("/info " + "parking\n" * 40)
    assert "I have no practical information on \"parking parking" in topic and "parking\nparking" not in topic
    assert topic.count("parking") < 12 and "…" in topic
    who = await chat.say("/speakers " + "zzzz " * 100)
    assert "Nothing in the programme matches" in who and who.count("zzzz") < 12
