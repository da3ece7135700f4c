"""The hand-off between strategy evaluation (graph) and simulation (sim).

A compiled graph produces :class:`Signals`; the simulator consumes them with
:class:`RiskSettings`. Both are plain frozen dataclasses so a backtest, a sweep
and a live session pass exactly the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

Unit = Literal["points", "percent"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Level:
    """A distance from the entry price: ``value`` points or ``value`` percent."""

    value: float
    unit: Unit = "points"


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskSettings:
    """Strategy-level risk rules, shared by the graph document and the simulator."""

    stop_loss: Level | None = None
    target: Level | None = None
    trailing_stop: Level | None = None
    max_trades_per_day: int | None = None
    daily_max_loss: float | None = None  # currency; the day's realised P&L floor
    per_trade_max_loss: float | None = None  # currency
    square_off: str | None = None  # "HH:MM" IST, e.g. "15:25"
    cooldown_bars: int = 0
    min_hold_bars: int = 0
    # Intraday rules (docs/backtests.md "Intraday rules"). Time-based cooldown and hold apply
    # with the bar-based ones (both must pass).
    cooldown_seconds: int = 0
    min_hold_seconds: int = 0
    entry_cutoff: str | None = None  # "HH:MM" IST: no new entries from then on
    stop_at: str | None = None  # "node.port": the stop is that series' value on the signal bar
    target_at: str | None = None  # likewise for the target
    trailing_activation: Level | None = None  # trailing works once price moved this far
    move_stop_to_cost: Level | None = None  # the stop moves to entry after this favourable move
    daily_loss_check: str = "close"  # "close", or "bar": also a level inside each bar
    # Rule names (daily_loss, trade_loss, stop, target, trailing) in the order they win when
    # several fire on one bar; None: price order (the tightest stop-type level, stop_first).
    exit_priority: tuple[str, ...] | None = None
    # Option-leg groups only (engine.options): on the group's combined P&L, "points" meaning
    # rupees, "percent" of the premium value the group paid or received at entry.
    group_stop_loss: Level | None = None
    group_target: Level | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Signals:
    """Boolean arrays, one value per bar, true on the bar whose close decided it."""

    entry_long: np.ndarray
    exit_long: np.ndarray
    entry_short: np.ndarray
    exit_short: np.ndarray
    # Node ids of the action nodes each entry fires (option legs etc.), for later layers.
    actions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Per action node id: the bars it fires on (a chained action fires with the action before
    # it; after a ``wait`` of n bars, n bars later). See docs/strategy-language.md.
    fired: dict[str, np.ndarray] = field(default_factory=dict)
    # The graph series the risk settings name (``stop_at``/``target_at``), one value per bar,
    # keyed "stop" and "target"; an entry takes the values of its signal bar.
    levels: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.entry_long)
        for name in ("exit_long", "entry_short", "exit_short"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"signal '{name}' length differs from entry_long ({n})")

    def actions_at(self, i: int) -> tuple[str, ...]:
        """Action ids fired on bar ``i``, in chain order (as ``BarSignal.actions``)."""
        order = dict.fromkeys(a for ids in self.actions.values() for a in ids)
        return tuple(a for a in order if a in self.fired and self.fired[a][i])

    @classmethod
    def empty(cls, n: int) -> Signals:
        z = np.zeros(n, dtype=np.bool_)
        return cls(entry_long=z, exit_long=z.copy(), entry_short=z.copy(), exit_short=z.copy())
