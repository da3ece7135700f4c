"""The one hook other apps call (``event_notify``), operators' events, and send-now."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from algobacktester.errors import InvalidInput
from algobacktester.rounding import money

from ..constants import OPERATOR_EVENTS, QUOTA_CHANNELS, SEND_NOW, Channel, EventType, quota_reason
from ..errors import QuotaExceeded
from ..models import AlertRule, Delivery
from ..selectors import event_channels_for, preferences_for
from ..timeutil import within_hours
from .deliveries import dedupe_key_for, deliveries_create, quota_left

TITLES = {
    EventType.BACKTEST_FINISHED: "Backtest finished",
    EventType.BACKTEST_FAILED: "Backtest failed",
    EventType.ORDER_FILLED: "Order filled",
    EventType.ORDER_REJECTED: "Order rejected",
    EventType.LIVE_ENTRY: "Live session entered",
    EventType.LIVE_EXIT: "Live session exited",
    EventType.LIVE_GUARDRAIL: "Live guardrail hit",
    EventType.INGESTION_FAILED: "Market-data ingestion failed",
}


def event_notify(
    *, user: Any, event_type: str, data: Mapping[str, Any], dedupe_key: str
) -> list[Delivery]:
    """Tell ``user`` about an event on the channels they chose, at most once per channel.

    Call it inside the transaction that records the event: deliveries are created
    with it and sent after commit. ``dedupe_key`` names the event instance (e.g. the
    backtest run id); calling again with the same key sends nothing new. Channels are
    the user's preferences for ``event_type`` plus those of each active matching rule
    that is inside its active hours and out of its cooldown.
    Returns the deliveries created by this call.
    """
    if event_type not in EventType.values:
        raise ValueError(f"unknown event type {event_type!r}; one of {EventType.values}")
    if not user.is_active or (event_type in OPERATOR_EVENTS and not user.is_staff):
        return []
    now = timezone.now()
    prefs = preferences_for(user=user)
    chosen: dict[str, AlertRule | None] = dict.fromkeys(
        event_channels_for(user=user, preferences=prefs).get(event_type, [])
    )
    rules = AlertRule.objects.filter(
        owner=user, kind=AlertRule.Kind.EVENT, event_type=event_type, is_active=True
    )
    for rule in rules:
        if within_hours(start=rule.active_from, end=rule.active_to, now=now) and rule_cooldown_take(
            rule=rule, now=now
        ):
            chosen.update(dict.fromkeys(rule.channels, rule))
    subject, body = event_text(event_type=event_type, data=data)
    return deliveries_create(
        user=user,
        channels=chosen,
        event_type=event_type,
        dedupe_key=dedupe_key,
        subject=subject,
        body=body,
        data=data,
    )


def operator_notify(*, event_type: str, data: Mapping[str, Any], dedupe_key: str) -> int:
    """An operator event (``ingestion.failed``) to every active staff user; returns how many
    deliveries were created."""
    staff = get_user_model().objects.filter(is_staff=True, is_active=True)
    return sum(
        len(event_notify(user=u, event_type=event_type, data=data, dedupe_key=dedupe_key))
        for u in staff
    )


def rule_cooldown_take(*, rule: AlertRule, now: datetime) -> bool:
    """Stamp ``last_fired_at`` unless the rule fired within its cooldown (one UPDATE)."""
    ready = Q(last_fired_at__isnull=True) | Q(
        last_fired_at__lte=now - timedelta(seconds=rule.cooldown_seconds)
    )
    return AlertRule.objects.filter(ready, pk=rule.pk).update(last_fired_at=now) == 1


def event_text(*, event_type: str, data: Mapping[str, Any]) -> tuple[str, str]:
    title = TITLES.get(event_type, event_type)
    name = data.get("name") or data.get("strategy") or data.get("symbol")
    subject = f"{title}: {name}" if name else title
    lines = [str(data["message"])] if data.get("message") else []
    for key, value in data.items():
        if key != "message" and isinstance(value, str | int | float | bool) and len(lines) < 12:
            lines.append(f"{key}: {_shown(value)}")
    return subject[:200], "\n".join(lines)[:2000] or title


def _shown(value: str | int | float | bool) -> str:
    # A fraction in an event is a percentage or rupees (or an index price, ticked at 0.05):
    # two decimals, not the float's noise ("-17.082169999999646").
    if isinstance(value, float) and math.isfinite(value) and not value.is_integer():
        return money(value) or str(value)
    return str(value)


def alert_send(
    *,
    user: Any,
    message: str,
    channels: Iterable[str],
    subject: str = "",
    dedupe_key: str = "",
) -> list[Delivery]:
    """Send a message now on the given channels. A repeated ``dedupe_key`` returns the
    deliveries of the first request instead of sending again."""
    channels = list(dict.fromkeys(channels))
    _check_destinations(user=user, channels=channels)
    key = dedupe_key or uuid.uuid4().hex
    full_key = dedupe_key_for(event_type=SEND_NOW, key=key)
    existing = Delivery.objects.filter(owner=user, dedupe_key=full_key, channel__in=channels)
    if not existing.exists():
        for channel in sorted(set(channels) & QUOTA_CHANNELS):
            if quota_left(user_id=user.pk, channel=channel) == 0:
                raise QuotaExceeded({"channels": [quota_reason(channel)]})
    deliveries_create(
        user=user,
        channels=dict.fromkeys(channels),
        event_type=SEND_NOW,
        dedupe_key=key,
        subject=subject or message.splitlines()[0][:120],
        body=message,
        data={},
    )
    return list(Delivery.objects.filter(owner=user, dedupe_key=full_key, channel__in=channels))


def _check_destinations(*, user: Any, channels: list[str]) -> None:
    prefs = preferences_for(user=user)
    problems = []
    if Channel.SMS in channels and not (prefs.phone and prefs.phone_verified_at):
        problems.append("sms needs a verified phone number (POST preferences/phone/verify).")
    if Channel.WEBHOOK in channels and not prefs.webhook_url:
        problems.append("webhook needs a webhook_url in your preferences.")
    if Channel.EMAIL in channels and not (prefs.email or user.email):
        problems.append("email needs an email address.")
    if problems:
        raise InvalidInput({"channels": problems})
