"""Organisers' broadcasts: write, choose the audience, preview, send or schedule; follow and cancel.

The dialogue keeps its state in the stored conversation (a pending step) and
in the campaign draft, so a restart interrupts nobody:

1. ``/broadcast`` asks for the text (one language, or one version per
   language after a ``[tag]`` line; the event's language is the fallback);
2. the audience: everyone, a stream's followers, a site visit's members, a
   session's bookmarkers, one language, one channel;
3. a preview: the message as each language will get it, the audience per
   channel, and how many WeChat followers cannot be reached now;
4. send now, or schedule for a time.  Confirming twice sends once.

``/broadcasts`` lists recent ones with their figures; ``/cancel`` stops a
running one (or drops the draft being written).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Final

from babel.numbers import format_decimal

from bot import i18n
from bot.conversation import Choice, Choices, Reply, Request, Text, echo
from bot.dialogues import DialogueKey, Step
from bot.programme.model import localized
from bot.i18n import N_, _, format_datetime
from bot.notify.broadcasts import AudienceSpec, Preview
from bot.notify.campaigns import Campaign, Report
from bot.notify.outbox import UNREACHABLE
from bot.roles import Role, actor_of
from bot.router import Context, Router
from bot.services import Services
from bot.store.users import UserRecord
from handlers.views import channel_name, text

#: The longest version of a broadcast: one Telegram message with its title, two WeChat messages at most.
MAX_CHARS: Final = 3000
STEP_LIFETIME: Final = dt.timedelta(hours=1)
#: ``[zh]`` on a line of its own, or ``[zh] text`` at the start of a line.
_MARKER: Final = re.compile(r"^\s*\[(?P<tag>[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*)\]\s*(?P<rest>.*)$")


def number(ctx: Context, value: int) -> str:
    return format_decimal(value, locale=ctx.localizer.locale)


def parse_texts(message: str, ctx: Context) -> dict[str, str] | str:
    """``[en]`` ... ``[zh]`` ... -> {tag: text}; text before any marker is in the event's language.

    Returns what is wrong instead, as a sentence for the organiser.
    """
    catalogs = ctx.services.catalogs
    default = ctx.services.locales.default()
    texts: dict[str, list[str]] = {}
    current = default
    for line in message.splitlines():
        m = _MARKER.match(line)
        if m:
            tag = catalogs.negotiate(m.group("tag"))
            if tag is None:
                return _("I do not know the language [{tag}]. Use one of: {tags}.").format(tag=echo(m.group("tag")), tags=", ".join(sorted(catalogs.tags)))
            current = tag
            texts.setdefault(current, [])
            if m.group("rest").strip():
                texts[current].append(m.group("rest"))
            continue
        texts.setdefault(current, []).append(line)
    out = {tag: "\n".join(lines).strip() for tag, lines in texts.items()}
    out = {tag: body for tag, body in out.items() if body}
    if not out:
        return _("The message is empty. Send the text delegates should read.")
    for tag, body in out.items():
        if len(body) > MAX_CHARS:
            return _("The {language} version has {count} characters; keep each version under {limit}.").format(
                language=catalogs.get(tag).display_name, count=number(ctx, len(body)), limit=number(ctx, MAX_CHARS))
    return out


def title_of(texts: dict[str, str]) -> str:
    first = next(iter(texts.values()), "").strip().splitlines()
    line = first[0] if first else ""
    return line if len(line) <= 60 else line[:59].rstrip() + "…"


def audience_text(ctx: Context, spec: AudienceSpec) -> str:
    agenda = ctx.agenda
    if spec.kind == "stream":
        stream = agenda.find_stream(spec.value or "")
        if stream is not None:
            return _("followers of Stream {number}: {title}").format(number=stream.number, title=text(ctx, stream.title))
    if spec.kind == "visit":
        session = agenda.session(spec.value or "")
        if session is not None:
            return _("members of the site visit \"{title}\"").format(title=text(ctx, session.title))
    if spec.kind == "session":
        session = agenda.session(spec.value or "")
        if session is not None:
            return _("who bookmarked \"{title}\"").format(title=text(ctx, session.title))
    if spec.kind == "lang":
        return _("everyone reading {language}").format(language=ctx.services.catalogs.get(spec.value or "").display_name)
    if spec.kind == "channel":
        return _("everyone on {channel}").format(channel=channel_name(spec.value or ""))
    return _("everyone")


async def _draft(ctx: Context, token: str) -> Campaign | Reply:
    if not token.isdigit():
        return Text(_("Which broadcast? Send /broadcasts to see their numbers."))
    campaign = await ctx.services.campaigns.get(int(token))
    if campaign is None or campaign.kind != "broadcast":
        return Text(_("There is no broadcast #{id}.").format(id=echo(token)))
    return campaign


# -- 1. the text ----------------------------------------------------------------


async def broadcast(req: Request, ctx: Context) -> Sequence[Reply]:
    """Start a broadcast, or one of its later steps (``to``, ``preview``, ``send``, ``schedule``, ``discard``)."""
    action, _sep, rest = req.args.strip().partition(" ")
    steps = {"to": choose_audience, "preview": preview, "send": send, "schedule": schedule, "discard": discard}
    if action in steps:
        return await steps[action](req, ctx, rest.strip())
    key = DialogueKey.of(req.user)
    await ctx.services.dialogues.begin(key, Step("broadcast.text", ctx.now + STEP_LIFETIME), ctx.now)
    lines = [
        _("Send the message as delegates should read it."),
        _("For other languages, put each version after a line with its language code in brackets:"),
        _("[en]\nThe panel moves to room B.\n[zh]\nThe same in Chinese."),
        _("Who gets it comes next. Send /cancel to stop."),
    ]
    return [Text("\n".join(lines), title=_("New broadcast"))]


async def broadcast_text(req: Request, ctx: Context) -> Sequence[Reply]:
    """The step after /broadcast: the text (another message adds or replaces a language's version), then the audience."""
    assert ctx.step is not None
    texts = parse_texts(req.args, ctx)
    if isinstance(texts, str):
        return [Text(texts)]  # the step stays pending: send the text again
    services = ctx.services
    draft_id = ctx.step.data.get("id")
    campaign = await services.campaigns.get(int(draft_id)) if draft_id else None
    if campaign is not None and campaign.status == "draft":
        merged = {**campaign.texts, **texts}
        campaign = await services.campaigns.update_draft(campaign.id, texts=merged)
        assert campaign is not None
    else:
        campaign = await services.campaigns.draft(
            "broadcast", title_of(texts), created_by=actor_of(req.user), now=ctx.now, texts=texts,
            audience={"kind": "everyone"}, report_to=ctx.user.id if ctx.user else None,
        )
        # further messages add versions in other languages until the audience is chosen
        await services.dialogues.begin(DialogueKey.of(req.user), Step("broadcast.text", ctx.now + STEP_LIFETIME, {"id": campaign.id}), ctx.now)
    catalogs = services.catalogs
    written = ", ".join(catalogs.get(tag).display_name for tag in campaign.texts)
    note = _("Written in: {languages}. To add a language, send its version after a line such as [fr].").format(languages=written)
    return [Text(note), audience_kinds(ctx, campaign)]


# -- 2. the audience --------------------------------------------------------------


def audience_kinds(ctx: Context, campaign: Campaign) -> Choices:
    cid = campaign.id
    options = (
        Choice(_("Everyone"), f"/broadcast to {cid} everyone"),
        Choice(_("Followers of a stream"), f"/broadcast to {cid} stream"),
        Choice(_("Members of a site visit"), f"/broadcast to {cid} visit"),
        Choice(_("Who bookmarked a session"), f"/broadcast to {cid} session"),
        Choice(_("One language"), f"/broadcast to {cid} lang"),
        Choice(_("One channel"), f"/broadcast to {cid} channel"),
    )
    return Choices(_("Broadcast #{id}: who should get it?").format(id=cid), options, title=_("Audience"), navigation=ctx.via_button)


async def choose_audience(req: Request, ctx: Context, rest: str) -> Sequence[Reply]:
    token, _sep, spec_text = rest.partition(" ")
    campaign = await _draft(ctx, token)
    if not isinstance(campaign, Campaign):
        return [campaign]
    if campaign.status != "draft":
        return [Text(_("Broadcast #{id} has already been sent.").format(id=campaign.id))]
    await ctx.services.dialogues.end(DialogueKey.of(req.user), ctx.now)  # the texts are written
    spec_text = spec_text.strip()
    if not spec_text:
        return [audience_kinds(ctx, campaign)]
    if spec_text in ("stream", "visit", "session", "lang", "channel"):
        return [await audience_values(ctx, campaign, spec_text)]
    try:
        spec = AudienceSpec.parse(spec_text, ctx.agenda, ctx.services.catalogs.tags)
    except ValueError:
        return [Text(_("I cannot read \"{audience}\" as an audience."). format(audience=echo(spec_text))), audience_kinds(ctx, campaign)]
    updated = await ctx.services.campaigns.update_draft(campaign.id, audience=spec.to_json())
    assert updated is not None
    return await show_preview(ctx, updated)


async def audience_values(ctx: Context, campaign: Campaign, kind: str) -> Reply:
    cid, agenda = campaign.id, ctx.agenda
    options: list[Choice] = []
    if kind == "stream":
        options = [Choice(_("Stream {number}: {title}").format(number=s.number, title=text(ctx, s.title)), f"/broadcast to {cid} stream:{s.id}",
                          short=_("Stream {number}").format(number=s.number)) for s in agenda.streams()]
    elif kind == "visit":
        options = [Choice(text(ctx, s.title), f"/broadcast to {cid} visit:{s.id}") for s in agenda.sessions if s.site_visit is not None]
    elif kind == "session":
        counts = await ctx.services.audience.bookmark_counts()
        ranked = sorted((s for s in agenda.sessions if counts.get(s.id)), key=lambda s: (-counts[s.id], s.start))[:12]
        options = [Choice(f"{text(ctx, s.title)} ({number(ctx, counts[s.id])})", f"/broadcast to {cid} session:{s.id}") for s in ranked]
        if not options:
            return Text(_("Nobody has bookmarked a session yet. Choose another audience, or send /broadcast to {id} session:<session id>.").format(id=cid))
    elif kind == "lang":
        options = [Choice(ctx.services.catalogs.get(tag).display_name, f"/broadcast to {cid} lang:{tag}") for tag in sorted(ctx.services.catalogs.tags)]
    elif kind == "channel":
        channels = sorted(await ctx.services.audience.channels())
        options = [Choice(channel_name(c), f"/broadcast to {cid} channel:{c}") for c in channels]
    if not options:
        return Text(_("There is nobody to choose there yet."))
    return Choices(_("Broadcast #{id}: which one?").format(id=cid), tuple(options), title=_("Audience"), navigation=ctx.via_button)


# -- 3. the preview ----------------------------------------------------------------


async def preview(req: Request, ctx: Context, rest: str) -> Sequence[Reply]:
    campaign = await _draft(ctx, rest)
    if not isinstance(campaign, Campaign):
        return [campaign]
    return await show_preview(ctx, campaign)


def preview_lines(ctx: Context, campaign: Campaign, seen: Preview) -> list[str]:
    catalogs = ctx.services.catalogs
    spec = AudienceSpec.from_json(campaign.audience)
    lines = [
        ngettext_people(ctx, seen.total, audience_text(ctx, spec)),
        " · ".join(f"{channel_name(c)} {number(ctx, n)}" for c, n in sorted(seen.by_channel.items())) or "—",
    ]
    if seen.wechat_unreachable:
        lines.append(i18n.ngettext(
            "{count} WeChat follower cannot be reached now (their 48-hour window is closed or spent): a template message or their next reply brings it.",
            "{count} WeChat followers cannot be reached now (their 48-hour window is closed or spent): a template message or their next reply brings it.",
            seen.wechat_unreachable).format(count=number(ctx, seen.wechat_unreachable)))
    if campaign.not_before is not None:
        lines.append(_("Scheduled for {time}.").format(time=format_datetime(campaign.not_before, ctx.programme.zone)))
    for tag, count in sorted(seen.by_language.items(), key=lambda kv: -kv[1]):
        used = seen.text_for.get(tag, tag)
        lines.append("")
        heading = i18n.ngettext("In {language} ({count} person):", "In {language} ({count} people):", count)
        heading = heading.format(language=catalogs.get(tag).display_name, count=number(ctx, count))
        if used != tag:
            heading = i18n.spaced(heading, _("(the {language} text: none was written in theirs)").format(language=catalogs.get(used).display_name))
        lines.append(heading)
        lines.append(campaign.texts.get(used, ""))
    return lines


def ngettext_people(ctx: Context, count: int, audience: str) -> str:
    return i18n.ngettext("To {audience}: {count} person.", "To {audience}: {count} people.", count).format(
        audience=audience, count=number(ctx, count))


async def show_preview(ctx: Context, campaign: Campaign) -> Sequence[Reply]:
    seen = await ctx.services.broadcasts.preview(campaign, ctx.agenda)
    cid = campaign.id
    lines = preview_lines(ctx, campaign, seen)
    if seen.total == 0:
        lines.append("")
        lines.append(_("Nobody is in this audience yet: choose another."))
        return [Choices("\n".join(lines), (Choice(_("Change the audience"), f"/broadcast to {cid}"),
                                          Choice(_("Discard"), f"/broadcast discard {cid}")), title=_("Broadcast #{id}: preview").format(id=cid))]
    send_label = _("Send now") if campaign.not_before is None else _("Send at {time}").format(
        time=format_datetime(campaign.not_before, ctx.programme.zone))
    options = (
        Choice(send_label, f"/broadcast send {cid}"),
        Choice(_("Schedule for later"), f"/broadcast schedule {cid}"),
        Choice(_("Change the audience"), f"/broadcast to {cid}"),
        Choice(_("Discard"), f"/broadcast discard {cid}"),
    )
    return [Choices("\n".join(lines), options, title=_("Broadcast #{id}: preview").format(id=cid), columns=2)]


# -- 4. send, schedule, discard ------------------------------------------------------


async def send(req: Request, ctx: Context, rest: str) -> Sequence[Reply]:
    """Confirm: the campaign goes to the outbox once, however often this is pressed."""
    campaign = await _draft(ctx, rest)
    if not isinstance(campaign, Campaign):
        return [campaign]
    services = ctx.services
    confirmed = await services.campaigns.confirm(campaign.id, ctx.now)
    if confirmed is None:
        return [Text(_("Broadcast #{id} has already been sent; nothing was sent twice. /broadcasts {id} shows how it goes.").format(id=campaign.id))]
    count = await services.broadcasts.start(confirmed, ctx.agenda)
    services.campaign_monitor.wake()
    await services.wakeups.rearm()
    await services.audit.record(ctx.now, actor_of(req.user), "broadcast.sent", f"campaign:{campaign.id}",
                                audience=campaign.audience, recipients=count, at=str(confirmed.not_before or ""))
    if confirmed.not_before is not None and confirmed.not_before > ctx.now:
        body = i18n.ngettext("Broadcast #{id} will go to {count} person at {time}.", "Broadcast #{id} will go to {count} people at {time}.", count)
        return [Text(body.format(id=campaign.id, count=number(ctx, count), time=format_datetime(confirmed.not_before, ctx.programme.zone)))]
    body = i18n.ngettext("Broadcast #{id} is on its way to {count} person.", "Broadcast #{id} is on its way to {count} people.", count)
    return [Text(body.format(id=campaign.id, count=number(ctx, count)) + "\n" + _("I will show the progress here."))]


async def schedule(req: Request, ctx: Context, rest: str) -> Sequence[Reply]:
    campaign = await _draft(ctx, rest)
    if not isinstance(campaign, Campaign):
        return [campaign]
    if campaign.status != "draft":
        return [Text(_("Broadcast #{id} has already been sent.").format(id=campaign.id))]
    await ctx.services.dialogues.begin(DialogueKey.of(req.user), Step("broadcast.when", ctx.now + STEP_LIFETIME, {"id": campaign.id}), ctx.now)
    return [Text(_("When should broadcast #{id} go out? For example 18:30, tomorrow 09:00 or 2025-06-05 18:30 (the event's time zone).").format(id=campaign.id))]


def parse_when(value: str, ctx: Context) -> dt.datetime | None:
    """``18:30``, ``tomorrow 09:00``, ``2025-06-05 18:30``, a day the agenda reads plus a time; in the event's zone."""
    zone = ctx.programme.zone
    value = value.strip()
    m = re.fullmatch(r"(?:(?P<day>.+?)\s+)?(?P<h>\d{1,2})[:.：](?P<m>\d{2})", value)
    if m is None:
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
    hour, minute = int(m.group("h")), int(m.group("m"))
    if hour > 23 or minute > 59:
        return None
    today = ctx.now.astimezone(zone).date()
    day = today
    if m.group("day"):
        try:
            day = dt.date.fromisoformat(m.group("day").strip())
        except ValueError:
            found = ctx.agenda.resolve_day(m.group("day"), today, ctx.services.catalogs.tags)
            if found is None:
                return None
            day = found
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)


