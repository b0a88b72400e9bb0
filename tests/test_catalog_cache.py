"""Compiled catalogs are kept between starts, never stale, and a cache that fails only costs time."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot import i18n
from bot.i18n import Catalogs
from bot.resources import resource_dir


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setattr(i18n, "cache_dir", lambda: folder)
    i18n._compiled.cache_clear()
    yield folder / "catalogs"
    i18n._compiled.cache_clear()


@pytest.fixture
def locales(tmp_path: Path) -> Path:
    copy = tmp_path / "locales"
    shutil.copytree(resource_dir("locales"), copy)
    return copy


def compiled_again(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Forget this process's compiled catalogs, as a new start would, and record every .po compiled."""
    i18n._compiled.cache_clear()
    compiled: list[str] = []
    read_po = i18n.read_po

    def recording(fh, locale, domain):  # type: ignore[no-untyped-def]
        compiled.append(locale)
        return read_po(fh, locale=locale, domain=domain)

    monkeypatch.setattr(i18n, "read_po", recording)
    return compiled


def test_a_second_start_reads_the_compiled_catalogs(cache: Path, locales: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = Catalogs.load(locales)
    kept = sorted(p.name for p in cache.glob("*.mo"))
    assert len(kept) == len(list(locales.glob("*/LC_MESSAGES/messages.po"))) == len(first.tags)
    compiled = compiled_again(monkeypatch)
    second = Catalogs.load(locales)
    assert compiled == []
    assert second.tags == first.tags
    for tag in first.tags:
        assert second.get(tag).translations.gettext("Today") == first.get(tag).translations.gettext("Today")


def test_an_edited_catalog_compiles_again_and_its_old_version_goes(cache: Path, locales: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Catalogs.load(locales)
    po = locales / "es" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    assert 'msgid "Today"\nmsgstr "' in text
    start = text.index('msgid "Today"\nmsgstr "') + len('msgid "Today"\nmsgstr "')
    end = text.index('"', start)
    po.write_text(text[:start] + "Hoy mismo" + text[end:], encoding="utf-8")
    compiled = compiled_again(monkeypatch)
    assert Catalogs.load(locales).get("es").translations.gettext("Today") == "Hoy mismo"
    assert compiled == ["es"]
    assert len(list(cache.glob("es-*.mo"))) == 1


def test_a_broken_cached_catalog_is_compiled_again(cache: Path, locales: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = Catalogs.load(locales).get("fr").translations.gettext("Today")
    (kept,) = cache.glob("fr-*.mo")
    kept.write_bytes(kept.read_bytes()[:40])  # cut short, as by a full disk
    compiled = compiled_again(monkeypatch)
    assert Catalogs.load(locales).get("fr").translations.gettext("Today") == expected
    assert compiled == ["fr"]


def test_a_cache_that_cannot_be_written_only_costs_time(tmp_path: Path, locales: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setattr(i18n, "cache_dir", lambda: blocker)
    i18n._compiled.cache_clear()
    try:
        catalogs = Catalogs.load(locales)
        assert catalogs.get("zh_Hans").translations.gettext("Today") != "Today"
    finally:
        i18n._compiled.cache_clear()
