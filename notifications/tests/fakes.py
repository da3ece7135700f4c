"""Local fake SendGrid, Twilio and webhook receivers on 127.0.0.1 (pytest-httpserver).

Each fake answers from a script of responses (then its default) and records every
request, so a test can assert exactly how many sends reached the "provider".
``delay`` holds a reply after the request was taken (the provider accepted it, the answer is
lost to the client's timeout); ``stop()`` releases a held reply at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response
from werkzeug.datastructures import Headers

Reply = tuple[int, dict[str, str], bytes]

logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log lines in test output


@dataclass
class Recorded:
    method: str
    path: str
    headers: Headers  # case-insensitive, as HTTP header names are
    body: bytes
    extra: dict[str, Any] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


class FakeServer:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.script: deque[Reply] = deque()
        self.delay = 0.0  # seconds to hold the answer: the request is taken, the reply is late
        self._released = threading.Event()
        self._server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self._server.expect_request(re.compile("/.*"), method="POST").respond_with_handler(
            self._answer
        )

    def _answer(self, request: Request) -> Response:
        record = Recorded("POST", request.path, Headers(request.headers), request.get_data())
        self.requests.append(record)
        status, headers, body = self.script.popleft() if self.script else self.reply(record)
        self._released.wait(self.delay)
        return Response(body, status, {"Content-Type": "application/json", **headers})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.port}"

    def reply(self, record: Recorded) -> Reply:
        return 200, {}, b"{}"

    def then(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        """Script the next response."""
        raw = body if isinstance(body, bytes) else json.dumps(body or {}).encode()
        self.script.append((status, headers or {}, raw))

    def start(self) -> FakeServer:
        self._server.start()
        return self

    def stop(self) -> None:
        self._released.set()
        self._server.stop()
        self._server.check_assertions()  # a request no handler matched fails the test


class FakeSendGrid(FakeServer):
    """``POST /v3/mail/send`` → 202 with an ``X-Message-Id``."""

    def reply(self, record: Recorded) -> Reply:
        if record.path != "/v3/mail/send":
            return 404, {}, b'{"errors": [{"message": "not found"}]}'
        return 202, {"X-Message-Id": f"sg-{len(self.requests)}"}, b""


class FakeTwilio(FakeServer):
    """``POST /2010-04-01/Accounts/{SID}/Messages.json`` → 201 with ``sid`` and ``status``."""

    def reply(self, record: Recorded) -> Reply:
        if not record.path.startswith("/2010-04-01/Accounts/") or not record.path.endswith(
            "/Messages.json"
        ):
            return 404, {}, b'{"code": 20404, "message": "not found", "status": 404}'
        form = record.form()
        body = {
            "sid": f"SM{len(self.requests):032d}",
            "status": "queued",
            "to": form.get("To"),
            "from": form.get("From"),
            "body": form.get("Body"),
        }
        return 201, {}, json.dumps(body).encode()

    @staticmethod
    def invalid_number() -> dict[str, Any]:
        return {
            "code": 21211,
            "message": "Invalid 'To' Phone Number",
            "more_info": "https://www.twilio.com/docs/errors/21211",
            "status": 400,
        }


class FakeWebhookReceiver(FakeServer):
    """Verifies ``X-Algobacktester-Signature`` with ``secret``; 401 when it does not match."""

    secret = ""

    def reply(self, record: Recorded) -> Reply:
        record.extra["verified"] = verify_signature(
            secret=self.secret,
            header=record.headers.get("X-Algobacktester-Signature", ""),
            body=record.body,
        )
        return (204, {}, b"") if record.extra["verified"] else (401, {}, b"{}")


def verify_signature(*, secret: str, header: str, body: bytes) -> bool:
    """What a receiver does (docs/notifications.md)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        expected = hmac.new(
            secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256
        ).hexdigest()
    except (KeyError, ValueError):
        return False
    return hmac.compare_digest(expected, parts.get("v1", ""))
