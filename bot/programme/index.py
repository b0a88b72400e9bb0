"""Which sessions may contain a word: the candidate-finding layer of search.

A :class:`TextIndex` is built once per programme version from one folded
text per session (see :func:`bot.programme.agenda.fold`).  Given the folded
words of a query, :meth:`TextIndex.candidates` names the sessions that may
contain every one of them, as a substring, so a search only checks those;
what counts as a match, and in what order matches come, is the caller's.

How it finds them:

* Text is cut into runs of letters and digits (``metropolis``, ``2025``,
  ``s2``) and runs of Chinese or Japanese characters, which are written
  without spaces.  A letter run is a *word*; a CJK run is indexed by each
  pair of neighbouring characters (bigrams), or by its one character, so a
  query of one or two characters is found like a longer one (one character:
  the bigrams that contain it).
* A query word is cut the same way.  A letter run of it may be part of a
  word (``metro`` is in ``metropolis``, as today's search has it): the words
  that contain it are found through the trigrams of the vocabulary, or, for
  one or two letters, by looking through the vocabulary.  A CJK run must
  have all of its bigrams (or its one character) in the session.
* Punctuation in a query word (``s2-liurong``) only joins runs; each run
  must be there, and the caller checks the whole word.
"""

from __future__ import annotations

import re
from array import array
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Final

#: Han, kana, and the CJK compatibility ideographs: written without spaces between words.
CJK: Final = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_RUNS = re.compile(rf"[{CJK}]+|[^\W{CJK}]+")
_CJK_RUN = re.compile(rf"[{CJK}]+")
_WORD_RUN = re.compile(rf"[^\W{CJK}]+")

#: Short query runs looked up by scanning the vocabulary are remembered, up to this many.
_SCAN_MEMORY: Final = 512


def runs(text: str) -> list[str]:
    """The letter-and-digit runs and CJK runs of a folded text, in order."""
    return _RUNS.findall(text)


def _is_cjk(run: str) -> bool:
    return _CJK_RUN.fullmatch(run) is not None


def _grams(word: str, n: int) -> set[str]:
    return {word[i : i + n] for i in range(len(word) - n + 1)}


class TextIndex:
    """Postings of words and CJK characters and bigrams, over documents numbered from 0."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.size = len(texts)
        postings: defaultdict[str, array[int]] = defaultdict(lambda: array("I"))
        words, cjk_runs, pairs = _WORD_RUN.findall, _CJK_RUN.findall, str.__add__
        for doc, text in enumerate(texts):
            keys = set(words(text))
            for run in cjk_runs(text):
                if len(run) == 1:
                    keys.add(run)
                else:
                    keys.update(map(pairs, run, run[1:]))
            for key in keys:
                postings[key].append(doc)
        self._postings = dict(postings)
        self._words: list[str] = []
        by_char: dict[str, list[str]] = {}
        for key in self._postings:
            if _is_cjk(key):
                for char in set(key):
                    by_char.setdefault(char, []).append(key)
            else:
                self._words.append(key)
        self._keys_with_char = by_char
        by_gram: dict[str, list[int]] = {}
        for number, word in enumerate(self._words):
            for gram in _grams(word, 3):
                by_gram.setdefault(gram, []).append(number)
        self._word_grams = {gram: array("I", ids) for gram, ids in by_gram.items()}
        self._scanned: dict[str, tuple[str, ...]] = {}

    def candidates(self, tokens: Iterable[str]) -> list[int] | None:
        """Documents that may contain every folded token as a substring, in order; None when nothing narrows them."""
        found: set[int] | None = None
        for token in tokens:
            for run in _RUNS.findall(token):
                docs = self._docs_with(run)
                found = docs if found is None else found & docs
                if not found:
                    return []
        return None if found is None else sorted(found)

    def exact(self, tokens: Iterable[str]) -> bool:
        """Whether :meth:`candidates` for ``tokens`` are exactly the documents containing them (nothing to check).

        So it is for a token that is one run of letters and digits, or of one
        or two CJK characters: a substring of such a run lies inside one run
        of the text.
        """
        for token in tokens:
            found = _RUNS.findall(token)
            if len(found) != 1 or found[0] != token or (_is_cjk(token) and len(token) > 2):
                return False
        return True

    def _docs_with(self, run: str) -> set[int]:
        if _is_cjk(run) and len(run) == 1:
            docs = set()
            for key in self._keys_with_char.get(run, ()):
                docs.update(self._postings[key])
                if len(docs) == self.size:
                    break
            return docs
        if _is_cjk(run):
            keys = sorted(_grams(run, 2), key=lambda k: len(self._postings.get(k, ())))
            docs: set[int] | None = None
            for key in keys:
                posting = self._postings.get(key)
                if posting is None:
                    return set()
                docs = set(posting) if docs is None else docs.intersection(posting)
                if not docs:
                    return set()
            return docs or set()
        docs = set()
        for word in self._words_containing(run):
            docs.update(self._postings[word])
            if len(docs) == self.size:
                break
        return docs

    def _words_containing(self, part: str) -> tuple[str, ...]:
        """The words of the vocabulary that contain ``part`` (a letter-and-digit run)."""
        if len(part) >= 3:
            ids: set[int] | None = None
            for gram in sorted(_grams(part, 3), key=lambda g: len(self._word_grams.get(g, ()))):
                posting = self._word_grams.get(gram)
                if posting is None:
                    return ()
                ids = set(posting) if ids is None else ids.intersection(posting)
                if not ids:
                    return ()
            return tuple(w for w in (self._words[i] for i in ids or ()) if part in w)
        known = self._scanned.get(part)
        if known is None:
            if len(self._scanned) >= _SCAN_MEMORY:
                self._scanned.clear()
            known = self._scanned[part] = tuple(w for w in self._words if part in w)
        return known
