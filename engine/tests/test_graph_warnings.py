"""Warnings: a graph the engine accepts but that probably does not do what its author meant."""

from __future__ import annotations

from engine.graph import example_documents, graph_warnings, validate


def _codes(doc: dict) -> list[str]:
    return [w["code"] for w in graph_warnings(doc)]


def _without_exit(doc: dict) -> dict:
    doc["nodes"] = [n for n in doc["nodes"] if n["id"] not in ("flat", "sell", "cross_down")]
    doc["edges"] = [
        e for e in doc["edges"] if not any(x in e["to"] for x in ("flat", "sell", "cross_down"))
    ]
    return doc


def test_an_entry_without_an_exit_is_valid_but_warned() -> None:
    doc = _without_exit(example_documents()["sma_cross"])
    assert validate(doc) == []
    (no_exit,) = [w for w in graph_warnings(doc) if w["code"] == "no_exit"]
    assert no_exit == {
        "code": "no_exit",
        "node": None,
        "field": "nodes",
        "message": "long entries have no long exit gate: positions close only at the end of "
        "the data (with end_of_data keep_open, not even there)",
    }


def test_no_stop_and_no_square_off_on_intraday_bars() -> None:
    doc = example_documents()["sma_cross"]
    assert _codes(doc) == ["no_stop", "no_square_off"]
    doc["settings"]["risk"] = {"stop_loss": {"value": 1, "unit": "percent"}, "square_off": "15:15"}
    assert _codes(doc) == []


def test_exit_warning_names_the_risk_exits_that_remain() -> None:
    doc = _without_exit(example_documents()["sma_cross"])
    doc["settings"]["risk"] = {"stop_loss": {"value": 1, "unit": "percent"}}
    (no_exit,) = [w for w in graph_warnings(doc) if w["code"] == "no_exit"]
    assert no_exit["message"] == (
        "long entries have no long exit gate: positions close only by the risk exits "
        "(stop_loss) or at the end of the data (with end_of_data keep_open, not even there)"
    )


def test_an_indicator_that_feeds_nothing_is_named_even_in_a_draft() -> None:
    doc = example_documents()["sma_cross"]
    doc["nodes"].append({"id": "rsi_14", "kind": "indicator", "params": {"indicator": "RSI"}})
    assert validate(doc)  # unreachable: an error too, but a draft still gets the advice
    unused = [w for w in graph_warnings(doc) if w["code"] == "unused_indicator"]
    assert [(w["node"], w["field"]) for w in unused] == [("rsi_14", "outputs")]


def test_warnings_never_raise_on_garbage() -> None:
    for doc in (
        None,
        [],
        {"nodes": "x"},
        {"nodes": [1, {"id": 3}], "edges": [None], "settings": 5},
    ):
        assert graph_warnings(doc) == []
