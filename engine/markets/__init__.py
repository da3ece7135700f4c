"""Indian market facts as code: the exchange calendar and a synthetic bar generator."""

from engine.markets.calendar import (
    IST,
    Session,
    covers,
    exchange_of,
    expiry_dates,
    holidays,
    is_expiry_day,
    is_trading_day,
    known_years,
    lot_size,
    next_expiry,
    next_trading_day,
    previous_trading_day,
    session,
    session_minute_index,
    strike_step,
    trading_days,
)
from engine.markets.synthetic import synthetic_bars, synthetic_frame

__all__ = [
    "IST",
    "Session",
    "covers",
    "exchange_of",
    "expiry_dates",
    "holidays",
    "is_expiry_day",
    "is_trading_day",
    "known_years",
    "lot_size",
    "next_expiry",
    "next_trading_day",
    "previous_trading_day",
    "session",
    "session_minute_index",
    "strike_step",
    "synthetic_bars",
    "synthetic_frame",
    "trading_days",
]
