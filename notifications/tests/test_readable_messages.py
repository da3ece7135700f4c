"""Messages people read: a market alert's close to the tick, event numbers rounded, times in
the caller's zone in the history, and instruments referred to as backtests refer to them."""

from __future__ import annotations

import pytest

from notifications import services
from notifications.models import Delivery

from .test_market import AFTER_LAST_CLOSE, CLOSES, _bars, _loader, _market_rule, close_above_ema

pytestmark = pytest.mark.django_db


def test_a_market_alert_shows_the_close_to_the_tick(user, notif_settings) -> None:
    _market_rule(user)
    bars = _bars(CLOSES + 23451.55)  # the same crossing, last close 23563.55
    assert services.market_rules_evaluate(now=AFTER_LAST_CLOSE, loader=_loader(bars)) == 1
    body = Delivery.objects.get().body
    assert body.endswith("bar of 2026-11-23 13:30 IST, close 23563.55."), body


def test_history_shows_the_bar_time_in_the_users_zone(auth_client, notif_settings) -> None:
    _market_rule(auth_client.user)
    assert services.market_rules_evaluate(now=AFTER_LAST_CLOSE, loader=_loader(_bars())) == 1
    assert Delivery.objects.get().data["bar_start"] == "2026-11-23T08:00:00+00:00"  # stored UTC
    shown = auth_client.get("/api/notifications/history").json()["results"][0]["data"]
    assert shown["bar_start"] == "2026-11-23T13:30:00+05:30"
    auth_client.patch("/api/auth/me", {"timezone": "America/New_York"}, format="json")
    shown = auth_client.get("/api/notifications/history").json()["results"][0]["data"]
    assert shown["bar_start"] == "2026-11-23T03:00:00-05:00"


def test_event_bodies_round_percentages_and_money() -> None:
    _, body = services.event_text(
        event_type="backtest.finished",
        data={"strategy": "x", "return_pct": -17.082169999999646, "pnl": 1234.5678, "id": 7},
    )
    assert body.splitlines() == ["strategy: x", "return_pct: -17.08", "pnl: 1234.57", "id: 7"]


@pytest.mark.parametrize("ref", ["NSE:NIFTY", "nse:nifty", "NIFTY"])
def test_rules_take_an_exchange_prefixed_symbol(auth_client, ref: str) -> None:
    from marketdata.models import Instrument

    Instrument.objects.create(symbol="NIFTY", exchange="NSE", segment="IDX_I")
    body = {
        "name": "n",
        "kind": "market",
        "instrument": ref,
        "condition": close_above_ema(),
        "channels": ["push"],
    }
    response = auth_client.post("/api/notifications/rules", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["instrument"] == "NIFTY"


def test_an_unknown_symbol_is_a_400_on_instrument(auth_client) -> None:
    body = {"name": "n", "kind": "market", "instrument": "BSE:NOPE", "channels": ["push"]}
    response = auth_client.post("/api/notifications/rules", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == "instrument"
    assert "no instrument with symbol 'BSE:NOPE'" in response.json()["errors"][0]["message"]
