"""SMS: Twilio when ``TWILIO_ACCOUNT_SID``/``TWILIO_AUTH_TOKEN``/``TWILIO_FROM`` are set."""

from __future__ import annotations

import uuid

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from .base import OutcomeUnknownError, OutgoingMessage, SendResult, TransientError, http_error
from .outbox import outbox_record


class ConsoleSMS:
    def send(self, message: OutgoingMessage) -> SendResult:
        outbox_record(channel="sms", message=message)
        return SendResult(provider_id=f"console-{uuid.uuid4().hex[:12]}")


class TwilioSMS:
    """``POST /2010-04-01/Accounts/{SID}/Messages.json`` (201 with ``sid``, ``status``)."""

    def __init__(self) -> None:
        config = settings.NOTIFICATIONS
        self._sid = settings.TWILIO_ACCOUNT_SID
        self._token = settings.TWILIO_AUTH_TOKEN
        self._from = settings.TWILIO_FROM
        self._base_url = config["TWILIO_BASE_URL"]
        self._timeout = config["HTTP_TIMEOUT_SECONDS"]

    def _client(self) -> Client:
        client = Client(self._sid, self._token, http_client=TwilioHttpClient(timeout=self._timeout))
        if self._base_url:
            client.api.base_url = self._base_url
        return client

    def send(self, message: OutgoingMessage) -> SendResult:
        try:
            sent = self._client().messages.create(
                to=message.to, from_=self._from, body=message.body
            )
        except TwilioRestException as exc:
            raise http_error(
                int(exc.status), f"Twilio HTTP {exc.status} (code {exc.code}): {exc.msg}"[:300]
            ) from None
        except requests.exceptions.ReadTimeout:
            raise OutcomeUnknownError("Twilio") from None
        except (requests.RequestException, TwilioException, OSError) as exc:
            raise TransientError(f"Twilio unreachable ({type(exc).__name__})") from None
        return SendResult(provider_id=str(sent.sid or ""))
