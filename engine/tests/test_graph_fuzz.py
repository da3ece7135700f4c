"""Hypothesis: arbitrary JSON never crashes validation; every valid graph evaluates,
and streams to the same signals."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings, target
from hypothesis import strategies as st

from engine.graph import GraphValidationError, compile_graph, example_documents, validate
from engine.graph.examples import document, edge, node
from engine.graph.testing import stream_signals
from engine.tests.strategies import tick_bars

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda kids: (
        st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4)
    ),
    max_leaves=20,
)
KEYS = [
    "schema_version",
    "settings",
    "nodes",
    "edges",
    "id",
    "kind",
    "params",
    "from",
    "to",
    "op",
    "indicator",
    "timeperiod",
    "field",
    "side",
    "value",
    "n",
    "risk",
    "timeframe",
]
DOCISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.sampled_from(
        ["close", "SMA", "indicator", "source", "entry", "a.out", "e.when", "gt", "1m", "long"]
    ),
    lambda kids: (
        st.lists(kids, max_size=5) | st.dictionaries(st.sampled_from(KEYS), kids, max_size=6)
    ),
    max_leaves=30,
)


def _check_never_crashes(doc: Any) -> None:
    errors = validate(doc)
    assert isinstance(errors, list)
    if not errors:
        compile_graph(doc)
        return
    with pytest.raises(GraphValidationError) as info:
        compile_graph(doc)
    assert info.value.errors == errors


@settings(max_examples=150, deadline=None)
@given(JSON)
def test_random_json(doc: Any) -> None:
    _check_never_crashes(doc)


@settings(max_examples=150, deadline=None)
@given(DOCISH)
def test_random_document_shapes(doc: Any) -> None:
    _check_never_crashes(doc)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_mutated_examples(data: st.DataObject) -> None:
    doc = data.draw(st.sampled_from(list(example_documents().values())))
    target = data.draw(st.sampled_from(doc["nodes"]))
    key = data.draw(st.sampled_from([*target["params"], "n", "op", "timeperiod"]))
    target["params"][key] = data.draw(JSON)
    _check_never_crashes(doc)


INDICATORS = {
    "SMA": {"timeperiod": st.integers(1, 40)},
    "EMA": {"timeperiod": st.integers(-1, 40)},
    "RSI": {"timeperiod": st.integers(1, 30)},
    "ATR": {"timeperiod": st.integers(1, 30)},
    "MACD": {"fastperiod": st.integers(2, 20), "slowperiod": st.integers(2, 40)},
    "BBANDS": {"timeperiod": st.integers(2, 30), "nbdevup": st.floats(-5, 5)},
    "SUPERTREND": {"period": st.integers(1, 20), "factor": st.floats(0, 5)},
    "VWAP": {},
    "STOCH": {"fastk_period": st.integers(1, 20)},
    "KAMA": {"timeperiod": st.integers(2, 40)},
    "CDLENGULFING": {},
    "HMA": {"timeperiod": st.integers(2, 30)},
    "T3": {"vfactor": st.floats(-0.5, 1.5)},
}
NUM_OPS = ["add", "sub", "mul", "div", "min", "max", "abs", "neg", "lag", "highest", "lowest"]
COND_OPS = [
    "gt",
    ">=",
    "<",
    "eq",
    "crosses_above",
    "crosses_below",
    "crosses",
    "rising",
    "falling",
    "between",
]


@st.composite
def graphs(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly valid graphs: number nodes, then conditions and logic, then gates."""
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, str]] = []
    nums: list[str] = []
    bools: list[str] = []

    def add(n: dict[str, Any], ins: dict[str, str]) -> str:
        nodes.append(n)
        edges.extend(edge(src, f"{n['id']}.{port}") for port, src in ins.items())
        return n["id"]

    for i in range(draw(st.integers(1, 3))):
        tf = draw(st.sampled_from([None, None, "5m", "15m", "1h", "1d"]))
        p = {"field": draw(st.sampled_from(["close", "high", "hl2", "ohlc4", "volume"]))}
        nums.append(
            add(node(f"src{i}", "source", **p, **({"timeframe": tf} if tf else {})), {}) + ".out"
        )
    nums.append(add(node("k0", "constant", value=draw(st.floats(-1e3, 1e3))), {}) + ".out")
    for i in range(draw(st.integers(0, 4))):
        name = draw(st.sampled_from(sorted(INDICATORS)))
        params = {k: draw(v) for k, v in INDICATORS[name].items()}
        ins = (
            {"price": draw(st.sampled_from(nums))}
            if draw(st.booleans()) and name in {"SMA", "EMA", "RSI", "MACD", "BBANDS", "KAMA", "T3"}
            else {}
        )
        nid = add(node(f"ind{i}", "indicator", indicator=name, **params), ins)
        outs = {
            "MACD": ["macd", "signal", "hist"],
            "BBANDS": ["upperband", "lowerband"],
            "SUPERTREND": ["line", "direction"],
            "STOCH": ["slowk", "slowd"],
        }
        nums.append(f"{nid}.{draw(st.sampled_from(outs.get(name, ['out'])))}")
    for i in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(NUM_OPS))
        unary = op in ("abs", "neg", "lag", "highest", "lowest")
        ins = {"a": draw(st.sampled_from(nums))} | (
            {} if unary else {"b": draw(st.sampled_from(nums))}
        )
        extra = {"n": draw(st.integers(0, 30))} if op in ("lag", "highest", "lowest") else {}
        nums.append(add(node(f"m{i}", "math", op=op, **extra), ins) + ".out")
    for i in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(COND_OPS))
        ports = (
            ["a"]
            if op in ("rising", "falling")
            else ["a", "low", "high"]
            if op == "between"
            else ["a", "b"]
        )
        extra = {"n": draw(st.integers(1, 5))} if op in ("rising", "falling") else {}
        ins = {p: draw(st.sampled_from(nums)) for p in ports}
        bools.append(add(node(f"c{i}", "condition", op=op, **extra), ins) + ".out")
    if draw(st.booleans()):
        t = draw(
            st.sampled_from(
                [
                    {"op": "session_window", "start": "10:00", "end": "13:30"},
                    {"op": "nth_bar", "n": 5},
                    {"op": "day_of_week", "days": [0, 2]},
                ]
            )
        )
        bools.append(add(node("t0", "time", **t), {}) + ".out")
    for i in range(draw(st.integers(0, 2))):
        op = draw(st.sampled_from(["and", "or", "xor", "not"]))
        ins = {"a": draw(st.sampled_from(bools))} | (
            {} if op == "not" else {"b": draw(st.sampled_from(bools))}
        )
        bools.append(add(node(f"l{i}", "logic", op=op), ins) + ".out")
    for i, (kind, side) in enumerate([("entry", "long"), ("exit", "long"), ("entry", "short")]):
        if i == 0 or draw(st.booleans()):
            add(node(f"g{i}", kind, side=side), {"when": draw(st.sampled_from(bools))})
    nodes, edges = _prune(nodes, edges)
    # an action chain under the long entry: legs fire with it, a wait delays what follows
    prev = "g0.fire"
    for i in range(draw(st.integers(0, 3))):
        if draw(st.booleans()):
            params = {"type": "wait", "bars": draw(st.integers(1, 5))}
        else:
            params = {
                "type": "option_leg",
                "position": "buy",
                "option_type": "CE",
                "strike": "ATM",
                "expiry": "weekly",
                "lots": 1,
            }
        nodes.append(node(f"act{i}", "action", **params))
        edges.append(edge(prev, f"act{i}.trigger"))
        prev = f"act{i}.next"
    return document("fuzz", nodes, edges)


