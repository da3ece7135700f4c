"""Limits before work: oversized bodies are refused unread with the error shape; page sizes
are capped."""

from __future__ import annotations

import asyncio
import json

import pytest
from django.conf import settings
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from algobacktester.api.pagination import PageNumberPagination
from algobacktester.bodylimit import asgi_body_limit, body_limit

MIB = 1024 * 1024


def test_the_json_limit_is_explicit_and_sane() -> None:
    assert 256 * 1024 <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 10 * MIB
    assert body_limit("application/json") == settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert body_limit("multipart/form-data; boundary=x") > settings.MARKETDATA["UPLOAD_MAX_BYTES"]


@pytest.mark.django_db
def test_an_oversized_json_body_is_413_with_the_error_shape() -> None:
    body = json.dumps({"email": "a@example.com", "password": "x" * (3 * MIB)})
    response = APIClient().post("/api/auth/login", body, content_type="application/json")
    assert response.status_code == 413
    data = response.json()
    assert data["code"] == "request_too_large"
    assert data["errors"] == [
        {"field": None, "message": data["detail"], "code": "request_too_large"}
    ]
    assert f"at most {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes" in data["detail"]


def _serve(headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> tuple[list[dict], list]:
    """Run the wrapped ASGI app once; return what was sent and what the app read."""
    read: list = []
    sent: list[dict] = []
    queue = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]

    async def app(scope, receive, send) -> None:
        while True:
            message = await receive()
            read.append(message)
            if message["type"] == "http.disconnect" or not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def receive() -> dict:
        return queue.pop(0)

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/strategies", "headers": headers}
    asyncio.run(asgi_body_limit(app)(scope, receive, send))
    return sent, read


def test_asgi_refuses_a_declared_oversize_before_reading_it() -> None:
    size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1
    sent, read = _serve(
        [(b"content-type", b"application/json"), (b"content-length", str(size).encode())],
        [b"x" * size],
    )
    assert read == []  # not one byte was read
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["code"] == "request_too_large"


def test_asgi_cuts_off_a_body_streamed_without_a_length() -> None:
    chunk = b"x" * MIB
    chunks = [chunk] * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE // MIB + 2)
    _, read = _serve([(b"content-type", b"application/json")], chunks)
    assert read[-1] == {"type": "http.disconnect"}
    assert len(read) < len(chunks)


def test_asgi_lets_a_market_data_upload_through() -> None:
    size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + MIB
    sent, read = _serve(
        [
            (b"content-type", b"multipart/form-data; boundary=x"),
            (b"content-length", str(size).encode()),
        ],
        [b"x" * size],
    )
    assert sent[0]["status"] == 200 and len(read) == 1


def test_page_size_is_capped() -> None:
    request = APIRequestFactory().get("/", {"page_size": str(10**12)})
    assert PageNumberPagination().get_page_size(Request(request)) == 200


@pytest.mark.django_db
def test_a_huge_page_size_or_page_is_answered_not_a_500(auth_client: APIClient) -> None:
    listed = auth_client.get("/api/backtest/sweeps", {"page_size": str(10**12)})
    assert listed.status_code == 200
    beyond = auth_client.get("/api/backtest/sweeps", {"page": str(10**20)})
    assert beyond.status_code == 404 and beyond.json()["code"] == "not_found"