async def broadcast_when(req: Request, ctx: Context) -> Sequence[Reply]:
    """The step after "Schedule": the time, then the preview again."""
    assert ctx.step is not None
    when = parse_when(req.args, ctx)
    if when is None:
        return [Text(_("I could not read \"{value}\" as a time. Try 18:30, tomorrow 09:00 or 2025-06-05 18:30.").format(value=echo(req.args)))]
    if when <= ctx.now:
        return [Text(_("{time} has passed. Send a time in the future, or choose Send now.").format(time=format_datetime(when, ctx.programme.zone)))]
    await ctx.services.dialogues.end(DialogueKey.of(req.user), ctx.now)
    updated = await ctx.services.campaigns.update_draft(int(ctx.step.data["id"]), not_before=when)
    if updated is None:
        return [Text(_("That broadcast is gone."))]
    return await show_preview(ctx, updated)


async def discard(req: Request, ctx: Context, rest: str) -> Sequence[Reply]:
    campaign = await _draft(ctx, rest)
    if not isinstance(campaign, Campaign):
        return [campaign]
    if campaign.status != "draft":
        return [Text(_("Broadcast #{id} has already been sent; /cancel {id} stops what has not gone out.").format(id=campaign.id))]
    await ctx.services.campaigns.cancel(campaign.id, ctx.now)
    return [Text(_("Broadcast #{id} discarded; nothing was sent.").format(id=campaign.id))]


