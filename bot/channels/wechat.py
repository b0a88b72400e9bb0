"""The WeChat Official Account channel: the ``/wechat`` callback, passive replies, pushes.

WeChat calls ``/wechat`` for every message and event of a follower, in plain
mode (only the query is signed) or in safe mode (``encrypt_type=aes``: the
body is AES-encrypted and signed as ``msg_signature``).  This module

* checks signatures in constant time and refuses a bad one (403) before it
  reads or parses the body; with an AES key configured, plain callbacks are
  refused too, since their body is not signed;
* refuses a callback whose signed timestamp is more than
  :data:`MAX_SKEW` seconds from now (403), so a captured callback cannot be
  replayed later (after its dedupe record is gone), and in plain mode, where
  the body is not signed, refuses a second body under the same signature;
* refuses bodies over 64 KiB (413), and XML with a DOCTYPE or entity
  declaration or that is not XML at all (400) before any XML parser sees it;
* leaves the protocol to wechatpy: its ``WeChatCrypto`` decrypts the message
  and encrypts the passive reply, ``parse_message`` (xmltodict, entities
  disabled) reads it and ``TextReply`` renders the reply;
* answers inside WeChat's five seconds: the core gets :data:`REPLY_DEADLINE`
  seconds; if it is late the answer is ``success`` and the reply follows as a
  customer-service message through the outbox;
* deduplicates WeChat's retries (up to three, by ``MsgId``, or by sender,
  ``CreateTime`` and event): a retry waits for the first attempt, gets the same
  reply and causes no second effect, also after a restart (``wechat_inbound``);
* sends a long reply's first part passively and the rest by push;
* never answers a callback with a 500 for a fault of ours: the follower is
  told it went wrong (passively, or by push when the answer was late), and
  the fault is logged.
"""

from __future__ import annotations

import asyncio
import binascii
import contextlib
import datetime as dt
import hashlib
import hmac
import logging
import math
import re
import struct
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final
from xml.parsers.expat import ExpatError

import xmltodict
from aiohttp import web
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.events import BaseEvent
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.messages import BaseMessage
from wechatpy.replies import TextReply
from wechatpy.utils import WeChatSigner

from bot import i18n
from bot.channels.wechat_api import WeChatAPI, WeChatAPIError, WeChatUnavailable
from bot.channels.wechat_push import CHANNEL, WeChatSender, documents_as_links
from bot.channels.wechat_render import render_parts
from bot.conversation import Image, Location, Reply, Request, Text, UserRef
from bot.clock import Clock
from bot.geo import Datum
from bot.i18n import _
from bot.notify.outbox import Priority
from bot.ports import Answer, ChannelPorts
from bot.store.wechat import WeChatStore

logger = logging.getLogger(__name__)

ROUTE: Final = "/wechat"
#: The body limit of the shared web application (and of this route, whatever the app says).
MAX_BODY_BYTES: Final = 64 * 1024
#: WeChat gives up on an answer after 5 seconds; the core gets this long, the rest is margin.
REPLY_DEADLINE: Final = 4.0
#: The rest of a long reply is pushed this long after the passive first part, so it arrives after it.
REST_DELAY: Final = dt.timedelta(seconds=2)
#: How long an answered callback stays in memory for WeChat's retries (they come within ~15 s).
INFLIGHT_TTL: Final = 60.0
#: How far a callback's signed timestamp may be from now (WeChat's clock and ours, its retries within ~15 s).
MAX_SKEW: Final = 300
#: Plain-mode signatures remembered (for the skew window) to refuse a second body under one of them.
MAX_REMEMBERED_SIGNATURES: Final = 100_000
#: What WeChat expects when there is no passive reply (it then neither shows nor retries anything).
SUCCESS: Final = "success"
#: Declarations that make entity expansion (billion laughs) or external entities (XXE) possible.
_DECLARATION: Final = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
#: What WeChat's openids (28 characters) and account ids (gh_...) look like, with room to spare.
_ACCOUNT_ID: Final = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
#: How a callback opens a follower's customer-service window (the values ``wechat_inbound.opens_window`` stores).
NOT_OPENED: Final = 0
OPENED_BY_EVENT: Final = 1
OPENED_BY_MESSAGE: Final = 2
#: Events that are a follower's action and so open the (short) customer-service window.
_WINDOW_EVENTS: Final = frozenset({"subscribe", "subscribe_scan", "scan", "click", "view"})
_WELCOME_EVENTS: Final = frozenset({"subscribe", "subscribe_scan"})
#: How WeChat prefixes the scene of a parametrised QR code in a follow event's EventKey.
QR_SCENE_PREFIX: Final = "qrscene_"
#: What wechatpy's decryption raises for a ciphertext that is not of this key (bad base64, length, padding, text).
_UNDECRYPTABLE: Final = (ValueError, TypeError, IndexError, struct.error, binascii.Error, UnicodeDecodeError)
#: What wechatpy's parse_message raises for XML that is not a WeChat message (missing or nested fields).
_UNREADABLE: Final = (ExpatError, ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError)


