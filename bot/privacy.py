"""Personal data, declared table by table: how a person's rows are found, exported, deleted and purged.

:data:`TABLES` has one entry for every table of the database (a test lists
the tables of a migrated database and fails for one that is missing).  An
entry is either :class:`NoPersonalData`, saying why, or :class:`Personal`
with one or more :class:`Rule`: the SQL condition that finds *this person's*
rows, what ``/forget`` does with them, and what the retention purge does
with *everyone's* once the event is over.  The conditions take the named
parameters ``:user_id`` (the ``users`` row), ``:channel`` and
``:platform_id`` (the platform's id: a Telegram chat id, a WeChat openid)
and ``:actor`` (``channel:platform_id``, as the audit log writes it).  The
rules run in the order of :data:`TABLES` (``users`` last), in one transaction.

A new table with personal data is one more entry, e.g. feedback prompts
whose counts are kept for statistics once the people are forgotten::

    Personal("feedback_prompts", "which delegates were asked about a session",
             Rule("user_id = :user_id", forget=Detach({"user_id": "NULL"}), retention=Detach({"user_id": "NULL"}),
                  everyone="user_id IS NOT NULL")),

A rule whose rows another table's rule detaches (an anonymous answer, whose
response loses its ``user_id``) says ``forget=KEEP``: its rows are the
person's export, and nothing of the person is left in them once detached.

What the bot keeps in memory about a person (the users cache, conversation
state, a channel's rate limiter and button cache) is registered as a
:class:`PersonalCache` with :class:`Caches`, and cleared by ``/forget`` too.

The retention purge runs :data:`Settings.retention_days` days after the
event's last day (local midnight in the event's zone), then daily, so
whoever writes afterwards is purged too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Protocol, Union

from bot.conversation import UserRef
from bot.store.db import Database

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.dialogues import DialogueStore
    from bot.programme import Programme, ProgrammeHolder
    from bot.store.users import Users

logger = logging.getLogger(__name__)

#: What a forgotten person's id becomes where a row is kept (an organiser's broadcast, the audit log).
FORGOTTEN: Final = "forgotten"
#: After the first purge, the purge runs again this often (people who write after the event).
PURGE_EVERY: Final = dt.timedelta(days=1)


@dataclass(frozen=True)
class Delete:
    """The rows go."""


@dataclass(frozen=True)
class Detach:
    """The rows stay, without the person: each column is set to an SQL expression (``NULL``, ``'forgotten'``)."""

    columns: Mapping[str, str]


@dataclass(frozen=True)
class Keep:
    """The rows stay as they are (retention only: what is not a delegate's, like an organiser's broadcast text)."""


Action = Union[Delete, Detach, Keep]
DELETE: Final = Delete()
KEEP: Final = Keep()


@dataclass(frozen=True)
class Rule:
    """Which rows of a table are a person's (``where``), and what becomes of them."""

    where: str
    forget: Action = DELETE
    retention: Action = DELETE
    everyone: str = "1"
    """For the retention purge: the rows that are anyone's (``where`` for every person at once)."""


@dataclass(frozen=True)
class Personal:
    name: str
    holds: str
    """What personal data the table holds, and why (for the reader of this file and of /mydata)."""
    rules: tuple[Rule, ...] = ()
    omit: tuple[str, ...] = ()
    """Columns left out of the /mydata export (binary file contents; shown as their size)."""

    def __init__(self, name: str, holds: str, *rules: Rule, omit: tuple[str, ...] = ()) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "holds", holds)
        object.__setattr__(self, "rules", rules)
        object.__setattr__(self, "omit", omit)


@dataclass(frozen=True)
class NoPersonalData:
    name: str
    why: str


Entry = Union[Personal, NoPersonalData]

_USER = "user_id = :user_id"
_TELEGRAM_CHAT = "chat_id = :platform_id AND :channel = 'telegram'"
_WECHAT = "openid = :platform_id AND :channel = 'wechat'"
#: An audit actor or a grant's author that is a person on a platform (not ``cli:...`` or ``forgotten``).
_PLATFORM_ACTOR = "{column} LIKE 'telegram:%' OR {column} LIKE 'wechat:%' OR {column} LIKE 'test:%' OR {column} LIKE 'console:%'"


def _actor_rule(column: str) -> Rule:
    """A column naming who did something: the person's name there becomes ``forgotten``."""
    return Rule(f"{column} = :actor", forget=Detach({column: f"'{FORGOTTEN}'"}),
                retention=Detach({column: f"'{FORGOTTEN}'"}), everyone=_PLATFORM_ACTOR.format(column=column))


