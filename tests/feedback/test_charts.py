"""Charts: valid PNGs whose labels are drawn with real glyphs in every shipped script, shaped where the script needs it."""

from __future__ import annotations

import io
import unicodedata
import warnings

import pytest
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image as PILImage

from bot.feedback import charts
from bot.feedback.charts import FONT_DIR, Bars, draw, font_paths, missing_glyphs, wrap

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: A label in each shipped script, as programme texts and catalogs write them.
SAMPLES = {
    "zh_Hans": "整体来看，您如何评价这场议程？分论坛二：城市案例分享",
    "zh_Hant": "整體來看，您如何評價這場議程？分論壇二：城市案例分享",
    "ko": "전반적으로 이 세션을 어떻게 평가하시나요? 분과 2",
    "ru": "В целом, как вы оцениваете эту сессию? Поток 2",
    "ar": "بشكل عام، كيف تقيّم هذه الجلسة؟ المسار 2",
    "es": "En general, ¿cómo valora esta sesión? Bogotá, São Paulo, Montréal",
}


def one_label(label: str, locale: str) -> bytes:
    return draw("", [Bars("", (label,), (1.0,), ("1",))], locale=locale)


@pytest.mark.parametrize("locale", list(SAMPLES))
def test_every_script_has_its_glyphs_in_the_shipped_fonts(locale: str) -> None:
    assert missing_glyphs(SAMPLES[locale]) == set()


def test_missing_glyphs_finds_what_no_font_has() -> None:
    assert missing_glyphs("议程 \U0001F600 \U00030000") == {"\U0001F600", "\U00030000"}  # an emoji, a Han character of Extension G


@pytest.mark.parametrize("locale", list(SAMPLES))
def test_the_chart_is_a_png_drawn_without_a_missing_glyph(locale: str) -> None:
    """matplotlib warns for every character it must draw as a box: none here."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        png = draw(SAMPLES[locale], [Bars(SAMPLES[locale], ("1", "2", SAMPLES[locale]), (3.0, 0.0, 5.0), ("3", "0", "5"), 5.0)], locale=locale)
    assert png.startswith(PNG_SIGNATURE)
    image = PILImage.open(io.BytesIO(png))
    image.verify()
    assert image.format == "PNG" and image.size[0] == int(charts.WIDTH_INCHES * charts.DPI)


def test_a_chinese_label_is_not_drawn_as_boxes() -> None:
    """Two characters the fonts lack draw as two boxes; a Chinese label drawn as boxes would look the same."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the boxes are drawn on purpose here
        boxes = one_label("\ue000\ue001", "zh_Hans")
    assert one_label("议程", "zh_Hans") != boxes
    assert one_label("議程", "zh_Hant") != boxes


def test_simplified_and_traditional_chinese_take_their_own_glyph_forms() -> None:
    """The same character (骨, 直) has a mainland and a Taiwan form; the chart's language picks one."""
    assert one_label("骨直", "zh_Hans") != one_label("骨直", "zh_Hant")


def _width(text: str, language: str) -> float:
    with rc_context({"font.family": list(charts.font_families()), "text.language": language}):
        figure = Figure()
        FigureCanvasAgg(figure)
        label = figure.text(0, 0, text, fontsize=40)
        return float(label.get_window_extent(figure.canvas.get_renderer()).width)


def test_arabic_letters_join() -> None:
    """Shaped, three beh join into one narrow word; unshaped, they would be three isolated letters side by side."""
    assert _width("ببب", "ar") < 0.8 * 3 * _width("ب", "ar")


def test_arabic_reads_right_to_left() -> None:
    """Alef then beh: right to left, the tall alef stands at the right end of the word."""
    png = draw("", [Bars("", ("اب",), (0.0,), ("",))], locale="en")
    image = PILImage.open(io.BytesIO(png)).convert("L")
    # the label's ink: the columns left of the plot area that hold dark pixels
    dark = [(x, y) for x in range(image.size[0] // 3) for y in range(image.size[1]) if image.getpixel((x, y)) < 128]
    assert dark
    xs = [x for x, _y in dark]
    left, right = min(xs), max(xs)
    tallest = min(y for _x, y in dark)  # the top of the alef
    top_columns = [x for x, y in dark if y <= tallest + 3]
    assert min(top_columns) > (left + right) / 2


def test_labels_wrap_by_width_and_chinese_anywhere() -> None:
    assert wrap("Stream 2 roundtable: a caring and inclusive city for all generations", 30) == (
        "Stream 2 roundtable: a caring\nand inclusive city for all…"
    )
    wrapped = wrap("分论坛二圆桌讨论：面向所有世代的关怀与包容之城", 20)
    assert [len(line) for line in wrapped.split("\n")] == [10, 10]
    assert wrapped.endswith("…")


def test_the_fonts_ship_with_their_licence() -> None:
    licence = (FONT_DIR / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence
    cjk, arabic = font_paths()
    assert cjk.name in licence and arabic.name in licence  # the licence names both, and where each comes from
    assert cjk.stat().st_size > 10_000_000  # the whole face from the dependency, not a subset of it
    assert arabic.parent == FONT_DIR and arabic.stat().st_size > 100_000


def test_a_missing_font_is_named_not_drawn_as_boxes(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """A broken install says which font file is missing instead of drawing every label as boxes."""
    monkeypatch.setattr(charts, "FONT_DIR", tmp_path)
    charts.font_paths.cache_clear()
    try:
        with pytest.raises(FileNotFoundError, match=charts.ARABIC_FONT_FILE):
            font_paths()
    finally:
        monkeypatch.undo()
        charts.font_paths.cache_clear()
    assert font_paths()[1].is_file()


def test_every_letter_of_the_catalogs_phrases_and_shipped_programmes_is_in_the_fonts() -> None:
    """What charts label bars with comes from these files: a translation adding a character no chart font has fails here."""
    from tests.conftest import ROOT

    text = "".join(
        path.read_text(encoding="utf-8")
        for pattern in ("locales/*/LC_MESSAGES/messages.po", "locales/*/phrases.toml", "data/*.yaml", "data/examples/*.yaml")
        for path in ROOT.glob(pattern)
    )
    letters = {ch for ch in set(text) if unicodedata.category(ch).startswith("L")}
    assert missing_glyphs("".join(letters)) == set(), "a letter no chart font has (see bot/feedback/fonts/subset.py)"
