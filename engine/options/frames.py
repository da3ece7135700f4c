"""In-memory option chains from files: the engine's ``OptionChainSource`` without a database,
for the CLI (``--chain-eod``) and tests.

``FrameChain.from_nse_eod`` reads NSE's "historical contract-wise price volume" CSV (the
format of ``nifty_options_eod_*.csv.gz``: symbol, date, expiry, option_type, strike,
open, high, low, close, ..., contracts). Rows with no contract traded are not candles (NSE
prints zeros for their open/high/low) and are dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from engine.markets import calendar
from engine.options.contracts import OptionContract

IST = "Asia/Kolkata"


class FrameChain:
    """Daily option candles of one file: contracts listed on a day are those with a traded
    row that day; lot sizes come from the calendar (the lot of the trade date)."""

    def __init__(self, rows: pd.DataFrame) -> None:
        rows = rows[rows["contracts"] > 0].copy()
        self.rows = rows
        self._days = dict(iter(rows.groupby("date")))  # a GroupBy has a non-callable .keys
        self.by_key = {
            (str(u), float(k), str(r), e.date()): g.set_index("date").sort_index()
            for (u, k, r, e), g in rows.groupby(["symbol", "strike", "option_type", "expiry"])
        }

    @classmethod
    def from_nse_eod(cls, path: str | Path) -> FrameChain:
        frame = pd.read_csv(path, parse_dates=["date", "expiry"])
        missing = {
            "symbol",
            "date",
            "expiry",
            "option_type",
            "strike",
            "open",
            "high",
            "low",
            "close",
            "contracts",
        } - set(frame.columns)
        if missing:
            raise ValueError(f"{path} is not an NSE contract-wise EOD file: no {sorted(missing)}")
        frame["date"] = frame["date"].dt.tz_localize(IST)
        frame["symbol"] = frame["symbol"].str.strip().str.upper()
        return cls(frame)

    def contracts(self, underlying: str, on: date) -> Sequence[OptionContract]:
        day = self._days.get(pd.Timestamp(on, tz=IST))
        if day is None:
            return []
        day = day[day["symbol"] == underlying.upper()]
        lot = calendar.lot_size(underlying, on)
        return [
            OptionContract(
                symbol=f"{u}{e:%y%b}{k:g}{r}".upper(),
                underlying=u,
                expiry=e.date(),
                strike=float(k),
                right=r,
                lot_size=lot,
            )
            for u, k, r, e in day[["symbol", "strike", "option_type", "expiry"]].itertuples(
                index=False
            )
        ]

    def premiums(
        self, contract: OptionContract, start: datetime, end: datetime, timeframe: str
    ) -> pd.DataFrame | None:
        if timeframe != "1d":
            raise ValueError(f"an EOD chain has daily candles only, not {timeframe}")
        g = self.by_key.get((contract.underlying, contract.strike, contract.right, contract.expiry))
        if g is None:
            return None
        lo, hi = pd.Timestamp(start), pd.Timestamp(end)
        lo = lo.tz_localize(IST) if lo.tz is None else lo
        hi = hi.tz_localize(IST) if hi.tz is None else hi
        return g.loc[(g.index >= lo) & (g.index <= hi), ["open", "high", "low", "close"]]
