"""Validation: every error names the node and field; valid examples pass."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from engine.graph import GraphValidationError, compile_graph, example_documents, set_param, validate
from engine.graph.examples import document, edge, node
from engine.signals import Level


def sma_doc() -> dict[str, Any]:
    return example_documents()["sma_cross"]


def _mutate(fn: Any) -> dict[str, Any]:
    doc = sma_doc()
    fn(doc)
    return doc


def _nodes(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["id"]: n for n in doc["nodes"]}


def test_examples_are_valid() -> None:
    for name, doc in example_documents().items():
        assert validate(doc) == [], name


CASES = [
    ("not a dict", lambda d: None, None, "document"),
    ("bad version", lambda d: d.update(schema_version=2), None, "schema_version"),
    ("unknown kind", lambda d: _nodes(d)["close"].update(kind="price"), "close", "kind"),
    (
        "unknown indicator",
        lambda d: _nodes(d)["ma_fast"]["params"].update(indicator="NOPE"),
        "ma_fast",
        "params.indicator",
    ),
    (
        "out of range",
        lambda d: _nodes(d)["ma_fast"]["params"].update(timeperiod=0),
        "ma_fast",
        "params.timeperiod",
    ),
    (
        "string for number",
        lambda d: _nodes(d)["ma_fast"]["params"].update(timeperiod="10"),
        "ma_fast",
        "params.timeperiod",
    ),
    (
        "huge number",
        lambda d: _nodes(d)["ma_fast"]["params"].update(timeperiod=10**30),
        "ma_fast",
        "params.timeperiod",
    ),
    (
        "unknown param",
        lambda d: _nodes(d)["ma_fast"]["params"].update(period=3),
        "ma_fast",
        "params.period",
    ),
    ("missing port", lambda d: d["edges"].pop(2), "cross_up", "inputs.a"),
    (
        "extra port",
        lambda d: d["edges"].append(edge("close.out", "cross_up.c")),
        "cross_up",
        "inputs.c",
    ),
    (
        "unknown output",
        lambda d: d["edges"].append(edge("close.real", "cross_up.c")),
        "close",
        "outputs.real",
    ),
    (
        "type mismatch",
        lambda d: d["edges"].__setitem__(6, edge("ma_fast.out", "go_long.when")),
        "go_long",
        "inputs.when",
    ),
    (
        "two edges into one port",
        lambda d: d["edges"].append(edge("ma_slow.out", "cross_up.a")),
        "cross_up",
        "inputs.a",
    ),
    ("no entry", lambda d: _nodes(d)["go_long"].update(kind="exit"), None, "nodes"),
    (
        "unreachable",
        lambda d: d["nodes"].append(node("lonely", "constant", value=1)),
        "lonely",
        "outputs",
    ),
    (
        "duplicate id",
        lambda d: d["nodes"].append(node("close", "constant", value=1)),
        "close",
        "id",
    ),
    ("bad edge", lambda d: d["edges"].append({"from": "close"}), None, "edges[10]"),
    (
        "action side",
        lambda d: _nodes(d)["buy"]["params"].update(type="cover"),
        "buy",
        "params.type",
    ),
    ("bad timeframe", lambda d: d["settings"].update(timeframe="7x"), None, "settings.timeframe"),
    ("7s timeframe", lambda d: d["settings"].update(timeframe="7s"), None, "settings.timeframe"),
    (
        "source 20s on 15s",
        lambda d: (
            d["settings"].update(timeframe="15s"),
            _nodes(d)["close"]["params"].update(timeframe="20s"),
        ),
        "close",
        "params.timeframe",
    ),
    (
        "finer source",
        lambda d: (
            d["settings"].update(timeframe="5m"),
            _nodes(d)["close"]["params"].update(timeframe="1m"),
        ),
        "close",
        "params.timeframe",
    ),
    (
        "bad risk",
        lambda d: d["settings"].update(risk={"stop_loss": {"value": -1}}),
        None,
        "settings.risk.stop_loss.value",
    ),
    (
        "bad square-off",
        lambda d: d["settings"].update(risk={"square_off": "25:00"}),
        None,
        "settings.risk.square_off",
    ),
    (
        "bad window",
        lambda d: d["nodes"].append(
            node("w", "time", op="session_window", start="10:00", end="09:00")
        ),
        "w",
        "params.end",
    ),
]


@pytest.mark.parametrize(("label", "mutate", "node_id", "field"), CASES, ids=[c[0] for c in CASES])
def test_error_names_node_and_field(
    label: str, mutate: Any, node_id: str | None, field: str
) -> None:
    doc: Any = "not a graph" if label == "not a dict" else _mutate(mutate)
    errors = validate(doc)
    assert {"node": node_id, "field": field} in [
        {"node": e["node"], "field": e["field"]} for e in errors
    ], errors
    assert all(set(e) == {"node", "field", "message"} and e["message"] for e in errors)
    with pytest.raises(GraphValidationError) as info:
        compile_graph(doc)
    assert info.value.errors == errors


def test_cycle_is_reported() -> None:
    doc = document(
        "cycle",
        [
            node("a", "math", op="add"),
            node("b", "math", op="abs"),
            node("k", "constant", value=1),
            node("gt", "condition", op="gt"),
            node("e", "entry", side="long"),
        ],
        [
            edge("b.out", "a.a"),
            edge("k.out", "a.b"),
            edge("a.out", "b.a"),
            edge("a.out", "gt.a"),
            edge("k.out", "gt.b"),
            edge("gt.out", "e.when"),
        ],
    )
    errors = validate(doc)
    assert {(e["node"], e["message"]) for e in errors} >= {
        ("a", "is part of a cycle"),
        ("b", "is part of a cycle"),
    }


def test_risk_maps_to_risk_settings_and_loop_limits() -> None:
    g = compile_graph(example_documents()["supertrend_options"])
    assert g.timeframe == "5m"
    assert g.risk.stop_loss == Level(value=30.0, unit="points")
    assert g.risk.trailing_stop == Level(value=20.0, unit="points")
    assert g.risk.square_off == "15:15"
    assert g.risk.max_trades_per_day == 3  # min(settings 3, loop 1 + 2)
    assert g.risk.cooldown_bars == 3


def test_option_leg_is_validated() -> None:
    doc = example_documents()["supertrend_options"]
    bad = set_param(doc, "sell_pe.option_type", "XX")
    assert [e["field"] for e in validate(bad)] == ["params.option_type"]
    bad = set_param(doc, "sell_pe.offset", 500)
    assert [e["field"] for e in validate(bad)] == ["params.offset"]


def test_with_params_fast_path() -> None:
    g = compile_graph(sma_doc())
    g2 = g.with_params({"ma_fast.timeperiod": 12})
    assert g2.plan.nodes[1].ind_params == {"timeperiod": 12}
    assert g.plan.nodes[1].ind_params == {"timeperiod": 10}
    with pytest.raises(GraphValidationError) as info:
        g.with_params({"ma_fast.timeperiod": -3, "ma_fast.indicator": "EMA"})
    assert {e["field"] for e in info.value.errors} == {"params.timeperiod", "params.indicator"}


def test_set_param_copies() -> None:
    doc = sma_doc()
    before = copy.deepcopy(doc)
    out = set_param(doc, "ma_slow.timeperiod", 30)
    assert doc == before
    assert _nodes(out)["ma_slow"]["params"]["timeperiod"] == 30
    with pytest.raises(KeyError):
        set_param(doc, "nope.x", 1)


def test_condition_aliases() -> None:
    doc = example_documents()["rsi_mean_reversion"]
    g = compile_graph(doc)
    assert next(n for n in g.plan.nodes if n.id == "rsi_high").params["op"] == "gt"


def test_with_params_risk_and_loops() -> None:
    g = compile_graph(example_documents()["supertrend_options"])
    g2 = g.with_params(
        {
            "settings.risk.stop_loss": {"value": 1.5, "unit": "percent"},
            "again.max_reentries": 0,
            "st.factor": 2.5,
        }
    )
    assert g2.risk.stop_loss == Level(value=1.5, unit="percent")
    assert g2.risk.max_trades_per_day == 1
    assert g.risk.max_trades_per_day == 3
    with pytest.raises(GraphValidationError) as info:
        g.with_params({"settings.risk.square_off": "9"})
    assert info.value.errors[0]["field"] == "settings.risk.square_off"


def test_with_params_rejects_type_changes() -> None:
    g = compile_graph(example_documents()["rsi_mean_reversion"])
    with pytest.raises(GraphValidationError, match="ports"):
        g.with_params({"oversold.value": True})
    assert compile_graph(example_documents()["rsi_mean_reversion"]).with_params(
        {"oversold.value": 25}
    )