TABLES: Final[tuple[Entry, ...]] = (
    Personal("users", "who the delegate is on their platform (its id, the name it gives), their language, zone and last visit",
             Rule("id = :user_id")),
    Personal("bookmarks", "sessions the delegate bookmarked (for /myagenda and reminders)", Rule(_USER)),
    Personal("stream_subscriptions", "streams the delegate follows", Rule(_USER)),
    Personal("visit_signups", "site visits the delegate signed up for (the bus captain's list)", Rule(_USER)),
    Personal("reminder_settings", "when the delegate wants reminders, and their daily digest", Rule(_USER)),
    Personal("sent_reminders", "which reminders went to the delegate (so none goes twice)", Rule(_USER)),
    Personal("last_locations", "the last place the delegate shared or their phone reported (for /where)", Rule(_USER)),
    Personal("outbox", "messages queued for the delegate, with their texts, and what became of them", Rule(_USER)),
    Personal("files", "documents handed to the delegate by link (their /mydata export, a sign-up list)",
             Rule(_USER), omit=("data",)),
    Personal("dialogues", "what a number answers in the delegate's conversation, a dialogue under way",
             Rule("channel = :channel AND platform_id = :platform_id")),
    Personal("wechat_inbound", "the delegate's recent WeChat messages' ids and the replies (so a retry is answered once)",
             Rule(_WECHAT)),
    Personal("wechat_window", "how many WeChat messages the bot may still send the delegate", Rule(_WECHAT)),
    Personal("telegram_polls", "the Telegram polls sent to the delegate's chat", Rule(_TELEGRAM_CHAT)),
    Personal("telegram_edits", "messages in the delegate's chat that the bot edits in place", Rule(_TELEGRAM_CHAT)),
    # the buttons before the record of who got them, which finds them
    Personal("telegram_callbacks", "what long buttons stand for (a search's words); deleted with the last chat that had them",
             Rule("token IN (SELECT token FROM telegram_callback_chats WHERE chat_id = :platform_id) AND :channel = 'telegram' "
                  "AND token NOT IN (SELECT token FROM telegram_callback_chats WHERE chat_id != :platform_id)")),
    Personal("telegram_callback_chats", "which long buttons (their stored payloads) went to the delegate's chat",
             Rule(_TELEGRAM_CHAT)),
    Personal("role_grants", "staff roles held by the person, and who granted or revoked roles",
             Rule("channel = :channel AND platform_id = :platform_id"), _actor_rule("granted_by"), _actor_rule("revoked_by")),
    Personal("invitations", "who created and who redeemed a staff invitation",
             Rule("redeemed_channel = :channel AND redeemed_platform_id = :platform_id",
                  forget=Detach({"redeemed_channel": "NULL", "redeemed_platform_id": "NULL"})),
             _actor_rule("created_by")),
    Personal("campaigns", "broadcasts: the organiser who wrote one and who gets its report (the texts are the organisers')",
             Rule("report_to = :user_id", forget=Detach({"report_to": "NULL"}), retention=Detach({"report_to": "NULL"}),
                  everyone="report_to IS NOT NULL"),
             _actor_rule("created_by")),
    Personal("audit_log", "privileged actions and refused attempts: who, what, when",
             Rule("actor = :actor", forget=Detach({"actor": f"'{FORGOTTEN}'"})),
             Rule("target = :actor", forget=Detach({"target": f"'{FORGOTTEN}'"})),
             Rule("length(:platform_id) >= 6 AND instr(detail, :platform_id) > 0",
                  forget=Detach({"detail": f"replace(detail, :platform_id, '{FORGOTTEN}')"}))),
    # feedback (bot/feedback): answers before the responses, which find them; statistics stay, detached
    Personal("feedback_answers", "a delegate's answers to session questionnaires (ratings, choices, comments)",
             Rule("response_id IN (SELECT id FROM feedback_responses WHERE user_id = :user_id AND named = 1)",
                  forget=DELETE, retention=KEEP),
             Rule("response_id IN (SELECT id FROM feedback_responses WHERE user_id = :user_id AND named = 0)",
                  forget=KEEP, retention=KEEP)),
    Personal("feedback_responses", "whose questionnaire of a session it is (named answers: the facilitators see the name)",
             Rule("user_id = :user_id AND named = 1", forget=DELETE, retention=Detach({"user_id": "NULL"}),
                  everyone="user_id IS NOT NULL AND named = 1"),
             Rule("user_id = :user_id AND named = 0", forget=Detach({"user_id": "NULL"}), retention=Detach({"user_id": "NULL"}),
                  everyone="user_id IS NOT NULL AND named = 0")),
    Personal("feedback_prompts", "which delegates were asked about a session (for the response rate)",
             Rule(_USER, forget=Detach({"user_id": "NULL"}), retention=Detach({"user_id": "NULL"}), everyone="user_id IS NOT NULL")),
    Personal("feedback_watchers", "facilitators following a session's results live", Rule(_USER)),
    Personal("feedback_polls", "the facilitator who opened or closed a session's poll by hand",
             _actor_rule("opened_by"), _actor_rule("closed_by")),
    NoPersonalData("feedback_rounds", "when a session's prompts went out, in which campaign, how many: counts"),
    # calendars (bot/calendars.py)
    Personal("calendar_feeds", "the secret address of the delegate's calendar feed (it opens their agenda)", Rule(_USER)),
    NoPersonalData("calendar_revisions", "each session's revision as calendars see it: programme content"),
    # an update is kept whole (who sent what) only while it is handled, so a crash does not lose it
    Personal("telegram_updates", "a Telegram update of the delegate's being handled (kept for a restart after a crash)",
             Rule("body IS NOT NULL AND :channel = 'telegram' AND length(:platform_id) >= 5 AND instr(body, :platform_id) > 0",
                  forget=Detach({"body": "NULL"}), retention=Detach({"body": "NULL"}), everyone="body IS NOT NULL")),
    NoPersonalData("programme_baseline", "what delegates were last told about each session: programme content"),
    NoPersonalData("notice_state", "when the next change notice is due"),
    NoPersonalData("heartbeat", "the health check's last write"),
    NoPersonalData("schema_migrations", "which migrations the database has had"),
)


