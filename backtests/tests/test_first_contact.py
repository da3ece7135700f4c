"""Issue 11: instruments by symbol, Indian F&O defaults, why no trades, local times, display."""

from __future__ import annotations

import csv
import io

import pytest
from rest_framework.test import APIClient

from backtests.models import BacktestRun, BacktestSweep
from strategies.services import strategy_update

pytestmark = pytest.mark.django_db


def _run(client: APIClient, body: dict, capture) -> dict:
    with capture(execute=True):
        response = client.post("/api/backtest", body, format="json")
    assert response.status_code == 202, response.content
    return client.get(f"/api/backtest/{response.json()['id']}").json()


def test_instrument_by_symbol_with_indian_defaults(
    auth_client: APIClient, run_body: dict, django_capture_on_commit_callbacks
) -> None:
    body = {k: v for k, v in run_body.items() if k not in ("capital", "sizing")}
    detail = _run(auth_client, {**body, "instrument": "nifty"}, django_capture_on_commit_callbacks)
    assert detail["status"] == "done", detail["error"]
    assert detail["symbol"] == "NIFTY"
    config = detail["config"]
    assert config["capital"] == "500000"
    assert config["fees"] == {"model": "india_futures", "params": {"exchange": "NSE"}}
    # An index run sizes by the lot in force on each bar's date (lot_symbol), no lot_size.
    assert config["sizing"] == {"mode": "lots", "value": 1.0, "lot_symbol": "NIFTY"}
    assert config["end_of_data"] == "close_at_close" and "close_at_end" not in config
    assert config["margin"] == 0.12
    trade = auth_client.get(f"/api/backtest/{detail['id']}/trades").json()["results"][0]
    assert float(trade["quantity"]) == 65.0
    assert float(trade["charges"]) > 0


def test_sweep_takes_a_symbol_and_the_same_defaults(
    auth_client: APIClient, run_body: dict, django_capture_on_commit_callbacks
) -> None:
    body = {k: v for k, v in run_body.items() if k not in ("capital", "sizing")}
    sweep = {**body, "instrument": "NSE:NIFTY", "grid": {"ma_fast.timeperiod": [3, 5]}}
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post("/api/backtest/sweeps", sweep, format="json")
    assert response.status_code == 202, response.content
    detail = auth_client.get(f"/api/backtest/sweeps/{response.json()['id']}").json()
    assert detail["config"]["fees"]["model"] == "india_futures"
    assert detail["config"]["sizing"]["mode"] == "lots" and detail["config"]["margin"] == 0.12


