"""Sweeps and walk-forward: grids, the per-combination table, and agreement with backtests."""

from __future__ import annotations

import numpy as np
import pytest
import talib

from engine.backtest import run_backtest
from engine.bars import Bars
from engine.graph import compile_graph, example_documents, set_param
from engine.signals import Signals
from engine.sim import SimConfig, Sizing
from engine.sweep import ParamRange, grid, grid_size, run_sweep, walk_forward
from engine.tests.test_sim_kit import MIN_NS

T0 = 1_704_080_700 * 1_000_000_000  # 2024-01-01 09:15 IST


def make_bars(n: int = 3000, seed: int = 5) -> Bars:
    rng = np.random.default_rng(seed)
    c = 100 + np.cumsum(rng.normal(0, 0.3, n))
    o = np.r_[c[0], c[:-1]]
    k = np.arange(n)
    ts = T0 + (k // 375) * 86_400 * 10**9 + (k % 375) * MIN_NS
    return Bars.from_arrays(ts, o, np.maximum(o, c) + 0.1, np.minimum(o, c) - 0.1, c)


def cross_fn(bars: Bars):
    def fn(params: dict[str, float]) -> Signals:
        fast = talib.SMA(bars.close, int(params["fast"]))
        slow = talib.SMA(bars.close, int(params["slow"]))
        above = fast > slow
        prev = np.r_[False, above[:-1]]
        up, down = above & ~prev, prev & ~above
        return Signals(entry_long=up, exit_long=down, entry_short=down, exit_short=up)

    return fn


def test_param_range_parsing() -> None:
    assert ParamRange.parse("ma.timeperiod=5:53:2").values == tuple(range(5, 54, 2))
    assert ParamRange.parse("ma.timeperiod=10:205:5").values[-1] == 205  # stop included
    assert ParamRange.parse("x.k=1,2.5,4").values == (1, 2.5, 4)
    assert ParamRange.parse("x.k=0.5:1.0:0.25").values == (0.5, 0.75, 1.0)
    for bad in ("x.k", "x.k=a:b", "x.k=5:1", "x.k=1:5:0"):
        with pytest.raises(ValueError, match="bad --param"):
            ParamRange.parse(bad)


def test_grid_with_constraint_is_890_combinations() -> None:
    ranges = [ParamRange.parse("f.n=5:53:2"), ParamRange.parse("s.n=10:205:5")]
    combos = grid(ranges, "f.n < s.n")
    assert len(combos) == 890
    assert all(c["f.n"] < c["s.n"] for c in combos)
    with pytest.raises(ValueError, match="not a swept parameter"):
        grid(ranges, "f.n < q.n")


def test_sweep_table_matches_single_backtests() -> None:
    bars = make_bars()
    fn = cross_fn(bars)
    cfg = SimConfig(sizing=Sizing(mode="fixed", value=10), fees="min_flat_percent")
    ranges = [ParamRange.parse("fast=5:15:5"), ParamRange.parse("slow=20,30")]
    result = run_sweep(bars, fn, ranges, cfg, metric="return_pct")
    assert len(result.table) == 6
    for _, row in result.table.iterrows():
        single = run_backtest(bars, fn({"fast": row["fast"], "slow": row["slow"]}), cfg)
        assert row["return_pct"] == pytest.approx(single.stats["return_pct"])
        assert row["trades"] == single.stats["trades"]
    best = result.table["return_pct"].max()
    assert result.best_row["return_pct"] == best
    assert set(result.best_params) == {"fast", "slow"}


def test_graph_sweep_equals_recompiled_graphs_and_caches_indicators() -> None:
    bars = make_bars(2000)
    doc = example_documents()["sma_cross"]
    graph = compile_graph(doc)
    ranges = [
        ParamRange.parse("ma_fast.timeperiod=5,10"),
        ParamRange.parse("ma_slow.timeperiod=20,30"),
    ]
    result = run_sweep(bars, graph, ranges, metric="sharpe")
    for _, row in result.table.iterrows():
        d = set_param(doc, "ma_fast.timeperiod", int(row["ma_fast.timeperiod"]))
        d = set_param(d, "ma_slow.timeperiod", int(row["ma_slow.timeperiod"]))
        single = run_backtest(bars, compile_graph(d))
        assert row["trades"] == single.stats["trades"]
        assert row["equity_final"] == pytest.approx(single.stats["equity_final"])


def test_walk_forward_out_of_sample_is_a_plain_backtest_of_the_chosen_params() -> None:
    bars = make_bars(3000)
    fn = cross_fn(bars)
    ranges = [ParamRange.parse("fast=5:15:5"), ParamRange.parse("slow=20:40:10")]
    wf = walk_forward(bars, fn, ranges, folds=3, in_sample=0.7, metric="return_pct")
    assert len(wf.windows) == 3
    first = wf.windows.iloc[0]
    params = {"fast": first["fast"], "slow": first["slow"]}
    full = fn(params)
    b, c = int(1000 * 0.7), 1000
    oos = Signals(
        entry_long=full.entry_long[b:c],
        exit_long=full.exit_long[b:c],
        entry_short=full.entry_short[b:c],
        exit_short=full.exit_short[b:c],
    )
    single = run_backtest(bars.slice(b, c), oos)
    assert first["oos_return_pct"] == pytest.approx(single.stats["return_pct"])
    insample = [
        run_backtest(
            bars.slice(0, b),
            Signals(
                entry_long=s.entry_long[:b],
                exit_long=s.exit_long[:b],
                entry_short=s.entry_short[:b],
                exit_short=s.exit_short[:b],
            ),
        ).stats["return_pct"]
        for s in (fn(p) for p in grid(ranges))
    ]
    assert first["is_return_pct"] == pytest.approx(max(insample))


def test_bad_metric_and_empty_grid() -> None:
    bars = make_bars(500)
    with pytest.raises(ValueError, match="unknown metric"):
        run_sweep(bars, cross_fn(bars), [ParamRange.parse("fast=5")], metric="luck")
    with pytest.raises(ValueError, match="no parameter combination"):
        run_sweep(
            bars,
            cross_fn(bars),
            [ParamRange.parse("fast=5"), ParamRange.parse("slow=3")],
            constraint="fast < slow",
        )


def test_sweep_on_real_nifty_minutes(shared_data) -> None:
    from engine.bars import load_csv

    bars = load_csv(shared_data / "nifty50_1min_2024-01_2024-08.csv.gz")
    ranges = [ParamRange.parse("fast=5:15:5"), ParamRange.parse("slow=20:40:10")]
    cfg = SimConfig(sizing=Sizing(mode="fixed", value=1), fees="india_equity_intraday")
    result = run_sweep(bars, cross_fn(bars), ranges, cfg)
    assert len(result.table) == 9
    assert (result.table["total_charges"] > 0).all()
    assert result.table["periods_per_year"].eq(252).all()


@pytest.mark.parametrize(
    "constraint",
    [
        None,
        "f.n < s.n",
        "f.n <= s.n",
        "f.n > s.n",
        "f.n >= s.n",
        "f.n == s.n",
        "f.n != s.n",
        "s.n > 20",
        "30 >= f.n",
        "f.n < f.n",
        "f.n <= f.n",
        "1 < 2",
        "2 < 1",
    ],
)
def test_grid_size_counts_what_grid_builds(constraint: str | None) -> None:
    ranges = [
        ParamRange.parse("f.n=5:53:2"),
        ParamRange.parse("s.n=10,20,20,30.5,45,5"),  # duplicates count, as in the product
        ParamRange.parse("k.x=1,2,3"),
    ]
    assert grid_size(ranges, constraint) == len(grid(ranges, constraint))


def test_grid_size_of_a_billion_is_counted_without_building() -> None:
    ranges = [ParamRange(path=f"p{i}.n", values=tuple(range(1000))) for i in range(3)]
    assert grid_size(ranges) == 10**9
    assert grid_size(ranges, "p0.n < p1.n") == 499_500 * 1000
    with pytest.raises(ValueError, match="not a swept parameter"):
        grid_size(ranges, "p0.n < q.n")
    with pytest.raises(ValueError, match="listed twice"):
        grid_size([*ranges, ranges[0]])
