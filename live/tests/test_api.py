"""/api/live/sessions: create, list, detail, control, events, orders; owner only; 4xx names."""

from __future__ import annotations

import pytest
from django.db import transaction

from live.models import LiveSession
from live.tests.conftest import store_bars, strategy_of, synthetic_bars

pytestmark = pytest.mark.django_db

URL = "/api/live/sessions"


@pytest.fixture
def stored(nifty):
    with transaction.atomic():
        store_bars(nifty, synthetic_bars(days=1))
    return nifty


@pytest.fixture
def body(auth_client, stored, paper):
    strategy = strategy_of(auth_client.user, "opening_range_breakout")
    return {
        "strategy": strategy.pk,
        "account": paper.pk,
        "instrument": "NIFTY",
        "lots": 1,
        "replay": {"start": "2024-01-01", "speed": 0},
    }


def test_create_list_detail_and_controls(auth_client, body):
    r = auth_client.post(URL, body, format="json")
    assert r.status_code == 201, r.json()
    sid = r.json()["id"]
    assert r.json()["status"] == "draft" and r.json()["timeframe"] == "1m"
    assert auth_client.get(URL).json()["count"] == 1
    assert auth_client.get(f"{URL}/{sid}").json()["instrument"] == "NIFTY"
    assert auth_client.post(f"{URL}/{sid}/start").json()["status"] == "running"
    assert auth_client.post(f"{URL}/{sid}/pause").json()["status"] == "paused"
    assert auth_client.post(f"{URL}/{sid}/start").json()["status"] == "running"
    r = auth_client.post(f"{URL}/{sid}/square-off")
    assert r.status_code == 409 and "position" in r.json()["errors"][0]["field"]
    assert auth_client.delete(f"{URL}/{sid}").status_code == 409  # running
    assert auth_client.post(f"{URL}/{sid}/stop").json()["status"] == "stopped"
    kinds = [e["message"] for e in auth_client.get(f"{URL}/{sid}/events").json()["results"]]
    assert kinds[:2] == ["stopped", "resumed"]
    assert auth_client.get(f"{URL}/{sid}/orders").json()["count"] == 0
    assert auth_client.delete(f"{URL}/{sid}").status_code == 204
    assert auth_client.get(f"{URL}/{sid}").status_code == 404


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"lots": 0}, "lots"),
        ({"replay": {"speed": 1}}, "replay.start"),
        ({"replay": {"start": "2030-01-01"}}, "replay.start"),
        ({"replay": {"start": "2024-01-02", "end": "2024-01-01"}}, "replay.end"),
        ({"schedule": {"days": "trading"}}, "schedule"),
        ({"feed": "market"}, "feed"),
        ({"timeframe": "5m"}, "timeframe"),
        ({"instrument": "NOPE"}, "instrument"),
        ({"owner": 1}, "owner"),
        ({"status": "running"}, "status"),
        (
            {"risk_overrides": {"stop_loss": {"value": -1, "unit": "percent"}}},
            "risk_overrides.stop_loss",
        ),
        ({"risk_overrides": {"bogus": 1}}, "risk_overrides."),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field(auth_client, body, patch, field):
    r = auth_client.post(URL, {**body, **patch}, format="json")
    assert 400 <= r.status_code < 500, r.json()
    fields = [e.get("field", "") for e in r.json()["errors"]]
    assert any(f.startswith(field) for f in fields), r.json()


def test_option_leg_strategies_need_the_options_block(auth_client, body):
    strategy = strategy_of(auth_client.user, "supertrend_index_options")
    r = auth_client.post(URL, {**body, "strategy": strategy.pk}, format="json")
    assert r.status_code == 400, r.json()
    assert [e["field"] for e in r.json()["errors"]] == ["options.premium_source"], r.json()
    bad = {**body, "strategy": strategy.pk, "options": {"premium_source": "model"}}
    r = auth_client.post(URL, bad, format="json")
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "options.iv", r.json()
    ok = {**body, "strategy": strategy.pk, "options": {"premium_source": "model", "iv": 0.14}}
    r = auth_client.post(URL, ok, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["options"]["premium_source"] == "model"
    assert r.json()["options"]["rate"] == 0.065  # the backtest's default, filled in


def test_an_options_block_without_legs_is_refused(auth_client, body):
    r = auth_client.post(
        URL, {**body, "options": {"premium_source": "model", "iv": 0.1}}, format="json"
    )
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "options", r.json()


def test_one_active_session_per_slot(auth_client, body):
    a = auth_client.post(URL, body, format="json").json()["id"]
    b = auth_client.post(URL, body, format="json").json()["id"]
    assert auth_client.post(f"{URL}/{a}/start").status_code == 200
    r = auth_client.post(f"{URL}/{b}/start")
    assert r.status_code == 409 and r.json()["code"] == "slot_taken"
    auth_client.post(f"{URL}/{a}/stop")
    assert auth_client.post(f"{URL}/{b}/start").status_code == 200


def test_other_users_sessions_are_not_found(auth_client, body, make_user):
    from rest_framework.test import APIClient

    from algobacktester.accounts.tokens import token_pair

    sid = auth_client.post(URL, body, format="json").json()["id"]
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {token_pair(make_user())['access']}")
    assert other.get(URL).json()["count"] == 0
    for path in ("", "/events", "/orders"):
        assert other.get(f"{URL}/{sid}{path}").status_code == 404
    for action in ("start", "pause", "stop", "square-off"):
        assert other.post(f"{URL}/{sid}/{action}").status_code == 404
    assert other.delete(f"{URL}/{sid}").status_code == 404
    assert LiveSession.objects.get(pk=sid).status == "draft"
    # and another user's account or strategy cannot be used
    r = other.post(URL, body, format="json")
    assert r.status_code == 404


def test_anonymous_is_refused(api_client):
    assert api_client.get(URL).status_code == 401
