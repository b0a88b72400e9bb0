"""Search over one programme version, ranked, saying what matched.

:meth:`SearchIndex.of` builds (once per :class:`~bot.programme.agenda.Agenda`,
that is per programme version) an index of every searchable field: session
titles, descriptions, speakers and moderators, presenting cities and their
initiatives, venues and site-visit meeting points, stream titles, the days'
titles and notes, and the practical information.  :meth:`SearchIndex.search`
is the one entry point: a query in, :class:`Hit` objects out, best first,
each with the :class:`Match` es that explain it.

Words of spaced scripts match whole words ("metro" is not in "Metropolis"),
allowing a short ending ("lunch" finds "lunches"); Chinese matches as a
substring.  Every word of the query must match somewhere in a hit; the score
adds, per word, the weight of the best field it matched in
(:data:`WEIGHTS`), plus a bonus where the whole query stands in a title.

The index is built once per version, as flat arrays (numpy): for each
indexed word, and for each Chinese character and pair of characters, the
documents it is in with the weight of the best field it is in there (one
run of sorted postings per term, as in any inverted index).  A query adds
up, per word, a weight per document over the whole programme at once; a
Chinese word of more than two characters is looked for only in the
documents that have all its pairs; the ranking is one sort of the hits; and
a hit's explanation is worked out only when it is shown: at congress scale
a word may be in thousands of sessions, of which one page is read.
"""

from __future__ import annotations

import bisect
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, overload

if TYPE_CHECKING:
    import numpy as np

from bot.programme.agenda import Agenda
from bot.programme.model import Day, InfoEntry, Session, every_text
from bot.programme.reader import collector_paused
from bot.understanding.text import normal, unspaced, words

#: How much a word found in each field counts.
WEIGHTS: Final = {
    "title": 6.0, "id": 5.0, "presenter": 5.0, "speaker": 5.0, "moderator": 5.0, "info": 5.0,
    "venue": 3.0, "meeting point": 3.0, "day": 3.0, "question": 4.0, "stream": 2.0, "description": 1.5,
    "answer": 1.0, "day note": 2.0,
}
#: A word may match a longer word that only adds this many letters ("lunch" -> "lunches").
ENDING: Final = 2
#: Only words this long may take an ending ("a" is not "an" or "and").
SHORTEST_STEM: Final = 4
#: The bonus where the whole query stands in a title, and where it is the whole title.
IN_TITLE, WHOLE_TITLE = 3.0, 5.0
TITLE_WEIGHT: Final = WEIGHTS["title"]
assert TITLE_WEIGHT == max(WEIGHTS.values()), "a word in a title weighs the most"
#: With more hits than this having every word in a title, the query is looked for in all titles at once.
MANY_TITLED: Final = 1000
#: The words' postings are gathered this many at a time (a few ms of work each).
CHUNK_WORDS: Final = 20_000
#: Chinese postings are built this many characters of text at a time (a few tens of MB at the peak).
CHUNK_CHARACTERS: Final = 300_000
#: With more documents than this having every pair of a long Chinese word, it is looked for in all texts at once.
MANY_CANDIDATES: Final = 2000
#: Between the texts of two weights in a document's Chinese text (never in a normalised text).
_LEVEL: Final = "\x01"


@dataclass(frozen=True)
class Match:
    """One field of a hit that matched: which, and the programme object or text it belongs to."""

    field: str
    value: object
    """A presenter, speaker, venue, stream, day, the text of a description or answer..."""


class Hit:
    """A session, a day or an information entry that matches a query.

    Its :attr:`matches` (what explains it) are worked out when first asked
    for: a search at congress scale may match thousands, of which a page is
    shown.
    """

    __slots__ = ("kind", "key", "score", "session", "day", "entry", "_explain", "_matches")

    def __init__(self, kind: str, key: str, score: float, matches: tuple[Match, ...] | Callable[[], tuple[Match, ...]],
                 session: Session | None = None, day: Day | None = None, entry: InfoEntry | None = None) -> None:
        self.kind = kind
        """``session``, ``day`` or ``info``."""
        self.key = key
        self.score = score
        self.session = session
        self.day = day
        self.entry = entry
        self._matches: tuple[Match, ...] | None = None if callable(matches) else matches
        self._explain = matches if callable(matches) else None

    @property
    def matches(self) -> tuple[Match, ...]:
        if self._matches is None:
            assert self._explain is not None
            self._matches = self._explain()
            self._explain = None
        return self._matches

    def __repr__(self) -> str:
        return f"Hit({self.kind!r}, {self.key!r}, {self.score:g})"


