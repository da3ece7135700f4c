"""Email: SendGrid when ``SENDGRID_API_KEY`` is set, else the console/outbox."""

from __future__ import annotations

import json
import logging
import uuid

from django.conf import settings
from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Mail

from .base import (
    OutcomeUnknownError,
    OutgoingMessage,
    SendResult,
    TransientError,
    http_error,
    retry_after_seconds,
)
from .outbox import outbox_record


class _DropHeaders(logging.Filter):
    """python_http_client logs request headers, API key included, at DEBUG: drop them."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("HEADERS")


logging.getLogger("python_http_client.client").addFilter(_DropHeaders())


class ConsoleEmail:
    def send(self, message: OutgoingMessage) -> SendResult:
        outbox_record(channel="email", message=message)
        return SendResult(provider_id=f"console-{uuid.uuid4().hex[:12]}")


class SendGridEmail:
    """``POST /v3/mail/send`` (202). The SDK uses urllib; tests give it a local host."""

    def __init__(self) -> None:
        config = settings.NOTIFICATIONS
        self._api_key = settings.SENDGRID_API_KEY
        self._host = config["SENDGRID_HOST"]
        self._from = config["EMAIL_FROM"]
        self._timeout = config["HTTP_TIMEOUT_SECONDS"]

    def send(self, message: OutgoingMessage) -> SendResult:
        client = SendGridAPIClient(api_key=self._api_key, host=self._host)
        client.client.timeout = self._timeout
        mail = Mail(
            from_email=self._from,
            to_emails=message.to,
            subject=message.subject,
            plain_text_content=message.body,
        )
        try:
            response = client.send(mail)
        except HTTPError as exc:
            headers = exc.headers or {}
            raise http_error(
                exc.status_code,
                f"SendGrid HTTP {exc.status_code}: {_first_error(exc.body)}",
                retry_after=retry_after_seconds(headers.get("Retry-After")),
            ) from None
        except TimeoutError:  # urllib: connected and sent, then no answer in time
            raise OutcomeUnknownError("SendGrid") from None
        except OSError as exc:  # URLError (refused, DNS, connect timeout) and the like
            raise TransientError(f"SendGrid unreachable ({type(exc).__name__})") from None
        return SendResult(provider_id=str(response.headers.get("X-Message-Id", "")))


def _first_error(body: bytes | str | None) -> str:
    """SendGrid answers ``{"errors": [{"message": ..., "field": ...}]}``."""
    try:
        errors = json.loads(body or b"{}").get("errors") or []
        return str(errors[0].get("message", "request rejected"))[:200]
    except (ValueError, AttributeError, IndexError, TypeError):
        return "request rejected"
