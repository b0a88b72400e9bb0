"""Search that explains itself, and what free text no reading understood gets: results, or the closest suggestions.

The ranking is :mod:`bot.understanding.search` (one index per programme
version); this module shows it: each result with what matched (the city
presenting and its initiative, the speaker, the venue, the day's note),
the query said once and shortened, and never a dead end: with nothing
found, the closest readings and words of the programme, and the organisers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from bot.conversation import ECHO, Choice, Choices, Reply, Request, Text, echo
from bot.i18n import N_, _, format_number, ngettext
from bot.programme.model import Presenter, Speaker, Stream, Venue
from bot.router import Context, Router
from bot.understanding.search import Hit, Match, SearchIndex
from bot.understanding.text import normal, unspaced, words
from bot.understanding.understand import understanding_for, understanding_ready
from handlers.info import contact_line
from handlers.listing import read_filter
from handlers.roles import is_invitation, redeem
from handlers.views import PAGE_SIZE, _person, marks_tbc, parse_page, session_button, session_line, tbc_note, text

#: A query longer than this is searched by its beginning only.
LONGEST_QUERY: Final = 300
#: A sentence: up to its full stop (and the space after it), in any script.
SENTENCE: Final = re.compile(r".+?(?:[.!?](?=\s|$)|[。！？]|$)")


def shortened(query: str, limit: int = ECHO) -> str:
    """``query`` on one line, cut with "…" beyond ``limit`` characters (:func:`bot.conversation.echo`)."""
    return echo(query, limit)


async def searchable(ctx: Context) -> None:
    """Await the programme version's search index and understanding, built in a worker thread if they are not
    yet (just after a start or a reload): what a handler that may search awaits first, so neither is ever
    built on the event loop, where a congress's takes seconds and every delegate would wait."""
    await SearchIndex.ready(ctx.agenda)
    await understanding_ready(ctx.agenda, ctx.services.catalogs.tags)


def ranked(ctx: Context, query: str) -> Sequence[Hit]:
    """Every hit for ``query`` in the programme in force, best first (after :func:`searchable`)."""
    return SearchIndex.of(ctx.agenda).search(query[:LONGEST_QUERY])


def _snippet(ctx: Context, value: object, query: str) -> str:
    """The sentence of the reader's text of ``value`` that holds a query word (else its first sentence)."""
    shown = " ".join(text(ctx, value).split())
    sentences = [m.group(0).strip() for m in SENTENCE.finditer(shown)] or [shown]
    wanted = [w for w in words(normal(query))]
    for sentence in sentences:
        plain = normal(sentence)
        if any(w in plain for w in wanted):
            return sentence
    return sentences[0]


def explain(ctx: Context, match: Match, query: str) -> str | None:
    """What matched, as the delegate reads it; ``None`` where the line itself shows it (the title)."""
    value = match.value
    if match.field in ("title", "id", "info"):
        return None
    if isinstance(value, Presenter):
        city = text(ctx, value.city)
        if value.country:
            city = _("{city}, {country}").format(city=city, country=text(ctx, value.country))
        line = _("{city}: {initiative}").format(city=city, initiative=text(ctx, value.initiative))
        return _("{line} ({speaker})").format(line=line, speaker=text(ctx, value.speaker)) if value.speaker else line
    if isinstance(value, Speaker):
        label = _("Speaker: {person}") if match.field == "speaker" else _("Moderator: {person}")
        return label.format(person=_person(ctx, value))
    if isinstance(value, Venue):
        label = _("Where: {place}") if match.field == "venue" else _("Meeting point: {place}")
        return label.format(place=text(ctx, value.name))
    if isinstance(value, Stream):
        return _("Stream {number}: {title}").format(number=value.number, title=text(ctx, value.title))
    if match.field == "day note":
        return _snippet(ctx, getattr(value, "note", None), query)
    if match.field == "question":
        return None
    if match.field in ("description", "answer", "day"):
        source = getattr(value, "answer", None) if match.field == "answer" else getattr(value, "title", None) if match.field == "day" else value
        return _snippet(ctx, source, query)
    return None


def hit_choice(ctx: Context, hit: Hit, query: str, mark: bool) -> Choice:
    """A hit as a list entry: the session (or day, or topic) and, under it, what matched."""
    if hit.session is not None:
        line = session_line(ctx, hit.session, with_day=True, mark=mark)
        payload, short = f"/session {hit.session.id}", session_button(ctx, hit.session, with_day=True)
    elif hit.day is not None:
        number = ctx.agenda.day_number(hit.day.date)
        line = _("Day {number}").format(number=number)
        if hit.day.title:
            line = _("{day}: {title}").format(day=line, title=text(ctx, hit.day.title))
        payload, short = f"/day {hit.day.date.isoformat()}", _("Day {number}").format(number=number)
    else:
        assert hit.entry is not None
        line = _("Practical information: {title}").format(title=text(ctx, hit.entry.title))
        payload, short = f"/info {hit.entry.id}", shortened(text(ctx, hit.entry.title))
    why = [shown for m in hit.matches if (shown := explain(ctx, m, query))]
    label = "\n".join([line, *(f"   ↳ {w}" for w in dict.fromkeys(why))])
    return Choice(label, payload, short=short)


