"""The one charge formula, compiled with numba so the simulator and Python agree.

Every fee model reduces to rows of :data:`NF` rates (see ``base.FeeRates``); this
function turns one row plus a fill's turnover and side into charge components.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# Rate-row layout (fractions of turnover; brokerage = min(flat, pct x turnover)).
F_BROK_FLAT = 0
F_BROK_PCT = 1
F_STT_SELL = 2
F_STT_BUY = 3
F_EXCH = 4
F_SEBI = 5
F_IPFT = 6
F_STAMP_BUY = 7
F_GST = 8
F_ROUND = 9  # 1: STT and stamp to the rupee, the rest to the paisa; 0: no rounding
NF = 10

# Component layout of the output vector.
C_BROKERAGE = 0
C_STT = 1
C_EXCHANGE = 2
C_SEBI = 3
C_IPFT = 4
C_STAMP = 5
C_GST = 6
NC = 7
COMPONENTS = ("brokerage", "stt", "exchange", "sebi", "ipft", "stamp_duty", "gst")


@njit(cache=True, _nrt=False)
def _round(x: float, scale: float) -> float:
    # Half-up; the small epsilon absorbs binary noise such as 12.4999999999.
    return math.floor(x * scale + 0.5 + 1e-7) / scale


@njit(cache=True, _nrt=False)
def charges(row: np.ndarray, turnover: float, is_buy: bool, out: np.ndarray) -> float:
    """Fill ``out`` with the NC components for one executed order; return their sum."""
    out[C_BROKERAGE] = min(row[F_BROK_FLAT], row[F_BROK_PCT] * turnover)
    out[C_STT] = turnover * (row[F_STT_BUY] if is_buy else row[F_STT_SELL])
    out[C_EXCHANGE] = turnover * row[F_EXCH]
    out[C_SEBI] = turnover * row[F_SEBI]
    out[C_IPFT] = turnover * row[F_IPFT]
    out[C_STAMP] = turnover * row[F_STAMP_BUY] if is_buy else 0.0
    if row[F_ROUND] > 0:
        out[C_STT] = _round(out[C_STT], 1.0)
        out[C_STAMP] = _round(out[C_STAMP], 1.0)
        for k in (C_BROKERAGE, C_EXCHANGE, C_SEBI, C_IPFT):
            out[k] = _round(out[k], 100.0)
    base = out[C_BROKERAGE] + out[C_EXCHANGE] + out[C_SEBI] + out[C_IPFT]
    out[C_GST] = base * row[F_GST]
    if row[F_ROUND] > 0:
        out[C_GST] = _round(out[C_GST], 100.0)
    total = 0.0
    for k in range(NC):
        total += out[k]
    return total
