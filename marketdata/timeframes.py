"""Timeframe names and sizes. Intraday buckets are anchored at the 09:15 IST session open."""

from __future__ import annotations

from algobacktester.errors import InvalidInput

MINUTE_NS = 60_000_000_000
DAY = "1d"

# name -> minutes (a day is special: one bar per IST trading date, labelled 00:00 IST)
MINUTES: dict[str, int] = {
    "1m": 1,
    "3m": 3,
    "5m": 5,
    "15m": 15,
    "25m": 25,
    "30m": 30,
    "1h": 60,
    "1d": 1440,
}
CHOICES = [(name, name) for name in MINUTES]
# The timeframes the candles API derives from stored one-minute bars.
RESAMPLED_FROM_1M = ("3m", "5m", "15m", "30m", "1h", "1d")


def is_intraday(timeframe: str) -> bool:
    return timeframe != DAY


def timeframe_check(timeframe: str, *, field: str = "timeframe") -> str:
    """The timeframe if known, else a ValidationError naming ``field``."""
    if timeframe not in MINUTES:
        known = ", ".join(MINUTES)
        raise InvalidInput({field: [f"Unknown timeframe '{timeframe}'; use one of {known}."]})
    return timeframe
