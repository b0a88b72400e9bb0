"""Plain-word questions, in any shipped language and with typos, to the command that answers them.

:meth:`Understanding.understand` reads a message in five steps, each
recorded in the :class:`Meaning` it returns (``BOT_DEBUG_UNDERSTANDING=1``
or ``delegate-bot console --explain`` shows them under the reply):

1. **Exact phrases**: the message is one of ``[commands]`` or begins with a
   command word (:func:`bot.understanding.intents.parse`), as before.
2. **Typos**: each word of a spaced script that is neither a word of the
   phrase data nor of the programme is replaced by the closest such word
   within a few edits (Damerau-Levenshtein, then the indel ratio to break
   ties, both from rapidfuzz), and step 1 is tried again ("tdoay", "nxt").
3. **Slots** (:mod:`bot.understanding.slots`): the day, part of the day,
   stream, session or venue the message names are found and replaced by
   placeholders; words of ``[ask] filler`` ("please", "the") are dropped.
4. **Questions**: what is left is compared with every question of
   ``[questions]``, every phrase of ``[commands]`` and every question of
   the programme's practical information, in every language (rapidfuzz's
   ratio, and its token-sort ratio for word order); a question of the
   information that is one word ("wifi", "午餐") also counts when the
   message merely contains it.
5. **The best** reading scores at least :data:`THRESHOLD` (out of 100); ties go
   to the question with fewer open slots (an information entry's own words
   over a session that happens to share them), then to the delegate's own
   language.  The command line is the question's, its slots filled with
   ids and ISO dates (``/day 2025-06-05 morning``, ``/session panel``,
   ``/info wifi``); a session named ambiguously becomes a search.

An :class:`Understanding` is built once per phrase set and programme
version (:func:`understanding_for`).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final, cast

from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein

from bot.programme.agenda import Agenda
from bot.programme.model import every_text
from bot.understanding import intents
from bot.understanding.intents import Intent
from bot.understanding.phrases import PLACEHOLDER, Phrases, Question, phrases
from bot.understanding.slots import MARKS, OPEN, Found, Slots
from bot.understanding.text import AFTER_WORD, BEFORE_WORD, UNSPACED_CHAR, normal, unspaced, words

#: A reading below this score (0-100) is no reading: the message goes to search.
THRESHOLD: Final = 82.0
#: A misspelt word is read as a word of the vocabulary only this similar to it (indel ratio, 0-100).
SIMILAR: Final = 78.0
#: Readings scoring this much (but below the threshold) are offered as "did you mean".
SUGGEST: Final = 66.0
#: The score of a one-word question of the practical information that the message contains.
KEYWORD: Final = 86.0
#: An information question of at most this many words counts where a message contains it ("credit card").
KEYWORD_WORDS: Final = 2
#: A Chinese question this long (characters) counts where a message contains it ("完整日程" in "完整日程安排").
CONTAINED: Final = 4
#: Less for a word of the practical information that names where something is rather than what.
PLACE: Final = 5.0
#: Commands whose argument must name something for an exact phrase to stand: "where is lunch" is no venue.
CHECKED: Final = frozenset({"venue", "stream", "day"})
#: A message longer than this is not a question to read; it is searched as it is.
LONGEST: Final = 200


@dataclass(frozen=True)
class Step:
    """One line of the explanation."""

    what: str
    detail: str
    score: float | None = None

    def __str__(self) -> str:
        return f"{self.what}: {self.detail}" + (f" ({self.score:.0f})" if self.score is not None else "")


@dataclass(frozen=True)
class Meaning:
    """What a message asks for: a command line, how sure we are, and why."""

    command: str
    args: str = ""
    score: float = 100.0
    steps: tuple[Step, ...] = ()

    @property
    def line(self) -> str:
        return f"/{self.command} {self.args}".strip()

    def explain(self) -> str:
        """The explanation, for people who tune the phrase data (not translated: it quotes the data)."""
        return "\n".join([f"understood: {self.line} (score {self.score:.0f})", *(f"  {step}" for step in self.steps)])


@dataclass(frozen=True)
class _Candidate:
    command: str
    """The command template, with ``{slots}``."""
    text: str
    """The question as written."""
    prepared: str
    """Its normal form, placeholders for slots, filler removed."""
    language: str
    origin: str
    slots: tuple[str, ...]
    keyword: bool = False

    @property
    def cjk(self) -> bool:
        return _cjk(self.prepared)

    @property
    def open_slots(self) -> int:
        return sum(1 for s in self.slots if s in OPEN)


@dataclass
class _Reading:
    """A message being read: its forms, slots and corrections."""

    original: str
    normal: str
    corrected: str
    found: list[Found]
    steps: list[Step] = field(default_factory=list)
    absorbed: list[tuple[int, int]] = field(default_factory=list)
    """Spans of slots a session took in ("stream 3" in "stream 3 roundtable"), left out of the compared forms."""


class Understanding:
    """The reader for one phrase set and one programme version (see the module's docstring)."""

    def __init__(self, agenda: Agenda, words: Phrases, tags: Sequence[str]) -> None:
        self.agenda = agenda
        self.words = words
        self.tags = tuple(tags)
        self.slots = Slots(words, agenda, tags)
        self._filler = _filler_pattern(words)
        self._same = _same_pattern(words)
        self.candidates = tuple(self._candidates())
        self._by_form: dict[str, list[_Candidate]] = {"raw": [], "closed": [], "open": []}
        for c in self.candidates:
            self._by_form[_form(c.slots)].append(c)
        # each form's questions split by script: a Chinese message is compared with Chinese questions only
        self._split: dict[tuple[str, bool], list[_Candidate]] = {}
        for form, items in self._by_form.items():
            for c in items:
                self._split.setdefault((form, _cjk(c.prepared)), []).append(c)
        self._choices = {key: [c.prepared for c in items] for key, items in self._split.items()}
        # the words of the practical information, and the longer Chinese questions, count where a message has them
        self._keywords = [c for c in self.candidates if c.keyword] + [
            _Candidate(c.command, c.text, c.prepared, c.language, c.origin + " (contained)", (), keyword=True)
            for c in self.candidates
            if not c.slots and not c.keyword and _cjk(c.prepared) and " " not in c.prepared and len(c.prepared) >= CONTAINED
        ]
        # keywords by their first word (spaced scripts) or first character (Chinese), to look up only those a message can hold
        self._keywords_by_head: dict[str, list[_Candidate]] = {}
        for c in self._keywords:
            head = c.prepared[:1] if _cjk(c.prepared[:1]) else c.prepared.split(" ")[0]
            self._keywords_by_head.setdefault(head, []).append(c)
        self.vocabulary = self._vocabulary()
        self._vocabulary_list = sorted(self.vocabulary)

    # -- building ---------------------------------------------------------------------

    def _prepare(self, text: str) -> str:
        """A question's text compared as messages are: normal, slots as placeholders, filler out."""
        out, position = [], 0
        for m in PLACEHOLDER.finditer(text):
            out.append(self._alike(normal(text[position:m.start()])))
            out.append(MARKS[m.group(1)])
            position = m.end()
        out.append(self._alike(normal(text[position:])))
        prepared = self._without_filler(" ".join(p for p in out if p))
        return prepared.replace(" ", "") if _cjk(prepared) else prepared

    def _without_filler(self, text: str) -> str:
        return " ".join(self._filler.sub(" ", text).split()) if self._filler is not None else text

    def _alike(self, text: str) -> str:
        """``text`` with each word of ``[ask] same`` replaced by the one it means the same as."""
        if self._same is None:
            return text
        pattern, table = self._same
        return pattern.sub(lambda m: table[m.group(0)], text)

    def _candidates(self) -> Iterable[_Candidate]:
        for q in self.words.questions:
            yield self._candidate(q.command, q.text, q.language, f"{q.language} questions.{q.command!r}")
        for phrase, (command, args) in self.words.commands.items():
            yield self._candidate(f"{command} {args}".strip(), phrase, "", "commands")
        for entry in self.agenda.programme.info:
            texts = {*every_text(entry.questions), *every_text(entry.title)}
            for text in sorted(texts):
                c = self._candidate(f"info {entry.id}", text, "", f"info {entry.id}")
                yield c
                if c.prepared and (_cjk(c.prepared) or len(words(c.prepared)) <= KEYWORD_WORDS):
                    yield _Candidate(c.command, c.text, c.prepared, c.language, f"info {entry.id} (words)", (), keyword=True)

    def _candidate(self, command: str, text: str, language: str, origin: str) -> _Candidate:
        slots = tuple(PLACEHOLDER.findall(text))
        return _Candidate(command, text, self._prepare(text), language, origin, slots)

    def _vocabulary(self) -> set[str]:
        """Words a typo is corrected to: those of the phrase data, the questions and the programme."""
        found: set[str] = set()

        def add(text: str) -> None:
            found.update(w for w in words(normal(text)) if len(w) >= 3 and not unspaced(w) and not w.isdigit())

        for c in self.candidates:
            add(PLACEHOLDER.sub(" ", c.text))
        w = self.words
        for _spaced, filler in w.filler:
            add(filler)  # "any" is no typo of "many"
        for table in (w.relative_days, w.event_days, w.weekdays, w.numbers, w.parts_of_day):
            for text in table:
                add(text)
        for items in w.command_words.values():
            for word in items:
                add(word.text)
        for name in (*self.slots.weekdays, *self.slots.months):
            add(name)
        for s in self.agenda.sessions:
            for value in (s.title, *(p.name for p in (*s.speakers, *s.moderators)), *(p.city for p in s.presenters)):
                for text in every_text(value):
                    add(text)
        for v in self.agenda.programme.venues:
            for text in every_text(v.name):
                add(text)
        return found

    # -- reading ----------------------------------------------------------------------

    def understand(self, text: str, today: dt.date, language: str | None = None) -> Meaning | None:
        """What ``text`` asks for, or ``None`` (then it is searched as it is)."""
        exact = intents.parse(text, self.words)
        standing = self._stands(exact, today) if exact is not None else None
        if standing is not None:
            return Meaning(standing.command, standing.args, 100.0, (Step("exact phrase", f"{text.strip()!r} -> /{standing.command} {standing.args}".rstrip()),))
        if len(text) > LONGEST or not normal(text):
            return None
        reading = self._read(text, today)
        if reading.corrected != reading.normal:
            repaired = intents.parse(_repaired(text, reading), self.words)
            repaired = self._stands(repaired, today) if repaired is not None else None
            if repaired is not None:
                steps = (*reading.steps, Step("exact phrase", f"-> /{repaired.command} {repaired.args}".rstrip()))
                return Meaning(repaired.command, repaired.args, 95.0, steps)
        ranked = self._topic_first(self._ranked(reading, language), reading)
        if ranked:
            best_score, best = ranked[0]
            if best_score >= THRESHOLD:
                meaning = self._fill(best, best_score, reading)
                if meaning is not None:
                    runner = next((f"{c.origin} {c.text!r} ({s:.0f})" for s, c in ranked[1:] if c.command != best.command), None)
                    if runner:
                        meaning = Meaning(meaning.command, meaning.args, meaning.score, (*meaning.steps, Step("runner-up", runner)))
                    return meaning
        if exact is not None:
            return Meaning(exact.command, exact.args, 100.0, (Step("exact phrase", f"/{exact.command} {exact.args}"),))
        return None

    def suggestions(self, text: str, today: dt.date, language: str | None = None, count: int = 3) -> list[Meaning]:
        """The closest readings of ``text`` below the threshold, for "did you mean", best first, one per command."""
        if len(text) > LONGEST or not normal(text):
            return []
        reading = self._read(text, today)
        out: list[Meaning] = []
        seen: set[str] = set()
        for score, candidate in self._ranked(reading, language):
            if score < SUGGEST:
                break
            meaning = self._fill(candidate, score, reading)
            if meaning is not None and meaning.line not in seen and meaning.command != "search":
                seen.add(meaning.line)
                out.append(meaning)
            if len(out) == count:
                break
        return out

    def _stands(self, intent: Intent, today: dt.date) -> Intent | None:
        """An exact phrase, unless its argument should name something and names nothing ("where is lunch").

        A venue named by words of its name is given by its id.
        """
        args = intent.args.strip()
        if intent.command not in CHECKED or not args:
            return intent
        agenda = self.agenda
        if intent.command == "venue":
            if agenda.programme.venue(args) is not None or args.isdigit():
                return intent
            plain = normal(args)
            venues = self.slots.venues.find(plain, "venue")
            merged = self.slots._merged(plain, self.slots.sessions.find(plain, "session"), venues)
            if not venues or (len(merged) == 1 and merged[0].slot == "session"):
                return None  # no venue, or a session held there ("the digital twin centre visit"): read further
            ids = venues[0].value
            return Intent("venue", ids[0]) if isinstance(ids, tuple) and len(ids) == 1 else intent
        if intent.command == "stream":
            token = str(self.slots.numbers.get(normal(args), args))
            return Intent("stream", token) if agenda.find_stream(token) is not None else None
        return intent if agenda.resolve_day(args, today, self.tags) is not None else None

    def _read(self, text: str, today: dt.date) -> _Reading:
        plain = self._alike(normal(text))
        reading = _Reading(text, plain, plain, [])
        corrected = []
        for word in plain.split(" "):
            better = self._correct(word)
            if better is not None:
                reading.steps.append(Step("typo", f"{word!r} -> {better[0]!r}", better[1]))
                corrected.append(better[0])
            else:
                corrected.append(word)
        reading.corrected = " ".join(corrected)
        reading.found = self.slots.find(reading.corrected, today)
        self._narrow(reading)
        for f in reading.found:
            shown = f.value if not isinstance(f.value, tuple) else ", ".join(f.value)
            reading.steps.append(Step(f"slot {f.slot}", f"{f.words!r} -> {shown} ({f.how})"))
        return reading

    def _correct(self, word: str) -> tuple[str, float] | None:
        """The vocabulary word a misspelt ``word`` stands for, with its similarity; None if it is no typo."""
        if len(word) < 3 or word in self.vocabulary or unspaced(word) or any(ch.isdigit() for ch in word):
            return None
        edits = 1 if len(word) <= 5 else 2 if len(word) <= 9 else 3
        close = process.extract(word, self._vocabulary_list, scorer=DamerauLevenshtein.distance, score_cutoff=edits, limit=25)
        ranked = sorted(
            ((c[1], -fuzz.ratio(word, c[0]), c[0][:1] != word[:1], abs(len(c[0]) - len(word)), c[0]) for c in close),
        )
        if not ranked or -ranked[0][1] < SIMILAR:
            return None
        best = ranked[0][4]
        return best, -ranked[0][1]

    def _narrow(self, reading: _Reading) -> None:
        """A session named ambiguously ("the roundtable") narrowed by the day or stream also named."""
        sessions = [f for f in reading.found if f.slot == "session" and isinstance(f.value, tuple) and len(f.value) > 1]
        if not sessions:
            return
        session = sessions[0]
        ids = list(session.value)  # type: ignore[arg-type]
        used: list[Found] = []
        for f in reading.found:
            if f.slot == "day":
                narrowed = [i for i in ids if (s := self.agenda.session(i)) is not None and self.agenda.local_date(s.start) == f.value]
            elif f.slot == "stream":
                narrowed = [i for i in ids if (s := self.agenda.session(i)) is not None and s.stream == f.value]
            else:
                continue
            if narrowed:
                ids = narrowed
                used.append(f)
        if used:
            reading.absorbed += [(u.start, u.end) for u in used]
            found = [f for f in reading.found if f not in used and f is not session]
            found.append(Found("session", session.start, session.end, tuple(ids), session.words, session.how + " (narrowed by " + ", ".join(u.slot for u in used) + ")", session.weight))
            reading.found = sorted(found, key=lambda f: f.start)

    def _topic_first(self, ranked: list[tuple[float, _Candidate]], reading: _Reading) -> list[tuple[float, _Candidate]]:
        """A session named by a word of the practical information ("lunch", "registration") is that topic.

        Where the best reading asks about a session and the words that named
        it are an information entry's own (one of its short questions), the
        entry answers: "when is lunch" is about the meals, not two sessions
        called Lunch.
        """
        if not ranked or "session" not in ranked[0][1].slots:
            return ranked
        session = next((f for f in reading.found if f.slot == "session"), None)
        if session is None:
            return ranked
        said = self._without_filler(session.words)
        for score, c in ranked:
            if c.keyword and c.command.startswith("info ") and c.prepared == said:
                return [(ranked[0][0], c), *ranked]
        return ranked

    def _forms(self, reading: _Reading) -> dict[str, str]:
        """The message compared with each kind of question: as written, closed slots marked, every slot marked."""
        text = reading.corrected

        def marked(slots: Iterable[str]) -> str:
            out, position = [], 0
            spans = sorted([(f.start, f.end, f" {MARKS[f.slot]} ") for f in reading.found if f.slot in slots]
                           + [(start, end, " ") for start, end in reading.absorbed])
            for start, end, mark in spans:
                if start >= position:
                    out.append(text[position:start])
                    out.append(mark)
                    position = end
            out.append(text[position:])
            return self._without_filler(" ".join("".join(out).split()))

        closed = [s for s in MARKS if s not in OPEN]
        return {"raw": self._without_filler(text), "closed": marked(closed), "open": marked(MARKS)}

    def _ranked(self, reading: _Reading, language: str | None) -> list[tuple[float, _Candidate]]:
        forms = self._forms(reading)
        have = {f.slot for f in reading.found}
        scored: dict[int, tuple[float, _Candidate]] = {}
        for form, query in forms.items():
            if not query:
                continue
            chinese = _cjk(query)
            items = self._split.get((form, chinese), [])
            choices = self._choices.get((form, chinese), [])
            squeezed = query.replace(" ", "") if chinese else None
            for scorer in (fuzz.ratio,) if chinese else (fuzz.ratio, fuzz.token_sort_ratio):
                for _choice, score, index in process.extract(squeezed or query, choices, scorer=scorer, limit=40, score_cutoff=THRESHOLD - 30):
                    c = items[index]
                    if not set(c.slots) <= have:
                        continue
                    key = id(c)
                    if key not in scored or scored[key][0] < score:
                        scored[key] = (score, c)
        raw = forms["raw"]
        places = [(f.start, f.end) for f in reading.found if f.slot == "venue"]
        heads = set(words(raw)) | {ch for ch in raw if _cjk(ch)}
        for head in heads:
            for c in self._keywords_by_head.get(head, ()):
                if not _contains(raw, c.prepared):
                    continue
                coverage = len(c.prepared) / max(len(raw), 1)
                score = KEYWORD + 8 * coverage
                at = reading.corrected.find(c.prepared)
                if any(start <= at < end for start, end in places):
                    score -= PLACE  # "wifi in the hotel" asks about the Wi-Fi, not the hotel
                key = id(c)
                if key not in scored or scored[key][0] < score:
                    scored[key] = (score, c)
        tags = {language, (language or "").split("_")[0]}

        def order(item: tuple[float, _Candidate]) -> tuple[float, int, int, int]:
            score, c = item
            return (-round(score, 6), c.open_slots, -len(c.slots), 0 if c.language in tags else 1)

        return sorted(scored.values(), key=order)

    def _fill(self, c: _Candidate, score: float, reading: _Reading) -> Meaning | None:
        """The command line of a question, its slots filled from what the message named."""
        values: dict[str, str] = {}
        steps = list(reading.steps)
        steps.append(Step("question", f"{c.origin} {c.text!r}" + (" (a word of the message)" if c.keyword else ""), score))
        by_slot = {f.slot: f for f in reading.found}
        command = c.command
        for slot in c.slots:
            f = by_slot[slot]
            if isinstance(f.value, dt.date):
                values[slot] = f.value.isoformat()
            elif isinstance(f.value, tuple):
                if len(f.value) == 1:
                    values[slot] = f.value[0]
                elif slot == "venue":
                    values[slot] = f.words
                else:
                    # several sessions share these words: list them
                    steps.append(Step("ambiguous", f"{f.words!r} names {len(f.value)} sessions: searching"))
                    return Meaning("search", f.words, score, tuple(steps))
            else:
                values[slot] = str(f.value)
        line = PLACEHOLDER.sub(lambda m: values[m.group(1)], command)
        name, _sep, args = line.partition(" ")
        if name == "day" and "part" in by_slot and "part" not in c.slots:
            args = f"{args} {by_slot['part'].value}"  # a part of the day named refines any day asked for
            steps.append(Step("slot part", f"added to the day: {by_slot['part'].value}"))
        return Meaning(name, " ".join(args.split()), score, tuple(steps))


def _form(slots: Sequence[str]) -> str:
    if any(s in OPEN for s in slots):
        return "open"
    return "closed" if slots else "raw"


def _cjk(text: str) -> bool:
    return UNSPACED_CHAR.search(text) is not None


def _contains(text: str, word: str) -> bool:
    """Whether ``word`` is in ``text``: as a whole word in spaced scripts, anywhere in Chinese."""
    if not word:
        return False
    if _cjk(word):
        return word in text
    return re.search(f"{BEFORE_WORD}{re.escape(word)}{AFTER_WORD}", text) is not None


def _filler_pattern(words: Phrases) -> re.Pattern[str] | None:
    items = sorted({normal(w) for _spaced, w in words.filler if normal(w)}, key=len, reverse=True)
    if not items:
        return None
    spaced = [re.escape(w) for w in items if not _cjk(w)]
    cjk = [re.escape(w) for w in items if _cjk(w)]
    parts = []
    if spaced:
        parts.append(f"{BEFORE_WORD}(?:{'|'.join(spaced)}){AFTER_WORD}")
    if cjk:
        parts.append(f"(?:{'|'.join(cjk)})")
    return re.compile("|".join(parts))


def _same_pattern(words: Phrases) -> tuple[re.Pattern[str], dict[str, str]] | None:
    table = {normal(w): normal(c) for w, c in words.same if normal(w) and normal(w) != normal(c)}
    if not table:
        return None
    items = sorted(table, key=len, reverse=True)
    parts = [re.escape(w) if _cjk(w) else f"{BEFORE_WORD}{re.escape(w)}{AFTER_WORD}" for w in items]
    return re.compile("|".join(parts)), table


def _repaired(text: str, reading: _Reading) -> str:
    """The message with its misspelt words corrected, for the exact phrases (which keep case and signs)."""
    fixed = text
    for before, after in zip(reading.normal.split(" "), reading.corrected.split(" ")):
        if before != after:
            fixed = re.sub(rf"(?<![^\W_]){re.escape(before)}(?![^\W_])", after, fixed, count=1, flags=re.IGNORECASE)
    return fixed


def understanding_for(agenda: Agenda, tags: Sequence[str], words: Phrases | None = None) -> Understanding:
    """The :class:`Understanding` of a programme version, built on first use and kept while the version is.

    It is kept in the version (:attr:`Agenda.derived`), taken apart with it, and refers to it weakly: the
    version would otherwise hold itself.
    """
    words = words or phrases()
    kept = _kept(agenda, words, tags)
    if kept is not None:
        return kept
    built = Understanding(cast(Agenda, weakref.proxy(agenda)), words, tags)
    agenda.derived["understanding"] = (words, tuple(tags), built)
    return built


def _kept(agenda: Agenda, words: Phrases, tags: Sequence[str]) -> Understanding | None:
    """The understanding this version keeps for these phrases and languages, if it has been built."""
    kept = agenda.derived.get("understanding")
    if isinstance(kept, tuple) and kept[0] is words and kept[1] == tuple(tags):
        return kept[2]  # type: ignore[no-any-return]
    return None


async def understanding_ready(agenda: Agenda, tags: Sequence[str], words: Phrases | None = None) -> Understanding:
    """:func:`understanding_for`, built in a worker thread if it is not yet (1.4 s at 16,000 sessions): what a
    request awaits first, so free text just after a reload never builds it on the event loop."""
    words = words or phrases()
    kept = _kept(agenda, words, tags)
    if kept is not None:
        return kept
    return await agenda.derive("understanding", functools.partial(understanding_for, agenda, tuple(tags), words))
