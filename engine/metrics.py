"""Performance statistics: a pure :func:`compute_stats` (definitions after backtesting.py).

Annualisation follows backtesting.py: returns of the equity at the last bar of each
local day, 252 periods a year (365 when more than ~17% of bars fall on weekends);
weekly or monthly bars use their own returns with 52 or 12. Deviations from
backtesting.py 0.6.6 are listed in ``docs/engine.md``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numba import njit

from engine.bars import Bars
from engine.sim.result import Trades, clean

IST = "Asia/Kolkata"
_DAY_NS = 86_400_000_000_000
_FIXED_OFFSETS_MIN = {IST: 330, "UTC": 0}

# key -> label, in table order; keys ending in _days are durations.
LABELS: dict[str, str] = {
    "start": "Start",
    "end": "End",
    "duration_days": "Duration",
    "exposure_pct": "Exposure Time [%]",
    "equity_final": "Equity Final",
    "equity_peak": "Equity Peak",
    "return_pct": "Return [%]",
    "buy_hold_return_pct": "Buy & Hold Return [%]",
    "return_ann_pct": "Return (Ann.) [%]",
    "volatility_ann_pct": "Volatility (Ann.) [%]",
    "cagr_pct": "CAGR [%]",
    "sharpe": "Sharpe Ratio",
    "sortino": "Sortino Ratio",
    "calmar": "Calmar Ratio",
    "max_drawdown_pct": "Max. Drawdown [%]",
    "avg_drawdown_pct": "Avg. Drawdown [%]",
    "max_drawdown_duration_days": "Max. Drawdown Duration",
    "avg_drawdown_duration_days": "Avg. Drawdown Duration",
    "trades": "# Trades",
    "win_rate_pct": "Win Rate [%]",
    "best_trade_pct": "Best Trade [%]",
    "worst_trade_pct": "Worst Trade [%]",
    "avg_trade_pct": "Avg. Trade [%]",
    "max_trade_duration_days": "Max. Trade Duration",
    "avg_trade_duration_days": "Avg. Trade Duration",
    "profit_factor": "Profit Factor",
    "expectancy_pct": "Expectancy [%]",
    "sqn": "SQN",
    "kelly": "Kelly Criterion",
    "total_charges": "Total Charges",
    "periods_per_year": "Periods per Year",
}
NUMERIC_KEYS = tuple(k for k in LABELS if k not in ("start", "end"))


@dataclass(frozen=True, slots=True)
class Stats(Mapping[str, Any]):
    """The statistics table: a read-only mapping key -> value (``LABELS`` for display)."""

    values: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: NaN and inf become None, times ISO 8601 strings, durations in days."""
        return {
            k: v.isoformat() if isinstance(v, pd.Timestamp) else clean(v)
            for k, v in self.values.items()
        }

    def to_series(self) -> pd.Series:
        """Labelled like backtesting.py, durations as Timedelta."""
        data = {LABELS[k]: _display(k, v) for k, v in self.values.items()}
        return pd.Series(data, dtype=object)

    def format(self) -> str:
        return self.to_series().to_string()


@dataclass(frozen=True, slots=True)
class StatsContext:
    """What depends only on the bars (day ends, periods a year); reuse it across a sweep."""

    day_end: np.ndarray  # index of each local day's last bar
    periods_per_year: float
    per_bar: bool  # weekly/monthly bars: returns per bar, not per day
    buy_hold: float

    @classmethod
    def from_bars(cls, bars: Bars, tz: str = IST) -> StatsContext:
        ts = bars.ts
        if len(ts) == 0:
            return cls(np.zeros(0, np.int64), math.nan, False, math.nan)
        day_end, weekend_bars = _day_ends(ts, tz)
        spacing = float(np.median(np.diff(ts[:1001]))) / _DAY_NS if len(ts) > 1 else 1.0
        per_bar = spacing >= 6.5
        if per_bar:
            ppy = 12.0 if spacing >= 27 else 52.0
        else:
            ppy = 365.0 if weekend_bars / len(ts) > 2 / 7 * 0.6 else 252.0
        c = bars.close
        return cls(day_end, ppy, per_bar, (c[-1] - c[0]) / c[0] if c[0] else math.nan)


def compute_stats(
    trades: Trades,
    equity: np.ndarray,
    bars: Bars,
    *,
    risk_free_rate: float = 0.0,
    initial_cash: float | None = None,
    open_entry_bar: int | None = None,
    tz: str = IST,
    context: StatsContext | None = None,
) -> Stats:
    """Statistics of one run. ``open_entry_bar``: where a still-open position began."""
    if len(equity) != len(bars) or len(bars) == 0:
        raise ValueError("equity and bars must be non-empty and of equal length")
    ctx = context or StatsContext.from_bars(bars, tz)
    v: dict[str, Any] = {}
    _period(v, bars, tz)
    v["exposure_pct"] = _exposure(trades, len(bars), open_entry_bar) * 100.0
    v |= _returns(equity, ctx, initial_cash, risk_free_rate, v["duration_days"])
    v |= _drawdowns(equity, bars.ts, v["return_ann_pct"] / 100.0)
    if _periods(len(equity), ctx) < MIN_RATIO_PERIODS:
        v["calmar"] = math.nan
    v |= _trade_stats(trades)
    v["periods_per_year"] = ctx.periods_per_year
    return Stats({k: v[k] for k in LABELS})


