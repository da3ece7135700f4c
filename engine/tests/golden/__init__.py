"""Golden results: fixed strategies on fixed data, their trades and statistics committed as
JSON (``engine/tests/golden/<dataset>.json``) with the engine version that made them.

``engine/tests/test_golden.py`` recomputes every case and requires the same numbers (floats
to a relative 1e-9). A deliberate change of results needs a new ``ENGINE_VERSION`` and a
regenerated fixture: ``python -m engine.tests.golden --update`` refuses to overwrite
different results while ``ENGINE_VERSION`` equals the fixture's (see ``__main__``).

The synthetic series is generated here from integer arithmetic only (no numpy random
generator, no other module's synthetic data), so it cannot drift with a library upgrade.
The real NIFTY case uses ``../shared/data`` when it is present.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from engine import ENGINE_VERSION
from engine.backtest import run_backtest
from engine.bars import Bars, load_csv
from engine.fees import IndiaEquityIntradayFees, IndiaIndexFuturesFees, PercentFees
from engine.graph import compile_graph
from engine.graph.examples import document, edge, node
from engine.sim import SimConfig, Sizing, Slippage

HERE = Path(__file__).resolve().parent
SHARED_DATA = HERE.parents[3] / "shared" / "data"
NIFTY_FILE = "nifty50_1min_2024-01_2024-08.csv.gz"
NIFTY_BARS = 375 * 10  # the first 10 sessions of 2024
REL_TOL = 1e-9
ABS_TOL = 1e-9

Json = dict[str, Any]


# -- data ----------------------------------------------------------------------------------
def synthetic_bars(days: int = 12) -> Bars:
    """``days`` NSE weekdays of one-minute bars from 2024-01-01, prices on a 0.05 tick.

    A 32-bit linear congruential generator gives the tick moves; a slow wave gives trends,
    so crosses, stops, targets and trailing stops all happen.
    """
    state = 20_240_101
    tick = 0.05
    t0 = date(2024, 1, 1)
    day_list: list[date] = []
    d = t0
    while len(day_list) < days:
        if d.weekday() < 5:
            day_list.append(d)
        d += timedelta(days=1)
    ts, o, h, lo, c = [], [], [], [], []
    price = 20_000  # in ticks (1000.00)
    k = 0
    for day in day_list:
        midnight = (day - date(1970, 1, 1)).days * 86_400 - 19_800  # IST midnight, UTC s
        for minute in range(375):
            state = (1_664_525 * state + 1_013_904_223) % 2**32
            noise = state % 17 - 8  # -8 .. 8 ticks
            drift = round(6 * math.sin(k / 150))  # a trend turning every ~470 bars
            state = (1_664_525 * state + 1_013_904_223) % 2**32
            wick_up, wick_down = state % 7, (state >> 8) % 7
            open_ = price
            price = price + noise + drift
            ts.append((midnight + (555 + minute) * 60) * 1_000_000_000)
            o.append(open_ * tick)
            c.append(price * tick)
            h.append((max(open_, price) + wick_up) * tick)
            lo.append((min(open_, price) - wick_down) * tick)
            k += 1
    return Bars.from_arrays(
        np.asarray(ts, dtype=np.int64),
        np.round(o, 2),
        np.round(h, 2),
        np.round(lo, 2),
        np.round(c, 2),
    )


def nifty_bars() -> Bars | None:
    path = SHARED_DATA / NIFTY_FILE
    if not path.is_file():
        return None
    return load_csv(path).slice(0, NIFTY_BARS)


DATASETS: dict[str, Callable[[], Bars | None]] = {"synthetic": synthetic_bars, "nifty": nifty_bars}


# -- strategies ----------------------------------------------------------------------------
def sma_long_short() -> Json:
    """SMA(10)/SMA(30) cross, always in the market: long on the up-cross, short on the down."""
    return document(
        "SMA 10/30 long-short",
        [
            node("close", "source", field="close"),
            node("fast", "indicator", indicator="SMA", timeperiod=10),
            node("slow", "indicator", indicator="SMA", timeperiod=30),
            node("up", "condition", op="crosses_above"),
            node("down", "condition", op="crosses_below"),
            node("el", "entry", side="long"),
            node("xl", "exit", side="long"),
            node("es", "entry", side="short"),
            node("xs", "exit", side="short"),
        ],
        [
            edge("close.out", "fast.price"),
            edge("close.out", "slow.price"),
            edge("fast.out", "up.a"),
            edge("slow.out", "up.b"),
            edge("fast.out", "down.a"),
            edge("slow.out", "down.b"),
            edge("up.out", "el.when"),
            edge("up.out", "xs.when"),
            edge("down.out", "es.when"),
            edge("down.out", "xl.when"),
        ],
    )


def rsi_stops() -> Json:
    """RSI(14) back above 30 buys, above 70 sells; stop 0.3%, target 0.6%, trailing 0.5% (it
    overtakes the stop once the best price is 0.2% above the entry)."""
    return document(
        "RSI with stop, target and trailing stop",
        [
            node("rsi", "indicator", indicator="RSI", timeperiod=14),
            node("k30", "constant", value=30),
            node("k70", "constant", value=70),
            node("up", "condition", op="crosses_above"),
            node("high", "condition", op=">"),
            node("el", "entry", side="long"),
            node("xl", "exit", side="long"),
        ],
        [
            edge("rsi.out", "up.a"),
            edge("k30.out", "up.b"),
            edge("rsi.out", "high.a"),
            edge("k70.out", "high.b"),
            edge("up.out", "el.when"),
            edge("high.out", "xl.when"),
        ],
        risk={
            "stop_loss": {"value": 0.3, "unit": "percent"},
            "target": {"value": 0.6, "unit": "percent"},
            "trailing_stop": {"value": 0.5, "unit": "percent"},
            "min_hold_bars": 2,
        },
    )


def opening_range_breakout() -> Json:
    """Close crosses the 09:15-09:30 high between 09:30 and 14:00: long, one trade a day;
    short on a cross below the range low; square off 15:25."""
    return document(
        "Opening-range breakout",
        [
            node("close", "source", field="close"),
            node("high", "source", field="high"),
            node("low", "source", field="low"),
            node("range_high", "math", op="opening_high", minutes=15),
            node("range_low", "math", op="opening_low", minutes=15),
            node("window", "time", op="session_window", start="09:30", end="14:00"),
            node("above", "condition", op="crosses_above"),
            node("below", "condition", op="crosses_below"),
            node("long_setup", "logic", op="and"),
            node("short_setup", "logic", op="and"),
            node("el", "entry", side="long"),
            node("es", "entry", side="short"),
            node("once", "loop", max_reentries=0),
        ],
        [
            edge("high.out", "range_high.a"),
            edge("low.out", "range_low.a"),
            edge("close.out", "above.a"),
            edge("range_high.out", "above.b"),
            edge("close.out", "below.a"),
            edge("range_low.out", "below.b"),
            edge("above.out", "long_setup.a"),
            edge("window.out", "long_setup.b"),
            edge("below.out", "short_setup.a"),
            edge("window.out", "short_setup.b"),
            edge("long_setup.out", "el.when"),
            edge("short_setup.out", "es.when"),
            edge("el.fire", "once.entry"),
        ],
        risk={
            "stop_loss": {"value": 0.4, "unit": "percent"},
            "target": {"value": 0.8, "unit": "percent"},
            "square_off": "15:25",
        },
    )


def ema_scalper() -> Json:
    """EMA(5)/EMA(13) crosses both ways on 1-minute bars: many small trades, so Indian
    charges dominate; cooldown, a daily trade cap and a daily loss limit."""
    doc = sma_long_short()
    doc["name"] = "EMA 5/13 scalper"
    for n in doc["nodes"]:
        if n["id"] in ("fast", "slow"):
            n["params"] = {"indicator": "EMA", "timeperiod": 5 if n["id"] == "fast" else 13}
    doc["settings"]["risk"] = {
        "cooldown_bars": 2,
        "max_trades_per_day": 12,
        "daily_max_loss": 1500,
        "square_off": "15:20",
    }
    return doc


def five_minute_trend() -> Json:
    """5-minute close above a 1-hour EMA(5) and rising: long via a limit order below the
    close; exit on a cross back. Runs on resampled bars; the position is kept open at the end."""
    return document(
        "5m trend with a 1h filter",
        [
            node("close", "source", field="close"),
            node("close_1h", "source", field="close", timeframe="1h"),
            node("ema_1h", "indicator", indicator="EMA", timeperiod=5),
            node("above", "condition", op="crosses_above"),
            node("below", "condition", op="crosses_below"),
            node("el", "entry", side="long"),
            node("xl", "exit", side="long"),
        ],
        [
            edge("close_1h.out", "ema_1h.price"),
            edge("close.out", "above.a"),
            edge("ema_1h.out", "above.b"),
            edge("close.out", "below.a"),
            edge("ema_1h.out", "below.b"),
            edge("above.out", "el.when"),
            edge("below.out", "xl.when"),
        ],
        timeframe="5m",
    )


@dataclass(frozen=True)
class Case:
    name: str
    doc: Callable[[], Json]
    config: Callable[[], SimConfig]


CASES = (
    Case(
        "sma_long_short",
        sma_long_short,
        lambda: SimConfig(
            initial_cash=2_000_000,
            sizing=Sizing(mode="fixed", value=50),
            fees=PercentFees(percent=0.01),
        ),
    ),
    Case(
        "rsi_stop_target_trailing",
        rsi_stops,
        lambda: SimConfig(
            initial_cash=500_000,
            sizing=Sizing(mode="all_in"),
            fees=PercentFees(percent=0.02),
            slippage=Slippage(ticks=1),
            stop_first=False,
        ),
    ),
    Case(
        "orb_futures",
        opening_range_breakout,
        lambda: SimConfig(
            initial_cash=500_000,
            sizing=Sizing(mode="lots", value=2, lot_size=65),
            margin=0.15,
            fees=IndiaIndexFuturesFees(),
            slippage=Slippage(ticks=1),
            end_of_data="close_at_open",
        ),
    ),
    Case(
        "ema_scalper_india_equity",
        ema_scalper,
        lambda: SimConfig(
            initial_cash=300_000,
            sizing=Sizing(mode="percent", value=50),
            fees=IndiaEquityIntradayFees(),
            slippage=Slippage(ticks=1, bps=1),
        ),
    ),
    Case(
        "five_minute_trend_limit",
        five_minute_trend,
        lambda: SimConfig(
            initial_cash=500_000,
            sizing=Sizing(mode="fixed", value=10),
            entry_order="limit",
            entry_offset=None,
            order_valid_bars=2,
            fees=PercentFees(percent=0.03),
            end_of_data="keep_open",
        ),
    ),
)


# -- computing and comparing ---------------------------------------------------------------
def run_case(case: Case, bars: Bars) -> Json:
    """The trades, statistics, refusal counts and open position of one case, as JSON."""
    from engine.cli import to_timeframe

    graph = compile_graph(case.doc())
    bars = _quiet(to_timeframe, bars, graph.timeframe)
    result = run_backtest(bars, graph, case.config()).to_dict(max_points=2)
    keep = ("stats", "trades", "rejection_counts", "open_position")
    return {"bars": len(bars), **{k: result[k] for k in keep}}


def _quiet(fn: Callable[[Bars, str], Bars], bars: Bars, timeframe: str) -> Bars:
    import contextlib
    import io

    with contextlib.redirect_stderr(io.StringIO()):
        return fn(bars, timeframe)


def compute(dataset: str) -> Json | None:
    bars = DATASETS[dataset]()
    if bars is None:
        return None
    return {
        "engine_version": ENGINE_VERSION,
        "dataset": dataset,
        "results": {case.name: run_case(case, bars) for case in CASES},
    }


def fixture_path(dataset: str) -> Path:
    return HERE / f"{dataset}.json"


def load_fixture(dataset: str) -> Json | None:
    path = fixture_path(dataset)
    return json.loads(path.read_text()) if path.is_file() else None


def dumps(value: Any, pad: str = "") -> str:
    """JSON with one key per line and one trade per line: small, and diffs read well."""
    if isinstance(value, dict) and value:
        inner = ",\n".join(
            f"{pad} {json.dumps(k)}: {dumps(value[k], pad + ' ')}" for k in sorted(value)
        )
        return "{\n" + inner + "\n" + pad + "}"
    if isinstance(value, list) and value and isinstance(value[0], dict):
        rows = ",\n".join(f"{pad} {json.dumps(v, sort_keys=True)}" for v in value)
        return "[\n" + rows + "\n" + pad + "]"
    return json.dumps(value, sort_keys=True)


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Where two JSON values differ; floats within ``REL_TOL``/``ABS_TOL`` are equal."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = [f"{path}/{k}: missing" for k in expected.keys() - actual.keys()]
        out += [f"{path}/{k}: unexpected" for k in actual.keys() - expected.keys()]
        for k in expected.keys() & actual.keys():
            out += differences(expected[k], actual[k], f"{path}/{k}")
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: {len(expected)} items expected, got {len(actual)}"]
        return [
            d
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for d in differences(e, a, f"{path}[{i}]")
        ]
    if _number(expected) and _number(actual):
        if math.isclose(expected, actual, rel_tol=REL_TOL, abs_tol=ABS_TOL):
            return []
    elif expected == actual:
        return []
    return [f"{path}: expected {expected!r}, got {actual!r}"]


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)
