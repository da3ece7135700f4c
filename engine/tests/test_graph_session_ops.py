"""Session-anchored math ops: session_high/low, opening_high/low (minutes).

Hand-computed tables on irregular days (pre-open bar, holiday gap, a hole at the end of
the range, a late start, a Muhurat evening), streaming == vectorised, no look-ahead, and
validation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from engine.bars import Bars
from engine.graph import compile_graph, node_kinds, validate
from engine.graph.compile import CompiledGraph
from engine.graph.examples import document, edge, node
from engine.graph.sessionops import SessionState, session_series
from engine.graph.testing import random_walk_bars, stream_signals

MIN = 60_000_000_000
OPS = ("session_high", "session_low", "opening_high", "opening_low")
SIGNALS = ("entry_long", "exit_long", "entry_short", "exit_short")
nan = np.nan


def ist(day: str, hhmm: str) -> int:
    """int64 ns UTC of ``day`` ``hhmm`` IST."""
    return int(np.datetime64(f"{day}T{hhmm}", "ns").astype(np.int64)) - 330 * MIN


def bars_at(stamps: list[tuple[str, str]], values: list[float]) -> Bars:
    c = np.asarray(values, dtype=float)
    ts = np.array([ist(d, t) for d, t in stamps], dtype=np.int64)
    return Bars.from_arrays(ts, c, c, c, c)


def op_doc(op: str, field: str = "close", tf: str = "1m", src_tf: str | None = None, **kw: Any):
    """``m = op(field)``; entry when close >= m (so the graph validates and compiles)."""
    src = {"timeframe": src_tf} if src_tf else {}
    return document(
        op,
        [
            node("src", "source", field=field, **src),
            node("close", "source", field="close"),
            node("m", "math", op=op, **kw),
            node("c", "condition", op=">="),
            node("e", "entry", side="long"),
        ],
        [
            edge("src.out", "m.a"),
            edge("close.out", "c.a"),
            edge("m.out", "c.b"),
            edge("c.out", "e.when"),
        ],
        timeframe=tf,
    )


def streamed(g: CompiledGraph, bars: Bars, warmup: int, port: str = "m.out") -> np.ndarray:
    """A node output from the streaming evaluator, bar by bar after ``warmup`` bars."""
    ev = g.stream(bars.slice(0, warmup))
    slot = ev._slot[tuple(port.split("."))]  # the evaluator's value slot for that port
    out = []
    for i in range(warmup, len(bars)):
        ev.update(
            bars.ts[i], bars.open[i], bars.high[i], bars.low[i], bars.close[i], bars.volume[i]
        )
        out.append(ev._vals[slot])
    return np.array(out, dtype=float)


def both(doc: dict, bars: Bars, warmup: int = 0) -> np.ndarray:
    """The ``m`` output, asserting the streaming evaluator agrees with the vectorised one."""
    g = compile_graph(doc)
    vec = g.series(bars)["m.out"]
    np.testing.assert_array_equal(streamed(g, bars, warmup), vec[warmup:], err_msg=doc["name"])
    return vec


# -- hand-computed tables --------------------------------------------------------------
# Mon 2024-01-01: a pre-open bar, then 09:15..09:19 (range of 3 minutes: 09:15-09:17).
# Wed 2024-01-03 (Tue a holiday): a hole at the range's end; 09:20 completes the range.
# Thu 2024-01-04: the first bar (09:40) is after the range: no range all day.
# Fri 2024-11-01: Muhurat, 18:00-18:02: session ops work, the opening range is NaN.
STAMPS = [
    ("2024-01-01", "09:14"),
    ("2024-01-01", "09:15"),
    ("2024-01-01", "09:16"),
    ("2024-01-01", "09:17"),
    ("2024-01-01", "09:18"),
    ("2024-01-01", "09:19"),
    ("2024-01-03", "09:15"),
    ("2024-01-03", "09:16"),
    ("2024-01-03", "09:20"),
    ("2024-01-03", "09:21"),
    ("2024-01-04", "09:40"),
    ("2024-01-04", "09:41"),
    ("2024-11-01", "18:00"),
    ("2024-11-01", "18:01"),
    ("2024-11-01", "18:02"),
]
VALUES = [11, 10, 12, 9, 15, 8, 20, 22, 25, 18, 30, 31, 40, 39, 41]
EXPECTED = {
    "session_high": [11, 11, 12, 12, 15, 15, 20, 22, 25, 25, 30, 31, 40, 40, 41],
    "session_low": [11, 10, 10, 9, 9, 8, 20, 20, 20, 18, 30, 30, 40, 39, 39],
    "opening_high": [nan, nan, nan, 12, 12, 12, nan, nan, 22, 22, nan, nan, nan, nan, nan],
    "opening_low": [nan, nan, nan, 9, 9, 9, nan, nan, 20, 20, nan, nan, nan, nan, nan],
}


@pytest.mark.parametrize("op", OPS)
def test_hand_computed_table(op: str) -> None:
    kw = {"minutes": 3} if op.startswith("opening") else {}
    got = both(op_doc(op, **kw), bars_at(STAMPS, VALUES))
    np.testing.assert_array_equal(got, EXPECTED[op])


@pytest.mark.parametrize("warmup", [0, 2, 4, 7, 9, 11, 13])
def test_stream_warmup_anywhere(warmup: int) -> None:
    """Warm-up ending mid-range, mid-hole, mid-day: the replayed state matches."""
    bars = bars_at(STAMPS, VALUES)
    for op in OPS:
        kw = {"minutes": 3} if op.startswith("opening") else {}
        np.testing.assert_array_equal(both(op_doc(op, **kw), bars, warmup), EXPECTED[op])


def test_fifteen_minute_range_on_one_minute_bars() -> None:
    """The 09:29 bar is inside a 15-minute range and its close completes it."""
    close = np.arange(30.0)  # 09:15..09:44, rising: the range high is the 09:29 bar's 14
    bars = bars_at(
        [("2024-01-01", f"{9 + (15 + i) // 60:02d}:{(15 + i) % 60:02d}") for i in range(30)], close
    )
    got = both(op_doc("opening_high", minutes=15), bars)
    assert np.isnan(got[:14]).all()
    assert (got[14:] == 14).all()
    lo = both(op_doc("opening_low", minutes=15), bars)
    assert np.isnan(lo[:14]).all() and (lo[14:] == 0).all()


def test_five_minute_bars_and_a_range_not_a_multiple() -> None:
    """5m bars, 7-minute range: bars starting 09:15 and 09:20; the 09:20 bar completes it."""
    stamps = [("2024-01-01", t) for t in ("09:15", "09:20", "09:25", "09:30")]
    got = both(op_doc("opening_high", tf="5m", minutes=7), bars_at(stamps, [3, 5, 9, 1]))
    np.testing.assert_array_equal(got, [nan, 5, 5, 5])


def test_nan_inputs_are_skipped() -> None:
    """An input still warming up (NaN) does not poison the session or the range."""
    bars = bars_at([("2024-01-01", f"09:{m}") for m in range(15, 21)], [1, 2, 3, 4, 5, 6])
    doc = document(
        "lagged",
        [
            node("close", "source", field="close"),
            node("lag", "math", op="lag", n=2),
            node("m", "math", op="session_low"),
            node("o", "math", op="opening_high", minutes=4),
            node("c", "condition", op=">="),
            node("d", "condition", op=">="),
            node("e", "entry", side="long"),
            node("x", "exit", side="long"),
        ],
        [
            edge("close.out", "lag.a"),
            edge("lag.out", "m.a"),
            edge("lag.out", "o.a"),
            edge("close.out", "c.a"),
            edge("m.out", "c.b"),
            edge("close.out", "d.a"),
            edge("o.out", "d.b"),
            edge("c.out", "e.when"),
            edge("d.out", "x.when"),
        ],
    )
    g = compile_graph(doc)
    s = g.series(bars)
    np.testing.assert_array_equal(s["m.out"], [nan, nan, 1, 1, 1, 1])
    np.testing.assert_array_equal(s["o.out"], [nan, nan, nan, 2, 2, 2])  # lag of 09:15..09:18
    for port in ("m.out", "o.out"):
        np.testing.assert_array_equal(streamed(g, bars, 0, port), s[port])


def test_constant_input_runs_on_the_base_clock() -> None:
    bars = bars_at(STAMPS, VALUES)
    doc = op_doc("opening_high", minutes=3)
    doc["nodes"][0] = node("src", "constant", value=7)
    np.testing.assert_array_equal(
        both(doc, bars), np.where(np.isnan(EXPECTED["opening_high"]), nan, 7)
    )


# -- streaming == vectorised on longer, irregular data -------------------------------------
def irregular_bars(minutes: int = 1, seed: int = 3) -> Bars:
    """Eight synthetic sessions with holes: a missing day, a late start, a gap over 09:29,
    an early close, and a Muhurat-style evening session appended."""
    b = random_walk_bars((375 // minutes) * 8, seed=seed, minutes=minutes)
    day, tod = np.divmod(b.ts // MIN + 330, 1440)
    d0 = day[0]
    drop = day == d0 + 2  # a holiday
    drop |= (day == d0 + 3) & (tod < 10 * 60)  # starts at 10:00, after any range
    drop |= (day == d0 + 4) & (tod >= 9 * 60 + 25) & (tod < 9 * 60 + 50)  # hole over range end
    drop |= (day == d0 + 5) & (tod >= 13 * 60)  # early close
    drop |= (day == d0 + 6) & (tod < 9 * 60 + 20)  # misses the first bars of the range
    keep = np.flatnonzero(~drop)
    cols = [getattr(b, f)[keep] for f in ("ts", "open", "high", "low", "close", "volume")]
    evening = random_walk_bars(60 // minutes, seed=seed + 1, minutes=minutes)
    shift = (int(day[-1]) + 1 - int(evening.ts[0] // MIN + 330) // 1440) * 1440 * MIN
    shift += (18 * 60 - (9 * 60 + 15)) * MIN  # 18:00 IST
    extra = [
        evening.ts + shift,
        evening.open,
        evening.high,
        evening.low,
        evening.close,
        evening.volume,
    ]
    return Bars.from_arrays(*(np.r_[a, e] for a, e in zip(cols, extra, strict=True)))


CASES = [
    ("session_high", "high", {}),
    ("session_low", "low", {}),
    ("opening_high", "high", {"minutes": 15}),
    ("opening_low", "low", {"minutes": 30}),
    ("opening_high", "close", {"minutes": 1}),
    ("opening_low", "close", {"minutes": 375}),
]


@pytest.mark.parametrize(("op", "field", "kw"), CASES)
@pytest.mark.parametrize("tf", ["1m", "5m"])
def test_value_parity_irregular(op: str, field: str, kw: dict, tf: str) -> None:
    bars = irregular_bars(int(tf[:-1]))
    for warmup in (0, 40, len(bars) // 2):
        got = both(op_doc(op, field=field, tf=tf, **kw), bars, warmup)
    assert np.isfinite(got).any()


@pytest.mark.parametrize("src_tf", ["15m", "1h"])
@pytest.mark.parametrize(("op", "kw"), [("session_high", {}), ("opening_low", {"minutes": 60})])
def test_higher_timeframe_input_runs_on_base_values(op: str, kw: dict, src_tf: str) -> None:
    """An HTF input is aligned to the base clock first (bucket visible once closed, then
    held); the op is that base series' session/opening extreme."""
    bars = irregular_bars(1)
    g = compile_graph(op_doc(op, field="close", src_tf=src_tf, **kw))
    s = g.series(bars)
    np.testing.assert_array_equal(streamed(g, bars, 100), s["m.out"][100:])
    expected = session_series({"op": op, **kw}, s["src.out"], bars.ts, 60)
    np.testing.assert_array_equal(s["m.out"], expected)


