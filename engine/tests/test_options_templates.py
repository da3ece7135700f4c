"""Every example strategy with option legs backtests on model premiums and trades options:
a contract, a premium, lots of its lot size; the straddle and the condor enter as groups."""

from __future__ import annotations

from datetime import date

import pytest

from engine.backtest import run_backtest
from engine.graph import compile_graph, example_documents, unexecutable_actions
from engine.graph.schema import timeframe_minutes
from engine.markets.synthetic import synthetic_bars
from engine.options.config import OptionsConfig
from engine.options.run import has_option_legs
from engine.sim.config import SimConfig

LEG_EXAMPLES = ("supertrend_options", "ema_atm_put", "short_straddle_0920", "iron_condor")


@pytest.mark.parametrize("name", LEG_EXAMPLES)
def test_an_option_template_trades_option_premiums(name: str) -> None:
    doc = example_documents()[name]
    graph = compile_graph(doc)
    assert has_option_legs(graph.plan) and unexecutable_actions(doc) == []
    minutes = timeframe_minutes(graph.timeframe) or 1
    bars = synthetic_bars(start=date(2025, 3, 3), days=15, timeframe_minutes=minutes, seed=5)
    cfg = SimConfig(
        initial_cash=2_000_000,
        fees="india_options",
        options=OptionsConfig(premium_source="model", iv=0.14, underlying="NIFTY"),
    )
    out = run_backtest(bars, graph, cfg).to_dict()
    trades = out["trades"]
    assert trades, f"{name} made no trade in 15 days"
    for t in trades:
        assert t["premium_source"] == "model"
        assert t["units"] == t["lots"] * t["lot_size"] == t["qty"]
        assert t["entry_price"] == t["premium_in"] < 3_000  # a premium, never the index
        assert t["strike"] % 50 == 0 and t["expiry"] >= t["entry_time"][:10]
    if name in ("short_straddle_0920", "iron_condor"):
        groups: dict[int, list[dict]] = {}
        for t in trades:
            groups.setdefault(t["group"], []).append(t)
        size = 2 if name == "short_straddle_0920" else 4
        assert all(len(g) == size for g in groups.values())
        assert all(len({t["entry_time"] for t in g}) == 1 for g in groups.values())
        assert len({g[0]["entry_time"][:10] for g in groups.values()}) == len(groups)  # 1/day
    if name == "short_straddle_0920":
        assert {t["entry_time"][11:16] for t in trades} == {"09:20"}
        assert {t["exit_reason"] for t in trades} <= {"stop", "square_off"}
    if name == "iron_condor":
        by_leg = {t["leg"]: t for t in trades if t["group"] == trades[0]["group"]}
        assert by_leg["buy_ce"]["strike"] - by_leg["sell_ce"]["strike"] == 200  # 4 steps of 50
        assert by_leg["sell_pe"]["strike"] - by_leg["buy_pe"]["strike"] == 200
        assert {t["exit_reason"] for t in trades} <= {"group_stop", "group_target", "square_off"}


def test_a_leg_after_a_wait_enters_that_many_bars_later() -> None:
    doc = example_documents()["ema_atm_put"]
    doc["nodes"].append({"id": "pause", "kind": "action", "params": {"type": "wait", "bars": 3}})
    doc["edges"] = [e for e in doc["edges"] if e["to"] != "sell_put.trigger"]
    doc["edges"] += [
        {"from": "go_long.fire", "to": "pause.trigger"},
        {"from": "pause.next", "to": "sell_put.trigger"},
    ]
    assert unexecutable_actions(doc) == []
    graph = compile_graph(doc)
    bars = synthetic_bars(start=date(2025, 3, 3), days=5, seed=5)
    signals = graph.evaluate(bars)
    cfg = SimConfig(
        initial_cash=2_000_000,
        options=OptionsConfig(premium_source="model", iv=0.14, underlying="NIFTY"),
    )
    trades = run_backtest(bars, graph, cfg).trades
    gates = [int(i) for i in signals.entry_long.nonzero()[0]]
    assert len(trades) > 0
    for entry in trades.entry_bar:
        assert int(entry) - 4 in gates  # the gate's bar, 3 bars' wait, then the next open
