"""Benchmark: compile + vectorised evaluation and streaming of the SMA(10)/SMA(20) cross.

Targets (issue 3): compile + evaluate 1,000,000 bars in 20 ms or less (median); streaming
20 µs per bar or less. Prints medians of several runs after a warm-up; exits 0.

    .venv/bin/python bench/bench_graph.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.bars import Bars
from engine.graph import compile_graph, example_documents

N_BARS = 1_000_000
STREAM_BARS = 50_000
RUNS = 7


def random_walk(n: int, seed: int = 1) -> Bars:
    """One-minute bars from 09:15 IST, 375 a day, prices on a 0.05 tick."""
    rng = np.random.default_rng(seed)
    day, minute = np.divmod(np.arange(n), 375)
    start = np.datetime64("2024-01-01T03:45", "ns").astype(np.int64)
    ts = start + day * 86_400_000_000_000 + minute * 60_000_000_000
    close = np.round((20_000 + np.cumsum(rng.normal(0, 5, n))) / 0.05) * 0.05
    spread = np.abs(rng.normal(0, 3, n))
    return Bars.from_arrays(ts, close, close + spread, close - spread, close, np.zeros(n))


def bench_vector(bars: Bars) -> list[float]:
    doc = example_documents()["sma_cross"]
    compile_graph(doc).evaluate(bars)  # warm-up: catalogue, caches
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        compile_graph(doc).evaluate(bars)
        times.append(time.perf_counter() - t0)
    return times


def bench_stream(bars: Bars) -> list[float]:
    graph = compile_graph(example_documents()["sma_cross"])
    rows = list(
        zip(
            *(getattr(bars, f).tolist() for f in ("ts", "open", "high", "low", "close", "volume")),
            strict=True,
        )
    )
    times = []
    for _ in range(RUNS):
        ev = graph.stream(bars.slice(0, 100))
        update = ev.update
        t0 = time.perf_counter()
        for row in rows[100:]:
            update(*row)
        times.append((time.perf_counter() - t0) / (len(rows) - 100))
    return times


def main() -> int:
    bars = random_walk(N_BARS)
    vec = bench_vector(bars)
    print(
        f"compile+evaluate SMA(10/20) cross, {N_BARS:,} bars: median "
        f"{statistics.median(vec) * 1e3:.1f} ms (min {min(vec) * 1e3:.1f}, {RUNS} runs; target <= 20 ms)"
    )
    st = bench_stream(bars.slice(0, STREAM_BARS))
    print(
        f"streaming SMA(10/20) cross: median {statistics.median(st) * 1e6:.2f} µs/bar "
        f"(min {min(st) * 1e6:.2f}, {RUNS} runs x {STREAM_BARS:,} bars; target <= 20 µs)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
