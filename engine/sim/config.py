"""Run configuration: fills, sizing, slippage and fees; compiled to the kernel's vector."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from engine.fees import BaseFees, get_fee_model
from engine.options.config import OptionsConfig
from engine.signals import Level, RiskSettings
from engine.sim import layout as L

FillPolicy = Literal["next_open", "close"]
OrderType = Literal["market", "limit", "stop"]
SizingMode = Literal["fixed", "lots", "percent", "all_in"]
EndOfData = Literal["close_at_close", "close_at_open", "keep_open"]
END_OF_DATA: dict[str, int] = {
    "close_at_close": L.END_CLOSE_AT_CLOSE,
    "close_at_open": L.END_CLOSE_AT_OPEN,
    "keep_open": L.END_KEEP_OPEN,
}
_SIZE_CODES = {
    "fixed": L.SIZE_FIXED,
    "lots": L.SIZE_LOTS,
    "percent": L.SIZE_PERCENT,
    "all_in": L.SIZE_ALL_IN,
}
_ORDER_CODES = {"market": L.ORDER_MARKET, "limit": L.ORDER_LIMIT, "stop": L.ORDER_STOP}


@dataclass(frozen=True, slots=True, kw_only=True)
class Sizing:
    """``fixed``: ``value`` units; ``lots``: ``value`` lots of ``lot_size``; ``percent``:
    ``value``% of equity; ``all_in``: all equity in whole lots after commission.

    ``lot_symbol`` (e.g. "NIFTY"): take each bar's lot from the exchange calendar on the bar's
    IST date instead of ``lot_size``, so a run spanning a lot revision sizes each entry with
    the lot in force when it fills."""

    mode: SizingMode = "all_in"
    value: float = 1.0
    lot_size: float = 1.0
    lot_symbol: str | None = None

    @property
    def dated_lots(self) -> str | None:
        """The symbol whose dated lots sizing reads; None when it reads no lot (``fixed``)."""
        return None if self.mode == "fixed" else self.lot_symbol

    def __post_init__(self) -> None:
        if self.mode not in _SIZE_CODES:
            raise ValueError(f"sizing mode must be one of {sorted(_SIZE_CODES)}, got {self.mode!r}")
        if self.value <= 0 or self.lot_size <= 0:
            raise ValueError("sizing value and lot_size must be > 0")


@dataclass(frozen=True, slots=True, kw_only=True)
class Slippage:
    """Adverse price move per market/stop fill: ``ticks`` x ``tick_size`` plus ``bps``."""

    ticks: float = 0.0
    tick_size: float = 0.05
    bps: float = 0.0

    def __post_init__(self) -> None:
        if self.ticks < 0 or self.bps < 0 or self.tick_size < 0:
            raise ValueError("slippage must be >= 0")


@dataclass(frozen=True, slots=True, kw_only=True)
class SimConfig:
    initial_cash: float = 100_000.0
    fill: FillPolicy = "next_open"
    entry_order: OrderType = "market"
    entry_offset: Level | None = None  # limit/stop distance from the signal bar's close
    order_valid_bars: int = 1
    sizing: Sizing = field(default_factory=Sizing)
    fees: BaseFees | str = "zero"
    slippage: Slippage = field(default_factory=Slippage)
    margin: float = 1.0  # blocked fraction of notional (1.0 cash; 0.15 for a future, say)
    stop_first: bool = True  # when a bar touches both stop and target
    pyramiding: int = 1  # max entries per direction; 1 is off
    # What happens to a position still open on the last bar: closed at its close (reason
    # ``end``), at its open (as backtesting.py's finalize_trades), or kept open, marked to
    # market and reported as ``open_position`` rather than as a trade.
    end_of_data: EndOfData = "close_at_close"
    allow_long: bool = True
    allow_short: bool = True
    timezone: str = "Asia/Kolkata"  # wall clock for square-off and trading days
    # How option legs are priced and margined; required when the strategy has legs.
    options: OptionsConfig | None = None

    def __post_init__(self) -> None:
        if self.fill not in ("next_open", "close"):
            raise ValueError(f"fill must be 'next_open' or 'close', got {self.fill!r}")
        if self.entry_order not in _ORDER_CODES:
            raise ValueError(f"entry_order must be one of {sorted(_ORDER_CODES)}")
        if self.initial_cash <= 0 or self.margin <= 0:
            raise ValueError("initial_cash and margin must be > 0")
        if self.pyramiding < 1 or self.order_valid_bars < 1:
            raise ValueError("pyramiding and order_valid_bars must be >= 1")
        if self.end_of_data not in END_OF_DATA:
            raise ValueError(
                f"end_of_data must be one of {', '.join(END_OF_DATA)}, got {self.end_of_data!r}"
            )

    @property
    def end_mode(self) -> int:
        """The kernel's ``END_*`` code for :attr:`end_of_data`."""
        return END_OF_DATA[self.end_of_data]

    def fee_model(self) -> BaseFees:
        return get_fee_model(self.fees) if isinstance(self.fees, str) else self.fees


