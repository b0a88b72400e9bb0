"""What a question is about, found in its text: a day, a part of the day, a stream, a session, a venue.

:class:`Slots` is built from the phrase data and one programme version
(:meth:`Slots.build`); :meth:`Slots.find` marks, in a :func:`normal
<bot.understanding.text.normal>` text, the spans that name something, each
with its value and how it was read (for the explanation).

* The *closed* slots come from the phrase data: a day (``tomorrow``,
  ``thursday``, ``day 3``, ``第三天``, ``5 June``, ``6月5日``), a part of the day
  (``morning``, ``下午``) and a stream (``stream 2``, ``分论坛二``).
* The *open* slots come from the programme: a session or a venue named by the
  distinctive words of its title or name in any language (``the panel``,
  ``Liurong``, ``专题讨论``), weighted by how rare each word is in the
  programme, so "panel" names the panel discussion and "visit" names no
  single session.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from babel import Locale
from babel.dates import get_day_names, get_month_names

from bot.programme.agenda import Agenda
from bot.programme.model import every_text
from bot.understanding.phrases import PLACEHOLDER, Phrases
from bot.understanding.text import AFTER_WORD, BEFORE_WORD, normal, terms, unspaced, words

#: A word that a larger share of sessions (or venues) than this have in their titles names none of them.
COMMON_SHARE = 0.35
#: Placeholders put in place of what a slot found, one character each, so that texts compare by their other words.
MARKS = {"day": "\ue000", "part": "\ue001", "stream": "\ue002", "session": "\ue003", "venue": "\ue004"}
OPEN = ("session", "venue")


@dataclass(frozen=True)
class Found:
    """One slot found in a text: where, its value, and how it was read."""

    slot: str
    start: int
    end: int
    value: object
    """A date, a part-of-day key, a stream id, or a tuple of session or venue ids (more than one: ambiguous)."""
    words: str
    """The text it was read from."""
    how: str
    """For the explanation: the table or programme field that matched."""
    weight: float = 1.0


def _boundary(spaced: bool, body: str) -> str:
    """``body`` as a whole word where the language spaces its words."""
    return f"{BEFORE_WORD}{body}{AFTER_WORD}" if spaced else body


def _literal(text: str) -> str:
    """A phrase as a pattern: its :func:`normal` form, spaces optional between Chinese parts."""
    parts = normal(text).split(" ")
    return r"\s*".join(re.escape(p) for p in parts if p)


def _template(template: str, slots: Mapping[str, str]) -> str:
    """``"第{n}天"`` with ``{"n": "..."}`` -> a pattern over normal text (literal parts normalised)."""
    out: list[str] = []
    position = 0
    for m in PLACEHOLDER.finditer(template):
        literal = _literal(template[position:m.start()])
        if literal:
            out.append(literal)
        out.append(f"(?:{slots[m.group(1)]})")
        position = m.end()
    literal = _literal(template[position:])
    if literal:
        out.append(literal)
    return r"\s*".join(out)


def _alternatives(items: Iterable[str]) -> str:
    ordered = sorted({i for i in items if i}, key=len, reverse=True)
    return "|".join(re.escape(i) for i in ordered) if ordered else "(?!)"


@functools.lru_cache(maxsize=32)
def _cldr_names(kind: str, tags: tuple[str, ...]) -> dict[str, int]:
    """CLDR's day or month names, normal form -> number (one-letter abbreviations left out: "M" names nothing)."""
    out: dict[str, int] = {}
    for tag in tags:
        locale = Locale.parse(tag)
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                table = (get_day_names if kind == "day" else get_month_names)(width, context, locale)
                for number, name in table.items():
                    name = normal(name)
                    if len(name) > 1 or unspaced(name):
                        out.setdefault(name, number)
    return out


@dataclass(frozen=True)
class _Pattern:
    slot: str
    regex: re.Pattern[str]
    how: str
    kind: str


