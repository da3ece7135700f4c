"""Streaming == vectorised, bar by bar after warm-up, on synthetic and real NSE data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.bars import Bars, load_csv
from engine.graph import compile_graph, example_documents
from engine.graph.examples import document, edge, node
from engine.graph.testing import random_walk_bars, stream_signals

SIGNALS = ("entry_long", "exit_long", "entry_short", "exit_short")


def ema_rsi() -> dict:
    return document(
        "EMA + RSI",
        [
            node("ema", "indicator", indicator="EMA", timeperiod=20),
            node("rsi", "indicator", indicator="RSI", timeperiod=14),
            node("close", "source", field="close"),
            node("k50", "constant", value=50),
            node("k40", "constant", value=40),
            node("above", "condition", op=">"),
            node("rsi_up", "condition", op="crosses_above"),
            node("both", "logic", op="and"),
            node("rsi_low", "condition", op="<"),
            node("e", "entry", side="long"),
            node("x", "exit", side="long"),
        ],
        [
            edge("close.out", "above.a"),
            edge("ema.out", "above.b"),
            edge("rsi.out", "rsi_up.a"),
            edge("k50.out", "rsi_up.b"),
            edge("above.out", "both.a"),
            edge("rsi_up.out", "both.b"),
            edge("both.out", "e.when"),
            edge("rsi.out", "rsi_low.a"),
            edge("k40.out", "rsi_low.b"),
            edge("rsi_low.out", "x.when"),
        ],
    )


def supertrend_flip() -> dict:
    return document(
        "SuperTrend flip",
        [
            node("st", "indicator", indicator="SUPERTREND", period=10, factor=3.0),
            node("z", "constant", value=0),
            node("up", "condition", op="crosses_above"),
            node("down", "condition", op="crosses_below"),
            node("el", "entry", side="long"),
            node("xl", "exit", side="long"),
            node("es", "entry", side="short"),
            node("xs", "exit", side="short"),
        ],
        [
            edge("st.direction", "up.a"),
            edge("z.out", "up.b"),
            edge("st.direction", "down.a"),
            edge("z.out", "down.b"),
            edge("up.out", "el.when"),
            edge("down.out", "xl.when"),
            edge("down.out", "es.when"),
            edge("up.out", "xs.when"),
        ],
    )


def macd() -> dict:
    return document(
        "MACD",
        [
            node("m", "indicator", indicator="MACD", fastperiod=12, slowperiod=26, signalperiod=9),
            node("z", "constant", value=0),
            node("x", "condition", op="crosses_above"),
            node("neg", "condition", op="<"),
            node("e", "entry", side="long"),
            node("q", "exit", side="long"),
        ],
        [
            edge("m.macd", "x.a"),
            edge("m.signal", "x.b"),
            edge("m.hist", "neg.a"),
            edge("z.out", "neg.b"),
            edge("x.out", "e.when"),
            edge("neg.out", "q.when"),
        ],
    )


def higher_timeframe() -> dict:
    return document(
        "15m SMA vs 1m close, 1h EMA filter",
        [
            node("c15", "source", field="close", timeframe="15m"),
            node("h1", "source", field="hlc3", timeframe="1h"),
            node("sma", "indicator", indicator="SMA", timeperiod=5),
            node("ema", "indicator", indicator="EMA", timeperiod=3),
            node("rise", "condition", op="rising", n=2),
            node("close", "source", field="close"),
            node("x", "condition", op="crosses_above"),
            node("xd", "condition", op="crosses_below"),
            node("lag", "math", op="lag", n=1),
            node("both", "logic", op="or"),
            node("e", "entry", side="long"),
            node("q", "exit", side="long"),
        ],
        [
            edge("c15.out", "sma.price"),
            edge("h1.out", "ema.price"),
            edge("ema.out", "lag.a"),
            edge("lag.out", "rise.a"),
            edge("close.out", "x.a"),
            edge("sma.out", "x.b"),
            edge("x.out", "both.a"),
            edge("rise.out", "both.b"),
            edge("both.out", "e.when"),
            edge("close.out", "xd.a"),
            edge("sma.out", "xd.b"),
            edge("xd.out", "q.when"),
        ],
    )


def time_window() -> dict:
    return document(
        "time window",
        [
            node("w", "time", op="session_window", start="10:00", end="14:00"),
            node("d", "time", op="day_of_week", days=["mon", "wed", "fri"]),
            node("nth", "time", op="nth_bar", n=30),
            node("vw", "indicator", indicator="VWAP"),
            node("close", "source", field="close"),
            node("gt", "condition", op=">"),
            node("a", "logic", op="and"),
            node("o", "logic", op="xor"),
            node("e", "entry", side="long"),
            node("x", "exit", side="long"),
            node("notw", "logic", op="not"),
        ],
        [
            edge("w.out", "a.a"),
            edge("d.out", "a.b"),
            edge("gt.out", "a.c"),
            edge("close.out", "gt.a"),
            edge("vw.out", "gt.b"),
            edge("a.out", "o.a"),
            edge("nth.out", "o.b"),
            edge("o.out", "e.when"),
            edge("w.out", "notw.a"),
            edge("notw.out", "x.when"),
        ],
    )


def plugin_and_math() -> dict:
    return document(
        "HMA band",
        [
            node("hma", "indicator", indicator="HMA", timeperiod=16),
            node("atr", "indicator", indicator="ATR", timeperiod=14),
            node("k", "constant", value=1.5),
            node("band", "math", op="mul"),
            node("up", "math", op="add"),
            node("hh", "math", op="highest", n=5),
            node("close", "source", field="close"),
            node("x", "condition", op="crosses_above"),
            node("lo", "math", op="lowest", n=20),
            node("y", "condition", op="<="),
            node("e", "entry", side="long"),
            node("q", "exit", side="long"),
        ],
        [
            edge("atr.out", "band.a"),
            edge("k.out", "band.b"),
            edge("hma.out", "up.a"),
            edge("band.out", "up.b"),
            edge("up.out", "hh.a"),
            edge("close.out", "x.a"),
            edge("hh.out", "x.b"),
            edge("x.out", "e.when"),
            edge("close.out", "lo.a"),
            edge("close.out", "y.a"),
            edge("lo.out", "y.b"),
            edge("y.out", "q.when"),
        ],
    )


GRAPHS = {
    "sma_cross": lambda: example_documents()["sma_cross"],
    "ema_rsi": ema_rsi,
    "supertrend": supertrend_flip,
    "macd": macd,
    "higher_timeframe": higher_timeframe,
    "time_window": time_window,
    "plugin_and_math": plugin_and_math,
}


def assert_parity(doc: dict, bars: Bars, warmup: int) -> None:
    g = compile_graph(doc)
    vec = g.evaluate(bars)
    live = stream_signals(g, bars, warmup)
    for name in SIGNALS:
        np.testing.assert_array_equal(
            getattr(live, name), getattr(vec, name)[warmup:], err_msg=f"{doc['name']}: {name}"
        )
    assert vec.entry_long.any(), "a parity test needs signals to compare"


@pytest.mark.parametrize("graph", list(GRAPHS))
def test_parity_synthetic(graph: str) -> None:
    assert_parity(GRAPHS[graph](), random_walk_bars(375 * 8, seed=11), warmup=400)


@pytest.mark.parametrize("graph", list(GRAPHS))
@pytest.mark.parametrize("file", ["nifty50_1min_2024-01_2024-08", "banknifty_1min_2024-01_2024-08"])
def test_parity_real_data(shared_data: Path, file: str, graph: str) -> None:
    bars = _load(shared_data / f"{file}.csv.gz").slice(0, 375 * 20)  # 20 sessions, with a hole
    assert_parity(GRAPHS[graph](), bars, warmup=375 * 2)


_CACHE: dict[Path, Bars] = {}


def _load(path: Path) -> Bars:
    if path not in _CACHE:
        _CACHE[path] = load_csv(path)
    return _CACHE[path]


def test_stream_record_carries_actions() -> None:
    bars = random_walk_bars(3_000, seed=12)
    g = compile_graph(example_documents()["sma_cross"])
    vec = g.evaluate(bars)
    ev = g.stream(bars.slice(0, 100))
    i = int(np.flatnonzero(vec.entry_long[100:])[0]) + 100
    for k in range(100, i + 1):
        rec = ev.update(
            *(getattr(bars, f)[k].item() for f in ("ts", "open", "high", "low", "close", "volume"))
        )
    assert rec.entry_long and rec.actions == ("buy",) and rec.ts == bars.ts[i]


@pytest.mark.parametrize(
    ("first", "last"),
    [(13_000, 15_000), (50_500, 52_000), (77_000, 78_200)],
    ids=["outage-reopen-2021-02-24", "hole-2021-07-23", "muhurat-2021-11-04"],
)
@pytest.mark.parametrize("graph", ["higher_timeframe", "time_window", "supertrend"])
def test_parity_on_irregular_sessions(shared_data: Path, first: int, last: int, graph: str) -> None:
    bars = _load(shared_data / "nifty50_1min_2021-01_2023-01.csv.gz").slice(first, last)
    assert_parity(GRAPHS[graph](), bars, warmup=300)


def test_parity_five_minute_strategy_with_daily_source() -> None:
    doc = higher_timeframe()
    doc["settings"]["timeframe"] = "5m"
    next(n for n in doc["nodes"] if n["id"] == "h1")["params"]["timeframe"] = "1d"
    assert_parity(doc, random_walk_bars(75 * 30, seed=13, minutes=5), warmup=200)


def test_parity_one_second_strategy_with_15s_and_1m_sources() -> None:
    """Sub-minute clocks: a 1s strategy reading 15s and 1m bars (and a 1-minute opening range
    built from 1s bars) sees each bucket on the same bar in both evaluators."""
    doc = higher_timeframe()
    doc["settings"]["timeframe"] = "1s"
    by_id = {n["id"]: n for n in doc["nodes"]}
    by_id["c15"]["params"]["timeframe"] = "15s"
    by_id["h1"]["params"]["timeframe"] = "1m"
    doc["nodes"].append(node("orh", "math", op="opening_high", minutes=1))
    doc["nodes"].append(node("above_or", "condition", op="gt"))
    doc["nodes"].append(node("qx", "logic", op="or"))
    doc["edges"] = [e for e in doc["edges"] if e["to"] != "q.when"]
    doc["edges"] += [edge("close.out", "orh.a"), edge("close.out", "above_or.a")]
    doc["edges"] += [edge("orh.out", "above_or.b"), edge("xd.out", "qx.a")]
    doc["edges"] += [edge("above_or.out", "qx.b"), edge("qx.out", "q.when")]
    bars = random_walk_bars(22_500 + 4_000, seed=14, seconds=1)  # one session and a bit
    assert_parity(doc, bars, warmup=500)


def chained_actions() -> dict:
    """SMA cross: buy, then an option leg chained after it, a wait of 3 bars and a second leg;
    the exit sells. What the Strategies API's ``after`` option builds."""
    doc = example_documents()["sma_cross"]
    leg = {"position": "buy", "option_type": "CE", "strike": "ATM", "expiry": "weekly", "lots": 1}
    doc["nodes"] += [
        node("hedge", "action", type="option_leg", **leg),
        node("pause", "action", type="wait", bars=3),
        node("roll", "action", type="option_leg", **{**leg, "option_type": "PE"}),
    ]
    doc["edges"] += [
        edge("buy.next", "hedge.trigger"),
        edge("hedge.next", "pause.trigger"),
        edge("pause.next", "roll.trigger"),
    ]
    return doc


