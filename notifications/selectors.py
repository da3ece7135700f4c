"""Reads, always scoped to the acting user: one user's rows never reach another."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from algobacktester.api.timezones import local_iso

from .constants import FRESH_SLACK_SECONDS, OPERATOR_EVENTS, QUOTA_CHANNELS, EventType
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


# --- can a market rule fire? -----------------------------------------------------------------


def rule_readiness(*, rule: AlertRule, now: datetime | None = None) -> dict[str, Any]:
    """``{"can_fire", "why"}``: whether the rule's next evaluation could fire it, and if not,
    the first reason why (the trader otherwise waits for an alert that never comes)."""
    why = _not_ready(rule, now or timezone.now())
    return {"can_fire": why is None, "why": why}


def _not_ready(rule: AlertRule, now: datetime) -> str | None:
    if not rule.is_active:
        return "the rule is paused (is_active is false)"
    if rule.kind != AlertRule.Kind.MARKET:
        return None  # event rules fire on the application's own events
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return (
            "no scheduler: in embedded mode (no REDIS_URL) tasks run in-process and no "
            "Celery beat runs, so market rules are never evaluated; run the services mode "
            "(REDIS_URL, a worker and beat: docs/operations.md)"
        )
    return _no_live_data(rule, now)


def _no_live_data(rule: AlertRule, now: datetime) -> str | None:
    from engine.graph.schema import timeframe_minutes
    from marketdata.models import Candle

    minutes = timeframe_minutes(rule.timeframe) or 1
    last = (
        Candle.objects.filter(
            instrument__symbol=rule.instrument,
            instrument__is_active=True,
            timeframe__in={rule.timeframe, "1m"},
        )
        .order_by("-ts")
        .values_list("ts", "timeframe")
        .first()
    )
    if last is None:
        return f"no live data: no {rule.instrument} bars are stored"
    closed = last[0] + timedelta(minutes=timeframe_minutes(last[1]) or 1)
    if (now - closed).total_seconds() <= minutes * 60 + FRESH_SLACK_SECONDS:
        return None
    return (
        f"no live data for {rule.instrument}: its newest bar closed at "
        f"{local_iso(closed)}; a rule fires only on a bar that closed within its timeframe "
        "+ 5 minutes, and bars arrive here by the nightly refresh or imports, not live "
        "during the session"
    )