def _period(v: dict[str, Any], bars: Bars, tz: str) -> None:
    idx = pd.DatetimeIndex(bars.ts[[0, -1]].astype("datetime64[ns]")).tz_localize("UTC")
    idx = idx.tz_convert(tz)
    v["start"], v["end"] = idx[0], idx[-1]
    v["duration_days"] = (int(bars.ts[-1]) - int(bars.ts[0])) / _DAY_NS


def _exposure(trades: Trades, n: int, open_entry_bar: int | None) -> float:
    """Share of bars with a position, entry and exit bars included (as backtesting.py)."""
    entry, exit_ = trades.entry_bar, trades.exit_bar
    held = float(np.sum(exit_ - entry + 1))
    if len(entry) > 1:
        held -= float(np.sum(entry[1:] == exit_[:-1]))  # a reversal bar counts once
    if open_entry_bar is not None:
        held += n - open_entry_bar - (1 if len(exit_) and exit_[-1] == open_entry_bar else 0)
    return held / n


# Fewer period returns than this (about a month of trading days) and the annualised ratios
# (Sharpe, Sortino, Calmar) are NaN, shown as null: raising a few days' mean to the power of
# 252 gave a Sharpe of 198 on a 3-day run, a number that says nothing (docs/engine.md).
MIN_RATIO_PERIODS = 20


def _returns(
    equity: np.ndarray,
    ctx: StatsContext,
    initial_cash: float | None,
    rf: float,
    duration_days: float,
) -> dict[str, float]:
    start = float(initial_cash) if initial_cash is not None else float(equity[0])
    final = float(equity[-1])
    r = _period_returns(equity, ctx)
    ppy = ctx.periods_per_year
    g = _gmean(r, len(r))
    ann = _pow(1 + g, ppy) - 1
    var = float(np.var(r, ddof=1)) if len(r) > 1 else math.nan
    vol = math.sqrt(max(_pow(var + (1 + g) ** 2, ppy) - _pow(1 + g, 2 * ppy), 0.0))
    years = duration_days / 365.25
    downside = math.sqrt(float(np.mean(np.minimum(r, 0.0) ** 2))) if len(r) else math.nan
    return {
        "equity_final": final,
        "equity_peak": float(np.max(equity)),
        "return_pct": (final - start) / start * 100.0,
        "buy_hold_return_pct": ctx.buy_hold * 100.0,
        "return_ann_pct": ann * 100.0,
        "volatility_ann_pct": vol * 100.0,
        "cagr_pct": _cagr(final, start, years) * 100.0,
        "sharpe": _ratio(ann * 100.0 - rf * 100.0, vol * 100.0, len(r)),
        "sortino": _ratio(ann - rf, downside * math.sqrt(ppy), len(r)),
        "total_charges": math.nan,  # filled by _trade_stats
    }


def _ratio(num: float, den: float, periods: int) -> float:
    """An annualised ratio, NaN on fewer than ``MIN_RATIO_PERIODS`` returns."""
    return _div(num, den) if periods >= MIN_RATIO_PERIODS else math.nan


def _pow(base: float, exponent: float) -> float:
    """``base ** exponent``, NaN where a float cannot hold it (overflow, negative base)."""
    if math.isnan(base) or base < 0:
        return math.nan
    try:
        return base**exponent
    except OverflowError:
        return math.nan


def _cagr(final: float, start: float, years: float) -> float:
    """Compound annual growth; NaN under a day (annualising minutes means nothing), when
    equity went to or below zero, or when the annualised figure overflows."""
    if years < 1 / 365.25 or final <= 0 or start <= 0:
        return math.nan
    try:
        return math.exp(math.log(final / start) / years) - 1
    except OverflowError:
        return math.nan


def _periods(n: int, ctx: StatsContext) -> int:
    """How many returns ``_period_returns`` gives for ``n`` bars."""
    return max((n if ctx.per_bar else len(ctx.day_end)) - 1, 0)


def _period_returns(equity: np.ndarray, ctx: StatsContext) -> np.ndarray:
    points = equity if ctx.per_bar else equity[ctx.day_end]
    return points[1:] / points[:-1] - 1.0 if len(points) > 1 else np.zeros(0)


def _gmean(r: np.ndarray, count: int) -> float:
    """Geometric mean return over ``count`` periods; 0 when any return is -100% or worse."""
    if count <= 0 or np.any(r <= -1.0):
        return 0.0
    return math.exp(float(np.sum(np.log1p(r))) / count) - 1.0


