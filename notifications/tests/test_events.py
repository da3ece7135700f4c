"""event_notify: preferences, rules, active hours, cooldown, operators; webhooks signed."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from django.utils import timezone

from notifications import services
from notifications.models import AlertRule, Delivery, NotificationPreference
from notifications.timeutil import within_hours

from .support import override

pytestmark = pytest.mark.django_db


def _rule(user, **fields) -> AlertRule:
    base = {"name": "r", "kind": "event", "event_type": "order.filled", "channels": ["email"]}
    return AlertRule.objects.create(owner=user, **{**base, **fields})


def _notify(user, key: str = "e1", event_type: str = "order.filled", **data):
    return services.event_notify(user=user, event_type=event_type, data=data, dedupe_key=key)


def test_preferences_and_rules_choose_the_channels(user, notif_settings) -> None:
    rule = _rule(user, channels=["email"])
    deliveries = _notify(user, symbol="NIFTY", side="BUY", lots=1, average_price="101.5")
    by_channel = {d.channel: d for d in deliveries}
    assert set(by_channel) == {"push", "email"}  # push from the defaults, email from the rule
    assert by_channel["email"].rule == rule and by_channel["push"].rule is None
    assert by_channel["email"].subject == "BUY 1 lot NIFTY filled at ₹101.50"
    assert by_channel["email"].body == "BUY 1 lot NIFTY filled at ₹101.50"  # no id: no more


def test_an_empty_preference_silences_the_default(user, notif_settings) -> None:
    NotificationPreference.objects.create(user=user, event_channels={"order.filled": []})
    assert _notify(user) == []


def test_cooldown_suppresses_a_second_event(user, notif_settings) -> None:
    NotificationPreference.objects.create(user=user, event_channels={"order.filled": []})
    _rule(user, cooldown_seconds=600)
    assert len(_notify(user, "a")) == 1
    assert _notify(user, "b") == []


def test_active_hours_in_ist(user, notif_settings) -> None:
    noon_ist = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)  # 12:00 IST
    assert within_hours(start=time(9, 15), end=time(15, 30), now=noon_ist)
    assert not within_hours(start=time(13, 0), end=time(15, 30), now=noon_ist)
    assert within_hours(start=time(22, 0), end=time(12, 30), now=noon_ist)  # wraps midnight
    assert within_hours(start=None, end=None, now=noon_ist)


def test_unknown_event_types_are_a_programming_error(user) -> None:
    with pytest.raises(ValueError, match="unknown event type"):
        _notify(user, event_type="order.teleported")


def test_operator_events_reach_staff_only(user, make_user, notif_settings) -> None:
    staff = make_user(is_staff=True)
    assert _notify(user, event_type="ingestion.failed") == []
    created = services.operator_notify(
        event_type="ingestion.failed", data={"message": "NIFTY 1m: 3 gaps"}, dedupe_key="run:9"
    )
    assert created == 2  # push + email by default
    assert set(Delivery.objects.values_list("owner_id", flat=True)) == {staff.pk}


def test_event_data_with_decimals_and_datetimes_is_stored(user, notif_settings) -> None:
    from decimal import Decimal

    [delivery] = _notify(user, price=Decimal("101.25"), at=timezone.now())
    assert delivery.data["price"] == "101.25"


def test_webhook_is_signed_and_verifiable(user, fake_webhook, notif_settings) -> None:
    prefs = services.preferences_update(user=user, data={"webhook_url": f"{fake_webhook.url}/hook"})
    fake_webhook.secret = prefs.new_webhook_secret
    NotificationPreference.objects.filter(pk=prefs.pk).update(
        event_channels={"order.filled": ["webhook"]}
    )
    [delivery] = _notify(user, symbol="NIFTY")
    assert services.delivery_send(delivery_id=delivery.pk).status == "sent"
    [request] = fake_webhook.requests
    assert request.extra["verified"] is True
    assert request.headers["X-Algobacktester-Event"] == "order.filled"
    assert request.json()["data"] == {"symbol": "NIFTY"}


def test_a_wrong_secret_fails_verification_and_the_delivery(
    user, fake_webhook, notif_settings
) -> None:
    rule_secret_holder = services.rule_create(
        user=user,
        kind="event",
        name="hook",
        event_type="order.filled",
        channels=["webhook"],
        webhook_url=f"{fake_webhook.url}/hook",
    )
    fake_webhook.secret = "whsec_not-the-right-one"
    NotificationPreference.objects.create(user=user, event_channels={"order.filled": []})
    [delivery] = _notify(user)
    assert delivery.rule == rule_secret_holder
    assert services.delivery_send(delivery_id=delivery.pk).status == "failed"
    assert fake_webhook.requests[0].extra["verified"] is False
    assert Delivery.objects.get().reason == "webhook answered HTTP 401"


def test_webhooks_to_private_hosts_are_refused_by_default(user, notif_settings) -> None:
    override(notif_settings, WEBHOOK_ALLOW_PRIVATE_HOSTS=False)
    services.preferences_update(user=user, data={"webhook_url": "http://127.0.0.1:9/hook"})
    delivery = services.alert_send(user=user, message="x", channels=["webhook"])[0]
    assert services.delivery_send(delivery_id=delivery.pk).status == "failed"
    assert Delivery.objects.get().reason == "webhook host resolves to a private address"