@pytest.mark.parametrize("path", ["/api/backtest", "/api/backtest/sweeps"])
def test_unknown_symbol_is_a_400_naming_the_field(
    auth_client: APIClient, run_body: dict, path: str
) -> None:
    body = {**run_body, "instrument": "NOPE", "grid": {"ma_fast.timeperiod": [3]}}
    response = auth_client.post(path, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == "instrument"
    assert "no instrument with symbol 'NOPE'" in response.json()["detail"]
    assert not BacktestRun.objects.exists() and not BacktestSweep.objects.exists()


def test_zero_trades_says_why_when_entries_are_refused(
    auth_client: APIClient, run_body: dict, django_capture_on_commit_callbacks
) -> None:
    body = {**run_body, "capital": "1000", "sizing": {"mode": "lots", "value": 1}, "margin": 1.0}
    detail = _run(auth_client, body, django_capture_on_commit_callbacks)
    assert detail["status"] == "done", detail["error"]
    assert detail["stats"]["trades"] == 0
    assert detail["rejected_entries"]["insufficient_funds"] > 0
    assert detail["no_trades_reason"].startswith("No trades: the simulator refused ")
    assert "insufficient funds (the capital did not cover the margin" in detail["no_trades_reason"]


def test_zero_trades_says_why_when_nothing_fires(
    auth_client: APIClient, run_body: dict, sma_strategy, django_capture_on_commit_callbacks
) -> None:
    graph = sma_strategy.graph
    next(n for n in graph["nodes"] if n["id"] == "ma_slow")["params"]["timeperiod"] = 50_000
    strategy_update(strategy=sma_strategy, data={"graph": graph})
    detail = _run(auth_client, run_body, django_capture_on_commit_callbacks)
    assert detail["stats"]["trades"] == 0 and detail["rejected_entries"] == {}
    assert detail["no_trades_reason"].startswith(
        "No trades: the entry conditions never fired on the 3,750 bars"
    )


def test_zero_trades_names_a_side_the_config_turned_off(
    auth_client: APIClient, run_body: dict, django_capture_on_commit_callbacks
) -> None:
    """The SMA cross enters long only; with allow_long false its entries fire and are dropped,
    which is not "the entry conditions never fired"."""
    detail = _run(
        auth_client, {**run_body, "allow_long": False}, django_capture_on_commit_callbacks
    )
    assert detail["status"] == "done", detail["error"]
    assert detail["stats"]["trades"] == 0
    reason = detail["no_trades_reason"]
    assert reason.startswith("No trades: the strategy enters only long"), reason
    assert "allow_long false" in reason and "never fired" not in reason


def test_no_trades_reason_for_one_side_off_and_the_other_silent() -> None:
    from backtests.presentation import no_trades_reason

    text = no_trades_reason(
        stats={"trades": 0},
        counts={},
        bars=100,
        sides_off=("short",),
        entry_sides={"long", "short"},
    )
    assert text.startswith("No trades: short entries are off (allow_short false), and on the ")
    assert "entry conditions never fired on the 100 bars" in text


def test_times_carry_the_users_offset_and_display_values_are_rounded(
    auth_client: APIClient, run_body: dict, django_capture_on_commit_callbacks
) -> None:
    detail = _run(auth_client, run_body, django_capture_on_commit_callbacks)
    assert detail["no_trades_reason"] is None
    assert detail["created_at"].endswith("+05:30")
    assert detail["equity_curve"][0][0].endswith("+05:30")
    trade = auth_client.get(f"/api/backtest/{detail['id']}/trades").json()["results"][0]
    assert trade["entry_time"].endswith("+05:30")
    shown = trade["display"]
    assert float(shown["entry_price"]) * 20 == pytest.approx(
        round(float(shown["entry_price"]) * 20)
    )
    assert shown["pnl"] == f"{float(trade['pnl']):.2f}"
    assert len(shown["return_pct"].split(".")[1]) == 2
    assert detail["stats_display"]["return_pct"] == f"{detail['stats']['return_pct']:.2f}"

    auth_client.patch("/api/auth/me", {"timezone": "Europe/London"}, format="json")
    again = auth_client.get(f"/api/backtest/{detail['id']}").json()
    assert again["equity_curve"][0][0][-6:] in ("+00:00", "+01:00")  # rendered again, kept
    assert again == auth_client.get(f"/api/backtest/{detail['id']}").json()
    trades = auth_client.get(f"/api/backtest/{detail['id']}/trades").json()
    assert trades["results"][0]["entry_time"][-6:] in ("+00:00", "+01:00")


def test_trades_csv_local_times_rounded_unless_raw(
    auth_client: APIClient, run_body: dict, django_capture_on_commit_callbacks
) -> None:
    detail = _run(auth_client, run_body, django_capture_on_commit_callbacks)
    text = auth_client.get(f"/api/backtest/{detail['id']}/trades.csv").content.decode()
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["entry_time"].endswith("+05:30") and "T" in row["entry_time"]
    assert len(row["pnl"].split(".")[1]) == 2
    raw = auth_client.get(f"/api/backtest/{detail['id']}/trades.csv?raw=1").content.decode()
    raw_row = next(csv.DictReader(io.StringIO(raw)))
    assert raw_row["entry_time"] == row["entry_time"]
    assert len(raw_row["entry_price"].split(".")[1]) == 4
