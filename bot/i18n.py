"""Translations and CLDR formatting for the person being answered.

Catalogs are the ``locales/<lang>/LC_MESSAGES/messages.po`` files, compiled in
memory at start-up (no manual compile step; a ``.mo`` file beside a ``.po`` is
neither needed nor read).  The locale of the current request lives in a
context variable, set by the router's locale middleware, so handlers just call
:func:`_`, :func:`ngettext` and the ``format_*`` helpers.  :func:`L_` is the
lazy form for module-level constants, translated each time it is shown.

Which language a person reads is :class:`Locales`: a stored choice, then the
platform's hint (or, without one, the script of what they first wrote:
:func:`language_of_script`), then the event's default.  Replies in a
right-to-left language go through :func:`directed`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import enum
import functools
import gettext
import hashlib
import io
import logging
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from glob import escape as glob_escape
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import lists as babel_lists
from babel import numbers as babel_numbers
from babel.core import get_global
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import LazyProxy, Translations

if TYPE_CHECKING:
    from bot.conversation import UserRef
    from bot.store.users import UserRecord

logger = logging.getLogger(__name__)

DOMAIN = "messages"
SOURCE_LOCALE = "en"


@dataclass(frozen=True)
class Localizer:
    """One locale's translations and CLDR data."""

    tag: str
    translations: gettext.NullTranslations = field(default_factory=gettext.NullTranslations)

    @property
    def locale(self) -> Locale:
        return _parse_locale(self.tag)

    @property
    def display_name(self) -> str:
        """The language in its own name: ``English``, ``Español``, ``简体中文``, ``العربية``."""
        return _display_name(self.tag)

    @property
    def name_in_text(self) -> str:
        """The language's own name as it stands inside a sentence: ``español``, ``français``, ``English``."""
        return self.locale.get_display_name(self.locale) if not self.locale.script else _display_name(self.tag)


@functools.lru_cache(maxsize=64)
def _display_name(tag: str) -> str:
    locale = _parse_locale(tag)
    name = locale.get_display_name(locale) or tag
    if locale.script and not locale.territory and locale.script in locale.scripts and locale.language in locale.languages:
        script, language = locale.scripts[locale.script], locale.languages[locale.language]
        if not _spaced(script + language):
            name = script + language  # "简体中文", as Chinese names it, not "中文 (简体)"
    return name[:1].upper() + name[1:]


def _spaced(text: str) -> bool:
    """Whether ``text`` is written with letters of a script that puts spaces between words."""
    return any(unicodedata.category(ch).startswith("L") and ord(ch) < 0x2E80 for ch in text)


@functools.lru_cache(maxsize=256)
def _parse_locale(tag: str) -> Locale:
    """Parsed once per tag: ``Locale.parse`` is slow enough to matter on every request."""
    return Locale.parse(tag)


_current: ContextVar[Localizer] = ContextVar("localizer", default=Localizer(SOURCE_LOCALE))


def current() -> Localizer:
    return _current.get()


@contextlib.contextmanager
def use(localizer: Localizer) -> Iterator[Localizer]:
    """Make ``localizer`` the one :func:`_` uses inside the block."""
    token = _current.set(localizer)
    try:
        yield localizer
    finally:
        _current.reset(token)


