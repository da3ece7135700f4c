"""Timeframe names and sizes. Intraday buckets are anchored at the 09:15 IST session open.

Sizes are kept in seconds so sub-minute bars (1s, 5s, 15s, 30s: the live feed records ticks as
one-second bars) are ordinary timeframes; ``MINUTES`` still lists the whole-minute ones.
"""

from __future__ import annotations

from algobacktester.errors import InvalidInput

SECOND_NS = 1_000_000_000
MINUTE_NS = 60 * SECOND_NS
DAY = "1d"

# name -> seconds (a day is special: one bar per IST trading date, labelled 00:00 IST).
# New names go at the END: a name's position keys the per-series advisory lock in storage.
SECONDS: dict[str, int] = {
    "1m": 60,
    "3m": 180,
    "5m": 300,
    "15m": 900,
    "25m": 1500,
    "30m": 1800,
    "1h": 3600,
    "1d": 86400,
    "1s": 1,
    "5s": 5,
    "15s": 15,
    "30s": 30,
}
# name -> minutes, for the whole-minute timeframes (what the minute-based tools accept)
MINUTES: dict[str, int] = {name: s // 60 for name, s in SECONDS.items() if s % 60 == 0}
SUBMINUTE = tuple(name for name, s in SECONDS.items() if s < 60)
CHOICES = [(name, name) for name in SECONDS]
# The timeframes the candles API derives from stored one-minute bars.
RESAMPLED_FROM_1M = ("3m", "5m", "15m", "30m", "1h", "1d")
# ... and those it derives from stored one-second bars (when no coarser bars are stored).
RESAMPLED_FROM_1S = ("5s", "15s", "30s")


def is_intraday(timeframe: str) -> bool:
    return timeframe != DAY


def timeframe_check(timeframe: str, *, field: str = "timeframe") -> str:
    """The timeframe if known, else a ValidationError naming ``field``."""
    if timeframe not in SECONDS:
        known = ", ".join(SECONDS)
        raise InvalidInput({field: [f"Unknown timeframe '{timeframe}'; use one of {known}."]})
    return timeframe
