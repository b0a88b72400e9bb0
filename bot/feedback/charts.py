"""Bar charts of feedback as PNG images (matplotlib, Agg), in every shipped script.

Labels are session titles, questions and options in the reader's language.
The fonts are Noto Sans CJK TC, unmodified, from the pinned PyPI package
``cvttf-notosanscjk-regular`` (Latin, Cyrillic, Greek, Chinese in the
Simplified and the Traditional forms, chosen by the chart's language through
the font's ``locl`` lookups, Japanese, Korean), and a subset of Noto Sans
Arabic shipped in ``fonts/`` (see ``bot/feedback/fonts/subset.py``).  matplotlib 3.11
shapes text with libraqm, so Arabic letters join and read right to left;
an Arabic chart is also mirrored (labels on the right, bars growing
leftwards).  A character neither font has is drawn from the next font of
the list, and at worst as a box: :func:`missing_glyphs` tells which those are.

Drawing takes a few hundred milliseconds: :func:`render` runs it in a
thread, one chart at a time.
"""

from __future__ import annotations

import asyncio
import functools
import io
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

FONT_DIR: Final = Path(__file__).resolve().parent / "fonts"
#: The package that carries Noto Sans CJK (16 MB: too big for this repository, so a pinned dependency).
CJK_FONT_PACKAGE: Final = "cvttf_NotoSansCJK_Regular"
CJK_FONT_FILE: Final = "NotoSansCJKtc-Regular.otf"
ARABIC_FONT_FILE: Final = "NotoSansArabic-Chart.ttf"
#: Labels longer than this (in narrow characters; a Chinese one counts two) are wrapped, and cut after two lines.
LABEL_WIDTH: Final = 44
TITLE_WIDTH: Final = 70
DPI: Final = 120
WIDTH_INCHES: Final = 8.0
BAR_COLOUR: Final = "#2f6db5"
_lock = threading.Lock()


@dataclass(frozen=True)
class Bars:
    """One panel: a bar per label, its value, and the value as the reader writes numbers."""

    title: str
    labels: tuple[str, ...]
    values: tuple[float, ...]
    shown: tuple[str, ...]
    """Each value formatted for the reader (their digits, one decimal for an average)."""
    maximum: float | None = None
    """The end of the value axis (a rating's scale); the largest value otherwise."""


@functools.cache
def font_paths() -> tuple[Path, ...]:
    """The files charts draw with, CJK first: the dependency's Noto Sans CJK, the shipped Arabic subset."""
    from importlib.resources import files

    cjk = Path(str(files(CJK_FONT_PACKAGE) / CJK_FONT_FILE))
    paths = (cjk, FONT_DIR / ARABIC_FONT_FILE)
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"chart fonts missing: {', '.join(missing)} (reinstall the package)")
    return paths


@functools.cache
def font_families() -> tuple[str, ...]:
    """Register the chart fonts with matplotlib (once) and return their family names, CJK first."""
    from matplotlib import font_manager

    names = []
    for path in font_paths():
        font_manager.fontManager.addfont(str(path))
        names.append(font_manager.FontProperties(fname=str(path)).get_name())
    return tuple(names)


def language_tag(locale: str) -> str:
    """A catalog tag as the shaper reads it: ``zh_Hant`` -> ``zh-Hant``."""
    return locale.replace("_", "-")


def _width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def wrap(text: str, width: int = LABEL_WIDTH, lines: int = 2) -> str:
    """Wrap at spaces where the script has them, anywhere in Chinese; at most ``lines`` lines, the last cut with "…"."""
    out: list[str] = []
    line, used = "", 0
    for word in _words(text):
        size = sum(_width(c) for c in word)
        if used + size > width and line.strip():
            out.append(line.rstrip())
            line, used = word.lstrip(), sum(_width(c) for c in word.lstrip())
        else:
            line, used = line + word, used + size
    if line.strip():
        out.append(line.rstrip())
    if len(out) > lines:
        last = out[lines - 1]
        while last and sum(_width(c) for c in last) > width - 1:
            last = last[:-1]
        out = out[: lines - 1] + [last.rstrip() + "…"]
    return "\n".join(out)