def square_off_minute(hhmm: str | None) -> int:
    """'15:25' -> 925; None -> -1."""
    if hhmm is None:
        return -1
    try:
        hh, mm = (int(x) for x in hhmm.split(":"))
    except ValueError:
        raise ValueError(f"square_off must be 'HH:MM', got {hhmm!r}") from None
    if not (0 <= hh < 24 and 0 <= mm < 60):
        raise ValueError(f"square_off must be 'HH:MM', got {hhmm!r}")
    return hh * 60 + mm


def build_params(config: SimConfig, risk: RiskSettings | None = None) -> np.ndarray:
    risk = risk or RiskSettings()
    p = np.zeros(L.NP)
    p[L.P_FILL_CLOSE] = 1.0 if config.fill == "close" else 0.0
    p[L.P_ORDER_TYPE] = _ORDER_CODES[config.entry_order]
    _level(p, config.entry_offset, L.P_ORDER_OFF, L.P_ORDER_OFF_PCT, default=0.0)
    p[L.P_ORDER_VALID] = config.order_valid_bars
    _level(p, risk.stop_loss, L.P_SL, L.P_SL_PCT)
    _level(p, risk.target, L.P_TP, L.P_TP_PCT)
    _level(p, risk.trailing_stop, L.P_TR, L.P_TR_PCT)
    p[L.P_MAX_DAY] = -1.0 if risk.max_trades_per_day is None else risk.max_trades_per_day
    p[L.P_DAY_LOSS] = _opt(risk.daily_max_loss)
    p[L.P_TRADE_LOSS] = _opt(risk.per_trade_max_loss)
    p[L.P_COOLDOWN] = risk.cooldown_bars
    p[L.P_MIN_HOLD] = risk.min_hold_bars
    p[L.P_STOP_FIRST] = 1.0 if config.stop_first else 0.0
    p[L.P_PYRAMID] = config.pyramiding
    p[L.P_SIZE_MODE] = _SIZE_CODES[config.sizing.mode]
    p[L.P_SIZE_VALUE] = config.sizing.value
    p[L.P_LOT] = config.sizing.lot_size
    p[L.P_MARGIN] = config.margin
    p[L.P_SLIP_TICKS] = config.slippage.ticks
    p[L.P_TICK] = config.slippage.tick_size
    p[L.P_SLIP_BPS] = config.slippage.bps
    p[L.P_ALLOW_LONG] = 1.0 if config.allow_long else 0.0
    p[L.P_ALLOW_SHORT] = 1.0 if config.allow_short else 0.0
    p[L.P_SQ] = square_off_minute(risk.square_off)
    p[L.P_INIT_CASH] = config.initial_cash
    _intraday(p, risk)
    levels = (L.P_SL, L.P_TP, L.P_TR, L.P_TRADE_LOSS, L.P_BE)
    has = any(not math.isnan(p[k]) for k in levels)
    has = has or p[L.P_LEVEL_SL] > 0 or p[L.P_LEVEL_TP] > 0 or p[L.P_DAY_LOSS_BAR] > 0
    p[L.P_HAS_EXITS] = 1.0 if has else 0.0
    return p


