"""Hypothesis strategies shared by the property tests: bars drawn directly on a tick grid.

Drawing the price steps themselves (not a seed for numpy's generator) lets a failure shrink
to flat prices with a few moves, which reads as a case a person can check by hand.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from engine.bars import Bars

T0 = 1_704_080_700 * 1_000_000_000  # 2024-01-01 09:15 IST
TICK = 0.05
MIN_NS = 60_000_000_000
DAY_NS = 86_400 * 10**9


def ticks(n: int, lo: int, hi: int) -> st.SearchStrategy[np.ndarray]:
    """``n`` whole numbers of ticks, every one drawn (no fill value), so all shrink to 0."""
    return arrays(np.int64, n, elements=st.integers(lo, hi), fill=st.nothing())


@st.composite
def tick_bars(draw: st.DrawFn, n: int, per_day: int = 375, minutes: int = 1) -> Bars:
    """``n`` bars of ``minutes`` from 09:15 IST, ``per_day`` a day: closes move by up to 40
    ticks a bar from 1000, opens gap up to 20 ticks from the previous close, wicks up to 30."""
    close = 1_000 + np.cumsum(draw(ticks(n, -40, 40))) * TICK
    open_ = np.r_[1_000.0, close[:-1]] + draw(ticks(n, -20, 20)) * TICK
    high = np.maximum(open_, close) + draw(ticks(n, 0, 30)) * TICK
    low = np.minimum(open_, close) - draw(ticks(n, 0, 30)) * TICK
    volume = draw(ticks(n, 0, 1_000)).astype(np.float64)
    k = np.arange(n)
    ts = T0 + (k // per_day) * DAY_NS + (k % per_day) * minutes * MIN_NS
    return Bars.from_arrays(ts, open_, high, low, close, volume)


def bars_repr(bars: Bars) -> str:
    """Prices as short lists, for failure reports."""
    cols = {k: getattr(bars, k).round(2).tolist() for k in ("open", "high", "low", "close")}
    return f"Bars(n={len(bars)}, {cols})"
