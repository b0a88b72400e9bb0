"""The words of each language live in locales/<tag>/phrases.toml, merged, and a bad file is one line."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.programme import Agenda, load_programme
from bot.resources import resource_dir
from bot.understanding.intents import Intent, parse, without_command_word
from bot.understanding.phrases import PhraseError, Word, load, phrases
from tests.conftest import PROGRAMME

ITALIAN = """\
spaces_between_words = true
sentence_end = ["?", "!"]

[commands]
today = ["oggi"]
"day tomorrow" = ["domani"]
next = ["prossimo", "cosa segue"]

[command_words]
stream = ["sala"]

[days]
numbered = ["giorno {n}"]
dates = ["{day} {month_name}"]

[days.relative]
oggi = 0
domani = 1
dopodomani = 2
"""


def test_the_shipped_files_load_and_merge() -> None:
    words = phrases()
    assert [p.parent.name for p in words.sources] == ["ar", "en", "es", "fr", "ko", "pt", "ru", "zh_Hans", "zh_Hant"]
    assert words.commands["today"] == ("today", "")
    assert words.commands["明天"] == ("day", "tomorrow")
    assert words.commands["what's next"] == ("next", "")
    assert words.commands["hoy"] == words.commands["hoje"] == words.commands["сегодня"] == ("today", "")
    assert words.commands["오늘"] == words.commands["اليوم"] == words.commands["aujourd'hui"] == ("today", "")
    assert Word("stream", spaced=True) in words.command_words["stream"]
    assert Word("分论坛", spaced=False) in words.command_words["stream"]
    assert Word("分論壇", spaced=False) in words.command_words["stream"]
    assert words.relative_days["tomorrow"] == words.relative_days["明天"] == words.relative_days["mañana"] == 1
    assert words.relative_days["завтра"] == words.relative_days["내일"] == words.relative_days["demain"] == 1
    assert words.weekdays["星期天"] == 6
    assert words.numbers["二"] == words.numbers["dos"] == words.numbers["deux"] == words.numbers["два"] == "2"
    assert {"off", "关闭", "desactivar", "выкл", "끄기"} <= words.reminders_off
    assert {"clear", "取消"} <= words.timezone_clear
    assert {"min", "分钟", "分鐘", "minutos", "минут", "دقيقة", "분"} <= set(words.minute_words)


def test_phrases_are_read_once() -> None:
    assert phrases() is phrases()


@pytest.fixture
def locales(tmp_path: Path) -> Path:
    """A copy of the shipped phrases files, to add to or break."""
    for source in phrases().sources:
        (tmp_path / source.parent.name).mkdir()
        shutil.copy(source, tmp_path / source.parent.name / source.name)
    return tmp_path


def test_a_new_language_is_a_new_file(locales: Path) -> None:
    (locales / "it").mkdir()
    (locales / "it" / "phrases.toml").write_text(ITALIAN, encoding="utf-8")
    words = load(locales)
    assert [p.parent.name for p in words.sources] == ["ar", "en", "es", "fr", "it", "ko", "pt", "ru", "zh_Hans", "zh_Hant"]
    assert words.commands["domani"] == ("day", "tomorrow")
    assert words.commands["today"] == ("today", "")
    assert words.relative_days["domani"] == 1
    assert Word("sala", spaced=True) in words.command_words["stream"]


def test_parse_understands_a_new_language_with_no_code_change(locales: Path) -> None:
    (locales / "it").mkdir()
    (locales / "it" / "phrases.toml").write_text(ITALIAN, encoding="utf-8")
    words = load(locales)
    assert parse("oggi", words) == Intent("today")
    assert parse("Domani!", words) == Intent("day", "tomorrow")
    assert parse("prossimo", words) == Intent("next")
    assert parse("cosa segue?", words) == Intent("next")
    assert parse("sala 2", words) == Intent("stream", "2")
    assert parse("salamanca", words) is None
    assert without_command_word("stream", "sala 3", words) == "3"
    # the shipped languages are still understood, and the shipped set knows no Italian
    assert parse("today", words) == parse("今天", words) == parse("hoy", words) == Intent("today")
    assert parse("oggi") is None
    assert parse("Giorno 2", words) == Intent("day", "Giorno 2")


def test_days_are_read_in_a_new_language_with_no_code_change(locales: Path) -> None:
    (locales / "it").mkdir()
    (locales / "it" / "phrases.toml").write_text(ITALIAN, encoding="utf-8")
    words, agenda, today = load(locales), Agenda(load_programme(PROGRAMME)), dt.date(2025, 6, 4)
    assert agenda.resolve_day("dopodomani", today, ("en", "it"), words) == dt.date(2025, 6, 6)
    assert agenda.resolve_day("Giorno 3", today, ("en", "it"), words) == dt.date(2025, 6, 5)
    assert agenda.resolve_day("5 giugno", today, ("en", "it"), words) == dt.date(2025, 6, 5)
    assert agenda.resolve_day("giovedì", today, ("en", "it"), words) == dt.date(2025, 6, 5)  # CLDR's name
    assert agenda.resolve_day("明天", today, ("en", "it"), words) == dt.date(2025, 6, 5)
    assert agenda.resolve_day("dopodomani", today, ("en", "it")) is None


@pytest.mark.parametrize(
    "text, intent",
    [
        ("language", Intent("lang")),
        ("Language zh", Intent("lang", "zh")),
        ("lang", Intent("lang")),
        ("语言", Intent("lang")),
        ("语言zh", Intent("lang", "zh")),
    ],
)
def test_language_is_the_lang_command_not_lang_uage(text: str, intent: Intent) -> None:
    assert parse(text) == intent


@pytest.mark.parametrize("text", ["languages", "langzh", "streamline", "searching", "sessions", "timezones"])
def test_a_latin_command_word_does_not_begin_a_longer_word(text: str) -> None:
    assert parse(text) is None


def _broken(locales: Path, text: str, tag: str = "xx") -> str:
    (locales / tag).mkdir(exist_ok=True)
    path = locales / tag / "phrases.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PhraseError) as caught:
        load(locales)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    assert message.startswith(f"{path}: "), message
    return message.removeprefix(f"{path}: ")


@pytest.mark.parametrize(
    "text, reason",
    [
        ("spaces_between_words = true\n[commands\ntoday = [\"x\"]\n", "at line 2"),
        ("[commands]\ntoday = [\"x\"]\n", "spaces_between_words"),
        ("spaces_between_words = true\n[comands]\n", "comands: unknown name"),
        ("spaces_between_words = true\n[commands]\ntoday = \"x\"\n", "commands.today: expected a list"),
        ("spaces_between_words = true\n[commands]\ntoday = [1]\n", "commands.today: expected a text"),
        ("spaces_between_words = true\n[commands]\nToday = [\"x\"]\n", "commands.Today: the name on the left"),
        ("spaces_between_words = true\n[commands]\ntoday = [\"x\"]\nnow = [\"X\"]\n", "'x' means /now here but /today earlier in this file"),
        ("spaces_between_words = true\n[command_words]\nstreem = [\"x\"]\n", "command_words.streem: unknown name"),
        ("spaces_between_words = true\n[days]\nnumbered = [\"day\"]\n", "needs {n} exactly once"),
        ("spaces_between_words = true\n[days]\ndates = [\"{day} {year}\"]\n", "use only"),
        ("spaces_between_words = true\n[days.relative]\nx = \"one\"\n", "days.relative.x: expected a whole number"),
        ("spaces_between_words = true\n[days.of_the_event]\nx = 0\n", "days.of_the_event.x: write 1 for the first day"),
        ("spaces_between_words = true\n[days.of_the_event]\nx = \"last\"\n", "days.of_the_event.x: expected a whole number"),
        ("spaces_between_words = true\n[weekdays]\nmondai = [\"x\"]\n", "weekdays.mondai: unknown name"),
        ("spaces_between_words = true\nsentence_end = [\"?!\"]\n", "sentence_end"),
    ],
)
def test_a_mistake_is_one_line_naming_the_file(locales: Path, text: str, reason: str) -> None:
    assert reason in _broken(locales, text)


def test_a_word_meaning_something_else_in_another_file_names_both(locales: Path) -> None:
    reason = _broken(locales, "spaces_between_words = true\n[commands]\nhelp = [\"today\"]\n")
    assert "'today' means /help here but /today in " in reason
    assert str(locales / "en" / "phrases.toml") in reason


def test_a_file_that_is_not_utf8_or_a_directory_without_files(tmp_path: Path) -> None:
    assert _broken(tmp_path, "", "yy") == ("spaces_between_words: write true or false "
                                           "(does the language put spaces between words?)")
    (tmp_path / "yy" / "phrases.toml").write_bytes(b"spaces_between_words = true\n# \xff\n")
    with pytest.raises(PhraseError, match="not UTF-8 text"):
        load(tmp_path)
    with pytest.raises(PhraseError, match="no \\*/phrases.toml"):
        load(tmp_path / "yy")


def test_the_shipped_directory_is_the_resource_one() -> None:
    assert all(p.parent.parent == resource_dir("locales") for p in phrases().sources)


@pytest.fixture
def shipped_phrases_from(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], None]]:
    """Make phrases() read another locales directory, and forget it afterwards."""
    import bot.understanding.phrases as module

    def use(directory: Path) -> None:
        monkeypatch.setattr(module, "resource_dir", lambda name: directory)
        phrases.cache_clear()

    yield use
    phrases.cache_clear()


def test_a_broken_file_stops_the_bot_at_start_with_one_line(
    shipped_phrases_from: Callable[[Path], None], locales: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot import cli

    broken = locales / "zh_Hans" / "phrases.toml"
    broken.write_text(broken.read_text(encoding="utf-8").replace("spaces_between_words = false", "spaces_between_words = no"),
                      encoding="utf-8")
    shipped_phrases_from(locales)
    monkeypatch.setenv("BOT_DB", str(tmp_path / "bot.sqlite3"))
    assert cli.main(["console"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{broken}: ") and err.count("\n") == 1, err


@pytest.mark.parametrize(
    "text, expected",
    [
        ("mañana", dt.date(2025, 6, 5)), ("día 3", dt.date(2025, 6, 5)), ("5 de junio", dt.date(2025, 6, 5)), ("jueves", dt.date(2025, 6, 5)),
        ("demain", dt.date(2025, 6, 5)), ("jour 3", dt.date(2025, 6, 5)), ("5 juin", dt.date(2025, 6, 5)), ("jeudi", dt.date(2025, 6, 5)),
        ("amanhã", dt.date(2025, 6, 5)), ("dia 3", dt.date(2025, 6, 5)), ("5 de junho", dt.date(2025, 6, 5)), ("quinta", dt.date(2025, 6, 5)),
        ("завтра", dt.date(2025, 6, 5)), ("день 3", dt.date(2025, 6, 5)), ("5 июня", dt.date(2025, 6, 5)), ("четверг", dt.date(2025, 6, 5)),
        ("غدا", dt.date(2025, 6, 5)), ("اليوم 3", dt.date(2025, 6, 5)), ("5 يونيو", dt.date(2025, 6, 5)), ("الخميس", dt.date(2025, 6, 5)),
        ("내일", dt.date(2025, 6, 5)), ("3일 차", dt.date(2025, 6, 5)), ("6월 5일", dt.date(2025, 6, 5)), ("목요일", dt.date(2025, 6, 5)),
        ("後天", dt.date(2025, 6, 6)), ("第3天", dt.date(2025, 6, 5)), ("6月5號", dt.date(2025, 6, 5)), ("週四", dt.date(2025, 6, 5)),
        ("5일", None),  # the 5th, or day 5? neither is guessed
    ],
)
def test_each_shipped_language_names_a_day_its_own_way(text: str, expected: dt.date | None) -> None:
    agenda = Agenda(load_programme(PROGRAMME))
    tags = ("en", "zh_Hans", "zh_Hant", "es", "fr", "pt", "ar", "ru", "ko")
    assert agenda.resolve_day(text, dt.date(2025, 6, 4), tags) == expected


@pytest.mark.parametrize(
    "text, intent",
    [
        ("qué sigue?", Intent("next")), ("¿qué hay hoy?", Intent("today")), ("eje 2", Intent("stream", "2")),
        ("seguir el eje 2", Intent("subscribe", "eje 2")), ("inscribirme en la visita 3", Intent("join", "3")),
        ("ensuite", Intent("next")), ("axe 2", Intent("stream", "2")), ("chercher Séoul", Intent("search", "Séoul")),
        ("m'inscrire à la visite 3", Intent("join", "3")), ("désactiver les rappels", Intent("reminders", "off")),
        ("próximo", Intent("next")), ("eixo 2", Intent("stream", "2")), ("minha agenda", Intent("myagenda")),
        ("что дальше", Intent("next")), ("секция 2", Intent("stream", "2")), ("подписаться на секцию 2", Intent("subscribe", "2")),
        ("напомни 20 минут", Intent("reminders", "20 минут")), ("ما التالي؟", Intent("next")), ("المسار 2", Intent("stream", "2")),
        ("جدولي", Intent("myagenda")), ("다음 일정", Intent("next")), ("분과 2", Intent("stream", "2")), ("알림 끄기", Intent("reminders", "off")),
        ("分論壇2", Intent("stream", "2")), ("搜尋 波哥大", Intent("search", "波哥大")), ("關閉提醒", Intent("reminders", "off")),
        ("idioma español", Intent("lang", "español")), ("langue", Intent("lang")), ("язык", Intent("lang")), ("언어", Intent("lang")),
    ],
)
def test_each_shipped_language_asks_for_commands_in_its_own_words(text: str, intent: Intent) -> None:
    assert parse(text) == intent
