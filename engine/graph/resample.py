"""Higher-timeframe bars on IST session boundaries, without look-ahead.

Buckets are anchored at 09:15 IST each day (5m: 09:15, 09:20, ...; 1h: 09:15, 10:15, ...)
and cut at the 15:30 close, so the last hourly bucket is 15:15-15:30 and ``1d`` is the
09:15-15:30 session. A bucket's value becomes visible on the base bar that completes it
(that bar's end reaches the bucket's end), or, when data stops short of the end (a hole,
an early close), on the first bar of the next bucket. Streaming and vectorised paths use
the same rule, so both see a bucket on the same bar.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.bars import Bars

MIN_NS = 60 * 1_000_000_000
DAY_MIN = 1440
IST_OFFSET_MIN = 330
OPEN_MIN = 9 * 60 + 15
CLOSE_MIN = 15 * 60 + 30


def bucket_bounds(ts: np.ndarray, minutes: int) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) of each bar's bucket, as absolute IST minutes since the epoch."""
    ist_min = ts // MIN_NS + IST_OFFSET_MIN
    day, tod = np.divmod(ist_min, DAY_MIN)
    start = OPEN_MIN + ((tod - OPEN_MIN) // minutes) * minutes
    end = start + minutes
    straddle = (start < CLOSE_MIN) & (end > CLOSE_MIN)
    after = straddle & (tod >= CLOSE_MIN)
    end = np.where(straddle & ~after, CLOSE_MIN, end)
    start = np.where(after, CLOSE_MIN, start)
    return day * DAY_MIN + start, day * DAY_MIN + end


def bucket_of(ts: int, minutes: int) -> tuple[int, int]:
    """Scalar twin of :func:`bucket_bounds`, for streaming."""
    ist_min = ts // MIN_NS + IST_OFFSET_MIN
    day, tod = divmod(ist_min, DAY_MIN)
    start = OPEN_MIN + ((tod - OPEN_MIN) // minutes) * minutes
    end = start + minutes
    if start < CLOSE_MIN < end:
        if tod < CLOSE_MIN:
            end = CLOSE_MIN
        else:
            start = CLOSE_MIN
    return day * DAY_MIN + start, day * DAY_MIN + end


def _to_utc_ns(ist_minutes: np.ndarray | int) -> np.ndarray | int:
    return (ist_minutes - IST_OFFSET_MIN) * MIN_NS


@dataclass(frozen=True, slots=True)
class Resampled:
    """Higher-timeframe bars plus, per bucket, the base index where it becomes visible."""

    bars: Bars
    visible: np.ndarray  # int64, -1 when the data ends before the bucket completes


def resample(bars: Bars, minutes: int, base_minutes: int) -> Resampled:
    n = len(bars)
    if n == 0:
        return Resampled(bars, np.zeros(0, dtype=np.int64))
    start, end = bucket_bounds(bars.ts, minutes)
    first = np.flatnonzero(np.r_[True, start[1:] != start[:-1]])
    last = np.r_[first[1:] - 1, n - 1]
    htf = Bars(
        ts=np.asarray(_to_utc_ns(start[first]), dtype=np.int64),
        open=bars.open[first],
        high=np.maximum.reduceat(bars.high, first),
        low=np.minimum.reduceat(bars.low, first),
        close=bars.close[last],
        volume=np.add.reduceat(bars.volume, first),
    )
    done = bars.ts[last] + base_minutes * MIN_NS >= _to_utc_ns(end[last])
    nxt = np.r_[first[1:], -1]
    return Resampled(htf, np.where(done, last, nxt).astype(np.int64))


def bar_minutes(ts: np.ndarray) -> int | None:
    """The data's bar spacing in minutes: the median gap between consecutive bars of one IST
    day (overnight and holiday gaps are not spacing); 1440 when no day has two bars; None
    when the spacing is not a whole number of minutes (seconds data)."""
    if len(ts) < 2:
        return 1440
    gaps = np.diff(ts)
    same_day = (ts[1:] // MIN_NS + IST_OFFSET_MIN) // DAY_MIN == (
        ts[:-1] // MIN_NS + IST_OFFSET_MIN
    ) // DAY_MIN
    if not same_day.any():
        return 1440
    spacing = int(np.median(gaps[same_day]))
    return spacing // MIN_NS if spacing % MIN_NS == 0 and spacing > 0 else None


def align(values: np.ndarray, visible: np.ndarray, n: int) -> np.ndarray:
    """Base-timeframe series: each bucket's value from its visible bar on, held forward."""
    ok = np.flatnonzero(visible >= 0)
    idx = visible[ok]
    keep = np.r_[idx[1:] != idx[:-1], True] if len(idx) else np.zeros(0, dtype=bool)
    marker = np.full(n, -1, dtype=np.int64)
    marker[idx[keep]] = ok[keep]  # when two buckets show on one bar, the later wins
    np.maximum.accumulate(marker, out=marker)
    if values.dtype == np.bool_:
        return np.where(marker >= 0, values[np.maximum(marker, 0)], False)
    if len(values) == 0:
        return np.full(n, np.nan)
    return np.where(marker >= 0, values[np.maximum(marker, 0)], np.nan)


class Aggregator:
    """Streaming resampler: push base bars, get back the buckets completed on this bar."""

    def __init__(self, minutes: int, base_minutes: int) -> None:
        self.minutes, self.base_ns = minutes, base_minutes * MIN_NS
        self.key = -(2**62)
        self.bar: list[float] | None = None  # ts, open, high, low, close, volume
        self.end_ns = 0

    def push(self, ts: int, o: float, h: float, lo: float, c: float, v: float) -> list[list[float]]:
        done = []
        start, end = bucket_of(ts, self.minutes)
        if self.bar is not None and start != self.key:
            done.append(self.bar)
            self.bar = None
        if self.bar is None:
            self.key, self.end_ns = start, int(_to_utc_ns(end))
            self.bar = [int(_to_utc_ns(start)), o, h, lo, c, v]
        else:
            b = self.bar
            # NaN propagates, as in numpy's maximum/minimum.reduceat
            b[2] = h if h > b[2] or h != h else b[2]
            b[3] = lo if lo < b[3] or lo != lo else b[3]
            b[4] = c
            b[5] += v
        if ts + self.base_ns >= self.end_ns:
            done.append(self.bar)
            self.bar = None
        return done
