"""Whole-array simulation: prepare the kernel's inputs, run the loop, wrap the result."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.bars import Bars
from engine.fees import FeeTable
from engine.markets.calendar import lot_sizes
from engine.signals import RiskSettings, Signals
from engine.sim import layout as L
from engine.sim.clock import day_and_minute
from engine.sim.config import SimConfig, build_params, needs_calendar
from engine.sim.fast import fast_path_applies, run_fast
from engine.sim.kernel import run_loop
from engine.sim.result import OpenPosition, Rejections, SimResult, Trades

_EMPTY = np.zeros(0, dtype=np.int64)
_NO_LOTS = np.zeros(0)  # the kernel then uses the fixed lot in params
_NO_LEVELS = np.zeros(0)  # no graph stop/target level


@dataclass(frozen=True, slots=True)
class Prepared:
    """Everything but the signals, built once (sweeps reuse it for every combination)."""

    bars: Bars
    config: SimConfig
    params: np.ndarray
    fees: FeeTable
    days: np.ndarray
    mods: np.ndarray
    lots: np.ndarray  # per-bar lot sizes, or empty for the fixed ``sizing.lot_size``
    fast: bool = False  # engine.sim.fast applies: no risk rule, market entries, no clock

    @classmethod
    def build(cls, bars: Bars, config: SimConfig, risk: RiskSettings | None) -> Prepared:
        days, mods = _calendar(bars, config, risk)
        fees = config.fee_model().table()
        params = build_params(config, risk)
        lots = _lots(bars, config)
        fast = fast_path_applies(config, risk) and not len(days) and not len(lots)
        return cls(bars, config, params, fees, days, mods, lots, fast)

    def slice(self, start: int, stop: int) -> Prepared:
        days, mods, lots = (
            a[start:stop] if len(a) else a for a in (self.days, self.mods, self.lots)
        )
        return Prepared(
            self.bars.slice(start, stop),
            self.config,
            self.params,
            self.fees,
            days,
            mods,
            lots,
            self.fast,
        )


def simulate(
    bars: Bars,
    signals: Signals,
    config: SimConfig | None = None,
    risk: RiskSettings | None = None,
) -> SimResult:
    """Run the state machine over all bars; see ``docs/engine.md`` for fill rules."""
    return simulate_prepared(Prepared.build(bars, config or SimConfig(), risk), signals)


def simulate_prepared(prep: Prepared, signals: Signals) -> SimResult:
    bars = prep.bars
    if len(signals.entry_long) != len(bars):
        raise ValueError(f"signals have {len(signals.entry_long)} bars, data has {len(bars)}")
    st, trades, rejects, equity, cash, pos = _run(prep, signals)
    return SimResult(
        trades=Trades(trades.T, bars.ts),  # a column-major view: statistics read columns
        rejections=Rejections(rejects, bars.ts),
        equity=equity,
        cash=cash,
        position=pos,
        state=st,
        open_position=OpenPosition.from_state(st, bars.ts, float(bars.close[-1]))
        if len(bars)
        else None,
    )


def _run(prep: Prepared, signals: Signals) -> tuple[np.ndarray, ...]:
    """The fast loop when it applies (identical trades, fewer questions a bar), else the
    general kernel."""
    bars = prep.bars
    el, xl = _b(signals.entry_long), _b(signals.exit_long)
    es, xs = _b(signals.entry_short), _b(signals.exit_short)
    fees, end = prep.fees, prep.config.end_mode
    if prep.fast:
        return run_fast(
            prep.params,
            fees.rows,
            fees.starts,
            bars.ts,
            bars.open,
            bars.close,
            el,
            xl,
            es,
            xs,
            end,
        )
    return run_loop(
        prep.params,
        fees.rows,
        fees.starts,
        bars.ts,
        bars.open,
        bars.high,
        bars.low,
        bars.close,
        prep.days,
        prep.mods,
        el,
        xl,
        es,
        xs,
        end,
        prep.lots,
        _level_series(prep, signals, "stop", L.P_LEVEL_SL),
        _level_series(prep, signals, "target", L.P_LEVEL_TP),
    )


def _calendar(bars: Bars, config: SimConfig, risk: RiskSettings | None) -> tuple[np.ndarray, ...]:
    if not needs_calendar(risk):
        return _EMPTY, _EMPTY
    return day_and_minute(bars.ts, config.timezone)


def _lots(bars: Bars, config: SimConfig) -> np.ndarray:
    symbol = config.sizing.dated_lots
    return _NO_LOTS if symbol is None else lot_sizes(symbol, bars.ts)


def _level_series(prep: Prepared, signals: Signals, name: str, flag: int) -> np.ndarray:
    """The graph level series the kernel reads (``stop_at``/``target_at``), else empty."""
    if prep.params[flag] == 0:
        return _NO_LEVELS
    series = signals.levels.get(name)
    if series is None or len(series) != len(prep.bars):
        raise ValueError(
            f"the risk settings take the {name} from a graph series, but the signals carry no "
            f"'{name}' level for every bar (evaluate the strategy graph that names it)"
        )
    return np.ascontiguousarray(series, dtype=np.float64)


def _b(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.bool_)