@dataclass
class _Field:
    name: str
    value: object
    words: frozenset[str]
    chinese: str


@dataclass
class _Document:
    kind: str
    key: str
    fields: list[_Field]
    titles: tuple[str, ...]
    order: tuple[object, ...]
    session: Session | None = None
    day: Day | None = None
    entry: InfoEntry | None = None


def _field(name: str, value: object, texts: Iterable[str]) -> _Field | None:
    forms = [normal(t) for t in texts if t and str(t).strip()]
    if not forms:
        return None
    found = [w for form in forms for w in words(form)]
    return _Field(name, value, frozenset(w for w in found if not unspaced(w)), "\n".join(w for w in found if unspaced(w)))


class Hits(Sequence[Hit]):
    """The hits of one search, best first; each :class:`Hit` is made when it is read (a page is)."""

    def __init__(self, index: SearchIndex, numbers: np.ndarray, scores: np.ndarray,
                 wanted: Sequence[str], spellings: dict[str, set[str]]) -> None:
        self._index = index
        self._numbers = numbers
        self._scores = scores
        self._wanted = wanted
        self._spellings = spellings

    def __len__(self) -> int:
        return len(self._numbers)

    def _hit(self, position: int) -> Hit:
        doc = self._index.documents[int(self._numbers[position])]
        explain = functools.partial(SearchIndex._matches, doc, self._wanted, self._spellings)
        return Hit(doc.kind, doc.key, float(self._scores[position]), explain, doc.session, doc.day, doc.entry)

    @overload
    def __getitem__(self, position: int) -> Hit: ...
    @overload
    def __getitem__(self, position: slice) -> list[Hit]: ...
    def __getitem__(self, position: int | slice) -> Hit | list[Hit]:
        if isinstance(position, slice):
            return [self._hit(i) for i in range(*position.indices(len(self._numbers)))]
        if position < 0:
            position += len(self._numbers)
        if not 0 <= position < len(self._numbers):
            raise IndexError(position)
        return self._hit(position)

    def __iter__(self) -> Iterator[Hit]:
        return (self._hit(i) for i in range(len(self._numbers)))

    def __repr__(self) -> str:
        return f"<{len(self)} hits>"


#: The weights of fields, heaviest first: a posting keeps a weight as its rank here (three bits).
_RANKS: Final = tuple(sorted(set(WEIGHTS.values()), reverse=True))
assert len(_RANKS) <= 8


class _Postings:
    """Terms (int keys) -> the documents each is in and the weight of its best field there.

    One sorted run of documents per term, in flat arrays: a few bytes per
    (term, document) pair, where dictionaries took a hundred.  Built by one
    in-place sort of the pairs packed into 64-bit numbers (term, document,
    rank of the weight), which keeps the peak memory of the build low.
    """

    __slots__ = ("keys", "starts", "documents", "weights")

    def __init__(self, keys: np.ndarray, documents: np.ndarray, weights: np.ndarray, *, terms: int, size: int) -> None:
        import numpy as np

        if terms * max(size, 1) * 8 >= 2**63:
            raise OverflowError(f"{terms:,} terms in {size:,} documents do not fit the index")
        ranks = np.asarray(_RANKS, dtype=np.float32)
        packed = keys.astype(np.int64)
        packed *= max(size, 1)
        packed += documents
        packed <<= 3
        packed += (-ranks).searchsorted(-weights)  # rank 0, the heaviest, sorts first
        packed.sort()
        pairs = packed >> 3
        first = np.ones(len(packed), dtype=bool)  # one entry per (term, document): the heaviest
        first[1:] = pairs[1:] != pairs[:-1]
        packed, pairs = packed[first], pairs[first]
        keys = pairs // max(size, 1)
        self.documents = (pairs % max(size, 1)).astype(np.int32)
        self.weights = ranks[packed & 7]
        del packed, pairs
        begins = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1]))) if len(keys) else np.empty(0, dtype=np.int64)
        self.keys = keys[begins]
        self.starts = np.append(begins, len(keys))

    def get(self, key: int) -> tuple[np.ndarray, np.ndarray] | None:
        """The documents ``key`` is in (ascending) and its weight in each; None where it is in none."""
        i = int(self.keys.searchsorted(key))
        if i == len(self.keys) or int(self.keys[i]) != key:
            return None
        low, high = int(self.starts[i]), int(self.starts[i + 1])
        return self.documents[low:high], self.weights[low:high]

    def __len__(self) -> int:
        return len(self.documents)