class BadCallback(Exception):
    """A callback that is not what WeChat sends; answered with ``status``."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Inbound:
    """One callback, read: who, its dedupe key and what to ask the core."""

    key: str
    openid: str
    account: str
    kind: str
    request: Request | None = None
    welcome: bool = False
    scene: str = ""
    """The scene of the parametrised QR code a follow came from (an invitation code), if any."""
    unsubscribe: bool = False
    opens_window: int = OPENED_BY_MESSAGE
    """How this callback opens the follower's customer-service window: by a message (2), an event (1), or not (0)."""
    report: Location | None = None
    """An automatic location report (the LOCATION event): stored for /where, answered with ``success`` only."""


@dataclass
class _Answer:
    """The text parts of a reply, and whether they went out by push (so a retry gets ``success``)."""

    parts: list[str]
    late: bool = False


@dataclass
class _Inflight:
    openid: str = ""
    task: asyncio.Task[_Answer] | None = None
    late: bool = False
    rest_pushed: bool = False
    expires: float = math.inf


def signature_matches(signature: str | None, *parts: str) -> bool:
    """wechatpy's ``check_signature`` computation (``WeChatSigner``: SHA-1 over the sorted parts), compared in constant time.

    ``wechatpy.utils.check_signature`` and ``WeChatCrypto.decrypt_message``
    compare with ``!=``, which returns as soon as a character differs; this
    uses :func:`hmac.compare_digest` instead.
    """
    if not signature:
        return False
    signer = WeChatSigner()
    signer.add_data(*parts)
    return hmac.compare_digest(signer.signature.encode("ascii"), signature.encode("utf-8", "replace"))


def refuse_declarations(body: bytes) -> None:
    """BadCallback(400) for XML with a DOCTYPE or ENTITY declaration, before any parser sees it.

    So no entity is ever declared, expanded (billion laughs) or fetched (XXE);
    xmltodict, which wechatpy parses with, refuses them again while parsing.
    """
    if _DECLARATION.search(body):
        raise BadCallback(400, "XML with a DOCTYPE or entity declaration")


def safe_xml(body: bytes) -> dict[str, Any]:
    """The ``<xml>`` element of ``body`` as xmltodict reads it; BadCallback(400) for anything else."""
    refuse_declarations(body)
    try:
        parsed = xmltodict.parse(body, disable_entities=True)
    except (ExpatError, ValueError) as exc:
        raise BadCallback(400, "not XML") from exc
    root = parsed.get("xml") if isinstance(parsed, dict) else None
    if not isinstance(root, dict):
        raise BadCallback(400, "no <xml> root element")
    return root


def _cdata(text: str) -> str:
    """Text that cannot end the CDATA section wechatpy wraps it in."""
    return text.replace("]]>", "]]]]><![CDATA[>")


