"""One conversation, walked in every shipped language: no English sentence leaks, no format string breaks.

The table below is written once, in commands and language-neutral checks
(the reply's type, the payloads of its choices); it is played by a
delegate of each language (their platform's hint), and every reply is
checked with :func:`leaks` against the English catalog's messages, with
the programme's own content (names, titles, descriptions: English where
the file has no other language) taken out first.  A reply that still holds
a ``{placeholder}`` is a broken format string.  Chinese replies are also
checked for ASCII punctuation and stray spaces.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.app import build_core
from bot.clock import ManualClock
from bot.config import Settings
from bot.conversation import Choices, Document, Image, Reply, Text
from bot.i18n import FSI, PDI, RLM
from bot.notify.reminders import Kind
from handlers.reminders import render_reminder
from handlers.views import SHORT_LABEL
from tests.conftest import PROGRAMME, ROOT, Chat, at, shipped
from tests.test_catalogs import chinese_problems

#: Each shipped language, as a delegate's platform names it (Telegram, WeChat).
HINTS = {
    "en": "en", "zh_Hans": "zh-CN", "zh_Hant": "zh-TW", "es": "es-419", "fr": "fr",
    "pt": "pt-br", "ar": "ar", "ru": "ru", "ko": "ko",
}


@dataclass(frozen=True)
class Word:
    """A whole message in the delegate's own language: the first phrase of ``command`` in its phrases.toml."""

    command: str


@dataclass(frozen=True)
class Row:
    send: str | Word
    kind: type
    payloads: tuple[str, ...] = ()
    """Payloads the reply's choices must include (language-neutral: commands and ids)."""


def row(send: str | Word, kind: type, *payloads: str) -> Row:
    return Row(send, kind, payloads)


