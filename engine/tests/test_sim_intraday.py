"""The intraday rules of issue 15 on hand-computed one-minute bars (docs/backtests.md)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from engine.signals import Level, RiskSettings, Signals
from engine.sim import SimConfig, Sizing, simulate
from engine.sim.config import has_risk_rules
from engine.tests.test_sim_kit import minute_bars, signals

FIXED10 = SimConfig(sizing=Sizing(mode="fixed", value=10), initial_cash=10_000)


def _frame(result):
    return result.trades.to_frame()


def _one(result) -> dict:
    f = _frame(result)
    assert len(f) == 1, f
    return f.iloc[0].to_dict()


def _with_levels(sig: Signals, **levels: list[float]) -> Signals:
    return dataclasses.replace(
        sig, levels={k: np.asarray(v, dtype=float) for k, v in levels.items()}
    )


# -- time units ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "risk",
    [RiskSettings(cooldown_seconds=120), RiskSettings(cooldown_bars=2)],
    ids=["120s", "2bars"],
)
def test_cooldown_in_seconds_matches_bars_on_minute_bars(risk: RiskSettings) -> None:
    bars = minute_bars([100] * 10)
    sig = signals(10, entry_long=[0, 4, 5, 6], exit_long=[2])
    res = simulate(bars, sig, FIXED10, risk)
    # exit fills at bar 3 (09:18); signals at 09:19 and 09:20 are within 120 s; 09:21 is not
    assert list(_frame(res).entry_bar) == [1, 7]
    assert res.rejection_counts["cooldown"] == 2


def test_min_hold_in_seconds() -> None:
    bars = minute_bars([100] * 8)
    sig = signals(8, entry_long=[0], exit_long=[2, 3, 4])
    t = _one(simulate(bars, sig, FIXED10, RiskSettings(min_hold_seconds=180)))
    # entry bar 1 (09:16): exit signals at 09:17 (60 s) and 09:18 (120 s) are too early;
    # 09:19 (180 s) exits at bar 5's open
    assert (t["entry_bar"], t["exit_bar"], t["exit_reason"]) == (1, 5, "signal")


def test_entry_cutoff_stops_entries_not_positions() -> None:
    bars = minute_bars([100] * 8)
    risk = RiskSettings(entry_cutoff="09:18")
    res = simulate(bars, signals(8, entry_long=[3, 4]), FIXED10, risk)  # 09:18 and 09:19
    assert len(res.trades) == 0 and res.rejection_counts["outside_window"] == 2
    # a signal at 09:17 would fill at 09:18's open: at the cut-off, so it is dropped too
    res = simulate(bars, signals(8, entry_long=[2]), FIXED10, risk)
    assert len(res.trades) == 0 and res.rejection_counts["outside_window"] == 1
    # a position opened before the cut-off is held past it (it is not a square-off)
    t = _one(simulate(bars, signals(8, entry_long=[0], exit_long=[5]), FIXED10, risk))
    assert (t["entry_bar"], t["exit_bar"], t["exit_reason"]) == (1, 6, "signal")


# -- graph levels ----------------------------------------------------------------------------
def test_stop_at_a_graph_level_taken_on_the_signal_bar() -> None:
    bars = minute_bars([100, 100, 99, 99], lows=[100, 99, 97.5, 99])
    # the level moves after the entry (50): the position keeps 98, its signal bar's value
    sig = _with_levels(signals(4, entry_long=[0]), stop=[98, 50, 50, 50])
    t = _one(simulate(bars, sig, FIXED10, RiskSettings(stop_at="orl.out")))
    # bar 1 low 99 > 98; bar 2 low 97.5 touches 98 -> exit at 98
    assert (t["exit_bar"], t["exit_price"], t["exit_reason"], t["pnl"]) == (2, 98, "stop", -20)


def test_target_at_a_graph_level() -> None:
    bars = minute_bars([100, 100, 101, 101], highs=[100, 101, 104, 101])
    sig = _with_levels(signals(4, entry_long=[0]), target=[103, 0, 0, 0])
    t = _one(simulate(bars, sig, FIXED10, RiskSettings(target_at="orh.out")))
    assert (t["exit_bar"], t["exit_price"], t["exit_reason"]) == (2, 103, "target")


def test_a_nan_level_refuses_the_entry() -> None:
    bars = minute_bars([100] * 4)
    sig = _with_levels(signals(4, entry_long=[0]), stop=[np.nan, 98, 98, 98])
    res = simulate(bars, sig, FIXED10, RiskSettings(stop_at="orl.out"))
    assert len(res.trades) == 0 and res.rejection_counts["no_level"] == 1


def test_graph_level_without_a_series_is_refused() -> None:
    with pytest.raises(ValueError, match="stop"):
        simulate(minute_bars([100] * 3), signals(3), FIXED10, RiskSettings(stop_at="orl.out"))


# -- trailing activation, move to cost ---------------------------------------------------------
def test_trailing_stop_waits_for_its_activation() -> None:
    opens = [100, 100, 101, 104, 104, 104]
    highs = [100, 102, 104, 106, 104, 104]
    lows = [100, 100, 98.5, 103.5, 102, 104]
    bars = minute_bars(opens, highs=highs, lows=lows)
    trail = Level(value=3)
    # without activation: the watermark 102 after bar 1 trails at 99; bar 2 low 98.5 -> 99
    t = _one(simulate(bars, signals(6, entry_long=[0]), FIXED10, RiskSettings(trailing_stop=trail)))
    assert (t["exit_bar"], t["exit_price"]) == (2, 99)
    # activated once the high is 5 points above entry (106 after bar 3): trail 103, bar 4 low 102
    risk = RiskSettings(trailing_stop=trail, trailing_activation=Level(value=5))
    t = _one(simulate(bars, signals(6, entry_long=[0]), FIXED10, risk))
    assert (t["exit_bar"], t["exit_price"], t["exit_reason"]) == (4, 103, "trailing")


def test_move_stop_to_cost_after_x_points() -> None:
    bars = minute_bars([100, 100, 103, 100], highs=[100, 105, 103, 100], lows=[100, 100, 99, 100])
    sig = signals(4, entry_long=[0])
    stop = Level(value=3)
    # the stop at 97 is not touched by bar 2's low of 99 ...
    res = simulate(bars, sig, FIXED10, RiskSettings(stop_loss=stop))
    assert _one(res)["exit_reason"] == "end"
    # ... but after bar 1's high of 105 (5 >= 4 points) it sits at cost, 100: exit at 100
    risk = RiskSettings(stop_loss=stop, move_stop_to_cost=Level(value=4))
    t = _one(simulate(bars, sig, FIXED10, risk))
    assert (t["exit_bar"], t["exit_price"], t["exit_reason"], t["pnl"]) == (2, 100, "stop", 0)


# -- in-bar loss checks and the priority -------------------------------------------------------
def test_daily_max_loss_inside_the_bar() -> None:
    bars = minute_bars([100, 100, 99, 99, 99, 99], lows=[100, 100, 95.5, 99, 99, 99])
    sig = signals(6, entry_long=[0, 4])
    # at the close (99) the loss is only 10: the close-time check does not fire
    assert (
        _one(simulate(bars, sig, FIXED10, RiskSettings(daily_max_loss=40)))["exit_reason"] == "end"
    )
    # inside the bar: 40 / 10 units -> level 96; bar 2's low 95.5 crosses it -> exit at 96
    res = simulate(bars, sig, FIXED10, RiskSettings(daily_max_loss=40, daily_loss_check="bar"))
    t = _one(res)
    assert (t["exit_bar"], t["exit_price"], t["exit_reason"], t["pnl"]) == (2, 96, "guardrail", -40)
    assert res.rejection_counts["daily_loss_limit"] == 1  # the bar-4 entry: blocked for the day


# One bar touching everything: entry 100 (bar 1 open), bar 2 high 103 / low 97.
_ALL = minute_bars([100, 100, 100, 100], highs=[100, 100, 103, 100], lows=[100, 100, 97, 100])
_RULES = RiskSettings(
    per_trade_max_loss=25,  # 97.5
    target=Level(value=2),  # 102
    trailing_stop=Level(value=1),  # 99 (watermark 100 at bar 2's start)
    daily_max_loss=20,  # 98 inside the bar
    daily_loss_check="bar",
)


@pytest.mark.parametrize(
    ("priority", "price", "reason"),
    [
        (None, 99, "trailing"),  # price order: the tightest stop-type level, stop first
        (("daily_loss", "trade_loss", "target", "trailing"), 98, "guardrail"),  # the default
        (("trade_loss",), 97.5, "guardrail"),
        (("target",), 102, "target"),
        (("trailing", "target"), 99, "trailing"),
    ],
)
def test_exit_priority_when_several_fire_on_one_bar(
    priority: tuple[str, ...] | None, price: float, reason: str
) -> None:
    risk = dataclasses.replace(_RULES, exit_priority=priority)
    t = _one(simulate(_ALL, signals(4, entry_long=[0]), FIXED10, risk))
    assert (t["exit_bar"], t["exit_price"], t["exit_reason"]) == (2, price, reason)


def test_priority_target_beats_trailing_by_default() -> None:
    risk = RiskSettings(target=Level(value=2), trailing_stop=Level(value=1), exit_priority=())
    t = _one(simulate(_ALL, signals(4, entry_long=[0]), FIXED10, risk))
    assert (t["exit_price"], t["exit_reason"]) == (102, "target")


def test_a_gap_through_several_levels_fills_at_the_open_for_the_first_ranked() -> None:
    bars = minute_bars([100, 100, 96, 96], lows=[100, 100, 95, 96])
    risk = dataclasses.replace(_RULES, exit_priority=("trailing",))
    t = _one(simulate(bars, signals(4, entry_long=[0]), FIXED10, risk))
    assert (t["exit_bar"], t["exit_price"], t["exit_reason"]) == (2, 96, "trailing")


def test_has_risk_rules_sees_every_rule() -> None:
    assert not has_risk_rules(FIXED10, None) and not has_risk_rules(FIXED10, RiskSettings())
    for change in (
        {"cooldown_seconds": 60},
        {"min_hold_seconds": 60},
        {"entry_cutoff": "15:00"},
        {"stop_at": "a.out"},
        {"target_at": "a.out"},
        {"trailing_activation": Level(value=1)},
        {"move_stop_to_cost": Level(value=1)},
        {"daily_loss_check": "bar"},
        {"exit_priority": ("target",)},
        {"stop_loss": Level(value=1)},
        {"cooldown_bars": 1},
        {"square_off": "15:25"},
    ):
        assert has_risk_rules(FIXED10, RiskSettings(**change)), change


# -- the language: validation and both evaluators ---------------------------------------------
def _orb_doc(risk: dict) -> dict:
    """SMA cross with the opening-range (09:15-09:30) low as a graph level."""
    from engine.graph import example_documents
    from engine.graph.examples import edge, node

    doc = example_documents()["sma_cross"]
    refs = {
        str(risk.get("stop_at")).partition(".")[0],
        str(risk.get("target_at")).partition(".")[0],
    }
    if "orl" in refs:
        doc["nodes"] += [node("low", "source", field="low")]
        doc["nodes"] += [node("orl", "math", op="opening_low", minutes=15)]
        doc["edges"] += [edge("low.out", "orl.a")]
    if "orh" in refs:
        doc["nodes"] += [node("orh", "math", op="opening_high", minutes=15)]
        doc["nodes"] += [node("high", "source", field="high")]
        doc["edges"] += [edge("high.out", "orh.a")]
    doc["settings"] = {"timeframe": "1m", "risk": risk}
    return doc


def test_graph_levels_need_a_number_output_of_a_real_node() -> None:
    from engine.graph import validate

    def fields(risk: dict) -> list[str]:
        return [e["field"] for e in validate(_orb_doc(risk))]

    assert fields({"stop_at": "orl.out"}) == []
    assert fields({"stop_at": "nope.out"}) == ["settings.risk.stop_at"]
    assert fields({"stop_at": "cross_up.out"}) == ["settings.risk.stop_at"]  # a bool
    assert fields({"stop_at": "orl"}) == ["settings.risk.stop_at"]


@pytest.mark.parametrize(
    ("risk", "field"),
    [
        ({"cooldown": {"value": 2, "unit": "hours"}}, "settings.risk.cooldown.unit"),
        ({"cooldown": {"value": -1, "unit": "seconds"}}, "settings.risk.cooldown.value"),
        ({"min_hold": {"value": 90_000, "unit": "seconds"}}, "settings.risk.min_hold.value"),
        ({"cooldown": {"value": 2}, "cooldown_bars": 3}, "settings.risk.cooldown"),
        ({"entry_cutoff": "25:00"}, "settings.risk.entry_cutoff"),
        ({"entry_cutoff": "15:20", "square_off": "15:15"}, "settings.risk.entry_cutoff"),
        ({"stop_at": "orl.out", "stop_loss": {"value": 1}}, "settings.risk.stop_at"),
        ({"trailing_activation": {"value": 5}}, "settings.risk.trailing_activation"),
        ({"move_stop_to_cost": {"value": 0}}, "settings.risk.move_stop_to_cost.value"),
        ({"daily_loss_check": "tick"}, "settings.risk.daily_loss_check"),
        ({"daily_loss_check": "bar"}, "settings.risk.daily_loss_check"),
        ({"exit_priority": ["target", "target"]}, "settings.risk.exit_priority"),
        ({"exit_priority": ["loss"]}, "settings.risk.exit_priority"),
    ],
)
def test_bad_intraday_settings_are_errors_naming_the_field(risk: dict, field: str) -> None:
    from engine.graph import validate

    assert [e["field"] for e in validate(_orb_doc(risk))] == [field]


def test_intraday_settings_map_to_risk() -> None:
    from engine.graph import compile_graph

    risk = compile_graph(
        _orb_doc(
            {
                "cooldown": {"value": 2, "unit": "minutes"},
                "min_hold": {"value": 3, "unit": "bars"},
                "entry_cutoff": "14:30",
                "square_off": "15:15",
                "stop_at": "orl.out",
                "trailing_stop": {"value": 10},
                "trailing_activation": {"value": 0.5, "unit": "percent"},
                "move_stop_to_cost": {"value": 20},
                "daily_max_loss": 5000,
                "daily_loss_check": "bar",
                "exit_priority": ["daily_loss", "trade_loss", "target", "trailing"],
            }
        )
    ).risk
    assert (risk.cooldown_seconds, risk.min_hold_bars, risk.entry_cutoff) == (120, 3, "14:30")
    assert risk.stop_at == "orl.out" and risk.trailing_activation == Level(
        value=0.5, unit="percent"
    )
    assert risk.exit_priority == ("daily_loss", "trade_loss", "target", "trailing")


def test_option_legs_refuse_underlying_only_rules() -> None:
    from engine.graph import example_documents, validate

    doc = example_documents()["ema_atm_put"]
    doc["settings"]["risk"] = {
        "entry_cutoff": "14:00",
        "cooldown": {"value": 60, "unit": "seconds"},
    }
    assert sorted(e["field"] for e in validate(doc)) == [
        "settings.risk.cooldown",
        "settings.risk.entry_cutoff",
    ]


@pytest.mark.parametrize("timeframe", ["1m", "15s"])
def test_backtest_and_live_runner_agree_with_every_intraday_rule(timeframe: str) -> None:
    from engine.backtest import run_backtest
    from engine.graph import compile_graph
    from engine.graph.testing import random_walk_bars
    from engine.live import Bar, LiveRunner

    risk = {
        "cooldown": {"value": 3, "unit": "minutes"},
        "min_hold": {"value": 90, "unit": "seconds"},
        "entry_cutoff": "14:30",
        "square_off": "15:15",
        "stop_at": "orl.out",
        "target_at": "orh.out",
        "trailing_stop": {"value": 3},
        "trailing_activation": {"value": 2},
        "move_stop_to_cost": {"value": 1.5},
        "daily_max_loss": 300,
        "daily_loss_check": "bar",
        "exit_priority": ["daily_loss", "trade_loss", "target", "trailing"],
    }
    doc = _orb_doc(risk)
    doc["settings"]["timeframe"] = timeframe
    graph = compile_graph(doc)
    seconds = 60 if timeframe == "1m" else 15
    bars = random_walk_bars(375 * 60 // seconds * 3, seed=21, seconds=seconds)
    cfg = SimConfig(sizing=Sizing(mode="fixed", value=10), initial_cash=1e6)
    full = run_backtest(bars, graph, cfg).sim
    runner = LiveRunner(graph, cfg)
    for i in range(len(bars)):
        row = [getattr(bars, f)[i].item() for f in ("ts", "open", "high", "low", "close", "volume")]
        nxt = int(bars.ts[i + 1]) if i + 1 < len(bars) else None
        runner.step(Bar(*row), nxt)
    runner.sim.finish()
    reasons = set(full.trades.to_frame().exit_reason)
    assert len(full.trades) > 3 and {"stop", "target"} <= reasons, reasons
    np.testing.assert_array_equal(runner.sim.trades.records, full.trades.records)
    assert runner.sim.rejection_counts == full.rejection_counts


def test_a_swept_stop_at_must_name_a_number_output() -> None:
    from engine.graph import compile_graph
    from engine.graph.errors import GraphValidationError

    graph = compile_graph(_orb_doc({"stop_at": "orl.out"}))
    with pytest.raises(GraphValidationError) as exc:
        graph.with_params({"settings.risk.stop_at": "go_long.fire"})
    assert [e["field"] for e in exc.value.errors] == ["settings.risk.stop_at"]
    moved = graph.with_params({"settings.risk.exit_priority": []}).risk
    assert moved.exit_priority == () and moved.stop_at == "orl.out"