def orb_signals_doc() -> dict:
    """Every op drives a signal: parity of the four signal arrays."""
    return document(
        "session signals",
        [
            node("close", "source", field="close"),
            node("high", "source", field="high"),
            node("low", "source", field="low"),
            node("oh", "math", op="opening_high", minutes=15),
            node("ol", "math", op="opening_low", minutes=30),
            node("sh", "math", op="session_high"),
            node("sl", "math", op="session_low"),
            node("up", "condition", op="crosses_above"),
            node("down", "condition", op="crosses_below"),
            node("top", "condition", op=">="),
            node("bottom", "condition", op="<="),
            node("el", "entry", side="long"),
            node("xl", "exit", side="long"),
            node("es", "entry", side="short"),
            node("xs", "exit", side="short"),
        ],
        [
            edge("high.out", "oh.a"),
            edge("low.out", "ol.a"),
            edge("close.out", "sh.a"),
            edge("close.out", "sl.a"),
            edge("close.out", "up.a"),
            edge("oh.out", "up.b"),
            edge("close.out", "down.a"),
            edge("ol.out", "down.b"),
            edge("close.out", "top.a"),
            edge("sh.out", "top.b"),
            edge("close.out", "bottom.a"),
            edge("sl.out", "bottom.b"),
            edge("up.out", "el.when"),
            edge("down.out", "xl.when"),
            edge("top.out", "es.when"),
            edge("bottom.out", "xs.when"),
        ],
    )


