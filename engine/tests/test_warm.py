"""After ``python -m engine.warm`` on an empty cache, a new process compiles nothing in its
first backtest, sweep or paper session: every signature they use was cached."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine import numba_cache_dir

ROOT = Path(__file__).resolve().parents[2]

FIRST_USE = """
import json
from datetime import date
import numpy as np, talib
from engine.backtest import run_backtest
from engine.graph import compile_graph, example_documents
from engine.markets.synthetic import synthetic_bars
from engine.options.config import OptionsConfig
from engine.options.run import has_option_legs
from engine.signals import Level, RiskSettings, Signals
from engine.sim import SimConfig, SimSession, Sizing
from engine.sweep import ParamRange, run_sweep
from engine.warm import cache_misses

bars = synthetic_bars(start=date(2024, 3, 4), days=6, seed=11)
f, s = talib.SMA(bars.close, 5), talib.SMA(bars.close, 12)
up = np.r_[False, (f[:-1] < s[:-1]) & (f[1:] > s[1:])]
down = np.r_[False, (f[:-1] > s[:-1]) & (f[1:] < s[1:])]
sig = Signals(entry_long=up, exit_long=down, entry_short=down, exit_short=up)
run_backtest(bars, sig, SimConfig(fees="india_equity_intraday")).to_dict()
risk = RiskSettings(stop_loss=Level(value=10), square_off="15:20", daily_max_loss=2000.0)
lots = SimConfig(fees="india_futures", margin=0.15, sizing=Sizing(mode="lots", lot_symbol="NIFTY"))
legs = SimConfig(fees="india_options", options=OptionsConfig(iv=0.15, underlying="NIFTY"))
for doc in example_documents().values():
    g = compile_graph(doc)
    if has_option_legs(g.plan):
        run_backtest(bars, g, legs).to_dict()
    else:
        run_backtest(bars, g, lots, risk=risk).to_dict()
graph = compile_graph(example_documents()["sma_cross"])
run_sweep(bars, graph, [ParamRange.parse("ma_fast.timeperiod=3:9:3")], SimConfig(), risk=risk)
session = SimSession(SimConfig(), risk)
for k in range(len(bars) - 1):
    session.on_bar(ts=int(bars.ts[k]), open=float(bars.open[k]), high=float(bars.high[k]),
                   low=float(bars.low[k]), close=float(bars.close[k]), entry_long=bool(up[k]),
                   exit_long=bool(down[k]), next_ts=int(bars.ts[k + 1]))
print(json.dumps(cache_misses()))
"""


def _python(code_or_module: list[str], cache: Path) -> str:
    env = os.environ | {"NUMBA_CACHE_DIR": str(cache)}
    done = subprocess.run(
        [sys.executable, *code_or_module], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.slow
def test_a_first_backtest_after_the_warm_up_compiles_nothing(tmp_path: Path) -> None:
    _python(["-m", "engine.warm"], tmp_path)
    assert any(tmp_path.rglob("*.nbi")), "the warm-up wrote no cache index"
    misses = json.loads(_python(["-c", FIRST_USE], tmp_path).strip().splitlines()[-1])
    assert misses == {}, f"compiled after the warm-up (missing from engine.warm): {misses}"


def test_the_cache_dir_is_the_environment_s_else_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", "/somewhere/numba")
    assert numba_cache_dir() == Path("/somewhere/numba")
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    monkeypatch.setenv("VAR_DIR", "/app/var")
    assert numba_cache_dir() == Path("/app/var/numba")
    monkeypatch.delenv("VAR_DIR")
    assert numba_cache_dir() == ROOT / "var" / "numba"
