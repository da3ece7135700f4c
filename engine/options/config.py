"""How a run prices and margins its option legs (``SimConfig.options``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from engine.options.contracts import OptionChainSource

PremiumSource = Literal["real", "model", "real_then_model"]
PREMIUM_SOURCES: tuple[str, ...] = ("real", "model", "real_then_model")
DEFAULT_RATE = 0.065  # annual, continuously compounded; close to India's 91-day T-bill yield
DEFAULT_SHORT_MARGIN_PCT = 15.0  # of the underlying's notional per short leg (docs/adr/0014)


class LegError(ValueError):
    """A leg that cannot be resolved or priced; the message names the leg, contract and time."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OptionsConfig:
    """``premium_source``: ``real`` reads stored candles of the resolved contract through
    ``chain`` (a bar without one is an error); ``model`` prices Black-76 from the underlying
    with ``iv`` and ``rate``; ``real_then_model`` uses stored candles where they exist and the
    model elsewhere, recording which on every trade.

    ``iv``: annualised implied volatility (0.14 is 14%), a constant or a series indexed by
    tz-aware timestamps (carried forward to each bar; India VIX / 100, say).
    ``underlying``: the calendar name legs without their own ``underlying`` trade (the run's
    instrument). ``short_margin_pct``: percent of the underlying's notional (spot x units)
    blocked by each short leg; a buy needs its premium.
    """

    premium_source: PremiumSource = "model"
    iv: float | pd.Series | None = None
    rate: float = DEFAULT_RATE
    chain: OptionChainSource | None = None
    underlying: str | None = None
    short_margin_pct: float = DEFAULT_SHORT_MARGIN_PCT
    strikes_searched: int = 30  # strikes each side of ATM a premium/delta search reads

    def __post_init__(self) -> None:
        if self.premium_source not in PREMIUM_SOURCES:
            raise ValueError(
                f"premium_source must be one of {', '.join(PREMIUM_SOURCES)}, "
                f"got {self.premium_source!r}"
            )
        if self.premium_source != "real" and self.iv is None:
            raise ValueError(f"premium_source '{self.premium_source}' needs an iv input")
        if self.premium_source != "model" and self.chain is None:
            raise ValueError(
                f"premium_source '{self.premium_source}' needs an option chain "
                "(stored contracts and their candles)"
            )
        if isinstance(self.iv, int | float) and not (0 < self.iv <= 5):
            raise ValueError(f"iv must be above 0 and at most 5 (500%), got {self.iv!r}")
        if not (math.isfinite(self.rate) and -0.5 < self.rate < 1):
            raise ValueError(f"rate must be between -0.5 and 1 (annual), got {self.rate!r}")
        if not (0 < self.short_margin_pct <= 100):
            raise ValueError("short_margin_pct must be above 0 and at most 100")
        if self.strikes_searched < 1:
            raise ValueError("strikes_searched must be >= 1")

    def iv_at(self, ts_ns: np.ndarray) -> np.ndarray:
        """The volatility in force at each bar (UTC ns); a series is carried forward."""
        if self.iv is None:
            return np.full(len(ts_ns), np.nan)
        if not isinstance(self.iv, pd.Series):
            return np.full(len(ts_ns), float(self.iv))
        series = self.iv.sort_index()
        idx = series.index
        times = pd.DatetimeIndex(np.asarray(ts_ns, dtype="datetime64[ns]")).tz_localize("UTC")
        if idx.tz is None:
            raise ValueError("the iv series needs a tz-aware index")
        pos = idx.searchsorted(times, side="right") - 1
        values = series.to_numpy(dtype=float)
        out = np.where(pos >= 0, values[np.maximum(pos, 0)], np.nan)
        if np.any(~np.isfinite(out) | (out <= 0)):
            first = times[int(np.argmax(~np.isfinite(out) | (out <= 0)))]
            raise LegError(f"the iv series has no positive value at or before {first}")
        if np.any(out > 5):
            at = int(np.argmax(out > 5))
            raise LegError(
                f"the iv series reads {out[at]:g} at {times[at]}: give annualised volatility "
                "as a fraction (0.14 for 14%)"
            )
        return out
