"""Indicators TA-Lib lacks: SuperTrend (TradingView's definition) and session VWAP.

Each has a numba kernel for whole arrays and a Python state for streaming that perform
the same floating-point operations in the same order, so both paths agree bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numba
import numpy as np

from engine.indicators.base import BaseIndicator, Input, Param, ParamValue

IST_OFFSET_NS = 19_800 * 1_000_000_000  # IST is UTC+05:30 all year (no DST)
DAY_NS = 86_400 * 1_000_000_000
NAN = math.nan


@numba.njit(cache=True)
def _tr(high: float, low: float, prev_close: float) -> float:
    g = high - low
    if math.isnan(prev_close):
        return g  # TradingView: the first bar's true range is its high - low
    v = abs(high - prev_close)
    if v > g:
        g = v
    v = abs(low - prev_close)
    if v > g:
        g = v
    return g


@numba.njit(cache=True)
def _supertrend_kernel(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int, factor: float
) -> tuple[np.ndarray, np.ndarray]:
    size = len(close)
    line = np.full(size, np.nan)
    direction = np.full(size, np.nan)
    st = np.zeros(9)  # the streaming state, laid out as SuperTrendState does
    st[:] = np.nan
    st[3] = 0.0  # count
    st[4] = 0.0  # seed sum
    for i in range(size):
        line[i], direction[i] = _supertrend_step(st, high[i], low[i], close[i], n, factor)
    return line, direction


@numba.njit(cache=True)
def _supertrend_step(
    st: np.ndarray, high: float, low: float, close: float, n: int, factor: float
) -> tuple[float, float]:
    # st: 0 prev_close, 1 upper, 2 lower, 3 count, 4 seed, 5 atr, 6 trend, 7 started
    if np.isnan(st[7]):
        if np.isnan(high) or np.isnan(low) or np.isnan(close):
            return np.nan, np.nan  # leading NaN bars are skipped, as TA-Lib does
        st[7] = 1.0
    tr = _tr(high, low, st[0])
    if st[3] < n:
        st[4] += tr
        st[3] += 1.0
        if st[3] < n:
            st[0] = close
            return np.nan, np.nan
        st[5] = st[4] / n  # RMA seeded with the SMA of the first n ranges
    else:
        st[5] = (1.0 / n) * tr + (1.0 - 1.0 / n) * st[5]
    hl2 = (high + low) / 2.0
    basic_up = hl2 + factor * st[5]
    basic_lo = hl2 - factor * st[5]
    prev_up, prev_lo, prev_close = st[1], st[2], st[0]
    lower = (
        basic_lo if (np.isnan(prev_lo) or basic_lo > prev_lo or prev_close < prev_lo) else prev_lo
    )
    upper = (
        basic_up if (np.isnan(prev_up) or basic_up < prev_up or prev_close > prev_up) else prev_up
    )
    trend = st[6]
    if np.isnan(trend) or (trend < 0 and close > prev_up):
        trend = 1.0
    elif trend > 0 and close < prev_lo:
        trend = -1.0
    st[0], st[1], st[2], st[6] = close, upper, lower, trend
    return (lower if trend > 0 else upper), trend


class SuperTrendState:
    """Streaming SuperTrend: the kernel's own step function on a 9-slot state."""

    def __init__(self, n: int, factor: float) -> None:
        self.n, self.factor = n, factor
        self.st = np.full(9, np.nan)
        self.st[3] = 0.0
        self.st[4] = 0.0

    def update(self, high: float, low: float, close: float) -> tuple[float, float]:
        return _supertrend_step(self.st, high, low, close, self.n, self.factor)


class SuperTrend(BaseIndicator):
    """hl2 ± factor × ATR with ratcheting bands; direction +1 up, -1 down.

    Note TradingView's ``ta.supertrend`` reports direction -1 for an uptrend; here +1 is up.
    """

    name = "SUPERTREND"
    group = "Overlap Studies"
    display_name = "SuperTrend (TradingView)"
    inputs = ("high", "low", "close")
    params = (
        Param(name="period", type="int", default=10, min=1, max=100_000, help="ATR period"),
        Param(name="factor", type="float", default=3.0, min=0.0, max=1_000.0, help="ATR multiple"),
    )
    outputs = ("line", "direction")
    origin = "builtin"

    def compute(
        self, inputs: Mapping[str, np.ndarray], params: Mapping[str, ParamValue]
    ) -> dict[str, np.ndarray]:
        line, direction = _supertrend_kernel(
            _f64(inputs["high"]),
            _f64(inputs["low"]),
            _f64(inputs["close"]),
            int(params["period"]),
            float(params["factor"]),
        )
        return {"line": line, "direction": direction}

    def stream(self, params: Mapping[str, ParamValue]) -> SuperTrendState:
        return SuperTrendState(int(params["period"]), float(params["factor"]))


@numba.njit(cache=True)
def _vwap_step(st: np.ndarray, day: float, tp: float, vol: float) -> float:
    # st: 0 day, 1 sum(tp*v), 2 sum(v), 3 sum(tp), 4 count. Resets on a new IST day.
    if day != st[0]:
        st[0], st[1], st[2], st[3], st[4] = day, 0.0, 0.0, 0.0, 0.0
    st[1] += tp * vol
    st[2] += vol
    st[3] += tp
    st[4] += 1.0
    if st[2] > 0.0:
        return st[1] / st[2]
    return st[3] / st[4]  # index data has no volume: fall back to equal weights


@numba.njit(cache=True)
def _vwap_kernel(day: np.ndarray, tp: np.ndarray, vol: np.ndarray) -> np.ndarray:
    out = np.empty(len(tp))
    st = np.full(5, np.nan)
    for i in range(len(tp)):
        out[i] = _vwap_step(st, day[i], tp[i], vol[i])
    return out


def ist_day(ts: np.ndarray | int) -> np.ndarray | int:
    """The IST calendar day number (days since 1970-01-01 IST) of UTC-ns timestamps."""
    return (ts + IST_OFFSET_NS) // DAY_NS


class VwapState:
    def __init__(self) -> None:
        self.st = np.full(5, np.nan)

    def update(self, ts: float, high: float, low: float, close: float, vol: float) -> tuple[float]:
        tp = (high + low + close) / 3.0
        return (_vwap_step(self.st, float(ist_day(int(ts))), tp, vol),)


class SessionVwap(BaseIndicator):
    """VWAP of hlc3 anchored at each IST calendar day; equal-weighted when volume is 0."""

    name = "VWAP"
    group = "Volume Indicators"
    display_name = "VWAP (IST session)"
    inputs = (Input("ts", "ts"), "high", "low", "close", "volume")
    outputs = ("out",)
    origin = "builtin"

    def compute(
        self, inputs: Mapping[str, np.ndarray], params: Mapping[str, ParamValue]
    ) -> np.ndarray:
        day = ist_day(np.asarray(inputs["ts"]).astype(np.int64)).astype(np.float64)
        tp = (_f64(inputs["high"]) + _f64(inputs["low"]) + _f64(inputs["close"])) / 3.0
        return _vwap_kernel(day, tp, _f64(inputs["volume"]))

    def stream(self, params: Mapping[str, ParamValue]) -> VwapState:
        return VwapState()


def _f64(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float64)


def builtin_indicators() -> dict[str, BaseIndicator]:
    return {i.name: i for i in (SuperTrend(), SessionVwap())}
