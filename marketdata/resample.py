"""Resample one-minute (or one-second) bars to larger session-aligned buckets (09:15 IST anchor).

A 15m bucket holds 09:15-09:29, 09:30-09:44, ...; 1h holds 09:15-10:14 ... 15:15-15:29 (the last
bar of the day is short). A day bucket is the IST date, labelled 00:00 IST. Buckets are
labelled by their start, whether or not the first minute is present.
"""

from __future__ import annotations

import numpy as np

from engine.bars import Bars
from engine.markets.calendar import IST_OFFSET_NS, SESSION_OPEN_MINUTE

from .timeframes import DAY, SECOND_NS, SECONDS

DAY_NS = 86_400_000_000_000


def bucket_starts(ts: np.ndarray, timeframe: str) -> np.ndarray:
    """The UTC-ns start of the bucket each timestamp falls in."""
    local = np.asarray(ts, dtype=np.int64) + int(IST_OFFSET_NS)
    day_start = local // DAY_NS * DAY_NS
    if timeframe == DAY:
        return day_start - int(IST_OFFSET_NS)
    tf = SECONDS[timeframe]
    open_s = SESSION_OPEN_MINUTE * 60
    second = (local - day_start) // SECOND_NS - open_s
    bucket = open_s + np.floor_divide(second, tf) * tf
    return day_start + bucket * SECOND_NS - int(IST_OFFSET_NS)


def bars_resample(bars: Bars, timeframe: str) -> Bars:
    """Aggregate sorted one-minute (or one-second) ``bars`` into ``timeframe`` buckets."""
    if timeframe in ("1m", "1s") or len(bars) == 0:
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
