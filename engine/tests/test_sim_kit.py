"""Stub builders for simulator tests (no tests here): NSE-minute bars, signals by index."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from engine.bars import Bars
from engine.signals import Signals

MIN_NS = 60_000_000_000


def minute_bars(
    opens: Sequence[float],
    highs: Sequence[float] | None = None,
    lows: Sequence[float] | None = None,
    closes: Sequence[float] | None = None,
    start: str = "2024-01-01 09:15",
) -> Bars:
    """One-minute bars from ``start`` (IST); missing columns default to the open."""
    o = np.asarray(opens, dtype=float)
    c = o if closes is None else np.asarray(closes, dtype=float)
    h = np.maximum(o, c) if highs is None else np.asarray(highs, dtype=float)
    lo = np.minimum(o, c) if lows is None else np.asarray(lows, dtype=float)
    t0 = pd.Timestamp(start, tz="Asia/Kolkata").tz_convert("UTC").value
    return Bars.from_arrays(t0 + np.arange(len(o)) * MIN_NS, o, h, lo, c)


def signals(n: int, **where: Sequence[int]) -> Signals:
    """``signals(6, entry_long=[1], exit_long=[3])``: true on the listed bars."""
    arrays = {}
    for name in ("entry_long", "exit_long", "entry_short", "exit_short"):
        a = np.zeros(n, dtype=np.bool_)
        a[list(where.get(name, []))] = True
        arrays[name] = a
    return Signals(**arrays)
