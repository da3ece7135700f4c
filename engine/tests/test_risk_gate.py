"""The pre-trade risk gate: each rule refuses by name, exits pass the limits meant for entries."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.risk_gate import (
    AccountView,
    OrderIntent,
    RiskLimits,
    Rule,
    TradingState,
    is_exit,
    risk_check,
)

BUY = OrderIntent(instrument="NIFTY", side=1, lots=2, lot_size=65)
SELL_ALL = OrderIntent(instrument="NIFTY", side=-1, lots=2, lot_size=65)
LONG = {"NIFTY": 130}


def test_a_plain_order_passes() -> None:
    decision = risk_check(BUY, AccountView(), RiskLimits())
    assert decision.allowed and decision.rule is None and not decision.is_exit


@pytest.mark.parametrize(
    ("intent", "account", "limits", "rule"),
    [
        (BUY, AccountView(state=TradingState.HALTED), RiskLimits(), Rule.HALTED),
        (BUY, AccountView(state=TradingState.REDUCING), RiskLimits(), Rule.REDUCING),
        (BUY, AccountView(rate_slot=False), RiskLimits(), Rule.ORDER_RATE),
        (
            BUY,
            AccountView(),
            RiskLimits(allowed_instruments=frozenset({"BANKNIFTY"})),
            Rule.INSTRUMENT,
        ),
        (
            BUY,
            AccountView(minute_of_day=9 * 60),
            RiskLimits(trading_start_minute=555, trading_end_minute=930),
            Rule.HOURS,
        ),
        (BUY, AccountView(), RiskLimits(max_lots_per_order=1), Rule.LOTS),
        (BUY, AccountView(day_pnl=-5000.0), RiskLimits(daily_loss_limit=5000), Rule.DAILY_LOSS),
        (
            BUY,
            AccountView(positions={"BANKNIFTY": 30, "SENSEX": -20}),
            RiskLimits(max_open_positions=2),
            Rule.OPEN_POSITIONS,
        ),
        (
            OrderIntent(instrument="NIFTY", side=1, lots=30, lot_size=65, freeze_quantity=1800),
            AccountView(can_slice=False),
            RiskLimits(),
            Rule.FREEZE,
        ),
        (
            OrderIntent(instrument="NIFTY", side=1, lots=0, lot_size=65),
            AccountView(),
            RiskLimits(),
            Rule.QUANTITY,
        ),
    ],
)
def test_each_rule_refuses_by_name(intent, account, limits, rule) -> None:
    decision = risk_check(intent, account, limits)
    assert not decision.allowed
    assert decision.rule == rule
    assert decision.message


def test_halted_refuses_even_an_exit() -> None:
    decision = risk_check(
        SELL_ALL, AccountView(state=TradingState.HALTED, positions=LONG), RiskLimits()
    )
    assert decision.rule == Rule.HALTED and decision.is_exit


@pytest.mark.parametrize(
    ("account", "limits"),
    [
        (AccountView(state=TradingState.REDUCING, positions=LONG), RiskLimits()),
        (AccountView(day_pnl=-10_000.0, positions=LONG), RiskLimits(daily_loss_limit=5000)),
        (AccountView(positions=LONG), RiskLimits(allowed_instruments=frozenset({"SENSEX"}))),
        (
            AccountView(positions={**LONG, "BANKNIFTY": 30}),
            RiskLimits(max_open_positions=1),
        ),
    ],
)
def test_exits_pass_what_entries_may_not(account, limits) -> None:
    decision = risk_check(SELL_ALL, account, limits)
    assert decision.allowed and decision.is_exit


def test_a_sell_bigger_than_the_position_is_not_an_exit() -> None:
    flip = OrderIntent(instrument="NIFTY", side=-1, lots=3, lot_size=65)
    assert not is_exit(flip, 130)
    decision = risk_check(
        flip, AccountView(state=TradingState.REDUCING, positions=LONG), RiskLimits()
    )
    assert decision.rule == Rule.REDUCING


def test_above_the_freeze_quantity_slices_where_the_broker_can() -> None:
    big = OrderIntent(instrument="NIFTY", side=1, lots=30, lot_size=65, freeze_quantity=1800)
    decision = risk_check(big, AccountView(can_slice=True), RiskLimits())
    assert decision.allowed and decision.slice


def test_adding_to_an_open_position_opens_no_new_one() -> None:
    decision = risk_check(BUY, AccountView(positions=LONG), RiskLimits(max_open_positions=1))
    assert decision.allowed


def test_hours_are_half_open() -> None:
    limits = RiskLimits(trading_start_minute=555, trading_end_minute=930)
    assert risk_check(BUY, AccountView(minute_of_day=555), limits).allowed
    assert risk_check(BUY, AccountView(minute_of_day=929), limits).allowed
    assert risk_check(BUY, AccountView(minute_of_day=930), limits).rule == Rule.HOURS


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_lots_per_order": 0},
        {"daily_loss_limit": 0},
        {"max_open_positions": -1},
        {"trading_start_minute": 600},
        {"trading_start_minute": 900, "trading_end_minute": 600},
    ],
)
def test_limits_refuse_nonsense(kwargs) -> None:
    with pytest.raises(ValueError):
        RiskLimits(**kwargs)


@given(
    side=st.sampled_from([1, -1]),
    lots=st.integers(1, 50),
    position=st.integers(-5000, 5000),
    state=st.sampled_from(list(TradingState)),
    pnl=st.floats(-1e6, 1e6),
)
def test_the_gate_is_total_and_names_every_refusal(side, lots, position, state, pnl) -> None:
    intent = OrderIntent(instrument="NIFTY", side=side, lots=lots, lot_size=65)
    account = AccountView(state=state, day_pnl=pnl, positions={"NIFTY": position})
    decision = risk_check(intent, account, RiskLimits(daily_loss_limit=1000, max_lots_per_order=20))
    assert decision.allowed == (decision.rule is None)
    if state == TradingState.HALTED:
        assert not decision.allowed
    if decision.allowed and state == TradingState.REDUCING:
        assert decision.is_exit and abs(position) >= intent.quantity
