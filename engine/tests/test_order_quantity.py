"""An order action's ``quantity`` is honoured: it multiplies the run's fixed or lots size;
what the simulator cannot follow (partial exits, different entry sizes, a size from equity,
a sweep) is refused with the node named rather than ignored."""

from __future__ import annotations

from datetime import date

import pytest

from engine.backtest import run_backtest
from engine.graph import compile_graph, example_documents, unexecutable_actions
from engine.markets.synthetic import synthetic_bars
from engine.sim.config import SimConfig, Sizing


def _sma(buy_qty: int | None = None, sell_qty: int | None = None) -> dict:
    doc = example_documents()["sma_cross"]
    for n in doc["nodes"]:
        if n["id"] == "buy" and buy_qty is not None:
            n["params"]["quantity"] = buy_qty
        if n["id"] == "sell" and sell_qty is not None:
            n["params"]["quantity"] = sell_qty
    return doc


@pytest.fixture(scope="module")
def bars():
    return synthetic_bars(start=date(2025, 3, 3), days=3, seed=4)


@pytest.mark.parametrize(("mode", "value", "lot"), [("fixed", 2, 1.0), ("lots", 1, 75.0)])
def test_an_entry_quantity_multiplies_the_size(bars, mode: str, value: float, lot: float) -> None:
    cfg = SimConfig(initial_cash=1e9, sizing=Sizing(mode=mode, value=value, lot_size=lot))  # type: ignore[arg-type]
    one = run_backtest(bars, compile_graph(_sma()), cfg).trades.qty
    three = run_backtest(bars, compile_graph(_sma(buy_qty=3)), cfg).trades.qty
    assert len(one) == len(three) > 0
    assert (three == 3 * one).all() and one[0] == value * lot


def test_a_quantity_beside_a_size_from_equity_is_refused(bars) -> None:
    with pytest.raises(ValueError, match="multiplies a fixed or lots size"):
        run_backtest(bars, compile_graph(_sma(buy_qty=2)), SimConfig())


def test_what_the_simulator_cannot_follow_is_named() -> None:
    partial = unexecutable_actions(_sma(sell_qty=2))
    assert [(p["node"], p["field"]) for p in partial] == [("sell", "params.quantity")]
    assert "partial exit" in partial[0]["message"]
    assert unexecutable_actions(_sma(buy_qty=2)) == []
    swept = unexecutable_actions(_sma(buy_qty=2), legs=False)
    assert [p["node"] for p in swept] == ["buy"] and "sweep" in swept[0]["message"]
    doc = example_documents()["sma_cross"]
    doc["nodes"] += [
        {"id": "go_short", "kind": "entry", "params": {"side": "short"}},
        {"id": "short", "kind": "action", "params": {"type": "short", "quantity": 2}},
    ]
    doc["edges"] += [
        {"from": "cross_down.out", "to": "go_short.when"},
        {"from": "go_short.fire", "to": "short.trigger"},
    ]
    mixed = unexecutable_actions(doc)
    assert {p["node"] for p in mixed} == {"buy", "short"}
    assert all("different quantities" in p["message"] for p in mixed)


def test_a_sweep_refuses_legs_and_quantities_rather_than_trading_the_underlying(bars) -> None:
    from engine.sweep import ParamRange, run_sweep

    legs = compile_graph(example_documents()["ema_atm_put"])
    with pytest.raises(ValueError, match="not in sweeps"):
        run_sweep(bars, legs, [ParamRange.parse("ma_fast.timeperiod=5:7:2")])
    with pytest.raises(ValueError, match="quantity"):
        run_sweep(
            bars, compile_graph(_sma(buy_qty=2)), [ParamRange.parse("ma_fast.timeperiod=5:7:2")]
        )
