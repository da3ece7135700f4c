"""Trades written by COPY (PostgreSQL) and by bulk_create (SQLite) are the same rows."""

from __future__ import annotations

import pytest
from django.db import connection
from rest_framework.test import APIClient

from backtests import storage
from backtests.models import BacktestTrade
from engine.backtest import run_backtest
from engine.sim import SimConfig
from engine.tests.test_result_json import cross, random_bars

pytestmark = pytest.mark.django_db

FIELDS = (
    "seq",
    "side",
    "entry_time",
    "exit_time",
    "entry_price",
    "exit_price",
    "quantity",
    "pnl",
    "return_pct",
    "charges",
    "charges_breakdown",
    "exit_reason",
    "bars_held",
)


def test_copy_and_bulk_create_write_the_same_rows(
    auth_client: APIClient, run_body: dict, django_capture_on_commit_callbacks
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's; this compares it with the SQLite path")
    with django_capture_on_commit_callbacks(execute=True):
        run_id = auth_client.post("/api/backtest", run_body, format="json").json()["id"]
    bars = random_bars(3000, seed=3)
    trades = run_backtest(bars, cross(bars), SimConfig(fees="india_futures")).trades
    assert len(trades) > 50
    assert storage.trades_write(run_id, trades) == len(trades)  # COPY
    copied = list(BacktestTrade.objects.filter(run_id=run_id).values_list(*FIELDS))
    BacktestTrade.objects.filter(run_id=run_id).delete()
    BacktestTrade.objects.bulk_create(storage._models(run_id, storage.trade_columns(trades)))
    built = list(BacktestTrade.objects.filter(run_id=run_id).values_list(*FIELDS))
    assert copied == built
    assert copied[0][10] and set(copied[0][10]) == set(trades.charge_breakdown())