DEFAULT_EXIT_PRIORITY = ("daily_loss", "trade_loss", "stop", "target", "trailing")


def exit_ranks(priority: tuple[str, ...]) -> list[int]:
    """Rank (0 first) of each ``layout.RULE_*``: the listed rules in order, then the rest in
    :data:`DEFAULT_EXIT_PRIORITY` order."""
    unknown = set(priority) - set(L.RULE_NAMES)
    if unknown:
        raise ValueError(f"unknown exit rules {sorted(unknown)}; use {', '.join(L.RULE_NAMES)}")
    order = list(dict.fromkeys((*priority, *DEFAULT_EXIT_PRIORITY)))
    return [order.index(name) for name in L.RULE_NAMES]


def _intraday(p: np.ndarray, risk: RiskSettings) -> None:
    """The issue-15 rules: time units, entry cut-off, graph levels, activation, priority."""
    if risk.cooldown_seconds < 0 or risk.min_hold_seconds < 0:
        raise ValueError("cooldown_seconds and min_hold_seconds must be >= 0")
    p[L.P_COOLDOWN_NS] = risk.cooldown_seconds * 1e9
    p[L.P_MIN_HOLD_NS] = risk.min_hold_seconds * 1e9
    p[L.P_CUTOFF] = square_off_minute(risk.entry_cutoff)
    p[L.P_LEVEL_SL] = 1.0 if risk.stop_at else 0.0
    p[L.P_LEVEL_TP] = 1.0 if risk.target_at else 0.0
    if risk.stop_at and risk.stop_loss is not None:
        raise ValueError("stop_at and stop_loss exclude each other")
    if risk.target_at and risk.target is not None:
        raise ValueError("target_at and target exclude each other")
    _level(p, risk.trailing_activation, L.P_TR_ACT, L.P_TR_ACT_PCT)
    _level(p, risk.move_stop_to_cost, L.P_BE, L.P_BE_PCT)
    if risk.daily_loss_check not in ("close", "bar"):
        raise ValueError(
            f"daily_loss_check must be 'close' or 'bar', got {risk.daily_loss_check!r}"
        )
    p[L.P_DAY_LOSS_BAR] = 1.0 if risk.daily_loss_check == "bar" else 0.0
    p[L.P_PRIO] = 0.0 if risk.exit_priority is None else 1.0
    ranks = exit_ranks(risk.exit_priority or ())
    p[L.P_RANK : L.P_RANK + L.NRULES] = ranks


def has_risk_rules(config: SimConfig, risk: RiskSettings | None) -> bool:
    """True when any rule beyond plain signal-to-signal trading applies: protective levels,
    guardrails, square-off, cut-off, cooldown or hold (in bars or time), graph levels. A fast
    path for rule-free runs tests this one predicate, so a new rule must be added here."""
    del config  # fills, sizing and fees are not risk rules; kept for a stable signature
    if risk is None:
        return False
    return risk != RiskSettings(
        group_stop_loss=risk.group_stop_loss, group_target=risk.group_target
    )


def needs_calendar(risk: RiskSettings | None) -> bool:
    """Day ids and minutes are only computed when a rule uses them (saves time on 1M bars)."""
    if risk is None:
        return False
    return (
        risk.square_off is not None
        or risk.max_trades_per_day is not None
        or risk.daily_max_loss is not None
        or risk.entry_cutoff is not None
    )


def _level(
    p: np.ndarray, level: Level | None, at: int, pct_at: int, default: float = math.nan
) -> None:
    if level is None:
        p[at] = default
        return
    if level.value < 0 or level.unit not in ("points", "percent"):
        raise ValueError(f"bad level {level!r}: value must be >= 0, unit points or percent")
    p[at] = level.value
    p[pct_at] = 1.0 if level.unit == "percent" else 0.0


def _opt(value: float | None) -> float:
    if value is None:
        return math.nan
    if value < 0:
        raise ValueError(f"guardrail amounts must be >= 0, got {value}")
    return float(value)
