"""The programme as an immutable, validated model.

A programme file is YAML; :mod:`bot.programme.loader` turns it into these
objects.  Free text may be a plain string or a map of language tag to string
(``{en: ..., zh_Hans: ...}``), so content can be translated alongside the
interface.  Times without an offset are in the event's IANA zone.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from ruamel.yaml.util import create_timestamp, timestamp_regexp

from bot.geo import Datum, convert

Identifier = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,47}$")
]


def _non_empty_text(value: str | dict[str, str]) -> str | dict[str, str]:
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("text must not be empty")
        return value
    if not value:
        raise ValueError("a translated text needs at least one language")
    for lang, text in value.items():
        if not text or not str(text).strip():
            raise ValueError(f"text for language {lang!r} must not be empty")
    return value


def _yaml_timestamp(value: Any) -> Any:
    """A YAML timestamp given as text (``2025-06-04 09:00:00 +08:00``, ``2025-06-04T9:00:00``) read as YAML reads it.

    The quick reader leaves timestamps as text, and pydantic's own reading is
    stricter than YAML's; with this, quoting a time changes nothing.
    """
    if isinstance(value, str) and (match := timestamp_regexp.match(value.strip())) and match.group("hour"):
        try:
            return create_timestamp(**match.groupdict())
        except ValueError:
            return value
    return value


Instant = Annotated[dt.datetime, BeforeValidator(_yaml_timestamp)]
"""A time of the programme: ISO 8601 or any YAML timestamp; without an offset, in the event's zone."""

LocalizedText = Annotated[str | dict[str, str], AfterValidator(_non_empty_text)]
"""A plain string, or a map of language tag (``en``, ``zh_Hans``) to string."""


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class SessionKind(str, enum.Enum):
    """What sort of programme item a session is."""

    PLENARY = "plenary"
    PANEL = "panel"
    STREAM_SESSION = "stream_session"
    SITE_VISIT = "site_visit"
    WORKSHOP = "workshop"
    ROUNDTABLE = "roundtable"
    PRESENTATION = "presentation"
    SEMINAR = "seminar"
    CEREMONY = "ceremony"
    SOCIAL = "social"
    LOGISTICS = "logistics"
    BREAK = "break"


class Organiser(_Frozen):
    name: LocalizedText
    url: str | None = None


class Contact(_Frozen):
    email: str | None = None
    phone: str | None = None
    url: str | None = None
    note: LocalizedText | None = None


