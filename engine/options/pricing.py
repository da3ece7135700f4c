"""Model premiums: Black-76 on the forward, time to expiry in trading minutes.

An index option settles on the index at expiry, so its fair value is Black-76 on the
forward ``F = S·e^(rT)`` discounted at ``r`` (which equals Black-Scholes on the spot with no
dividend yield). Time is counted in *trading* minutes, not calendar time: a NIFTY weekly
loses value over its remaining sessions, not over a weekend. A year is
``TRADING_DAYS_PER_YEAR`` sessions of ``SESSION_MINUTES``.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
from numba import njit

from engine.markets import calendar

SESSION_MINUTES = 375  # 09:15-15:30 IST
TRADING_DAYS_PER_YEAR = 252
YEAR_MINUTES = float(SESSION_MINUTES * TRADING_DAYS_PER_YEAR)
_CLOSE_MINUTE = 15 * 60 + 30
_OPEN_MINUTE = 9 * 60 + 15
_MIN_NS = 60_000_000_000
_IST_OFFSET_MIN = 330
_EPOCH = date(1970, 1, 1)


@njit(cache=True, _nrt=False)
def _ncdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


@njit(cache=True, _nrt=False)
def black76_one(fwd: float, strike: float, t: float, vol: float, rate: float, call: bool) -> float:
    """Discounted Black-76 price; at ``t <= 0`` or ``vol <= 0`` the discounted intrinsic."""
    disc = math.exp(-rate * max(t, 0.0))
    if t <= 0.0 or vol <= 0.0:
        return disc * max(fwd - strike, 0.0) if call else disc * max(strike - fwd, 0.0)
    sd = vol * math.sqrt(t)
    d1 = (math.log(fwd / strike) + 0.5 * sd * sd) / sd
    d2 = d1 - sd
    if call:
        return disc * (fwd * _ncdf(d1) - strike * _ncdf(d2))
    return disc * (strike * _ncdf(-d2) - fwd * _ncdf(-d1))


@njit(cache=True)
def black76(
    spot: np.ndarray, strike: float, t: np.ndarray, vol: np.ndarray, rate: float, call: bool
) -> np.ndarray:
    """Premiums for arrays of spot, years to expiry and volatility (one strike)."""
    out = np.empty(len(spot))
    for i in range(len(spot)):
        fwd = spot[i] * math.exp(rate * max(t[i], 0.0))
        out[i] = black76_one(fwd, strike, t[i], vol[i], rate, call)
    return out


def forward(spot: float, t: float, rate: float) -> float:
    """The cost-of-carry forward of an index (no dividend yield) ``t`` years out."""
    return spot * math.exp(rate * max(t, 0.0))


def delta(spot: float, strike: float, t: float, vol: float, rate: float, call: bool) -> float:
    """Spot delta of the discounted Black-76 price (= Black-Scholes delta, no dividends)."""
    if t <= 0.0 or vol <= 0.0:
        itm = spot > strike if call else spot < strike
        return (1.0 if call else -1.0) if itm else 0.0
    sd = vol * math.sqrt(t)
    d1 = (math.log(forward(spot, t, rate) / strike) + 0.5 * sd * sd) / sd
    return _ncdf(d1) if call else _ncdf(d1) - 1.0


def years_to_expiry(ts_ns: np.ndarray, expiry: date, exchange: str = "NSE") -> np.ndarray:
    """Trading years from each instant (UTC ns) to ``expiry`` 15:30 IST.

    Minutes left in the instant's own session (0 outside it after the close, the whole
    session before the open) plus a full session for each trading day after it up to and
    including the expiry day; 0 from the expiry's close on.
    """
    ts = np.asarray(ts_ns, dtype=np.int64)
    if len(ts) == 0:
        return np.zeros(0)
    local = ts // _MIN_NS + _IST_OFFSET_MIN
    day = local // 1440
    minute = local % 1440
    today = np.clip(_CLOSE_MINUTE - np.maximum(minute, _OPEN_MINUTE), 0, SESSION_MINUTES)
    exp_day = (expiry - _EPOCH).days
    first = _EPOCH.toordinal() + int(day.min())
    days = calendar.trading_days(date.fromordinal(first), expiry, exchange)
    ordinals = np.array([(d - _EPOCH).days for d in days], dtype=np.int64)
    # trading days strictly after each bar's day, up to the expiry day inclusive
    after = len(ordinals) - np.searchsorted(ordinals, day, side="right")
    minutes = np.where(day > exp_day, 0, today + SESSION_MINUTES * after)
    return minutes.astype(np.float64) / YEAR_MINUTES