def _prune(nodes: list[dict[str, Any]], edges: list[dict[str, str]]) -> tuple[list, list]:
    """Drop nodes that feed no gate, so most drawn graphs are valid."""
    keep = {n["id"] for n in nodes if n["kind"] in ("entry", "exit")}
    changed = True
    while changed:
        changed = False
        for e in edges:
            src, dst = e["from"].split(".")[0], e["to"].split(".")[0]
            if dst in keep and src not in keep:
                keep.add(src)
                changed = True
    return [n for n in nodes if n["id"] in keep], [
        e for e in edges if e["to"].split(".")[0] in keep
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), st.data())
def test_valid_graphs_evaluate_and_stream_alike(doc: dict, data: st.DataObject) -> None:
    errors = validate(doc)
    assume(not errors)
    g = compile_graph(doc)
    n = data.draw(st.integers(60, 400), label="n")
    bars = data.draw(tick_bars(n, per_day=data.draw(st.sampled_from([375, 75]))), label="bars")
    vec = g.evaluate(bars)
    assert len(vec.entry_long) == n
    warm = 50  # always bars left to compare after the warm-up
    # Steer towards graphs that fire: all-false arrays agree too easily to prove parity.
    fired = sum(
        int(np.count_nonzero(getattr(vec, k)[warm:]))
        for k in ("entry_long", "exit_long", "entry_short")
    )
    target(float(fired))
    live = stream_signals(g, bars, warm)
    for name in ("entry_long", "exit_long", "entry_short", "exit_short"):
        np.testing.assert_array_equal(getattr(live, name), getattr(vec, name)[warm:], err_msg=name)
    for i in range(warm, n):
        assert live.actions_at(i - warm) == vec.actions_at(i), i
