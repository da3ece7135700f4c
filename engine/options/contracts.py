"""What the engine needs to know of option contracts and where their premiums come from.

The engine stays pure (ADR 0001): it never reads the database. A backtest hands it an
``OptionChainSource``; ``marketdata.options.stored_chain`` implements one over stored
instruments and candles, tests implement one in memory. Both the strike selector and the
``real`` premium source read only through this protocol, so the same leg resolves the same
contract in a backtest, the CLI and a live session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, Protocol, runtime_checkable

import pandas as pd

Right = Literal["CE", "PE"]


@dataclass(frozen=True, slots=True)
class OptionContract:
    """One listed option series. ``lot_size`` is the contract's own (fixed at listing)."""

    symbol: str
    underlying: str
    expiry: date
    strike: float
    right: Right
    lot_size: int
    tick_size: float = 0.05
    exchange: str = "NSE"
    security_id: str = ""

    @property
    def key(self) -> tuple[str, date, float, str]:
        return (self.underlying, self.expiry, self.strike, self.right)


@runtime_checkable
class OptionChainSource(Protocol):
    """Contracts listed on a day and the stored premiums of one contract."""

    def contracts(self, underlying: str, on: date) -> Sequence[OptionContract]:
        """Every contract of ``underlying`` tradable on ``on`` (listed, not yet expired)."""
        ...

    def premiums(
        self, contract: OptionContract, start: datetime, end: datetime, timeframe: str
    ) -> pd.DataFrame | None:
        """Stored OHLC(+volume, oi when known) candles of ``contract`` in ``[start, end]``.

        Indexed by tz-aware Asia/Kolkata bar-open timestamps, columns open/high/low/close
        (floats); ``None`` when nothing is stored. ``timeframe`` uses the graph language's
        names ("1m", "5m", "1d", ...).
        """
        ...
