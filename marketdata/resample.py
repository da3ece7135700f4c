"""Resample one-minute bars to larger session-aligned buckets (anchored at 09:15 IST).

A 15m bucket holds 09:15-09:29, 09:30-09:44, ...; 1h holds 09:15-10:14 ... 15:15-15:29 (the last
bar of the day is short). A day bucket is the IST date, labelled 00:00 IST. Buckets are
labelled by their start, whether or not the first minute is present.
"""

from __future__ import annotations

import numpy as np

from engine.bars import Bars
from engine.markets.calendar import IST_OFFSET_NS, SESSION_OPEN_MINUTE

from .timeframes import DAY, MINUTE_NS, MINUTES

DAY_NS = 86_400_000_000_000


def bucket_starts(ts: np.ndarray, timeframe: str) -> np.ndarray:
    """The UTC-ns start of the bucket each timestamp falls in."""
    local = np.asarray(ts, dtype=np.int64) + int(IST_OFFSET_NS)
    day_start = local // DAY_NS * DAY_NS
    if timeframe == DAY:
        return day_start - int(IST_OFFSET_NS)
    tf = MINUTES[timeframe]
    minute = (local - day_start) // MINUTE_NS - SESSION_OPEN_MINUTE
    bucket = SESSION_OPEN_MINUTE + np.floor_divide(minute, tf) * tf
    return day_start + bucket * MINUTE_NS - int(IST_OFFSET_NS)


def bars_resample(bars: Bars, timeframe: str) -> Bars:
    """Aggregate sorted one-minute ``bars`` into ``timeframe`` buckets."""
    if timeframe == "1m" or len(bars) == 0:
        return bars
    key = bucket_starts(bars.ts, timeframe)
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    last = np.r_[first[1:] - 1, len(key) - 1]
    return Bars.from_arrays(
        key[first],
        bars.open[first],
        np.maximum.reduceat(bars.high, first),
        np.minimum.reduceat(bars.low, first),
        bars.close[last],
        np.add.reduceat(bars.volume, first),
    )
