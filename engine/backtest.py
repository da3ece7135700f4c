"""One call from bars and a strategy to a JSON-ready result.

>>> result = run_backtest(bars, signals, SimConfig(initial_cash=1e5), risk=RiskSettings())
>>> result.stats["sharpe"], result.trades.to_frame(), result.to_dict()
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np

from engine import ENGINE_VERSION
from engine.bars import Bars
from engine.graph.capabilities import entry_quantities
from engine.metrics import Stats, StatsContext, compute_stats
from engine.options.run import LegTrades, has_option_legs, leg_stats, run_legs
from engine.signals import RiskSettings, Signals
from engine.sim import SimConfig, SimResult, simulate
from engine.sim import layout as L
from engine.sim.result import Rejections, Trades, iso_times, json_floats


class SignalSource(Protocol):
    """A compiled strategy graph (``engine.graph.CompiledGraph``) or anything shaped so."""

    @property
    def risk(self) -> RiskSettings: ...

    def evaluate(self, bars: Bars) -> Signals: ...


@dataclass(frozen=True, slots=True)
class BacktestResult:
    bars: Bars
    sim: SimResult
    stats: Stats
    config: SimConfig
    risk: RiskSettings

    @property
    def trades(self) -> Trades:
        return self.sim.trades

    @property
    def rejections(self) -> Rejections:
        return self.sim.rejections

    @property
    def equity(self) -> np.ndarray:
        return self.sim.equity

    @property
    def drawdown(self) -> np.ndarray:
        return self.sim.drawdown

    def to_dict(self, *, max_points: int | None = 2000, tz: str | None = None) -> dict[str, Any]:
        """JSON-serialisable (NaN -> None). Curves are downsampled to ``max_points``."""
        tz = tz or self.config.timezone
        body = self.summary_dict(max_points=max_points, tz=tz)
        return _with_trades(body, self.trades.to_records(tz))

    def to_json(self, *, max_points: int | None = 2000, tz: str | None = None) -> bytes:
        """The ``to_dict`` document as JSON bytes, except ``trades``: one array a field
        (``{"side": [...], "pnl": [...], ...}``, the ``to_records`` keys) rather than one
        object a trade, written from the arrays without a Python object per value."""
        import orjson  # only this method needs it: the engine imports without it

        tz = tz or self.config.timezone
        body = self.summary_dict(max_points=max_points, tz=tz)
        document = _with_trades(body, self.trades.to_columns(tz))
        return orjson.dumps(document, option=orjson.OPT_SERIALIZE_NUMPY)

    def summary_dict(self, *, max_points: int | None = 2000, tz: str | None = None) -> dict:
        """``to_dict`` without ``trades`` (a store that writes them from ``trades``' arrays)."""
        tz = tz or self.config.timezone
        return {
            "engine_version": ENGINE_VERSION,
            "stats": self.stats.to_dict(),
            "rejections": self.rejections.to_records(tz),
            "rejection_counts": self.sim.rejection_counts,
            "open_position": (
                self.sim.open_position.to_dict(tz) if self.sim.open_position is not None else None
            ),
            **self._legs(),
            **_curves_at(self.bars.ts, self.equity, max_points, tz),
        }

    def _legs(self) -> dict[str, Any]:
        """Option runs add their premium source and per-leg statistics."""
        options = self.config.options
        if options is None or not isinstance(self.trades, LegTrades):
            return {}
        return {"premium_source": options.premium_source, "leg_stats": leg_stats(self.trades)}


def _curves_at(
    ts: np.ndarray, equity: np.ndarray, max_points: int | None, tz: str
) -> dict[str, list[list[Any]]]:
    """Equity and drawdown at the same points, their times formatted once; the drawdown
    divided only there (the running peak still needs every bar)."""
    idx = _curve_index(len(ts), max_points)
    times = iso_times(ts[idx], tz)
    at = equity[idx]
    drawdown = 1.0 - at / np.maximum.accumulate(equity)[idx]
    return {
        "equity_curve": _pairs(times, at),
        "drawdown_curve": _pairs(times, drawdown),
    }


def _with_trades(body: dict[str, Any], trades: Any) -> dict[str, Any]:
    """The summary with ``trades`` after ``stats``, where ``to_dict`` has always listed it."""
    head = {"engine_version": body["engine_version"], "stats": body["stats"], "trades": trades}
    return head | {k: v for k, v in body.items() if k not in head}


def run_backtest(
    bars: Bars,
    strategy: Signals | SignalSource,
    config: SimConfig | None = None,
    *,
    risk: RiskSettings | None = None,
    risk_free_rate: float = 0.0,
    stats_context: StatsContext | None = None,
) -> BacktestResult:
    """Simulate and compute statistics. ``risk`` defaults to the strategy's own (or none)."""
    config = config or SimConfig()
    if isinstance(strategy, Signals):
        signals, risk = strategy, risk or RiskSettings()
    else:
        signals, risk = strategy.evaluate(bars), risk or strategy.risk
    plan = getattr(strategy, "plan", None)
    if plan is not None and has_option_legs(plan):
        # Option legs trade their resolved contracts' premiums, never the underlying
        # (ARCHITECTURE decision 12; docs/adr/0014-option-legs.md).
        tf = getattr(strategy, "timeframe", "1m")
        sim = run_legs(bars, signals, plan, config, risk, tf)
    else:
        document = getattr(strategy, "document", None)
        if document is not None:
            config = sized_by_orders(config, entry_quantities(document))
        sim = simulate(bars, signals, config, risk)
    stats = compute_stats(
        sim.trades,
        sim.equity,
        bars,
        risk_free_rate=risk_free_rate,
        initial_cash=config.initial_cash,
        open_entry_bar=open_entry_bar(sim),
        tz=config.timezone,
        context=stats_context,
    )
    return BacktestResult(bars=bars, sim=sim, stats=stats, config=config, risk=risk)


def sized_by_orders(config: SimConfig, quantities: dict[str, int]) -> SimConfig:
    """The run's size times the ``quantity`` its entry orders ask for (1 leaves it alone).

    ``fixed`` sizing: that many times the units; ``lots``: that many times the lots. A size
    from equity (``percent``, ``all_in``) has no multiple, so a quantity other than 1 is
    refused rather than ignored."""
    wanted = set(quantities.values())
    if len(wanted) > 1:
        raise ValueError(f"the entries ask for different quantities {sorted(wanted)}")
    q = wanted.pop() if wanted else 1
    if q == 1:
        return config
    sizing = config.sizing
    if sizing.mode not in ("fixed", "lots"):
        raise ValueError(
            f"an entry order's quantity {q} multiplies a fixed or lots size; the run sizes "
            f"'{sizing.mode}': use sizing fixed or lots, or remove the quantity"
        )
    return replace(config, sizing=replace(sizing, value=sizing.value * q))


def open_entry_bar(sim: SimResult) -> int | None:
    """The entry bar of a position still open at the end, for exposure and durations."""
    return int(sim.state[L.S_ENTRY_BAR]) if sim.state[L.S_QTY] != 0 else None


def _curve_index(n: int, max_points: int | None) -> np.ndarray:
    """Up to ``max_points`` evenly spaced bars, the first and last included."""
    if max_points and n > max_points:
        return np.unique(np.linspace(0, n - 1, max_points).astype(np.int64))
    return np.arange(n)


def _pairs(times: list[str], values: np.ndarray) -> list[list[Any]]:
    """``[[iso time, value], ...]`` (NaN -> None)."""
    return [list(pair) for pair in zip(times, json_floats(values), strict=True)]
