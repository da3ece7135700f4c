"""The ``time`` node: IST session window, weekday, nth bar of the session, expiry day."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np

from engine.graph.resample import DAY_MIN, IST_OFFSET_MIN, MIN_NS

_EPOCH = date(1970, 1, 1)


def _day_tod(ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.divmod(ts // MIN_NS + IST_OFFSET_MIN, DAY_MIN)


def _hhmm(s: str) -> int:
    return int(s[:2]) * 60 + int(s[3:])


def time_mask(p: dict[str, Any], ts: np.ndarray) -> np.ndarray:
    day, tod = _day_tod(ts)
    op = p["op"]
    if op == "session_window":
        # bars are start-labelled: a bar belongs to the window if it starts inside it
        return (tod >= _hhmm(p["start"])) & (tod < _hhmm(p["end"]))
    if op == "day_of_week":
        return np.isin((day + 3) % 7, p["days"])  # 1970-01-01 was a Thursday (3)
    if op == "nth_bar":
        first = np.r_[True, day[1:] != day[:-1]] if len(day) else np.zeros(0, dtype=bool)
        start = np.maximum.accumulate(np.where(first, np.arange(len(day)), 0))
        return (np.arange(len(day)) - start + 1) == p["n"]
    uniq, inv = np.unique(day, return_inverse=True)
    flags = np.array([is_expiry(p, int(d)) for d in uniq], dtype=np.bool_)
    return flags[inv] if len(day) else np.zeros(0, dtype=np.bool_)


def is_expiry(p: dict[str, Any], day: int) -> bool:
    from engine.markets.calendar import is_expiry_day  # lazy: a sibling, built in parallel

    try:
        return bool(is_expiry_day(p["underlying"], _EPOCH + timedelta(days=day), p["expiry"]))
    except ValueError:  # a date before the calendar's first expiry rule: no known expiry
        return False


class TimeState:
    """Streaming twin of :func:`time_mask`; O(1) per bar (expiry cached per day)."""

    def __init__(self, p: dict[str, Any]) -> None:
        self.p, self.op = p, p["op"]
        self.day, self.count, self.flag = -(2**62), 0, False
        self.lo = _hhmm(p["start"]) if self.op == "session_window" else 0
        self.hi = _hhmm(p["end"]) if self.op == "session_window" else 0

    def update(self, ts: int) -> bool:
        day, tod = divmod(ts // MIN_NS + IST_OFFSET_MIN, DAY_MIN)
        if day != self.day:
            self.day, self.count = day, 0
            self.flag = is_expiry(self.p, day) if self.op == "expiry_day" else False
        self.count += 1
        if self.op == "session_window":
            return self.lo <= tod < self.hi
        if self.op == "day_of_week":
            return (day + 3) % 7 in self.p["days"]
        if self.op == "nth_bar":
            return self.count == self.p["n"]
        return self.flag