class Event(_Frozen):
    id: Identifier
    name: LocalizedText
    short_name: LocalizedText | None = None
    theme: LocalizedText | None = None
    description: LocalizedText | None = None
    organisers: tuple[Organiser, ...] = ()
    contact: Contact | None = None
    timezone: str
    city: LocalizedText | None = None
    online: bool = False
    start_date: dt.date
    end_date: dt.date
    default_language: str = "en"
    languages: tuple[str, ...] = ("en",)
    working_language: str | None = None
    local_language: str | None = None
    """The language of the place (its street signs, its taxi drivers): venue cards show a venue's name
    and address in it for a driver, with a reading aid.  A venue may name another."""
    url: str | None = None
    feedback: FeedbackTemplate | None = None
    """The feedback questions of every session (unless a session says otherwise); built-in ones if none."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai)") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Day(_Frozen):
    date: dt.date
    title: LocalizedText | None = None
    note: LocalizedText | None = None


class Stream(_Frozen):
    id: Identifier
    number: int = Field(ge=1)
    title: LocalizedText
    description: LocalizedText | None = None
    facilitator: str | None = None


def _datum_name(value: Any) -> Any:
    """``WGS-84``, ``GCJ02``, ``bd-09`` all name their datum."""
    return value.lower().replace("-", "").replace("_", "").strip() if isinstance(value, str) else value


DatumName = Annotated[Datum, BeforeValidator(_datum_name)]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9 ()\-]{4,30}$")]
"""A phone number as dialled: digits, an optional leading +, spaces, dashes and brackets."""


class TransitMode(str, enum.Enum):
    METRO = "metro"
    BUS = "bus"
    TRAM = "tram"
    RAIL = "rail"
    FERRY = "ferry"


class Transit(_Frozen):
    """A public-transport stop near a venue: the line, the station and the exit to take."""

    mode: TransitMode = TransitMode.METRO
    line: LocalizedText
    station: LocalizedText
    exit: LocalizedText | None = None
    walk_minutes: int | None = Field(default=None, ge=0, le=120)
    """On foot from the exit to the venue."""
    note: LocalizedText | None = None
    tbc: bool = False


class Venue(_Frozen):
    """A place of the programme: where it is, in what datum, and how to get in.

    The position is stored once, in the datum it was taken in (``wgs84`` from
    a GPS or OpenStreetMap, ``gcj02`` from Amap or Tencent, ``bd09`` from
    Baidu); :meth:`point` converts it for each consumer.  ``position_tbc``
    says the point is only near the place (the area, not the door).
    """

    id: Identifier
    name: LocalizedText
    address: LocalizedText | None = None
    district: LocalizedText | None = None
    latitude: float | None = None
    longitude: float | None = None
    datum: DatumName = Datum.WGS84
    position_tbc: bool = False
    local_language: str | None = None
    """The language of the place, where it is not the event's ``local_language``."""
    directions: LocalizedText | None = None
    entrance: LocalizedText | None = None
    floor: LocalizedText | None = None
    accessibility: LocalizedText | None = None
    transport: tuple[Transit, ...] = ()
    phone: Phone | None = None
    map_url: str | None = None
    tbc: bool = False

    @property
    def has_position(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def point(self, datum: Datum = Datum.WGS84) -> tuple[float, float] | None:
        """(latitude, longitude) in ``datum``, or None where the venue has no position."""
        if self.latitude is None or self.longitude is None:
            return None
        return convert(self.latitude, self.longitude, self.datum, datum)


class Speaker(_Frozen):
    name: LocalizedText
    role: LocalizedText | None = None
    organisation: LocalizedText | None = None
    city: LocalizedText | None = None
    tbc: bool = False
    """Their part in this session is not confirmed yet (shown "to be confirmed")."""


class Presenter(_Frozen):
    """A city presenting an initiative (the Guangzhou Award format)."""

    city: LocalizedText
    country: LocalizedText | None = None
    initiative: LocalizedText
    speaker: LocalizedText | None = None
    tbc: bool = False
    """That this city presents in this session is not confirmed yet (shown "to be confirmed")."""


class OnlineMeeting(_Frozen):
    platform: str | None = None
    url: str | None = None
    meeting_id: str | None = None
    passcode: str | None = None


class SiteVisit(_Frozen):
    """Where and when a site visit's group meets, and what to bring."""

    meeting_point: Identifier
    meeting_note: LocalizedText | None = None
    departure: Instant
    bring: LocalizedText | None = None
    capacity: int | None = Field(default=None, ge=1)
    hosts: tuple[LocalizedText, ...] = ()


def _web_address(value: str | None) -> str | None:
    if value is not None and not value.startswith(("https://", "http://")):
        raise ValueError("must be a web address (https://...)")
    return value


WebAddress = Annotated[str, AfterValidator(_web_address)]


class Link(_Frozen):
    """A web page that goes with a session: its slides, its code, a paper, a video."""

    url: WebAddress
    title: LocalizedText | None = None
    kind: str | None = None
    """What it is, as the source calls it (``slides``, ``video``, ``code``); free text."""


class Recording(_Frozen):
    """Whether a session is recorded, under which licence, and where to watch it."""

    optout: bool = False
    """The speakers asked not to be recorded."""
    license: str | None = None
    url: WebAddress | None = None


class Session(_Frozen):
    id: Identifier
    title: LocalizedText
    kind: SessionKind
    start: Instant
    end: Instant
    stream: Identifier | None = None
    venue: Identifier | None = None
    description: LocalizedText | None = None
    moderators: tuple[Speaker, ...] = ()
    speakers: tuple[Speaker, ...] = ()
    presenters: tuple[Presenter, ...] = ()
    online: OnlineMeeting | None = None
    site_visit: SiteVisit | None = None
    tbc: bool = False
    cancelled: bool = False
    """Called off: it stays in the programme (bookmarks keep their meaning) and delegates are told."""
    language: str | None = None
    url: WebAddress | None = None
    """The session's own page (on the conference's website)."""
    links: tuple[Link, ...] = ()
    recording: Recording | None = None
    feedback: SessionFeedbackField | None = None
    """This session's own feedback questions, ``off``, or ``named`` answers (the event's template otherwise)."""


class StaffRole(str, enum.Enum):
    ORGANISER = "organiser"
    FACILITATOR = "facilitator"
    MODERATOR = "moderator"


class StaffMember(_Frozen):
    """A role granted by platform id in the programme (organisers may prefer invitations)."""

    role: StaffRole
    channel: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
    id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    """The platform's id (a Telegram user id, a WeChat openid), never a username."""
    scope: str | None = None
    """``stream:<id>`` or ``session:<id>``; none for the whole event."""
    name: str | None = None
    """Who it is, for the organisers' own reading."""



def _by_id(model: BaseModel, name: str, items: tuple[Any, ...]) -> dict[str, Any]:
    """``items`` by id (the first of each), kept on the frozen model beside its fields.

    Looked up on every session's page and list line, where a scan of the
    venues cost a few µs each.  The index remembers the tuple it was built
    from: a ``model_copy(update=...)`` carries it along, and a new tuple is
    indexed afresh.  It is no field (not compared, dumped or validated).
    """
    kept = model.__dict__.get(name)
    if kept is None or kept[0] is not items:
        index: dict[str, Any] = {}
        for item in items:
            index.setdefault(item.id, item)
        kept = model.__dict__[name] = (items, index)
    return kept[1]

class Programme(_Frozen):
    event: Event
    days: tuple[Day, ...] = ()
    streams: tuple[Stream, ...] = ()
    venues: tuple[Venue, ...] = ()
    sessions: tuple[Session, ...] = ()
    staff: tuple[StaffMember, ...] = ()
    info: tuple[InfoEntry, ...] = ()
    """Practical information (Wi-Fi, meals, contacts...): :class:`InfoEntry`."""

    @property
    def zone(self) -> ZoneInfo:
        return self.event.zone

    def stream(self, stream_id: str) -> Stream | None:
        return _by_id(self, "_streams_by_id", self.streams).get(stream_id)

    def venue(self, venue_id: str | None) -> Venue | None:
        if venue_id is None:
            return None
        return _by_id(self, "_venues_by_id", self.venues).get(venue_id)

    def local_language(self, venue: Venue) -> str | None:
        """The language a venue's driver reads: the venue's own, else the event's."""
        return venue.local_language or self.event.local_language


class Derived(str):
    """Text converted from another language's text (Traditional Chinese from Simplified), not written so.

    ``source`` is the tag it was converted from; :func:`derived_from` tells.
    """

    source: str

    def __new__(cls, text: str, source: str) -> Derived:
        made = super().__new__(cls, text)
        made.source = source
        return made


#: Languages whose text can be derived from another's where the file has none:
#: the target tag -> (the source tag, how to convert).  Chinese only, with OpenCC.
def _to_traditional(text: str) -> str:
    from bot.i18n import to_traditional

    return to_traditional(text)


def _to_simplified(text: str) -> str:
    from bot.i18n import to_simplified

    return to_simplified(text)


DERIVED_LANGUAGES: dict[str, tuple[str, Any]] = {
    "zh_Hant": ("zh_Hans", _to_traditional),
    "zh_Hans": ("zh_Hant", _to_simplified),
}


_WIDE = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
#: A space YAML's line folding put between two Chinese characters or signs (``>-`` blocks).
_FOLDED_SPACE = re.compile(f"(?<=[{_WIDE}])[ \t\n]+(?=[{_WIDE}])")


def _unfolded(text: str) -> str:
    """Chinese text without the spaces of YAML's line folding: "公共服务、 惠及" -> "公共服务、惠及"."""
    return _FOLDED_SPACE.sub("", text) if text.isascii() is False else text


def localized(value: Any, locale: str | None, default: str = "en") -> str:
    """Pick the best text of a :data:`LocalizedText` for ``locale`` (see :func:`_pick`).

    Chinese text loses the spaces YAML's line folding put between its characters.
    """
    text = _pick(value, locale, default)
    unfolded = _unfolded(text)
    if unfolded is text or unfolded == text:
        return text
    return Derived(unfolded, text.source) if isinstance(text, Derived) else unfolded


def _pick(value: Any, locale: str | None, default: str) -> str:
    """Pick the best text of a :data:`LocalizedText` for ``locale``.

    The exact tag first (``zh_Hans``); then, for Traditional Chinese, the
    Simplified text converted (a :class:`Derived`; and the other way round);
    then its language (``zh``), then any tag of the same language, then the
    event default, then the first given.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if locale:
        if locale in value:
            return value[locale]
        derivation = DERIVED_LANGUAGES.get(locale)
        if derivation is not None and derivation[0] in value:
            source, convert = derivation
            return Derived(convert(value[source]), source)
        lang = locale.split("_")[0]
        if lang in value:
            return value[lang]
        for tag, text in value.items():
            if tag.split("_")[0] == lang:
                return text
    if default in value:
        return value[default]
    return next(iter(value.values()))


def exactly(value: Any, tag: str | None) -> str | None:
    """The text of a :data:`LocalizedText` in exactly the language ``tag`` (or another variant of it), else None.

    For the few places where another language will not do (a name shown to a
    taxi driver), unlike :func:`localized`, which always finds something.
    A plain string has no stated language and is not returned.
    """
    if not tag or not isinstance(value, dict):
        return None
    if tag in value:
        return value[tag]
    lang = tag.split("_")[0]
    return next((text for key, text in value.items() if key.split("_")[0] == lang), None)


def derived_from(text: str) -> str | None:
    """The language ``text`` was converted from, if :func:`localized` derived it; else ``None``."""
    return text.source if isinstance(text, Derived) else None


def has_text_in(value: Any, language: str, default: str) -> bool | str:
    """Whether a :data:`LocalizedText` has ``language``'s text: ``True``, ``False``, or the tag it can be derived from.

    A plain string is in the event's ``default`` language.
    """
    if value is None:
        return True
    if isinstance(value, str):
        return language == default
    if language in value:
        return True
    derivation = DERIVED_LANGUAGES.get(language)
    if derivation is not None and derivation[0] in value:
        return derivation[0]
    return False


# -- practical information ------------------------------------------------------


def _non_empty_texts(value: tuple[str, ...] | dict[str, tuple[str, ...]]) -> tuple[str, ...] | dict[str, tuple[str, ...]]:
    lists = value.values() if isinstance(value, dict) else (value,)
    for texts in lists:
        for item in texts:
            if not item.strip():
                raise ValueError("a question must not be empty")
    return value


LocalizedTexts = Annotated[tuple[str, ...] | dict[str, tuple[str, ...]], AfterValidator(_non_empty_texts)]
"""A list of texts, or a map of language tag to a list: ``{en: [wifi, internet], fr: [wifi, internet]}``."""


class InfoEntry(_Frozen):
    """A practical answer a delegate may ask for in plain words: Wi-Fi, meals, the registration desk.

    ``questions`` are the ways delegates ask for it, per language (the title
    is one too); the bot matches free text against them.  ``tbc`` says the
    answer is not confirmed by the organisers yet.
    """

    id: Identifier
    title: LocalizedText
    answer: LocalizedText
    questions: LocalizedTexts = ()
    venue: Identifier | None = None
    """Where it is: the answer then offers the venue's card and directions."""
    email: str | None = None
    phone: Phone | None = None
    url: str | None = None
    tbc: bool = False


def localized_texts(value: tuple[str, ...] | dict[str, tuple[str, ...]], locale: str | None, default: str = "en") -> tuple[str, ...]:
    """The texts of a :data:`LocalizedTexts` in ``locale`` (as :func:`localized` picks), else the default language's."""
    if isinstance(value, tuple):
        return value
    if not value:
        return ()
    picked = _pick({tag: "\x00".join(texts) for tag, texts in value.items()}, locale, default)
    return tuple(picked.split("\x00"))


def every_text(value: Any) -> tuple[str, ...]:
    """Every text of a :data:`LocalizedText` or :data:`LocalizedTexts`, in every language."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, tuple):
        return tuple(t for item in value for t in every_text(item))
    if isinstance(value, dict):
        return tuple(t for item in value.values() for t in every_text(item))
    return ()


# -- feedback questions ---------------------------------------------------------------


class QuestionKind(str, enum.Enum):
    """How a feedback question is answered."""

    RATING = "rating"
    """A number from 1 to ``scale`` (5 unless given)."""
    SINGLE = "single"
    """One of the options."""
    MULTIPLE = "multiple"
    """Any of the options."""
    TEXT = "text"
    """A comment in the delegate's own words."""


#: Questions whose wording the bot has in every shipped language: a file may name them without ``text``.
BUILTIN_QUESTIONS: dict[str, QuestionKind] = {"overall": QuestionKind.RATING, "useful": QuestionKind.TEXT}
#: Kinds of session asked for feedback unless the event's template says otherwise.
DEFAULT_FEEDBACK_KINDS: tuple[SessionKind, ...] = (
    SessionKind.PLENARY, SessionKind.PANEL, SessionKind.STREAM_SESSION, SessionKind.SITE_VISIT,
    SessionKind.WORKSHOP, SessionKind.ROUNDTABLE, SessionKind.PRESENTATION, SessionKind.SEMINAR,
)


class FeedbackOption(_Frozen):
    id: Identifier
    label: LocalizedText


class FeedbackQuestion(_Frozen):
    """One question of a session's questionnaire."""

    id: Identifier
    kind: QuestionKind
    text: LocalizedText | None = None
    """The question; optional for the built-in ``overall`` (rating) and ``useful`` (text)."""
    options: tuple[FeedbackOption, ...] = ()
    scale: int = Field(default=5, ge=2, le=10)
    """A rating's highest value."""
    low: LocalizedText | None = None
    """What a rating of 1 means ("poor"), shown beside the lowest button."""
    high: LocalizedText | None = None


class FeedbackTemplate(_Frozen):
    """The event's feedback: its questions, when delegates are asked, how long a poll stays open."""

    questions: tuple[FeedbackQuestion, ...] = ()
    """None given: the built-in overall rating and "what was most useful?"."""
    prompt_before_end: int = Field(default=5, ge=0, le=240)
    """Minutes before a session ends that the delegates concerned are asked."""
    open_hours: int = Field(default=24, ge=1, le=24 * 30)
    """Hours after a session ends that its poll stays open (unless a facilitator closes it)."""
    kinds: tuple[SessionKind, ...] = DEFAULT_FEEDBACK_KINDS
    """The kinds of session asked for feedback; others only where they give ``feedback``."""
    named: bool = False
    """Answers carry the delegate's name for the facilitators (anonymous by default)."""


def _feedback_shorthand(value: Any) -> Any:
    """``feedback: off`` / ``false`` turns a session's feedback off; ``on`` / ``true`` turns it on."""
    if isinstance(value, bool):
        return {"enabled": value}
    if isinstance(value, str) and value.strip().lower() in ("off", "no", "none", "on", "yes"):
        return {"enabled": value.strip().lower() in ("on", "yes")}
    return value


class SessionFeedback(_Frozen):
    """A session's own feedback settings; what it leaves out comes from the event's template."""

    enabled: bool = True
    named: bool | None = None
    questions: tuple[FeedbackQuestion, ...] | None = None
    """Replaces the template's questions for this session."""
    prompt_before_end: int | None = Field(default=None, ge=0, le=240)
    open_hours: int | None = Field(default=None, ge=1, le=24 * 30)


SessionFeedbackField = Annotated[SessionFeedback, BeforeValidator(_feedback_shorthand)]
for _model in (Event, Session, Programme):  # their ``feedback`` fields name the classes above
    _model.model_rebuild()
