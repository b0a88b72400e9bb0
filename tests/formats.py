"""Expected dates and times, formatted by the project's own i18n functions.

Tests compare what the bot says with these, never with one CLDR version's
literal output, so a babel update (babel 2.19 wrote "June 5" where 2.18 wrote
"Jun 5") cannot break a test that is not about CLDR.  Every value is returned
with CLDR's thin and no-break spaces as plain spaces, as ``plain()`` shows
replies.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot import i18n
from bot.i18n import Localizer

SHANGHAI = ZoneInfo("Asia/Shanghai")


def plain(text: str) -> str:
    return text.replace("\u2009", " ").replace("\u202f", " ").replace("\u00a0", " ")


def _instant(value: str | dt.datetime, zone: ZoneInfo = SHANGHAI) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def _date(value: str | dt.date) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def day(value: str | dt.date, tag: str = "en") -> str:
    """A day heading as the bot writes it (``format_day``): ``day("2025-06-05")``."""
    with i18n.use(Localizer(tag)):
        return plain(i18n.format_day(_date(value)))


def date(value: str | dt.date, style: str = "long", tag: str = "en") -> str:
    with i18n.use(Localizer(tag)):
        return plain(i18n.format_date(_date(value), style))


def times(start: str | dt.datetime, end: str | dt.datetime, tag: str = "en", zone: ZoneInfo = SHANGHAI) -> str:
    """A time range (``format_time_range``); naive ISO times are in ``zone``."""
    with i18n.use(Localizer(tag)):
        return plain(i18n.format_time_range(_instant(start, zone), _instant(end, zone), zone))


def time(instant: str | dt.datetime, tag: str = "en", zone: ZoneInfo = SHANGHAI) -> str:
    with i18n.use(Localizer(tag)):
        return plain(i18n.format_time(_instant(instant, zone), zone))


def offset(zone: ZoneInfo | str, when: str | dt.datetime, tag: str = "en") -> str:
    """A zone's UTC offset (``format_utc_offset``), e.g. for "GMT+08:00"."""
    zone = ZoneInfo(zone) if isinstance(zone, str) else zone
    with i18n.use(Localizer(tag)):
        return plain(i18n.format_utc_offset(zone, _instant(when, zone)))


def weekday(value: str | dt.date, tag: str = "en") -> str:
    """A short weekday as the bot writes it (``format_date(..., "EEE")``)."""
    with i18n.use(Localizer(tag)):
        return plain(i18n.format_date(_date(value), "EEE"))


def dates(first: str | dt.date, last: str | dt.date, tag: str = "en") -> str:
    """An event's dates (``format_date_range``): ``dates("2025-06-03", "2025-06-07")``."""
    with i18n.use(Localizer(tag)):
        return plain(i18n.format_date_range(_date(first), _date(last)))