#: Thursday 5 June 2025, 10:00 in Guangzhou: Stream 2's site visit is on.
CONVERSATION: tuple[Row, ...] = (
    row("/start", Choices, "/today", "/next", "/programme", "/streams", "/lang"),
    row("/help", Text),
    row("/today", Choices, "/session s2-liurong"),
    row("2", Choices, "/bookmark s2-liurong", "/stream s2"),
    row("/now", Choices, "/session s2-liurong"),
    row("/next", Choices, "/session s2-roundtable"),
    row(Word("today"), Choices, "/session s2-liurong"),
    row(Word("next"), Choices, "/session s2-roundtable"),
    row(Word("day tomorrow"), Choices, "/session wrap-up"),
    row("/day 2", Choices, "/session opening"),
    row("/day", Choices, "/day 2025-06-04"),
    row("/day someday", Choices, "/day 2025-06-07"),
    row("/day 2025-07-01", Text),
    row("/programme", Choices, "/day 2025-06-07"),
    row("/session opening", Choices, "/bookmark opening"),
    row("/session s3-visit-transport", Choices, "/join s3-visit-transport"),
    row("/session", Text),
    row("/session nosuchthing", Choices, "/info", "/help"),
    row("/search Bogotá", Choices, "/session s2-cases"),
    row("/search a", Choices, "/search a p2"),
    row("/search", Text),
    row("qwertyuiop", Choices, "/info", "/help"),
    row("/streams", Choices, "/stream s1", "/stream s3"),
    row("9", Text),
    row("/stream 2", Choices, "/session s2-liurong"),
    row("/stream 9", Text),
    row("/bookmark s2-roundtable", Choices, "/myagenda", "/unbookmark s2-roundtable"),
    row("/bookmark s2-roundtable", Choices, "/unbookmark s2-roundtable"),
    row("/bookmark opening", Choices, "/unbookmark opening"),
    row("/bookmark roundtable", Choices, "/bookmark s2-roundtable", "/bookmark s3-roundtable"),
    row("/bookmark", Text),
    row(Word("myagenda"), Choices, "/session s2-roundtable", "/session opening"),
    row("/myagenda 3", Choices, "/session s2-roundtable"),
    row("/myagenda ics", Document),
    row("/ics opening", Document),
    row("/ics", Text),
    row("/ics nosuchthing", Text),
    row("/calendar", Choices, "/myagenda ics"),
    row("/calendar off", Choices, "/calendar"),
    row("/calendar what", Text),
    row("/unbookmark s2-roundtable", Choices, "/bookmark s2-roundtable", "/myagenda"),
    row("/unbookmark s2-roundtable", Text),
    row("/unbookmark", Text),
    row("/visits", Choices, "/session s3-visit-transport"),
    row("/join 3", Choices, "/leave s3-visit-transport", "/myagenda"),
    row("/join 3", Choices, "/leave s3-visit-transport"),
    row("/join 1", Text),
    row("/join", Choices, "/join s3-visit-lowalt"),
    row("/join 9", Text),
    row("/leave 3", Text),
    row("/leave 3", Text),
    row("/subscribe 3", Choices, "/unsubscribe s3", "/stream s3"),
    row("/subscribe 3", Choices, "/unsubscribe s3"),
    row("/subscribe 1", Choices, "/unsubscribe s1"),
    row("/subscribe", Choices, "/subscribe s2"),
    row("/bookmark s3-cases", Choices, "/unbookmark s3-cases"),
    row("/unbookmark s3-cases", Choices, "/bookmark s3-cases"),
    row("/unsubscribe 3", Text),
    row("/unsubscribe 3", Text),
    row("/unsubscribe", Choices, "/unsubscribe s1"),
    row("/unsubscribe 1", Text),
    row("/subscribe 7", Text),
    row("/bookmark s3-cases", Choices),
    row("/reminders", Choices, "/reminders 30", "/reminders off"),
    row("/reminders 30", Text),
    row("/reminders 1", Text),
    row("/reminders 0", Text),
    row("/reminders off", Text),
    row("/bookmark s3-cases", Choices),
    row("/reminders on", Text),
    row("/reminders default", Text),
    row("/timezone", Text),
    row("/timezone Europe/Madrid", Text),
    row("/timezone", Text),
    row("/now", Choices, "/session s2-liurong"),
    row("/timezone Mars", Text),
    row("/timezone Asia/Shanghai", Text),
    row("/timezone off", Text),
    row("/lang", Choices, "/lang en", "/lang ar", "/lang zh_Hant"),
    row("/lang klingon", Text),
    row("/myroles", Text),
    row("/redeem", Text),
    row("/redeem NOT-A-CODE", Text),
    row("/venues", Choices, "/venue liurong", "/venue bus-point"),
    row("/venue liurong", Choices, "/venues"),
    row("/venue community", Choices, "/venue liurong", "/venue care-centre"),
    row("/venue nowhere", Choices, "/venue liurong"),
    row("/where", Choices),
    row("/info", Choices, "/info wifi", "/info contact"),
    row("/info wifi", Choices, "/venue hotel", "/info"),
    row("/info contact", Choices, "/info"),
    row("/info nosuchtopic", Choices, "/info meals"),
    row("/speakers", Choices, "/session s2-liurong"),
    row("/speakers panel", Choices, "/session panel"),
    row("/speakers roundtable", Choices, "/speakers s1-roundtable"),
    row("/speakers zzzz", Text),
    row("/departure", Choices, "/join s3-visit-transport"),
    row("/join 3", Choices, "/leave s3-visit-transport"),
    row("/departure", Choices, "/directions s3-visit-transport"),
    row("/leave 3", Text),
    row("/hello", Choices, "/today", "/info"),
    row("/thanks", Text),
    row("/day 3 afternoon", Choices, "/session s3-cases"),
    row("/day 4 evening", Choices, "/session farewell-dinner"),
    row("/day evening", Text),
    row("/stream s2 2025-06-05", Choices, "/session s2-liurong"),
    row("/stream s2 2025-06-04", Text),
    row("/search nothingmatchesthis", Choices, "/info"),
    row("/digest", Text),
    row("/digest 08:00", Text),
    row("/digest 25:99", Text),
    row("/digest off", Text),
    row("/cancel", Text),
    row("/feedback", Choices, "/feedback s2-cases"),
    row("/feedback s2-cases", Choices, "/feedback a s2-cases overall 4", "/feedback absent s2-cases"),
    row("4", Choices, "/feedback skip s2-cases useful"),
    row("The city examples", Choices, "/feedback review s2-cases"),
    row("/feedback s2-cases", Choices, "/feedback q s2-cases overall"),
    row("/feedback absent s2-panel", Text),
    row("/feedback s2-roundtable", Text),
    row("/feedback summary", Text),
    row(Word("feedback"), Choices, "/feedback s2-cases"),
    row("/poll", Text),
    row("/privacy", Text),
    row("/mydata", Document),
    row("/forget", Choices, "/forget no"),
    row("2", Text),
    row("/forget", Choices, "/forget no"),
    row("1", Text),
    row("/frobnicate", Text),
)
#: What only staff may do: played by an organiser of each language.
STAFF: tuple[Row, ...] = (
    row("/help", Text),
    row("/myroles", Text),
    row("/invite", Text),
    row("/invite wizard", Text),
    row("/invite facilitator stream:s9", Text),
    row("/invite facilitator stream:s2 forever", Text),
    row("/invite facilitator stream:s2", Text),
    row("/staff", Text),
    row("/revoke 999", Text),
    row("/revoke", Text),
    row("/audit", Text),
    row("/broadcasts", Text),
    row("/broadcast", Text),
    row("The bus leaves at 14:30.", Choices, "/broadcast to 1 everyone"),
    row("1", Choices),
    row("/cancel", Text),
    row("/roster", Choices, "/roster s3-visit-transport"),
    row("/roster s3-visit-transport", Document),
    row("/roster nowhere", Text),
    row("/reload", Text),
    row("/poll", Choices, "/poll s2-cases"),
    row("/poll s2-cases", Choices, "/poll results s2-cases", "/poll export s2-cases", "/poll live s2-cases"),
    row("/poll results s2-cases", Image),
    row("/poll export s2-cases", Document),
    row("/poll live s2-cases", Text),
    row("/poll stop s2-cases", Text),
    row("/poll close s2-cases", Choices, "/poll open s2-cases"),
    row("/poll open s2-cases", Choices, "/poll close s2-cases"),
    row("/poll results lunch-0604", Text),
    row("/feedback summary", Image),
)


