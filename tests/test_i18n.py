"""Negotiation, the script of a first message, CLDR formatting in each language, right to left, Traditional Chinese.

Expected values come from the project's own formatting functions
(``tests/formats.py``), never from one CLDR version's literal output, and
keep CLDR's narrow no-break spaces and bidi marks: the checks look for
them as they are instead of stripping them.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import i18n
from bot.i18n import FSI, PDI, RLM, Catalogs, Localizer, directed, language_of_script, negotiate
from bot.programme.model import derived_from, localized
from bot.resources import resource_dir
from tests.conftest import PROGRAMME, ROOT, SEMINAR, Chat, at, make_core
from tests.formats import day, time, times

SHIPPED = ("en", "zh_Hans", "zh_Hant", "es", "fr", "pt", "ar", "ru", "ko")
SHANGHAI = ZoneInfo("Asia/Shanghai")
AUCKLAND = ZoneInfo("Pacific/Auckland")


# -- negotiation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hint", "tag"),
    [
        # Telegram's language_code
        ("pt-br", "pt"), ("zh-hans", "zh_Hans"), ("zh-hant", "zh_Hant"), ("zh-TW", "zh_Hant"), ("zh-HK", "zh_Hant"),
        ("es-419", "es"), ("es", "es"), ("fr", "fr"), ("fr-CA", "fr"), ("ar", "ar"), ("ar-EG", "ar"), ("ru", "ru"),
        ("ko", "ko"), ("en-GB", "en"), ("pt-PT", "pt"),
        # WeChat's user language
        ("zh_CN", "zh_Hans"), ("zh_TW", "zh_Hant"), ("zh_HK", "zh_Hant"), ("en", "en"),
        # nothing we ship
        ("de", None), ("ja", None), ("uk", None), ("", None), ("??", None),
    ],
)
def test_each_platform_tag_reaches_its_language(hint: str, tag: str | None) -> None:
    assert negotiate(hint, SHIPPED) == tag


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("今天", "zh_Hans"), ("明天有什么", "zh_Hans"), ("時區", "zh_Hant"), ("我的議程", "zh_Hant"),
        ("오늘", "ko"), ("다음 일정", "ko"), ("сегодня", "ru"), ("что дальше?", "ru"), ("اليوم", "ar"), ("ما التالي؟", "ar"),
        # Latin script names no language; Japanese kana, Ukrainian and Persian letters are not ours
        ("today", None), ("hoy", None), ("search 首尔", None), ("こんにちは", None), ("привіт", None), ("سلام چطوری", None),
        ("", None), ("2", None),
    ],
)
def test_the_script_of_a_message_names_its_language(text: str, tag: str | None) -> None:
    assert language_of_script(text) == tag


@pytest.mark.parametrize(("text", "tag"), [("今天", "zh_Hans"), ("오늘", "ko"), ("сегодня", "ru"), ("اليوم", "ar")])
async def test_a_first_message_in_a_script_picks_the_language_until_the_delegate_chooses(core, text: str, tag: str) -> None:
    chat = Chat(core, user=f"script-{tag}")
    assert day("2025-06-05", tag) in await chat.say(text)
    record = await core.users.find(chat.ref)
    assert record is not None and record.locale is None and record.language_hint == tag  # a hint, not a choice
    assert day("2025-06-05", tag) in await chat.say("/today")  # and it stays
    await chat.say("/lang en")
    assert day("2025-06-05") in await chat.say(text)  # the choice wins


async def test_a_platform_hint_wins_over_the_script(core) -> None:
    assert day("2025-06-05", "es") in await Chat(core, user="es-writing-chinese", language="es").say("今天")


async def test_lang_lists_each_language_in_its_own_name_and_reads_names(core) -> None:
    chat = Chat(core)
    await chat.say("/lang")
    (choices,) = chat.replies
    labels = [c.label.removesuffix(" ✓") for c in choices.options]
    assert labels[:2] == ["English", "简体中文"]  # the event's languages first
    assert set(labels) == {"English", "简体中文", "繁體中文", "Español", "Français", "Português", "العربية", "Русский", "한국어"}
    for name, tag in [("español", "es"), ("Spanish", "es"), ("繁體中文", "zh_Hant"), ("zh-TW", "zh_Hant"), ("pt-BR", "pt"), ("한국어", "ko")]:
        await chat.say(f"/lang {name}")
        assert (await core.users.find(chat.ref)).locale == tag, name


# -- formatting ----------------------------------------------------------------------


def with_locale(tag: str):  # type: ignore[no-untyped-def]
    return i18n.use(Catalogs.load(resource_dir("locales")).get(tag))


def test_times_keep_cldrs_narrow_no_break_and_thin_spaces() -> None:
    start, end = at("2025-06-05T10:00"), at("2025-06-05T11:30")
    with with_locale("en"):
        shown = i18n.format_time_range(start, end, SHANGHAI)
    assert "\u202f" in shown or "\u2009" in shown  # CLDR's own spacing, kept for the reader
    assert shown == i18n._time_range(start, end, SHANGHAI, "en")


@pytest.mark.parametrize("tag", SHIPPED)
def test_every_language_formats_days_times_lists_and_numbers(tag: str) -> None:
    with with_locale(tag):
        assert i18n.format_day(dt.date(2025, 6, 5))
        assert "10" in i18n.format_time_range(at("2025-06-05T10:00"), at("2025-06-05T11:30"), SHANGHAI)
        assert i18n.format_date_range(dt.date(2025, 6, 3), dt.date(2025, 6, 7))
        assert i18n.format_list(["A", "B", "C"]).count("A") == 1 and "C" in i18n.format_list(["A", "B", "C"])
        assert i18n.format_in(dt.timedelta(minutes=15))
        assert i18n.format_datetime(at("2025-06-05T10:00"), SHANGHAI)


def test_traditional_chinese_programme_times_are_on_the_24_hour_clock() -> None:
    """CLDR writes "上午10:00" there, which babel cannot put in an interval: programme times read 10:00–11:30."""
    assert time("2025-06-05T14:00", "zh_Hant") == time("2025-06-05T14:00", "zh_Hans")
    assert "下午" not in time("2025-06-05T14:00", "zh_Hant") and "14" in time("2025-06-05T14:00", "zh_Hant")
    assert "14" in times("2025-06-05T14:00", "2025-06-05T15:30", "zh_Hant")


def test_in_fifteen_minutes_and_tomorrow_at_nine_never_in_1379_minutes() -> None:
    from handlers.views import moment

    class Ctx:  # the three things moment() reads
        def __init__(self, now: dt.datetime) -> None:
            from bot.programme import Agenda
            from tests.conftest import shipped

            self.now, self.agenda, self.user = now, Agenda(shipped(PROGRAMME)), None
            self.today = self.agenda.local_date(now)

        @property
        def programme(self):  # type: ignore[no-untyped-def]
            return self.agenda.programme

    for tag in SHIPPED:
        with with_locale(tag):
            soon = moment(Ctx(at("2025-06-05T09:00")), at("2025-06-05T09:15"))
            assert i18n.format_in(dt.timedelta(minutes=15)) in soon and i18n.format_time(at("2025-06-05T09:15"), SHANGHAI) in soon
            tomorrow = moment(Ctx(at("2025-06-04T09:01")), at("2025-06-05T09:00"))
            assert "1379" not in tomorrow and i18n.format_time(at("2025-06-05T09:00"), SHANGHAI) in tomorrow
            later_today = moment(Ctx(at("2025-06-05T09:00")), at("2025-06-05T15:00"))
            assert i18n.format_in(dt.timedelta(minutes=360)) not in later_today
            other_day = moment(Ctx(at("2025-06-03T09:00")), at("2025-06-06T09:00"))
            assert i18n.format_day(dt.date(2025, 6, 6)) in other_day
    with with_locale("en"):
        assert moment(Ctx(at("2025-06-04T09:01")), at("2025-06-05T09:00")).startswith("tomorrow at ")


async def test_the_auckland_delegate_sees_their_own_tuesday(tmp_path: Path) -> None:
    """Seminar 1 is Monday 20:30 in Guangzhou: Tuesday 01:30 in Auckland, and the reply says Tuesday."""
    core = await make_core(tmp_path, at("2023-11-06T12:00"), programme=SEMINAR)
    try:
        chat = Chat(core, language="en")
        await chat.say("/timezone Pacific/Auckland")
        out = await chat.say("/session seminar-1")
        start, end = dt.datetime(2023, 11, 6, 20, 30, tzinfo=SHANGHAI), dt.datetime(2023, 11, 6, 22, 0, tzinfo=SHANGHAI)
        own = f"{day('2023-11-07')}, {times(start, end, zone=AUCKLAND)} your time"
        assert f"{day('2023-11-06')}, {times(start, end)} ({own})" in out
        assert own in await chat.say("/day 1")
        # in Chinese too
        await chat.say("/lang zh_Hans")
        assert f"您当地时间{day('2023-11-07', 'zh_Hans')} {times(start, end, 'zh_Hans', zone=AUCKLAND)}" in await chat.say("/session seminar-1")
    finally:
        await core.close()


# -- right to left -------------------------------------------------------------------


def test_arabic_lines_read_right_to_left_with_latin_names_isolated() -> None:
    line = directed("الجلسة: Stream 2 roundtable.", "ar")
    assert line == f"{RLM}الجلسة: {FSI}Stream 2 roundtable{PDI}."  # the full stop stays after the name
    assert directed(line, "ar") == line  # twice is once
    assert directed("أرسل /reminders on الآن", "ar") == f"{RLM}أرسل {FSI}/reminders on{PDI} الآن"
    assert directed("Stream 2.", "en") == "Stream 2."  # left-to-right languages are left alone
    cldr = i18n.babel_dates.format_date(dt.date(2025, 6, 5), "short", locale="ar")
    assert directed(cldr, "ar").endswith(cldr)  # CLDR's own bidi marks are kept


async def test_arabic_replies_are_directed_end_to_end(core) -> None:
    chat = Chat(core, language="ar")
    await chat.say("/today")
    (reply,) = chat.replies
    assert reply.body.startswith(RLM) and all(o.label.startswith(RLM) for o in reply.options)
    assert any(FSI + "Stream 2" in o.label for o in reply.options)
    assert all(o.payload.startswith("/session ") for o in reply.options)  # payloads are commands, never directed


# -- Traditional Chinese content -----------------------------------------------------


def test_traditional_chinese_is_derived_from_simplified_and_marked() -> None:
    value = {"en": "Stream 2 site visit", "zh_Hans": "分论坛二实地考察：越秀区六榕社区"}
    text = localized(value, "zh_Hant")
    assert text == "分論壇二實地考察：越秀區六榕社區" and derived_from(text) == "zh_Hans"
    assert derived_from(localized(value, "zh_Hans")) is None
    assert localized({"en": "x", "zh_Hant": "時區"}, "zh_Hant") == "時區"  # written, not derived
    assert localized(value, "fr") == "Stream 2 site visit"  # no French: the event's default


def test_yaml_line_folding_leaves_no_space_between_chinese_characters() -> None:
    assert localized({"zh_Hans": "改善公共服务、 惠及弱势群体，\n让城市"}, "zh_Hans") == "改善公共服务、惠及弱势群体，让城市"
    assert localized({"zh_Hans": "使用 Civitas Novus 方法"}, "zh_Hans") == "使用 Civitas Novus 方法"


async def test_a_traditional_chinese_reader_is_told_the_text_was_converted(core) -> None:
    chat = Chat(core, language="zh-TW")
    out = await chat.say("/session s2-liurong")
    assert "越秀區六榕社區" in out and "由簡體中文自動轉換" in out
    # Traditional words find the Simplified text: Seoul presents in streams 1 and 3
    search = await chat.say("搜尋 首爾")
    assert "分論壇一：城市案例分享" in search and "分論壇三：城市案例分享" in search


# -- validate --strict ---------------------------------------------------------------


def _validate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", "validate", *args], capture_output=True, text=True, cwd=ROOT)


def test_the_shipped_programme_has_every_title_in_english_and_simplified_chinese() -> None:
    result = _validate("--strict", str(PROGRAMME))
    assert result.returncode == 0, result.stdout
    assert _validate("--strict", str(SEMINAR)).returncode == 0


def test_validate_strict_lists_missing_texts_per_language_with_their_place(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "event: {id: x, name: {en: X, zh_Hans: 十}, timezone: UTC, start_date: 2025-01-01, end_date: 2025-01-01,\n"
        "        languages: [en, zh_Hans, zh_Hant, fr], default_language: en}\n"
        "sessions:\n"
        "  - id: a\n"
        "    title: {en: A, zh_Hans: 甲}\n"
        "    kind: plenary\n"
        "    start: 2025-01-01T09:00\n"
        "    end: 2025-01-01T10:00\n"
        "    speakers: [{name: Ana Pérez, role: Mayor}]\n",
        encoding="utf-8",
    )
    assert _validate(str(path)).returncode == 0  # without --strict a missing translation is no error
    result = _validate("--strict", str(path))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert f"{path}:1:22: fr: event.name has no text in this language (en is shown)" in lines
    assert f"{path}:5:12: fr: session 'a' title has no text in this language (en is shown)" in lines
    assert f"{path}:9:40: zh_Hans: session 'a' speakers[0].role has no text in this language (en is shown)" in lines
    assert not any("zh_Hant:" in line and "title" in line for line in lines)  # derived from Simplified
    assert not any(".name has" in line and "speakers" in line for line in lines)  # people's names are not translated
    assert f"{path}:9:40: zh_Hant: session 'a' speakers[0].role has no text in this language (en is shown)" in lines
    assert lines[-1] == "fr: 3 missing; zh_Hans: 1 missing; zh_Hant: 1 missing"


def test_every_translated_field_of_the_model_is_checked_or_is_a_name() -> None:
    """A LocalizedText field added to the model must be listed for --strict (or be a person's name)."""
    import typing

    from bot.programme import model
    from bot.programme.loader import TRANSLATED_FIELDS

    names = {(model.Speaker, "name"), (model.Presenter, "speaker")}
    for cls in vars(model).values():
        if isinstance(cls, type) and issubclass(cls, model._Frozen) and cls is not model._Frozen:
            for field, info in cls.model_fields.items():
                localized_field = "_non_empty_text" in repr(info.metadata) + repr(typing.get_args(info.annotation))
                if localized_field and (cls, field) not in names:
                    assert field in TRANSLATED_FIELDS.get(cls, ()), f"{cls.__name__}.{field}"


def test_catalog_names_are_their_languages_own() -> None:
    assert [Localizer(t).display_name for t in SHIPPED] == [
        "English", "简体中文", "繁體中文", "Español", "Français", "Português", "العربية", "Русский", "한국어"]
    assert Localizer("es").name_in_text == "español" and Localizer("zh_Hant").name_in_text == "繁體中文"
