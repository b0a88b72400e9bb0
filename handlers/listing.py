"""Big programmes on a phone: a day of hundreds of sessions, by time slot, room or stream, and filtered.

A day with more than :data:`BIG_DAY` sessions opens on an overview: one
choice per hour ("10:00–11:00 · 42 sessions"), then "By room" and "By
stream"; each leads to a short list, paged.  A day's list can be narrowed
to one room or one stream with the words of ``[filters]`` in each
language's phrases ("today in room K.1.105", "明天分论坛2"), or with the
buttons.  Button payloads carry the view as ``key=value`` words after the
date (``/day 2025-02-01 h=10``, ``venue=k1105``, ``stream=llvm``,
``by=venue``, ``by=stream``, ``all``), which nobody needs to type.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.conversation import Choice, Choices, Reply, Text
from bot.i18n import _, format_number, format_time_range, ngettext
from bot.programme import Session, Stream, Venue
from bot.programme.agenda import fold
from bot.router import Context
from bot.understanding import patterns
from bot.understanding.phrases import Phrases, phrases
from handlers.views import PAGE_SIZE, session_list, text

#: More sessions than this on one day, and the day opens on an overview by time slot.
BIG_DAY = 30
#: Rooms or streams listed on one page of "By room" / "By stream".
GROUPS_PAGE = 20


@dataclass(frozen=True)
class View:
    """Which part of a day to list: an hour's slot, one room, one stream, a grouping, or all of it."""

    hour: int | None = None
    venue: str | None = None
    stream: str | None = None
    by: str | None = None
    """``venue`` or ``stream``: the list of rooms or streams, to pick one."""
    all: bool = False

    def words(self) -> str:
        out = []
        if self.hour is not None:
            out.append(f"h={self.hour}")
        if self.venue:
            out.append(f"venue={self.venue}")
        if self.stream:
            out.append(f"stream={self.stream}")
        if self.by:
            out.append(f"by={self.by}")
        if self.all:
            out.append("all")
        return " ".join(out)

    @property
    def empty(self) -> bool:
        return self == View()


_WORD = re.compile(r"^(?:h=(?P<hour>\d{1,2})|venue=(?P<venue>\S+)|stream=(?P<stream>\S+)|by=(?P<by>venue|stream)|(?P<all>all))$")


def split_view(args: str) -> tuple[str, View]:
    """``2025-02-01 venue=k1105`` -> (``2025-02-01``, View(venue="k1105")); other words are left as they are."""
    rest: list[str] = []
    found: dict[str, object] = {}
    for word in args.split():
        m = _WORD.match(word)
        if m is None:
            rest.append(word)
            continue
        if m.group("hour") is not None:
            found["hour"] = int(m.group("hour")) % 24
        elif m.group("all"):
            found["all"] = True
        else:
            found.update({k: v for k, v in m.groupdict().items() if v and k in ("venue", "stream", "by")})
    return " ".join(rest), View(**found)  # type: ignore[arg-type]


# -- reading "today in room K.1.105" -----------------------------------------------------


@functools.lru_cache(maxsize=8)
def _filters(words: Phrases) -> tuple[tuple[str, re.Pattern[str]], ...]:
    out = []
    for kind in ("venue", "stream"):
        for pattern in words.filters.get(kind, ()):
            expression = patterns.template(pattern, {"name": r"(?P<name>\S.*?)"})
            # a word of a language with spaces starts a word ("in", not the end of "lightning"); Chinese runs on
            boundary = r"(?:^|(?<=\s)|(?<=[^\w\s]))" if pattern[:1].isalpha() and ord(pattern[0]) < 0x2E80 else ""
            out.append((len(pattern), kind, re.compile(rf"{boundary}{expression}\s*$", re.I)))
    return tuple((kind, rx) for _n, kind, rx in sorted(out, key=lambda item: -item[0]))


@dataclass(frozen=True)
class Filter:
    """What a message asks of a day: its words for the day ("" for today), and a room or a stream."""

    day: str
    view: View
    candidates: tuple[Venue, ...] = ()
    """Several rooms answer to the name: the delegate picks one."""


