"""Make the Arabic font the feedback charts draw with, from the published Noto Sans Arabic (run by hand, rarely).

The charts label bars with session titles, questions and options in every
shipped language.  Chinese (Simplified and Traditional), Japanese, Korean,
Cyrillic, Greek and Latin come from Noto Sans CJK TC 1.004, unmodified, in
the pinned PyPI package ``cvttf-notosanscjk-regular`` (16 MB, too big to
keep in this repository; :func:`bot.feedback.charts.font_paths` finds it).
Its ``locl`` lookups give a label shown with ``language="zh-Hans"`` the
mainland forms and ``"ko"`` the Korean ones.

Arabic (shaped, right to left; matplotlib 3.11 shapes with libraqm) comes
from ``NotoSansArabic-Chart.ttf`` beside this script, made here from Noto
Sans Arabic 2.012 (the npm package ``@fontsource/noto-sans-arabic@5.3.0``,
file ``files/noto-sans-arabic-arabic-400-normal.woff``): every Arabic glyph
with all its layout features (joining forms, ligatures, marks), 266 KB.

Both fonts are under the SIL Open Font License 1.1 (``OFL.txt`` beside
this script), which allows subsetting and redistribution; Noto has no
reserved font name.

Fetch the source with the ordinary client, then run this script with a
Python that has fontTools::

    (cd /tmp && npm pack @fontsource/noto-sans-arabic@5.3.0 && tar xzf fontsource-noto-sans-arabic-5.3.0.tgz)
    python bot/feedback/fonts/subset.py /tmp/package/files/noto-sans-arabic-arabic-400-normal.woff bot/feedback/fonts
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

ARABIC_RANGES = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))


def _options(features: list[str]) -> subset.Options:
    options = subset.Options()
    options.layout_features = features
    options.hinting = False  # drawn at chart sizes by FreeType's autohinter
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    return options


def arabic_font(source: Path, target: Path) -> None:
    font = TTFont(source)
    font.flavor = None  # WOFF in, plain TrueType out (matplotlib's FreeType reads it)
    cmap = font.getBestCmap()
    wanted = {c for c in cmap if any(low <= c <= high for low, high in ARABIC_RANGES)}
    wanted |= {0x0020, 0x00A0, 0x200C, 0x200D, 0x200E, 0x200F, 0x25CC} & set(cmap)
    subsetter = subset.Subsetter(_options(["*"]))
    subsetter.populate(unicodes=wanted)
    subsetter.subset(font)
    font.save(target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("arabic", type=Path, help="noto-sans-arabic-arabic-400-normal.woff")
    parser.add_argument("out", type=Path, help="the folder to write to (bot/feedback/fonts)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / "NotoSansArabic-Chart.ttf"
    arabic_font(args.arabic, target)
    print(f"{target}: {os.path.getsize(target):,} bytes")


if __name__ == "__main__":
    main()
