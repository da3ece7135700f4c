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


def test_an_option_leg_is_named() -> None:
    doc = example_documents()["supertrend_options"]
    assert validate(doc) == []  # valid language, not yet executable
    assert [p["node"] for p in unexecutable_actions(doc)] == ["sell_pe"]
    assert "underlying instead of the option" in unexecutable_actions(doc)[0]["message"]


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