def results(ctx: Context, query: str, hits: Sequence[Hit], page: int = 1, preface: str = "") -> Reply:
    """The hits, ``PAGE_SIZE`` at a time, the query said once in the title."""
    pages = max(1, -(-len(hits) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = hits[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    sessions = [h.session for h in shown if h.session is not None]
    mark = marks_tbc(sessions)
    options = [hit_choice(ctx, h, query, mark) for h in shown]
    lines = [preface] if preface else []
    lines.append(ngettext("{count} match, best first.", "{count} matches, best first.", len(hits)).format(count=format_number(len(hits))))
    if pages > 1:
        lines.append(_("Page {page} of {pages}").format(page=format_number(page), pages=format_number(pages)))
        command = f"/search {shortened(query, LONGEST_QUERY)}"
        if page > 1:
            options.append(Choice(_("◀ Previous page"), f"{command} p{page - 1}"))
        if page < pages:
            options.append(Choice(_("Next page ▶"), f"{command} p{page + 1}"))
    note = tbc_note(sessions)
    if note:
        lines.append(note)
    return Choices("\n".join(lines), tuple(options), title=_("Search: {query}").format(query=shortened(query)), navigation=ctx.via_button)


def _known_words(ctx: Context, query: str) -> str:
    """The words of a question that the programme has (Chinese runs as they are): what to search for."""
    index = SearchIndex.of(ctx.agenda)
    kept = [w for w in words(normal(query)) if unspaced(w) or index._spellings(w)]
    return " ".join(kept)


def _closest_words(ctx: Context, query: str) -> list[str]:
    """Words of the programme closest to the query's unknown words ("Kampla" -> "kampala")."""
    from rapidfuzz import fuzz, process

    index = SearchIndex.of(ctx.agenda)
    out: list[str] = []
    for w in words(normal(query[:LONGEST_QUERY])):
        if unspaced(w) or len(w) < 4 or index._spellings(w):
            continue
        for found, score, _i in process.extract(w, index.vocabulary, scorer=fuzz.ratio, limit=2, score_cutoff=75):
            if found not in out:
                out.append(found)
    return out[:3]


def nothing_found(ctx: Context, query: str, preface: str = "") -> Reply:
    """No match: the closest readings and programme words to try, and whom to ask. Never a dead end."""
    lines = [preface] if preface else []
    lines.append(_("Nothing in the programme matches that."))
    options: list[Choice] = []
    understanding = understanding_for(ctx.agenda, ctx.services.catalogs.tags)
    for meaning in understanding.suggestions(query[:LONGEST_QUERY], ctx.today, ctx.locale):
        label = _suggestion_label(ctx, meaning.line)
        if label:
            options.append(Choice(label, meaning.line))
    for word in _closest_words(ctx, query):
        options.append(Choice(_("Search: {query}").format(query=word), f"/search {word}"))
    if options:
        lines.append(_("Did you mean one of these?"))
    options.append(Choice(_("Practical information"), "/info"))
    options.append(Choice(_("What I can do"), "/help"))
    contact = contact_line(ctx)
    if contact:
        lines.append(contact)
    return Choices("\n".join(lines), tuple(options[:7]), title=_("Search: {query}").format(query=shortened(query)))


def _suggestion_label(ctx: Context, line: str) -> str | None:
    """A reading offered as a button: the command's menu description, or the topic or session it opens."""
    command, _sep, args = line.lstrip("/").partition(" ")
    if command == "info" and args:
        entry = next((e for e in ctx.programme.info if e.id == args), None)
        return _("Practical information: {title}").format(title=text(ctx, entry.title)) if entry else None
    if command in ("session", "directions", "speakers") and args:
        session = ctx.agenda.session(args)
        return text(ctx, session.title) if session is not None else None
    found = ctx.services.router.resolve(command)
    if found is None or not found.description:
        return None
    return _(found.description)


async def search(req: Request, ctx: Context) -> Sequence[Reply]:
    """``/search Bogotá``: sessions, days and practical information matching every word, ranked, with what matched."""
    query, page = parse_page(req.args)
    if not query:
        return [Text(_("What should I look for? For example: /search Bogotá"))]
    await searchable(ctx)
    return [search_reply(ctx, query, page=page)]


def search_reply(ctx: Context, query: str, preface: str = "", page: int = 1) -> Reply:
    hits = ranked(ctx, query)
    if not hits:
        return nothing_found(ctx, query, preface)
    return results(ctx, query, hits, page, preface)


async def free_text(req: Request, ctx: Context) -> Sequence[Reply]:
    """Text that no reading understood: searched as it is, else by its words the programme has, else suggestions."""
    words_ = (req.text or "").strip()
    if not words_:
        return [Text(_("Send /help to see what I can do."))]
    if is_invitation(words_):  # an invitation code pasted into the chat (WeChat has no deep links)
        return await redeem(req, ctx, words_)
    from handlers.agenda import day_view, filtered  # handlers.agenda shows its searches with this module

    date = ctx.agenda.resolve_day(words_, ctx.today, ctx.services.catalogs.tags)
    if date is not None:
        return [day_view(ctx, date)]
    found = read_filter(ctx, words_)  # "today in room K.1.105", "明天分论坛2"
    if found is not None:
        day = ctx.agenda.resolve_day(found.day, ctx.today, ctx.services.catalogs.tags) if found.day else ctx.today
        if day is not None:
            return [filtered(ctx, day, found)]
    await searchable(ctx)
    hits = ranked(ctx, words_)
    if hits:
        return [results(ctx, words_, hits)]
    known = _known_words(ctx, words_)
    if known and known != normal(words_):
        hits = ranked(ctx, known)
        if hits:
            return [results(ctx, known, hits)]
    return [nothing_found(ctx, words_, _("Sorry, I did not understand that."))]


def register(router: Router) -> None:
    router.command("search", description=N_("Search titles, speakers, cities and practical information"))(search)
    router.fallback(free_text)

