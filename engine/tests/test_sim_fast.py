"""The fast path (engine.sim.fast) against the general kernel: the same run, bar for bar, and
the predicate that chooses between them sends every rule it does not know to the kernel."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings

from engine.signals import Level, RiskSettings
from engine.sim import SimConfig, Sizing
from engine.sim import layout as L
from engine.sim.fast import fast_path_applies
from engine.sim.run import Prepared, simulate_prepared
from engine.tests.test_sim_properties import Case, cases, configs

# Market entries, one a side: the runs the fast path is for (other fields drawn as the
# property suite draws them: sizing, fees, slippage, margin, fill, sides, end of data).
fast_configs = configs.map(
    lambda c: dataclasses.replace(
        c, entry_order="market", pyramiding=1, entry_offset=None, order_valid_bars=1
    )
)
# Kept by the kernel only for rules such a run lacks: the trailing stop's watermarks, and the
# entry/exit bar times of time-based minimum hold and cooldown (any of them sends a run to
# the kernel, so the fast loop need not write them).
_UNKEPT = [L.S_HWM, L.S_LWM, L.S_ENTRY_TS, L.S_EXIT_TS]


def _both(case: Case, cfg: SimConfig) -> tuple:
    prep = Prepared.build(case.bars, cfg, None)
    assert prep.fast, cfg
    general = dataclasses.replace(prep, fast=False)
    return simulate_prepared(prep, case.signals), simulate_prepared(general, case.signals)


@settings(max_examples=60, deadline=None)
@given(case=cases(), cfg=fast_configs)
def test_fast_path_gives_the_general_kernels_run(case: Case, cfg: SimConfig) -> None:
    fast, general = _both(case, cfg)
    np.testing.assert_array_equal(fast.trades.to_frame(), general.trades.to_frame())
    np.testing.assert_array_equal(fast.rejections.records, general.rejections.records)
    for name in ("equity", "cash", "position"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(general, name), err_msg=name)
    keep = np.ones(L.NS, dtype=bool)
    keep[_UNKEPT] = False
    np.testing.assert_array_equal(fast.state[keep], general.state[keep])
    assert fast.open_position == general.open_position


def test_a_run_without_rules_takes_the_fast_path() -> None:
    assert fast_path_applies(SimConfig(), None)
    assert fast_path_applies(SimConfig(fill="close", fees="india_futures"), RiskSettings())


@pytest.mark.parametrize(
    "config",
    [
        SimConfig(entry_order="limit"),
        SimConfig(pyramiding=2),
        SimConfig(order_valid_bars=2),
        SimConfig(entry_offset=Level(value=1)),
        SimConfig(sizing=Sizing(mode="lots", lot_symbol="NIFTY")),
    ],
)
def test_a_config_the_fast_path_lacks_goes_to_the_kernel(config: SimConfig) -> None:
    assert not fast_path_applies(config, None)


@pytest.mark.parametrize(
    "risk",
    [
        RiskSettings(stop_loss=Level(value=1)),
        RiskSettings(target=Level(value=1)),
        RiskSettings(trailing_stop=Level(value=1)),
        RiskSettings(max_trades_per_day=3),
        RiskSettings(daily_max_loss=100.0),
        RiskSettings(per_trade_max_loss=100.0),
        RiskSettings(square_off="15:25"),
        RiskSettings(cooldown_bars=1),
        RiskSettings(min_hold_bars=1),
        RiskSettings(group_stop_loss=Level(value=1)),
    ],
)
def test_any_risk_rule_goes_to_the_kernel(risk: RiskSettings) -> None:
    assert not fast_path_applies(SimConfig(), risk)


def test_a_field_added_later_goes_to_the_kernel() -> None:
    """A rule added to SimConfig or RiskSettings after the fast path was written (here: a
    subclass with one more field) is unknown to it, so the run falls to the kernel, even
    at the new field's default (a default may be a rule that is on)."""

    @dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
    class NewRisk(RiskSettings):
        break_even_after: float | None = None

    @dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
    class NewConfig(SimConfig):
        max_bars_in_trade: int = 0

    assert not fast_path_applies(SimConfig(), NewRisk())
    assert not fast_path_applies(SimConfig(), NewRisk(break_even_after=5.0))
    assert not fast_path_applies(NewConfig(), None)
