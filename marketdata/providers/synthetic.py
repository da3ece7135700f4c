"""Seeded synthetic bars for demos and the embedded default (no third-party data ships).

Bars are generated a calendar month at a time, each month seeded from (seed, symbol, year,
month) and opened at a price from a seeded monthly walk, so the bar at a given timestamp is the
same however a range is chunked or re-fetched: ingestion stays idempotent.
"""

from __future__ import annotations

import zlib
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import ClassVar

import numpy as np

from engine.markets.calendar import IST
from engine.markets.synthetic import synthetic_bars

from ..frames import BarFrame, concat
from ..timeframes import DAY, MINUTES
from .base import InstrumentRef, Provider

ORIGIN = date(2000, 1, 1)
START_PRICES = {
    "NIFTY": 22000.0,
    "BANKNIFTY": 48000.0,
    "FINNIFTY": 21000.0,
    "MIDCPNIFTY": 11000.0,
    "SENSEX": 73000.0,
}
MONTHLY_VOL = 0.045
TICK = 0.05
DAY_NS = 86_400_000_000_000
IST_OFFSET_NS = 19_800_000_000_000


def _key(symbol: str, seed: int) -> int:
    return zlib.crc32(symbol.upper().encode()) ^ (seed * 2_654_435_761 % 2**32)


WALK_MONTHS = 12 * 80


@lru_cache(maxsize=64)
def _walk(symbol: str, seed: int) -> np.ndarray:
    """Month-open prices from 2000-01: a seeded lognormal walk through the base in 2024-01."""
    rng = np.random.default_rng([_key(symbol, seed), 7])
    log_path = np.cumsum(rng.normal(0.008, MONTHLY_VOL, size=WALK_MONTHS))
    anchor = (2024 - ORIGIN.year) * 12
    base = START_PRICES.get(symbol.upper(), 1000.0)
    return base * np.exp(log_path - log_path[anchor])


def _month_open(symbol: str, seed: int, months: int) -> float:
    return float(_walk(symbol, seed)[min(max(months, 0), WALK_MONTHS - 1)])


def _month_start(d: date) -> date:
    return d.replace(day=1)


def _next_month(d: date) -> date:
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def _bridged(frame: BarFrame, next_open: float) -> BarFrame:
    """Steer the month to close where the next month opens, so months join without a jump.

    Each month is drawn on its own (idempotent ingestion), opening at the walk's price; left
    alone, its last close and the next month's open differ by a month's worth of volatility
    (gaps of 10-25% overnight). The correction is one factor per trading day, rising
    geometrically from 1 on the first day to next_open / last close on the last, so every
    timeframe of a day is scaled alike and each night adds at most a small even share.
    """
    if len(frame) == 0:
        return frame
    day = (frame.ts + IST_OFFSET_NS) // DAY_NS
    days, index = np.unique(day, return_inverse=True)
    steps = max(len(days) - 1, 1)
    factor = np.exp(np.log(next_open / frame.close[-1]) * index / steps)
    o, h, lo, c = (_tick(a * factor) for a in (frame.open, frame.high, frame.low, frame.close))
    return BarFrame.build(frame.ts, o, h, lo, c, frame.volume)


def _tick(prices: np.ndarray) -> np.ndarray:
    return np.round(prices / TICK) * TICK


class SyntheticProvider(Provider):
    name: ClassVar[str] = "synthetic"
    capabilities: ClassVar[frozenset[str]] = frozenset({"history"})
    timeframes: ClassVar[tuple[str, ...]] = tuple(MINUTES)

    def __init__(self, *, seed: int = 0, **_: object) -> None:
        self.seed = seed

    def chunks(self, *, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """Calendar months (IST), the unit in which bars are generated."""
        out = []
        a = start
        while a < end:
            m = _next_month(a.astimezone(IST).date())
            b = min(datetime(m.year, m.month, 1, tzinfo=IST).astimezone(UTC), end)
            out.append((a, b))
            a = b
        return out

    def fetch(
        self, *, instrument: InstrumentRef, timeframe: str, start: datetime, end: datetime
    ) -> BarFrame:
        lo, hi = start.astimezone(IST).date(), end.astimezone(IST).date()
        frames = []
        m = _month_start(lo)
        while m <= hi:
            frames.append(self._month(instrument.symbol, m, timeframe))
            m = _next_month(m)
        frame = concat(frames)
        a, b = int(start.timestamp()) * 10**9, int(end.timestamp()) * 10**9
        return frame.take(np.flatnonzero((frame.ts >= a) & (frame.ts < b)))

    def _month(self, symbol: str, month: date, timeframe: str) -> BarFrame:
        months = (month.year - ORIGIN.year) * 12 + month.month - 1
        bars = synthetic_bars(
            start=month,
            end=_next_month(month) - timedelta(days=1),
            timeframe_minutes=MINUTES[timeframe] if timeframe != DAY else 10_000,
            seed=(_key(symbol, self.seed) * 1_000 + months) % 2**63,
            start_price=_month_open(symbol, self.seed, months),
        )
        frame = _bridged(BarFrame.from_bars(bars), _month_open(symbol, self.seed, months + 1))
        if timeframe == DAY:  # daily bars are labelled 00:00 IST of their date
            ts = (frame.ts + IST_OFFSET_NS) // DAY_NS * DAY_NS - IST_OFFSET_NS
            frame = BarFrame.build(ts, frame.open, frame.high, frame.low, frame.close, frame.volume)
        return frame
