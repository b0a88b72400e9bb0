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
(``word -> {document}``) and a sorted word list for the endings, so a query
costs a few dictionary reads and a pass over the documents that have its
rarest word, whatever the size of the programme.
"""

from __future__ import annotations

import bisect
import weakref
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from bot.programme.agenda import Agenda
from bot.programme.model import Day, InfoEntry, Session, every_text
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


@dataclass(frozen=True)
class Hit:
    """A session, a day or an information entry that matches a query."""

    kind: str
    """``session``, ``day`` or ``info``."""
    key: str
    score: float
    matches: tuple[Match, ...]
    session: Session | None = None
    day: Day | None = None
    entry: InfoEntry | None = None


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


class SearchIndex:
    """The search index of one programme version (see the module's docstring)."""

    def __init__(self, agenda: Agenda) -> None:
        self.agenda = agenda
        self.documents: list[_Document] = list(self._documents(agenda))
        postings: dict[str, set[int]] = defaultdict(set)
        for number, doc in enumerate(self.documents):
            for f in doc.fields:
                for w in f.words:
                    postings[w].add(number)
        self.postings = dict(postings)
        self.vocabulary = sorted(self.postings)

    _BUILT: weakref.WeakKeyDictionary[Agenda, SearchIndex] = weakref.WeakKeyDictionary()

    @classmethod
    def of(cls, agenda: Agenda) -> SearchIndex:
        """The index of ``agenda``, built on first use and kept as long as that programme version is."""
        index = cls._BUILT.get(agenda)
        if index is None:
            index = cls._BUILT[agenda] = cls(agenda)
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

    def search(self, query: str) -> list[Hit]:
        """Everything that matches every word of ``query``, best first."""
        wanted = words(normal(query))
        if not wanted:
            return []
        spellings = {w: self._spellings(w) for w in wanted if not unspaced(w)}
        candidates: set[int] | None = None
        for w, forms in spellings.items():
            docs = set().union(*(self.postings[f] for f in forms)) if forms else set()
            candidates = docs if candidates is None else candidates & docs
            if not candidates:
                return []
        numbers = range(len(self.documents)) if candidates is None else sorted(candidates)
        whole = normal(query)
        hits: list[tuple[float, tuple[object, ...], Hit]] = []
        for number in numbers:
            doc = self.documents[number]
            score, matches = self._score(doc, wanted, spellings)
            if score is None:
                continue
            if any(whole and whole in title for title in doc.titles):
                score += IN_TITLE
            if whole in doc.titles:
                score += WHOLE_TITLE
            hit = Hit(doc.kind, doc.key, score, tuple(matches), doc.session, doc.day, doc.entry)
            hits.append((score, doc.order, hit))
        hits.sort(key=lambda item: (-item[0], item[1]))
        return [hit for _score, _order, hit in hits]

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
