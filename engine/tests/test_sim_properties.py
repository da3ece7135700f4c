"""Invariants by hypothesis over drawn bars, signals and configurations, and loop/step parity
(one semantics for backtest and live).

Everything is drawn directly (prices as whole ticks, signals as boolean arrays, configs with
``st.builds``), not from a seed, so a failure shrinks to a short, readable case: a handful
of bars at round prices, one signal, the simplest config that still fails.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from engine.bars import Bars
from engine.fees import FlatFees, IndiaIndexFuturesFees, PercentFees
from engine.signals import Level, RiskSettings, Signals
from engine.sim import SimConfig, SimResult, SimSession, Sizing, Slippage, simulate
from engine.sim import layout as L
from engine.sim.clock import day_and_minute
from engine.sim.config import square_off_minute
from engine.tests.strategies import TICK, bars_repr, tick_bars

EPS = 1e-6


class Case:
    """Drawn bars and signals (a plain class: hypothesis prints it with ``__repr__``)."""

    def __init__(self, bars: Bars, signals: Signals, per_day: int) -> None:
        self.bars, self.signals, self.per_day = bars, signals, per_day

    def __repr__(self) -> str:
        """Short enough to read in a failure report: prices as lists, signals as bar indices."""
        flags = {
            k: np.flatnonzero(getattr(self.signals, k)).tolist()
            for k in ("entry_long", "exit_long", "entry_short", "exit_short")
        }
        return f"Case(per_day={self.per_day}, {bars_repr(self.bars)}, signals at {flags})"


@st.composite
def cases(draw: st.DrawFn, max_bars: int = 200) -> Case:
    """Bars on a tick grid and four signal arrays. Days hold ``per_day`` one-minute bars from
    09:15 IST (a short day exercises day resets, square-off and session ends cheaply)."""
    n = draw(st.integers(2, max_bars))
    per_day = draw(st.sampled_from([375, 40, 7]))
    bars = draw(tick_bars(n, per_day))
    # every element drawn (no fill value): signals at about half the bars, shrinking to False
    flags = draw(arrays(np.bool_, (4, n), elements=st.booleans(), fill=st.nothing()))
    sig = Signals(
        entry_long=flags[0], exit_long=flags[1], entry_short=flags[2], exit_short=flags[3]
    )
    return Case(bars, sig, per_day)


LOTS = st.sampled_from([1.0, 25.0, 65.0])
sizings = st.one_of(
    st.builds(Sizing, mode=st.just("fixed"), value=st.integers(1, 20).map(float)),
    st.builds(Sizing, mode=st.just("lots"), value=st.integers(1, 4).map(float), lot_size=LOTS),
    st.builds(Sizing, mode=st.just("percent"), value=st.integers(1, 100).map(float), lot_size=LOTS),
    st.builds(Sizing, mode=st.just("all_in"), lot_size=LOTS),
)
fee_models = st.one_of(
    st.just("zero"),
    st.builds(PercentFees, percent=st.sampled_from([0.01, 0.05, 0.5])),
    st.builds(FlatFees, amount=st.integers(0, 40).map(float)),
    st.just(IndiaIndexFuturesFees()),
)
# levels a few bars of movement away: 0.1 to 10 points, or 0.01% to 0.3% of ~1000
levels = st.none() | st.one_of(
    st.builds(Level, value=st.integers(1, 100).map(lambda k: k / 10), unit=st.just("points")),
    st.builds(Level, value=st.integers(1, 30).map(lambda k: k / 100), unit=st.just("percent")),
)
configs = st.builds(
    SimConfig,
    initial_cash=st.sampled_from([1_000_000.0, 100_000.0, 10_000.0]),
    fill=st.sampled_from(["next_open", "close"]),
    entry_order=st.sampled_from(["market", "limit", "stop"]),
    entry_offset=st.builds(Level, value=st.integers(0, 20).map(lambda k: k / 10)),
    order_valid_bars=st.integers(1, 3),
    sizing=sizings,
    fees=fee_models,
    slippage=st.builds(
        Slippage, ticks=st.integers(0, 2).map(float), bps=st.sampled_from([0.0, 5.0])
    ),
    margin=st.sampled_from([1.0, 0.5, 0.15]),
    stop_first=st.booleans(),
    pyramiding=st.integers(1, 3),
    allow_long=st.booleans(),
    allow_short=st.booleans(),
    end_of_data=st.sampled_from(["close_at_close", "close_at_open", "keep_open"]),
).filter(lambda c: c.allow_long or c.allow_short)
risks = st.builds(
    RiskSettings,
    stop_loss=levels,
    target=levels,
    trailing_stop=levels,
    max_trades_per_day=st.none() | st.integers(1, 4),
    daily_max_loss=st.none() | st.sampled_from([50.0, 500.0, 5_000.0]),
    per_trade_max_loss=st.none() | st.sampled_from([20.0, 200.0, 2_000.0]),
    square_off=st.sampled_from([None, "09:20", "15:25"]),
    cooldown_bars=st.integers(0, 3),
    min_hold_bars=st.integers(0, 3),
    # the intraday rules (issue 15)
    cooldown_seconds=st.sampled_from([0, 60, 150]),
    min_hold_seconds=st.sampled_from([0, 120]),
    entry_cutoff=st.sampled_from([None, "09:40", "15:00"]),
    trailing_activation=levels,
    move_stop_to_cost=levels,
    daily_loss_check=st.sampled_from(["close", "bar"]),
    exit_priority=st.none()
    | st.permutations(["daily_loss", "trade_loss", "stop", "target", "trailing"]).map(tuple),
)


def _replay(case: Case, cfg: SimConfig, risk: RiskSettings) -> tuple[SimSession, list[float]]:
    bars, sig = case.bars, case.signals
    lv = {k: sig.levels.get(k, np.full(len(bars), np.nan)) for k in ("stop", "target")}
    session = SimSession(cfg, risk)
    equity = []
    for i in range(len(bars)):
        nxt = int(bars.ts[i + 1]) if i + 1 < len(bars) else None
        equity.append(
            session.on_bar(
                ts=int(bars.ts[i]),
                open=float(bars.open[i]),
                high=float(bars.high[i]),
                low=float(bars.low[i]),
                close=float(bars.close[i]),
                entry_long=bool(sig.entry_long[i]),
                exit_long=bool(sig.exit_long[i]),
                entry_short=bool(sig.entry_short[i]),
                exit_short=bool(sig.exit_short[i]),
                next_ts=nxt,
                stop_level=float(lv["stop"][i]),
                target_level=float(lv["target"][i]),
            )
        )
    return session, equity


def _graph_levels(case: Case, risk: RiskSettings, seed: int) -> tuple[Case, RiskSettings]:
    """Stop/target at per-bar "graph" levels (some NaN) in place of the fixed ones."""
    rng = np.random.default_rng(seed)
    close = case.bars.close
    n = len(close)
    stop = close * (1 - rng.choice([-1, 1], n) * rng.uniform(0.001, 0.02, n))
    target = close * (1 + rng.choice([-1, 1], n) * rng.uniform(0.001, 0.02, n))
    stop[rng.random(n) < 0.1] = np.nan
    sig = dataclasses.replace(case.signals, levels={"stop": stop, "target": target})
    risk = dataclasses.replace(risk, stop_loss=None, target=None, stop_at="g.lo", target_at="g.hi")
    return Case(case.bars, sig, case.per_day), risk


@settings(max_examples=60)
@given(case=cases(), cfg=configs, risk=risks, seed=st.integers(0, 1000))
def test_graph_levels_agree_between_loop_and_step(
    case: Case, cfg: SimConfig, risk: RiskSettings, seed: int
) -> None:
    case, risk = _graph_levels(case, risk, seed)
    cfg = dataclasses.replace(cfg, end_of_data="close_at_close")
    full = simulate(case.bars, case.signals, cfg, risk)
    session, equity = _replay(case, cfg, risk)
    equity[-1] = session.finish()
    np.testing.assert_array_equal(session.trades.records, full.trades.records)
    assert session.rejection_counts == full.rejection_counts
    np.testing.assert_array_equal(np.asarray(equity), full.equity)


@settings(max_examples=100)
@given(case=cases(), cfg=configs, risk=risks, keep=st.booleans())
def test_whole_array_loop_and_per_bar_step_agree(
    case: Case, cfg: SimConfig, risk: RiskSettings, keep: bool
) -> None:
    # A session ends with finish() (the last close) or not at all (the position stays open).
    cfg = dataclasses.replace(cfg, end_of_data="keep_open" if keep else "close_at_close")
    full = simulate(case.bars, case.signals, cfg, risk)
    session, equity = _replay(case, cfg, risk)
    if not keep:
        equity[-1] = session.finish()
    np.testing.assert_array_equal(session.trades.records, full.trades.records)
    np.testing.assert_array_equal(session.rejections.records, full.rejections.records)
    assert session.rejection_counts == full.rejection_counts
    np.testing.assert_array_equal(np.asarray(equity), full.equity)


@settings(max_examples=100)
@given(case=cases(), cfg=configs, risk=risks, cut=st.floats(0.05, 0.95), data=st.data())
def test_no_look_ahead(
    case: Case, cfg: SimConfig, risk: RiskSettings, cut: float, data: st.DataObject
) -> None:
    """Changing every price and flipping every entry from bar k on leaves the trades closed
    before k, and the equity up to k - 1, unchanged."""
    bars, sig = case.bars, case.signals
    n = len(bars)
    k = max(1, int(n * cut))
    noise = data.draw(arrays(np.int64, n - k, elements=st.integers(-100, 100))) * TICK
    later = slice(k, None)

    def moved(a: np.ndarray, extra: float) -> np.ndarray:
        out = a.copy()
        out[later] += noise + extra
        return out

    future = Bars.from_arrays(
        bars.ts, moved(bars.open, 0), moved(bars.high, 3), moved(bars.low, -3), moved(bars.close, 0)
    )
    flip = dataclasses.replace(
        sig,
        entry_long=np.r_[sig.entry_long[:k], ~sig.entry_long[k:]],
        entry_short=np.r_[sig.entry_short[:k], ~sig.entry_short[k:]],
    )
    base = simulate(bars, sig, cfg, risk)
    other = simulate(future, flip, cfg, risk)
    done = base.trades.records[base.trades.records[:, L.T_EXIT_BAR] < k]
    done_other = other.trades.records[other.trades.records[:, L.T_EXIT_BAR] < k]
    np.testing.assert_array_equal(done, done_other)
    np.testing.assert_array_equal(base.equity[: k - 1], other.equity[: k - 1])


@settings(max_examples=150)
@given(case=cases(), cfg=configs, risk=risks)
def test_accounting_and_trade_invariants(case: Case, cfg: SimConfig, risk: RiskSettings) -> None:
    bars = case.bars
    res = simulate(bars, case.signals, cfg, risk)
    rec = res.trades.records
    # cash plus position value is equity at every bar
    np.testing.assert_allclose(res.cash + res.position * bars.close, res.equity, rtol=0, atol=EPS)
    # final equity = start + closed P&L (+ the open position's P&L net of its entry charges)
    open_pnl = res.open_position.unrealised_pnl if res.open_position is not None else 0.0
    assert math.isclose(
        res.equity[-1], cfg.initial_cash + rec[:, L.T_PNL].sum() + open_pnl, abs_tol=1e-4
    )
    assert (res.open_position is not None) == (
        cfg.end_of_data == "keep_open" and res.position[-1] != 0
    )
    charges = rec[:, L.T_C : L.T_C + 7]
    assert np.all(charges >= 0)
    np.testing.assert_allclose(charges.sum(axis=1), rec[:, L.T_ENTRY_FEES] + rec[:, L.T_EXIT_FEES])
    assert np.all(rec[:, L.T_QTY] > 0)
    assert np.all(rec[:, L.T_EXIT_BAR] >= rec[:, L.T_ENTRY_BAR])
    if not cfg.allow_long:
        assert np.all(rec[:, L.T_SIDE] < 0) and np.all(res.position <= 0)
    if not cfg.allow_short:
        assert np.all(rec[:, L.T_SIDE] > 0) and np.all(res.position >= 0)
    _fills_inside_their_bars(res, bars, cfg)
    _levels_respected(res, risk)
    _rules_respected(res, bars, cfg, risk)
    records = res.rejections.to_records()
    counts = res.rejection_counts
    for reason in ("insufficient_funds", "zero_size", "insufficient_margin"):
        assert counts[reason] == sum(r["reason"] == reason for r in records)


def _slip(cfg: SimConfig, high: np.ndarray) -> np.ndarray:
    """The most slippage a fill in a bar can get (bps apply to a price at most its high)."""
    return cfg.slippage.ticks * cfg.slippage.tick_size + high * cfg.slippage.bps * 1e-4 + EPS


def _fills_inside_their_bars(res: SimResult, bars: Bars, cfg: SimConfig) -> None:
    """Every fill is a price the bar traded at, moved by at most the slippage."""
    rec = res.trades.records
    for at, bar in ((L.T_EXIT_PRICE, L.T_EXIT_BAR), (L.T_ENTRY_PRICE, L.T_ENTRY_BAR)):
        if at == L.T_ENTRY_PRICE and cfg.pyramiding > 1:
            continue  # an average over several bars
        i = rec[:, bar].astype(np.int64)
        price = rec[:, at]
        slip = _slip(cfg, bars.high[i])
        assert np.all(price <= bars.high[i] + slip) and np.all(price >= bars.low[i] - slip)


def _levels_respected(res: SimResult, risk: RiskSettings) -> None:
    """A stop exit is at or beyond its level (a gap fills worse); a target at it or better."""
    f = res.trades.to_frame()
    side = np.where(f.side == "long", 1.0, -1.0)
    avg = f.entry_price.to_numpy()
    for reason, level, sign in (("stop", risk.stop_loss, -1.0), ("target", risk.target, 1.0)):
        hit = (f.exit_reason == reason).to_numpy()
        if reason == "stop" and risk.move_stop_to_cost is not None:
            continue  # the stop moves to cost, on the favourable side of its start
        if level is None:
            assert not hit.any()
            continue
        dist = avg * level.value / 100 if level.unit == "percent" else np.full(len(f), level.value)
        want = avg + sign * side * dist
        got = f.exit_price.to_numpy()
        # long stop: exit <= level; short stop: exit >= level; targets the other way round
        assert np.all((sign * side * (got - want))[hit] >= -EPS)


def _rules_respected(res: SimResult, bars: Bars, cfg: SimConfig, risk: RiskSettings) -> None:
    day, minute = day_and_minute(bars.ts)
    rec = res.trades.records
    if risk.max_trades_per_day is not None and cfg.pyramiding == 1:
        entry_days = day[rec[:, L.T_ENTRY_BAR].astype(np.int64)]
        assert np.bincount(entry_days - day[0]).max(initial=0) <= risk.max_trades_per_day
    if risk.square_off is not None:
        # flat at the close of every bar in the square-off window and of every day's last bar
        sq = square_off_minute(risk.square_off)
        last_of_day = np.r_[day[1:] != day[:-1], False]
        assert np.all(res.position[(minute >= sq) | last_of_day] == 0)
    if risk.entry_cutoff is not None:
        # no position is opened at or after the cut-off (positions already open stay)
        cutoff = square_off_minute(risk.entry_cutoff)
        assert np.all(minute[rec[:, L.T_ENTRY_BAR].astype(np.int64)] < cutoff)


@settings(max_examples=50)
@given(case=cases(), cfg=configs, risk=risks)
def test_a_strategy_that_never_trades_has_zero_pnl(
    case: Case, cfg: SimConfig, risk: RiskSettings
) -> None:
    n = len(case.bars)
    res = simulate(case.bars, Signals.empty(n), cfg, risk)
    assert len(res.trades) == 0 and len(res.rejections) == 0
    assert np.all(res.equity == cfg.initial_cash)
    assert sum(res.rejection_counts.values()) == 0