def _(message: str) -> str:
    """Translate ``message`` into the current request's language."""
    return _current.get().translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _current.get().translations.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for extraction; translate it later with :func:`_`."""
    return message


def L_(message: str) -> LazyProxy:
    """A lazy translation, for module-level constants: it is translated each time it is shown.

    ``KIND = L_("Plenary")`` reads "Plenary" to an English delegate and
    "全体会议" to a Chinese one; ``str(KIND)``, ``f"{KIND}"`` and ``format``
    all translate it then.
    """
    return LazyProxy(_, message, enable_cache=False)


class Catalogs:
    """Every shipped locale, compiled from its ``.po`` file."""

    def __init__(self, localizers: dict[str, Localizer]) -> None:
        self._by_tag = localizers

    @classmethod
    def load(cls, directory: Path) -> Catalogs:
        localizers: dict[str, Localizer] = {}
        for po_path in sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
            tag = po_path.parent.parent.name
            stat = po_path.stat()
            compiled = _compiled(str(po_path), tag, stat.st_mtime_ns, stat.st_size)
            localizers[tag] = Localizer(tag, Translations(io.BytesIO(compiled), domain=DOMAIN))
        localizers.setdefault(SOURCE_LOCALE, Localizer(SOURCE_LOCALE))
        return cls(localizers)

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(self._by_tag)

    def get(self, tag: str) -> Localizer:
        return self._by_tag.get(tag) or self._by_tag[SOURCE_LOCALE]

    def negotiate(self, tag: str | None) -> str | None:
        """The shipped locale that fits a language tag, or ``None``."""
        return _negotiate_cached(tag, tuple(self._by_tag))

    def find(self, wanted: str) -> str | None:
        """The shipped locale a person means: a tag (``zh-TW``, ``pt_BR``) or a language's name in any
        shipped language (``Español``, ``spanish``, ``西班牙语``, ``繁體中文``); ``None`` if none."""
        return self.negotiate(wanted) or _names_of(tuple(self._by_tag)).get(_folded(wanted))


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch) and not ch.isspace()).casefold()


@functools.lru_cache(maxsize=8)
def _names_of(tags: tuple[str, ...]) -> dict[str, str]:
    """Every shipped language's name, as each shipped language writes it (folded) -> its tag."""
    names: dict[str, str] = {}
    for tag in tags:
        names.setdefault(_folded(_display_name(tag)), tag)
        for reader in tags:
            name = _parse_locale(tag).get_display_name(_parse_locale(reader))
            if name:
                names.setdefault(_folded(name), tag)
            code = _parse_locale(tag).language
            language = _parse_locale(reader).languages.get(code)
            if language:  # "Chinese" alone: the locale that fits "zh" (Simplified)
                names.setdefault(_folded(language), _negotiate(code, tags) or tag)
    return names


def cache_dir() -> Path:
    """Where compiled catalogs are kept between starts (the user's cache folder, ``$XDG_CACHE_HOME`` on Linux)."""
    from platformdirs import user_cache_path

    return user_cache_path("delegate-bot", appauthor=False)


