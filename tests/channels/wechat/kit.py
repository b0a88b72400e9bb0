"""Test helpers for the WeChat channel: a fake WeChat API and a follower that calls like WeChat does.

The fake API is a real aiohttp server on 127.0.0.1 (token, customer-service
and template messages, user info, menu); the follower builds callbacks the way
WeChat builds them: signed, and in safe mode encrypted with wechatpy's crypto.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import xmltodict
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from bot.app import Core
from bot.channels.wechat import WeChatChannel
from bot.service import PathOnlyAccessLogger

TOKEN = "test-token"
APPID = "wx0123456789abcdef"
SECRET = "test-secret"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
ACCOUNT = "gh_testaccount"


def sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def message_xml(openid: str, fields: dict[str, Any], account: str = ACCOUNT, created: int = 1749088800) -> str:
    """A callback body as WeChat writes it."""
    data = {"ToUserName": account, "FromUserName": openid, "CreateTime": str(created), **fields}
    return xmltodict.unparse({"xml": data}, full_document=False)


@dataclass
class FakeWeChatAPI:
    """The parts of api.weixin.qq.com the bot uses, recording what it was sent."""

    tokens_issued: int = 0
    expires_in: int = 7200
    sent: list[dict[str, Any]] = field(default_factory=list)
    templates: list[dict[str, Any]] = field(default_factory=list)
    menus: list[dict[str, Any]] = field(default_factory=list)
    qr_scenes: list[str] = field(default_factory=list)
    uploads: list[tuple[str, bytes]] = field(default_factory=list)
    tokens_seen: list[str] = field(default_factory=list)
    languages: dict[str, str] = field(default_factory=dict)
    #: errcodes to answer the next customer-service sends with, in order (0 = accept)
    send_errors: list[int] = field(default_factory=list)
    template_errors: list[int] = field(default_factory=list)
    #: tokens the fake has declared expired (answers 42001 for them)
    expired: set[str] = field(default_factory=set)
    url: str = ""
    _server: TestServer | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", self._custom)
        app.router.add_post("/cgi-bin/message/template/send", self._template)
        app.router.add_get("/cgi-bin/user/info", self._user_info)
        app.router.add_post("/cgi-bin/menu/create", self._menu)
        app.router.add_post("/cgi-bin/qrcode/create", self._qrcode)
        app.router.add_post("/cgi-bin/media/upload", self._upload)
        return app

    async def start(self) -> str:
        self._server = TestServer(self.app(), host="127.0.0.1")
        await self._server.start_server()
        self.url = str(self._server.make_url("")).rstrip("/")
        return self.url

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()

    def _check_token(self, request: web.Request) -> web.Response | None:
        token = request.query.get("access_token", "")
        self.tokens_seen.append(token)
        if not token.startswith("token-"):
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        if token in self.expired:
            return web.json_response({"errcode": 42001, "errmsg": "access_token expired"})
        return None

    async def _token(self, request: web.Request) -> web.Response:
        if request.query.get("appid") != APPID or request.query.get("secret") != SECRET:
            return web.json_response({"errcode": 40125, "errmsg": "invalid appsecret"})
        self.tokens_issued += 1
        return web.json_response({"access_token": f"token-{self.tokens_issued}", "expires_in": self.expires_in})

    async def _custom(self, request: web.Request) -> web.Response:
        refused = self._check_token(request)
        if refused is not None:
            return refused
        body = await request.json()
        code = self.send_errors.pop(0) if self.send_errors else 0
        if code:
            return web.json_response({"errcode": code, "errmsg": "refused by the fake"})
        self.sent.append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _template(self, request: web.Request) -> web.Response:
        refused = self._check_token(request)
        if refused is not None:
            return refused
        body = await request.json()
        code = self.template_errors.pop(0) if self.template_errors else 0
        if code:
            return web.json_response({"errcode": code, "errmsg": "refused by the fake"})
        self.templates.append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": 1})

    async def _user_info(self, request: web.Request) -> web.Response:
        refused = self._check_token(request)
        if refused is not None:
            return refused
        openid = request.query.get("openid", "")
        info: dict[str, Any] = {"subscribe": 1, "openid": openid}
        if openid in self.languages:
            info["language"] = self.languages[openid]
        return web.json_response(info)

    async def _upload(self, request: web.Request) -> web.Response:
        """Temporary media: a multipart ``media`` field; answers a media_id."""
        refused = self._check_token(request)
        if refused is not None:
            return refused
        if request.query.get("type") not in {"image", "voice", "video", "thumb"}:
            return web.json_response({"errcode": 40004, "errmsg": "invalid media type"})
        form = await request.post()
        media = form.get("media")
        if not isinstance(media, web.FileField):
            return web.json_response({"errcode": 41005, "errmsg": "media data missing"})
        data = media.file.read()
        self.uploads.append((media.filename, data))
        return web.json_response({"type": request.query["type"], "media_id": f"media-{len(self.uploads)}", "created_at": 1749088800})

    async def _qrcode(self, request: web.Request) -> web.Response:
        """A temporary parametrised QR code, as WeChat answers (the scene is kept, to be scanned later)."""
        refused = self._check_token(request)
        if refused is not None:
            return refused
        body = await request.json()
        scene = body.get("action_info", {}).get("scene", {}).get("scene_str")
        if body.get("action_name") != "QR_STR_SCENE" or not isinstance(scene, str) or not 1 <= len(scene) <= 64:
            return web.json_response({"errcode": 40097, "errmsg": "invalid args"})
        seconds = int(body.get("expire_seconds") or 30)
        if not 60 <= seconds <= 2592000:
            return web.json_response({"errcode": 40097, "errmsg": "invalid expire_seconds"})
        self.qr_scenes.append(scene)
        ticket = f"ticket-{len(self.qr_scenes)}"
        return web.json_response({"ticket": ticket, "expire_seconds": seconds, "url": f"http://weixin.qq.com/q/{ticket}"})

    async def _menu(self, request: web.Request) -> web.Response:
        refused = self._check_token(request)
        if refused is not None:
            return refused
        self.menus.append(await request.json())
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    def texts_to(self, openid: str) -> list[str]:
        return [m["text"]["content"] for m in self.sent if m["touser"] == openid and m["msgtype"] == "text"]

    def images_to(self, openid: str) -> list[str]:
        return [m["image"]["media_id"] for m in self.sent if m["touser"] == openid and m["msgtype"] == "image"]


_msg_ids = itertools.count(7_000_000_000_000_000_000)


@dataclass
class Callback:
    """What the bot answered: status, the raw body and (for a passive reply) its text."""

    status: int
    body: str
    text: str | None = None


@dataclass
class Follower:
    """One WeChat follower calling the bot's ``/wechat`` like WeChat does."""

    client: TestClient
    openid: str = "o_alice"
    safe: bool = True
    token: str = TOKEN
    aes_key: str = AES_KEY
    appid: str = APPID
    crypto_appid: str | None = None  # encrypt for another AppID
    sent_ids: list[str] = field(default_factory=list)
    _nonces: Any = field(default_factory=lambda: itertools.count(100000))
    created: int = 1749088800
    clock: Any = None
    """The bot's clock: WeChat signs the time it calls (the bot refuses a stale one); else 2025-06-05 10:00."""

    def _crypto(self) -> WeChatCrypto:
        return WeChatCrypto(self.token, self.aes_key, self.crypto_appid or self.appid)

    def signed_query(self, body: str | None = None, *, timestamp: str | None = None) -> tuple[dict[str, str], str | None]:
        if timestamp is None:
            timestamp = str(int(self.clock.now().timestamp())) if self.clock is not None else "1749088800"
        nonce = str(next(self._nonces))
        query = {"signature": sign(self.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce, "openid": self.openid}
        if body is None or not self.safe:
            return query, body
        encrypted = xmltodict.parse(self._crypto().encrypt_message(body, nonce, timestamp))["xml"]
        query.update(encrypt_type="aes", msg_signature=encrypted["MsgSignature"])
        outer = message_xml(self.openid, {"Encrypt": encrypted["Encrypt"]})
        return query, outer

    async def post_raw(self, query: dict[str, str], body: str | bytes) -> Callback:
        resp = await self.client.post("/wechat", params=query, data=body, headers={"Content-Type": "text/xml"})
        text = await resp.text()
        return Callback(resp.status, text, self._reply_text(text) if resp.status == 200 else None)

    def _reply_text(self, body: str) -> str | None:
        if not body or body == "success":
            return None
        if self.safe:
            outer = xmltodict.parse(body)["xml"]
            body = self._crypto().decrypt_message(outer, outer["MsgSignature"], outer["TimeStamp"], outer["Nonce"])
        reply = xmltodict.parse(body)["xml"]
        assert reply["MsgType"] == "text"
        assert reply["ToUserName"] == self.openid
        return reply["Content"]

    async def send(self, fields: dict[str, Any], *, msg_id: str | None = None) -> Callback:
        if "MsgType" in fields and fields["MsgType"] != "event" and "MsgId" not in fields:
            fields = {**fields, "MsgId": msg_id or str(next(_msg_ids))}
        self.created += 1
        query, body = self.signed_query(message_xml(self.openid, fields, created=self.created))
        assert body is not None
        return await self.post_raw(query, body)

    async def say(self, text: str, *, msg_id: str | None = None) -> Callback:
        return await self.send({"MsgType": "text", "Content": text}, msg_id=msg_id)

    async def event(self, event: str, **fields: str) -> Callback:
        return await self.send({"MsgType": "event", "Event": event, **fields})


@dataclass
class Rig:
    """A WeChat channel around the test core, served on 127.0.0.1, and the fake API it pushes to."""

    core: Core
    channel: WeChatChannel
    client: TestClient
    api: FakeWeChatAPI

    def follower(self, openid: str = "o_alice", **kwargs: Any) -> Follower:
        kwargs.setdefault("clock", self.core.clock)
        return Follower(self.client, openid=openid, safe=self.channel.crypto is not None, **kwargs)

    async def settle(self) -> None:
        """Wait for replies still being worked out, then deliver what they pushed."""
        pending = [e.task for e in self.channel._inflight.values() if e.task is not None and not e.task.done()]
        if pending:
            await asyncio.wait(pending)
        await self.core.push.drain()


@contextlib.asynccontextmanager
async def wechat_rig(core: Core, api: FakeWeChatAPI, *, safe: bool = True, **options: Any) -> AsyncIterator[Rig]:
    """The channel as ``delegate-bot run`` serves it (same body limit), for one test."""
    params: dict[str, Any] = dict(token=TOKEN, appid=APPID, secret=SECRET, aes_key=AES_KEY if safe else None, api_url=api.url)
    channel = WeChatChannel(core.ports(), **{**params, **options})
    app = web.Application(client_max_size=64 * 1024)
    channel.add_routes(app)
    # the access log as ``delegate-bot run`` writes it: the path, never the query (it holds the openid)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server(access_log_class=PathOnlyAccessLogger)
    client = TestClient(server)
    await client.start_server()
    try:
        yield Rig(core, channel, client, api)
    finally:
        await client.close()
        await channel.stop()
