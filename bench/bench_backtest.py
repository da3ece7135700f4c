"""Benchmark: SMA(10)/SMA(20) long/short reversal end to end, and an 890-combination sweep.

    PYTHONPATH=. .venv/bin/python bench/bench_backtest.py
    PYTHONPATH=. /tmp/benchpeers/bin/python bench/bench_backtest.py --peers --trust

Medians of several runs after a warm-up (the first call compiles the numba kernels).
Peers (vectorbt, backtesting.py) run when importable; see bench/requirements.txt.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import talib

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from engine.backtest import run_backtest
from engine.bars import Bars, load_csv
from engine.metrics import compute_stats
from engine.signals import Signals
from engine.sim import SimConfig, Sizing
from engine.sim import layout as L
from engine.sim.result import Trades
from engine.sweep import ParamRange, run_sweep

MIN_NS = 60_000_000_000
DAY_NS = 86_400 * 10**9
FAST = "ma_fast.timeperiod=5:53:2"
SLOW = "ma_slow.timeperiod=10:205:5"
CONSTRAINT = "ma_fast.timeperiod < ma_slow.timeperiod"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def synthetic_bars(n: int, seed: int = 42) -> Bars:
    """A random walk on NSE minutes: 375 bars a weekday from 09:15 IST."""
    rng = np.random.default_rng(seed)
    close = 20_000 * np.exp(np.cumsum(rng.normal(0, 0.0005, n)))
    open_ = np.r_[close[0], close[:-1]] * (1 + rng.normal(0, 0.0001, n))
    high = np.maximum(open_, close) * (1 + rng.exponential(0.0003, n))
    low = np.minimum(open_, close) * (1 - rng.exponential(0.0003, n))
    k = np.arange(n)
    day, minute = k // 375, k % 375
    weekday_day = day + 2 * (day // 5)  # skip weekends
    t0 = pd.Timestamp("2015-01-05 09:15", tz="Asia/Kolkata").value
    ts = t0 + weekday_day * DAY_NS + minute * MIN_NS
    return Bars.from_arrays(ts, open_, high, low, close, rng.integers(1, 1000, n).astype(float))


def cross_signals(fast: np.ndarray, slow: np.ndarray) -> Signals:
    """backtesting.py's crossover: strictly below on the previous bar, above on this one."""
    up = np.zeros(len(fast), dtype=np.bool_)
    down = np.zeros(len(fast), dtype=np.bool_)
    up[1:] = (fast[:-1] < slow[:-1]) & (fast[1:] > slow[1:])
    down[1:] = (fast[:-1] > slow[:-1]) & (fast[1:] < slow[1:])
    return Signals(entry_long=up, exit_long=down, entry_short=down, exit_short=up)


def reversal_graph() -> dict:
    from engine.graph import example_documents

    doc = copy.deepcopy(example_documents()["sma_cross"])
    doc["name"] = "SMA 10/20 long/short reversal"
    doc["nodes"] += [
        {"id": "go_short", "kind": "entry", "params": {"side": "short"}},
        {"id": "cover", "kind": "exit", "params": {"side": "short"}},
        {"id": "short", "kind": "action", "params": {"type": "short", "quantity": 1}},
        {"id": "cover_buy", "kind": "action", "params": {"type": "cover", "quantity": 1}},
    ]
    doc["edges"] += [
        {"from": "cross_down.out", "to": "go_short.when"},
        {"from": "cross_up.out", "to": "cover.when"},
        {"from": "go_short.fire", "to": "short.trigger"},
        {"from": "cover.fire", "to": "cover_buy.trigger"},
    ]
    return doc