# -- the leak detector -------------------------------------------------------------

BIDI_CONTROLS = re.compile(f"[{FSI}{PDI}{RLM}\u2066\u2067\u200e]")
SPACES = re.compile(r"[\u00a0\u2009\u202f]")
BROKEN_FORMAT = re.compile(r"\{\w*\}")
COMMAND = re.compile(r"/\w+(?: (?:on|off|default|\d+))?")


@functools.cache
def english_pieces() -> tuple[str, ...]:
    """The English catalog's messages cut at their placeholders: the literal pieces with a word in them."""
    with (ROOT / "locales" / "messages.pot").open("rb") as fh:
        catalog = read_po(fh)
    pieces: set[str] = set()
    for message in catalog:
        for msgid in (message.id,) if isinstance(message.id, str) else message.id if message.id else ():
            for piece in BROKEN_FORMAT.split(msgid):
                piece = piece.strip(" .,:;()—–·•\"'!?")
                if re.search(r"[A-Za-z]{3,}", piece):
                    pieces.add(piece)
    return tuple(sorted(pieces, key=len, reverse=True))


@functools.cache
def translated_text(tag: str) -> str:
    """Everything a catalog's translations say, to tell an English word they keep ("/reminders on") from a leak."""
    with (ROOT / "locales" / tag / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale=tag)
    out = []
    for message in catalog:
        if message.id:
            out += [message.string] if isinstance(message.string, str) else list(message.string)
    return "\n".join(out)


