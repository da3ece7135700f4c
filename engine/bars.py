"""Bars: the one price container every engine module takes.

Timestamps are int64 nanoseconds since the epoch in UTC (numpy ``datetime64[ns]``
viewed as int64), so numba kernels can use them directly; market logic converts
to ``Asia/Kolkata`` where it needs the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

IST = "Asia/Kolkata"
FIELDS = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True, slots=True)
class Bars:
    """OHLCV columns of equal length; ``ts`` is int64 ns UTC, bar-start labelled."""

    ts: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.ts)
        for name in FIELDS:
            if len(getattr(self, name)) != n:
                size = len(getattr(self, name))
                raise ValueError(f"bars column '{name}' has {size} rows, ts has {n}")

    def __len__(self) -> int:
        return len(self.ts)

    def field(self, name: str) -> np.ndarray:
        """A price source by name: a column or one of hl2, hlc3, ohlc4."""
        if name in FIELDS:
            return getattr(self, name)
        if name == "hl2":
            return (self.high + self.low) / 2.0
        if name == "hlc3":
            return (self.high + self.low + self.close) / 3.0
        if name == "ohlc4":
            return (self.open + self.high + self.low + self.close) / 4.0
        raise KeyError(f"unknown price field '{name}'")

    def slice(self, start: int, stop: int) -> Bars:
        return Bars(*(getattr(self, f)[start:stop] for f in ("ts", *FIELDS)))

    def index_ist(self) -> pd.DatetimeIndex:
        """The timestamps as an ``Asia/Kolkata`` DatetimeIndex."""
        return pd.DatetimeIndex(self.ts.astype("datetime64[ns]")).tz_localize("UTC").tz_convert(IST)

    def to_frame(self) -> pd.DataFrame:
        data = {f: getattr(self, f) for f in FIELDS}
        return pd.DataFrame(data, index=self.index_ist())

    @classmethod
    def from_arrays(
        cls,
        ts: np.ndarray,
        open: np.ndarray,
        high: np.ndarray,
        low: np.ndarray,
        close: np.ndarray,
        volume: np.ndarray | None = None,
    ) -> Bars:
        c = np.ascontiguousarray(close, dtype=np.float64)
        vol = np.zeros_like(c) if volume is None else np.ascontiguousarray(volume, dtype=np.float64)
        return cls(
            ts=np.ascontiguousarray(ts, dtype=np.int64),
            open=np.ascontiguousarray(open, dtype=np.float64),
            high=np.ascontiguousarray(high, dtype=np.float64),
            low=np.ascontiguousarray(low, dtype=np.float64),
            close=c,
            volume=vol,
        )

    @classmethod
    def from_frame(cls, df: pd.DataFrame, tz: str = IST) -> Bars:
        """From a frame indexed by time; a naive index is read in ``tz``."""
        idx = pd.DatetimeIndex(df.index)
        idx = idx.tz_localize(tz) if idx.tz is None else idx
        ts = idx.tz_convert("UTC").as_unit("ns").asi8
        cols = {c.lower(): c for c in df.columns}
        missing = [f for f in FIELDS[:4] if f not in cols]
        if missing:
            raise ValueError(f"bars frame lacks column(s): {', '.join(missing)}")
        vol = df[cols["volume"]].to_numpy() if "volume" in cols else None
        return cls.from_arrays(ts, *(df[cols[f]].to_numpy() for f in FIELDS[:4]), volume=vol)


def load_csv(path: str | Path, tz: str = IST, time_column: str | None = None) -> Bars:
    """Read a CSV (optionally gzipped) with a time column and open/high/low/close[/volume].

    The first column is the time unless ``time_column`` names another; naive
    times are read in ``tz`` (IST by default, as NSE files are).
    """
    df = pd.read_csv(path)
    col = time_column or df.columns[0]
    df.index = pd.DatetimeIndex(pd.to_datetime(df.pop(col)))
    return Bars.from_frame(df, tz=tz)
