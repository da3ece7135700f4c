from __future__ import annotations

from datetime import date

import pytest

from backtests.config import normalise
from backtests.models import BacktestRun
from engine.graph import example_documents
from marketdata.models import Instrument
from marketdata.services.demo import demo_candles_seed
from strategies.services import strategy_create

DATA_END = date(2026, 6, 30)  # a Tuesday: ten trading days end here


@pytest.fixture
def nifty(db) -> Instrument:
    demo_candles_seed(symbols=("NIFTY",), days=10, end=DATA_END, seed=7)
    return Instrument.objects.get(symbol="NIFTY")


@pytest.fixture
def sma_strategy(user):
    return strategy_create(owner=user, name="SMA cross", graph=example_documents()["sma_cross"])


@pytest.fixture
def run_body(nifty, sma_strategy) -> dict:
    return {
        "strategy": sma_strategy.pk,
        "instrument": nifty.pk,
        "start": "2026-06-16",
        "end": "2026-06-30",
        "capital": "100000",
        "sizing": {"mode": "fixed", "value": 2},
    }


@pytest.fixture
def queued_run(user, run_body):
    """A factory of runs created directly (no on_commit execution), as if each run's task
    were still in the broker: ``queued_run(config={...})``."""
    from strategies.models import StrategyVersion

    def make(config: dict) -> BacktestRun:
        version = StrategyVersion.objects.get(strategy_id=run_body["strategy"], number=1)
        return BacktestRun.objects.create(
            owner=user,
            strategy_id=run_body["strategy"],
            strategy_version=version,
            instrument_id=run_body["instrument"],
            timeframe="1m",
            start="2026-06-16",
            end="2026-06-30",
            config=normalise(config, lot_size=1, tick_size=0.05),
        )

    return make
