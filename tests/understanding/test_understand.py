"""Plain words, with typos, in any shipped language, read as the command that answers them; and the explanation."""

from __future__ import annotations

import datetime as dt
import functools

import pytest

from bot.programme import Agenda
from bot.understanding.phrases import PhraseError, load, phrases
from bot.understanding.understand import Understanding
from tests.conftest import PROGRAMME, SEMINAR, ROOT, shipped

TAGS = ("en", "zh_Hans", "zh_Hant", "es", "fr", "pt", "ar", "ru", "ko")
THURSDAY = dt.date(2025, 6, 5)


@functools.cache
def reader(path=PROGRAMME) -> Understanding:  # type: ignore[no-untyped-def]
    return Understanding(Agenda(shipped(path)), phrases(), TAGS)


def line(text: str, today: dt.date = THURSDAY) -> str | None:
    meaning = reader().understand(text, today)
    return meaning.line if meaning is not None else None


def same(text: str, expected: str, today: dt.date = THURSDAY) -> bool:
    """Whether ``text`` is read as ``expected``, by meaning ("/stream 2" is "/stream s2")."""
    from bot.router import Router
    from bot.understanding.evaluation import Canon
    from handlers import register_all

    router = Router()
    register_all(router)
    got = line(text, today)
    return got is not None and Canon(reader().agenda, reader(), today, router.resolve)(got) == Canon(reader().agenda, reader(), today, router.resolve)(expected)


@pytest.mark.parametrize(
    "text, expected",
    [
        # every example the issue saw answered with "Sorry, I did not understand"
        ("where is lunch", "/info meals"),
        ("when does the bus leave", "/departure"),
        ("who is speaking", "/speakers"),
        ("wifi password", "/info wifi"),
        ("good morning", "/hello"),
        ("thanks", "/thanks"),
        ("how do I get to Liurong", "/venue liurong"),
        ("what time is the panel", "/session panel"),
        ("tdoay", "/today"),
        ("tommorow", "/day tomorrow"),
        ("nxt", "/next"),
        ("第三天", "/day 2025-06-05"),
        ("明天有什么", "/day 2025-06-06"),
        ("午餐在哪里", "/info meals"),
        ("大巴几点出发", "/departure"),
        ("谁在发言", "/speakers"),
        ("联系方式", "/info contact"),
        # the lookups with their arguments
        ("what's on tomorrow morning", "/day 2025-06-06 morning"),
        ("stream 2 on Thursday", "/stream s2 2025-06-05"),
        ("明天下午有什么", "/day 2025-06-06 afternoon"),
    ],
)
def test_the_issues_examples_are_each_answered(text: str, expected: str) -> None:
    assert line(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("day ２", "/day 2025-06-04"),  # a full-width digit
        ("分论坛２", "/stream 2"),
        ("２号分论坛明天", "/stream s2 2025-06-06"),
        ("stream two", "/stream 2"),
        ("day three", "/day 2025-06-05"),
        ("分论坛三明天", "/stream s3 2025-06-06"),
    ],
)
def test_numbers_in_words_and_full_width_digits(text: str, expected: str) -> None:
    assert same(text, expected), line(text)


@pytest.mark.parametrize("text", [
    "what's on the last day", "last day programme", "最后一天有什么安排", "最後一天的議程", "qué hay el último día",
    "programme du dernier jour", "что в последний день", "마지막 날 일정", "برنامج اليوم الأخير", "agenda do último dia",
])
def test_the_last_day_of_the_event_in_every_language(text: str) -> None:
    last = reader().agenda.dates()[-1]
    assert same(text, f"/day {last.isoformat()}")


def test_the_first_day_is_the_events_not_today() -> None:
    first = reader().agenda.dates()[0]
    assert same("what's on the first day", f"/day {first.isoformat()}")
    assert same("首日议程", f"/day {first.isoformat()}")
    assert same("second day", f"/day {reader().agenda.dates()[1].isoformat()}")