# -- following and cancelling ---------------------------------------------------------


def report_lines(ctx: Context, report: Report) -> list[str]:
    """What became of a campaign's messages, in the reader's language."""
    total = report.total
    lines = [_("{done} / {total} sent").format(done=number(ctx, report.sent), total=number(ctx, total))]
    if report.finished:
        lines = [_("Delivered: {count}").format(count=number(ctx, report.sent))]
    blocked = report.unreachable
    failed = report.count("failed") - blocked
    if blocked:
        lines.append(_("Blocked the bot or unreachable: {count}").format(count=number(ctx, blocked)))
    if failed > 0:
        reasons = [r for r in report.failures if not r.startswith(UNREACHABLE)]
        lines.append(_("Failed: {count} ({reasons})").format(count=number(ctx, failed), reasons="; ".join(r[:80] for r in reasons[:3])))
    if report.held:
        lines.append(_("Waiting for the WeChat window (sent when they next write): {count}").format(count=number(ctx, report.held)))
    if report.uncertain:
        lines.append(_("In flight at a restart or timed out, may have arrived (not resent): {count}").format(count=number(ctx, report.uncertain)))
    if report.count("cancelled"):
        lines.append(_("Cancelled before sending: {count}").format(count=number(ctx, report.count("cancelled"))))
    if not report.finished and report.waiting:
        lines.append(_("Still to send: {count}").format(count=number(ctx, report.waiting + report.in_flight)))
    return lines


