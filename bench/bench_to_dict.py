"""Benchmark: a result's serialisation after the SMA(10)/SMA(20) long/short reversal, at 1M
and 5M one-minute bars:

- ``to_json()``: the whole result as JSON bytes from the arrays (trades one array a field);
  goal (issue 13) <= 50 ms at 1,000,000 bars;
- ``summary_dict()``: stats, refusals, curves: what a finished run stores besides its trades
  (backtests writes the trades from the arrays, docs/adr/0012-results-as-data.md);
- ``to_dict()``: the JSON-ready Python document with one dict a trade, for reference.

``--old`` also times the per-value implementation to_dict replaced (kept in
engine/tests/test_result_json.py) and checks equality.

    .venv/bin/python bench/bench_to_dict.py [--bars 1000000 5000000] [--old]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import talib

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_backtest import cross_signals, synthetic_bars

from engine.backtest import run_backtest
from engine.sim import SimConfig


def median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def alternating_ms(
    first: Callable[[], object], second: Callable[[], object], runs: int
) -> tuple[float, float]:
    """Medians of ``first`` and ``second`` timed one after the other, ``runs`` times."""
    a, b = [], []
    for _ in range(runs):
        a.append(median_ms(first, 1))
        b.append(median_ms(second, 1))
    return statistics.median(a), statistics.median(b)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bars", type=int, nargs="+", default=[1_000_000, 5_000_000])
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--old", action="store_true", help="also time the old implementation")
    args = ap.parse_args()
    for n in args.bars:
        bars = synthetic_bars(n)
        sig = cross_signals(talib.SMA(bars.close, 10), talib.SMA(bars.close, 20))
        res = run_backtest(bars, sig, SimConfig())
        for fn in (res.to_json, res.summary_dict, res.to_dict):
            fn()  # warm-up (the clock-time tables are built once a process)
        # The backtest itself, timed in turn with to_json, so both see the same machine load.
        backtest, as_json = alternating_ms(
            lambda b=bars, s=sig: run_backtest(b, s, SimConfig()), res.to_json, args.runs
        )
        summary = median_ms(res.summary_dict, args.runs)
        print(
            f"to_json, {n:,} bars, {len(res.trades):,} trades: median {as_json:.1f} ms "
            f"({args.runs} runs; goal <= 50 ms at 1M bars and less than the backtest); the "
            f"backtest itself {backtest:.1f} ms (to_json / backtest "
            f"{as_json / backtest:.2f}); summary_dict {summary:.1f} ms"
        )
        new = median_ms(res.to_dict, args.runs)
        line = f"to_dict, {n:,} bars, {len(res.trades):,} trades: median {new:.0f} ms"
        if args.old:
            from engine.tests.test_result_json import old_to_dict

            old = median_ms(lambda res=res: old_to_dict(res), 3)
            assert old_to_dict(res) == res.to_dict()
            line += f" (old implementation {old:.0f} ms, 3 runs; same output)"
        print(f"{line} ({args.runs} runs; one Python dict a trade)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