@pytest.mark.parametrize("bars_fn", [lambda: random_walk_bars(375 * 6, seed=5), irregular_bars])
def test_signal_parity(bars_fn: Any) -> None:
    bars = bars_fn()
    g = compile_graph(orb_signals_doc())
    vec = g.evaluate(bars)
    for warmup in (0, 500):
        live = stream_signals(g, bars, warmup)
        for name in SIGNALS:
            np.testing.assert_array_equal(getattr(live, name), getattr(vec, name)[warmup:])
    assert all(getattr(vec, k).any() for k in SIGNALS)


def test_state_twin_matches_on_random_timestamps() -> None:
    """SessionState == session_series on random sorted stamps around the clock, with NaNs."""
    rng = np.random.default_rng(0)
    ts = np.sort(rng.integers(0, 6 * 1440, 3000)) * MIN + ist("2024-01-01", "00:00")
    ts = np.unique(ts)
    a = rng.normal(0, 1, len(ts))
    a[rng.random(len(ts)) < 0.1] = nan
    for op in OPS:
        for minutes in (1, 7, 15, 375):
            for base in (1, 60, 180, 900):  # seconds
                p = {"op": op, "minutes": minutes}
                st = SessionState(p, base)
                live = [st.update(int(t), float(x)) for t, x in zip(ts, a, strict=True)]
                np.testing.assert_array_equal(live, session_series(p, a, ts, base))


