"""compute_stats against hand-computed values (each expectation spells out its arithmetic)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from engine.backtest import run_backtest
from engine.bars import Bars
from engine.metrics import StatsContext, compute_stats
from engine.signals import Signals
from engine.sim import layout as L
from engine.sim.result import Trades
from engine.tests.test_sim_kit import MIN_NS, minute_bars, signals

DAYS = ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08"]
CLOSE = [100.0, 110.0, 105.0, 120.0, 90.0, 100.0]
EQUITY = np.array([1000.0, 1100.0, 1050.0, 1200.0, 900.0, 1100.0])


def daily_bars() -> Bars:
    idx = pd.DatetimeIndex(DAYS)
    return Bars.from_frame(
        pd.DataFrame({"open": CLOSE, "high": CLOSE, "low": CLOSE, "close": CLOSE}, index=idx)
    )


def trade_table(ts: np.ndarray) -> Trades:
    rows = np.zeros((3, L.NT))
    #        side qty entry exit  in    out  fee_in fee_out gross  pnl
    spec = [
        (1, 10, 0, 1, 100.0, 110.0, 1, 1, 100.0, 98.0),
        (-1, 10, 1, 2, 110.0, 105.0, 1, 1, 50.0, 48.0),
        (1, 10, 3, 4, 120.0, 90.0, 1, 1, -300.0, -302.0),
    ]
    for k, (side, qty, eb, xb, ep, xp, fi, fo, gross, pnl) in enumerate(spec):
        rows[
            k,
            [
                L.T_SIDE,
                L.T_QTY,
                L.T_ENTRY_BAR,
                L.T_EXIT_BAR,
                L.T_ENTRY_PRICE,
                L.T_EXIT_PRICE,
                L.T_ENTRY_FEES,
                L.T_EXIT_FEES,
                L.T_GROSS,
                L.T_PNL,
            ],
        ] = (side, qty, eb, xb, ep, xp, fi, fo, gross, pnl)
        rows[k, L.T_RET] = pnl / (qty * ep)
        rows[k, L.T_C] = fi + fo
    return Trades(rows, ts)


@pytest.fixture(scope="module")
def stats():
    bars = daily_bars()
    return compute_stats(trade_table(bars.ts), EQUITY, bars, initial_cash=1000.0)


def test_period_and_equity(stats) -> None:
    assert stats["start"] == pd.Timestamp("2024-01-01", tz="Asia/Kolkata")
    assert stats["duration_days"] == 7
    assert stats["exposure_pct"] == pytest.approx(
        5 / 6 * 100
    )  # bars 0-4 held, the 1-2 reversal once
    assert (stats["equity_final"], stats["equity_peak"]) == (1100, 1200)
    assert stats["return_pct"] == pytest.approx(10.0)
    assert stats["buy_hold_return_pct"] == pytest.approx(0.0)
    assert stats["periods_per_year"] == 252  # weekday daily bars


R = EQUITY[1:] / EQUITY[:-1] - 1  # 0.1, -0.04545, 0.142857, -0.25, 0.22222
G = 1.1 ** (1 / 5) - 1  # geometric mean of the 5 daily returns: their product is 1100/1000
ANN = 1.1 ** (252 / 5) - 1


def test_annualised_return_volatility_ratios(monkeypatch: pytest.MonkeyPatch) -> None:
    # The formulas on 5 returns: below the minimum for ratios, lowered here to check them.
    monkeypatch.setattr("engine.metrics.MIN_RATIO_PERIODS", 5)
    bars = daily_bars()
    stats = compute_stats(trade_table(bars.ts), EQUITY, bars, initial_cash=1000.0)
    var = np.var(R, ddof=1)
    vol = math.sqrt((var + (1 + G) ** 2) ** 252 - (1 + G) ** (2 * 252))
    downside = math.sqrt((0.04545454545**2 + 0.25**2) / 5)
    assert stats["return_ann_pct"] == pytest.approx(ANN * 100)
    assert stats["volatility_ann_pct"] == pytest.approx(vol * 100)
    assert stats["cagr_pct"] == pytest.approx((1.1 ** (365.25 / 7) - 1) * 100)
    assert stats["sharpe"] == pytest.approx(ANN / vol)
    assert stats["sortino"] == pytest.approx(ANN / (downside * math.sqrt(252)), rel=1e-6)
    assert stats["calmar"] == pytest.approx(ANN / 0.25)


def test_drawdowns(stats) -> None:
    # running peak 1000 1100 1100 1200 1200 1200: episodes Jan 2->4 (depth 50/1100) and
    # Jan 4->8 (depth 300/1200 = 25%, still open at the end)
    assert stats["max_drawdown_pct"] == pytest.approx(-25.0)
    assert stats["avg_drawdown_pct"] == pytest.approx(-(50 / 1100 + 0.25) / 2 * 100)
    assert stats["max_drawdown_duration_days"] == 4
    assert stats["avg_drawdown_duration_days"] == 3


def test_trade_statistics(stats) -> None:
    rets = np.array([98 / 1000, 48 / 1100, -302 / 1200])
    pl = np.array([98.0, 48.0, -302.0])
    assert stats["trades"] == 3
    assert stats["win_rate_pct"] == pytest.approx(200 / 3)
    assert stats["best_trade_pct"] == pytest.approx(9.8)
    assert stats["worst_trade_pct"] == pytest.approx(-302 / 12)
    assert stats["avg_trade_pct"] == pytest.approx((np.prod(1 + rets) ** (1 / 3) - 1) * 100)
    assert (stats["max_trade_duration_days"], stats["avg_trade_duration_days"]) == (1, 1)
    assert stats["profit_factor"] == pytest.approx((0.098 + 48 / 1100) / (302 / 1200))
    assert stats["expectancy_pct"] == pytest.approx(rets.mean() * 100)
    assert stats["sqn"] == pytest.approx(math.sqrt(3) * -52 / np.std(pl, ddof=1))
    assert stats["kelly"] == pytest.approx(2 / 3 - (1 / 3) / (73 / 302))
    assert stats["total_charges"] == 6


def test_intraday_bars_annualise_from_day_end_equity() -> None:
    # three NSE days of 375 one-minute bars; equity moves within days but only day ends count
    n = 375 * 3
    k = np.arange(n)
    ts = pd.Timestamp("2024-01-01 09:15", tz="Asia/Kolkata").value + (k // 375) * 86_400 * 10**9
    ts = ts + (k % 375) * MIN_NS
    close = np.full(n, 100.0)
    bars = Bars.from_arrays(ts, close, close, close, close)
    equity = np.concatenate(
        [np.linspace(1000, 1050, 375), np.full(375, 990.0), np.full(375, 1089.0)]
    )
    s = compute_stats(Trades(np.zeros((0, L.NT)), ts), equity, bars)
    day_end = np.array([1050.0, 990.0, 1089.0])
    g = math.exp(np.log(day_end[1:] / day_end[:-1]).sum() / 2) - 1  # 2 daily returns
    assert s["periods_per_year"] == 252
    assert s["return_ann_pct"] == pytest.approx(((1 + g) ** 252 - 1) * 100)
    assert s["trades"] == 0
    assert math.isnan(s["win_rate_pct"])
    assert s.to_dict()["win_rate_pct"] is None


def test_weekend_data_uses_365_days() -> None:
    n = 24 * 14
    ts = pd.Timestamp("2024-01-01", tz="UTC").value + np.arange(n) * 3600 * 10**9
    c = np.linspace(100, 120, n)
    ctx = StatsContext.from_bars(Bars.from_arrays(ts, c, c, c, c), tz="UTC")
    assert ctx.periods_per_year == 365


def test_result_is_json_serialisable_with_nan_as_none() -> None:
    bars = minute_bars([100, 101, 102, 101, 103, 104])
    res = run_backtest(bars, signals(6, entry_long=[0], exit_long=[2]))
    payload = res.to_dict()
    text = json.dumps(payload, allow_nan=False)
    assert '"exit_reason": "signal"' in text
    assert payload["stats"]["trades"] == 1
    assert payload["stats"]["sqn"] is None  # one trade: no standard deviation
    assert len(payload["equity_curve"]) == 6
    assert res.stats.format().startswith("Start")


def test_flat_strategy_statistics() -> None:
    bars = minute_bars([100, 101, 102])
    res = run_backtest(bars, Signals.empty(3))
    assert res.stats["return_pct"] == 0
    assert res.stats["exposure_pct"] == 0
    assert math.isnan(res.stats["max_drawdown_duration_days"])


def test_annualised_ratios_are_null_on_a_few_days() -> None:
    """Three days of daily returns annualised gave a Sharpe of ~198: below the documented
    minimum of period returns the ratios are NaN (null in JSON); from it on they are shown."""
    from datetime import date

    from engine.markets.synthetic import synthetic_bars
    from engine.metrics import MIN_RATIO_PERIODS

    def stats(days: int) -> dict:
        bars = synthetic_bars(start=date(2025, 1, 6), days=days, seed=5)
        equity = 100_000.0 * bars.close / bars.close[0]  # a buy and hold curve: it moves
        return compute_stats(Trades(np.zeros((0, L.NT)), bars.ts), equity, bars)

    short = stats(3)
    assert all(math.isnan(short[k]) for k in ("sharpe", "sortino", "calmar"))
    assert not math.isnan(short["return_ann_pct"])  # the annualised return is still shown
    long = stats(MIN_RATIO_PERIODS + 1)
    assert not any(math.isnan(long[k]) for k in ("sharpe", "sortino", "calmar"))
