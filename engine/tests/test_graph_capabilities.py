"""A valid graph whose actions the simulator does not carry out yet is named, node by node."""

from __future__ import annotations

from engine.graph import example_documents, unexecutable_actions, validate
from engine.graph.examples import edge, node


def _sma_with(*extra_nodes: dict, edges: tuple[dict, ...] = ()) -> dict:
    doc = example_documents()["sma_cross"]
    doc["nodes"] += list(extra_nodes)
    doc["edges"] += list(edges)
    return doc


def test_plain_orders_are_executable() -> None:
    assert unexecutable_actions(example_documents()["sma_cross"]) == []


def test_an_option_leg_on_an_entry_gate_runs_in_a_backtest_but_not_a_sweep() -> None:
    doc = example_documents()["supertrend_options"]
    assert validate(doc) == []
    assert unexecutable_actions(doc) == []
    problems = unexecutable_actions(doc, legs=False)
    assert [p["node"] for p in problems] == ["sell_pe"]
    assert "not in sweeps" in problems[0]["message"]


def test_legs_beside_underlying_trades_are_named() -> None:
    doc = example_documents()["supertrend_options"]
    doc["nodes"].append(node("buy", "action", type="buy", quantity=1))
    doc["edges"].append(edge("go_long.fire", "buy.trigger"))
    problems = unexecutable_actions(doc)
    assert [p["node"] for p in problems] == ["buy"]
    assert "trade the underlying" in problems[0]["message"]


def test_an_entry_gate_without_a_leg_is_named_when_legs_exist() -> None:
    doc = example_documents()["supertrend_options"]
    doc["nodes"].append(node("go_short", "entry", side="short"))
    doc["edges"].append(edge("flip_down.out", "go_short.when"))
    problems = unexecutable_actions(doc)
    assert [(p["node"], p["field"]) for p in problems] == [("go_short", "fire")]


def test_a_leg_fired_by_an_exit_gate_is_named() -> None:
    doc = example_documents()["supertrend_options"]
    doc["edges"].append(edge("flat.fire", "sell_pe.trigger"))
    problems = unexecutable_actions(doc)
    assert [p["node"] for p in problems] == ["sell_pe"]
    assert "entry gate" in problems[0]["message"]


def test_group_levels_without_legs_are_named() -> None:
    doc = example_documents()["sma_cross"]
    doc["settings"]["risk"] = {"group_stop_loss": {"value": 1000, "unit": "rupees"}}
    assert validate(doc) == []
    problems = unexecutable_actions(doc)
    assert [p["field"] for p in problems] == ["settings.risk.group_stop_loss"]


def test_an_order_chained_after_a_wait_is_named_and_one_before_it_is_not() -> None:
    doc = _sma_with(
        node("pause", "action", type="wait", bars=3),
        node("add", "action", type="buy", quantity=1),
        node("more", "action", type="buy", quantity=1),
        edges=(
            edge("buy.next", "pause.trigger"),
            edge("pause.next", "add.trigger"),
            edge("add.next", "more.trigger"),
        ),
    )
    problems = unexecutable_actions(doc)
    assert [p["node"] for p in problems] == ["add", "more"]
    assert all("not delayed" in p["message"] for p in problems)


def test_a_wait_with_nothing_after_it_is_harmless() -> None:
    doc = _sma_with(
        node("pause", "action", type="wait", bars=2), edges=(edge("buy.next", "pause.trigger"),)
    )
    assert unexecutable_actions(doc) == []
