"""Request ranges: dates and datetimes in, a UTC [start, end) out, errors naming the field.

Naive values are IST (the market's clock). A bare date as ``end`` means through that day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.utils.dateparse import parse_date, parse_datetime

from algobacktester.errors import InvalidInput
from engine.markets.calendar import IST

MIN_YEAR, MAX_YEAR = 1990, 2100


def _parse(value: object, field: str) -> datetime | date:
    if isinstance(value, datetime | date):
        return value
    text = str(value).strip()
    try:
        parsed = parse_date(text) or parse_datetime(text)
    except ValueError:
        parsed = None
    if parsed is None:
        raise InvalidInput(
            {field: [f"'{text}' is not a date or datetime; use ISO 8601, e.g. 2024-01-31."]}
        )
    return parsed


def _to_utc(value: datetime | date, field: str, *, is_end: bool) -> datetime:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise InvalidInput({field: [f"Year must be between {MIN_YEAR} and {MAX_YEAR}."]})
    if not isinstance(value, datetime):
        day = value + timedelta(days=1) if is_end else value
        value = datetime.combine(day, time(0), tzinfo=IST)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=IST)
    return value.astimezone(UTC)


def time_range(start: object, end: object) -> tuple[datetime, datetime]:
    """UTC ``[start, end)`` from request values; a ValidationError names the bad field."""
    if start in (None, ""):
        raise InvalidInput({"start": ["This field is required."]})
    if end in (None, ""):
        raise InvalidInput({"end": ["This field is required."]})
    lo = _to_utc(_parse(start, "start"), "start", is_end=False)
    hi = _to_utc(_parse(end, "end"), "end", is_end=True)
    if lo >= hi:
        raise InvalidInput({"end": ["end must be after start."]})
    return lo, hi


def ns_to_datetime(ns: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(ns) // 1000)


def datetime_to_ns(value: datetime) -> int:
    delta = value - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 10**9 + delta.microseconds * 1000
