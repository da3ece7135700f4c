"""Reads, always scoped to the acting user: one user's rows never reach another."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from .constants import OPERATOR_EVENTS, QUOTA_CHANNELS, EventType
from .models import AlertRule, Delivery, NotificationPreference, QuotaUsage
from .timeutil import ist_today


def preferences_for(*, user: Any) -> NotificationPreference:
    """The user's preferences, or unsaved defaults when they never changed any."""
    found = NotificationPreference.objects.filter(user=user).first()
    return found or NotificationPreference(user=user)


def event_channels_for(*, user: Any, preferences: NotificationPreference) -> dict[str, list[str]]:
    """Channels per event type: the user's choice, else the operator's defaults."""
    defaults = settings.NOTIFICATIONS["DEFAULT_EVENT_CHANNELS"]
    result = {}
    for event_type in EventType.values:
        if event_type in OPERATOR_EVENTS and not user.is_staff:
            continue
        chosen = preferences.event_channels.get(event_type)
        result[event_type] = list(chosen if chosen is not None else defaults.get(event_type, []))
    return result


def rule_list(*, user: Any) -> QuerySet[AlertRule]:
    return AlertRule.objects.filter(owner=user)


def rule_get(*, user: Any, rule_id: int) -> AlertRule:
    if not 0 < rule_id < 2**63:  # beyond bigint: no such row (and no database error)
        raise Http404
    return get_object_or_404(rule_list(user=user), pk=rule_id)


def delivery_list(
    *,
    user: Any,
    channel: str | None = None,
    status: str | None = None,
    rule_id: int | None = None,
) -> QuerySet[Delivery]:
    qs = Delivery.objects.filter(owner=user)
    if channel:
        qs = qs.filter(channel=channel)
    if status:
        qs = qs.filter(status=status)
    if rule_id is not None:
        qs = qs.filter(rule_id=rule_id)
    return qs


def quota_usage(*, user: Any) -> dict[str, dict[str, int]]:
    """``{"email": {"used": 3, "limit": 200}, "sms": {...}}`` for today (IST)."""
    limits = settings.NOTIFICATIONS["DAILY_QUOTA"]
    used = dict(
        QuotaUsage.objects.filter(user=user, day=ist_today()).values_list("channel", "count")
    )
    return {ch: {"used": used.get(ch, 0), "limit": limits[ch]} for ch in sorted(QUOTA_CHANNELS)}
