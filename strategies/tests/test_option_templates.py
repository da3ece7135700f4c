"""The option templates trade options: SuperTrend buys an ATM CE on an up-flip and an ATM PE
on a down-flip; every template with legs is executable (not refused) and prices premiums."""

from __future__ import annotations

from datetime import date

from engine.backtest import run_backtest
from engine.graph import compile_graph, unexecutable_actions
from engine.markets.synthetic import synthetic_bars
from engine.options.config import OptionsConfig
from engine.options.run import has_option_legs
from engine.sim.config import SimConfig
from strategies.templates import TEMPLATES

OPTION_TEMPLATES = {
    "supertrend_index_options",
    "ema_cross_sell_atm_put",
    "short_straddle_0920",
    "iron_condor",
}


def test_the_option_templates_have_legs_and_are_executable() -> None:
    with_legs = {k for k, t in TEMPLATES.items() if has_option_legs(compile_graph(t.graph).plan)}
    assert with_legs == OPTION_TEMPLATES
    assert all(unexecutable_actions(TEMPLATES[k].graph) == [] for k in with_legs)


def test_supertrend_buys_a_call_on_up_flips_and_a_put_on_down_flips() -> None:
    graph = compile_graph(TEMPLATES["supertrend_index_options"].graph)
    bars = synthetic_bars(start=date(2025, 3, 3), days=20, timeframe_minutes=5, seed=3)
    cfg = SimConfig(
        initial_cash=1_000_000,
        fees="india_options",
        options=OptionsConfig(premium_source="model", iv=0.14, underlying="NIFTY"),
    )
    out = run_backtest(bars, graph, cfg).to_dict()
    trades = out["trades"]
    assert {t["leg"] for t in trades} == {"buy_ce", "buy_pe"}
    for t in trades:
        assert t["position"] == "buy"
        assert t["option_type"] == ("CE" if t["leg"] == "buy_ce" else "PE")
        assert t["side"] == "long"  # a bought option, whichever the market's direction
        assert t["entry_price"] < 3_000
        assert t["exit_time"][11:16] <= "15:25"
