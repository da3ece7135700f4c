"""IST wall-clock helpers: quotas reset and active hours are read in market time."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time

from django.conf import settings
from django.utils import timezone


def ist() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.MARKET_TIME_ZONE)


def ist_today(now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(ist()).date()


def within_hours(*, start: time | None, end: time | None, now: datetime) -> bool:
    """True when both bounds are unset, or the IST time of ``now`` is in [start, end).

    ``start > end`` wraps midnight (22:00–06:00)."""
    if start is None or end is None:
        return True
    local = now.astimezone(ist()).time()
    if start <= end:
        return start <= local < end
    return local >= start or local < end
