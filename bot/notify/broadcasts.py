"""Broadcasts: an organiser's message to an audience, in each recipient's language, with a report.

The audience is one of: everyone; a stream's followers; a site visit's
members; a session's bookmarkers; one language; one channel
(:class:`AudienceSpec`).  :meth:`Broadcasts.preview` counts it per channel
and language (and the WeChat followers nobody can reach now); once the draft
is confirmed, :meth:`Broadcasts.start` renders each recipient's message in
their language and puts one outbox item per person in the campaign.

:class:`CampaignMonitor` is a participant of the one wake-up path: while a
campaign with someone to report to runs, it looks every few seconds, pushes
the progress (a message edited in place where the channel can) and the final
report, and marks the campaign done.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from zoneinfo import ZoneInfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from bot.clock import Clock
from bot.conversation import Reply
from bot.notify.campaigns import Campaign, Campaigns, Report
from bot.notify.outbox import NewItem, Priority, PushPort
from bot.programme.model import localized
from bot.store.audience import Audience
from bot.store.delegates import DelegateState
from bot.store.users import UserRecord, Users
from bot.store.wechat import Budget, WeChatStore

if TYPE_CHECKING:
    from bot.i18n import Locales
    from bot.programme import Agenda

logger = logging.getLogger(__name__)

AUDIENCE_KINDS: Final = ("everyone", "stream", "visit", "session", "lang", "channel")
#: While a campaign runs, its progress is looked at this often.
MONITOR_EVERY: Final = dt.timedelta(seconds=5)
WECHAT: Final = "wechat"


@dataclass(frozen=True)
class AudienceSpec:
    """Who a broadcast is for: ``everyone``, ``stream:s2``, ``visit:s2-liurong``, ``session:panel``,
    ``lang:zh_Hans`` or ``channel:wechat``."""

    kind: str
    value: str | None = None

    def __str__(self) -> str:
        return self.kind if self.value is None else f"{self.kind}:{self.value}"

    @classmethod
    def parse(cls, text: str, agenda: Agenda, languages: Iterable[str] = ()) -> AudienceSpec:
        """Read an audience; a stream may be given by number. ValueError says what is wrong."""
        text = text.strip()
        kind, _sep, value = text.partition(":")
        kind, value = kind.strip().lower(), value.strip()
        if kind == "everyone" and not value:
            return cls("everyone")
        if kind not in AUDIENCE_KINDS or not value:
            raise ValueError(f"{text!r} is not an audience: use everyone, stream:N, visit:ID, session:ID, lang:TAG or channel:NAME")
        if kind == "stream":
            stream = agenda.find_stream(value)
            if stream is None:
                raise ValueError(f"there is no stream {value!r}")
            return cls("stream", stream.id)
        if kind in ("visit", "session"):
            session = agenda.session(value)
            if session is None:
                raise ValueError(f"there is no session {value!r}")
            if kind == "visit" and session.site_visit is None:
                raise ValueError(f"{session.id!r} is not a site visit")
            return cls(kind, session.id)
        if kind == "lang":
            known = list(languages)
            match = next((t for t in known if t.lower() == value.lower()), None)
            if match is None:
                raise ValueError(f"there is no language {value!r}; available: {', '.join(known)}")
            return cls("lang", match)
        return cls("channel", value.lower())

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": self.value}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AudienceSpec:
        return cls(data.get("kind", "everyone"), data.get("value"))


@dataclass(frozen=True)
class Preview:
    total: int
    by_channel: dict[str, int]
    by_language: dict[str, int]
    """Recipients by the language they read."""
    text_for: dict[str, str]
    """Recipients' language -> the language of the text they get (the default where theirs was not written)."""
    wechat_unreachable: int
    """WeChat followers whose customer-service window is closed or spent now."""


Renderer = Callable[[UserRecord, Campaign], Sequence[Reply]]
"""A recipient's message, in their language (a feature provides it)."""
ReportRenderer = Callable[[UserRecord, Report], Sequence[Reply]]


def text_language(texts: dict[str, str], locale: str, default: str) -> str:
    """Which of ``texts`` a reader of ``locale`` gets (the same rule as programme texts)."""
    chosen = localized(texts, locale, default)
    return next(tag for tag, text in texts.items() if text == chosen)