@functools.cache
def content() -> tuple[str, ...]:
    """Every text of the shipped programme (all languages, names, ids), longest first."""
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, str):
            if value.strip():
                found.add(" ".join(value.split()))
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)

    walk(shipped(PROGRAMME).model_dump(mode="json"))
    # a sentence of a description or note, as a search result quotes it
    found |= {m.group(0).strip() for value in list(found) for m in re.finditer(r".+?(?:[.!?](?=\s|$)|[。！？]|$)", value)}
    # a title cut to fit on a button, as handlers.views cuts it
    found |= {value[: SHORT_LABEL - 1].rstrip() + "…" for value in found if len(value) > SHORT_LABEL}
    return tuple(sorted(found, key=len, reverse=True))


def reply_text(replies: Iterable[Reply]) -> str:
    """What a delegate reads: titles, bodies, choice labels and button labels."""
    parts: list[str] = []
    for reply in replies:
        for name in ("title", "body", "question", "caption", "name", "address", "directions"):
            value = getattr(reply, name, None)
            if isinstance(value, str):
                parts.append(value)
        for choice in getattr(reply, "options", ()):
            parts += [choice.label, choice.short or ""] if not isinstance(choice, str) else [choice]
    return "\n".join(parts)


def leaks(text: str, tag: str) -> list[str]:
    """English catalog pieces in ``text`` that the ``tag`` catalog does not itself use, programme content aside."""
    shown = " ".join(SPACES.sub(" ", BIDI_CONTROLS.sub("", text)).split(" "))
    for value in content():
        shown = shown.replace(value, "\x00")
    shown = COMMAND.sub("\x00", shown)  # /programme, /reminders off: commands are typed as they are
    own = translated_text(tag)
    found = []
    for piece in english_pieces():
        if piece in own or any(piece in longer for longer in found):
            continue
        if re.search(rf"(?<![A-Za-z]){re.escape(piece)}(?![A-Za-z])", shown):
            found.append(piece)
    return found


def test_the_leak_detector_finds_an_english_sentence_and_spares_content() -> None:
    assert leaks("Reminders are off.", "es") == ["Reminders are off"]
    assert "I will remind you" in leaks("提醒：I will remind you 15 minutes before it starts.", "zh_Hans")
    assert leaks("Día 3: Streams 2 and 3 · Stream 2: use-case presentations", "es") == []  # programme content
    assert leaks("Recordatorios: /reminders on", "es") == []  # a command the Spanish catalog keeps


# -- playing the table -------------------------------------------------------------


@functools.cache
def own_words(tag: str) -> dict[str, str]:
    """The first phrase of each command in the language's phrases.toml (English where it has none)."""
    data = tomllib.loads((ROOT / "locales" / tag / "phrases.toml").read_text(encoding="utf-8"))
    english = tomllib.loads((ROOT / "locales" / "en" / "phrases.toml").read_text(encoding="utf-8"))
    return {command: (data["commands"].get(command) or phrases)[0] for command, phrases in english["commands"].items()}


@functools.cache
def apology(tag: str) -> str:
    """What the error middleware says when a handler raises, in ``tag``."""
    from bot.i18n import Catalogs
    from bot.resources import resource_dir

    return Catalogs.load(resource_dir("locales")).get(tag).translations.gettext(
        "Sorry, something went wrong on my side. Please try again in a moment.")