class _Chunks:
    """Postings built a part of the documents at a time (in their order): a term's documents are each part's, one after the other."""

    __slots__ = ("parts",)

    def __init__(self, parts: Sequence[_Postings]) -> None:
        self.parts = tuple(parts)

    def get(self, key: int) -> tuple[np.ndarray, np.ndarray] | None:
        import numpy as np

        found = [got for part in self.parts if (got := part.get(key)) is not None]
        if len(found) <= 1:
            return found[0] if found else None
        return np.concatenate([d for d, _w in found]), np.concatenate([w for _d, w in found])

    def __len__(self) -> int:
        return sum(map(len, self.parts))


class _Texts:
    """Texts of documents one after the other in one string, each between two separators, to find a word in all at once.

    ``str.split`` looks for the word at C speed; where the pieces end says
    which documents have it.
    """

    __slots__ = ("text", "starts", "owners")

    def __init__(self, texts: Sequence[tuple[int, str]]) -> None:
        import numpy as np

        segments = [f"\0{text}\0" for _number, text in texts]
        lengths = np.fromiter(map(len, segments), dtype=np.int64, count=len(segments))
        self.text = "".join(segments)
        self.starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
        self.owners = np.fromiter((number for number, _text in texts), dtype=np.int64, count=len(texts))

    def having(self, word: str) -> np.ndarray:
        """The documents with ``word`` in one of their texts (some more than once)."""
        import numpy as np

        parts = self.text.split(word)
        if len(parts) == 1:
            return np.empty(0, dtype=np.int64)
        lengths = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
        offsets = np.cumsum(lengths[:-1]) + np.arange(len(parts) - 1) * len(word)
        return self.owners[self.starts.searchsorted(offsets, side="right") - 1]


_SEPARATOR, _NEWLINE = 0, 10


