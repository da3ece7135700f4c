"""``BacktestResult.to_dict`` is built from whole arrays; it must equal, value for value and
type for type, the per-value implementation it replaced (kept below as the reference)."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pytest
import talib

from engine import ENGINE_VERSION
from engine.backtest import BacktestResult, run_backtest
from engine.bars import Bars
from engine.graph import compile_graph
from engine.signals import Level, RiskSettings, Signals
from engine.sim import SimConfig, Sizing
from engine.sim import layout as L
from engine.sim.result import Rejections, Trades, _times, iso_times, json_floats
from engine.tests import golden


# -- the reference: to_dict as it was before issue 13 (one Python call per value) ----------
def old_clean(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def old_trade_records(trades: Trades, tz: str) -> list[dict[str, Any]]:
    frame = trades.to_frame(tz)
    for col in ("entry_time", "exit_time"):
        frame[col] = [t.isoformat() for t in frame[col]]
    rows = frame.to_dict(orient="records")
    return [{k: old_clean(v) for k, v in row.items()} for row in rows]


def old_rejection_records(rejections: Rejections, tz: str) -> list[dict[str, Any]]:
    out = []
    for row in rejections.records:
        bar = int(row[L.R_BAR])
        out.append(
            {
                "bar": bar,
                "time": _times(rejections.ts[bar : bar + 1], tz)[0].isoformat(),
                "side": "long" if row[L.R_SIDE] > 0 else "short",
                "qty": old_clean(row[L.R_QTY]),
                "price": old_clean(row[L.R_PRICE]),
                "reason": L.REJECT_REASONS[int(row[L.R_REASON])],
            }
        )
    return out


def old_curve(ts: np.ndarray, values: np.ndarray, max_points: int | None, tz: str) -> list:
    idx = np.arange(len(ts))
    if max_points and len(ts) > max_points:
        idx = np.unique(np.linspace(0, len(ts) - 1, max_points).astype(np.int64))
    times = _times(ts[idx], tz)
    return [[t.isoformat(), old_clean(float(v))] for t, v in zip(times, values[idx], strict=True)]


def old_to_dict(res: BacktestResult, max_points: int | None = 2000, tz: str | None = None) -> dict:
    tz = tz or res.config.timezone
    pos = res.sim.open_position
    return {
        "engine_version": ENGINE_VERSION,
        "stats": {
            k: v.isoformat() if isinstance(v, pd.Timestamp) else old_clean(v)
            for k, v in res.stats.values.items()
        },
        "trades": old_trade_records(res.trades, tz),
        "rejections": old_rejection_records(res.rejections, tz),
        "rejection_counts": res.sim.rejection_counts,
        "open_position": pos.to_dict(tz) if pos is not None else None,
        "equity_curve": old_curve(res.bars.ts, res.equity, max_points, tz),
        "drawdown_curve": old_curve(res.bars.ts, res.drawdown, max_points, tz),
    }


# -- comparisons ---------------------------------------------------------------------------
def assert_same(new: Any, old: Any) -> None:
    """Equal values of equal types (1 and 1.0 differ in JSON), NaN nowhere."""
    assert json.dumps(new, allow_nan=False) == json.dumps(old, allow_nan=False)
    assert new == old


def random_bars(n: int, seed: int, start: str = "2015-01-05 09:15") -> Bars:
    rng = np.random.default_rng(seed)
    close = 20_000 * np.exp(np.cumsum(rng.normal(0, 0.0008, n)))
    open_ = np.r_[close[0], close[:-1]] * (1 + rng.normal(0, 0.0002, n))
    high = np.maximum(open_, close) * (1 + rng.exponential(0.0004, n))
    low = np.minimum(open_, close) * (1 - rng.exponential(0.0004, n))
    k = np.arange(n)
    t0 = pd.Timestamp(start, tz="Asia/Kolkata").value
    ts = t0 + (k // 375) * 86_400 * 10**9 + (k % 375) * 60 * 10**9
    return Bars.from_arrays(ts, open_, high, low, close, np.ones(n))


def cross(bars: Bars, fast: int = 10, slow: int = 20) -> Signals:
    f, s = talib.SMA(bars.close, fast), talib.SMA(bars.close, slow)
    up = np.r_[False, (f[:-1] < s[:-1]) & (f[1:] > s[1:])]
    down = np.r_[False, (f[:-1] > s[:-1]) & (f[1:] < s[1:])]
    return Signals(entry_long=up, exit_long=down, entry_short=down, exit_short=up)


@pytest.mark.parametrize("case", golden.CASES, ids=lambda c: c.name)
def test_small_runs_match_the_old_to_dict(case: golden.Case) -> None:
    from engine.cli import to_timeframe

    graph = compile_graph(case.doc())
    bars = golden._quiet(to_timeframe, golden.synthetic_bars(), graph.timeframe)
    res = run_backtest(bars, graph, case.config())
    for max_points in (2, 50, None):
        assert_same(res.to_dict(max_points=max_points), old_to_dict(res, max_points))


@pytest.mark.parametrize(
    ("tz", "end_of_data"),
    [
        ("Asia/Kolkata", "close_at_close"),
        ("UTC", "keep_open"),
        ("America/New_York", "close_at_open"),
    ],
)
def test_a_medium_run_matches_the_old_to_dict(tz: str, end_of_data: str) -> None:
    """40,000 bars, hundreds of trades, stops and targets, refusals (a small account),
    and a zone with daylight saving time (two UTC offsets in one array)."""
    bars = random_bars(40_000, seed=7)
    cfg = SimConfig(
        initial_cash=300_000,
        sizing=Sizing(mode="fixed", value=98),
        fees="india_futures",
        margin=0.15,
        timezone=tz,
        end_of_data=end_of_data,
    )
    risk = RiskSettings(stop_loss=Level(value=20), target=Level(value=40))
    res = run_backtest(bars, cross(bars), cfg, risk=risk)
    assert len(res.trades) > 100 and len(res.rejections) > 100
    assert_same(res.to_dict(), old_to_dict(res))
    assert_same(res.to_dict(tz="UTC", max_points=7), old_to_dict(res, 7, "UTC"))
    assert_same_json(res)


def assert_same_json(res: BacktestResult) -> None:
    """``to_json`` is ``to_dict`` with the trades as columns: the same values, keys, order."""
    doc, old = orjson.loads(res.to_json()), res.to_dict()
    columns = doc.pop("trades")
    rows = [
        dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)
    ]
    assert list(doc) == [k for k in old if k != "trades"] and rows == old.pop("trades")
    assert_same(doc, old)


def test_an_empty_run_matches_the_old_to_dict() -> None:
    bars = random_bars(30, seed=1)
    none = np.zeros(30, dtype=np.bool_)
    res = run_backtest(
        bars,
        Signals(entry_long=none, exit_long=none, entry_short=none, exit_short=none),
        SimConfig(),
    )
    assert_same(res.to_dict(), old_to_dict(res))
    assert_same_json(res)


@pytest.mark.parametrize("tz", ["Asia/Kolkata", "UTC", "America/New_York", "Asia/Calcutta"])
def test_iso_times_match_pandas_isoformat(tz: str) -> None:
    """Whole seconds (numpy path) and fractions (pandas path), DST, and an offset with seconds
    (Kolkata's local mean time before 1854)."""
    base = np.array(
        ["1850-06-01T00:00", "1941-10-01T00:00", "2024-03-10T06:59:59", "2024-03-10T07:00"],
        dtype="datetime64[ns]",
    ).astype(np.int64)
    for ts in (base, base + 1, base + 1_500_000, np.zeros(0, np.int64)):
        assert iso_times(ts, tz) == [t.isoformat() for t in _times(ts, tz)]


def test_json_floats_turn_non_finite_values_to_none() -> None:
    values = np.array([1.5, math.nan, math.inf, -math.inf, -0.0, 2.0])
    assert json_floats(values) == [old_clean(v) for v in values]
    assert [type(v) for v in json_floats(values)] == [type(old_clean(v)) for v in values]
