"""Higher-timeframe bars on IST session boundaries, without look-ahead.

Buckets are anchored at 09:15 IST each day (5m: 09:15, 09:20, ...; 1h: 09:15, 10:15, ...;
15s: 09:15:00, 09:15:15, ...; sizes are in seconds)
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

SEC_NS = 1_000_000_000
MIN_NS = 60 * SEC_NS
DAY_MIN = 1440
IST_OFFSET_MIN = 330
OPEN_MIN = 9 * 60 + 15
CLOSE_MIN = 15 * 60 + 30
# The same in seconds: clocks are bar sizes in seconds, so 1s/5s/15s/30s bars resample too.
DAY_S = DAY_MIN * 60
IST_OFFSET_S = IST_OFFSET_MIN * 60
OPEN_S = OPEN_MIN * 60
CLOSE_S = CLOSE_MIN * 60


def bucket_bounds(ts: np.ndarray, seconds: int) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) of each bar's bucket, as absolute IST seconds since the epoch."""
    ist_s = ts // SEC_NS + IST_OFFSET_S
    day, tod = np.divmod(ist_s, DAY_S)
    start = OPEN_S + ((tod - OPEN_S) // seconds) * seconds
    end = start + seconds
    straddle = (start < CLOSE_S) & (end > CLOSE_S)
    after = straddle & (tod >= CLOSE_S)
    end = np.where(straddle & ~after, CLOSE_S, end)
    start = np.where(after, CLOSE_S, start)
    return day * DAY_S + start, day * DAY_S + end


def bucket_of(ts: int, seconds: int) -> tuple[int, int]:
    """Scalar twin of :func:`bucket_bounds`, for streaming."""
    ist_s = ts // SEC_NS + IST_OFFSET_S
    day, tod = divmod(ist_s, DAY_S)
    start = OPEN_S + ((tod - OPEN_S) // seconds) * seconds
    end = start + seconds
    if start < CLOSE_S < end:
        if tod < CLOSE_S:
            end = CLOSE_S
        else:
            start = CLOSE_S
    return day * DAY_S + start, day * DAY_S + end


def _to_utc_ns(ist_seconds: np.ndarray | int) -> np.ndarray | int:
    return (ist_seconds - IST_OFFSET_S) * SEC_NS


@dataclass(frozen=True, slots=True)
class Resampled:
    """Higher-timeframe bars plus, per bucket, the base index where it becomes visible."""

    bars: Bars
    visible: np.ndarray  # int64, -1 when the data ends before the bucket completes


def resample(bars: Bars, seconds: int, base_seconds: int) -> Resampled:
    """``bars`` of ``base_seconds`` in buckets of ``seconds`` (clocks are bar sizes in seconds)."""
    n = len(bars)
    if n == 0:
        return Resampled(bars, np.zeros(0, dtype=np.int64))
    start, end = bucket_bounds(bars.ts, seconds)
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
    done = bars.ts[last] + base_seconds * SEC_NS >= _to_utc_ns(end[last])
    nxt = np.r_[first[1:], -1]
    return Resampled(htf, np.where(done, last, nxt).astype(np.int64))


def bar_seconds(ts: np.ndarray) -> int | None:
    """The data's bar spacing in seconds: the median gap between consecutive bars of one IST
    day (overnight and holiday gaps are not spacing); 86400 when no day has two bars; None
    when the spacing is not a whole number of seconds."""
    if len(ts) < 2:
        return DAY_S
    gaps = np.diff(ts)
    same_day = (ts[1:] // SEC_NS + IST_OFFSET_S) // DAY_S == (
        ts[:-1] // SEC_NS + IST_OFFSET_S
    ) // DAY_S
    if not same_day.any():
        return DAY_S
    spacing = int(np.median(gaps[same_day]))
    return spacing // SEC_NS if spacing % SEC_NS == 0 and spacing > 0 else None


def bar_minutes(ts: np.ndarray) -> int | None:
    """:func:`bar_seconds` in minutes; None for sub-minute (or irregular) data."""
    seconds = bar_seconds(ts)
    return seconds // 60 if seconds is not None and seconds % 60 == 0 else None


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

    def __init__(self, seconds: int, base_seconds: int) -> None:
        self.seconds, self.base_ns = seconds, base_seconds * SEC_NS
        self.key = -(2**62)
        self.bar: list[float] | None = None  # ts, open, high, low, close, volume
        self.end_ns = 0

    def push(self, ts: int, o: float, h: float, lo: float, c: float, v: float) -> list[list[float]]:
        done = []
        start, end = bucket_of(ts, self.seconds)
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