# -- no look-ahead --------------------------------------------------------------------------
def one_day(n: int = 120) -> Bars:
    return random_walk_bars(n, seed=9)  # 09:15 onwards, one-minute bars


@pytest.mark.parametrize("op", OPS)
def test_changing_later_bars_does_not_move_earlier_values(op: str) -> None:
    bars = one_day()
    doc = op_doc(op, field="high", **({"minutes": 15} if op.startswith("opening") else {}))
    before = both(doc, bars)
    for cut in (14, 15, 40):  # 14: the 09:29 bar, which completes the 15-minute range
        high = bars.high.copy()
        high[cut + 1 :] += 1_000.0
        changed = Bars(bars.ts, bars.open, high, bars.low, bars.close, bars.volume)
        after = both(doc, changed)
        np.testing.assert_array_equal(after[: cut + 1], before[: cut + 1])
        # and every prefix evaluates to the same values: nothing reads later bars
        np.testing.assert_array_equal(both(doc, bars.slice(0, cut + 1)), before[: cut + 1])


@pytest.mark.parametrize("op", ["opening_high", "opening_low"])
def test_changing_bars_inside_the_range_stays_hidden_until_it_completes(op: str) -> None:
    bars = one_day()
    doc = op_doc(op, field="high", minutes=15)
    before = both(doc, bars)
    high = bars.high.copy()
    high[3] += 1_000.0 if op == "opening_high" else -1_000.0  # 09:18, inside the range
    after = both(doc, Bars(bars.ts, bars.open, high, bars.low, bars.close, bars.volume))
    assert np.isnan(after[:14]).all() and np.isnan(before[:14]).all()
    assert after[14] == high[3] and (after[14:] == high[3]).all()
    assert before[14] == (bars.high[:15].max() if op == "opening_high" else bars.high[:15].min())


