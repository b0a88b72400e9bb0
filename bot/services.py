"""What handlers may use, as typed fields (no registry keyed by strings).

Built once by :func:`bot.app.build_core`, the composition root; a handler
reaches it as ``ctx.services``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.calendars import Calendars
    from bot.clock import Clock
    from bot.config import Settings
    from bot.dialogues import DialogueStore
    from bot.feedback import Feedback
    from bot.i18n import Catalogs, Locales
    from bot.notify.broadcasts import Broadcasts, CampaignMonitor
    from bot.notify.campaigns import Campaigns
    from bot.notify.changes import ChangeNotifier
    from bot.notify.outbox import Outbox, PushPort
    from bot.notify.reminders import ReminderEngine
    from bot.notify.wakeups import Wakeups
    from bot.privacy import Privacy
    from bot.programme import ProgrammeHolder
    from bot.roles import AuditLog, Roles
    from bot.router import Router
    from bot.store.audience import Audience
    from bot.store.db import Database
    from bot.store.delegates import DelegateState
    from bot.store.locations import LastLocations
    from bot.store.users import Users
    from bot.store.wechat import WeChatStore


@dataclass
class Services:
    """The channel-neutral services, one instance per running bot."""

    settings: Settings
    clock: Clock
    programmes: ProgrammeHolder
    db: Database
    users: Users
    catalogs: Catalogs
    locales: Locales
    delegates: DelegateState
    audience: Audience
    reminders: ReminderEngine
    outbox: Outbox
    push: PushPort
    router: Router
    dialogues: DialogueStore
    roles: Roles
    audit: AuditLog
    campaigns: Campaigns
    broadcasts: Broadcasts
    campaign_monitor: CampaignMonitor
    wakeups: Wakeups
    wechat_windows: WeChatStore
    """Read the WeChat followers' customer-service windows (what a push may still spend)."""
    changes: ChangeNotifier
    locations: LastLocations
    """The last place each delegate shared or their phone reported (for /where)."""
    privacy: Privacy
    """What is stored about a person (/mydata), deleting it (/forget), and the retention purge."""
    calendars: Calendars
    """Calendar files and subscription feeds (agenda, whole programme), and sessions' revisions."""
    feedback: Feedback
    """Session feedback: questionnaires' answers, prompts, live results."""