def render_report(services: Services, user: UserRecord, report: Report) -> list[Reply]:
    """The progress (edited in place where possible) or the final report, for the organiser."""
    localizer = services.locales.localizer(user)
    ctx = Context.create(services, user, localizer)
    with i18n.use(localizer):
        campaign = report.campaign
        title = (_("Broadcast #{id}: report") if report.finished else _("Broadcast #{id}: sending")).format(id=campaign.id)
        return [Text("\n".join(report_lines(ctx, report)), title=title, edit_key=f"campaign:{campaign.id}", transient=not report.finished)]


def render_broadcast(services: Services, user: UserRecord, campaign: Campaign) -> list[Reply]:
    """What a recipient reads: the version in their language (else the event's), under a title in their language."""
    localizer = services.locales.localizer(user)
    default = services.locales.default()
    with i18n.use(localizer):
        return [Text(localized(campaign.texts, localizer.tag, default), title=_("From the organisers"))]


async def broadcasts(req: Request, ctx: Context) -> Sequence[Reply]:
    """Recent broadcasts with their figures; ``/broadcasts 7`` for one in full."""
    token = req.args.strip().lstrip("#")
    campaigns = ctx.services.campaigns
    if token.isdigit():
        report = await campaigns.report(int(token))
        if report is None or report.campaign.kind != "broadcast":
            return [Text(_("There is no broadcast #{id}.").format(id=echo(token)))]
        c = report.campaign
        head = [c.title, _("To {audience}").format(audience=audience_text(ctx, AudienceSpec.from_json(c.audience)))]
        if c.status == "scheduled" and c.not_before is not None:
            head.append(_("Scheduled for {time}.").format(time=format_datetime(c.not_before, ctx.programme.zone)))
        elif c.confirmed_at:
            head.append(_("Sent {time}").format(time=format_datetime(c.not_before or c.confirmed_at, ctx.programme.zone)))
        if c.status == "cancelled":
            head.append(_("Cancelled."))
        options = (Choice(_("Cancel it"), f"/cancel {c.id}"),) if c.running else ()
        body = "\n".join(head + [""] + report_lines(ctx, report))
        if options:
            return [Choices(body, options, title=_("Broadcast #{id}").format(id=c.id))]
        return [Text(body, title=_("Broadcast #{id}").format(id=c.id))]
    recent = await campaigns.recent(10, kind="broadcast")
    if not recent:
        return [Text(_("No broadcast has been sent yet. Start one with /broadcast."), title=_("Broadcasts"))]
    lines, options = [], []
    for c in recent:
        report = await campaigns.report(c.id)
        figures = report_lines(ctx, report)[0] if report else ""
        lines.append(f"#{c.id} · {c.title} · {figures}")
        options.append(Choice(f"#{c.id}", f"/broadcasts {c.id}"))
    return [Choices("\n".join(lines), tuple(options), title=_("Broadcasts"), columns=4)]


