"""The WeChat Official Account HTTP API, as far as the bot uses it.

Direct async HTTP with one :class:`aiohttp.ClientSession` (every call has a
timeout), so pushes never block the event loop or a worker thread.  The access
token is fetched once and cached until shortly before it expires; an answer
saying it is invalid or expired (40001, 42001, 40014) drops it, and the call
is made once more with a fresh one.  ``base_url`` (``BOT_WECHAT_API_URL``)
replaces ``https://api.weixin.qq.com``, so tests talk to a fake on 127.0.0.1.

Secrets (the AppSecret, the token) travel in query strings, as the API wants;
URLs are therefore never logged.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode

import aiohttp

from bot.clock import Clock

logger = logging.getLogger(__name__)

DEFAULT_API_URL: Final = "https://api.weixin.qq.com"
#: Refresh the token this long before WeChat says it expires.
TOKEN_MARGIN: Final = dt.timedelta(minutes=5)
#: Error codes that mean "this access token is no good any more".
TOKEN_ERRORS: Final = frozenset({40001, 40014, 42001})
#: "response out of time limit": the 48-hour customer-service window is closed.
ERR_OUT_OF_WINDOW: Final = 45015
#: "out of response count limit": the window's customer-service quota is used up.
ERR_OUT_OF_QUOTA: Final = 45047
#: The recipient cannot be reached (not following, unknown or invalid openid).
UNREACHABLE_ERRORS: Final = frozenset({40003, 43004, 43019})
#: The account hit its daily quota for an API: try again much later.
ERR_DAILY_QUOTA: Final = 45009
#: WeChat is busy: try again.
ERR_BUSY: Final = -1


#: WeChat's temporary QR codes live at most 30 days.
MAX_QR_SECONDS: Final = 30 * 24 * 3600
SHOW_QR_URL: Final = "https://mp.weixin.qq.com/cgi-bin/showqrcode"


@dataclass(frozen=True)
class QrCode:
    """A parametrised QR code: what it encodes (``url``) and the ticket for WeChat's own image of it."""

    ticket: str
    url: str
    expires_in: dt.timedelta

    @property
    def image_url(self) -> str:
        return f"{SHOW_QR_URL}?{urlencode({'ticket': self.ticket})}"