def _words(text: str) -> Iterable[str]:
    """Pieces a line may break after: a space-separated word (with its space), or one wide character."""
    word = ""
    for ch in " ".join(text.split()):
        if _width(ch) == 2:
            if word:
                yield word
                word = ""
            yield ch
        elif ch == " ":
            yield word + ch
            word = ""
        else:
            word += ch
    if word:
        yield word


def draw(title: str, panels: Sequence[Bars], *, locale: str, note: str | None = None) -> bytes:
    """The chart as PNG bytes: a title, one horizontal bar panel per entry, and an optional note below."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    families = list(font_families())
    rtl = locale.split("_")[0] in ("ar", "fa", "he", "ur")
    rows = [max(1, len(p.labels)) for p in panels] or [1]
    height = 1.0 + sum(0.9 + 0.42 * n * (1.6 if any("\n" in wrap(x) for x in p.labels) else 1) for n, p in zip(rows, panels or [Bars("", (), (), ())]))
    settings = {"font.family": families, "text.language": language_tag(locale), "font.size": 10, "axes.titlesize": 11}
    with _lock, rc_context(settings):
        figure = Figure(figsize=(WIDTH_INCHES, max(2.5, height)), dpi=DPI, layout="constrained")
        FigureCanvasAgg(figure)
        figure.suptitle(wrap(title, TITLE_WIDTH), fontsize=14)
        axes = figure.subplots(len(panels) or 1, 1, squeeze=False, height_ratios=rows if panels else None)[:, 0]
        for ax, panel in zip(axes, panels):
            _panel(ax, panel, rtl)
        if not panels:
            axes[0].set_axis_off()
        if note:
            figure.supxlabel(wrap(note, TITLE_WIDTH * 2, lines=3), fontsize=9, color="#555555")
        out = io.BytesIO()
        figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def _panel(ax: object, panel: Bars, rtl: bool) -> None:
    positions = list(range(len(panel.labels)))
    top = max([panel.maximum or 0.0, *panel.values, 1.0])
    ax.barh(positions, panel.values, color=BAR_COLOUR, height=0.6)  # type: ignore[attr-defined]
    ax.set_yticks(positions, [wrap(label) for label in panel.labels])  # type: ignore[attr-defined]
    ax.invert_yaxis()  # type: ignore[attr-defined]  # the first label on top
    ax.set_xlim(0, top * 1.12)  # type: ignore[attr-defined]  # room for the value beside the longest bar
    ax.set_xticks([])  # type: ignore[attr-defined]  # each bar says its value, in the reader's digits
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)  # type: ignore[attr-defined]
    ax.set_title(wrap(panel.title, TITLE_WIDTH), loc="right" if rtl else "left")  # type: ignore[attr-defined]
    for y, value, shown in zip(positions, panel.values, panel.shown):
        ax.annotate(  # type: ignore[attr-defined]
            shown, (value, y), xytext=(-4 if rtl else 4, 0), textcoords="offset points",
            ha="right" if rtl else "left", va="center",
        )
    if rtl:
        ax.invert_xaxis()  # type: ignore[attr-defined]
        ax.yaxis.tick_right()  # type: ignore[attr-defined]
    ax.tick_params(axis="y", length=0)  # type: ignore[attr-defined]


async def render(title: str, panels: Sequence[Bars], *, locale: str, note: str | None = None) -> bytes:
    """:func:`draw` in a worker thread, so the bot keeps answering meanwhile."""
    return await asyncio.to_thread(draw, title, panels, locale=locale, note=note)


def missing_glyphs(text: str) -> set[str]:
    """The characters of ``text`` that none of the chart fonts has (drawn as a box, "tofu")."""
    from matplotlib.ft2font import FT2Font

    fonts = [FT2Font(str(path)) for path in font_paths()]
    return {
        ch for ch in set(text)
        if not ch.isspace() and unicodedata.category(ch)[0] != "C" and all(f.get_char_index(ord(ch)) == 0 for f in fonts)
    }