@functools.lru_cache(maxsize=64)
def _compiled(po_path: str, tag: str, mtime_ns: int, size: int) -> bytes:
    """A catalog compiled to .mo bytes; once per file version (an edited file compiles again).

    Compiling the nine catalogs takes about 0.3 s, a tenth of a start: the
    result is kept in :func:`cache_dir`, named by a hash of the ``.po``
    file's bytes, its language and the babel version, so a changed file or
    babel never reads a stale one.  A cache that cannot be read or written
    is only slower.
    """
    import babel

    with open(po_path, "rb") as fh:
        source = fh.read()
    digest = hashlib.sha256(b"\0".join((source, tag.encode(), babel.__version__.encode()))).hexdigest()[:40]
    folder = cache_dir() / "catalogs"
    try:
        cached = (folder / f"{tag}-{digest}.mo").read_bytes()
        if _valid_mo(cached):
            return cached
    except OSError:
        pass
    catalog = read_po(io.BytesIO(source), locale=tag, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    compiled = buf.getvalue()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob(f"{glob_escape(tag)}-*.mo"):  # this language's earlier versions
            old.unlink(missing_ok=True)
        part = folder / f".{tag}-{digest}.{os.getpid()}.part"
        part.write_bytes(compiled)
        os.replace(part, folder / f"{tag}-{digest}.mo")  # whole or not at all, for another process starting too
    except OSError as exc:
        logger.debug("compiled catalogs not kept (%s): compiling at each start", exc.strerror or exc)
    return compiled


def _valid_mo(data: bytes) -> bool:
    try:
        gettext.GNUTranslations(io.BytesIO(data))
    except Exception:  # truncated or not a catalog: compile again
        return False
    return True


class Locales:
    """Which language a person reads.

    This run's choice (``console --lang``), else the one they stored with
    ``/lang``, else their platform's language hint, else the event's default.
    """

    def __init__(self, catalogs: Catalogs, event_language: Callable[[], str]) -> None:
        self.catalogs = catalogs
        self._event_language = event_language
        self.for_this_run: dict[UserRef, str] = {}
        """Languages chosen for this run only (``console --lang``), ahead of stored ones."""

    def default(self) -> str:
        """The event's language, as a shipped locale."""
        return self.catalogs.negotiate(self._event_language()) or SOURCE_LOCALE

    def for_user(self, user: UserRecord | None) -> str:
        if user is not None:
            chosen = self.for_this_run.get(user.ref)
            if chosen is not None:
                return chosen
            if user.locale and user.locale in self.catalogs.tags:
                return user.locale
            hinted = self.catalogs.negotiate(user.language_hint)
            if hinted:
                return hinted
        return self.default()

    def localizer(self, user: UserRecord | None) -> Localizer:
        return self.catalogs.get(self.for_user(user))

    def hint_from_text(self, user: UserRecord | None, text: str | None) -> str | None:
        """A language hint from the script of what a delegate wrote, where nothing else says.

        Only for someone with no stored choice and no platform hint (a WeChat
        follower whose language WeChat did not give): a first message in
        Chinese characters, Hangul, Cyrillic or Arabic script names a shipped
        language; Latin script names none (too many languages share it).
        Stored as the delegate's hint, it stands until they choose with /lang.
        """
        if user is None or user.locale or user.language_hint or not text:
            return None
        guessed = language_of_script(text)
        return guessed if guessed and self.catalogs.negotiate(guessed) else None


#: Letters that say a Cyrillic or Arabic text is in another language than Russian or Arabic
#: (Ukrainian, Belarusian, Kazakh...; Persian, Urdu...): then the script names no language of ours.
_NOT_RUSSIAN = frozenset("іїєґўәғқңөұүһІЇЄҐЎӘҒҚҢӨҰҮҺ")
_NOT_ARABIC = frozenset("پچژگکیۀہےڈڑںٹ")


def _script(ch: str) -> str | None:
    """The script of a letter, as far as choosing a language goes: Hani, Kana, Hang, Cyrl, Arab, Latn."""
    code = ord(ch)
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF or 0x20000 <= code <= 0x323AF:
        return "Hani"
    if 0x3040 <= code <= 0x30FF:
        return "Kana"
    if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
        return "Hang"
    if 0x0400 <= code <= 0x052F:
        return "Cyrl"
    if 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0xFB50 <= code <= 0xFDFF or 0xFE70 <= code <= 0xFEFF:
        return "Arab"
    if ch.isalpha() and code < 0x0250:
        return "Latn"
    return None


def language_of_script(text: str) -> str | None:
    """The language a text's script points to: ``今天`` -> ``zh_Hans``, ``時區`` -> ``zh_Hant``,
    ``오늘`` -> ``ko``, ``сегодня`` -> ``ru``, ``اليوم`` -> ``ar``; Latin script, kana or a mix -> ``None``.

    The script must carry the text: more of its letters (a Chinese character
    counting twice) than Latin ones, so "search 首尔" names no language.
    """
    counts: dict[str, int] = {}
    for ch in text:
        script = _script(ch)
        if script is not None:
            counts[script] = counts.get(script, 0) + (2 if script == "Hani" else 1)
    latin = counts.pop("Latn", 0)
    if not counts or "Kana" in counts:
        return None  # kana: Japanese, which we do not ship
    script, weight = max(counts.items(), key=lambda item: item[1])
    if weight <= latin:
        return None
    letters = set(text)
    if script == "Hani":
        return "zh_Hant" if is_traditional(text) else "zh_Hans"
    if script == "Hang":
        return "ko"
    if script == "Cyrl":
        return None if letters & _NOT_RUSSIAN else "ru"
    return None if letters & _NOT_ARABIC else "ar"


@functools.lru_cache(maxsize=2)
def _converter(config: str):  # type: ignore[no-untyped-def]
    import opencc  # the one conversion library (OpenCC's dictionaries), loaded on first use

    return opencc.OpenCC(config)


@functools.lru_cache(maxsize=8192)
def to_traditional(text: str) -> str:
    """Simplified Chinese converted to Traditional with OpenCC's ``s2tw`` dictionaries (Taiwan characters, not vocabulary: place names stay)."""
    return _converter("s2tw").convert(text)


@functools.lru_cache(maxsize=8192)
def to_simplified(text: str) -> str:
    """Traditional Chinese converted to Simplified with OpenCC's ``t2s`` dictionaries."""
    return _converter("t2s").convert(text)


def is_traditional(text: str) -> bool:
    """Whether Chinese text uses Traditional characters: converting it to Simplified changes it."""
    return to_simplified(text) != text


def _script_of(locale: Locale) -> str | None:
    if locale.script:
        return locale.script
    likely = get_global("likely_subtags")
    for key in (f"{locale.language}_{locale.territory}" if locale.territory else None, locale.language):
        if key and key in likely:
            return Locale.parse(likely[key]).script
    return None


def _parse_tag(tag: str) -> Locale | None:
    tag = tag.strip().replace("-", "_")
    if not tag:
        return None
    try:
        return Locale.parse(tag)
    except (ValueError, UnknownLocaleError):
        try:
            return Locale.parse(tag.split("_")[0])
        except (ValueError, UnknownLocaleError):
            return None


def negotiate(tag: str | None, available: Iterable[str]) -> str | None:
    """Match a tag (``zh-CN``, ``zh-hans``, ``pt-br``, ``en_GB``) to an available locale.

    Language and script must agree, so ``zh-CN`` and ``zh-hans`` reach
    ``zh_Hans`` while ``zh-TW`` (Traditional) does not.  Among candidates an
    exact territory wins, then one without a territory.
    """
    if not tag:
        return None
    return _negotiate(tag, tuple(available))


@functools.lru_cache(maxsize=1024)
def _negotiate(tag: str, available: tuple[str, ...]) -> str | None:
    wanted = _parse_tag(tag)
    if wanted is None:
        return None
    script = _script_of(wanted)
    best: tuple[int, str] | None = None
    for candidate in available:
        have = _parse_tag(candidate)
        if have is None or have.language != wanted.language or _script_of(have) != script:
            continue
        score = 2 if have.territory == wanted.territory else (1 if have.territory is None else 0)
        if best is None or score > best[0]:
            best = (score, candidate)
    return best[1] if best else None


# babel's locale lookups cost milliseconds, and every request negotiates (see Core.locale_for)
_negotiate_cached = functools.lru_cache(maxsize=1024)(lambda tag, available: negotiate(tag, available))


def _babel_locale() -> Locale:
    return current().locale


def format_time(value: dt.datetime, zone: ZoneInfo) -> str:
    """A time of day, e.g. ``09:30`` or ``9:30 AM``, as the locale writes it."""
    return _time_text(value, zone, current().tag)


@functools.lru_cache(maxsize=64)
def _hour_skeleton(tag: str) -> str:
    """``Hm`` (24-hour) or ``hm`` (with AM/PM), as the locale's short time is written.

    A locale whose short time names the period of the day ("上午10:00" in
    Traditional Chinese) shows programme times on the 24-hour clock, as
    event programmes there do (babel cannot format that period in intervals).
    """
    pattern = _parse_locale(tag).time_formats["short"].pattern
    return "Hm" if "H" in pattern or "k" in pattern or "B" in pattern else "hm"


@functools.lru_cache(maxsize=4096)
def _time_text(value: dt.datetime, zone: ZoneInfo, tag: str) -> str:
    locale = _parse_locale(tag)
    if "B" in locale.time_formats["short"].pattern:
        return babel_dates.format_datetime(value, _skeleton_pattern("Hm", tag), tzinfo=zone, locale=locale)
    return babel_dates.format_time(value, format="short", tzinfo=zone, locale=locale)


def format_date(value: dt.date, style: str = "full") -> str:
    """A date: ``full`` (weekday and date), ``medium`` or a CLDR skeleton."""
    if style in {"full", "long", "medium", "short"}:
        return babel_dates.format_date(value, format=style, locale=_babel_locale())
    return _format_skeleton(style, value)


def format_day(value: dt.date) -> str:
    """A day heading with weekday, e.g. ``Thursday, 5 June`` / ``6月5日星期四``."""
    return _format_skeleton("MMMMEEEEd", value)


@functools.lru_cache(maxsize=512)
def _skeleton_pattern(skeleton: str, tag: str) -> str:
    """The locale's pattern for a skeleton (babel's fuzzy matching is slow, so once per pair)."""
    skeletons = _parse_locale(tag).datetime_skeletons
    if skeleton not in skeletons:
        skeleton = babel_dates.match_skeleton(skeleton, skeletons)
    return skeletons[skeleton]


def _format_skeleton(skeleton: str, value: dt.date) -> str:
    """``babel.dates.format_skeleton``, cached: the same few days are shown over and over."""
    return _skeleton_text(skeleton, value, current().tag)


@functools.lru_cache(maxsize=4096)
def _skeleton_text(skeleton: str, value: dt.date, tag: str) -> str:
    return babel_dates.format_datetime(value, _skeleton_pattern(skeleton, tag), locale=_parse_locale(tag))


def format_time_range(start: dt.datetime, end: dt.datetime, zone: ZoneInfo) -> str:
    """``09:00–10:30`` in ``zone``, as the locale writes an interval."""
    return _time_range(start, end, zone, current().tag)


@functools.lru_cache(maxsize=4096)
def _time_range(start: dt.datetime, end: dt.datetime, zone: ZoneInfo, tag: str) -> str:
    """Programme intervals repeat in every list, and babel's ``format_interval`` is slow: cached."""
    locale = _parse_locale(tag)
    return babel_dates.format_interval(start, end, skeleton=_hour_skeleton(tag), tzinfo=zone, locale=locale)


def format_datetime(value: dt.datetime, zone: ZoneInfo) -> str:
    """Date and time, e.g. ``Jun 5, 2025, 9:00:00 AM``; on the 24-hour clock where CLDR names the
    period of the day ("上午"), as for :func:`format_time`."""
    tag = current().tag
    locale = _parse_locale(tag)
    if "B" not in locale.time_formats["medium"].pattern:
        return babel_dates.format_datetime(value, format="medium", tzinfo=zone, locale=locale)
    date = babel_dates.format_date(value.astimezone(zone).date(), format="medium", locale=locale)
    clock = babel_dates.format_datetime(value, _skeleton_pattern("Hms", tag), tzinfo=zone, locale=locale)
    return str(locale.datetime_formats["medium"]).format(clock, date)


def format_utc_offset(zone: ZoneInfo, when: dt.datetime) -> str:
    """The zone's offset at ``when``, e.g. ``GMT+08:00``."""
    return babel_dates.get_timezone_gmt(when.astimezone(zone), width="long", locale=_babel_locale())


def format_list(items: Iterable[str]) -> str:
    """``A, B and C`` / ``A、B和C``, as the locale joins a list."""
    items = list(items)
    if not items:
        return ""
    return babel_lists.format_list(items, locale=_babel_locale())


def format_number(value: int | float) -> str:
    """A number with the locale's digits and separators (``1,234``, ``1 234``)."""
    return babel_numbers.format_decimal(value, locale=_babel_locale())


def format_in(delta: dt.timedelta, unit: str = "minute") -> str:
    """How far ahead, counted in ``unit`` (``minute``, ``hour`` or ``day``): "in 15 minutes", "15分钟后", "через 15 минут".

    CLDR's relative forms, so each language gets its own grammar (Russian
    "через 1 минуту", not the "1 минута" of a bare count).
    """
    return babel_dates.format_timedelta(
        delta, granularity=unit, threshold=1e9, add_direction=True, format="long", locale=_babel_locale()
    )


# -- right to left ----------------------------------------------------------------

FSI, PDI, RLM = "\u2068", "\u2069", "\u200f"
_ISOLATES = {"\u2066", "\u2067", "\u2068"}
_PAIRS = (("(", ")"), ("[", "]"), ("«", "»"), ("“", "”"), ("\"", "\""))
#: A sign that belongs to the Latin word right after it ("/reminders", "#2", "@bot").
_LEADING = {"/", "#", "@"}


def directed(text: str, tag: str | None = None) -> str:
    """Text as a right-to-left language shows it; any other language's text unchanged.

    Each line starts with a right-to-left mark, so a line that begins with a
    time or a Latin name still reads from the right, and every run of Latin
    text (a session title in English, a command, a URL) is wrapped in a
    first-strong isolate (FSI ... PDI), so the punctuation around it stays
    where the Arabic sentence puts it.  Applying it twice changes nothing.
    """
    if not _parse_locale(tag or current().tag).character_order == "right-to-left":
        return text
    return "\n".join(_directed_line(line) for line in text.split("\n"))


def _directed_line(line: str) -> str:
    if not line:
        return line
    body = line[1:] if line.startswith(RLM) else line
    return RLM + _isolate_latin(body)


def _strong(ch: str) -> str:
    kind = unicodedata.bidirectional(ch)
    return "L" if kind == "L" else "R" if kind in ("R", "AL") else "N"


def _isolate_latin(line: str) -> str:
    out: list[str] = []
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch in _ISOLATES:  # already isolated: copy up to its PDI
            end = line.find(PDI, i)
            end = n - 1 if end < 0 else end
            out.append(line[i : end + 1])
            i = end + 1
            continue
        if _strong(ch) != "L" and not (ch in _LEADING and i + 1 < n and _strong(line[i + 1]) == "L"):
            out.append(ch)
            i += 1
            continue
        # a Latin run: up to the last Latin letter or digit before a right-to-left letter, an isolate or the end
        j, last = i, i
        while j < n and line[j] not in _ISOLATES and line[j] != PDI and _strong(line[j]) != "R":
            if _strong(line[j]) == "L" or line[j].isdigit():
                last = j
            j += 1
        begin, end = i, last + 1
        # a bracket or quote that opens or closes in the run goes into the isolate with its partner
        for opener, closer in _PAIRS:
            run = line[begin:end]
            opened = run.count(opener) - run.count(closer) if opener != closer else run.count(opener) % 2
            if opened > 0 and end < n and line[end] == closer:
                end += 1
            elif (opened < 0 or (opener == closer and opened)) and begin > 0 and line[begin - 1] == opener and out and out[-1] == opener:
                out.pop()
                begin -= 1
        out.append(FSI + line[begin:end] + PDI)
        i = end
    return "".join(out)


#: Fields of reply objects that are data, not text people read: never directed.
_NOT_TEXT = frozenset({"payload", "poll_id", "filename", "mime_type", "url", "map_url", "data"})


def directed_replies(replies: Iterable[object], tag: str) -> list[object]:
    """Replies (frozen :mod:`bot.conversation` objects) with every text people read :func:`directed`."""
    replies = list(replies)
    if _parse_locale(tag).character_order != "right-to-left":
        return replies
    return [_directed_value(reply, tag) for reply in replies]


def _directed_value(value: object, tag: str) -> object:
    if isinstance(value, enum.Enum):
        return value
    if isinstance(value, str):
        return directed(value, tag)
    if isinstance(value, tuple):
        return tuple(_directed_value(v, tag) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for f in dataclasses.fields(value):
            current_value = getattr(value, f.name)
            if f.name not in _NOT_TEXT and (isinstance(current_value, (str, tuple)) or dataclasses.is_dataclass(current_value)):
                changes[f.name] = _directed_value(current_value, tag)
        return dataclasses.replace(value, **changes) if changes else value
    return value


def format_date_range(first: dt.date, last: dt.date) -> str:
    """The dates of an event: ``3–7 June 2025``, ``2025年6月3日至7日``, as the locale writes an interval."""
    return _date_range(first, last, current().tag)


@functools.lru_cache(maxsize=256)
def _date_range(first: dt.date, last: dt.date, tag: str) -> str:
    return babel_dates.format_interval(first, last, skeleton="yMMMMd", locale=_parse_locale(tag))


#: Chinese punctuation that carries its own space: a space beside it is one too many.
_FULL_WIDTH = "，。：；！？（）、《》〈〉“”‘’「」『』［］【】——…"
_SPACE_BY_FULL_WIDTH = re.compile(f"[ \\t]+(?=[{_FULL_WIDTH}])|(?<=[{_FULL_WIDTH}])[ \\t]+")


def spaced(*parts: str) -> str:
    """Parts of a text one after the other, a space between them, as :func:`tidy` leaves it.

    "Plenary hall" + "(to be confirmed)" -> "Plenary hall (to be confirmed)",
    "主会场" + "（待定）" -> "主会场（待定）"; a sentence after a sentence
    likewise ("请现在出发。" + "您可能会迟到约5分钟。").  Empty parts are left out.
    """
    return tidy(" ".join(p for p in parts if p))


def tidy(text: str) -> str:
    """Text composed of parts (a time, a title, a venue) as the current language sets it.

    In Chinese, full-width punctuation carries its own space, so a space
    beside it goes ("10:00 “Civitas Novus”" -> "10:00“Civitas Novus”");
    other languages' text is unchanged.
    """
    if current().locale.language != "zh":
        return text
    return _SPACE_BY_FULL_WIDTH.sub("", text)
