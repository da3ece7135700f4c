"""Request bodies are refused above a size before anything reads them (OWASP API4).

Django checks ``DATA_UPLOAD_MAX_MEMORY_SIZE`` only when ``request.body`` is read and answers a
bare "Bad request.", and its ASGI handler first spools the whole body to disk, however large.
So the limit is applied twice, from the declared ``Content-Length``:

- ``asgi_body_limit`` wraps the ASGI app: an oversized request is answered 413 before one byte
  of its body is read, and a body streamed without a length is cut off at the limit;
- ``BodyLimitMiddleware`` answers the same 413 under WSGI and in tests.

Multipart uploads (market-data files) have their own, larger limit.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings
from django.http import JsonResponse

ASGIApp = Callable[
    [dict[str, Any], Callable[[], Awaitable[dict]], Callable[[dict], Awaitable[None]]],
    Awaitable[None],
]


def body_limit(content_type: str) -> int:
    if content_type.lower().startswith("multipart/"):
        return settings.UPLOAD_REQUEST_MAX_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def error_body(*, size: int | None, limit: int) -> dict[str, Any]:
    what = (
        f"The request body is {size:,} bytes"
        if size is not None
        else "The request body is too large"
    )
    message = f"{what}; at most {limit:,} bytes are accepted."
    problem = {"field": None, "message": message, "code": "request_too_large"}
    return {"detail": message, "code": "request_too_large", "errors": [problem]}


def _length(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None  # Django and the server refuse a malformed length themselves


class BodyLimitMiddleware:
    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        size = _length(request.META.get("CONTENT_LENGTH"))
        limit = body_limit(request.META.get("CONTENT_TYPE", ""))
        if size is not None and size > limit:
            return JsonResponse(error_body(size=size, limit=limit), status=413)
        return self.get_response(request)


def asgi_body_limit(app: ASGIApp) -> ASGIApp:
    async def limited(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await app(scope, receive, send)
        headers = {k.decode("latin1").lower(): v.decode("latin1") for k, v in scope["headers"]}
        limit = body_limit(headers.get("content-type", ""))
        size = _length(headers.get("content-length"))
        if size is not None and size > limit:
            return await _refuse(send, error_body(size=size, limit=limit))
        return await app(scope, _counting(receive, limit), send)

    return limited


def _counting(receive: Any, limit: int) -> Any:
    """A body without a declared length is read up to ``limit``; past it the client is
    treated as gone, so the handler stops reading (and answers nothing)."""
    seen = 0

    async def counted() -> dict:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                return {"type": "http.disconnect"}
        return message

    return counted


async def _refuse(send: Any, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