class WeChatAPIError(Exception):
    """WeChat answered with a non-zero ``errcode``."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"errcode {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class WeChatUnavailable(Exception):
    """WeChat could not be reached, or answered with something that is not its JSON."""


class WeChatAPI:
    """Calls to ``/cgi-bin/...`` with a cached access token."""

    def __init__(
        self,
        appid: str,
        secret: str,
        clock: Clock,
        *,
        base_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.appid = appid
        self._secret = secret
        self.clock = clock
        self.base_url = (base_url or DEFAULT_API_URL).rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._token: str | None = None
        self._token_expires: dt.datetime | None = None
        self._token_lock = asyncio.Lock()
        self.token_fetches = 0
        self._closed = False
        self.on_contact: Callable[[str | None], None] | None = None
        """Told of every call: None when WeChat answered, else why not (for /healthz)."""

    async def close(self) -> None:
        """Close the HTTP session; later calls fail as :class:`WeChatUnavailable` (and are retried by the outbox)."""
        self._closed = True
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._closed:
            raise WeChatUnavailable("the WeChat API client is closed")
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def _request(
        self, method: str, path: str, params: dict[str, str], body: Any = None, timeout: float | None = None,
        form: aiohttp.FormData | None = None,
    ) -> dict[str, Any]:
        data: Any = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"} if data is not None else None
        if form is not None:
            data = form
        kwargs: dict[str, Any] = {}
        if timeout is not None:
            kwargs["timeout"] = aiohttp.ClientTimeout(total=timeout)
        try:
            async with self._http().request(method, self.base_url + path, params=params, data=data, headers=headers, **kwargs) as resp:
                raw = await resp.read()
                if resp.status >= 400:
                    self._contact(f"HTTP {resp.status}")
                    raise WeChatUnavailable(f"HTTP {resp.status} from {path}")
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            self._contact(type(exc).__name__)
            raise WeChatUnavailable(f"{type(exc).__name__} calling {path}") from exc
        self._contact(None)
        try:
            answer = json.loads(raw)
        except ValueError as exc:
            raise WeChatUnavailable(f"no JSON from {path}") from exc
        if not isinstance(answer, dict):
            raise WeChatUnavailable(f"unexpected JSON from {path}")
        code = int(answer.get("errcode") or 0)
        if code:
            raise WeChatAPIError(code, str(answer.get("errmsg", "")))
        return answer

    def _contact(self, failure: str | None) -> None:
        if self.on_contact is not None:
            self.on_contact(failure)

    async def access_token(self) -> str:
        """The cached token, fetched (once, however many callers wait) when missing or nearly expired."""
        async with self._token_lock:
            now = self.clock.now()
            if self._token is None or self._token_expires is None or now >= self._token_expires:
                try:
                    answer = await self._request(
                        "GET", "/cgi-bin/token",
                        {"grant_type": "client_credential", "appid": self.appid, "secret": self._secret},
                    )
                except WeChatAPIError as exc:
                    # a wrong secret or a server IP missing from the account's whitelist (40164):
                    # the operator can fix it, so callers retry rather than give up
                    logger.error("WeChat refused an access token for AppID %s: %s", self.appid, exc)
                    raise WeChatUnavailable(f"no access token ({exc})") from exc
                token = answer.get("access_token")
                if not isinstance(token, str) or not token:
                    raise WeChatUnavailable("no access_token in the token answer")
                lifetime = dt.timedelta(seconds=int(answer.get("expires_in") or 7200))
                self._token = token
                self._token_expires = now + max(lifetime - TOKEN_MARGIN, lifetime / 2)
                self.token_fetches += 1
                logger.info("fetched a WeChat access token (valid %s)", lifetime)
            return self._token

    def invalidate_token(self, token: str) -> None:
        """Forget ``token`` (unless another caller already replaced it)."""
        if self._token == token:
            self._token = None
            self._token_expires = None

    async def call(self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None, timeout: float | None = None) -> dict[str, Any]:
        """One API call with the access token; a stale token is refreshed and the call made once more."""
        for attempt in (1, 2):
            token = await self.access_token()
            try:
                return await self._request(method, path, {**(params or {}), "access_token": token}, body, timeout)
            except WeChatAPIError as exc:
                if exc.errcode in TOKEN_ERRORS and attempt == 1:
                    logger.info("WeChat refused the access token (errcode %s); fetching a new one", exc.errcode)
                    self.invalidate_token(token)
                    continue
                raise
        raise AssertionError("unreachable")

    async def send_text(self, openid: str, content: str) -> None:
        """A customer-service text message (only inside the 48-hour window)."""
        await self.call("POST", "/cgi-bin/message/custom/send", {"touser": openid, "msgtype": "text", "text": {"content": content}})

    async def upload_image(self, data: bytes, filename: str, mime_type: str = "image/png") -> str:
        """Upload a picture as temporary media (kept 3 days by WeChat); its ``media_id``."""
        for attempt in (1, 2):
            token = await self.access_token()
            form = aiohttp.FormData()
            form.add_field("media", data, filename=filename or "image.png", content_type=mime_type)
            try:
                answer = await self._request("POST", "/cgi-bin/media/upload", {"access_token": token, "type": "image"}, form=form)
            except WeChatAPIError as exc:
                if exc.errcode in TOKEN_ERRORS and attempt == 1:
                    self.invalidate_token(token)
                    continue
                raise
            media_id = answer.get("media_id")
            if not isinstance(media_id, str) or not media_id:
                raise WeChatUnavailable("no media_id in the upload answer")
            return media_id
        raise AssertionError("unreachable")

    async def send_image(self, openid: str, media_id: str) -> None:
        """A customer-service image message (only inside the 48-hour window)."""
        await self.call("POST", "/cgi-bin/message/custom/send", {"touser": openid, "msgtype": "image", "image": {"media_id": media_id}})

    async def send_template(self, openid: str, template_id: str, data: dict[str, str]) -> None:
        """A template message: allowed outside the window, with pre-approved wording."""
        await self.call(
            "POST", "/cgi-bin/message/template/send",
            {"touser": openid, "template_id": template_id, "data": {k: {"value": v} for k, v in data.items()}},
        )

    async def user_language(self, openid: str, timeout: float = 1.5) -> str | None:
        """The follower's WeChat language (``zh_CN``, ``en``...), or None where WeChat does not say."""
        answer = await self.call("GET", "/cgi-bin/user/info", params={"openid": openid, "lang": "zh_CN"}, timeout=timeout)
        language = answer.get("language")
        return language if isinstance(language, str) and language else None

    async def create_menu(self, menu: dict[str, Any]) -> None:
        await self.call("POST", "/cgi-bin/menu/create", menu)

    async def create_qr_scene(self, scene: str, lifetime: dt.timedelta) -> QrCode:
        """A temporary parametrised QR code (``QR_STR_SCENE``): scanning it tells the bot ``scene``.

        WeChat keeps such codes at most 30 days; ``scene`` is 1-64 characters.
        """
        seconds = max(60, min(int(lifetime.total_seconds()), MAX_QR_SECONDS))
        answer = await self.call("POST", "/cgi-bin/qrcode/create", {
            "expire_seconds": seconds, "action_name": "QR_STR_SCENE", "action_info": {"scene": {"scene_str": scene}},
        })
        ticket, url = answer.get("ticket"), answer.get("url")
        if not isinstance(ticket, str) or not isinstance(url, str):
            raise WeChatUnavailable("no ticket or url in the QR code answer")
        return QrCode(ticket=ticket, url=url, expires_in=dt.timedelta(seconds=int(answer.get("expire_seconds") or seconds)))
