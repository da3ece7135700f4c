"""Fee models: declarative, date-versioned rate tables.

A model lists ``(effective_from, FeeRates)`` pairs. The simulator compiles them
into a float table and applies :func:`engine.fees._kernel.charges` per fill, and
:meth:`BaseFees.charges` calls the same function, so a trade's recorded charges
and a hand calculation through this API can never disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

from engine.fees import _kernel as k

Side = Literal["buy", "sell"]
NONE = math.inf  # "no such brokerage leg": min(flat, pct x turnover) ignores it
IST = "Asia/Kolkata"


@dataclass(frozen=True, slots=True, kw_only=True)
class FeeRates:
    """Rates as fractions of turnover (0.0003 is 0.03%); ``inf`` disables a brokerage leg."""

    brokerage_flat: float = NONE
    brokerage_pct: float = NONE
    stt_sell: float = 0.0
    stt_buy: float = 0.0
    exchange: float = 0.0
    sebi: float = 0.0
    ipft: float = 0.0
    stamp_buy: float = 0.0
    gst: float = 0.0
    indian_rounding: bool = False

    def row(self) -> np.ndarray:
        r = np.zeros(k.NF)
        r[k.F_BROK_FLAT] = self.brokerage_flat
        r[k.F_BROK_PCT] = self.brokerage_pct
        r[k.F_STT_SELL], r[k.F_STT_BUY] = self.stt_sell, self.stt_buy
        r[k.F_EXCH], r[k.F_SEBI], r[k.F_IPFT] = self.exchange, self.sebi, self.ipft
        r[k.F_STAMP_BUY], r[k.F_GST] = self.stamp_buy, self.gst
        r[k.F_ROUND] = 1.0 if self.indian_rounding else 0.0
        return r


@dataclass(frozen=True, slots=True)
class Charges:
    """One order's charges by component (currency)."""

    brokerage: float
    stt: float
    exchange: float
    sebi: float
    ipft: float
    stamp_duty: float
    gst: float

    @property
    def total(self) -> float:
        return round(
            self.brokerage
            + self.stt
            + self.exchange
            + self.sebi
            + self.ipft
            + self.stamp_duty
            + self.gst,
            10,
        )

    def to_dict(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in k.COMPONENTS} | {"total": self.total}


@dataclass(frozen=True, slots=True)
class FeeTable:
    """The compiled form: ``starts`` (int64 ns UTC, ascending) and one rate row each."""

    starts: np.ndarray
    rows: np.ndarray

    def row_at(self, ts_ns: int) -> np.ndarray:
        idx = int(np.searchsorted(self.starts, ts_ns, side="right")) - 1
        return self.rows[max(idx, 0)]


class BaseFees:
    """Subclass and implement :meth:`schedule`; name it in ``name`` for the registry."""

    name: ClassVar[str] = "base"

    def schedule(self) -> list[tuple[date, FeeRates]]:
        raise NotImplementedError

    def table(self) -> FeeTable:
        sched = sorted(self.schedule(), key=lambda pair: pair[0])
        if not sched:
            raise ValueError(f"fee model '{self.name}' has an empty schedule")
        starts = [_ist_midnight_ns(d) for d, _ in sched]
        starts[0] = np.iinfo(np.int64).min  # the first row also covers earlier trades
        rows = np.vstack([rates.row() for _, rates in sched])
        return FeeTable(starts=np.asarray(starts, dtype=np.int64), rows=rows)

    def charges(self, *, price: float, qty: float, side: Side, on: date | datetime) -> Charges:
        """Charges for one executed order of ``qty`` at ``price`` on trade date ``on`` (IST)."""
        if price < 0 or qty < 0:
            raise ValueError("price and qty must be non-negative")
        out = np.zeros(k.NC)
        k.charges(self.table().row_at(_ist_midnight_ns(on)), price * qty, side == "buy", out)
        return Charges(*(float(x) for x in out))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


def _ist_midnight_ns(on: date | datetime) -> int:
    day = on.date() if isinstance(on, datetime) else on
    return int(pd.Timestamp(day).tz_localize(IST).tz_convert("UTC").value)