class Slots:
    """The slot readers for one phrase set and one programme version."""

    def __init__(self, words: Phrases, agenda: Agenda, tags: Sequence[str]) -> None:
        self.agenda = agenda
        self.numbers = {normal(w): int(n) for w, n in words.numbers.items()}
        number = rf"\d{{1,2}}|{_alternatives(self.numbers)}"
        self.relative = {normal(w): n for w, n in words.relative_days.items()}
        self.of_the_event = {normal(w): n for w, n in words.event_days.items()}
        self.weekdays = {**_cldr_names("day", tuple(tags)), **{normal(w): n for w, n in words.weekdays.items()}}
        self.months = _cldr_names("month", tuple(tags))
        self.parts = {normal(w): part for w, part in words.parts_of_day.items()}
        patterns: list[_Pattern] = []

        def add(slot: str, body: str, how: str, kind: str, spaced: bool | None = None) -> None:
            if spaced is None:
                spaced = not any(unspaced(ch) for ch in re.sub(r"\\.|[^\w]", "", body)) and not unspaced(body[:1])
            patterns.append(_Pattern(slot, re.compile(_boundary(spaced, f"(?:{body})")), how, kind))

        def add_words(slot: str, items: Iterable[str], how: str, kind: str) -> None:
            """Words of a table as one pattern per kind of script (their values are looked up by the word)."""
            for spaced in (True, False):
                group = sorted((w for w in items if bool(unspaced(w[:1])) != spaced), key=len, reverse=True)
                if group:
                    add(slot, "|".join(re.escape(w).replace(r"\ ", r"\s*") for w in group), how, kind, spaced)

        add_words("day", self.relative, "days.relative", "relative")
        add_words("day", self.of_the_event, "days.of_the_event", "of_the_event")
        add_words("day", self.weekdays, "weekdays", "weekday")
        for template in (*words.day_numbers,):
            add("day", _template(template, {"n": f"(?P<n>{number})"}), f"days.numbered {template!r}", "numbered")
        ordinal = _alternatives(normal(e) for e in words.ordinal_endings)
        date_slots = {
            "day": rf"(?P<day>\d{{1,2}})(?:{ordinal})?",
            "month": r"(?P<month>\d{1,2})",
            "month_name": f"(?P<month_name>{_alternatives(self.months)})",
        }
        for template in words.dates:
            add("day", _template(template, date_slots), f"days.dates {template!r}", "date")
        add("day", r"(?P<year>\d{4}) (?P<month>\d{1,2}) (?P<day>\d{1,2})", "ISO date", "iso")
        add_words("part", self.parts, "parts_of_day", "part")
        stream_words = [w.text for w in words.command_words.get("stream", ())]
        for word in stream_words:
            add("stream", _template(word + " {n}", {"n": f"(?P<n>{number})"}), f"command_words.stream {word!r}", "stream")
            add("stream", _template("{n} " + word, {"n": f"(?P<n>{number})"}), f"command_words.stream {word!r}", "stream")
        self.patterns = tuple(patterns)
        self.sessions = _Names.of({s.id: (s.title,) for s in agenda.sessions}, {s.id: s.id for s in agenda.sessions}, words)
        venues = agenda.programme.venues
        self.venues = _Names.of({v.id: (v.name,) for v in venues}, {v.id: v.id for v in venues}, words)

    # -- reading ------------------------------------------------------------------

    def find(self, text: str, today: dt.date) -> list[Found]:
        """Every slot in ``text`` (a :func:`normal` text), longest first, none overlapping."""
        found: list[Found] = []
        for pattern in self.patterns:
            for m in pattern.regex.finditer(text):
                value = self._value(pattern, m, today)
                if value is not None:
                    found.append(Found(pattern.slot, m.start(), m.end(), value, m.group(0), pattern.how))
        sessions = self.sessions.find(text, "session")
        venues = self.venues.find(text, "venue")
        found += self._merged(text, sessions, venues)
        return _non_overlapping(found)

    def _merged(self, text: str, sessions: list[Found], venues: list[Found]) -> list[Found]:
        """A venue named in the words of a session held there is that session ("the drone company visit")."""
        if not sessions or not venues:
            return sessions + venues
        session, venue = sessions[0], venues[0]
        overlap = session.start < venue.end and venue.start < session.end
        ids = tuple(i for i in session.value if self._held_at(i, venue.value))  # type: ignore[union-attr]
        within = venue.start <= session.start and session.end <= venue.end
        if not overlap or not ids or within:
            return sessions + venues  # "Liurong" alone names the place as much as the visit
        start, end = min(session.start, venue.start), max(session.end, venue.end)
        return [Found("session", start, end, ids, text[start:end], "session names, with the venue it is held at", max(session.weight, venue.weight))]

    def _held_at(self, session_id: str, venues: object) -> bool:
        s = self.agenda.session(session_id)
        if s is None or not isinstance(venues, tuple):
            return False
        places = {s.venue, s.site_visit.meeting_point if s.site_visit else None}
        return bool(places & set(venues))

    def _value(self, pattern: _Pattern, m: re.Match[str], today: dt.date) -> object | None:
        agenda = self.agenda
        word = m.group(0)
        if pattern.kind == "relative":
            return today + dt.timedelta(days=self._lookup(self.relative, word, 0))
        if pattern.kind == "of_the_event":
            return agenda.day_of_the_event(int(self._lookup(self.of_the_event, word, 0)))
        if pattern.kind == "weekday":
            weekday = self._lookup(self.weekdays, word, None)
            if weekday is None:
                return None
            # the event's day of that name, else the next one from today (the day's answer says it is no event day)
            return next((d for d in agenda.dates() if d.weekday() == weekday), None) or today + dt.timedelta(days=(int(weekday) - today.weekday()) % 7)
        if pattern.kind in ("numbered", "stream"):
            n = self._number(m.group("n"))
            if pattern.kind == "stream":
                stream = next((s for s in agenda.programme.streams if s.number == n), None)
                return stream.id if stream is not None else None
            return agenda.first_day + dt.timedelta(days=n - 1) if 1 <= n <= len(agenda.dates()) else None
        if pattern.kind in ("date", "iso"):
            groups = m.groupdict()
            month = int(groups["month"]) if groups.get("month") else self.months.get(groups.get("month_name") or "")
            if month is None:
                return None
            years = [int(groups["year"])] if groups.get("year") else sorted({agenda.first_day.year, agenda.last_day.year})
            for year in years:
                try:
                    return dt.date(year, month, int(groups["day"]))
                except ValueError:
                    continue
            return None
        if pattern.kind == "part":
            return self._lookup(self.parts, word, None)
        return None

    @staticmethod
    def _lookup(table: Mapping[str, object], word: str, default: object) -> object:
        """``word`` as matched (spaces optional between its parts) in a table of normal phrases."""
        for form in (" ".join(word.split()), word, word.replace(" ", "")):
            if form in table:
                return table[form]
        squeezed = {k.replace(" ", ""): v for k, v in table.items()}
        return squeezed.get(word.replace(" ", ""), default)

    def _number(self, token: str) -> int:
        return int(token) if token.isdigit() else self.numbers.get(token, 0)


