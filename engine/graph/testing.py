"""Helpers for tests and benchmarks: synthetic IST session bars and stream replay."""

from __future__ import annotations

import numpy as np

from engine.bars import Bars
from engine.graph.compile import CompiledGraph
from engine.signals import Signals

SESSION_BARS = 375  # 09:15-15:29 IST one-minute bars
_SEC_NS = 1_000_000_000
_DAY_NS = 86_400_000_000_000


def random_walk_bars(
    n: int,
    seed: int = 0,
    start: str = "2024-01-01",
    tick: float = 0.05,
    minutes: int = 1,
    seconds: int | None = None,
) -> Bars:
    """``n`` bars of ``minutes`` (or ``seconds``, for sub-minute bars) from 09:15 IST on
    consecutive days, prices on ``tick``."""
    rng = np.random.default_rng(seed)
    step = seconds if seconds is not None else minutes * 60
    per_day = max(1, SESSION_BARS * 60 // step)
    day, k = np.divmod(np.arange(n), per_day)
    t0 = np.datetime64(f"{start}T03:45", "ns").astype(np.int64)  # 09:15 IST in UTC
    ts = t0 + day * _DAY_NS + k * step * _SEC_NS
    close = np.round((1_000 + np.cumsum(rng.normal(0, 1, n))) / tick) * tick
    open_ = np.r_[close[:1], close[:-1]]
    up = np.round(np.abs(rng.normal(0, 0.6, n)) / tick) * tick
    down = np.round(np.abs(rng.normal(0, 0.6, n)) / tick) * tick
    high = np.maximum(open_, close) + up
    low = np.minimum(open_, close) - down
    volume = np.round(rng.uniform(0, 1_000, n))
    return Bars.from_arrays(ts, open_, high, low, close, volume)


def stream_signals(graph: CompiledGraph, bars: Bars, warmup: int) -> Signals:
    """Streaming signals for ``bars[warmup:]`` after warming up on ``bars[:warmup]``."""
    ev = graph.stream(bars.slice(0, warmup))
    cols = [
        getattr(bars, f)[warmup:].tolist() for f in ("ts", "open", "high", "low", "close", "volume")
    ]
    recs = [ev.update(*row) for row in zip(*cols, strict=True)]
    names = ("entry_long", "exit_long", "entry_short", "exit_short")
    arrays = {k: np.array([getattr(r, k) for r in recs], dtype=np.bool_) for k in names}
    plan = graph.plan
    fired = {
        a: np.array([a in r.actions for r in recs], dtype=np.bool_)
        for ids in plan.actions.values()
        for a in ids
    }
    return Signals(**arrays, actions=dict(plan.actions), fired=fired)
