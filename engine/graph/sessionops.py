"""Session-anchored ``math`` ops: running session high/low and the opening range.

A session is an IST calendar day. All four ops run on the strategy (base) clock and read
the base bars' start timestamps; a higher-timeframe input reaches them already aligned
(each bucket visible once closed, then held), so they work on the values the base clock
sees. NaN inputs are skipped: a result is NaN until the session (or range) has seen a
number.

- ``session_high``/``session_low``: max/min of ``a`` over the session's bars so far,
  including the current bar.
- ``opening_high``/``opening_low`` (``minutes``): max/min of ``a`` over the bars that
  *start* in ``[09:15, 09:15 + minutes)`` IST. NaN until the range is complete, then held
  to the end of the day. The range is complete on the bar whose end reaches the range's
  end (a 1-minute bar at 09:29 completes a 15-minute range), or, if the data stops short
  (a hole), on the first later bar of that day. A day without a bar in the range is NaN.

``session_series`` (whole arrays) and :class:`SessionState` (one bar at a time) give the
same values; the parity tests check it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from engine.graph.resample import DAY_S, IST_OFFSET_S, OPEN_S, SEC_NS

NAN = math.nan


def session_series(p: dict[str, Any], a: np.ndarray, ts: np.ndarray, base: int) -> np.ndarray:
    """The op over base bars with start times ``ts`` (int64 ns UTC) of ``base`` seconds."""
    a = np.asarray(a, dtype=np.float64)
    n = len(a)
    out = np.full(n, np.nan)
    if n == 0:
        return out
    day, tod = np.divmod(ts // SEC_NS + IST_OFFSET_S, DAY_S)  # tod in seconds
    starts = np.flatnonzero(np.r_[True, day[1:] != day[:-1]])
    high = p["op"].endswith("_high")
    if p["op"].startswith("session_"):
        acc = np.fmax.accumulate if high else np.fmin.accumulate
        for s, e in zip(starts, np.r_[starts[1:], n], strict=True):
            out[s:e] = acc(a[s:e])  # one call per day; fmax/fmin skip NaN
        return out
    end = OPEN_S + p["minutes"] * 60
    idx = np.arange(n)
    day_idx = np.cumsum(np.r_[False, day[1:] != day[:-1]])
    inside = (tod >= OPEN_S) & (tod < end)
    # the bar that completes the range: its end reaches the range's end, or (a hole) the
    # first bar at or after the end; earlier bars of the day are never candidates
    done = (inside & (tod + base >= end)) | (tod >= end)
    first_done = np.minimum.reduceat(np.where(done, idx, n), starts)  # per day; n: never
    has_range = np.add.reduceat(inside.astype(np.int64), starts) > 0
    # the range's bars up to the completing one (later ones exist only on overlapping data)
    ok = inside & ~np.isnan(a) & (idx <= first_done[day_idx])
    fill = -np.inf if high else np.inf
    reduce = np.maximum.reduceat if high else np.minimum.reduceat
    value = reduce(np.where(ok, a, fill), starts)  # per day
    value = np.where(np.add.reduceat(ok.astype(np.int64), starts) > 0, value, np.nan)
    marker = np.full(n, -1, dtype=np.int64)
    show = has_range & (first_done < n)
    marker[first_done[show]] = np.flatnonzero(show)
    np.maximum.accumulate(marker, out=marker)
    same_day = marker == day_idx  # the marker from an earlier day does not carry over
    return np.where(same_day, value[np.maximum(marker, 0)], np.nan)


class SessionState:
    """Streaming twin of :func:`session_series`: ``update(ts, a)`` per base bar, O(1)."""

    def __init__(self, p: dict[str, Any], base: int) -> None:
        self.high = p["op"].endswith("_high")
        self.opening = p["op"].startswith("opening_")
        self.end = OPEN_S + p["minutes"] * 60 if self.opening else 0
        self.base = base
        self.day = -(2**62)
        self.acc = NAN  # running extreme (of the range, for opening ops)
        self.seen = False  # a bar inside the range
        self.done = False  # the range is complete

    def _fold(self, x: float) -> None:
        if x == x and (self.acc != self.acc or (x > self.acc if self.high else x < self.acc)):
            self.acc = x

    def update(self, ts: int, x: float) -> float:
        day, tod = divmod(ts // SEC_NS + IST_OFFSET_S, DAY_S)
        if day != self.day:
            self.day, self.acc, self.seen, self.done = day, NAN, False, False
        if not self.opening:
            self._fold(x)
            return self.acc
        if not self.done:
            if OPEN_S <= tod < self.end:
                self.seen = True
                self._fold(x)
                self.done = tod + self.base >= self.end
            elif tod >= self.end:
                self.done = True  # a hole at the range's end (acc stays NaN if no bar in it)
        return self.acc if self.done else NAN
