"""The one-call facade, with a compiled graph and on real NIFTY minutes."""

from __future__ import annotations

import json

import numpy as np
import pytest
import talib

from engine.backtest import run_backtest
from engine.bars import load_csv
from engine.graph import compile_graph, example_documents
from engine.signals import RiskSettings, Signals
from engine.sim import SimConfig, Sizing, Slippage
from engine.tests.test_sim_kit import minute_bars


def cross(close: np.ndarray, fast: int, slow: int) -> Signals:
    above = talib.SMA(close, fast) > talib.SMA(close, slow)
    prev = np.r_[False, above[:-1]]
    up, down = above & ~prev, prev & ~above
    return Signals(entry_long=up, exit_long=down, entry_short=down, exit_short=up)


def test_graph_strategy_brings_its_risk_settings() -> None:
    doc = example_documents()["sma_cross"]
    graph = compile_graph(doc)
    bars = minute_bars(list(100 + np.sin(np.arange(400) / 9) * 5))
    res = run_backtest(bars, graph)
    assert res.risk == graph.risk
    assert res.stats["trades"] == len(res.trades) > 0
    override = RiskSettings(max_trades_per_day=1)
    assert run_backtest(bars, graph, risk=override).stats["trades"] == 1


def test_real_nifty_intraday_futures_run(shared_data) -> None:
    bars = load_csv(shared_data / "nifty50_1min_2024-01_2024-08.csv.gz")
    cfg = SimConfig(
        initial_cash=1_000_000,
        fees="india_futures",
        margin=0.15,
        sizing=Sizing(mode="lots", value=1, lot_size=75),
        slippage=Slippage(ticks=1),
    )
    risk = RiskSettings(square_off="15:25", max_trades_per_day=20)
    res = run_backtest(bars, cross(bars.close, 10, 20), cfg, risk=risk)
    frame = res.trades.to_frame()
    assert len(frame) > 1000
    # accounting closes: final equity is the start plus every trade's net P&L
    assert res.stats["equity_final"] == pytest.approx(1_000_000 + frame.pnl.sum())
    assert res.stats["total_charges"] == pytest.approx(frame.charges.sum())
    # intraday: nothing is carried overnight, nothing closes after 15:25
    assert (frame.entry_time.dt.date == frame.exit_time.dt.date).all()
    minutes = frame.exit_time.dt.hour * 60 + frame.exit_time.dt.minute
    assert minutes.max() <= 15 * 60 + 25
    assert {"signal", "square_off"} <= set(frame.exit_reason)
    assert frame.groupby(frame.entry_time.dt.date).size().max() <= 20
    json.dumps(res.to_dict(max_points=500), allow_nan=False)
