"""Seeded synthetic index bars with an Indian intraday shape.

The model, all vectorised over a (days x session-minutes) matrix:

* daily variance follows GARCH(1,1) (``alpha=0.08, beta=0.90``) driven by each day's total
  return, so calm and turbulent weeks cluster; this is the only loop, one step per day;
* inside a day, a per-minute log-volatility AR(1) (``phi=0.97``) adds intraday clustering, and a
  U-shaped profile (fitted by eye to NIFTY 2021-2023 1-min bars: first minute about 4x the
  midday level, a mild rise into the close) scales it; the day's intraday variance is held at
  its GARCH share;
* about 30% of daily variance is an overnight gap (NIFTY 2021-2023 shows about 35%);
* minute shocks are Student-t (5 d.o.f.), so tails are fat;
* each bar's high and low are drawn from the exact Brownian-bridge extremes given its open and
  close, so ``high >= max(open, close) >= min(open, close) >= low > 0`` by construction;
* volume is U-shaped too (heavier at the close), scales with the day's volatility and the bar's
  absolute move, with lognormal noise.

Bars start at session open (09:15 IST) on each trading day of :mod:`engine.markets.calendar`:
375 one-minute bars per regular session; ``timeframe_minutes`` aggregates from the open, the last
bar of a session may be short (60-minute bars start 09:15 ... 15:15). Same arguments, same bars.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd

from engine.bars import Bars
from engine.markets.calendar import IST_OFFSET_NS, MINUTE_NS, Session, session, trading_days

DAY_NS = np.int64(86_400 * 1_000_000_000)
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
REGULAR_MINUTES = 375

GARCH_ALPHA = 0.08
GARCH_BETA = 0.90
OVERNIGHT_SHARE = 0.30
LOGVOL_PHI = 0.97
LOGVOL_SD = 0.35
T_DOF = 5.0

__all__ = ["synthetic_bars", "synthetic_frame"]


@lru_cache(maxsize=64)
def _session_minutes(s: Session) -> tuple[np.ndarray, np.ndarray]:
    """Minute-of-day of each 1-min bar start, and the start minute of its segment."""
    mins, seg = [], []
    for a, b in s.segments:
        lo, hi = a.hour * 60 + a.minute, b.hour * 60 + b.minute
        mins.append(np.arange(lo, hi, dtype=np.int64))
        seg.append(np.full(hi - lo, lo, dtype=np.int64))
    return np.concatenate(mins), np.concatenate(seg)


def _days(start: date, days: int | None, end: date | None, exchange: str, special: bool):
    if (days is None) == (end is None):
        raise ValueError("give exactly one of 'days' or 'end'")
    if end is not None:
        if end < start:
            raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
        return trading_days(start, end, exchange, special=special)
    if days is None or days < 1:
        raise ValueError(f"days must be a positive integer, got {days!r}")
    span = days * 7 // 5 + 30
    while True:
        found = trading_days(start, start + timedelta(days=span), exchange, special=special)
        if len(found) >= days:
            return found[:days]
        span *= 2


def _vol_shape(m: np.ndarray, to_close: np.ndarray) -> np.ndarray:
    return 0.85 + 3.0 * np.exp(-m / 1.5) + 0.8 * np.exp(-m / 45.0) + 0.3 * np.exp(-to_close / 20.0)


def _volume_shape(m: np.ndarray, to_close: np.ndarray) -> np.ndarray:
    return 1.0 + 2.5 * np.exp(-m / 12.0) + 1.5 * np.exp(-to_close / 15.0)


_REG_M = np.arange(REGULAR_MINUTES, dtype=np.float64)
_VOLUME_NORM = float(_volume_shape(_REG_M, REGULAR_MINUTES - 1 - _REG_M).mean())


def synthetic_bars(
    *,
    start: date,
    days: int | None = None,
    end: date | None = None,
    timeframe_minutes: int = 1,
    seed: int = 0,
    start_price: float = 22000.0,
    annual_vol: float = 0.15,
    exchange: str = "NSE",
    special: bool = False,
    mean_volume: float = 50_000.0,
    tick: float = 0.05,
) -> Bars:
    """Synthetic OHLCV bars on the trading days from ``start`` (``days`` of them, or to ``end``).

    ``special=True`` also fills short special sessions (Muhurat, DR drills). ``tick`` rounds
    prices (0 disables rounding); ``mean_volume`` is the average volume of a one-minute bar.
    """
    if timeframe_minutes < 1:
        raise ValueError(f"timeframe_minutes must be >= 1, got {timeframe_minutes}")
    if not start_price > 0:
        raise ValueError(f"start_price must be positive, got {start_price}")
    if not annual_vol >= 0:
        raise ValueError(f"annual_vol must be >= 0, got {annual_vol}")
    day_list = _days(start, days, end, exchange, special)
    rng = np.random.default_rng(seed)
    n_days = len(day_list)
    if n_days == 0:
        empty = np.empty(0)
        return Bars.from_arrays(empty.astype(np.int64), empty, empty, empty, empty, empty)

    # --- layout: one padded row per day ------------------------------------------------------
    sessions = [session(d, exchange) for d in day_list]
    per_day = [_session_minutes(s) for s in sessions]  # type: ignore[arg-type]
    n_min = np.array([len(p[0]) for p in per_day], dtype=np.int64)
    width = int(n_min.max())
    col = np.arange(width, dtype=np.int64)
    valid = col[None, :] < n_min[:, None]
    m_open = np.broadcast_to(col.astype(np.float64), valid.shape)
    to_close = (n_min[:, None] - 1 - col[None, :]).astype(np.float64)

    # --- random draws, always in this order and shape (determinism) ---------------------------
    t_scale = np.sqrt((T_DOF - 2.0) / T_DOF)
    z = rng.standard_t(T_DOF, size=valid.shape) * t_scale
    eps = rng.standard_normal(valid.shape)
    gap_z = rng.standard_t(T_DOF, size=n_days) * t_scale
    u_hi = rng.random(valid.shape)
    u_lo = rng.random(valid.shape)
    v_noise = rng.standard_normal(valid.shape)

    # --- intraday log-volatility AR(1), vectorised across days ---------------------------------
    x = np.empty(valid.shape)
    x[:, 0] = LOGVOL_SD * eps[:, 0]
    innov = LOGVOL_SD * np.sqrt(1.0 - LOGVOL_PHI**2) * eps
    for t in range(1, width):
        x[:, t] = LOGVOL_PHI * x[:, t - 1] + innov[:, t]
    w = _vol_shape(m_open, to_close) * np.exp(x) * valid
    w /= np.sqrt((w * w).sum(axis=1, keepdims=True))  # each day's weights: unit sum of squares

    # --- daily GARCH(1,1) -------------------------------------------------------------------
    var_d = annual_vol**2 / 252.0
    intraday_share = (1.0 - OVERNIGHT_SHARE) * n_min / REGULAR_MINUTES
    gap_share = np.full(n_days, OVERNIGHT_SHARE)
    gap_share[0] = 0.0  # the first bar opens at start_price
    day_z = np.sqrt(gap_share) * gap_z + np.sqrt(intraday_share) * (w * z).sum(axis=1)
    h = np.empty(n_days)
    omega = var_d * (1.0 - GARCH_ALPHA - GARCH_BETA)
    hv = var_d
    for i, dz in enumerate(day_z.tolist()):
        h[i] = hv
        hv = omega + GARCH_ALPHA * hv * dz * dz + GARCH_BETA * hv

    # --- prices -------------------------------------------------------------------------------
    sig = w * np.sqrt(h * intraday_share)[:, None]  # per-bar return sd
    r = sig * z
    gap = np.sqrt(h * gap_share) * gap_z
    inc = r.copy()
    inc[:, 0] += gap
    flat = valid.ravel()
    r_f, inc_f, sig_f = r.ravel()[flat], inc.ravel()[flat], sig.ravel()[flat]
    log_c = np.log(start_price) + np.cumsum(inc_f)
    log_o = log_c - r_f
    # exact Brownian-bridge max/min of a path from 0 to r with variance sig^2
    s2 = 2.0 * sig_f * sig_f
    hi_ext = 0.5 * (r_f + np.sqrt(r_f * r_f - s2 * np.log1p(-u_hi.ravel()[flat])))
    lo_ext = 0.5 * (r_f - np.sqrt(r_f * r_f - s2 * np.log1p(-u_lo.ravel()[flat])))
    o, c = np.exp(log_o), np.exp(log_c)
    hi, lo = np.exp(log_o + hi_ext), np.exp(log_o + lo_ext)
    if tick > 0:
        o, hi, lo, c = (np.maximum(np.round(a / tick) * tick, tick) for a in (o, hi, lo, c))
    hi = np.maximum(hi, np.maximum(o, c))  # guards float round-off only
    lo = np.minimum(lo, np.minimum(o, c))

    # --- volume -------------------------------------------------------------------------------
    shape = _volume_shape(m_open, to_close) / _VOLUME_NORM
    day_level = np.sqrt(h / var_d) if var_d > 0 else np.ones(n_days)
    bar_move = 0.6 + 0.4 * np.abs(z) / np.sqrt(2.0 / np.pi)
    vol = mean_volume * shape * day_level[:, None] * bar_move * np.exp(0.4 * v_noise - 0.08)
    vol = np.maximum(np.round(vol.ravel()[flat]), 1.0)

    # --- timestamps ---------------------------------------------------------------------------
    ordinals = np.array([d.toordinal() for d in day_list], dtype=np.int64)
    midnight_utc = (ordinals - EPOCH_ORDINAL) * DAY_NS - IST_OFFSET_NS
    day_idx = np.repeat(np.arange(n_days), n_min)
    minute_of_day = np.concatenate([p[0] for p in per_day])
    ts = midnight_utc[day_idx] + minute_of_day * MINUTE_NS

    if timeframe_minutes == 1:
        return Bars.from_arrays(ts, o, hi, lo, c, vol)

    seg_start = np.concatenate([p[1] for p in per_day])
    bucket = seg_start + (minute_of_day - seg_start) // timeframe_minutes * timeframe_minutes
    key = day_idx * 1440 + bucket
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    last = np.r_[first[1:] - 1, len(key) - 1]
    return Bars.from_arrays(
        midnight_utc[day_idx[first]] + bucket[first] * MINUTE_NS,
        o[first],
        np.maximum.reduceat(hi, first),
        np.minimum.reduceat(lo, first),
        c[last],
        np.add.reduceat(vol, first),
    )


def synthetic_frame(**kwargs) -> pd.DataFrame:
    """:func:`synthetic_bars` as a DataFrame indexed by IST bar-start time."""
    return synthetic_bars(**kwargs).to_frame()
