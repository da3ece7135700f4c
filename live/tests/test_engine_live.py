"""engine.live: bars anchored at 09:15 IST from ticks, the next bar's start, tick exits."""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from engine.live import (
    BarBuilder,
    ProtectiveLevels,
    bucket_start,
    exit_bounds,
    next_bar_start,
    tick_exit,
)

IST = ZoneInfo("Asia/Kolkata")
NS = 1_000_000_000


def ns(hh: int, mm: int, ss: int = 0, day: int = 1) -> int:
    return int(datetime(2024, 1, day, hh, mm, ss, tzinfo=IST).timestamp()) * NS


def test_buckets_are_anchored_at_0915_ist_for_any_length():
    assert bucket_start(ns(9, 15, 4), 5) == ns(9, 15, 0)
    assert bucket_start(ns(9, 15, 5), 5) == ns(9, 15, 5)
    assert bucket_start(ns(9, 21, 59), 7 * 60) == ns(9, 15)  # 7-minute bars: 09:15, 09:22 …
    assert bucket_start(ns(9, 22), 7 * 60) == ns(9, 22)
    assert bucket_start(ns(10, 39), 25 * 60) == ns(10, 30)  # 25m: 09:15, 09:40, 10:05, 10:30
    assert bucket_start(ns(9, 14, 59), 60) == ns(9, 14)  # pre-open ticks get their own bar


def test_ticks_become_5_second_bars_and_late_ticks_do_not_reopen_a_bar():
    b = BarBuilder(5)
    assert b.tick(ns(9, 15, 0), 100.0, 1) == []
    assert b.tick(ns(9, 15, 2), 103.0, 1) == []
    assert b.tick(ns(9, 15, 4), 99.0, 1) == []
    (bar,) = b.tick(ns(9, 15, 6), 101.0, 1)
    assert bar.row() == (ns(9, 15, 0), 100.0, 103.0, 99.0, 99.0, 3.0)
    assert b.tick(ns(9, 15, 3), 500.0) == []  # late: ignored
    assert b.close_due(ns(9, 15, 9)) == []
    (bar,) = b.close_due(ns(9, 15, 10))
    assert bar.row() == (ns(9, 15, 5), 101.0, 101.0, 101.0, 101.0, 1.0)


def test_one_second_bars_fold_into_minutes():
    b = BarBuilder(60)
    out = []
    for s in range(120):
        out += b.bar(ns(9, 15) + s * NS, 10 + s, 11 + s, 9 + s, 10.5 + s, 1)
    assert len(out) == 1 and out[0].row() == (ns(9, 15), 10, 70, 9, 69.5, 60)


def test_next_bar_start_moves_to_the_next_day_after_the_close():
    assert next_bar_start(ns(9, 15), 60) == ns(9, 16)
    assert next_bar_start(ns(15, 28), 60) == ns(15, 29)
    assert next_bar_start(ns(15, 29), 60) == ns(9, 15, day=2)
    assert next_bar_start(ns(15, 5), 25 * 60) == ns(9, 15, day=2)  # 15:05 + 25m = 15:30


def _levels(**kw) -> ProtectiveLevels:
    base = {
        "side": 1,
        "stop": 98.0,
        "stop_reason": "stop",
        "target": 104.0,
        "quantity": 10.0,
        "average": 100.0,
        "day_loss_limit": math.nan,
        "day_pnl": 0.0,
        "position_bar": 1,
    }
    return ProtectiveLevels(**{**base, **kw})


def test_tick_exits_follow_the_engines_priority():
    assert tick_exit(_levels(), 100.0) is None
    assert tick_exit(_levels(), 98.0) == "stop"
    assert tick_exit(_levels(), 104.5) == "target"
    assert tick_exit(_levels(stop_reason="trailing", stop=99.0), 99.0) == "trailing"
    # the day's loss limit comes first: -500 realised, 10 units 1 point down = -510 <= -505
    assert tick_exit(_levels(day_loss_limit=505.0, day_pnl=-500.0), 99.0) == "guardrail"
    short = _levels(side=-1, stop=102.0, target=96.0)
    assert tick_exit(short, 102.0) == "stop" and tick_exit(short, 95.0) == "target"
    assert tick_exit(None, 1.0) is None
    assert tick_exit(_levels().to_dict(), 97.0) == "stop"  # as stored on the session


def test_exit_bounds_never_hide_a_tick_exit():
    """The feed's prefilter: every price tick_exit exits on lies outside (lo, hi)."""
    rng = np.random.default_rng(3)
    for _ in range(400):
        side = int(rng.choice([1, -1]))
        avg = float(rng.uniform(50, 150))
        kw = {
            "side": side,
            "average": avg,
            "quantity": float(rng.integers(1, 100)),
            "stop": avg - side * float(rng.uniform(0.1, 5)) if rng.random() < 0.8 else math.nan,
            "target": avg + side * float(rng.uniform(0.1, 5)) if rng.random() < 0.7 else math.nan,
            "day_loss_limit": float(rng.uniform(1, 500)) if rng.random() < 0.5 else math.nan,
            "day_pnl": float(rng.uniform(-400, 100)),
        }
        levels = _levels(**kw).to_dict()
        lo, hi = exit_bounds(levels)
        prices = [avg + d for d in rng.uniform(-8, 8, 50)]
        prices += [x for x in (levels["stop"], levels["target"], lo, hi) if x is not None]
        for p in prices:
            if not math.isfinite(p):
                continue
            if tick_exit(levels, p) is not None:
                assert p <= lo or p >= hi, (levels, p, lo, hi)
    assert exit_bounds(_levels(target=math.nan).to_dict())[1] == math.inf
