"""Helpers shared by the notifications tests."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from notifications.models import NotificationPreference

CANARY = "CANARY-s3cr3t-9f2e7d"  # a provider secret that must never leak
SID = "AC" + "0" * 32
PHONE = "+919812345678"


def override(settings: Any, **changes: Any) -> None:
    """Change keys of ``settings.NOTIFICATIONS`` (a copy: pytest-django restores it)."""
    config = {**settings.NOTIFICATIONS, **changes}
    config["BACKENDS"] = {**settings.NOTIFICATIONS["BACKENDS"], **changes.get("BACKENDS", {})}
    settings.NOTIFICATIONS = config


def verify_phone(user: Any, phone: str = PHONE) -> NotificationPreference:
    prefs, _ = NotificationPreference.objects.get_or_create(user=user)
    prefs.phone, prefs.phone_verified_at = phone, timezone.now()
    prefs.save()
    return prefs
