"""Manual trades end to end on the paper broker, through the API."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trades.models import Fill, Order, PaperBrokerOrder, PaperLedger, Position

from .conftest import candles_until_now

pytestmark = pytest.mark.django_db


def execute(client, account, instrument, /, **extra):
    body = {
        "account": account.pk,
        "instrument": instrument.symbol,
        "side": "BUY",
        "lots": 10,
        **extra,
    }
    headers = body.pop("headers", {})
    return client.post("/api/trades/execute", body, format="json", **headers)


def test_connect_a_paper_account_shows_funds_and_capabilities(auth_client) -> None:
    response = auth_client.post(
        "/api/trades/accounts",
        {"broker": "paper", "name": "Practice", "paper": {"starting_cash": "50000"}},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["broker"] == "paper" and body["status"] == "connected"
    assert body["funds"]["available"] == "50000.00"
    assert body["capabilities"]["modify"] is True and body["capabilities"]["live"] is False
    assert body["ledger"]["cash"] == "50000.00"
    assert "credentials" not in body


def test_a_market_order_fills_at_once_with_an_executed_price(
    auth_client, paper_account, equity
) -> None:
    response = execute(auth_client, paper_account, equity)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "filled" and body["client_id"].startswith("ab")
    assert Decimal(body["executed_price"]) == Decimal("100.0000")  # last close, no slippage
    assert body["filled_quantity"] == 10
    position = Position.objects.get(account=paper_account, instrument=equity)
    assert position.net_quantity == 10
    ledger = PaperLedger.objects.get(account=paper_account)
    assert ledger.cash == Decimal("99000.00")
    detail = auth_client.get(f"/api/trades/{body['id']}").json()
    assert [f["quantity"] for f in detail["fills"]] == [10]
    assert [a["action"] for a in detail["audit"]][:3] == ["created", "submit", "placed"]
    assert all(a["request_id"] for a in detail["audit"][:1])


def test_slippage_and_fees_are_the_engines(auth_client, user, equity) -> None:
    from trades.services.accounts import account_connect

    account = account_connect(
        user=user,
        broker="paper",
        name="Costly",
        paper={"starting_cash": "100000", "slippage_bps": 10, "fee_model": "india_equity_intraday"},
    )
    body = execute(auth_client, account, equity).json()
    assert Decimal(body["executed_price"]) == Decimal("100.1000")  # 10 bps against the buyer
    fill = Fill.objects.get(order_id=body["id"])
    assert fill.charges > 0 and "stamp_duty" in fill.charges_breakdown


def test_the_same_idempotency_key_returns_the_same_order(
    auth_client, paper_account, equity
) -> None:
    headers = {"HTTP_IDEMPOTENCY_KEY": "ticket-42"}
    first = execute(auth_client, paper_account, equity, headers=headers)
    again = execute(auth_client, paper_account, equity, headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert PaperBrokerOrder.objects.count() == 1
    changed = execute(auth_client, paper_account, equity, lots=3, headers=headers)
    assert changed.status_code == 409 and changed.json()["code"] == "idempotency_key_reused"
    by_id = execute(auth_client, paper_account, equity, instrument=equity.pk, headers=headers)
    assert by_id.status_code == 200  # the same instrument by id
    other = execute(auth_client, paper_account, equity, instrument="OTHER", headers=headers)
    assert other.status_code == 409


def test_a_limit_order_waits_until_the_price_reaches_it(auth_client, paper_account, equity) -> None:
    from trades.services.polling import account_poll

    body = execute(auth_client, paper_account, equity, order_type="LIMIT", price="95").json()
    assert body["status"] == "open"
    candles_until_now(equity, price=94.0)
    account_poll(account=paper_account)
    order = Order.objects.get(pk=body["id"])
    assert order.status == "filled" and order.average_price == Decimal("94.0000")


def test_no_fill_on_a_stale_quote(auth_client, user, equity) -> None:
    from marketdata.models import Candle
    from trades.services.accounts import account_connect

    account = account_connect(
        user=user, broker="paper", name="Strict", paper={"quote_max_age_seconds": 60}
    )
    newest = Candle.objects.filter(instrument=equity).order_by("-ts").first()
    Candle.objects.filter(
        instrument=equity, ts__gte=newest.ts - __import__("datetime").timedelta(minutes=5)
    ).delete()
    body = execute(auth_client, account, equity).json()
    assert body["status"] == "open"
    assert "quote" in PaperBrokerOrder.objects.get(correlation_id=body["client_id"]).reason


def test_cancel_and_modify_a_working_order(auth_client, paper_account, equity) -> None:
    body = execute(auth_client, paper_account, equity, order_type="LIMIT", price="90").json()
    modified = auth_client.post(
        f"/api/trades/{body['id']}/modify", {"price": "91", "lots": 5}, format="json"
    )
    assert modified.status_code == 200, modified.content
    assert modified.json()["price"] == "91.0000" and modified.json()["quantity"] == 5
    cancelled = auth_client.post(f"/api/trades/{body['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = auth_client.post(f"/api/trades/{body['id']}/cancel")
    assert again.status_code == 409


def test_square_off_all_and_the_analytics(auth_client, paper_account, equity) -> None:
    assert execute(auth_client, paper_account, equity).status_code == 201
    candles_until_now(equity, price=110.0)
    response = auth_client.post("/api/trades/positions/square-off", {"all": True}, format="json")
    assert response.status_code == 200, response.content
    assert [o["status"] for o in response.json()["orders"]] == ["filled"]
    assert auth_client.get("/api/trades/positions").json()["count"] == 0
    stats = auth_client.get("/api/trades/analytics").json()
    assert stats["source"] == "live"
    assert stats["summary"]["trades"] == 1 and stats["summary"]["net_pnl"] == 100.0
    assert stats["summary"]["win_rate"] == 100.0
    assert stats["by_instrument"] == [{"key": "TESTCO", "trades": 1, "wins": 1, "pnl": 100.0}]


def test_halt_refuses_and_resume_allows(auth_client, paper_account, equity) -> None:
    halted = auth_client.post(
        f"/api/trades/accounts/{paper_account.pk}/halt", {"reason": "lunch"}, format="json"
    )
    assert halted.status_code == 200 and halted.json()["trading_state"] == "halted"
    refused = execute(auth_client, paper_account, equity)
    assert refused.status_code == 409 and refused.json()["code"] == "halted"
    assert "halted" in refused.json()["detail"]
    auth_client.post(f"/api/trades/accounts/{paper_account.pk}/resume")
    assert execute(auth_client, paper_account, equity).status_code == 201


def test_the_gate_names_its_rule(auth_client, user, equity) -> None:
    from trades.services.accounts import account_connect

    account = account_connect(
        user=user, broker="paper", name="Small", risk={"max_lots_per_order": 5}
    )
    response = execute(auth_client, account, equity, lots=6)
    assert response.status_code == 409
    assert response.json()["code"] == "max_lots_per_order"
    assert response.json()["errors"][0]["field"] == "lots"


def test_the_order_rate_is_limited_per_account(auth_client, user, equity) -> None:
    from trades.services.accounts import account_connect

    account = account_connect(
        user=user, broker="paper", name="Fast", risk={"max_orders_per_second": 2}
    )
    codes = [execute(auth_client, account, equity, lots=1).status_code for _ in range(3)]
    assert codes[:2] == [201, 201] and codes[2] == 429


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"order_type": "LIMIT"}, "price"),
        ({"price": "10"}, "price"),
        ({"order_type": "STOP_LOSS_MARKET"}, "trigger_price"),
        ({"lots": 0}, "lots"),
        ({"side": "HOLD"}, "side"),
        ({"instrument": "NOPE"}, "instrument"),
        ({"owner": 1}, "owner"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    auth_client, paper_account, equity, extra, field
) -> None:
    response = execute(auth_client, paper_account, equity, **extra)
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == field


def test_unknown_trades_paths_are_json_404(auth_client, settings) -> None:
    settings.DEBUG = True
    for path in ("/api/trades/nothing", "/api/trades/1/explode", "/api/trades/"):
        response = auth_client.get(path)
        assert response.status_code == 404 and response.json()["code"] == "not_found", path


def test_list_filters(auth_client, paper_account, equity) -> None:
    execute(auth_client, paper_account, equity)
    execute(auth_client, paper_account, equity, order_type="LIMIT", price="50")
    assert auth_client.get("/api/trades?status=open").json()["count"] == 1
    assert auth_client.get(f"/api/trades?instrument={equity.symbol}").json()["count"] == 2
    assert auth_client.get("/api/trades?status=bogus").status_code == 400
    assert auth_client.get("/api/trades?since=yesterday").status_code == 400


def test_without_a_beat_a_read_steps_the_paper_broker(auth_client, paper_account, equity) -> None:
    body = execute(auth_client, paper_account, equity, order_type="LIMIT", price="95").json()
    candles_until_now(equity, price=94.5)
    detail = auth_client.get(f"/api/trades/{body['id']}").json()
    assert detail["status"] == "filled" and detail["executed_price"] == "94.5000"