def test_word_order_and_extra_words_are_forgiven() -> None:
    assert line("tomorrow afternoon what's on") == "/day 2025-06-06 afternoon"
    assert line("can you tell me please where is lunch") == "/info meals"
    assert line("请问一下午餐在哪里呀") == "/info meals"


def test_a_word_of_the_practical_information_inside_a_question_names_its_topic() -> None:
    assert line("is there wifi in the hotel") == "/info wifi"  # the hotel is where, the Wi-Fi is what
    assert line("can i use my credit card") == "/info payment"


def test_a_session_named_ambiguously_is_searched_or_narrowed_by_the_day_or_stream() -> None:
    assert line("when is the roundtable") == "/search roundtable"
    assert line("stream 3 roundtable when") == "/session s3-roundtable"
    assert line("when is lunch") == "/info meals"  # two sessions called Lunch: the meals entry answers


def test_the_exact_venue_phrase_does_not_catch_what_names_no_venue() -> None:
    assert line("where is lunch") == "/info meals"
    assert line("how do i get to the digital twin centre visit") == "/directions s1-visit"
    assert line("where is the bus point") == "/venue bus-point"


def test_nonsense_is_not_read_as_anything() -> None:
    assert line("qwertyuiop") is None
    assert line("this is no longer the broadcast text") is None


def test_the_explanation_names_the_rule_the_entry_and_the_score() -> None:
    meaning = reader().understand("whats on tmrw morning", THURSDAY)
    assert meaning is not None
    explained = meaning.explain()
    assert "understood: /day 2025-06-06 morning (score 100)" in explained
    assert "slot day: 'tmrw' -> 2025-06-06 (days.relative)" in explained
    assert "slot part: 'morning' -> morning (parts_of_day)" in explained
    assert "en questions.'day {day} {part}'" in explained
    typo = reader().understand("wifii", THURSDAY)
    assert typo is not None and "typo: 'wifii' -> 'wifi'" in typo.explain() and "info wifi" in typo.explain()


def test_another_programme_brings_its_own_sessions_and_no_practical_information() -> None:
    seminar = reader(SEMINAR)
    meaning = seminar.understand("when is beyond smart city", dt.date(2023, 11, 6))
    assert meaning is not None and meaning.line == "/session seminar-3", meaning
    wifi = seminar.understand("wifi password", dt.date(2023, 11, 6))
    assert wifi is None or wifi.command != "info"


def test_a_question_with_braces_its_command_lacks_is_refused_with_its_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "locales" / "xx"
    folder.mkdir(parents=True)
    (folder / "phrases.toml").write_text('spaces_between_words = true\n[questions]\n"day {day}" = ["what is on {part}"]\n', encoding="utf-8")
    with pytest.raises(PhraseError) as raised:
        load(tmp_path / "locales")
    assert "phrases.toml: questions.\"day {day}\"" in str(raised.value) and "{day}" in str(raised.value)


def test_every_language_has_questions_parts_of_the_day_and_filler() -> None:
    import tomllib

    for tag in TAGS:
        data = tomllib.loads((ROOT / "locales" / tag / "phrases.toml").read_text(encoding="utf-8"))
        assert data.get("questions") and data.get("parts_of_day") and data.get("ask", {}).get("filler"), tag


@pytest.mark.parametrize("tag", TAGS)
def test_the_examples_the_greeting_gives_are_understood_in_their_language(tag: str) -> None:
    """The greeting suggests three questions in the reader's language: each is read as what it asks."""
    from bot.i18n import Catalogs
    from bot.resources import resource_dir
    from tests.test_catalogs import QUOTED

    message = ("Ask me anything about the programme in plain words, such as \"what's on now\", "
               "\"where is lunch\" or \"wifi\", or pick below.")
    translated = Catalogs.load(resource_dir("locales")).get(tag).translations.gettext(message)
    examples = ["".join(groups) for groups in QUOTED.findall(translated)]
    assert len(examples) == 3, (tag, translated)
    readings = [line(example) for example in examples]
    assert readings[0] == "/now" and readings[1] == "/info meals" and readings[2] == "/info wifi", (tag, examples, readings)
