"""``/ws/``: one authenticated socket per client, delivering only the user's events.

Authentication is by JWT access token, either in the subprotocol list
(``["bearer", "<token>"]``) or in a first message ``{"type": "auth", "token": ...}``
sent within ``AUTH_TIMEOUT`` seconds; never in the query string, which ends up
in access logs. The Origin header, when a browser sends one, must be allowed:
CORS does not protect WebSockets.
"""

from __future__ import annotations

import asyncio
import time
from datetime import tzinfo
from typing import Any
from urllib.parse import urlsplit

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken

from .accounts.tokens import session_of
from .api.timezones import local_iso, user_zone
from .events import user_group

AUTH_TIMEOUT = 10.0
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN_ORIGIN = 4403
SUBPROTOCOL = "bearer"


def origin_allowed(headers: list[tuple[bytes, bytes]]) -> bool:
    """No Origin (not a browser), the page's own origin, or one configured as allowed."""
    found = dict(headers)
    origin = found.get(b"origin")
    if origin is None:  # not a browser: no cross-site request is possible
        return True
    origin_text = origin.decode("latin-1").rstrip("/")
    host = found.get(b"host", b"").decode("latin-1")
    if host and urlsplit(origin_text).netloc == host:  # same origin as the page that opened it
        return True
    return origin_text in {o.rstrip("/") for o in settings.WEBSOCKET_ALLOWED_ORIGINS}


@database_sync_to_async
def _user_for(raw: str) -> tuple[int, float, str | None, tzinfo]:
    """Validate an access token; return (user id, expiry epoch, session id, zone) or raise."""
    from .accounts.authentication import JWTAuthentication

    try:
        token = AccessToken(raw)
    except TokenError as exc:
        raise AuthenticationFailed(str(exc)) from exc
    user = JWTAuthentication().get_user(token)
    if not user.is_active:
        raise AuthenticationFailed("User is inactive.")
    return user.pk, float(token["exp"]), session_of(token), user_zone(user)


class EventsConsumer(AsyncJsonWebsocketConsumer):
    user_id: int | None = None
    expires_at: float = 0.0
    sid: str | None = None
    zone: tzinfo | None = None  # event times are shown in the user's zone, like the REST API
    _auth_timer: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        if not origin_allowed(self.scope.get("headers", [])):
            await self.close(code=CLOSE_FORBIDDEN_ORIGIN)
            return
        protocols = self.scope.get("subprotocols") or []
        if len(protocols) >= 2 and protocols[0] == SUBPROTOCOL:
            await self.accept(subprotocol=SUBPROTOCOL)
            await self._authenticate(protocols[1])
            return
        await self.accept()
        self._auth_timer = asyncio.create_task(self._close_if_silent())

    async def _close_if_silent(self) -> None:
        await asyncio.sleep(AUTH_TIMEOUT)
        if self.user_id is None:
            await self._refuse("authentication timed out")

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "auth" and isinstance(content.get("token"), str):
            await self._authenticate(content["token"])
        elif self.user_id is None:
            await self._refuse('send {"type": "auth", "token": <access token>} first')
        elif kind == "ping":
            await self.send_json({"type": "pong", "ts": time.time()})
        else:
            await self.send_json({"type": "error", "detail": f"unknown message type {kind!r}"})

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        try:
            await super().receive(text_data=text_data, bytes_data=bytes_data, **kwargs)
        except ValueError:  # not JSON
            await self.send_json({"type": "error", "detail": "messages must be JSON objects"})

    async def _authenticate(self, raw: str) -> None:
        try:
            user_id, expires_at, sid, zone = await _user_for(raw)
        except AuthenticationFailed as exc:
            await self._refuse(f"token: {exc.detail}")
            return
        if self.user_id is not None and self.user_id != user_id:
            await self._refuse("token: belongs to another user than this connection's")
            return
        if self.user_id is None:
            await self.channel_layer.group_add(user_group(user_id), self.channel_name)
        self.user_id, self.expires_at, self.sid, self.zone = user_id, expires_at, sid, zone
        await self.send_json({"type": "auth.ok", "user": user_id, "expires_at": expires_at})

    async def _refuse(self, detail: str) -> None:
        await self.send_json({"type": "error", "detail": detail})
        await self.close(code=CLOSE_UNAUTHORIZED)

    async def event_message(self, message: dict[str, Any]) -> None:
        # A socket outliving its token must re-authenticate before it hears more.
        if time.time() >= self.expires_at:
            await self._refuse("token: expired; send a fresh access token")
            return
        event = message["event"]
        if isinstance(event.get("ts"), str):
            event = {**event, "ts": local_iso(event["ts"], self.zone)}
        await self.send_json({"type": "event", "event": event})

    async def session_revoked(self, message: dict[str, Any]) -> None:
        """A logout: of this socket's login (its sid) or of all the user's logins (None)."""
        if message.get("sid") in (None, self.sid):
            await self._refuse("token: revoked by a logout")

    async def disconnect(self, code: int) -> None:
        if self._auth_timer is not None:
            self._auth_timer.cancel()
        if self.user_id is not None:
            await self.channel_layer.group_discard(user_group(self.user_id), self.channel_name)
