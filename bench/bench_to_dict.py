"""Benchmark: ``BacktestResult.to_dict()`` (trades, refusals, curves, stats as JSON-ready
Python) after the SMA(10)/SMA(20) long/short reversal, at 1M and 5M one-minute bars.

Goal (issue 13): <= 50 ms at 1,000,000 bars. ``--old`` also times the per-value
implementation it replaced (kept in engine/tests/test_result_json.py) and checks equality.

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
        res.to_dict()  # warm-up
        new = median_ms(res.to_dict, args.runs)
        line = f"to_dict, {n:,} bars, {len(res.trades):,} trades: median {new:.0f} ms"
        if args.old:
            from engine.tests.test_result_json import old_to_dict

            old = median_ms(lambda res=res: old_to_dict(res), 3)
            assert old_to_dict(res) == res.to_dict()
            line += f" (old implementation {old:.0f} ms, 3 runs; same output)"
        print(f"{line} ({args.runs} runs; goal <= 50 ms at 1M bars)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