def read_filter(ctx: Context, message: str, words: Phrases | None = None) -> Filter | None:
    """``today in room K.1.105`` -> Filter("today", View(venue=...)); None if the message names no room or stream."""
    message = " ".join(message.split())
    for kind, rx in _filters(words or phrases()):
        for m in rx.finditer(message):
            name = m.group("name").strip(" ?!.")
            day = message[: m.start()].strip()
            if kind == "venue":
                venues = find_venues(ctx, name)
                if len(venues) == 1:
                    return Filter(day, View(venue=venues[0].id))
                if venues:
                    return Filter(day, View(by="venue"), tuple(venues))
            else:
                stream = find_stream(ctx, name)
                if stream is not None:
                    return Filter(day, View(stream=stream.id))
    return None


def find_venues(ctx: Context, name: str) -> list[Venue]:
    """Venues by id, or by a part of their name in any language (``K.1.105`` finds "K.1.105 (La Fontaine)")."""
    wanted = fold(name).strip()
    if not wanted:
        return []
    venues = ctx.programme.venues
    exact = [v for v in venues if v.id.casefold() == wanted or any(fold(t) == wanted for t in _texts(v.name))]
    if exact:
        return exact
    return [v for v in venues if any(wanted in fold(t) for t in _texts(v.name))]


def find_stream(ctx: Context, name: str) -> Stream | None:
    from handlers.reminders import stream_token

    found = ctx.agenda.find_stream(stream_token(name))
    if found is not None:
        return found
    wanted = fold(name)
    matches = [s for s in ctx.programme.streams if any(fold(t) == wanted for t in _texts(s.title))]
    return matches[0] if len(matches) == 1 else None