def median_time(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    out = fn()  # warm-up: numba compile / cache load
    times = []
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def alternating_medians(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, tuple]:
    """``median_time`` for several functions, run in turn (a, b, a, b, ...): a path timed
    after another in one process can run ~1.7x slower whichever it is, so sequential blocks
    made the graph/hand-built ratio depend on the order (see docs/engine.md, "Speed")."""
    outs = {name: fn() for name, fn in fns.items()}  # warm-up: numba cache load
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            gc.collect()
            t = time.perf_counter()
            outs[name] = fn()
            times[name].append(time.perf_counter() - t)
    return {name: (statistics.median(times[name]), outs[name]) for name in fns}


# ---- our engine -------------------------------------------------------------------------
def ours_e2e(bars: Bars, repeat: int) -> dict:
    from engine.graph import compile_graph

    cfg = SimConfig()
    graph = compile_graph(reversal_graph())

    def talib_path():
        sig = cross_signals(talib.SMA(bars.close, 10), talib.SMA(bars.close, 20))
        return run_backtest(bars, sig, cfg)

    timed = alternating_medians(
        {"talib": talib_path, "graph": lambda: run_backtest(bars, graph, cfg)}, repeat
    )
    (t, res), (tg, res_g) = timed["talib"], timed["graph"]
    out = {"engine_talib_s": t, "trades": res.stats["trades"]}
    out |= {"engine_graph_s": tg, "graph_trades": res_g.stats["trades"]}
    out["graph_over_talib"] = tg / t  # issue 13: within 1.5x
    # Issue 13: the JSON-ready result (trades, curves, stats) in <= 50 ms at 1M bars.
    out["to_dict_s"], _ = median_time(res.to_dict, repeat)
    return out
    graph = compile_graph(reversal_graph())
    tg, res_g = median_time(lambda: run_backtest(bars, graph, cfg), repeat)
    out |= {"engine_graph_s": tg, "graph_trades": res_g.stats["trades"]}
    out["graph_over_talib"] = tg / t  # issue 13: within 1.5x
    return out


def ours_sweep(n: int, use_graph: bool) -> dict:
    bars = synthetic_bars(n)
    cache: dict[int, np.ndarray] = {}

    def sma(k: int) -> np.ndarray:
        if k not in cache:
            cache[k] = talib.SMA(bars.close, k)
        return cache[k]

    def fn(p: dict) -> Signals:
        return cross_signals(sma(int(p["ma_fast.timeperiod"])), sma(int(p["ma_slow.timeperiod"])))

    strategy: object = fn
    if use_graph:
        from engine.graph import compile_graph

        strategy = compile_graph(reversal_graph())
    ranges = [ParamRange.parse(FAST), ParamRange.parse(SLOW)]
    run_sweep(bars.slice(0, 2000), _warm(strategy, bars.slice(0, 2000)), ranges[:1])  # compile
    before = _rss_reset()
    t = time.perf_counter()
    res = run_sweep(bars, strategy, ranges, constraint=CONSTRAINT)
    elapsed = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "seconds": elapsed,
        "combos": len(res.table),
        "peak_rss_mb": rss,
        **_rss_during(before),
        "best": res.best_params,
    }


