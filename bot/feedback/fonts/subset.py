"""Make the two fonts the feedback charts draw with, from the published Noto fonts (run by hand, rarely).

The charts label bars with session titles, questions and options in every
shipped language: Simplified and Traditional Chinese, Korean, Cyrillic,
Latin and Arabic (shaped, right to left; matplotlib 3.11 shapes with
libraqm).  The full Noto Sans CJK face is 16 MB; these subsets keep what a
chart label needs and weigh about 4.5 MB together:

* ``NotoSansCJK-Chart.otf``, from Noto Sans CJK TC 1.004 (the PyPI package
  ``cvttf-notosanscjk-regular==1.0`` carries the unmodified OTF): Latin
  (with Latin-1 and Latin Extended-A), Greek, Cyrillic, general
  punctuation, arrows, shapes, CJK symbols and full-width forms, every Han
  character of GB 2312 (6,763) and of Big5 level 1 (5,401), Hangul
  compatibility jamo and the 2,350 syllables of KS X 1001, and every Han
  character and Hangul syllable of the bot's catalogs, phrases and shipped
  programmes (run it again after adding a translation).  The ``locl``
  lookups of Simplified Chinese, Traditional Chinese and Korean are kept
  with their glyphs, so a label shown with ``language="zh-Hans"`` takes the
  mainland forms and ``"ko"`` the Korean ones; Japanese and Hong Kong
  forms are dropped.
* ``NotoSansArabic-Chart.ttf``, from Noto Sans Arabic 2.012 (the npm
  package ``@fontsource/noto-sans-arabic@5.3.0``, file
  ``files/noto-sans-arabic-arabic-400-normal.woff``): every Arabic glyph
  with all its layout features (joining forms, ligatures, marks).

Both are under the SIL Open Font License 1.1 (``OFL.txt`` beside them),
which allows subsetting and redistribution; Noto has no reserved font name.

Fetch the sources with the ordinary clients, then run this script with a
Python that has fontTools::

    pip download --no-deps -d /tmp/src cvttf-notosanscjk-regular==1.0
    (cd /tmp/src && unzip -o cvttf_NotoSansCJK_Regular-1.0-py3-none-any.whl)
    (cd /tmp/src && npm pack @fontsource/noto-sans-arabic@5.3.0 && tar xzf fontsource-noto-sans-arabic-5.3.0.tgz)
    python bot/feedback/fonts/subset.py /tmp/src/cvttf_NotoSansCJK_Regular/NotoSansCJKtc-Regular.otf \
        /tmp/src/package/files/noto-sans-arabic-arabic-400-normal.woff bot/feedback/fonts
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

#: Language systems of the CJK face whose ``locl`` forms are kept.
KEPT_LANGUAGES = ("ZHS", "ZHT", "KOR")

BASE_RANGES = (
    (0x0020, 0x007E), (0x00A0, 0x017F), (0x0370, 0x03FF), (0x0400, 0x04FF), (0x2000, 0x206F),
    (0x20A0, 0x20BF), (0x2190, 0x21FF), (0x2460, 0x24FF), (0x25A0, 0x26FF), (0x3000, 0x303F),
    (0x3130, 0x318F), (0xFF00, 0xFFEF),
)
ARABIC_RANGES = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))


def _decoded(codec: str, leads: range, trails: list[int] | range) -> set[int]:
    """Every character a double-byte codec maps from these lead and trail bytes."""
    out = set()
    for lead in leads:
        for trail in trails:
            try:
                text = bytes([lead, trail]).decode(codec)
            except UnicodeDecodeError:
                continue
            if len(text) == 1:
                out.add(ord(text))
    return out


def _han(codes: set[int]) -> set[int]:
    return {c for c in codes if 0x3400 <= c <= 0x9FFF or 0xF900 <= c <= 0xFAFF}


#: The project's own texts: every character of the catalogs and the shipped programmes is kept too.
ROOT = Path(__file__).resolve().parent.parent
OWN_TEXTS = ("locales/*/LC_MESSAGES/messages.po", "locales/*/phrases.toml", "data/*.yaml", "data/examples/*.yaml")


def own_characters() -> set[int]:
    """Han and Hangul characters the bot's own texts use (回饋 is not in Big5 level 1, say)."""
    out = set()
    for pattern in OWN_TEXTS:
        for path in ROOT.glob(pattern):
            out |= {ord(c) for c in path.read_text(encoding="utf-8")}
    return _han(out) | {c for c in out if 0xAC00 <= c <= 0xD7A3}


def cjk_characters() -> set[int]:
    gb2312 = _han(_decoded("gb2312", range(0xA1, 0xF8), range(0xA1, 0xFF)))
    big5_level1 = _han(_decoded("big5", range(0xA4, 0xC7), [*range(0x40, 0x7F), *range(0xA1, 0xFF)]))
    hangul = {c for c in _decoded("euc_kr", range(0xB0, 0xC9), range(0xA1, 0xFF)) if 0xAC00 <= c <= 0xD7A3}
    base = {c for low, high in BASE_RANGES for c in range(low, high + 1)}
    return base | gb2312 | big5_level1 | hangul | own_characters()


def _options(features: list[str]) -> subset.Options:
    options = subset.Options()
    options.layout_features = features
    options.hinting = False  # drawn at chart sizes by FreeType's autohinter
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    return options


def cjk_font(source: Path, target: Path) -> None:
    font = TTFont(source)
    for tag in ("GSUB", "GPOS"):
        for record in font[tag].table.ScriptList.ScriptRecord:
            kept = [r for r in record.Script.LangSysRecord if r.LangSysTag.strip() in KEPT_LANGUAGES]
            record.Script.LangSysRecord = kept
            record.Script.LangSysCount = len(kept)
    subsetter = subset.Subsetter(_options(["locl", "kern"]))
    subsetter.populate(unicodes=cjk_characters())
    subsetter.subset(font)
    font.save(target)


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
    parser.add_argument("cjk", type=Path, help="NotoSansCJKtc-Regular.otf")
    parser.add_argument("arabic", type=Path, help="noto-sans-arabic-arabic-400-normal.woff")
    parser.add_argument("out", type=Path, help="the folder to write to (bot/feedback/fonts)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for build, source, name in ((cjk_font, args.cjk, "NotoSansCJK-Chart.otf"), (arabic_font, args.arabic, "NotoSansArabic-Chart.ttf")):
        build(source, args.out / name)
        print(f"{args.out / name}: {os.path.getsize(args.out / name):,} bytes")


if __name__ == "__main__":
    main()
