"""A resolved contract's premium bars, aligned to the underlying's bars, with their source."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time

import numpy as np
import pandas as pd

from engine.bars import Bars
from engine.graph.schema import timeframe_seconds
from engine.markets.calendar import IST
from engine.options.config import LegError, OptionsConfig
from engine.options.contracts import OptionContract
from engine.options.pricing import black76, years_to_expiry

_MIN_NS = 60_000_000_000
_EXPIRY_CLOSE = time(15, 30)


@dataclass(frozen=True, slots=True)
class PremiumSeries:
    """Premium OHLC of one contract for bars ``start .. start + len - 1`` of the run.

    ``real[k]`` is True where the bar came from stored candles. A NaN is a bar with no
    premium (only with the ``real`` source, where reading it is an error)."""

    contract: OptionContract
    start: int
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    real: np.ndarray

    def lists(self) -> dict[str, list[float]]:
        """The four columns as Python lists: the bar loop reads one value at a time, which
        is several times faster from a list than from an array."""
        return {f: getattr(self, f).tolist() for f in ("open", "high", "low", "close")}

    def at(self, i: int, field: str, ts: np.ndarray) -> float:
        value = float(getattr(self, field)[i - self.start])
        if not np.isfinite(value):
            raise LegError(
                f"no premium for {self.contract.symbol} (expiry {self.contract.expiry}, "
                f"strike {self.contract.strike:g} {self.contract.right}) at "
                f"{pd.Timestamp(int(ts[i]), tz='UTC').tz_convert(IST).isoformat()}"
            )
        return value


class PremiumFeed:
    """Builds (and caches) premium series for one run."""

    def __init__(self, bars: Bars, timeframe: str, config: OptionsConfig) -> None:
        self.bars, self.timeframe, self.config = bars, timeframe, config
        seconds = timeframe_seconds(timeframe) or 60
        # Daily bars close at 15:30 whatever their timestamp says.
        self._bar_ns = seconds * 1_000_000_000 if seconds < 86_400 else None
        self.vol = config.iv_at(bars.ts) if config.premium_source != "real" else None
        self._cache: dict[tuple[object, ...], PremiumSeries] = {}
        self._stored_cache: dict[tuple[object, ...], tuple[int, tuple[np.ndarray, ...]]] = {}

    def last_bar(self, contract: OptionContract) -> int:
        """The last bar on or before the contract's expiry close (-1 when none)."""
        end = pd.Timestamp(datetime.combine(contract.expiry, _EXPIRY_CLOSE), tz=IST).value
        return int(np.searchsorted(self.bars.ts, end, side="left")) - 1

    def series(
        self, contract: OptionContract, start: int, until: int | None = None
    ) -> PremiumSeries:
        """Bars ``start`` .. the contract's last bar (its expiry or the run's end), or to
        ``until`` (exclusive) when the leg cannot be held longer (a square-off)."""
        stop = self.last_bar(contract) + 1
        if stop <= start:
            raise LegError(f"{contract.symbol} has expired by bar {start}")
        if until is not None:
            stop = max(min(stop, until), start + 1)
        key = (contract.key, start, stop)
        if key not in self._cache:
            self._cache[key] = self._build(contract, start, stop)
        return self._cache[key]

    def premium_close(self, contract: OptionContract, i: int) -> float | None:
        """The contract's premium at bar ``i``'s close (strike search); None when unknown."""
        value = math.nan
        if self.config.premium_source != "model":
            value = float(self._stored(contract, i, i + 1)[3][0])
        if not np.isfinite(value) and self.config.premium_source != "real":
            value = float(self._model(contract, i, i + 1)[3][0])
        return value if np.isfinite(value) else None

    def _build(self, contract: OptionContract, start: int, stop: int) -> PremiumSeries:
        source = self.config.premium_source
        n = stop - start
        o = h = lo = c = np.full(n, np.nan)
        real = np.zeros(n, dtype=np.bool_)
        if source != "model":
            o, h, lo, c = self._stored(contract, start, stop)
            real = np.isfinite(c)
        if source != "real" and not real.all():
            mo, mh, ml, mc = self._model(contract, start, stop)
            o, h, lo, c = (np.where(real, r, m) for r, m in ((o, mo), (h, mh), (lo, ml), (c, mc)))
        return PremiumSeries(contract, start, o, h, lo, c, real)

    def _stored(self, contract: OptionContract, start: int, stop: int) -> tuple[np.ndarray, ...]:
        """Stored OHLC for bars ``start:stop``: one read per contract (from the first bar
        asked to its last bar), sliced after."""
        got = self._stored_cache.get(contract.key)
        if got is None or got[0] > start:
            last = max(self.last_bar(contract) + 1, stop)
            got = (start, self._read(contract, start, last))
            self._stored_cache[contract.key] = got
        first, arrays = got
        return tuple(a[start - first : stop - first] for a in arrays)

    def _read(self, contract: OptionContract, start: int, stop: int) -> tuple[np.ndarray, ...]:
        ts = self.bars.ts[start:stop]
        first = pd.Timestamp(int(ts[0]), tz="UTC").tz_convert(IST).to_pydatetime()
        last = pd.Timestamp(int(ts[-1]), tz="UTC").tz_convert(IST).to_pydatetime()
        assert self.config.chain is not None  # OptionsConfig checks it
        frame = self.config.chain.premiums(contract, first, last, self.timeframe)
        nan = np.full(len(ts), np.nan)
        if frame is None or frame.empty:
            return nan, nan.copy(), nan.copy(), nan.copy()
        idx = pd.DatetimeIndex(frame.index)
        idx = idx.tz_convert("UTC") if idx.tz is not None else idx.tz_localize(IST)
        stamps = idx.as_unit("ns").asi8
        pos = np.searchsorted(stamps, ts)
        hit = (pos < len(stamps)) & (stamps[np.minimum(pos, len(stamps) - 1)] == ts)
        out = []
        for col in ("open", "high", "low", "close"):
            values = frame[col].to_numpy(dtype=float)
            out.append(np.where(hit, values[np.minimum(pos, len(values) - 1)], np.nan))
        return tuple(out)

    def _model(self, contract: OptionContract, start: int, stop: int) -> tuple[np.ndarray, ...]:
        b = self.bars.slice(start, stop)
        assert self.vol is not None
        vol = np.ascontiguousarray(self.vol[start:stop])
        if self._bar_ns is None:  # daily bars: open at 09:15, close at 15:30 of their day
            day0 = b.ts - (b.ts + 330 * _MIN_NS) % (1440 * _MIN_NS)
            t_open = years_to_expiry(day0 + 555 * _MIN_NS, contract.expiry)
            t_close = years_to_expiry(day0 + 930 * _MIN_NS, contract.expiry)
        else:
            t_open = years_to_expiry(b.ts, contract.expiry)
            t_close = years_to_expiry(b.ts + self._bar_ns, contract.expiry)
        t_mid = (t_open + t_close) / 2.0
        call, k, r = contract.right == "CE", float(contract.strike), self.config.rate
        o = black76(np.ascontiguousarray(b.open), k, t_open, vol, r, call)
        c = black76(np.ascontiguousarray(b.close), k, t_close, vol, r, call)
        at_high = black76(np.ascontiguousarray(b.high), k, t_mid, vol, r, call)
        at_low = black76(np.ascontiguousarray(b.low), k, t_mid, vol, r, call)
        hi = np.maximum.reduce([o, c, at_high, at_low])
        lo = np.minimum.reduce([o, c, at_high, at_low])
        return o, hi, lo, c


def decision_years(ts_ns: int, bar_ns: int | None, expiry: date) -> float:
    """Years to expiry at the close of the bar that opened at ``ts_ns``."""
    if bar_ns is None:
        day0 = ts_ns - (ts_ns + 330 * _MIN_NS) % (1440 * _MIN_NS)
        at = day0 + 930 * _MIN_NS
    else:
        at = ts_ns + bar_ns
    return float(years_to_expiry(np.array([at], dtype=np.int64), expiry)[0])


def ist_date(ts_ns: int) -> date:
    return pd.Timestamp(int(ts_ns), tz="UTC").tz_convert(IST).date()