def _texts(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [str(v) for v in value.values()]
    return []


# -- listing a day ---------------------------------------------------------------------


def _count(n: int) -> str:
    return ngettext("{count} session", "{count} sessions", n).format(count=format_number(n))


def _hour(ctx: Context, s: Session) -> int:
    return s.start.astimezone(ctx.programme.zone).hour


def day_listing(
    ctx: Context, date: dt.date, sessions: Sequence[Session], view: View, *, title: str, body: str, page: int, empty: str,
    page_words: str = "",
) -> Reply:
    """The day ``date`` as ``view`` asks: an overview for a big day, a group, or a list (paged).

    ``page_words`` are kept in the page buttons' commands (a part of the day: ``/day 2025-06-05 morning p2``).
    """
    command = f"/day {date.isoformat()}"
    if view.empty and len(sessions) > BIG_DAY:
        return _overview(ctx, date, sessions, title=title, body=body)
    if view.by:
        return _groups(ctx, date, sessions, view.by, title=title, body=body, page=page)
    shown = list(sessions)
    heading = []
    if view.hour is not None:
        if sessions is ctx.agenda.on(date):  # the whole day: its hours are worked out once per version
            shown = list(ctx.agenda.outline(date).by_hour.get(view.hour, ()))
        else:
            shown = [s for s in shown if _hour(ctx, s) == view.hour]
        start = dt.datetime.combine(date, dt.time(view.hour), ctx.programme.zone)
        heading.append(format_time_range(start, start + dt.timedelta(hours=1), ctx.programme.zone))
    if view.venue:
        venue = ctx.programme.venue(view.venue)
        shown = [s for s in shown if s.venue == view.venue or (s.site_visit is not None and s.site_visit.meeting_point == view.venue)]
        heading.append(_("In {venue}").format(venue=text(ctx, venue.name) if venue else view.venue))
    if view.stream:
        stream = ctx.programme.stream(view.stream)
        shown = [s for s in shown if s.stream == view.stream]
        heading.append(_("Stream {number}: {title}").format(number=stream.number, title=text(ctx, stream.title)) if stream else view.stream)
    if heading:
        count = _count(len(shown)) if len(shown) <= PAGE_SIZE else ""  # a longer list says it on its pages
        body = "\n".join(x for x in (body, " · ".join(heading), count) if x)
    page_command = " ".join(w for w in (command, page_words, view.words()) if w)
    reply = session_list(ctx, shown, title=title, body=body, page=page, page_command=page_command,
                         empty=_("Nothing in this part of the day.") if heading else empty)
    if not view.empty and len(sessions) > BIG_DAY and isinstance(reply, Choices):
        reply = Choices(reply.body, reply.options + (Choice(_("The whole day"), command),), title=reply.title, navigation=reply.navigation)
    return reply


def _overview(ctx: Context, date: dt.date, sessions: Sequence[Session], *, title: str, body: str) -> Reply:
    command = f"/day {date.isoformat()}"
    zone = ctx.programme.zone
    if sessions is ctx.agenda.on(date):  # the whole day: counted once per version
        outline = ctx.agenda.outline(date)
        hours = Counter({hour: len(found) for hour, found in outline.by_hour.items()})
        venues, streams = set(outline.venues), set(outline.streams)
    else:
        hours = Counter(_hour(ctx, s) for s in sessions)
        venues = {s.venue for s in sessions if s.venue}
        streams = {s.stream for s in sessions if s.stream}
    counts = [_count(len(sessions))]
    if len(venues) > 1:
        counts.append(ngettext("{count} room", "{count} rooms", len(venues)).format(count=format_number(len(venues))))
    if len(streams) > 1:
        counts.append(ngettext("{count} stream", "{count} streams", len(streams)).format(count=format_number(len(streams))))
    lines = [body, " · ".join(counts), _("Pick a time, a room or a stream:")]
    options = []
    for hour in sorted(hours):
        start = dt.datetime.combine(date, dt.time(hour), zone)
        when = format_time_range(start, start + dt.timedelta(hours=1), zone)
        options.append(Choice(_("{time} · {count}").format(time=when, count=_count(hours[hour])), f"{command} h={hour}", short=when))
    if len(venues) > 1:
        options.append(Choice(_("By room"), f"{command} by=venue"))
    if len(streams) > 1:
        options.append(Choice(_("By stream"), f"{command} by=stream"))
    options.append(Choice(_("All sessions, in order"), f"{command} all"))
    return Choices("\n".join(x for x in lines if x), tuple(options), title=title, navigation=ctx.via_button)


def _groups(ctx: Context, date: dt.date, sessions: Sequence[Session], by: str, *, title: str, body: str, page: int) -> Reply:
    command = f"/day {date.isoformat()}"
    programme = ctx.programme
    outline = ctx.agenda.outline(date) if sessions is ctx.agenda.on(date) else None  # the whole day: counted once
    if by == "venue":
        counts = outline.venues if outline is not None else Counter(s.venue for s in sessions if s.venue)
        groups = [(v.id, text(ctx, v.name)) for v in programme.venues if v.id in counts]
        question = _("Which room?")
    else:
        counts = outline.streams if outline is not None else Counter(s.stream for s in sessions if s.stream)
        groups = [(s.id, _("Stream {number}: {title}").format(number=s.number, title=text(ctx, s.title)))
                  for s in ctx.agenda.streams() if s.id in counts]
        question = _("Which stream?")
    if not groups:
        return Text("\n".join(x for x in (body, _("Nothing in this part of the day.")) if x), title=title)
    pages = max(1, -(-len(groups) // GROUPS_PAGE))
    page = min(max(page, 1), pages)
    shown = groups[(page - 1) * GROUPS_PAGE : page * GROUPS_PAGE]
    options = [Choice(_("{name} · {count}").format(name=name, count=_count(counts[key])), f"{command} {by}={key}", short=name)
               for key, name in shown]
    lines = [body, question]
    if pages > 1:
        lines.append(_("Page {page} of {pages}").format(page=format_number(page), pages=format_number(pages)))
        if page > 1:
            options.append(Choice(_("◀ Previous page"), f"{command} by={by} p{page - 1}"))
        if page < pages:
            options.append(Choice(_("Next page ▶"), f"{command} by={by} p{page + 1}"))
    options.append(Choice(_("The whole day"), command))
    return Choices("\n".join(x for x in lines if x), tuple(options), title=title, navigation=ctx.via_button)


def pick_venue(ctx: Context, date: dt.date, venues: Sequence[Venue], *, title: str) -> Reply:
    """Several rooms answer to what the delegate wrote: which one?"""
    options = tuple(Choice(text(ctx, v.name), f"/day {date.isoformat()} venue={v.id}") for v in venues[:PAGE_SIZE * 2])
    return Choices(_("Which room?"), options, title=title)
