"""Benchmark: the first backtest of a fresh process on an empty numba cache, cold and warmed.

Each run makes an empty ``NUMBA_CACHE_DIR`` and, in new processes,
(a) cold: runs a first backtest (SMA 10/20 reversal graph on 100,000 one-minute bars, then its
    ``to_dict``) straight away, compiling what it needs;
(b) warmed: runs ``python -m engine.warm`` (as ``make install`` and the image build do), then
    the same first backtest in another new process.
Prints the medians of the first backtest's time (imports excluded, printed apart) and how many
signatures it compiled (0 expected after the warm-up). Goal (issue 13): <= 2 s warmed.

    .venv/bin/python bench/bench_first_run.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The probe: a first backtest as a worker runs it (graph strategy, fees, a risk rule).
PROBE = """
import json, sys, time
t0 = time.perf_counter()
sys.path.insert(0, "bench")
from bench_backtest import reversal_graph, synthetic_bars
from engine.backtest import run_backtest
from engine.graph import compile_graph
from engine.signals import Level, RiskSettings
from engine.sim import SimConfig
from engine.warm import cache_misses
t1 = time.perf_counter()
bars = synthetic_bars(100_000)
cfg = SimConfig(fees="india_futures", margin=0.15)
t2 = time.perf_counter()
res = run_backtest(bars, compile_graph(reversal_graph()), cfg, risk=RiskSettings(stop_loss=Level(value=30)))
res.to_dict()
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "first_s": t3 - t2, "compiled": sum(cache_misses().values())}))
"""


def _run(args: list[str], cache: str) -> str:
    env = os.environ | {"NUMBA_CACHE_DIR": cache}
    out = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return out.stdout


def probe(cache: str) -> dict[str, float]:
    return json.loads(_run([sys.executable, "-c", PROBE], cache).strip().splitlines()[-1])


def one_run() -> tuple[dict[str, float], dict[str, float], float]:
    with tempfile.TemporaryDirectory() as cold_dir, tempfile.TemporaryDirectory() as warm_dir:
        cold = probe(cold_dir)
        t0 = time.perf_counter()
        _run([sys.executable, "-m", "engine.warm"], warm_dir)
        warm_s = time.perf_counter() - t0
        warmed = probe(warm_dir)
    return cold, warmed, warm_s


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    runs = [one_run() for _ in range(ap.parse_args().runs)]

    def med(k: int, key: str) -> float:
        return statistics.median(r[k][key] for r in runs)

    n = len(runs)
    print(
        f"cold first backtest (empty cache): median {med(0, 'first_s'):.2f} s, "
        f"{med(0, 'compiled'):.0f} signatures compiled, imports {med(0, 'import_s'):.2f} s ({n} runs)"
    )
    print(
        f"python -m engine.warm on the empty cache: median "
        f"{statistics.median(r[2] for r in runs):.1f} s (process included)"
    )
    print(
        f"first backtest after engine.warm: median {med(1, 'first_s'):.2f} s, "
        f"{med(1, 'compiled'):.0f} signatures compiled, imports {med(1, 'import_s'):.2f} s "
        f"({n} runs; goal <= 2 s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