class Broadcasts:
    def __init__(
        self,
        *,
        audience: Audience,
        users: Users,
        locales: Locales,
        campaigns: Campaigns,
        wechat: WeChatStore,
        budget: Budget,
        clock: Clock,
        render: Renderer,
        delegates: DelegateState,
    ) -> None:
        self.delegates = delegates
        self.audience = audience
        self.users = users
        self.locales = locales
        self.campaigns = campaigns
        self.wechat = wechat
        self.budget = budget
        self.clock = clock
        self.render = render

    async def recipients(self, spec: AudienceSpec, agenda: Agenda) -> list[UserRecord]:
        """The reachable delegates the audience names."""
        if spec.kind == "everyone":
            ids = await self.audience.everyone()
        elif spec.kind == "stream":
            ids = await self.audience.following([spec.value or ""])
        elif spec.kind == "visit":
            ids = await self.audience.joined([spec.value or ""])
        elif spec.kind == "session":
            ids = await self.audience.bookmarked([spec.value or ""])
        elif spec.kind == "channel":
            ids = await self.audience.on_channel(spec.value or "")
        else:
            ids = await self.audience.everyone()
        records = [u for u in await self.users.get_many(ids) if u.active]
        if spec.kind == "lang":
            records = [u for u in records if self.locales.for_user(u) == spec.value]
        return records

    async def preview(self, campaign: Campaign, agenda: Agenda) -> Preview:
        spec = AudienceSpec.from_json(campaign.audience)
        people = await self.recipients(spec, agenda)
        default = self.locales.default()
        by_channel = Counter(u.channel for u in people)
        by_language = Counter(self.locales.for_user(u) for u in people)
        text_for = {tag: text_language(campaign.texts, tag, default) for tag in by_language} if campaign.texts else {}
        followers = [u.platform_id for u in people if u.channel == WECHAT]
        windows = await self.wechat.windows(followers) if followers else {}
        now = self.clock.now()
        unreachable = sum(1 for openid in followers if (w := windows.get(openid)) is None or w.remaining(now, self.budget) == 0)
        return Preview(len(people), dict(by_channel), dict(by_language), text_for, unreachable)

    async def start(self, campaign: Campaign, agenda: Agenda) -> int:
        """Enqueue a confirmed campaign's message for each recipient, in their language; how many were new.

        Those who chose a daily digest get it at their next digest time, merged
        with whatever else waits for them then.
        """
        spec = AudienceSpec.from_json(campaign.audience)
        people = await self.recipients(spec, agenda)
        start = campaign.not_before or self.clock.now()
        digests = await self.delegates.digests([u.id for u in people])
        items = [
            NewItem(u.id, u.channel, tuple(self.render(u, campaign)), next_digest(digests[u.id], start, agenda.zone) if u.id in digests else None)
            for u in people
        ]
        added = await self.campaigns.send(campaign, items)
        logger.info("campaign #%s (%s): %d messages queued", campaign.id, campaign.kind, added)
        return added


def next_digest(at: str, after: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The first ``HH:MM`` in ``zone`` at or after ``after``."""
    hour, minute = (int(x) for x in at.split(":"))
    local = after.astimezone(zone)
    candidate = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if candidate < local:
        candidate = (candidate + dt.timedelta(days=1)).replace(hour=hour, minute=minute)
    return candidate


class CampaignMonitor:
    """Progress messages and final reports for the campaigns someone asked to follow."""

    def __init__(self, campaigns: Campaigns, users: Users, push: PushPort, clock: Clock, render: ReportRenderer) -> None:
        self.campaigns = campaigns
        self.users = users
        self.push = push
        self.clock = clock
        self.render = render
        self._last_look: dt.datetime | None = None
        self._active = True  # look once at start: campaigns may have been left running

    async def next_due(self) -> dt.datetime | None:
        if not self._active:
            return None
        if self._last_look is None:
            return self.clock.now()
        return self._last_look + MONITOR_EVERY

    def wake(self) -> None:
        """A campaign started: follow it."""
        self._active = True

    async def fire_due(self) -> None:
        now = self.clock.now()
        due = await self.next_due()
        if due is None or due > now:
            return
        self._last_look = now
        running = await self.campaigns.running()
        self._active = bool(running)
        for campaign in running:
            if campaign.status == "scheduled" and campaign.not_before is not None and campaign.not_before <= now:
                await self.campaigns.mark_sending(campaign.id)
            report = await self.campaigns.report(campaign.id)
            if report is None or campaign.status == "scheduled" and report.waiting == report.total:
                continue
            if report.finished and report.total:
                await self.campaigns.finish(campaign.id, now)
            elif report.finished and not report.total and campaign.status == "sending":
                await self.campaigns.finish(campaign.id, now)
            await self._report(campaign, report)

    async def _report(self, campaign: Campaign, report: Report) -> None:
        counts = dict(report.by_status)
        if campaign.report_to is None or counts == campaign.reported:
            return
        found = await self.users.get_many([campaign.report_to])
        if not found:
            return
        user = found[0]
        final = report.finished
        key = f"campaign-report:{campaign.id}:{'final' if final else sum(counts.values()) - report.waiting - report.in_flight}"
        await self.push.push(user.id, user.channel, self.render(user, report), dedupe_key=key, priority=Priority.DIRECT)
        await self.campaigns.note_reported(campaign.id, counts)