def entry(name: str, tables: Iterable[Entry] = TABLES) -> Entry | None:
    return next((t for t in tables if t.name == name), None)


# -- caches --------------------------------------------------------------------------


class PersonalCache(Protocol):
    """Something that keeps people's data in memory: it drops one person's, or everyone's, when asked."""

    def forget_person(self, ref: UserRef, user_id: int | None) -> None: ...

    def forget_everyone(self) -> None: ...


class Caches:
    """Every in-memory cache with personal data, so ``/forget`` and the purge reach them all."""

    def __init__(self) -> None:
        self._caches: list[PersonalCache] = []

    def add(self, cache: PersonalCache) -> None:
        self._caches.append(cache)

    def forget_person(self, ref: UserRef, user_id: int | None) -> None:
        for cache in self._caches:
            cache.forget_person(ref, user_id)

    def forget_everyone(self) -> None:
        for cache in self._caches:
            cache.forget_everyone()

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._caches)


class UsersCache:
    """The users repository's memory of recent delegates, as a :class:`PersonalCache`."""

    def __init__(self, users: Users) -> None:
        self.users = users

    def forget_person(self, ref: UserRef, user_id: int | None) -> None:
        if user_id is not None:
            self.users.forget(user_id)
        self.users._recent.pop(ref, None)  # noqa: SLF001 - the repository's own memory, by its key

    def forget_everyone(self) -> None:
        self.users.forget()


class DialoguesCache:
    """The conversation states kept in front of the ``dialogues`` table."""

    def __init__(self, dialogues: DialogueStore) -> None:
        self.dialogues = dialogues

    def forget_person(self, ref: UserRef, user_id: int | None) -> None:
        drop = getattr(self.dialogues, "drop_cached", None)
        if drop is not None:
            drop(ref)

    def forget_everyone(self) -> None:
        drop = getattr(self.dialogues, "drop_cached", None)
        if drop is not None:
            drop(None)


# -- the service ------------------------------------------------------------------


def _params(ref: UserRef, user_id: int | None) -> dict[str, Any]:
    return {"user_id": user_id if user_id is not None else -1, "channel": ref.channel, "platform_id": ref.platform_id,
            "actor": f"{ref.channel}:{ref.platform_id}"}


def _set(columns: Mapping[str, str]) -> str:
    return ", ".join(f"{column} = {expression}" for column, expression in columns.items())


def _value(value: object) -> object:
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def purge_after(programme: Programme, days: int | None) -> dt.datetime | None:
    """When personal data is purged: ``days`` after the event's last day ends (local midnight); None: never."""
    if days is None:
        return None
    ev = programme.event
    end = dt.datetime.combine(ev.end_date + dt.timedelta(days=1), dt.time(0), tzinfo=programme.zone)
    return end + dt.timedelta(days=days)