class WeChatChannel:
    """The ``/wechat`` route and the WeChat sender, around one core."""

    name = CHANNEL

    def __init__(
        self,
        ports: ChannelPorts,
        *,
        token: str,
        appid: str,
        secret: str,
        aes_key: str | None = None,
        api_url: str | None = None,
        template_id: str | None = None,
        reply_deadline: float = REPLY_DEADLINE,
        stop_grace: float = REPLY_DEADLINE,
    ) -> None:
        self.ports = ports
        self.token = token
        self.appid = appid
        #: one wechatpy crypto per channel, the key decoded once
        self.crypto = WeChatCrypto(token, aes_key, appid) if aes_key else None
        self.api = WeChatAPI(appid, secret, ports.clock, base_url=api_url)
        contacts = ports.contacts
        contacts.channel(CHANNEL)
        self.api.on_contact = lambda failure: contacts.ok(CHANNEL) if failure is None else contacts.failed(CHANNEL, failure)
        self.store = WeChatStore(ports.db)
        self.sender = WeChatSender(ports, self.api, self.store, template_id)
        self.worker = ports.push.attach(self.sender)
        self.reply_deadline = reply_deadline
        #: On shutdown, replies still being worked out get this long (wall seconds) before they are abandoned.
        self.stop_grace = stop_grace
        self._inflight: OrderedDict[str, _Inflight] = OrderedDict()
        self.callbacks_received = 0
        self.max_skew = MAX_SKEW
        #: plain mode: (timestamp, nonce) -> a digest of the body first signed with them
        self._signed: OrderedDict[tuple[int, str], bytes] = OrderedDict()
        ports.caches.add(self)

    def forget_person(self, ref: UserRef, user_id: int | None) -> None:
        """/forget: the replies kept for a follower's retries (the one being answered finishes)."""
        if ref.channel != CHANNEL:
            return
        for key in [k for k, e in self._inflight.items() if e.openid == ref.platform_id]:
            del self._inflight[key]

    def forget_everyone(self) -> None:
        self._inflight.clear()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(ROUTE, self.verify)
        app.router.add_post(ROUTE, self.callback)

    async def start(self) -> None:
        logger.info("WeChat callback on %s (%s mode)", ROUTE, "safe" if self.crypto else "plain")

    async def stop(self) -> None:
        """Let replies being worked out finish (briefly; the rest are abandoned), store them, close the API session."""
        pending = [e.task for e in self._inflight.values() if e.task is not None and not e.task.done()]
        if pending:
            _done, stuck = await asyncio.wait(pending, timeout=self.stop_grace) if self.stop_grace > 0 else (set(), set(pending))
            for task in stuck:
                task.cancel()
            if stuck:
                await asyncio.wait(stuck)
        await self.store.close()
        await self.api.close()

    # -- HTTP -------------------------------------------------------------

    async def verify(self, request: web.Request) -> web.Response:
        """GET: WeChat checks the URL; echo ``echostr`` only for a valid signature."""
        q = request.query
        if not signature_matches(q.get("signature"), self.token, q.get("timestamp", ""), q.get("nonce", "")):
            return web.Response(status=403, text="bad signature")
        try:
            self._fresh(q.get("timestamp", ""))
        except BadCallback as exc:
            logger.warning("refused a WeChat URL check: %s (%s)", exc.status, exc.reason)
            return web.Response(status=exc.status, text=exc.reason)
        echostr = q.get("echostr")
        if not echostr:
            return web.Response(status=400, text="no echostr")
        return web.Response(text=echostr)

    async def callback(self, request: web.Request) -> web.Response:
        """POST: a follower's message or event; the passive reply, or ``success``."""
        started = self.ports.clock.now()
        self.callbacks_received += 1
        q = request.query
        timestamp, nonce = q.get("timestamp", ""), q.get("nonce", "")
        try:
            if not signature_matches(q.get("signature"), self.token, timestamp, nonce):
                raise BadCallback(403, "bad signature")
            signed_at = self._fresh(timestamp)
            safe = q.get("encrypt_type", "raw").lower() == "aes"
            if safe and self.crypto is None:
                raise BadCallback(400, "safe mode callback, but no AES key is configured")
            if not safe and self.crypto is not None:
                raise BadCallback(403, "plain callback, but safe mode is configured")
            body = await self._body(request)
            if not safe:
                self._first_body(signed_at, nonce, body)
            xml = self._decrypt(body, q.get("msg_signature"), timestamp, nonce) if safe else body
            inbound = self._read(xml)
        except BadCallback as exc:
            logger.warning("refused a WeChat callback: %s (%s)", exc.status, exc.reason)  # never the openid
            return web.Response(status=exc.status, text=exc.reason)
        self.ports.contacts.ok(CHANNEL)  # a signed callback: WeChat reaches the bot
        if inbound.request is None and not inbound.welcome and not inbound.unsubscribe:
            claim = await self.store.claim(inbound.key, inbound.openid, self.ports.clock.now(), opens_window=inbound.opens_window)
            if inbound.report is not None and claim.new:
                await self._keep_report(inbound.openid, inbound.report)
            return web.Response(text=SUCCESS)
        remaining = max(0.0, self.reply_deadline - (self.ports.clock.now() - started).total_seconds())
        try:
            answer = await self._answer(inbound, remaining)
        except Exception:  # a fault of ours: WeChat's retry would meet it again, so no 500
            logger.exception("WeChat callback %s failed", inbound.kind)
            return web.Response(text=SUCCESS)
        if answer is None or answer.late or not answer.parts:
            return web.Response(text=SUCCESS)
        return self._passive(inbound, answer.parts[0], timestamp, nonce)

    def _fresh(self, timestamp: str) -> int:
        """The signed timestamp, if it is within :attr:`max_skew` of now; else BadCallback(403)."""
        if not timestamp.isdigit() or len(timestamp) > 12:
            raise BadCallback(403, "no timestamp")
        signed_at = int(timestamp)
        if abs(self.ports.clock.now().timestamp() - signed_at) > self.max_skew:
            raise BadCallback(403, "timestamp too far from now (a replayed or delayed callback)")
        return signed_at

    def _first_body(self, signed_at: int, nonce: str, body: bytes) -> None:
        """Plain mode signs the query, not the body: one signature, one body (WeChat's retries repeat both)."""
        digest = hashlib.blake2b(body, digest_size=16).digest()
        key = (signed_at, nonce)
        seen = self._signed.get(key)
        if seen is not None:
            if not hmac.compare_digest(seen, digest):
                raise BadCallback(403, "signature replayed with another body")
            return
        oldest = self.ports.clock.now().timestamp() - self.max_skew
        while self._signed and (len(self._signed) >= MAX_REMEMBERED_SIGNATURES or next(iter(self._signed))[0] < oldest):
            self._signed.popitem(last=False)
        self._signed[key] = digest

    async def _body(self, request: web.Request) -> bytes:
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            raise BadCallback(413, "body too large")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge as exc:
            raise BadCallback(413, "body too large") from exc
        if len(body) > MAX_BODY_BYTES:
            raise BadCallback(413, "body too large")
        if not body.strip():
            raise BadCallback(400, "empty body")
        return body

    def _decrypt(self, body: bytes, msg_signature: str | None, timestamp: str, nonce: str) -> bytes:
        """Safe mode: check ``msg_signature`` over the ciphertext, decrypt, check the AppID."""
        assert self.crypto is not None
        encrypt = safe_xml(body).get("Encrypt")
        if not isinstance(encrypt, str) or not encrypt:
            raise BadCallback(400, "no Encrypt element")
        if not signature_matches(msg_signature, self.token, timestamp, nonce, encrypt):
            raise BadCallback(403, "bad msg_signature")
        try:
            # wechatpy checks the signature again (with !=, harmless now) and decrypts
            plain = self.crypto.decrypt_message({"Encrypt": encrypt}, msg_signature, timestamp, nonce)
        except InvalidAppIdException as exc:
            raise BadCallback(403, "message for another AppID") from exc
        except InvalidSignatureException as exc:
            raise BadCallback(403, "bad msg_signature") from exc
        except _UNDECRYPTABLE as exc:
            raise BadCallback(400, "cannot decrypt") from exc
        return plain.encode("utf-8")

    def _read(self, xml: bytes) -> Inbound:
        """The callback as an :class:`Inbound`; BadCallback(400) for what WeChat does not send."""
        refuse_declarations(xml)
        try:
            message = parse_message(xml.decode("utf-8"))
            if message is None:
                raise BadCallback(400, "empty message")
            return self._inbound(message)
        except BadCallback:
            raise
        except _UNREADABLE as exc:
            raise BadCallback(400, f"unreadable callback ({type(exc).__name__})") from exc

    def _inbound(self, message: BaseMessage) -> Inbound:
        """Read the fields of wechatpy's message; a nested or repeated field (a dict or list in xmltodict) is never a str."""
        data: dict[str, Any] = message._data
        openid, account = data.get("FromUserName"), data.get("ToUserName")
        if not isinstance(openid, str) or not _ACCOUNT_ID.match(openid) or not isinstance(account, str) or not _ACCOUNT_ID.match(account):
            raise BadCallback(400, "no valid FromUserName / ToUserName")
        created = data.get("CreateTime")
        if not isinstance(created, str) or not created.isdigit():
            raise BadCallback(400, "no CreateTime")
        msg_type = str(data["MsgType"]).lower()  # text: parse_message has lower-cased it to pick the class
        user = UserRef(CHANNEL, openid)
        if isinstance(message, BaseEvent) or msg_type == "event":  # an event wechatpy has no class for is UnknownMessage
            # parse_message names a follow by scanning a code subscribe_scan (or _product)
            event = data.get("Event")
            event = event.lower() if isinstance(event, str) else ""
            event_key = data.get("EventKey")
            key = f"e:{openid}:{created}:{event}"
            common = dict(key=key, openid=openid, account=account, kind=f"event {event}",
                          opens_window=OPENED_BY_EVENT if event in _WINDOW_EVENTS else NOT_OPENED)
            scene = event_key.strip() if isinstance(event_key, str) else ""
            if event in _WELCOME_EVENTS:
                # following by scanning a parametrised QR code: EventKey is "qrscene_" and the scene
                return Inbound(**common, welcome=True, scene=scene.removeprefix(QR_SCENE_PREFIX))
            if event == "scan" and scene:
                # an existing follower scanned a parametrised QR code (an invitation): EventKey is the scene
                return Inbound(**common, request=Request(user=user, command="start", args=scene))
            if event == "unsubscribe":
                return Inbound(**common, unsubscribe=True)
            if event == "click":
                payload = event_key.strip() if isinstance(event_key, str) else ""
                return Inbound(**common, request=Request(user=user, payload=payload or "/help"))
            if event == "location":
                # the phone's own report (on entering the chat, where the account asks for it): kept, never
                # answered (WeChat shows no reply to it); its coordinates are the phone's GPS fix, WGS-84
                location = _location(data.get("Latitude"), data.get("Longitude"), None, Datum.WGS84)
                return Inbound(**common, report=location)
            return Inbound(**common)  # view, scan, template and mass-send reports: nothing to say
        msg_id = data.get("MsgId")
        if not isinstance(msg_id, str) or not msg_id.isdigit() or len(msg_id) > 24:
            raise BadCallback(400, "message without MsgId")
        common = dict(key=f"m:{msg_id}", openid=openid, account=account, kind=f"message {msg_type}")
        if msg_type == "text":
            text = data.get("Content")
            text = text if isinstance(text, str) else ""
            return Inbound(**common, request=Request(user=user, text=text, message_id=msg_id))
        recognised = data.get("Recognition")
        if msg_type == "voice" and isinstance(recognised, str) and recognised:
            # WeChat's speech recognition (where the account has it on): treat as typed text
            return Inbound(**common, request=Request(user=user, text=recognised, message_id=msg_id))
        if msg_type == "location":
            # a place the follower picked on WeChat's map (Tencent's), so GCJ-02
            label = data.get("Label")
            location = _location(data.get("Location_X"), data.get("Location_Y"), label if isinstance(label, str) else None, Datum.GCJ02)
            return Inbound(**common, request=Request(user=user, location=location, message_id=msg_id))
        return Inbound(**common, request=Request(user=user, command="help", message_id=msg_id))

    async def _keep_report(self, openid: str, location: Location) -> None:
        """Store an automatic location report; losing one is harmless (the next comes with the next visit)."""
        try:
            await self.ports.report_location(UserRef(CHANNEL, openid), location)
        except Exception as exc:  # the report answers success regardless: WeChat would only retry it
            logger.warning("could not keep a WeChat location report (%s)", type(exc).__name__)

    def _passive(self, inbound: Inbound, part: str, timestamp: str, nonce: str) -> web.Response:
        now = int(self.ports.clock.now().timestamp())
        reply = TextReply(source=inbound.account, target=inbound.openid, content=_cdata(part), time=now).render()
        if self.crypto is not None:
            reply = self.crypto.encrypt_message(reply, nonce, timestamp or str(now))
        return web.Response(text=reply, content_type="application/xml")

    # -- answering, once per callback --------------------------------------

    async def _answer(self, inbound: Inbound, deadline: float) -> _Answer | None:
        """The reply to ``inbound``: the first attempt works it out, retries wait for the same one."""
        entry = self._inflight.get(inbound.key)
        if entry is None:
            self._prune()
            entry = _Inflight(openid=inbound.openid)
            entry.task = asyncio.create_task(self._process(inbound, entry), name=f"wechat-{inbound.kind}")
            entry.task.add_done_callback(lambda _t, e=entry: self._expire(e))
            self._inflight[inbound.key] = entry
        task = entry.task
        assert task is not None
        if not task.done():
            await _until_done(task, deadline, self.ports.clock)
        if not task.done():
            # late: WeChat gets "success" now; the task pushes the reply when it has it
            entry.late = True
            logger.info("WeChat reply to %s is late; it will follow by customer-service message", inbound.kind)
            return None
        if task.exception() is not None:  # not even the apology could be worked out: logged, WeChat gets success
            self._inflight.pop(inbound.key, None)
            logger.error("WeChat callback %s failed", inbound.kind, exc_info=task.exception())
            return None
        answer = task.result()
        if not answer.late and len(answer.parts) > 1 and not entry.rest_pushed:
            entry.rest_pushed = True
            # after a pause, so the passive first part is shown before the rest
            await self._push(inbound, answer.parts[1:], after=REST_DELAY)
        return answer

    async def _process(self, inbound: Inbound, entry: _Inflight) -> _Answer:
        """Claim the callback, ask the core, store the reply; push it if the HTTP answer left without it."""
        ports = self.ports
        claim = await self.store.claim(inbound.key, inbound.openid, ports.clock.now(), opens_window=inbound.opens_window)
        if not claim.new:
            # handled before a restart: the same reply, no second effect
            if claim.parts is not None:
                return _Answer(list(claim.parts), late=claim.late)
            record = await ports.users.find(UserRef(CHANNEL, inbound.openid))
            with i18n.use(ports.locales.localizer(record)):
                return _Answer([_("Sorry, I was interrupted while answering that. Please send it again.")])
        try:
            answer = await self._ask_core(inbound)
            owner = answer.user.id if answer is not None and answer.user is not None else None
            replies = await documents_as_links(ports, answer.replies, owner=owner) if answer is not None else []
            if answer is not None and answer.user is not None and inbound.opens_window:
                replies = await self._with_held(answer, replies)
            parts = self._render(answer, replies)
            pictures = [r for r in replies if isinstance(r, Image)]
            if pictures:
                # the passive reply carries text only: the pictures follow as image messages
                await self._push(inbound, pictures, key="wechat-media")
        except Exception:
            # a fault of ours (the core turns handler errors into replies, so this is the database or the
            # platform): the follower is told, now or by push, and WeChat's retries get the same words
            logger.exception("answering a WeChat %s failed", inbound.kind)
            parts = await self._apology(inbound)
        # cancelled (shutdown): the claim stays, since the effect may have happened; a retry asks to send again
        # no await between reading entry.late and returning: the HTTP side sets it when it gives up waiting
        late = entry.late and bool(parts)
        self.store.answered(inbound.key, parts, late=late)
        if late:
            await self._push(inbound, parts)
        return _Answer(parts, late=late)

    async def _apology(self, inbound: Inbound) -> list[str]:
        """ "Something went wrong" in the follower's language (the event's, if even that cannot be read)."""
        record = None
        with contextlib.suppress(Exception):
            record = await self.ports.users.find(UserRef(CHANNEL, inbound.openid))
        with i18n.use(self.ports.locales.localizer(record)):
            return [_("Sorry, something went wrong on my side. Please try again in a moment.")]

    async def _ask_core(self, inbound: Inbound) -> Answer | None:
        ports = self.ports
        user = UserRef(CHANNEL, inbound.openid)
        if inbound.unsubscribe:
            await ports.users.set_active(user, False)
            return None
        if inbound.welcome:
            return await ports.answer(Request(
                user=user, command="start", args=inbound.scene, language_hint=await self._language(inbound.openid)))
        assert inbound.request is not None
        return await ports.answer(inbound.request)

    async def _with_held(self, answer: Answer, replies: list[Reply]) -> list[Reply]:
        """Pushes held while the follower's window was closed go at the top of this reply (which costs no quota)."""
        assert answer.user is not None
        held = await self.ports.push.outbox.take_held(answer.user.id, self.ports.clock.now())
        if not held:
            return replies
        kept = [r for item in held for r in item.replies if not (isinstance(r, Text) and r.transient)]
        with i18n.use(answer.localizer):
            header = i18n.ngettext(
                "{count} update while you were away:", "{count} updates while you were away:", len(held)
            ).format(count=len(held))
        logger.info("%d held push(es) delivered at the top of a reply", len(held))
        return [Text(header), *await documents_as_links(self.ports, kept, owner=answer.user.id), *replies]

    async def _language(self, openid: str) -> str | None:
        """The new follower's WeChat language, where the API tells it; else None (the event's default)."""
        try:
            return await self.api.user_language(openid)
        except (WeChatAPIError, WeChatUnavailable) as exc:
            logger.info("no WeChat language for a new follower: %s", exc)
            return None

    @staticmethod
    def _render(answer: Answer | None, replies: Sequence[Reply]) -> list[str]:
        """The answer as text parts, in the language the core answered in."""
        if answer is None or not replies:
            return []
        with i18n.use(answer.localizer):
            return render_parts(replies)

    async def _push(
        self, inbound: Inbound, parts: Sequence[str | Reply], after: dt.timedelta | None = None, key: str = "wechat-reply"
    ) -> None:
        """Parts of a reply (texts, pictures) by customer-service message, through the outbox (once per callback)."""
        record = await self.ports.users.find(UserRef(CHANNEL, inbound.openid))
        if record is None:
            return
        at = self.ports.clock.now() + after if after else None
        replies = [Text(p) if isinstance(p, str) else p for p in parts]
        await self.ports.push.push(
            record.id, CHANNEL, replies, at=at, dedupe_key=f"{key}:{inbound.key}", priority=Priority.DIRECT
        )

    def _expire(self, entry: _Inflight) -> None:
        entry.expires = self.ports.clock.now().timestamp() + INFLIGHT_TTL

    def _prune(self) -> None:
        now = self.ports.clock.now().timestamp()
        while self._inflight:
            key, oldest = next(iter(self._inflight.items()))
            if oldest.expires > now:
                break
            del self._inflight[key]


