"""Webhooks: an HTTP POST of JSON, signed with HMAC-SHA256 over ``"<t>." + body``.

Header ``X-Algobacktester-Signature: t=<unix seconds>,v1=<hex digest>``; the
receiver recomputes the digest with its secret, compares in constant time and
rejects old timestamps (docs/notifications.md has a verification example).
Hosts that resolve to private, loopback or link-local addresses are refused
unless ``NOTIFICATIONS["WEBHOOK_ALLOW_PRIVATE_HOSTS"]`` is on (server-side
request forgery); redirects are never followed.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import time
from urllib.parse import urlsplit

import requests
from django.conf import settings

from ..crypto import signature_header
from .base import (
    OutcomeUnknownError,
    OutgoingMessage,
    PermanentError,
    SendResult,
    TransientError,
    http_error,
    retry_after_seconds,
)

SIGNATURE_HEADER = "X-Algobacktester-Signature"


def webhook_body(message: OutgoingMessage, *, timestamp: int) -> bytes:
    payload = {
        "id": f"delivery-{message.delivery_id}",
        "type": message.event_type,
        "created": timestamp,
        "subject": message.subject,
        "message": message.body,
        "data": message.data,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def host_is_private(host: str) -> bool:
    """True when ``host`` is, or resolves to, an address outside the public internet."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return False  # unresolvable: the POST fails on its own
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not address.is_global:
            return True
    return False


class HttpWebhook:
    def __init__(self) -> None:
        config = settings.NOTIFICATIONS
        self._timeout = config["HTTP_TIMEOUT_SECONDS"]
        self._allow_private = config["WEBHOOK_ALLOW_PRIVATE_HOSTS"]

    def send(self, message: OutgoingMessage) -> SendResult:
        host = urlsplit(message.to).hostname or ""
        if not self._allow_private and host_is_private(host):
            raise PermanentError("webhook host resolves to a private address")
        timestamp = int(time.time())
        body = webhook_body(message, timestamp=timestamp)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Algobacktester-Webhook/1",
            "X-Algobacktester-Event": message.event_type,
            "X-Algobacktester-Delivery": str(message.delivery_id),
            SIGNATURE_HEADER: signature_header(
                secret=message.secret, timestamp=timestamp, body=body
            ),
        }
        try:
            response = requests.post(
                message.to, data=body, headers=headers, timeout=self._timeout, allow_redirects=False
            )
        except requests.exceptions.ReadTimeout:
            raise OutcomeUnknownError("the webhook receiver") from None
        except requests.RequestException as exc:
            raise TransientError(f"webhook unreachable ({type(exc).__name__})") from None
        if 200 <= response.status_code < 300:
            return SendResult(provider_id=response.headers.get("X-Request-Id", "")[:100])
        if 300 <= response.status_code < 400:
            raise PermanentError(
                f"webhook answered HTTP {response.status_code}; redirects are not followed"
            )
        raise http_error(
            response.status_code,
            f"webhook answered HTTP {response.status_code}",
            retry_after=retry_after_seconds(response.headers.get("Retry-After")),
        )
