"""Every user-visible string is in every catalog, translated, with the same placeholders and valid plurals.

The nine shipped languages; each catalog complete (no untranslated or fuzzy
entry), with the placeholders of its msgid, one string per plural form of
its language's rule (one in Chinese and Korean, three in Russian, six in
Arabic), every form used; Chinese in full-width punctuation, in one register
(您); and the examples the help gives, understood in their own language.
"""

from __future__ import annotations

import gettext
import re
import shutil
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.extract import extract_from_dir
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from bot.channels.wechat_menu import MAX_SUB_NAME_BYTES, MAX_TOP_NAME_BYTES, MENU_ITEMS
from bot.i18n import Catalogs, negotiate
from bot.resources import resource_dir
from bot.understanding.intents import parse

ROOT = Path(__file__).resolve().parent.parent
#: The keywords of the README's ``pybabel extract`` command.
KEYWORDS = {"_": None, "N_": None, "L_": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"\{(\w*)\}")
SHIPPED = ("en", "zh_Hans", "zh_Hant", "es", "fr", "pt", "ar", "ru", "ko")
#: How many plural forms each language has (babel's gettext rules, from CLDR).
PLURAL_FORMS = {"zh_Hans": 1, "zh_Hant": 1, "ko": 1, "ru": 3, "ar": 6, "en": 2, "es": 3, "fr": 3, "pt": 3}


def source_messages() -> set[str]:
    found: set[str] = set()
    for package in ("bot", "handlers"):
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            found.update([message] if isinstance(message, str) else [m for m in message if m])
    return found


def catalogs() -> list[Path]:
    return sorted((ROOT / "locales").glob("*/LC_MESSAGES/messages.po"))


def translated() -> list[Path]:
    return [p for p in catalogs() if p.parent.parent.name != "en"]


def tag_of(po_path: Path) -> str:
    return po_path.parent.parent.name


def read(po_path: Path):  # type: ignore[no-untyped-def]
    with po_path.open("rb") as fh:
        return read_po(fh, locale=tag_of(po_path))


def strings(message) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    return (message.string,) if isinstance(message.string, str) else tuple(message.string)


def test_the_nine_languages_ship() -> None:
    assert sorted(tag_of(p) for p in catalogs()) == sorted(SHIPPED)
    assert sorted(p.parent.name for p in (ROOT / "locales").glob("*/phrases.toml")) == sorted(SHIPPED)


@pytest.mark.parametrize("po_path", catalogs(), ids=tag_of)
def test_catalog_has_every_message(po_path: Path) -> None:
    catalog = read(po_path)
    ids = {part for m in catalog if m.id for part in ((m.id,) if isinstance(m.id, str) else m.id)}
    missing = sorted(source_messages() - ids)
    assert not missing, f"run pybabel extract/update (README, Translations); missing: {missing}"


@pytest.mark.parametrize("po_path", translated(), ids=tag_of)
def test_catalog_is_fully_translated_with_matching_placeholders(po_path: Path) -> None:
    catalog = read(po_path)
    wanted = source_messages()
    single = {i: len(numbers) == 1 for i, numbers in enumerate(_plural_numbers(catalog))}
    problems = []
    for message in catalog:
        ids = (message.id,) if isinstance(message.id, str) else message.id
        if not message.id or not set(ids) & wanted:
            continue
        forms = strings(message)
        if not all(forms) or message.fuzzy:
            problems.append(f"untranslated or fuzzy: {message.id!r}")
            continue
        expected = set(PLACEHOLDER.findall(ids[-1]))
        for index, form in enumerate(forms):
            found = set(PLACEHOLDER.findall(form))
            # a form for one number alone ("دقيقة واحدة", one minute) may leave the count unsaid
            if found - expected or (expected - found and not (len(forms) > 1 and single[index])):
                problems.append(f"placeholders differ: {message.id!r} -> {form!r}")
        for form in forms:
            form.format(**{name: "x" for name in expected})  # a broken format string raises here
    assert not problems, "\n".join(problems)


def _plural_numbers(catalog) -> list[list[int]]:  # type: ignore[no-untyped-def]
    """For each plural form of the catalog's rule, the counts (0..1000, and millions) it is used for."""
    rule = gettext.c2py(catalog.plural_expr)
    numbers: list[list[int]] = [[] for _ in range(catalog.num_plurals)]
    for n in [*range(1001), 10**6, 2 * 10**6]:  # the "many" form of es/fr/pt is for whole millions
        numbers[rule(n)].append(n)
    return numbers


@pytest.mark.parametrize("po_path", catalogs(), ids=tag_of)
def test_plural_forms_fit_the_languages_rule_and_every_form_is_used(po_path: Path) -> None:
    catalog = read(po_path)
    tag = tag_of(po_path)
    assert catalog.num_plurals == PLURAL_FORMS[tag] == get_plural(Locale.parse(tag)).num_plurals
    assert all(_plural_numbers(catalog)), f"a plural form of {tag} is used for no number"
    if tag == "en":
        return
    for message in catalog:
        if message.id and not isinstance(message.id, str):
            assert len(strings(message)) == catalog.num_plurals, message.id


def test_catalogs_compile_in_memory_and_need_no_mo_file(tmp_path: Path) -> None:
    loaded = Catalogs.load(resource_dir("locales"))
    assert loaded.get("zh_Hans").translations.gettext("Today") != "Today"
    assert loaded.get("xx").tag == "en"
    assert sorted(loaded.tags) == sorted(SHIPPED)
    # a stale compiled file beside a catalog is neither needed nor read: the .po is the source
    copy = tmp_path / "locales"
    shutil.copytree(resource_dir("locales"), copy)
    (copy / "es" / "LC_MESSAGES" / "messages.mo").write_bytes(b"not a compiled catalog")
    assert Catalogs.load(copy).get("es").translations.gettext("Today") == "Hoy"


