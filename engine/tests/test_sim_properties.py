"""Invariants by hypothesis, and loop/step parity (one semantics for backtest and live)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.bars import Bars
from engine.fees import IndiaIndexFuturesFees, PercentFees
from engine.signals import Level, RiskSettings, Signals
from engine.sim import SimConfig, SimSession, Sizing, Slippage, simulate
from engine.sim import layout as L
from engine.tests.test_sim_kit import MIN_NS

T0 = 1_704_080_700 * 1_000_000_000  # 2024-01-01 09:15 IST
RISK = RiskSettings(stop_loss=Level(value=1.5), target=Level(value=2, unit="percent"),
                    trailing_stop=Level(value=2.5), max_trades_per_day=30, daily_max_loss=5_000,
                    cooldown_bars=1, min_hold_bars=1, square_off="15:25")  # fmt: skip
CONFIGS = [
    SimConfig(sizing=Sizing(mode="all_in"), fees=PercentFees(percent=0.05)),
    SimConfig(
        fill="close",
        sizing=Sizing(mode="lots", value=2, lot_size=25),
        fees=IndiaIndexFuturesFees(),
        margin=0.2,
        slippage=Slippage(ticks=1),
    ),
    SimConfig(
        entry_order="limit",
        entry_offset=Level(value=0.2),
        order_valid_bars=3,
        sizing=Sizing(mode="percent", value=40),
        pyramiding=2,
    ),
]


def random_case(seed: int, n: int, gap_minutes: int = 1) -> tuple[Bars, Signals]:
    rng = np.random.default_rng(seed)
    c = 100 + np.cumsum(rng.normal(0, 0.6, n))
    o = np.r_[c[0], c[:-1]] + rng.normal(0, 0.2, n)
    h = np.maximum(o, c) + rng.exponential(0.3, n)
    lo = np.minimum(o, c) - rng.exponential(0.3, n)
    # 375-bar NSE days, so square-off and day rules are exercised
    k = np.arange(n)
    ts = T0 + (k // 375) * 86_400 * 10**9 + (k % 375) * MIN_NS * gap_minutes
    flags = rng.random((4, n)) < 0.08
    sig = Signals(entry_long=flags[0], exit_long=flags[1], entry_short=flags[2],
                  exit_short=flags[3])  # fmt: skip
    return Bars.from_arrays(ts, o, h, lo, c), sig


def test_whole_array_loop_and_per_bar_step_agree() -> None:
    for cfg in CONFIGS:
        bars, sig = random_case(7, 900)
        full = simulate(bars, sig, cfg, RISK)
        session = SimSession(cfg, RISK)
        equity = []
        for i in range(len(bars)):
            nxt = int(bars.ts[i + 1]) if i + 1 < len(bars) else None
            equity.append(session.on_bar(
                ts=int(bars.ts[i]), open=bars.open[i], high=bars.high[i], low=bars.low[i],
                close=bars.close[i], entry_long=bool(sig.entry_long[i]),
                exit_long=bool(sig.exit_long[i]), entry_short=bool(sig.entry_short[i]),
                exit_short=bool(sig.exit_short[i]), next_ts=nxt))  # fmt: skip
        equity[-1] = session.finish()
        assert len(full.trades) > 5
        np.testing.assert_array_equal(session.trades.records, full.trades.records)
        np.testing.assert_array_equal(session.rejections.records, full.rejections.records)
        np.testing.assert_array_equal(np.asarray(equity), full.equity)


cases = st.tuples(st.integers(0, 10_000), st.integers(20, 700), st.sampled_from(range(3)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases, cut=st.floats(0.1, 0.9))
def test_no_look_ahead(case: tuple[int, int, int], cut: float) -> None:
    seed, n, which = case
    bars, sig = random_case(seed, n)
    k = max(1, int(n * cut))
    base = simulate(bars, sig, CONFIGS[which], RISK)
    rng = np.random.default_rng(seed + 1)
    noise = rng.normal(0, 5, n - k)
    future = Bars.from_arrays(bars.ts, np.r_[bars.open[:k], bars.open[k:] + noise],
                              np.r_[bars.high[:k], bars.high[k:] + noise + 3],
                              np.r_[bars.low[:k], bars.low[k:] + noise - 3],
                              np.r_[bars.close[:k], bars.close[k:] + noise])  # fmt: skip
    flip = Signals(entry_long=np.r_[sig.entry_long[:k], ~sig.entry_long[k:]],
                   exit_long=sig.exit_long, entry_short=np.r_[sig.entry_short[:k], ~sig.entry_short[k:]],
                   exit_short=sig.exit_short)  # fmt: skip
    other = simulate(future, flip, CONFIGS[which], RISK)
    done = base.trades.records[base.trades.records[:, L.T_EXIT_BAR] < k]
    done_other = other.trades.records[other.trades.records[:, L.T_EXIT_BAR] < k]
    np.testing.assert_array_equal(done, done_other)
    # the last fully known bar is k-1; equity up to it is unchanged
    np.testing.assert_array_equal(base.equity[: k - 1], other.equity[: k - 1])


@settings(max_examples=40, deadline=None)
@given(case=cases)
def test_accounting_closes_and_charges_are_non_negative(case: tuple[int, int, int]) -> None:
    seed, n, which = case
    bars, sig = random_case(seed, n)
    cfg = CONFIGS[which]
    res = simulate(bars, sig, cfg, RISK)
    # cash plus position value is equity at every bar
    np.testing.assert_allclose(res.cash + res.position * bars.close, res.equity, rtol=0, atol=1e-6)
    # equity = start + closed P&L + open P&L net of the open position's entry charges
    rec = res.trades.records
    closed = np.zeros(n)
    np.add.at(closed, rec[:, L.T_EXIT_BAR].astype(int), rec[:, L.T_PNL])
    realised = cfg.initial_cash + np.cumsum(closed)
    assert abs(realised[-1] - res.equity[-1]) < 1e-6  # everything is closed at the end
    charges = rec[:, L.T_C : L.T_C + 7]
    assert np.all(charges >= 0)
    assert np.all(rec[:, L.T_ENTRY_FEES] >= 0)
    assert np.all(rec[:, L.T_EXIT_FEES] >= 0)
    np.testing.assert_allclose(charges.sum(axis=1), rec[:, L.T_ENTRY_FEES] + rec[:, L.T_EXIT_FEES])


@settings(max_examples=25, deadline=None)
@given(case=cases)
def test_a_strategy_that_never_trades_has_zero_pnl(case: tuple[int, int, int]) -> None:
    seed, n, which = case
    bars, _ = random_case(seed, n)
    res = simulate(bars, Signals.empty(n), CONFIGS[which], RISK)
    assert len(res.trades) == 0
    assert np.all(res.equity == CONFIGS[which].initial_cash)