async def play(chat: Chat, tag: str, rows: tuple[Row, ...]) -> list[str]:
    problems: list[str] = []
    for number, r in enumerate(rows, 1):
        sent = own_words(tag)[r.send.command] if isinstance(r.send, Word) else r.send
        await chat.say(sent)
        replies = chat.replies
        where = f"[{tag} step {number} {sent!r}]"
        if not replies or not isinstance(replies[-1], r.kind):
            problems.append(f"{where} expected a {r.kind.__name__}, got {replies!r}")
            continue
        payloads = {c.payload for reply in replies for c in getattr(reply, "options", ())}
        missing = [p for p in r.payloads if p not in payloads]
        if missing:
            problems.append(f"{where} no choice for {missing} in {sorted(payloads)}")
        text = reply_text(replies)
        if apology(tag) in text:
            problems.append(f"{where} the handler failed")
        if BROKEN_FORMAT.search(text):
            problems.append(f"{where} a format string broke: {text!r}")
        if tag != "en":
            problems += [f"{where} English: {piece!r} in\n{text}" for piece in leaks(text, tag)]
        if tag.startswith("zh"):
            problems += [f"{where} {p}" for p in chinese_problems(SPACES.sub("", text))]
    return problems


async def organisers_core(tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {"BOT_ORGANISERS": ",".join(f"test:org-{tag}" for tag in HINTS)}
    settings = Settings.from_env(env, programme=PROGRAMME, db=tmp_path / "bot.sqlite3", flood_burst=0)
    return await build_core(settings, ManualClock(at("2025-06-05T10:00")), programme=shipped(PROGRAMME))


@pytest.mark.parametrize("tag", list(HINTS))
async def test_the_conversation_reads_in_each_language(tmp_path: Path, tag: str) -> None:
    """Every command and reply type, as a delegate whose platform speaks ``tag``; all problems reported at once."""
    core = await organisers_core(tmp_path)
    try:
        delegate = Chat(core, user=f"delegate-{tag}", language=HINTS[tag])
        problems = await play(delegate, tag, CONVERSATION)
        organiser = Chat(core, user=f"org-{tag}", language=HINTS[tag])
        problems += await play(organiser, tag, STAFF)
        assert core.locales.for_user(await core.users.find(delegate.ref)) == tag
    finally:
        await core.close()
    assert not problems, "\n\n".join(problems)


def test_the_table_covers_every_command_in_the_menu() -> None:
    """A command added to the router without a row here fails: every language must be walked through it."""
    from bot.router import Router
    from handlers import MODULES

    router = Router()
    for module in MODULES:
        module.register(router)
    sent = {r.send.split()[0].lstrip("/") for r in CONVERSATION + STAFF if isinstance(r.send, str) and r.send.startswith("/")}
    commands = {c.name for c in router.commands.values() if c.description and not c.name.startswith("@")}
    assert commands - sent == set()


@pytest.mark.parametrize("tag", list(HINTS))
async def test_reminders_read_in_each_language(tmp_path: Path, tag: str) -> None:
    """A session and a site-visit reminder, 15 minutes ahead and a day ahead ("tomorrow at"), in each language."""
    core = await organisers_core(tmp_path)
    try:
        chat = Chat(core, user=f"r-{tag}", language=HINTS[tag])
        await chat.say("/help")
        user = await core.users.find(chat.ref)
        agenda = core.programmes.agenda
        cases = [
            (agenda.session("s3-cases"), Kind.SESSION, at("2025-06-05T13:30")),
            (agenda.session("s3-cases"), Kind.SESSION, at("2025-06-04T13:45")),
            (agenda.session("s3-visit-transport"), Kind.VISIT, at("2025-06-05T14:20")),
        ]
        problems = []
        for session, kind, now in cases:
            text = reply_text(render_reminder(core.services, user, session, kind, now))
            if BROKEN_FORMAT.search(text):
                problems.append(f"[{tag}] broken format: {text!r}")
            if tag != "en":
                problems += [f"[{tag}] English {piece!r} in {text}" for piece in leaks(text, tag)]
            assert "1379" not in text and "1440" not in text
    finally:
        await core.close()
    assert not problems, "\n".join(problems)
