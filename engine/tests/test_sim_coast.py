"""Runs without risk rules skip the full step on bars with no signal and no working order
(``kernel._coast``); by hypothesis over bars, sparse signals and configs, the whole-array
loop still matches the per-bar ``step`` (SimSession) exactly: trades, rejections, counts,
equity at every bar and the final state (trailing references included)."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.signals import RiskSettings, Signals
from engine.sim import SimConfig, simulate
from engine.sim import layout as L
from engine.tests.strategies import tick_bars
from engine.tests.test_sim_properties import Case, _replay, configs


@st.composite
def sparse_cases(draw: st.DrawFn, max_bars: int = 300) -> Case:
    """Signals on a few bars only (the long quiet stretches are what ``_coast`` runs), all
    in one 375-bar day."""
    n = draw(st.integers(2, max_bars))
    bars = draw(tick_bars(n, 375))
    flags = np.zeros((4, n), dtype=np.bool_)
    for row in range(4):
        for i in draw(st.lists(st.integers(0, n - 1), max_size=max(1, n // 15))):
            flags[row, i] = True
    sig = Signals(
        entry_long=flags[0], exit_long=flags[1], entry_short=flags[2], exit_short=flags[3]
    )
    return Case(bars, sig, 375)


@settings(max_examples=150)
@given(case=sparse_cases(), cfg=configs, keep=st.booleans())
def test_coasting_loop_matches_the_per_bar_step(case: Case, cfg: SimConfig, keep: bool) -> None:
    cfg = dataclasses.replace(cfg, end_of_data="keep_open" if keep else "close_at_close")
    risk = RiskSettings()
    full = simulate(case.bars, case.signals, cfg, risk)
    session, equity = _replay(case, cfg, risk)
    if not keep:
        equity[-1] = session.finish()
    np.testing.assert_array_equal(session.trades.records, full.trades.records)
    np.testing.assert_array_equal(session.rejections.records, full.rejections.records)
    assert session.rejection_counts == full.rejection_counts
    np.testing.assert_array_equal(np.asarray(equity), full.equity)
    # The session always knows the calendar day; a loop without a clock labels every bar
    # day 0 (the bars are one day, so the day's counters agree).
    same = ~np.isin(np.arange(len(full.state)), [L.S_DAY, L.S_ENTRY_DAY])
    np.testing.assert_array_equal(session.state[same], full.state[same])