def _drawdowns(equity: np.ndarray, ts: np.ndarray, ann_return: float) -> dict[str, float]:
    max_dd, durations, peaks = _drawdown_episodes(equity, ts)
    has = len(peaks) > 0
    return {
        "calmar": _div(ann_return, max_dd),
        "max_drawdown_pct": -max_dd * 100.0,
        "avg_drawdown_pct": -float(np.mean(peaks)) * 100.0 if has else math.nan,
        "max_drawdown_duration_days": float(np.max(durations)) / _DAY_NS if has else math.nan,
        "avg_drawdown_duration_days": float(np.mean(durations)) / _DAY_NS if has else math.nan,
    }


def _trade_stats(trades: Trades) -> dict[str, float]:
    n = len(trades)
    ret, pl = trades.ret, trades.pnl
    dur = (trades.exit_time - trades.entry_time) / _DAY_NS
    win = float(np.mean(pl > 0)) if n else math.nan
    wins, losses = pl[pl > 0], pl[pl < 0]
    payoff = (
        _div(float(np.mean(wins)), -float(np.mean(losses)))
        if len(wins) and len(losses)
        else math.nan
    )
    std = float(np.std(pl, ddof=1)) if n > 1 else math.nan
    return {
        "trades": n,
        "win_rate_pct": win * 100.0,
        "best_trade_pct": float(np.max(ret)) * 100.0 if n else math.nan,
        "worst_trade_pct": float(np.min(ret)) * 100.0 if n else math.nan,
        "avg_trade_pct": _gmean(ret, n) * 100.0 if n else math.nan,
        "max_trade_duration_days": float(np.max(dur)) if n else math.nan,
        "avg_trade_duration_days": float(np.mean(dur)) if n else math.nan,
        "profit_factor": _div(float(np.sum(ret[ret > 0])), abs(float(np.sum(ret[ret < 0])))),
        "expectancy_pct": float(np.mean(ret)) * 100.0 if n else math.nan,
        "sqn": _div(math.sqrt(n) * float(np.mean(pl)), std) if n else math.nan,
        "kelly": win - (1 - win) / payoff if n else math.nan,
        "total_charges": float(np.sum(trades.charges)),
    }


def _div(a: float, b: float) -> float:
    if b == 0 or math.isnan(b) or math.isnan(a):
        return math.nan
    return a / b


def _day_ends(ts: np.ndarray, tz: str) -> tuple[np.ndarray, int]:
    if tz in _FIXED_OFFSETS_MIN:
        return _day_ends_fixed(ts, _FIXED_OFFSETS_MIN[tz] * 60_000_000_000)
    from engine.sim.clock import day_ids  # pandas tz conversion for other zones

    days = day_ids(ts, tz)
    ends = np.r_[np.flatnonzero(days[1:] != days[:-1]), len(days) - 1]
    return ends, int(np.sum((days + 3) % 7 >= 5))


@njit(cache=True)
def _day_ends_fixed(ts: np.ndarray, offset_ns: int) -> tuple[np.ndarray, int]:
    """Last bar of each local day and the number of weekend bars; one division per day."""
    n = len(ts)
    ends = np.empty(n, np.int64)
    k = 0
    weekend = 0
    day = (ts[0] + offset_ns) // _DAY_NS
    boundary = (day + 1) * _DAY_NS - offset_ns
    count = 0
    for i in range(n):
        if ts[i] >= boundary:
            ends[k] = i - 1
            k += 1
            weekend += count if (day + 3) % 7 >= 5 else 0
            day = (ts[i] + offset_ns) // _DAY_NS
            boundary = (day + 1) * _DAY_NS - offset_ns
            count = 0
        count += 1
    ends[k] = n - 1
    weekend += count if (day + 3) % 7 >= 5 else 0
    return ends[: k + 1].copy(), weekend


@njit(cache=True)
def _drawdown_episodes(eq: np.ndarray, ts: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Max drawdown and each episode's duration (ns) and depth, as backtesting.py defines them:
    an episode runs between consecutive new highs (or to the last bar), if longer than a bar."""
    n = len(eq)
    durations = np.empty(n // 2 + 1)
    peaks = np.empty(n // 2 + 1)
    k = 0
    peak = eq[0]
    prev = 0
    depth = 0.0
    max_dd = 0.0
    for i in range(1, n):
        if eq[i] >= peak:
            peak = eq[i]
            if i > prev + 1:
                durations[k] = ts[i] - ts[prev]
                peaks[k] = depth
                k += 1
            prev = i
            depth = 0.0
        else:
            dd = 1.0 - eq[i] / peak
            depth = max(depth, dd)
            max_dd = max(max_dd, dd)
    if n - 1 > prev + 1:
        durations[k] = ts[n - 1] - ts[prev]
        peaks[k] = depth
        k += 1
    return max_dd, durations[:k].copy(), peaks[:k].copy()


def _display(key: str, value: Any) -> Any:
    if key.endswith("_days") and isinstance(value, float) and not math.isnan(value):
        return pd.Timedelta(days=value).round("s")
    return value