def _non_overlapping(found: list[Found]) -> list[Found]:
    """The longest findings first (a date over the weekday inside it); then by position."""
    chosen: list[Found] = []
    for f in sorted(found, key=lambda f: (-(f.end - f.start), -f.weight, f.start)):
        if all(f.end <= c.start or f.start >= c.end for c in chosen):
            chosen.append(f)
    return sorted(chosen, key=lambda f: f.start)


@dataclass
class _Names:
    """Sessions or venues by the rare words of their names, in every language."""

    terms: Mapping[str, frozenset[str]]
    """term -> the ids whose names have it (only terms rare enough to name something)."""
    idf: Mapping[str, float]
    ids: Mapping[str, str]
    """an id in normal form -> the id"""
    sizes: Mapping[str, float]
    """id -> the weight of all its name's rare terms"""
    pattern: re.Pattern[str] | None

    @classmethod
    def of(cls, names: Mapping[str, Sequence[object]], ids: Mapping[str, str], words: Phrases) -> _Names:
        filler = {w for _spaced, w in words.filler}
        by_term: dict[str, set[str]] = defaultdict(set)
        for ident, values in names.items():
            for value in values:
                for text in every_text(value):
                    for term in terms(normal(text)):
                        if term not in filler and not term.isdigit() and len(term) > 1:
                            by_term[term].add(ident)
            # the organisers' own name for it ("panel", "wrap-up") names it too
            for term in terms(normal(ident)):
                if term not in filler and not term.isdigit() and len(term) > 2:
                    by_term[term].add(ident)
        total = max(1, len(names))
        rare = {t: frozenset(v) for t, v in by_term.items() if len(v) <= max(1, COMMON_SHARE * total)}
        idf = {t: math.log(1 + total / len(v)) for t, v in rare.items()}
        sizes: dict[str, float] = defaultdict(float)
        for term, owners in rare.items():
            for ident in owners:
                sizes[ident] += idf[term]
        spaced = sorted((t for t in rare if not unspaced(t)), key=len, reverse=True)
        cjk = sorted((t for t in rare if unspaced(t)), key=len, reverse=True)
        alternatives = [f"{BEFORE_WORD}(?:{_alternatives(spaced)}){AFTER_WORD}"] if spaced else []
        if cjk:
            alternatives.append(f"(?=({_alternatives(cjk)}))")
        pattern = re.compile("|".join(alternatives)) if alternatives else None
        return cls(rare, idf, {normal(i): i for i in ids}, dict(sizes), pattern)

    def find(self, text: str, slot: str) -> list[Found]:
        """The one id (or the ids tied for best) that the rare words of ``text`` point to, as one finding."""
        if self.pattern is None:
            return []
        hits: list[tuple[int, int, str]] = []
        for m in self.pattern.finditer(text):
            term = m.group(1) if m.lastindex else m.group(0)
            start = m.start()
            hits.append((start, start + len(term), term))
        hits = self._strong(hits)
        if not hits:
            return []
        score: dict[str, float] = defaultdict(float)
        seen: set[str] = set()
        for _start, _end, term in hits:
            if term in seen:
                continue
            seen.add(term)
            for ident in self.terms[term]:
                score[ident] += self.idf[term]
        best = max(score.values())
        tied = sorted(i for i, s in score.items() if s >= best - 1e-9)
        named = [self.ids[t] for _s, _e, t in hits if t in self.ids and self.ids[t] in tied]
        whole = [i for i in tied if best >= self.sizes.get(i, best) - 1e-9]
        # an id said as it is ("panel"), else the one name said whole ("Lunch"), else every tie
        ids = tuple(named[:1]) if named else tuple(whole) if len(whole) == 1 else tuple(tied)
        used = [(s, e) for s, e, t in hits if any(i in self.terms[t] for i in ids)]
        start, end = min(s for s, _e in used), max(e for _s, e in used)
        share = best / max(self.sizes.get(i, best) for i in ids)
        return [Found(slot, start, end, ids, text[start:end], f"{slot} names", weight=share)]

    def _strong(self, hits: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
        """Hits that name something: spaced words, and Chinese pairs in runs of two or more (or a pair only one name has).

        One pair of characters ("城市", "坛二") is too often part of other words to name a session by itself.
        """
        spaced = [h for h in hits if not unspaced(h[2])]
        pairs = sorted(h for h in hits if unspaced(h[2]))
        runs: list[list[tuple[int, int, str]]] = []
        for h in pairs:
            if runs and h[0] == runs[-1][-1][0] + 1:
                runs[-1].append(h)
            else:
                runs.append([h])
        kept = [run for run in runs if len(run) > 1 or len(self.terms[run[0][2]]) == 1]
        # a lone pair right beside a run that names something belongs to it ("六榕社区" + "考察")
        kept += [run for run in runs if run not in kept and any(abs(run[0][0] - k[-1][0]) <= 2 or abs(k[0][0] - run[0][0]) <= 2 for k in kept)]
        return sorted(spaced + [h for run in kept for h in run])


#: The hours (event time) each part of the day spans: a session belongs to the part it starts in.
PART_HOURS: dict[str, tuple[int, int]] = {"morning": (0, 12), "afternoon": (12, 18), "evening": (18, 24)}


def split_part_of_day(args: str, words: Phrases | None = None) -> tuple[str, str | None]:
    """``"2025-06-05 morning"`` -> ``("2025-06-05", "morning")``; ``"明天下午"`` -> ``("明天", "afternoon")``.

    A part of the day is a key of ``[parts_of_day]`` or any of its words, at
    the end or the start of ``args``; ``(args, None)`` where there is none.
    """
    from bot.understanding.phrases import PARTS_OF_DAY, phrases

    table = {normal(w): part for w, part in (words or phrases()).parts_of_day.items()}
    table.update({p: p for p in PARTS_OF_DAY})
    plain = normal(args)
    for word in sorted(table, key=len, reverse=True):
        for rest in (plain[: -len(word)] if plain.endswith(word) else None, plain[len(word):] if plain.startswith(word) else None):
            if rest is not None and (not rest or rest[-1:] == " " or rest[:1] == " " or unspaced(word) or unspaced(rest[-1:] or rest[:1])):
                return _original(args, rest.strip()), table[word]
    return args, None


def _original(args: str, rest: str) -> str:
    """The part of ``args`` left once the part of the day is cut from its normal form (ISO dates keep their dashes)."""
    if not rest:
        return ""
    iso = re.fullmatch(r"(\d{4}) (\d{1,2}) (\d{1,2})", rest)
    return "-".join(iso.groups()) if iso else rest