class SearchIndex:
    """The search index of one programme version (see the module's docstring)."""

    def __init__(self, agenda: Agenda) -> None:
        import numpy as np

        # the agenda is not kept: it keeps the index (Agenda.derived)
        self.documents: list[_Document] = list(self._documents(agenda))
        #: word -> its key in :attr:`postings` (in the order first seen)
        self.terms: dict[str, int] = {}
        # the words' postings, a few hundred documents at a time: no single call over a congress's million words
        # holds the interpreter long enough for the event loop to feel it (a worker thread builds this)
        keys: list[np.ndarray] = []
        numbers: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        part_words: list[int] = []
        part_numbers: list[int] = []
        part_weights: list[float] = []
        chinese_texts: list[str] = []
        chinese_numbers: list[int] = []
        chinese_weights: list[float] = []
        # per document, its fields' Chinese text, one part per weight, heaviest first, between _LEVEL marks,
        # and the weight of each part: where a long word is first found is its best field
        per_document: list[str] = []
        ranks: list[tuple[float, ...]] = []
        terms = self.terms
        for number, doc in enumerate(self.documents):
            chinese: dict[float, list[str]] = defaultdict(list)
            for f in doc.fields:
                weight = WEIGHTS[f.name]
                part_words.extend([terms.setdefault(w, len(terms)) for w in f.words])
                part_numbers.extend([number] * len(f.words))
                part_weights.extend([weight] * len(f.words))
                if f.chinese:
                    chinese[weight].append(f.chinese)
            levels = [(weight, "\n".join(texts)) for weight, texts in sorted(chinese.items(), reverse=True)]
            per_document.append(_LEVEL.join(text for _weight, text in levels))
            ranks.append(tuple(weight for weight, _text in levels))
            for weight, text in levels:
                chinese_texts.append(text)
                chinese_numbers.append(number)
                chinese_weights.append(weight)
            if len(part_words) >= CHUNK_WORDS:
                keys.append(np.array(part_words, dtype=np.int64))
                numbers.append(np.array(part_numbers, dtype=np.int32))
                weights.append(np.array(part_weights, dtype=np.float32))
                part_words, part_numbers, part_weights = [], [], []
        keys.append(np.array(part_words, dtype=np.int64))
        numbers.append(np.array(part_numbers, dtype=np.int32))
        weights.append(np.array(part_weights, dtype=np.float32))
        del part_words, part_numbers, part_weights
        self.vocabulary = sorted(terms)
        #: every word of a spaced script: the documents it is in, with the weight of its best field there
        self.postings = _Postings(np.concatenate(keys), np.concatenate(numbers), np.concatenate(weights),
                                  terms=len(terms), size=len(self.documents))
        del keys, numbers, weights
        #: every Chinese character and pair of characters, the same way (pairs never straddle two fields or runs)
        #: the Chinese characters of the programme, ascending: a character's key is its place here, a pair's
        #: ``len(characters) * (1 + first) + second``
        self.characters, self.chinese = self._chinese_postings(chinese_texts, chinese_numbers, chinese_weights, len(self.documents))
        #: the documents' Chinese texts by weight, heaviest first: where a long word is looked for in many documents
        levels: dict[float, list[tuple[int, str]]] = defaultdict(list)
        for number, weight, text in zip(chinese_numbers, chinese_weights, chinese_texts):
            levels[weight].append((number, text))
        self._chinese_levels = [(weight, _Texts(texts)) for weight, texts in sorted(levels.items(), reverse=True)]
        del levels, chinese_texts, chinese_numbers, chinese_weights
        #: every document's Chinese text (as above) in one string, between NULs: document n's is
        #: ``[starts[n], starts[n + 1] - 1)``; one string, not one a document, so checking two thousand of them
        #: reads memory in order (their objects, scattered over the heap, each waited on the memory)
        self._chinese_all = "\0".join(per_document)
        self._chinese_starts = np.zeros(len(per_document) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, per_document), dtype=np.int64, count=len(per_document)) + 1, out=self._chinese_starts[1:])
        #: [document, part] -> the part's weight
        self._chinese_ranks = np.zeros((len(ranks), max(map(len, ranks), default=0) or 1), dtype=np.float32)
        for number, weights_of in enumerate(ranks):
            self._chinese_ranks[number, : len(weights_of)] = weights_of
        del per_document, ranks
        #: each document's place in the order hits of equal score are listed in (sessions by start, days, info)
        self.place = np.empty(len(self.documents), dtype=np.int64)
        self.place[sorted(range(len(self.documents)), key=lambda n: self.documents[n].order)] = np.arange(len(self.documents))
        #: every title between two separators, one after the other, in three texts by the widest character in it
        #: (a text of Latin-1 alone is a byte a character, four times quicker to search than one with Chinese)
        self._titles = self._title_texts(self.documents)
        #: title -> the documents it is the whole title of
        self._whole_titles: dict[str, list[int]] = defaultdict(list)
        for number, doc in enumerate(self.documents):
            for title in set(doc.titles):
                self._whole_titles[title].append(number)

    @staticmethod
    def _chinese_postings(texts: list[str], numbers: list[int], weights: list[float], size: int) -> tuple[np.ndarray, _Chunks]:
        """The Chinese characters of ``texts`` and their postings, built a few hundred thousand characters at a time."""
        import numpy as np

        characters = np.unique(np.concatenate([np.empty(0, dtype=np.uint32)] + [  # a part at a time, as below
            np.unique(np.frombuffer("".join(texts[i : i + 2000]).encode("utf-32-le"), dtype=np.uint32))
            for i in range(0, len(texts), 2000)
        ]))
        count = len(characters)
        chunks = []
        begin = 0
        while begin < len(texts):
            end, letters = begin, 0
            # a document's texts stay in one part: its documents are then ascending across the parts, each once
            while end < len(texts) and (letters < CHUNK_CHARACTERS or end == begin or numbers[end] == numbers[end - 1]):
                letters += len(texts[end]) + 1
                end += 1
            part = texts[begin:end]
            codes = np.frombuffer("\0".join(part).encode("utf-32-le"), dtype=np.uint32)
            lengths = np.fromiter(map(len, part), dtype=np.int64, count=len(part)) + 1
            at = np.repeat(np.array(numbers[begin:end], dtype=np.int32), lengths)[: len(codes)]
            weight_at = np.repeat(np.array(weights[begin:end], dtype=np.float32), lengths)[: len(codes)]
            letter = (codes != _SEPARATOR) & (codes != _NEWLINE)
            ids = characters.searchsorted(codes).astype(np.int64)  # the separators are never looked up
            pair = letter[:-1] & letter[1:]
            keys = np.concatenate((ids[letter], count * (1 + ids[:-1][pair]) + ids[1:][pair]))
            chunks.append(_Postings(keys, np.concatenate((at[letter], at[:-1][pair])),
                                    np.concatenate((weight_at[letter], weight_at[:-1][pair])),
                                    terms=count * (count + 1), size=size))
            begin = end
        return characters, _Chunks(chunks)

    def _chinese_key(self, text: str) -> int | None:
        """The key of one Chinese character or of a pair of them; None for a character the programme does not have."""
        places = []
        for ch in text:
            i = int(self.characters.searchsorted(ord(ch)))
            if i == len(self.characters) or int(self.characters[i]) != ord(ch):
                return None
            places.append(i)
        count = len(self.characters)
        return places[0] if len(places) == 1 else count * (1 + places[0]) + places[1]

    def _chinese_postings_of(self, text: str) -> tuple[np.ndarray, np.ndarray] | None:
        key = self._chinese_key(text)
        return None if key is None else self.chinese.get(key)

    @staticmethod
    def _title_texts(documents: Sequence[_Document]) -> list[tuple[int, _Texts]]:
        widths: dict[int, list[tuple[int, str]]] = {}
        for number, doc in enumerate(documents):
            for title in doc.titles:
                widest = max(map(ord, title), default=0)
                width = 0xFF if widest <= 0xFF else 0xFFFF if widest <= 0xFFFF else 0x10FFFF
                widths.setdefault(width, []).append((number, title))
        return [(width, _Texts(texts)) for width, texts in sorted(widths.items())]

    def _in_titles(self, text: str) -> np.ndarray:
        """The documents with ``text`` in one of their titles (some more than once)."""
        import numpy as np

        widest = max(map(ord, text), default=0)
        found = [titles.having(text) for width, titles in self._titles if widest <= width]  # no title of the others has so wide a character
        return np.concatenate(found) if found else np.empty(0, dtype=np.int64)

    @classmethod
    def of(cls, agenda: Agenda) -> SearchIndex:
        """The index of ``agenda``, built on first use and kept as long as that programme version is.

        It is built with the collector paused (and then frozen, as the version is, where the service freezes
        its objects): a full collection on the way walks every object the index has made so far, 0.1-0.3 s
        at a time at 16,000 sessions.
        """
        index = agenda.derived.get("search")
        if not isinstance(index, SearchIndex):
            with collector_paused():
                index = cls(agenda)
            agenda.derived["search"] = index
        return index

    @classmethod
    async def ready(cls, agenda: Agenda) -> SearchIndex:
        """The index of ``agenda``, built in a worker thread if it is not yet (:meth:`Agenda.derive`): what a
        request that searches awaits first, so a search just after a reload never builds it on the event loop."""
        index = agenda.derived.get("search")
        if isinstance(index, SearchIndex):
            return index
        return await agenda.derive("search", functools.partial(cls.of, agenda))

    @staticmethod
    def _documents(agenda: Agenda) -> Iterable[_Document]:
        programme = agenda.programme
        for s in agenda.sessions:
            fields = [
                _field("title", s.title, every_text(s.title)),
                _field("id", s.id, [s.id]),
                _field("description", s.description, every_text(s.description)),
            ]
            fields += [_field("speaker", p, [*every_text(p.name), *every_text(p.organisation), *every_text(p.city), *every_text(p.role)]) for p in s.speakers]
            fields += [_field("moderator", p, [*every_text(p.name), *every_text(p.organisation), *every_text(p.city), *every_text(p.role)]) for p in s.moderators]
            fields += [_field("presenter", p, [*every_text(p.city), *every_text(p.country), *every_text(p.initiative), *every_text(p.speaker)]) for p in s.presenters]
            venue = programme.venue(s.venue)
            if venue is not None:
                fields.append(_field("venue", venue, [*every_text(venue.name), *every_text(venue.district)]))
            if s.site_visit is not None:
                point = programme.venue(s.site_visit.meeting_point)
                if point is not None and point is not venue:
                    fields.append(_field("meeting point", point, [*every_text(point.name), *every_text(s.site_visit.meeting_note)]))
                fields += [_field("description", host, every_text(host)) for host in s.site_visit.hosts]
            stream = programme.stream(s.stream) if s.stream else None
            if stream is not None:
                fields.append(_field("stream", stream, every_text(stream.title)))
            yield _Document("session", s.id, [f for f in fields if f], tuple(normal(t) for t in every_text(s.title)), (0, s.start, s.id), session=s)
        for day in programme.days:
            fields = [_field("day", day, every_text(day.title)), _field("day note", day, every_text(day.note))]
            yield _Document("day", day.date.isoformat(), [f for f in fields if f], tuple(normal(t) for t in every_text(day.title)), (1, day.date), day=day)
        for number, entry in enumerate(programme.info):
            fields = [
                _field("info", entry, every_text(entry.title)),
                _field("question", entry, every_text(entry.questions)),
                _field("answer", entry, every_text(entry.answer)),
            ]
            yield _Document("info", entry.id, [f for f in fields if f], tuple(normal(t) for t in every_text(entry.title)), (2, number), entry=entry)

    # -- searching -------------------------------------------------------------------

    def _spellings(self, word: str) -> set[str]:
        """The indexed words ``word`` stands for: itself, and itself with a short ending."""
        out = {word} if word in self.terms else set()
        if len(word) < SHORTEST_STEM:
            return out
        i = bisect.bisect_left(self.vocabulary, word)
        while i < len(self.vocabulary) and self.vocabulary[i].startswith(word):
            if len(self.vocabulary[i]) - len(word) <= ENDING:
                out.add(self.vocabulary[i])
            i += 1
        return out

    def _spaced_weights(self, forms: set[str]) -> np.ndarray:
        """Per document, the weight of the best field that has one of ``forms`` (0 for none)."""
        import numpy as np

        found = np.zeros(len(self.documents))
        for form in forms:
            numbers, weights = self.postings.get(self.terms[form])  # type: ignore[misc]
            found[numbers] = np.maximum(found[numbers], weights)
        return found

    def _chinese_weights(self, word: str) -> np.ndarray:
        """Per document, the weight of its heaviest field with the Chinese ``word`` in it (0 for none)."""
        import numpy as np

        found = np.zeros(len(self.documents))
        if len(word) <= 2:  # a character or a pair: its postings say it
            got = self._chinese_postings_of(word)
            if got is not None:
                found[got[0]] = got[1]
            return found
        # only where every pair of it is, is it looked for; and no heavier than the lightest of its pairs is there
        bound = np.full(len(self.documents), np.inf)
        for i in range(len(word) - 1):
            got = self._chinese_postings_of(word[i : i + 2])
            if got is None:
                return found
            pair = np.zeros(len(self.documents))
            pair[got[0]] = got[1]
            np.minimum(bound, pair, out=bound)
        having = np.flatnonzero(bound > 0)
        if len(having) > MANY_CANDIDATES:  # looked for in every document's texts at once, heaviest first
            candidate = np.zeros(len(self.documents), dtype=bool)
            candidate[having] = True
            for weight, texts in self._chinese_levels:
                numbers = texts.having(word)
                numbers = numbers[candidate[numbers] & (found[numbers] == 0)]
                found[numbers] = weight
            return found
        # each candidate's part of one string, in order: where the word is first found says its field
        text, starts = self._chinese_all, self._chinese_starts
        numbers: list[int] = []
        parts: list[int] = []
        find, count = text.find, text.count
        for number, begin, end in zip(having.tolist(), starts[having].tolist(), (starts[having + 1] - 1).tolist()):
            at = find(word, begin, end)
            if at >= 0:
                numbers.append(number)
                parts.append(count(_LEVEL, begin, at))
        found[numbers] = self._chinese_ranks[numbers, parts]
        return found

    def _chinese_of(self, number: int) -> str:
        """Document ``number``'s Chinese text, its parts between _LEVEL marks (for tests)."""
        return self._chinese_all[int(self._chinese_starts[number]) : int(self._chinese_starts[number + 1]) - 1]

    def search(self, query: str) -> Sequence[Hit]:
        """Everything that matches every word of ``query``, best first."""
        import numpy as np

        wanted = words(normal(query))
        if not wanted:
            return ()
        spellings = {w: self._spellings(w) for w in wanted if not unspaced(w)}
        if not all(spellings.values()):
            return ()
        total = np.zeros(len(self.documents))
        every = np.ones(len(self.documents), dtype=bool)
        in_title = np.ones(len(self.documents), dtype=bool)
        for word_weights in [*map(self._spaced_weights, spellings.values()),
                             *map(self._chinese_weights, dict.fromkeys(w for w in wanted if unspaced(w)))]:
            every &= word_weights > 0
            if not every.any():
                return ()
            in_title &= word_weights == TITLE_WEIGHT
            total += word_weights
        whole = normal(query)
        # the whole query in a title: only where each of its words is in the title (weighs as a title word),
        # which says it for a query of one word (a word, one with an ending, or Chinese in the title's text)
        titled = np.flatnonzero(in_title)
        if len(wanted) == 1:
            pass
        elif len(titled) > MANY_TITLED:
            having = np.zeros(len(self.documents), dtype=bool)
            having[self._in_titles(whole)] = True
            titled = titled[having[titled]]
        else:
            documents = self.documents
            titled = titled[[any(whole in title for title in documents[n].titles) for n in titled.tolist()]]
        total[titled] += IN_TITLE
        total[self._whole_titles.get(whole, [])] += WHOLE_TITLE
        numbers = np.flatnonzero(every)
        scores = total[numbers]
        order = np.lexsort((self.place[numbers], -scores))
        return Hits(self, numbers[order], scores[order], wanted, spellings)

    @staticmethod
    def _matches(doc: _Document, wanted: Sequence[str], spellings: dict[str, set[str]]) -> tuple[Match, ...]:
        """What explains a hit: each word's best field, and the people and places it is also in."""
        return tuple(SearchIndex._score(doc, wanted, spellings)[1])

    @staticmethod
    def _score(doc: _Document, wanted: Sequence[str], spellings: dict[str, set[str]]) -> tuple[float | None, list[Match]]:
        total = 0.0
        matched: dict[int, _Field] = {}
        for w in wanted:
            best: _Field | None = None
            for f in doc.fields:
                hit = (w in f.chinese) if unspaced(w) else bool(spellings[w] & f.words)
                if hit and (best is None or WEIGHTS[f.name] > WEIGHTS[best.name]):
                    best = f
            if best is None:
                return None, []
            total += WEIGHTS[best.name]
            matched[id(best)] = best
            # every other field the word is in explains the hit too (the city and its initiative)
            for f in doc.fields:
                if f is not best and f.name in ("presenter", "speaker", "moderator", "venue", "meeting point", "day note"):
                    if (w in f.chinese) if unspaced(w) else bool(spellings[w] & f.words):
                        matched[id(f)] = f
        order = list(WEIGHTS)
        fields = sorted(matched.values(), key=lambda f: order.index(f.name))
        return total, [Match(f.name, f.value) for f in fields]