async def _until_done(task: asyncio.Task[Any], timeout: float, clock: Clock) -> None:
    """Wait until ``task`` is done or ``timeout`` seconds have passed on ``clock``, never cancelling it.

    What ``asyncio.wait((task,), timeout=...)`` does, with one future, one
    callback and one timer instead of wait's sets, counters and clean-up: it
    runs for every callback, and this alone was ~15% of the channel's cost.
    The timer is the clock's, so a test moves the deadline past by advancing
    its clock instead of waiting.
    """
    loop = asyncio.get_running_loop()
    woken = loop.create_future()

    def wake(_: object = None) -> None:
        if not woken.done():
            woken.set_result(None)

    task.add_done_callback(wake)
    timer = clock.call_later(timeout, wake)
    try:
        await woken
    finally:
        timer.cancel()
        task.remove_done_callback(wake)


def _location(lat: object, lon: object, label: str | None, datum: Datum) -> Location:
    try:
        latitude, longitude = float(str(lat)), float(str(lon))
    except ValueError as exc:
        raise BadCallback(400, "unreadable location") from exc
    if not (math.isfinite(latitude) and math.isfinite(longitude) and -90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise BadCallback(400, "location out of range")
    return Location(latitude, longitude, label, datum)


def build_channel(ports: ChannelPorts, web_app: web.Application) -> WeChatChannel | None:
    """The WeChat channel with its ``/wechat`` route, or None unless token, AppID and secret are set."""
    s = ports.settings
    if not (s.wechat_token and s.wechat_appid and s.wechat_secret):
        return None
    channel = WeChatChannel(
        ports,
        token=s.wechat_token,
        appid=s.wechat_appid,
        secret=s.wechat_secret,
        aes_key=s.wechat_aes_key,
        api_url=s.wechat_api_url,
        template_id=s.wechat_template_id,
    )
    channel.add_routes(web_app)
    return channel
