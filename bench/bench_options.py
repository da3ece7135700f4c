"""Benchmark: the 09:20 short straddle template (two legs, 25% premium stop each, square-off
15:15) over one year of 1-minute NIFTY bars on model premiums (Black-76, constant IV).

    PYTHONPATH=. .venv/bin/python bench/bench_options.py [--runs 5] [--synthetic]

Uses ../shared/data/nifty50_1min_2021-01_2023-01.csv.gz (calendar 2022) when present, else a
synthetic NSE year. Prints the median wall time of several runs after a warm-up run (the
first call compiles the numba pricing), with the run's trade count and result.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from engine.backtest import run_backtest
from engine.bars import Bars, load_csv
from engine.graph import compile_graph, example_documents
from engine.markets.synthetic import synthetic_bars
from engine.options.config import OptionsConfig
from engine.sim import SimConfig

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
YEAR = SHARED / "nifty50_1min_2021-01_2023-01.csv.gz"


def year_of_bars(synthetic: bool) -> tuple[Bars, str]:
    if YEAR.exists() and not synthetic:
        bars = load_csv(YEAR)
        ist = bars.index_ist()
        keep = (ist >= "2022-01-01") & (ist < "2023-01-01")
        first, last = int(keep.argmax()), int(len(keep) - keep[::-1].argmax())
        return bars.slice(first, last), f"{YEAR.name} (2022)"
    return synthetic_bars(start=date(2025, 1, 1), days=250, seed=1), "synthetic 2025"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--synthetic", action="store_true", help="ignore the shared data")
    args = parser.parse_args()
    bars, source = year_of_bars(args.synthetic)
    graph = compile_graph(example_documents()["short_straddle_0920"])
    config = SimConfig(
        initial_cash=1_000_000,
        fees="india_options",
        options=OptionsConfig(premium_source="model", iv=0.15, underlying="NIFTY"),
    )
    result = run_backtest(bars, graph, config).to_dict()  # warm-up: compiles the pricing
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        run_backtest(bars, graph, config).to_dict()
        times.append(time.perf_counter() - t0)
    stats = result["stats"]
    print(f"data: {source}, {len(bars):,} bars")
    print(
        f"straddle, model premiums: median {statistics.median(times):.2f} s over {args.runs} "
        f"runs (min {min(times):.2f}, max {max(times):.2f})"
    )
    print(
        f"trades {stats['trades']}, return {stats['return_pct']:.2f}%, "
        f"charges {stats['total_charges']:.2f}, legs {sorted(result['leg_stats'])}"
    )


if __name__ == "__main__":
    main()
