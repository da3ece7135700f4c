"""A market rule that cannot fire says so, and why, instead of staying silent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from marketdata.models import Candle, Instrument
from notifications.models import AlertRule
from notifications.tests.test_market import close_above_ema

pytestmark = pytest.mark.django_db


def _rule(client: APIClient, **extra) -> dict:
    body = {
        "name": "NIFTY x EMA",
        "kind": "market",
        "instrument": "NIFTY",
        "condition": close_above_ema("5m"),
        "channels": ["push"],
        **extra,
    }
    response = client.post("/api/notifications/rules", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def nifty(db) -> Instrument:
    return Instrument.objects.create(symbol="NIFTY", name="NIFTY", kind="index")


def _bar(instrument: Instrument, closed_ago: timedelta) -> None:
    ts = (timezone.now() - closed_ago - timedelta(minutes=1)).replace(second=0, microsecond=0)
    Candle.objects.create(
        instrument=instrument, timeframe="1m", ts=ts, open=1, high=1, low=1, close=1
    )


def test_embedded_mode_cannot_fire(auth_client: APIClient, nifty: Instrument) -> None:
    rule = _rule(auth_client)
    assert rule["can_fire"] is False
    assert rule["why"].startswith("no scheduler: in embedded mode (no REDIS_URL)")


@override_settings(CELERY_TASK_ALWAYS_EAGER=False)
def test_no_bars_stored(auth_client: APIClient, nifty: Instrument) -> None:
    rule = _rule(auth_client)
    assert (rule["can_fire"], rule["why"]) == (False, "no live data: no NIFTY bars are stored")


@override_settings(CELERY_TASK_ALWAYS_EAGER=False)
def test_stale_bars_are_not_live_data(auth_client: APIClient, nifty: Instrument) -> None:
    _bar(nifty, timedelta(hours=20))
    rule = _rule(auth_client)
    assert rule["can_fire"] is False
    assert rule["why"].startswith("no live data for NIFTY: its newest bar closed at ")
    assert "+05:30;" in rule["why"]  # in the reader's time zone (IST by default)


@override_settings(CELERY_TASK_ALWAYS_EAGER=False)
def test_fresh_bars_can_fire(auth_client: APIClient, nifty: Instrument) -> None:
    _bar(nifty, timedelta(minutes=2))
    rule = _rule(auth_client)
    assert (rule["can_fire"], rule["why"]) == (True, None)
    paused = auth_client.patch(
        f"/api/notifications/rules/{rule['id']}", {"is_active": False}, format="json"
    ).json()
    assert (paused["can_fire"], paused["why"]) == (False, "the rule is paused (is_active is false)")
    listed = auth_client.get("/api/notifications/rules").json()["results"][0]
    assert listed["can_fire"] is False


def test_event_rules_can_fire(auth_client: APIClient) -> None:
    body = {
        "name": "Done",
        "kind": "event",
        "event_type": "backtest.finished",
        "channels": ["push"],
    }
    rule = auth_client.post("/api/notifications/rules", body, format="json").json()
    assert (rule["can_fire"], rule["why"]) == (True, None)
    assert AlertRule.objects.get(pk=rule["id"]).kind == "event"


def test_a_market_rule_takes_the_instrument_by_id(
    auth_client: APIClient, nifty: Instrument
) -> None:
    assert _rule(auth_client, instrument=str(nifty.pk))["instrument"] == "NIFTY"
    body = {
        "name": "x",
        "kind": "market",
        "instrument": "999999",
        "channels": ["push"],
        "condition": close_above_ema("5m"),
    }
    response = auth_client.post("/api/notifications/rules", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "field": "instrument",
        "code": "invalid",
        "message": "no instrument with id 999999",
    }
