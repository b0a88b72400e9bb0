"""Every user-visible string is in every catalog, translated, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import Catalogs, negotiate
from bot.resources import resource_dir

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"\{(\w*)\}")


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


def test_english_and_simplified_chinese_ship() -> None:
    tags = {p.parent.parent.name for p in catalogs()}
    assert {"en", "zh_Hans"} <= tags


@pytest.mark.parametrize("po_path", catalogs(), ids=lambda p: p.parent.parent.name)
def test_catalog_has_every_message(po_path: Path) -> None:
    with po_path.open("rb") as fh:
        catalog = read_po(fh)
    ids = {part for m in catalog if m.id for part in ((m.id,) if isinstance(m.id, str) else m.id)}
    missing = sorted(source_messages() - ids)
    assert not missing, f"run pybabel extract/update (README, Translations); missing: {missing}"


@pytest.mark.parametrize("po_path", [p for p in catalogs() if p.parent.parent.name != "en"], ids=lambda p: p.parent.parent.name)
def test_catalog_is_fully_translated_with_matching_placeholders(po_path: Path) -> None:
    with po_path.open("rb") as fh:
        catalog = read_po(fh)
    wanted = source_messages()
    problems = []
    for message in catalog:
        ids = (message.id,) if isinstance(message.id, str) else message.id
        if not message.id or not set(ids) & wanted:
            continue
        strings = (message.string,) if isinstance(message.string, str) else message.string
        if not all(strings) or message.fuzzy:
            problems.append(f"untranslated: {message.id!r}")
        elif any(set(PLACEHOLDER.findall(ids[-1])) != set(PLACEHOLDER.findall(s)) for s in strings):
            problems.append(f"placeholders differ: {message.id!r} -> {message.string!r}")
    assert not problems, "\n".join(problems)


def test_catalogs_compile_in_memory() -> None:
    loaded = Catalogs.load(resource_dir("locales"))
    assert loaded.get("zh_Hans").translations.gettext("Today") != "Today"
    assert loaded.get("xx").tag == "en"


@pytest.mark.parametrize(
    "tag, expected",
    [
        ("zh-CN", "zh_Hans"), ("zh-hans", "zh_Hans"), ("zh_Hans_CN", "zh_Hans"), ("zh-SG", "zh_Hans"),
        ("zh-TW", None), ("zh-Hant", None), ("en-GB", "en"), ("EN", "en"), ("pt-br", None), ("", None), ("??", None),
    ],
)
def test_language_tags_match_on_language_and_script(tag: str, expected: str | None) -> None:
    assert negotiate(tag, ["en", "zh_Hans"]) == expected
