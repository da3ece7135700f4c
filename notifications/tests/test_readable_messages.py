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


def test_a_finished_backtest_reads_as_words_not_data() -> None:
    subject, body = services.event_text(
        event_type="backtest.finished",
        data={"strategy": "EMA cross", "return_pct": -1.27361, "id": 9, "status": "succeeded"},
    )
    assert subject == "Backtest #9 finished: \u22121.27%"
    assert body == "EMA cross: return \u22121.27%."
    assert "id:" not in body and "status" not in body


def test_a_fill_says_what_was_bought_and_at_what_price() -> None:
    data = {
        "id": 5,
        "client_id": "ab12",
        "account": 3,
        "account_name": "Paper",
        "symbol": "NIFTY-24000-CE",
        "side": "BUY",
        "lots": 2,
        "quantity": 130,
        "average_price": "123.4500",
        "status": "filled",
    }
    subject, body = services.event_text(event_type="order.filled", data=data)
    assert subject == "BUY 2 lots NIFTY-24000-CE filled at \u20b9123.45"
    assert body == "Order #5; client id ab12; account #3 (Paper)."


@pytest.mark.parametrize(
    ("event_type", "data", "subject"),
    [
        ("backtest.failed", {"id": 4, "error": "no data"}, "Backtest #4 failed"),
        (
            "order.placed",
            {"id": 1, "side": "SELL", "lots": 1, "symbol": "TCS"},
            "SELL 1 lot TCS placed",
        ),
        (
            "order.rejected",
            {"id": 1, "side": "BUY", "lots": 3, "symbol": "TCS", "reason": "RMS: margin"},
            "BUY 3 lots TCS rejected",
        ),
        (
            "order.unknown",
            {"id": 1, "side": "BUY", "lots": 3, "symbol": "TCS"},
            "BUY 3 lots TCS: outcome unknown",
        ),
        (
            "trades.halted",
            {"account": 3, "name": "Dhan", "state": "halted", "reason": "by hand"},
            "Trading halted on account #3 (Dhan)",
        ),
        (
            "trades.reconciliation_mismatch",
            {"account": 3, "problems": ["instrument 7 INTRADAY: ours 5, broker 0"]},
            "Positions differ from the broker's on account #3",
        ),
        (
            "trades.token_expiring",
            {"account": 3, "name": "Dhan", "expires_at": "2026-11-30T10:00:00+00:00"},
            "Broker token of account #3 (Dhan) expires 30 Nov 2026 15:30 IST",
        ),
        (
            "trades.token_expired",
            {"account": 3, "message": "DH-901"},
            "The broker refused the token of account #3",
        ),
        (
            "live.guardrail",
            {"session": 2, "halted": True, "reason": "loss"},
            "Live session #2 halted",
        ),
        (
            "ingestion.failed",
            {"run": 8, "symbol": "NIFTY", "timeframe": "1m", "error": "timeout"},
            "Market-data ingestion failed: NIFTY 1m",
        ),
    ],
)
def test_every_event_kind_has_a_human_title_and_body(event_type, data, subject) -> None:
    from notifications.constants import EventType

    got_subject, body = services.event_text(event_type=event_type, data=data)
    assert got_subject == subject
    assert body.splitlines()[0] != subject  # a toast shows both: the body adds something
    assert (
        body
        and "None" not in body
        and not any(line.startswith(f"{key}:") for key in data for line in body.splitlines())
    )
    assert event_type in EventType.values


def test_every_alertable_event_type_has_a_writer() -> None:
    from notifications.constants import EventType
    from notifications.services.texts import WRITERS

    assert set(EventType.values) == set(WRITERS)


def test_missing_fields_are_left_out_not_printed_as_none() -> None:
    subject, body = services.event_text(event_type="order.filled", data={"id": 5})
    assert subject == "Order #5 filled" and "None" not in body


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
