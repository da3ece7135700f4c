"""Fixtures: fakes of the providers, provider settings pointing at them, helpers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from notifications.channels.outbox import outbox_clear

from .fakes import FakeSendGrid, FakeTwilio, FakeWebhookReceiver
from .support import CANARY, SID, override


@pytest.fixture(autouse=True)
def _clean_outbox() -> Iterator[None]:
    outbox_clear()
    yield
    outbox_clear()


@pytest.fixture
def notif_settings(settings: Any) -> Any:
    """Console email/SMS, push to the outbox, no backoff waits; each test edits a copy."""
    override(
        settings,
        BACKENDS={
            "email": "notifications.channels.email.ConsoleEmail",
            "sms": "notifications.channels.sms.ConsoleSMS",
            "push": "notifications.channels.push.ConsolePush",
        },
        RETRY_BACKOFF_SECONDS=1,
        RETRY_BACKOFF_MAX_SECONDS=4,
        MAX_RETRIES=2,
        HTTP_TIMEOUT_SECONDS=5,
    )
    return settings


@pytest.fixture
def fake_sendgrid(notif_settings: Any) -> Iterator[FakeSendGrid]:
    fake = FakeSendGrid().start()
    notif_settings.SENDGRID_API_KEY = CANARY
    override(
        notif_settings,
        BACKENDS={"email": "notifications.channels.email.SendGridEmail"},
        SENDGRID_HOST=fake.url,
    )
    yield fake
    fake.stop()


@pytest.fixture
def fake_twilio(notif_settings: Any) -> Iterator[FakeTwilio]:
    fake = FakeTwilio().start()
    notif_settings.TWILIO_ACCOUNT_SID = SID
    notif_settings.TWILIO_AUTH_TOKEN = CANARY
    notif_settings.TWILIO_FROM = "+15005550006"
    override(
        notif_settings,
        BACKENDS={"sms": "notifications.channels.sms.TwilioSMS"},
        TWILIO_BASE_URL=fake.url,
    )
    yield fake
    fake.stop()


@pytest.fixture
def fake_webhook(notif_settings: Any) -> Iterator[FakeWebhookReceiver]:
    fake = FakeWebhookReceiver().start()
    override(notif_settings, WEBHOOK_ALLOW_PRIVATE_HOSTS=True)
    yield fake
    fake.stop()