async def cancel(req: Request, ctx: Context) -> Sequence[Reply]:
    """Drop the broadcast being written, or stop a running one (organisers)."""
    services = ctx.services
    abandoned = ctx.abandoned_step
    token = req.args.strip().lstrip("#")
    if not token and abandoned is not None:
        if abandoned.name == "broadcast.when":
            return [Text(_("Scheduling stopped; broadcast #{id} is still a draft.").format(id=abandoned.data.get("id")))]
        return [Text(_("Stopped. Nothing was sent."))]
    if not await services.roles.allows(req.user, Role.ORGANISER):
        return [Text(_("There is nothing to cancel."))]
    if not token:
        running = [c for c in await services.campaigns.running() if c.kind == "broadcast"]
        if not running:
            return [Text(_("No broadcast is running."))]
        options = tuple(Choice(f"#{c.id} {c.title}", f"/cancel {c.id}") for c in running)
        return [Choices(_("Which broadcast should stop?"), options)]
    if not token.isdigit():
        return [Text(_("Send /cancel and the broadcast's number, e.g. /cancel 7."))]
    campaign = await services.campaigns.get(int(token))
    if campaign is None or campaign.kind != "broadcast":
        return [Text(_("There is no broadcast #{id}.").format(id=echo(token)))]
    if not campaign.running:
        return [Text(_("Broadcast #{id} is not running.").format(id=campaign.id))]
    stopped = await services.campaigns.cancel(campaign.id, ctx.now)
    await services.audit.record(ctx.now, actor_of(req.user), "broadcast.cancelled", f"campaign:{campaign.id}", stopped=stopped)
    body = i18n.ngettext("Broadcast #{id} stopped: {count} message will not be sent.", "Broadcast #{id} stopped: {count} messages will not be sent.", stopped)
    return [Text(body.format(id=campaign.id, count=number(ctx, stopped)))]


def register(router: Router) -> None:
    router.command("broadcast", description=N_("Send a message to delegates: /broadcast"), role=Role.ORGANISER)(broadcast)
    router.step("broadcast.text", role=Role.ORGANISER)(broadcast_text)
    router.step("broadcast.when", role=Role.ORGANISER)(broadcast_when)
    router.command("broadcasts", description=N_("Recent broadcasts and how they went"), role=Role.ORGANISER)(broadcasts)
    router.command("cancel", description=N_("Stop what you are doing, or a running broadcast: /cancel 7"), hidden=True)(cancel)
