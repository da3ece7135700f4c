"""Vectorised evaluation semantics, resampling on IST sessions, no look-ahead."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.bars import Bars
from engine.graph import compile_graph, example_documents, resample
from engine.graph.examples import document, edge, node
from engine.graph.testing import random_walk_bars
from engine.tests.strategies import TICK, tick_bars, ticks

T0 = np.datetime64("2024-01-01T03:45", "ns").astype(np.int64)  # Mon 2024-01-01 09:15 IST
MIN = 60_000_000_000


def bars_from_close(close: list[float], start: int = T0) -> Bars:
    c = np.asarray(close, dtype=float)
    ts = start + np.arange(len(c)) * MIN
    return Bars.from_arrays(ts, c, c, c, c)


def gate_doc(cond: dict[str, Any], extra_nodes: list, extra_edges: list, tf: str = "1m") -> dict:
    uses_close = any(e["from"].startswith("close.") for e in extra_edges)
    close = [node("close", "source", field="close")] if uses_close else []
    return document(
        "t",
        [*close, cond, node("e", "entry", side="long"), *extra_nodes],
        [edge(f"{cond['id']}.out", "e.when"), *extra_edges],
        timeframe=tf,
    )


def entries(doc: dict, bars: Bars) -> list[int]:
    return np.flatnonzero(compile_graph(doc).evaluate(bars).entry_long).tolist()


def cmp_doc(op: str, value: float, **kw: Any) -> dict:
    return gate_doc(
        node("c", "condition", op=op, **kw),
        [node("k", "constant", value=value)],
        [edge("close.out", "c.a"), edge("k.out", "c.b")],
    )


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        ("crosses_above", [2, 5]),
        ("crosses_below", [4]),
        ("crosses", [2, 4, 5]),
        (">", [2, 3, 5]),
        (">=", [1, 2, 3, 5]),
        ("<", [0, 4]),
        ("==", [1]),
    ],
)
def test_comparisons(op: str, expected: list[int]) -> None:
    bars = bars_from_close([9, 10, 11, 12, 9, 13])
    assert entries(cmp_doc(op, 10), bars) == expected


def test_rising_falling_between() -> None:
    bars = bars_from_close([1, 2, 3, 4, 3, 4, 5, 6])
    rising = gate_doc(node("c", "condition", op="rising", n=2), [], [edge("close.out", "c.a")])
    assert entries(rising, bars) == [2, 3, 6, 7]
    falling = gate_doc(node("c", "condition", op="falling", n=1), [], [edge("close.out", "c.a")])
    assert entries(falling, bars) == [4]
    between = gate_doc(
        node("c", "condition", op="between"),
        [node("lo", "constant", value=3), node("hi", "constant", value=4)],
        [edge("close.out", "c.a"), edge("lo.out", "c.low"), edge("hi.out", "c.high")],
    )
    assert entries(between, bars) == [2, 3, 4, 5]


@pytest.mark.parametrize(
    ("op", "n", "expected"),
    [
        ("lag", 2, [np.nan, np.nan, 5, 1, 4]),
        ("highest", 2, [np.nan, 5, 4, 4, 3]),
        ("lowest", 3, [np.nan, np.nan, 1, 1, 2]),
    ],
)
def test_window_math(op: str, n: int, expected: list[float]) -> None:
    bars = bars_from_close([5, 1, 4, 2, 3])
    doc = gate_doc(
        node("c", "condition", op="=="),
        [node("m", "math", op=op, n=n)],
        [edge("close.out", "m.a"), edge("m.out", "c.a"), edge("close.out", "c.b")],
    )
    got = compile_graph(doc).series(bars)["m.out"]
    np.testing.assert_array_equal(got, np.asarray(expected))


def test_arithmetic_and_logic() -> None:
    bars = bars_from_close([1, 2, 3, 4])
    doc = gate_doc(
        node("c", "logic", op="and"),
        [
            node("k2", "constant", value=2),
            node("m", "math", op="mul"),
            node("d", "math", op="div"),
            node("gt", "condition", op=">"),
            node("z", "constant", value=0),
            node("nz", "condition", op="!="),
            node("k5", "constant", value=5),
        ],
        [
            edge("close.out", "m.a"),
            edge("k2.out", "m.b"),
            edge("m.out", "d.a"),
            edge("close.out", "d.b"),
            edge("m.out", "gt.a"),
            edge("k5.out", "gt.b"),
            edge("d.out", "nz.a"),
            edge("z.out", "nz.b"),
            edge("gt.out", "c.a"),
            edge("nz.out", "c.b"),
        ],
    )
    assert entries(doc, bars) == [2, 3]


def test_time_nodes() -> None:
    bars = random_walk_bars(375 * 7, seed=1)  # Mon 2024-01-01 .. Sun 2024-01-07
    win = gate_doc(node("c", "time", op="session_window", start="09:20", end="09:22"), [], [])
    got = entries(win, bars)
    assert got[:4] == [5, 6, 380, 381] and len(got) == 14
    dow = gate_doc(node("c", "time", op="day_of_week", days=["wed", 6]), [], [])
    got = entries(dow, bars)
    assert got[0] == 750 and got[-1] == 375 * 7 - 1 and len(got) == 750
    nth = gate_doc(node("c", "time", op="nth_bar", n=3), [], [])
    assert entries(nth, bars) == [2 + 375 * d for d in range(7)]


def test_expiry_day_node() -> None:
    cal = pytest.importorskip("engine.markets.calendar")
    bars = random_walk_bars(375 * 10, seed=2)
    doc = gate_doc(node("c", "time", op="expiry_day", underlying="NIFTY", expiry="weekly"), [], [])
    got = entries(doc, bars)
    days = {int((bars.ts[i] // MIN + 330) // 1440) for i in got}
    expect = cal.expiry_dates("NIFTY", date(2024, 1, 1), date(2024, 1, 10), "weekly")
    assert {(d - date(1970, 1, 1)).days for d in expect} == days


def test_resample_session_buckets_by_hand() -> None:
    # 09:15 .. 15:29 (375 bars) on one day
    bars = bars_from_close(list(range(375)))
    r15 = resample(bars, 900, 60)
    assert len(r15.bars) == 25
    assert r15.visible[:2].tolist() == [14, 29]
    assert r15.bars.close[:2].tolist() == [14, 29] and r15.bars.open[1] == 15
    r60 = resample(bars, 3600, 60)
    assert len(r60.bars) == 7  # 09:15, 10:15, ... 14:15, 15:15-15:30
    assert r60.visible.tolist() == [59, 119, 179, 239, 299, 359, 374]
    rday = resample(bars, 86_400, 60)
    assert rday.visible.tolist() == [374] and rday.bars.high[0] == 374


def test_resample_one_second_bars_into_15s_and_1m_buckets_by_hand() -> None:
    # 09:15:00 .. 09:16:29 one-second bars: 15s buckets at :00, :15, ...; 1m at 09:15, 09:16
    ts = T0 + np.arange(90) * (MIN // 60)
    c = np.arange(90, dtype=float)
    bars = Bars.from_arrays(ts, c, c + 0.5, c - 0.5, c)
    r15 = resample(bars, 15, 1)
    assert len(r15.bars) == 6 and r15.visible.tolist() == [14, 29, 44, 59, 74, 89]
    assert r15.bars.open[1] == 15 and r15.bars.high[1] == 29.5 and r15.bars.low[1] == 14.5
    assert (r15.bars.ts[1] - T0) == 15 * (MIN // 60)
    r60 = resample(bars, 60, 1)
    assert r60.visible.tolist() == [59, -1]  # 09:16 is still open at 09:16:29
    assert r60.bars.close[0] == 59


def test_resample_hole_shows_bucket_on_next_bar() -> None:
    close = list(range(20))
    ts = T0 + np.r_[np.arange(13), np.arange(15, 22)] * MIN  # 09:28 and 09:29 missing
    c = np.asarray(close, dtype=float)
    r = resample(Bars.from_arrays(ts, c, c, c, c), 900, 60)
    assert r.visible[0] == 13  # shown on the 09:30 bar, the first after the hole
    assert r.visible[1] == -1  # 09:30 bucket never completes in this data


def htf_doc() -> dict:
    return document(
        "htf",
        [
            node("c15", "source", field="close", timeframe="15m"),
            node("sma", "indicator", indicator="SMA", timeperiod=3),
            node("x", "condition", op="crosses_above"),
            node("close", "source", field="close"),
            node("e", "entry", side="long"),
        ],
        [
            edge("c15.out", "sma.price"),
            edge("close.out", "x.a"),
            edge("sma.out", "x.b"),
            edge("x.out", "e.when"),
        ],
    )


def test_htf_values_appear_only_after_their_bucket_closes() -> None:
    bars = random_walk_bars(375 * 3, seed=3)
    r = resample(bars, 900, 60)
    g = compile_graph(htf_doc())
    sig = g.evaluate(bars)
    assert sig.entry_long.any()
    # rebuild the aligned SMA by hand: bucket j is known from its last minute on
    sma = np.convolve(r.bars.close, np.ones(3) / 3, "valid")
    known = np.full(len(bars), np.nan)
    for j in range(2, len(r.bars)):
        known[r.visible[j] :] = sma[j - 2]
    cross = (bars.close[1:] > known[1:]) & (bars.close[:-1] <= known[:-1])
    np.testing.assert_array_equal(sig.entry_long[1:], cross)


# Indicators need a few hundred bars to warm up, so even the smallest case is large.
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.large_base_example])
@given(data=st.data())
def test_no_lookahead_changing_future_bars(data: st.DataObject) -> None:
    """Signals before bar ``cut`` do not change when every later price does. Prices and the
    change are drawn tick by tick, so a failure shrinks to a short, flat, readable series."""
    n = 500  # five 100-bar days: 15-minute and daily buckets complete several times
    bars = data.draw(tick_bars(n, per_day=100), label="bars")
    cut = data.draw(st.integers(1, n - 1), label="cut")
    move = data.draw(ticks(n - cut, -200, 200), label="later moves") * TICK
    mixed = Bars.from_arrays(
        bars.ts,
        *(
            np.r_[getattr(bars, f)[:cut], getattr(bars, f)[cut:] + move]
            for f in ("open", "high", "low", "close")
        ),
        bars.volume,
    )
    for doc in (
        htf_doc(),
        example_documents()["sma_cross"],
        example_documents()["supertrend_options"],
    ):
        doc["settings"]["timeframe"] = "1m"
        g = compile_graph(doc)
        a, b = g.evaluate(bars), g.evaluate(mixed)
        for name in ("entry_long", "exit_long"):
            np.testing.assert_array_equal(getattr(a, name)[:cut], getattr(b, name)[:cut])


def test_examples_evaluate_and_report_actions() -> None:
    bars = random_walk_bars(2_000, seed=4)
    docs = example_documents()
    docs["supertrend_options"]["settings"]["timeframe"] = "1m"
    for name, doc in docs.items():
        sig = compile_graph(doc).evaluate(bars)
        assert len(sig.entry_long) == len(bars), name
        assert sig.entry_long.any(), name
    sig = compile_graph(docs["supertrend_options"]).evaluate(bars)
    assert sig.actions["entry_long"] == ("sell_pe",)


def test_empty_bars() -> None:
    empty = random_walk_bars(0)
    for doc in (*example_documents().values(), htf_doc()):
        assert len(compile_graph(doc).evaluate(empty).entry_long) == 0


def test_short_side_and_multiple_gates() -> None:
    doc = cmp_doc(">", 10)
    doc["nodes"] += [
        node("s", "entry", side="short"),
        node("lt", "condition", op="<"),
        node("xs", "exit", side="short"),
    ]
    doc["edges"] += [
        edge("lt.out", "s.when"),
        edge("close.out", "lt.a"),
        edge("k.out", "lt.b"),
        edge("c.out", "xs.when"),
    ]
    sig = compile_graph(doc).evaluate(bars_from_close([9, 11, 8]))
    assert sig.entry_short.tolist() == [True, False, True]
    assert sig.exit_short.tolist() == sig.entry_long.tolist() == [False, True, False]
