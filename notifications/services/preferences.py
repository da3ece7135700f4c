"""Preferences (email, verified phone, channels per event type, webhook) and phone checks.

A verification code travels only in the SMS: the database keeps its HMAC, the
history keeps a redacted copy, and the code is never a task argument.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from algobacktester.errors import InvalidInput

from ..channels import OutgoingMessage, PermanentError, TransientError, backend_for
from ..constants import OPERATOR_EVENTS, PHONE_VERIFY, Channel, EventType, quota_reason
from ..crypto import code_generate, code_hash, code_matches, secret_encrypt, secret_generate
from ..errors import ProviderUnavailable, QuotaExceeded
from ..models import Delivery, NotificationPreference, PhoneVerification
from .deliveries import dedupe_key_for, quota_take

logger = logging.getLogger(__name__)


def preferences_get_or_create(*, user: Any) -> NotificationPreference:
    return NotificationPreference.objects.get_or_create(user=user)[0]


@transaction.atomic
def preferences_update(
    *, user: Any, data: Mapping[str, Any], rotate_webhook_secret: bool = False
) -> NotificationPreference:
    """Update ``email``, ``event_channels``, ``webhook_url``. A new webhook URL (or a
    rotation) issues a secret, returned once as ``prefs.new_webhook_secret``."""
    prefs = preferences_get_or_create(user=user)
    prefs = NotificationPreference.objects.select_for_update().get(pk=prefs.pk)
    if "email" in data:
        prefs.email = data["email"] or ""
    if "webhook_url" in data:
        prefs.webhook_url = data["webhook_url"] or ""
    if "event_channels" in data:
        merged = {**prefs.event_channels, **data["event_channels"]}
        _check_event_channels(merged, user=user, prefs=prefs)
        prefs.event_channels = merged
    elif "webhook_url" in data and not prefs.webhook_url:
        _check_event_channels(prefs.event_channels, user=user, prefs=prefs)
    secret = None
    if not prefs.webhook_url:
        prefs.webhook_secret = ""
    elif not prefs.webhook_secret or rotate_webhook_secret:
        secret = secret_generate()
        prefs.webhook_secret = secret_encrypt(secret)
    prefs.save()
    prefs.new_webhook_secret = secret  # type: ignore[attr-defined]
    return prefs


def _check_event_channels(
    value: Mapping[str, Any], *, user: Any, prefs: NotificationPreference
) -> None:
    for event_type, channels in value.items():
        field = f"event_channels.{event_type}"
        if event_type not in EventType.values:
            raise InvalidInput(
                {field: [f"unknown event type; one of {', '.join(EventType.values)}"]}
            )
        if event_type in OPERATOR_EVENTS and not user.is_staff:
            raise InvalidInput({field: ["this event type is for operators (staff) only"]})
        if not isinstance(channels, list) or any(c not in Channel.values for c in channels):
            raise InvalidInput({field: [f"a list of: {', '.join(Channel.values)} (may be empty)"]})
        if Channel.SMS in channels and not (prefs.phone and prefs.phone_verified_at):
            raise InvalidInput({field: ["sms needs a verified phone number"]})
        if Channel.WEBHOOK in channels and not prefs.webhook_url:
            raise InvalidInput({field: ["webhook needs a webhook_url"]})


def phone_verification_start(*, user: Any, phone: str) -> PhoneVerification:
    """Text a 6-digit code to ``phone``; it expires and allows a few attempts."""
    config = settings.NOTIFICATIONS
    since = timezone.now() - timedelta(hours=1)
    if (
        PhoneVerification.objects.filter(user=user, created_at__gte=since).count()
        >= config["PHONE_CODES_PER_HOUR"]
    ):
        raise QuotaExceeded({"phone": ["too many codes requested; try again in an hour"]})
    if not quota_take(user_id=user.pk, channel=Channel.SMS):
        raise QuotaExceeded({"phone": [quota_reason(Channel.SMS)]})
    code = code_generate()
    minutes = config["PHONE_CODE_TTL_SECONDS"] // 60
    text = "Your Algobacktester verification code is {code}. It expires in " + f"{minutes} minutes."
    record = Delivery.objects.create(
        owner=user,
        channel=Channel.SMS,
        event_type=PHONE_VERIFY,
        dedupe_key=dedupe_key_for(event_type=PHONE_VERIFY, key=timezone.now().isoformat()),
        subject="Phone verification",
        body=text.format(code="******"),
        destination=phone,
        status=Delivery.Status.SENDING,
        attempts=1,
        quota_counted=True,
    )
    message = OutgoingMessage(
        user_id=user.pk,
        delivery_id=record.pk,
        to=phone,
        subject="Phone verification",
        body=text.format(code=code),
        event_type=PHONE_VERIFY,
    )
    try:
        result = backend_for(Channel.SMS).send(message)
    except (TransientError, PermanentError) as exc:
        Delivery.objects.filter(pk=record.pk).update(
            status=Delivery.Status.FAILED, reason=exc.reason
        )
        if isinstance(exc, TransientError):
            raise ProviderUnavailable(
                {"phone": ["could not send the code now; try again shortly"]}
            ) from None
        raise InvalidInput(
            {"phone": [f"the SMS provider refused this number: {exc.reason}"]}
        ) from None
    Delivery.objects.filter(pk=record.pk).update(
        status=Delivery.Status.SENT, provider_id=result.provider_id[:100], sent_at=timezone.now()
    )
    verification = PhoneVerification(
        user=user, phone=phone, code_hash="", expires_at=timezone.now() + timedelta(minutes=minutes)
    )
    verification.save()
    verification.code_hash = code_hash(code=code, salt=str(verification.pk))
    verification.save(update_fields=["code_hash"])
    return verification


def phone_verification_confirm(*, user: Any, phone: str, code: str) -> NotificationPreference:
    """Check the code (attempts counted by a conditional UPDATE); on success the phone
    becomes the user's verified SMS number."""
    config = settings.NOTIFICATIONS
    now = timezone.now()
    verification = PhoneVerification.objects.filter(
        user=user, phone=phone, confirmed_at__isnull=True
    ).first()
    if verification is None:
        raise InvalidInput({"code": ["no code was sent to this number; request one first"]})
    if verification.expires_at <= now:
        raise InvalidInput({"code": ["the code has expired; request a new one"]})
    taken = PhoneVerification.objects.filter(
        pk=verification.pk,
        attempts__lt=config["PHONE_CODE_MAX_ATTEMPTS"],
        confirmed_at__isnull=True,
    ).update(attempts=F("attempts") + 1)
    if not taken:
        raise InvalidInput({"code": ["too many wrong codes; request a new one"]})
    if not code_matches(code=code, salt=str(verification.pk), hashed=verification.code_hash):
        raise InvalidInput({"code": ["the code is not correct"]})
    with transaction.atomic():
        if not PhoneVerification.objects.filter(
            pk=verification.pk, confirmed_at__isnull=True
        ).update(confirmed_at=now):
            raise InvalidInput({"code": ["this code was already used"]})
        prefs = preferences_get_or_create(user=user)
        prefs.phone, prefs.phone_verified_at = phone, now
        prefs.save(update_fields=["phone", "phone_verified_at", "updated_at"])
        type(user).objects.filter(pk=user.pk).update(phone=phone)
    return prefs
