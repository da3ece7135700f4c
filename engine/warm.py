"""Fill numba's on-disk cache so that no user waits for a compilation.

The engine's kernels are ``@njit(cache=True)``: the first call of each type signature compiles
(about 14 s in all on an empty cache) and writes machine code to ``NUMBA_CACHE_DIR``; later
processes load it in milliseconds. ``warm_up()`` runs, on a few days of synthetic bars, every
path a backtest, a sweep, a walk-forward and a streaming (paper/live) session takes, with every
argument type they pass, so all those signatures are compiled (or loaded) before a user's run.

    python -m engine.warm          # make install / the image build / a deploy step
    engine.warm.warm_up()          # at worker start (loads from the cache: well under a second)

``cache_misses()`` counts the compilations a process did; a new process after ``warm_up`` should
do none in its first backtest (``bench/bench_first_run.py`` and ``test_warm.py`` check it).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import numpy as np

from engine import CACHE_DIR_ENV, numba_cache_dir

if TYPE_CHECKING:
    from engine.bars import Bars

_DAYS = 4  # NSE days of 1-minute bars: every indicator warms up, and each path trades


def warm_up() -> dict[str, float]:
    """Compile or load every kernel signature the platform uses; seconds spent per path."""
    from datetime import date

    from engine.markets.synthetic import synthetic_bars

    bars = synthetic_bars(start=date(2025, 1, 6), days=_DAYS, seed=3)
    spent = {}
    for name, path in _PATHS.items():
        t0 = time.perf_counter()
        path(bars)
        spent[name] = time.perf_counter() - t0
    return spent


def dispatchers() -> Iterator[tuple[str, object]]:
    """Every numba dispatcher in the engine modules imported so far."""
    from numba.core.dispatcher import Dispatcher

    for mod_name, module in list(sys.modules.items()):
        if mod_name == "engine" or mod_name.startswith("engine."):
            for attr, value in list(vars(module).items()):
                if isinstance(value, Dispatcher):
                    yield f"{mod_name}.{attr}", value


def cache_misses() -> dict[str, int]:
    """Signatures this process compiled instead of loading them from the cache, by kernel."""
    out = {}
    for name, disp in dispatchers():
        misses = sum(disp.stats.cache_misses.values())
        if misses:
            out[name] = misses
    return out


# -- the paths ------------------------------------------------------------------------------
def _backtests(bars: Bars) -> None:
    """Every example strategy under every kernel input shape: with and without a calendar
    (square-off, daily limits), fixed and per-bar lots, each end of data, fill and order type."""
    from engine.backtest import run_backtest
    from engine.graph import compile_graph, example_documents
    from engine.options.config import OptionsConfig
    from engine.options.run import has_option_legs
    from engine.signals import Level, RiskSettings
    from engine.sim import SimConfig, Sizing

    risk = RiskSettings(
        stop_loss=Level(value=20),
        target=Level(value=1, unit="percent"),
        trailing_stop=Level(value=30),
        max_trades_per_day=5,
        daily_max_loss=5_000,
        per_trade_max_loss=3_000,
        square_off="15:25",
        cooldown_bars=1,
        min_hold_bars=1,
    )
    configs = [
        SimConfig(),
        SimConfig(
            fees="india_futures",
            margin=0.15,
            sizing=Sizing(mode="lots", value=1, lot_symbol="NIFTY"),
            end_of_data="close_at_open",
        ),
        SimConfig(fees="india_options", sizing=Sizing(mode="all_in"), end_of_data="keep_open"),
        SimConfig(fill="close", entry_order="limit", sizing=Sizing(mode="percent", value=20)),
    ]
    for doc in example_documents().values():
        graph = compile_graph(doc)
        if has_option_legs(graph.plan):  # premiums, not the kernel: one model run warms them
            legs = OptionsConfig(premium_source="model", iv=0.15, underlying="NIFTY")
            run_backtest(bars, graph, SimConfig(fees="india_options", options=legs)).to_dict()
            continue
        for cfg in configs:
            for r in (None, risk):
                run_backtest(bars, graph, cfg, risk=r).to_dict()


def _sweeps(bars: Bars) -> None:
    from engine.graph import compile_graph, example_documents
    from engine.sweep import ParamRange, run_sweep, walk_forward

    graph = compile_graph(example_documents()["sma_cross"])
    ranges = [
        ParamRange.parse("ma_fast.timeperiod=5:7:2"),
        ParamRange.parse("ma_slow.timeperiod=20:21"),
    ]
    run_sweep(bars, graph, ranges)
    walk_forward(bars, graph, ranges, folds=2)


def _sessions(bars: Bars) -> None:
    """The streaming evaluator and ``SimSession.on_bar`` (paper and live), Python scalars."""
    from engine.graph import compile_graph, example_documents
    from engine.signals import Level, RiskSettings
    from engine.sim import SimConfig, SimSession, Sizing

    rows = list(
        zip(
            *(getattr(bars, f).tolist() for f in ("ts", "open", "high", "low", "close", "volume")),
            strict=True,
        )
    )
    for doc in example_documents().values():
        ev = compile_graph(doc).stream(bars.slice(0, 300))
        for row in rows[300:340]:
            ev.update(*row)
    for risk, sizing in (
        (None, Sizing()),
        (
            RiskSettings(stop_loss=Level(value=5), square_off="15:25"),
            Sizing(mode="lots", lot_symbol="NIFTY"),
        ),
    ):
        session = SimSession(SimConfig(fees="india_futures", sizing=sizing), risk)
        for k, (ts, o, h, lo, c, _v) in enumerate(rows[:-1]):
            session.on_bar(
                ts=ts,
                open=o,
                high=h,
                low=lo,
                close=c,
                entry_long=k % 7 == 0,
                exit_long=k % 7 == 3,
                entry_short=bool(np.bool_(k % 11 == 0)),
                exit_short=False,
                next_ts=rows[k + 1][0],
            )
        session.finish()
        session.trades.to_frame()


def _fees(bars: Bars) -> None:
    """``BaseFees.charges`` from Python (order previews, broker fills)."""
    from datetime import date

    from engine.fees import available_fee_models, get_fee_model

    for name in available_fee_models():
        try:
            model = get_fee_model(name)
        except (TypeError, ValueError):  # a model that needs parameters: the kernel is shared
            continue
        for side in ("buy", "sell"):
            model.charges(price=100.0, qty=50.0, side=side, on=date(2025, 1, 2))


def _indicators(bars: Bars) -> None:
    """The engine's own numba indicators (SuperTrend, session VWAP), whole arrays and streaming,
    also those no example strategy uses."""
    from engine.indicators.base import TS_INPUT
    from engine.indicators.builtin import builtin_indicators

    for ind in builtin_indicators().values():
        ports = ind.input_ports()
        inputs = {
            p.name: bars.ts if p.default == TS_INPUT else bars.field(p.default or "close")
            for p in ports
        }
        ind.run(inputs, ind.defaults())
        state = ind.stream(ind.defaults())
        for i in range(3):
            state.update(*(float(inputs[p.name][i]) for p in ports))


_PATHS: dict[str, Callable[[Bars], None]] = {
    "indicators": _indicators,
    "backtests": _backtests,
    "sweeps": _sweeps,
    "sessions": _sessions,
    "fees": _fees,
}


def main() -> int:
    t0 = time.perf_counter()
    spent = warm_up()
    misses = cache_misses()
    where = numba_cache_dir()
    print(
        f"engine.warm: {sum(misses.values())} signatures compiled, the rest loaded, in "
        f"{time.perf_counter() - t0:.1f} s ({', '.join(f'{k} {v:.1f} s' for k, v in spent.items())}); "
        f"cache {where} (${CACHE_DIR_ENV})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