def _rss_reset() -> float | None:
    """The process's resident MB now, with its peak (VmHWM) reset to it (Linux 4.0+: writing
    5 to /proc/self/clear_refs), so the peak read after a sweep is the sweep's own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return _proc_status_mb("VmRSS")
    except OSError:
        return None


def _rss_during(before: float | None) -> dict:
    """``sweep_peak_rss_mb``: the process's peak while the sweep ran; ``sweep_rss_mb``: that
    peak above what the process held before it (bars, imports, compiled code)."""
    if before is None:
        return {}
    peak = _proc_status_mb("VmHWM")
    return {"sweep_peak_rss_mb": peak, "sweep_rss_mb": round(peak - before, 1)}


def _proc_status_mb(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    raise OSError(f"{key} not in /proc/self/status")


def _warm(strategy: object, bars: Bars) -> object:
    if hasattr(strategy, "with_params"):
        return strategy
    return lambda p: cross_signals(
        talib.SMA(bars.close, int(p["ma_fast.timeperiod"])), talib.SMA(bars.close, 20)
    )


# ---- peers --------------------------------------------------------------------------------
def vectorbt_e2e(bars: Bars, repeat: int) -> dict:
    import vectorbt as vbt

    # A RangeIndex: with a tz-aware DatetimeIndex vectorbt 1.0 is ~80x slower here.
    close = pd.Series(bars.close)

    def run():
        sig = cross_signals(talib.SMA(close.values, 10), talib.SMA(close.values, 20))
        pf = vbt.Portfolio.from_signals(
            close, sig.entry_long, sig.entry_short, direction="both", init_cash=100_000, freq="1min"
        )
        return pf.stats()

    t, _ = median_time(run, max(1, repeat // 2))
    return {"vectorbt_s": t, "vectorbt_version": vbt.__version__}


def vectorbt_sweep(n: int) -> dict:
    import vectorbt as vbt

    bars = synthetic_bars(n)
    close = pd.Series(bars.close)
    ranges = [ParamRange.parse(FAST), ParamRange.parse(SLOW)]
    pairs = [(f, s) for f in ranges[0].values for s in ranges[1].values if f < s]
    before = _rss_reset()
    t = time.perf_counter()
    fast = vbt.MA.run(close, window=[p[0] for p in pairs], short_name="fast")
    slow = vbt.MA.run(close, window=[p[1] for p in pairs], short_name="slow")
    up, down = fast.ma_crossed_above(slow), fast.ma_crossed_below(slow)
    pf = vbt.Portfolio.from_signals(
        close, up, down, direction="both", init_cash=100_000, freq="1min"
    )
    pf.sharpe_ratio()
    elapsed = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": elapsed, "combos": len(pairs), "peak_rss_mb": rss, **_rss_during(before)}


def backtesting_strategy(size: float | None):
    from backtesting import Strategy
    from backtesting.lib import crossover

    class SmaCross(Strategy):
        def init(self):
            self.fast = self.I(talib.SMA, self.data.Close, 10)
            self.slow = self.I(talib.SMA, self.data.Close, 20)

        def next(self):
            if crossover(self.fast, self.slow):
                self.buy(size=size) if size else self.buy()
            elif crossover(self.slow, self.fast):
                self.sell(size=size) if size else self.sell()

    return SmaCross


def backtesting_frame(bars: Bars) -> pd.DataFrame:
    f = bars.to_frame().rename(columns=str.capitalize)
    f.index = f.index.tz_localize(None)
    return f


def backtestingpy_e2e(bars: Bars) -> dict:
    import backtesting
    from backtesting import Backtest

    frame = backtesting_frame(bars)
    t = time.perf_counter()
    bt = Backtest(
        frame, backtesting_strategy(None), cash=1e12, exclusive_orders=True, finalize_trades=True
    )
    bt.run()
    return {
        "backtestingpy_s": time.perf_counter() - t,
        "backtestingpy_version": backtesting.__version__,
    }


STAT_LABELS = {
    "Equity Final [$]": "equity_final",
    "Return [%]": "return_pct",
    "Exposure Time [%]": "exposure_pct",
    "Max. Drawdown [%]": "max_drawdown_pct",
    "Avg. Drawdown [%]": "avg_drawdown_pct",
    "Return (Ann.) [%]": "return_ann_pct",
    "Volatility (Ann.) [%]": "volatility_ann_pct",
    "Sharpe Ratio": "sharpe",
    "Sortino Ratio": "sortino",
    "Calmar Ratio": "calmar",
    "CAGR [%]": "cagr_pct",
    "Win Rate [%]": "win_rate_pct",
    "Best Trade [%]": "best_trade_pct",
    "Worst Trade [%]": "worst_trade_pct",
    "Avg. Trade [%]": "avg_trade_pct",
    "Profit Factor": "profit_factor",
    "Expectancy [%]": "expectancy_pct",
    "SQN": "sqn",
    "Kelly Criterion": "kelly",
}


def trust_check(bars: Bars) -> dict:
    """Trades, P&L and statistics against backtesting.py (fixed 10 units, no fees, next open)."""
    from backtesting import Backtest

    bt = Backtest(
        backtesting_frame(bars),
        backtesting_strategy(10),
        cash=10_000_000,
        exclusive_orders=True,
        finalize_trades=True,
    )
    theirs = bt.run()
    sig = cross_signals(talib.SMA(bars.close, 10), talib.SMA(bars.close, 20))
    cfg = SimConfig(initial_cash=10_000_000, sizing=Sizing(mode="fixed", value=10))
    ours = run_backtest(bars, sig, cfg)
    out = {"bars": len(bars)} | _compare_trades(theirs["_trades"], ours.trades.to_frame())
    out["stats_ours_vs_theirs"] = {
        label: [float(theirs[label]), float(ours.stats[key])] for label, key in STAT_LABELS.items()
    }
    # Our compute_stats on backtesting.py's own equity curve and trades: isolates the formulas.
    mine = compute_stats(
        _their_trades(theirs["_trades"], bars.ts),
        theirs["_equity_curve"]["Equity"].to_numpy(),
        bars,
        initial_cash=10_000_000,
    )
    worst = max(
        abs(float(theirs[k]) - float(mine[v])) / max(abs(float(theirs[k])), 1e-12)
        for k, v in STAT_LABELS.items()
    )
    out["compute_stats_on_their_run_max_rel_diff"] = worst
    return out


def _compare_trades(tt: pd.DataFrame, ot: pd.DataFrame) -> dict:
    # backtesting.py closes and reopens on a repeated same-side signal; join such chains.
    side, merged = np.sign(tt.Size.to_numpy()), []
    for k, row in enumerate(tt.itertuples()):
        if merged and side[k] == merged[-1][0] and row.EntryBar == merged[-1][2]:
            merged[-1][2], merged[-1][3] = row.ExitBar, merged[-1][3] + row.PnL
        else:
            merged.append([side[k], row.EntryBar, row.ExitBar, row.PnL])
    m = np.array(merged, dtype=float)
    out = {"trades_theirs": len(tt), "trades_theirs_joined": len(m), "trades_ours": len(ot)}
    if len(m) != len(ot):
        return out
    same_bars = np.array_equal(m[:, 1], ot.entry_bar) and np.array_equal(m[:, 2], ot.exit_bar)
    pnl_diff = np.abs(m[:, 3] - ot.pnl.to_numpy())
    return out | {
        "same_entry_and_exit_bars": bool(same_bars),
        "max_pnl_diff_except_last": float(pnl_diff[:-1].max()),
        "last_exit_price_theirs_ours": [
            float(tt.ExitPrice.iloc[-1]),
            float(ot.exit_price.iloc[-1]),
        ],
    }


def _their_trades(tt: pd.DataFrame, ts: np.ndarray) -> Trades:
    rec = np.zeros((len(tt), L.NT))
    rec[:, L.T_SIDE] = np.sign(tt.Size)
    rec[:, L.T_QTY] = np.abs(tt.Size)
    rec[:, L.T_ENTRY_BAR], rec[:, L.T_EXIT_BAR] = tt.EntryBar, tt.ExitBar
    rec[:, L.T_ENTRY_PRICE], rec[:, L.T_EXIT_PRICE] = tt.EntryPrice, tt.ExitPrice
    rec[:, L.T_PNL], rec[:, L.T_RET] = tt.PnL, tt.ReturnPct
    return Trades(rec, ts)


# ---- driver -----------------------------------------------------------------------------
def child(part: str, n: int) -> dict:
    """Run a sweep in a fresh process so its peak RSS is its own."""
    cmd = [sys.executable, __file__, "--part", part, "--sweep-bars", str(n)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bars", type=int, default=1_000_000)
    ap.add_argument("--sweep-bars", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--peers", action="store_true", help="also time vectorbt and backtesting.py")
    ap.add_argument("--peer-sweep", action="store_true", help="also run vectorbt's 890-combo sweep")
    ap.add_argument("--trust", action="store_true", help="compare trades with backtesting.py")
    ap.add_argument("--part", help=argparse.SUPPRESS)
    args = ap.parse_args()
    parts = {
        "sweep": lambda: ours_sweep(args.sweep_bars, False),
        "sweep_graph": lambda: ours_sweep(args.sweep_bars, True),
        "vbt_sweep": lambda: vectorbt_sweep(args.sweep_bars),
    }
    if args.part:
        print(json.dumps(parts[args.part](), default=str))
        return
    bars = synthetic_bars(args.bars)
    report: dict = {"bars": args.bars, "e2e": ours_e2e(bars, args.repeat)}
    report["sweep"] = child("sweep", args.sweep_bars)
    report["sweep_graph"] = child("sweep_graph", args.sweep_bars)
    if args.peers:
        for name, fn in (
            ("vectorbt", lambda: vectorbt_e2e(bars, args.repeat)),
            ("backtesting.py", lambda: backtestingpy_e2e(bars)),
        ):
            try:
                report["e2e"] |= fn()
            except ImportError as exc:
                report[f"{name}_skipped"] = str(exc)
    if args.peer_sweep:
        report["vbt_sweep"] = child("vbt_sweep", args.sweep_bars)
    if args.trust:
        try:
            real = SHARED / "nifty50_1min_2024-01_2024-08.csv.gz"
            report["trust"] = trust_check(
                load_csv(real) if real.exists() else synthetic_bars(60_000)
            )
        except ImportError as exc:
            report["trust_skipped"] = str(exc)
    print(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
