"""Translations and CLDR formatting for the person being answered.

Catalogs are the ``locales/<lang>/LC_MESSAGES/messages.po`` files, compiled in
memory at start-up (no manual compile step).  The locale of the current
request lives in a context variable, set by the router's locale middleware,
so handlers just call :func:`_` and the ``format_*`` helpers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gettext
import io
import logging
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel.core import get_global
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

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
        name = self.locale.get_display_name(self.locale) or self.tag
        return name[:1].upper() + name[1:]


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


class Catalogs:
    """Every shipped locale, compiled from its ``.po`` file."""

    def __init__(self, localizers: dict[str, Localizer]) -> None:
        self._by_tag = localizers

    @classmethod
    def load(cls, directory: Path) -> Catalogs:
        localizers: dict[str, Localizer] = {}
        for po_path in sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
            tag = po_path.parent.parent.name
            with po_path.open("rb") as fh:
                catalog = read_po(fh, locale=tag, domain=DOMAIN)
            buf = io.BytesIO()
            write_mo(buf, catalog)
            buf.seek(0)
            localizers[tag] = Localizer(tag, Translations(buf, domain=DOMAIN))
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


@functools.lru_cache(maxsize=4096)
def _time_text(value: dt.datetime, zone: ZoneInfo, tag: str) -> str:
    return babel_dates.format_time(value, format="short", tzinfo=zone, locale=_parse_locale(tag))


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
    pattern = locale.time_formats["short"].pattern
    skeleton = "Hm" if "H" in pattern or "k" in pattern else "hm"
    return babel_dates.format_interval(start, end, skeleton=skeleton, tzinfo=zone, locale=locale)


def format_datetime(value: dt.datetime, zone: ZoneInfo) -> str:
    """Date and time, e.g. ``Thu, 5 Jun 2025, 09:00``."""
    return babel_dates.format_datetime(value, format="medium", tzinfo=zone, locale=_babel_locale())


def format_utc_offset(zone: ZoneInfo, when: dt.datetime) -> str:
    """The zone's offset at ``when``, e.g. ``GMT+08:00``."""
    return babel_dates.get_timezone_gmt(when.astimezone(zone), width="long", locale=_babel_locale())
