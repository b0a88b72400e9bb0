"""How free text is compared: one normal form for what delegates write, phrase data and programme text.

:func:`normal` folds width (full-width digits and letters become ASCII),
case, accents and apostrophes, turns punctuation into spaces and removes
the spaces next to Chinese characters, so that ``"What’s on  TOMORROW?"``,
``"whats on tomorrow"`` and ``"明天 下午"`` / ``"明天下午"`` compare equal.
Traditional Chinese is compared as Simplified (OpenCC), so a phrase written
once in either script matches both.

:func:`words` splits a normal text into the words of spaced scripts and
the runs of Chinese, Japanese or Korean characters that :func:`bigrams`
cuts further, since those scripts do not mark word boundaries with spaces
(Korean does, and its words are kept whole).
"""

from __future__ import annotations

import functools
import re
import unicodedata

#: Chinese characters (and the Japanese kana seen beside them): written without spaces between words.
_UNSPACED = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
#: Around a word of a spaced script: no letter or digit of a spaced script may touch it (Chinese may: "wifi密码").
BEFORE_WORD = f"(?<![^\\W_{_UNSPACED}])"
AFTER_WORD = f"(?![^\\W_{_UNSPACED}])"
UNSPACED_CHAR = re.compile(f"[{_UNSPACED}]")
_SPACE_BESIDE_UNSPACED = re.compile(f"(?<=[{_UNSPACED}])\\s+|\\s+(?=[{_UNSPACED}])")
#: What separates words: anything but letters, digits, marks and the private-use placeholders.
_SEPARATORS = re.compile(r"[^\w\ue000-\uf8ff]+")
_APOSTROPHES = re.compile(r"['\u2019\u2018\u02bc`´]")
#: A letter running on into a digit: "stream2" reads "stream 2" (a digit before a letter stays: "5th").
_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)")
_TOKENS = re.compile(f"[{_UNSPACED}]+|[^\\s{_UNSPACED}]+")


@functools.lru_cache(maxsize=65536)
def normal(text: str) -> str:
    """The form texts are compared in (see the module's docstring)."""
    from bot.i18n import is_traditional, to_simplified

    folded = unicodedata.normalize("NFKC", text)
    if UNSPACED_CHAR.search(folded) and is_traditional(folded):
        folded = to_simplified(folded)
    decomposed = unicodedata.normalize("NFKD", folded.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = unicodedata.normalize("NFC", stripped)
    plain = _APOSTROPHES.sub("", plain)
    plain = _SEPARATORS.sub(" ", plain).replace("_", " ")
    plain = " ".join(_LETTER_DIGIT.sub(" ", plain).split())
    return _SPACE_BESIDE_UNSPACED.sub("", plain)


def words(text: str) -> list[str]:
    """The words of a :func:`normal` text: spaced words, and each run of Chinese characters as one."""
    return _TOKENS.findall(text)


def unspaced(word: str) -> bool:
    """Whether ``word`` is written in a script without spaces between words (Chinese)."""
    return bool(UNSPACED_CHAR.match(word))


def bigrams(run: str) -> list[str]:
    """A run of Chinese characters as overlapping pairs (one character alone stays whole)."""
    if len(run) < 2:
        return [run] if run else []
    return [run[i : i + 2] for i in range(len(run) - 1)]


def terms(text: str) -> list[str]:
    """What a :func:`normal` text is indexed and scored by: spaced words, and Chinese as :func:`bigrams`."""
    out: list[str] = []
    for word in words(text):
        out += bigrams(word) if unspaced(word) else [word]
    return out
