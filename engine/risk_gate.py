"""The pre-trade risk gate: one pure function that every order passes before a broker sees it.

Manual trades, live sessions and backtests that model a gate all call :func:`risk_check`, so
a rule means the same thing everywhere. It takes plain values and returns a
:class:`RiskDecision`; nothing here reads a clock, a database or a limiter. The caller
supplies what it measured: the wall-clock minute in IST, the day's P&L, the open positions,
and whether the per-account order-rate limiter (10 orders/s, the exchange threshold) had a
slot — the limiter lives in Redis, shared by every process, so it is consulted at the call
site and its answer passed in.

Every refusal names its rule (:class:`Rule`), so an API error, an audit row and a session
log all say which limit stopped the order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class TradingState(StrEnum):
    """An account's trading state. REDUCING lets exits through only; HALTED nothing (the
    broker's kill switch is engaged alongside it where the broker has one)."""

    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"


class Rule(StrEnum):
    HALTED = "halted"
    REDUCING = "reducing_only"
    ORDER_RATE = "max_orders_per_second"
    INSTRUMENT = "allowed_instruments"
    HOURS = "trading_hours"
    LOTS = "max_lots_per_order"
    FREEZE = "freeze_quantity"
    DAILY_LOSS = "daily_loss_limit"
    OPEN_POSITIONS = "max_open_positions"
    QUANTITY = "quantity"


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskLimits:
    """Limits of one account. ``None`` switches a rule off; hours are IST minutes of the day,
    ``[start, end)``."""

    max_lots_per_order: int | None = None
    daily_loss_limit: float | None = None
    max_open_positions: int | None = None
    allowed_instruments: frozenset[str] | None = None
    trading_start_minute: int | None = None
    trading_end_minute: int | None = None
    max_orders_per_second: int = 10

    def __post_init__(self) -> None:
        for name in ("max_lots_per_order", "max_open_positions", "max_orders_per_second"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        if self.daily_loss_limit is not None and not self.daily_loss_limit > 0:
            raise ValueError(f"daily_loss_limit must be > 0, got {self.daily_loss_limit}")
        hours = (self.trading_start_minute, self.trading_end_minute)
        if (hours[0] is None) != (hours[1] is None):
            raise ValueError("trading hours need both a start and an end")
        if hours[0] is not None and not 0 <= hours[0] < hours[1] <= 24 * 60:  # type: ignore[operator]
            raise ValueError("trading hours must satisfy 0 <= start < end <= 1440 minutes")


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderIntent:
    """What is about to be sent. ``side`` is +1 buy, -1 sell; ``quantity`` in units
    (``lots * lot_size``); ``freeze_quantity`` is the exchange's cap per order, in units."""

    instrument: str
    side: int
    lots: int
    lot_size: int
    freeze_quantity: int | None = None

    @property
    def quantity(self) -> int:
        return self.lots * self.lot_size


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountView:
    """What the caller measured about the account just now."""

    state: TradingState = TradingState.ACTIVE
    minute_of_day: int = 0  # IST wall clock
    day_pnl: float = 0.0  # realised + unrealised since the IST day began
    positions: Mapping[str, int] = field(default_factory=dict)  # instrument -> net units
    rate_slot: bool = True  # the shared order-rate limiter had a slot
    can_slice: bool = False  # the broker splits an order above the freeze quantity itself


@dataclass(frozen=True, slots=True)
class RiskDecision:
    allowed: bool
    rule: Rule | None = None
    message: str = ""
    is_exit: bool = False
    slice: bool = False  # send with the broker's slicing (above the freeze quantity)

    def __bool__(self) -> bool:
        return self.allowed


def is_exit(intent: OrderIntent, position: int) -> bool:
    """An order that only reduces the position it trades against (never flips it)."""
    return position != 0 and intent.side * position < 0 and intent.quantity <= abs(position)


def risk_check(intent: OrderIntent, account: AccountView, limits: RiskLimits) -> RiskDecision:
    """Pass or refuse ``intent``; a refusal names the first rule it breaks, in the order
    below (state, rate, instrument, hours, size, then the limits exits are exempt from)."""
    if intent.lots < 1 or intent.lot_size < 1 or intent.side not in (1, -1):
        return _no(Rule.QUANTITY, "an order needs a side and at least one lot")
    exiting = is_exit(intent, account.positions.get(intent.instrument, 0))
    for check in (_state, _rate, _instrument, _hours, _lots):
        refusal = check(intent, account, limits, exiting)
        if refusal is not None:
            return refusal
    if not exiting:
        for check in (_daily_loss, _open_positions):
            refusal = check(intent, account, limits, exiting)
            if refusal is not None:
                return refusal
    return _freeze(intent, account, exiting)


def _no(rule: Rule, message: str, *, exiting: bool = False) -> RiskDecision:
    return RiskDecision(False, rule, message, is_exit=exiting)


def _state(
    intent: OrderIntent, account: AccountView, limits: RiskLimits, exiting: bool
) -> RiskDecision | None:
    if account.state == TradingState.HALTED:
        return _no(
            Rule.HALTED, "trading on this account is halted; resume it first", exiting=exiting
        )
    if account.state == TradingState.REDUCING and not exiting:
        return _no(Rule.REDUCING, "the account only reduces positions now (exits only)")
    return None


def _rate(
    intent: OrderIntent, account: AccountView, limits: RiskLimits, exiting: bool
) -> RiskDecision | None:
    if account.rate_slot:
        return None
    return _no(
        Rule.ORDER_RATE,
        f"more than {limits.max_orders_per_second} orders a second on this account",
        exiting=exiting,
    )


def _instrument(
    intent: OrderIntent, account: AccountView, limits: RiskLimits, exiting: bool
) -> RiskDecision | None:
    allowed = limits.allowed_instruments
    if allowed is None or intent.instrument in allowed or exiting:
        return None  # an exit out of a position may always leave it
    return _no(Rule.INSTRUMENT, f"{intent.instrument} is not in this account's allowed instruments")


def _hours(
    intent: OrderIntent, account: AccountView, limits: RiskLimits, exiting: bool
) -> RiskDecision | None:
    start, end = limits.trading_start_minute, limits.trading_end_minute
    if start is None or end is None or start <= account.minute_of_day < end:
        return None
    return _no(
        Rule.HOURS,
        f"orders are allowed {_hhmm(start)}-{_hhmm(end)} IST only",
        exiting=exiting,
    )


def _lots(
    intent: OrderIntent, account: AccountView, limits: RiskLimits, exiting: bool
) -> RiskDecision | None:
    cap = limits.max_lots_per_order
    if cap is None or intent.lots <= cap:
        return None
    return _no(Rule.LOTS, f"{intent.lots} lots is more than {cap} per order", exiting=exiting)


def _daily_loss(
    intent: OrderIntent, account: AccountView, limits: RiskLimits, exiting: bool
) -> RiskDecision | None:
    limit = limits.daily_loss_limit
    if limit is None or math.isnan(account.day_pnl) or account.day_pnl > -limit:
        return None
    return _no(
        Rule.DAILY_LOSS,
        f"today's loss {-account.day_pnl:.2f} reached the daily limit {limit:.2f}; exits only",
    )


def _open_positions(
    intent: OrderIntent, account: AccountView, limits: RiskLimits, exiting: bool
) -> RiskDecision | None:
    cap = limits.max_open_positions
    if cap is None or account.positions.get(intent.instrument, 0) != 0:
        return None  # adding to an open position opens no new one
    open_now = sum(1 for qty in account.positions.values() if qty != 0)
    if open_now < cap:
        return None
    return _no(Rule.OPEN_POSITIONS, f"{open_now} positions are open; the limit is {cap}")


def _freeze(intent: OrderIntent, account: AccountView, exiting: bool) -> RiskDecision:
    freeze = intent.freeze_quantity
    if freeze is None or intent.quantity <= freeze:
        return RiskDecision(True, is_exit=exiting)
    if account.can_slice:
        return RiskDecision(True, is_exit=exiting, slice=True)
    return _no(
        Rule.FREEZE,
        f"{intent.quantity} units is above the freeze quantity {freeze} and this broker "
        "cannot slice; send smaller orders",
        exiting=exiting,
    )


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


__all__ = [
    "AccountView",
    "OrderIntent",
    "RiskDecision",
    "RiskLimits",
    "Rule",
    "TradingState",
    "is_exit",
    "risk_check",
]
