"""Local fake SendGrid, Twilio and webhook receivers: threaded ``http.server`` on 127.0.0.1.

Each fake answers from a script of responses (then its default) and records every
request, so a test can assert exactly how many sends reached the "provider".
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

Reply = tuple[int, dict[str, str], bytes]


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
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
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                record = Recorded("POST", self.path, dict(self.headers), self.rfile.read(length))
                fake.requests.append(record)
                status, headers, body = fake.script.popleft() if fake.script else fake.reply(record)
                time.sleep(fake.delay)
                self.send_response(status)
                for key, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def reply(self, record: Recorded) -> Reply:
        return 200, {}, b"{}"

    def then(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        """Script the next response."""
        raw = body if isinstance(body, bytes) else json.dumps(body or {}).encode()
        self.script.append((status, headers or {}, raw))

    def start(self) -> FakeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


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