def test_lazy_strings_are_translated_when_shown() -> None:
    from bot import i18n
    from handlers.views import KIND_NAMES
    from bot.programme.model import SessionKind

    loaded = Catalogs.load(resource_dir("locales"))
    with i18n.use(loaded.get("es")):
        assert str(KIND_NAMES[SessionKind.SITE_VISIT]) == "Visita de campo"
    with i18n.use(loaded.get("ko")):
        assert f"{KIND_NAMES[SessionKind.SITE_VISIT]}" == "현장 방문"


# -- Chinese -----------------------------------------------------------------------

CJK = r"\u3400-\u4dbf\u4e00-\u9fff"
FULL_WIDTH = "，。：；！？（）、《》“”「」［］"
ASCII_NEXT_TO_CHINESE = re.compile(rf"[{CJK}][,;:!?()]|[,;:!?()][{CJK}]")
SPACE_NEXT_TO_FULL_WIDTH = re.compile(rf"[ \t][{FULL_WIDTH}]|[{FULL_WIDTH}][ \t]")
SPACE_BETWEEN_CHINESE = re.compile(rf"[{CJK}] +[{CJK}]")


def chinese_problems(text: str) -> list[str]:
    """ASCII punctuation touching Chinese, spaces around full-width punctuation or between characters."""
    found = []
    for pattern, what in ((ASCII_NEXT_TO_CHINESE, "ASCII punctuation"), (SPACE_NEXT_TO_FULL_WIDTH, "space by full-width punctuation"),
                          (SPACE_BETWEEN_CHINESE, "space between characters")):
        found += [f"{what}: {m.group()!r} in {text!r}" for m in pattern.finditer(text)]
    return found


@pytest.mark.parametrize("tag", ["zh_Hans", "zh_Hant"])
def test_chinese_catalogs_use_full_width_punctuation_and_one_register(tag: str) -> None:
    catalog = read(ROOT / "locales" / tag / "LC_MESSAGES" / "messages.po")
    problems = []
    for message in catalog:
        for form in strings(message) if message.id else ():
            problems += chinese_problems(form)
            if "你" in form:
                problems.append(f"你 where the catalog says 您: {form!r}")
    assert not problems, "\n".join(problems)


def test_the_chinese_punctuation_check_catches_what_the_issue_saw() -> None:
    assert chinese_problems("咸宁, 中国") and chinese_problems("改善公共服务、 惠及弱势群体") and chinese_problems("会场 （待定）")
    assert not chinese_problems("发送 /help 可查看。") and not chinese_problems("Civitas Novus评估方法（具体内容待定）")


# -- what the help says one can write ----------------------------------------------

QUOTED = re.compile(r'"([^"]+)"|“([^”]+)”|«\u202f?([^»]+?)\u202f?»|‘([^’]+)’|「([^」]+)」')
EXAMPLES = (
    'I know the programme. Ask me "today", "what\'s next", "day 2", "stream 1" or "search Bogotá", or pick below.',
    'You can also write in plain words: "today", "next", "tomorrow", "day 3", "stream 2", "my agenda", "search Seoul".',
)


@pytest.mark.parametrize("tag", SHIPPED)
def test_every_example_the_help_gives_is_understood(tag: str) -> None:
    """The words the start and help texts suggest, in each language, are ones the bot understands."""
    translations = Catalogs.load(resource_dir("locales")).get(tag).translations
    for msgid in EXAMPLES:
        examples = ["".join(groups) for groups in QUOTED.findall(translations.gettext(msgid))]
        assert len(examples) >= 5, (tag, msgid, examples)
        for example in examples:
            intent = parse(example)
            if intent is None:  # "search" alone: the search command's word
                intent = parse(f"{example} x")
                assert intent is not None and intent.command == "search", (tag, example)


# -- platform menus ------------------------------------------------------------------


@pytest.mark.parametrize("tag", SHIPPED)
def test_the_wechat_menu_labels_fit_without_being_cut(tag: str) -> None:
    """WeChat cuts menu names at 16 bytes (60 below the top); every language's labels fit whole."""
    translations = Catalogs.load(resource_dir("locales")).get(tag).translations
    top = [translations.gettext(m) for m in ("Today", "What's next", "More")]
    below = [translations.gettext(label) for _command, label in MENU_ITEMS if label] + [
        translations.gettext(m) for m in ("Programme", "Language")]
    assert all(len(label.encode()) <= MAX_TOP_NAME_BYTES for label in top), top
    assert all(len(label.encode()) <= MAX_SUB_NAME_BYTES for label in below), below


# -- negotiation -------------------------------------------------------------------


@pytest.mark.parametrize(
    "tag, expected",
    [
        ("zh-CN", "zh_Hans"), ("zh-hans", "zh_Hans"), ("zh_Hans_CN", "zh_Hans"), ("zh-SG", "zh_Hans"),
        ("zh-TW", None), ("zh-Hant", None), ("en-GB", "en"), ("EN", "en"), ("pt-br", None), ("", None), ("??", None),
    ],
)
def test_language_tags_match_on_language_and_script(tag: str, expected: str | None) -> None:
    assert negotiate(tag, ["en", "zh_Hans"]) == expected
