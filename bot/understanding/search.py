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

The index is plain dictionaries built once: the postings of each word
with the weight of its best field in each document (``word -> {document:
weight}``), each document's Chinese text by weight, and a sorted word list
for the endings.  A query adds the weights of the documents that have its
rarest word, and a hit's explanation is worked out only when it is shown:
at congress scale a word may be in thousands of sessions, of which one page
is read.
"""

from __future__ import annotations

import bisect
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final, overload

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
    #: the Chinese text of the fields, one string per weight, heaviest first (a word's best field is the first it is in)
    chinese: tuple[tuple[float, str], ...] = ()


def _field(name: str, value: object, texts: Iterable[str]) -> _Field | None:
    forms = [normal(t) for t in texts if t and str(t).strip()]
    if not forms:
        return None
    found = [w for form in forms for w in words(form)]
    return _Field(name, value, frozenset(w for w in found if not unspaced(w)), "\n".join(w for w in found if unspaced(w)))


class Hits(Sequence[Hit]):
    """The hits of one search, best first; each :class:`Hit` is made when it is read (a page is)."""

    def __init__(self, index: SearchIndex, ranked: list[tuple[float, int, int]],
                 wanted: Sequence[str], spellings: dict[str, set[str]]) -> None:
        self._index = index
        self._ranked = ranked
        self._wanted = wanted
        self._spellings = spellings

    def __len__(self) -> int:
        return len(self._ranked)

    def _hit(self, position: int) -> Hit:
        negative, _order, number = self._ranked[position]
        doc = self._index.documents[number]
        explain = functools.partial(SearchIndex._matches, doc, self._wanted, self._spellings)
        return Hit(doc.kind, doc.key, -negative, explain, doc.session, doc.day, doc.entry)

    @overload
    def __getitem__(self, position: int) -> Hit: ...
    @overload
    def __getitem__(self, position: slice) -> list[Hit]: ...
    def __getitem__(self, position: int | slice) -> Hit | list[Hit]:
        if isinstance(position, slice):
            return [self._hit(i) for i in range(*position.indices(len(self._ranked)))]
        if position < 0:
            position += len(self._ranked)
        if not 0 <= position < len(self._ranked):
            raise IndexError(position)
        return self._hit(position)

    def __iter__(self) -> Iterator[Hit]:
        return (self._hit(i) for i in range(len(self._ranked)))

    def __repr__(self) -> str:
        return f"<{len(self)} hits>"


class SearchIndex:
    """The search index of one programme version (see the module's docstring)."""

    def __init__(self, agenda: Agenda) -> None:
        # the agenda is not kept: it keeps the index (Agenda.derived)
        self.documents: list[_Document] = list(self._documents(agenda))
        #: word -> {document: the weight of the heaviest field it is in}
        postings: dict[str, dict[int, float]] = defaultdict(dict)
        for number, doc in enumerate(self.documents):
            chinese: dict[float, list[str]] = defaultdict(list)
            for f in doc.fields:
                weight = WEIGHTS[f.name]
                for w in f.words:
                    found = postings[w]
                    if found.get(number, 0.0) < weight:
                        found[number] = weight
                if f.chinese:
                    chinese[weight].append(f.chinese)
            doc.chinese = tuple((weight, "\n".join(texts)) for weight, texts in sorted(chinese.items(), reverse=True))
        self.postings = dict(postings)
        self.vocabulary = sorted(self.postings)
        #: Chinese character -> the documents whose Chinese text has it, as the bits of one int (a few KB
        #: each even for 16,000 sessions): a Chinese query is looked for only where all its characters are
        self.characters = self._characters(self.documents)
        #: each document's place in the order hits of equal score are listed in (sessions by start, days, info)
        self.place = [0] * len(self.documents)
        for place, number in enumerate(sorted(range(len(self.documents)), key=lambda n: self.documents[n].order)):
            self.place[number] = place

    @staticmethod
    def _characters(documents: Sequence[_Document]) -> dict[str, int]:
        where: dict[str, bytearray] = {}
        size = len(documents) // 8 + 1
        for number, doc in enumerate(documents):
            byte, bit = number >> 3, 1 << (number & 7)
            for ch in set("".join(text for _weight, text in doc.chinese)) - {"\n"}:
                bits = where.get(ch)
                if bits is None:
                    bits = where[ch] = bytearray(size)
                bits[byte] |= bit
        return {ch: int.from_bytes(bits, "little") for ch, bits in where.items()}

    def _with_characters(self, words: Sequence[str]) -> list[int] | None:
        """The documents that have every character of the Chinese ``words`` (a superset of the hits); None without any."""
        if not words:
            return None
        mask = -1
        for ch in set("".join(words)):
            mask &= self.characters.get(ch, 0)
            if not mask:
                return []
        digits = bin(mask)[:1:-1]  # bit 0 first
        return [n for n, d in enumerate(digits) if d == "1"]

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
        out = {word} if word in self.postings else set()
        if len(word) < SHORTEST_STEM:
            return out
        i = bisect.bisect_left(self.vocabulary, word)
        while i < len(self.vocabulary) and self.vocabulary[i].startswith(word):
            if len(self.vocabulary[i]) - len(word) <= ENDING:
                out.add(self.vocabulary[i])
            i += 1
        return out

    def search(self, query: str) -> Sequence[Hit]:
        """Everything that matches every word of ``query``, best first."""
        wanted = words(normal(query))
        if not wanted:
            return ()
        spellings = {w: self._spellings(w) for w in wanted if not unspaced(w)}
        chinese = [w for w in wanted if unspaced(w)]
        # per spaced word, each document it is in and the weight of its best field there
        weights: list[dict[int, float]] = []
        for forms in spellings.values():
            if not forms:
                return ()
            if len(forms) == 1:
                weights.append(self.postings[next(iter(forms))])
                continue
            merged: dict[int, float] = {}
            for form in forms:
                for number, weight in self.postings[form].items():
                    if merged.get(number, 0.0) < weight:
                        merged[number] = weight
            weights.append(merged)
        weights.sort(key=len)
        scores: dict[int, float]
        if weights:
            scores = dict(weights[0])
            for other in weights[1:]:
                scores = {n: w + other[n] for n, w in scores.items() if n in other}
                if not scores:
                    return ()
        else:
            scores = {}
        narrowed = self._with_characters(chinese)
        if narrowed is not None:
            scores = {n: scores[n] for n in narrowed if n in scores} if weights else dict.fromkeys(narrowed, 0.0)
        elif not weights:
            scores = dict.fromkeys(range(len(self.documents)), 0.0)
        documents = self.documents
        for w in chinese:  # substrings: the document's heaviest text that has it
            kept: dict[int, float] = {}
            for number, total in scores.items():
                for weight, text in documents[number].chinese:
                    if w in text:
                        kept[number] = total + weight
                        break
            scores = kept
            if not scores:
                return ()
        whole = normal(query)
        place = self.place
        ranked: list[tuple[float, int, int]] = []
        for number, score in scores.items():
            titles = documents[number].titles
            if whole and any(whole in title for title in titles):
                score += IN_TITLE
                if whole in titles:
                    score += WHOLE_TITLE
            ranked.append((-score, place[number], number))
        ranked.sort()
        return Hits(self, ranked, wanted, spellings)

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