@dataclass
class Privacy:
    """``/mydata``, ``/forget`` and the retention purge, all driven by :data:`TABLES`."""

    db: Database
    users: Users
    dialogues: DialogueStore
    clock: Clock
    programmes: ProgrammeHolder
    retention_days: int | None
    caches: Caches = field(default_factory=Caches)
    tables: tuple[Entry, ...] = TABLES
    on_forgotten: list[Any] = field(default_factory=list)
    """Told ``(user_id)`` after a person was forgotten (the reminder schedule drops them)."""
    _last_purge: dt.datetime | None = None

    async def person(self, ref: UserRef) -> int | None:
        row = await self.db.fetchone("SELECT id FROM users WHERE channel = ? AND platform_id = ?", (ref.channel, ref.platform_id))
        return int(row[0]) if row else None

    async def export(self, ref: UserRef) -> dict[str, list[dict[str, Any]]]:
        """Every row that is this person's, by table (JSON-ready; file contents as their size)."""
        params = _params(ref, await self.person(ref))
        flush = getattr(self.dialogues, "flush", None)
        if flush is not None:
            await flush()  # what numbers answer is written behind: write it now, so the export has it
        out: dict[str, list[dict[str, Any]]] = {}
        for table in self.tables:
            if not isinstance(table, Personal):
                continue
            where = " OR ".join(f"({rule.where})" for rule in table.rules)
            rows = await self.db.fetchall(f"SELECT * FROM {table.name} WHERE {where}", params)
            if rows:
                out[table.name] = [
                    {k: (f"<{len(r[k] or b'')} bytes>" if k in table.omit else _value(r[k])) for k in r.keys()} for r in rows
                ]
        return out

    async def forget(self, ref: UserRef) -> int:
        """Delete (or detach) everything of this person, in one transaction, then their cached data; rows changed."""
        user_id = await self.person(ref)
        params = _params(ref, user_id)
        changed = 0
        async with self.db.transaction() as conn:
            before = conn.total_changes
            # the user row last: other tables find the person's rows through it
            for table in sorted((t for t in self.tables if isinstance(t, Personal)), key=lambda t: t.name == "users"):
                for rule in table.rules:
                    if isinstance(rule.forget, Delete):
                        await conn.execute(f"DELETE FROM {table.name} WHERE {rule.where}", params)
                    elif isinstance(rule.forget, Detach):
                        await conn.execute(f"UPDATE {table.name} SET {_set(rule.forget.columns)} WHERE {rule.where}", params)
            changed = conn.total_changes - before
        from bot.dialogues import DialogueKey

        await self.dialogues.forget(DialogueKey(ref.channel, ref.platform_id))
        self.caches.forget_person(ref, user_id)
        for hook in self.on_forgotten:
            if user_id is not None:
                await hook(user_id)
        logger.info("a delegate's data was deleted at their request (%d rows)", changed)
        return changed

    # -- retention --------------------------------------------------------------

    def purge_at(self) -> dt.datetime | None:
        return purge_after(self.programmes.programme, self.retention_days)

    async def purge(self) -> dict[str, int]:
        """Everyone's personal data, as the retention rules say; rows changed per table."""
        counts: dict[str, int] = {}
        async with contextlib.AsyncExitStack() as held:
            writes_held = getattr(self.dialogues, "writes_held", None)
            if writes_held is not None:
                await held.enter_async_context(writes_held())  # an offer written behind must not outlive the purge
            await self._purge_rows(counts)
        self.caches.forget_everyone()
        logger.info("retention: personal data purged (%s)", ", ".join(f"{k} {v}" for k, v in counts.items()) or "nothing left")
        return counts

    async def _purge_rows(self, counts: dict[str, int]) -> None:
        async with self.db.transaction() as conn:
            for table in sorted((t for t in self.tables if isinstance(t, Personal)), key=lambda t: t.name == "users"):
                before = conn.total_changes
                for rule in table.rules:
                    if isinstance(rule.retention, Delete):
                        await conn.execute(f"DELETE FROM {table.name} WHERE {rule.everyone}")
                    elif isinstance(rule.retention, Detach):
                        await conn.execute(f"UPDATE {table.name} SET {_set(rule.retention.columns)} WHERE {rule.everyone}",
                                           {"platform_id": "", "user_id": -1})
                if conn.total_changes - before:
                    counts[table.name] = conn.total_changes - before

    async def next_due(self) -> dt.datetime | None:
        at = self.purge_at()
        if at is None:
            return None
        if self._last_purge is None:
            return at
        return max(at, self._last_purge + PURGE_EVERY)

    async def fire_due(self) -> None:
        due = await self.next_due()
        now = self.clock.now()
        if due is not None and now >= due:
            self._last_purge = now
            await self.purge()