def test_chained_actions_fire_with_their_trigger_and_after_a_wait() -> None:
    bars = random_walk_bars(3_000, seed=12)
    sig = compile_graph(chained_actions()).evaluate(bars)
    assert sig.actions["entry_long"] == ("buy", "hedge", "pause", "roll")
    np.testing.assert_array_equal(sig.fired["buy"], sig.entry_long)
    np.testing.assert_array_equal(sig.fired["hedge"], sig.entry_long)
    np.testing.assert_array_equal(sig.fired["pause"], sig.entry_long)
    np.testing.assert_array_equal(sig.fired["roll"][3:], sig.entry_long[:-3])
    assert not sig.fired["roll"][:3].any()
    i = int(np.flatnonzero(sig.entry_long)[0])
    assert sig.actions_at(i) == ("buy", "hedge", "pause")
    assert "roll" in sig.actions_at(i + 3)


def test_chained_actions_parity() -> None:
    bars = random_walk_bars(3_000, seed=12)
    g = compile_graph(chained_actions())
    vec = g.evaluate(bars)
    warmup = 100
    ev = g.stream(bars.slice(0, warmup))
    cols = [getattr(bars, f).tolist() for f in ("ts", "open", "high", "low", "close", "volume")]
    recs = [ev.update(*row) for row in list(zip(*cols, strict=True))[warmup:]]
    assert [r.actions for r in recs] == [vec.actions_at(i) for i in range(warmup, len(bars))]
    assert sum("roll" in r.actions for r in recs) > 0
    assert [r.entry_long for r in recs] == vec.entry_long[warmup:].tolist()