# -- validation -------------------------------------------------------------------------------
def errors_for(op: str, **params: Any) -> list[dict]:
    return validate(op_doc(op, **params))


@pytest.mark.parametrize(
    ("op", "params", "field", "message"),
    [
        ("opening_high", {}, "params.minutes", "is required"),
        ("opening_low", {"minutes": 0}, "params.minutes", "must be between 1 and 375; got 0"),
        ("opening_high", {"minutes": 376}, "params.minutes", "must be between 1 and 375; got 376"),
        ("opening_high", {"minutes": "15"}, "params.minutes", "must be an integer; got '15'"),
        ("session_high", {"minutes": 15}, "params.minutes", "is not a parameter of this node"),
        ("session_low", {"n": 3}, "params.n", "is not a parameter of this node"),
        ("opening_low", {"minutes": 15, "n": 3}, "params.n", "is not a parameter of this node"),
    ],
)
def test_validation(op: str, params: dict, field: str, message: str) -> None:
    assert errors_for(op, **params) == [{"node": "m", "field": field, "message": message}]


def test_valid_and_described() -> None:
    assert errors_for("session_high") == []
    assert errors_for("opening_low", minutes=375) == []
    assert errors_for("opening_high", minutes=15.0) == []  # a whole float is an integer
    math_kind = next(k for k in node_kinds() if k["kind"] == "math")
    assert set(OPS) <= set(math_kind["params"]["op"])
    assert math_kind["params"]["minutes"]["max"] == 375


def test_minutes_is_tunable_in_sweeps() -> None:
    bars = one_day()
    g = compile_graph(op_doc("opening_high", field="high", minutes=15))
    g30 = g.with_params({"m.minutes": 30})
    assert np.isnan(g30.series(bars)["m.out"][:29]).all()
    assert g30.series(bars)["m.out"][29] == bars.high[:30].max()


# -- templates --------------------------------------------------------------------------------
def test_every_template_validates() -> None:
    from strategies.templates import TEMPLATES

    assert TEMPLATES
    for t in TEMPLATES.values():
        assert validate(t.graph) == [], t.key


def test_orb_template_is_a_real_opening_range_breakout() -> None:
    from strategies.templates import opening_range_breakout

    g = compile_graph(opening_range_breakout())
    assert (g.risk.max_trades_per_day, g.risk.square_off) == (1, "15:25")
    assert (g.risk.stop_loss.value, g.risk.target.value) == (0.4, 0.8)
    bars = random_walk_bars(375 * 10, seed=2)
    s, sig = g.series(bars), g.evaluate(bars)
    day, tod = np.divmod(bars.ts // MIN + 330, 1440)
    first = np.r_[True, day[1:] != day[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(len(day)), 0))
    or_high = np.array([bars.high[s0 : s0 + 15].max() for s0 in start])
    visible = tod >= 9 * 60 + 29
    np.testing.assert_array_equal(s["range_high.out"], np.where(visible, or_high, nan))
    hits = np.flatnonzero(sig.entry_long)
    assert len(hits) > 0
    assert ((tod[hits] >= 9 * 60 + 30) & (tod[hits] < 14 * 60)).all()
    assert (bars.close[hits] > or_high[hits]).all()
    assert (bars.close[hits - 1] <= or_high[hits]).all()
    np.testing.assert_array_equal(stream_signals(g, bars, 375).entry_long, sig.entry_long[375:])
