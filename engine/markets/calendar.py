"""Date-versioned Indian exchange calendar: sessions, holidays, expiries, lot sizes.

Pure Python (no framework imports). The facts live in :mod:`engine.markets.calendar_data`,
each keyed by the date it takes effect.

Conventions:

* A *trading day* (the default everywhere) has a full session: a regular weekday that is not a
  holiday, or a full special session such as Saturday 2024-01-20. Short special sessions
  (Muhurat, the 2024 disaster-recovery drills) are returned by :func:`session` and counted only
  with ``special=True``.
* Years without a holiday table (:func:`known_years`) are treated as weekends-only; use
  :func:`covers` to tell.
* An expiry that falls on a non-trading day moves to the previous trading day.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from engine.markets.calendar_data import (
    ALIASES,
    EXCHANGE_OF,
    EXCHANGES,
    EXPIRY_RULES,
    EXTRA_EXPIRIES,
    HOLIDAYS,
    LOT_SIZES,
    REGULAR_HOURS,
    SPECIAL_SESSIONS,
    STRIKE_STEPS,
    ExpiryRule,
    Session,
)

IST = ZoneInfo("Asia/Kolkata")
# India has kept UTC+05:30 without daylight saving since 1945, so vectorised code may use it.
IST_OFFSET_NS = np.int64((5 * 60 + 30) * 60 * 1_000_000_000)
MINUTE_NS = np.int64(60 * 1_000_000_000)
DAY_NS = np.int64(86_400 * 1_000_000_000)
_EPOCH = date(1970, 1, 1)
SESSION_OPEN_MINUTE = 9 * 60 + 15  # 09:15 IST, minutes after midnight

EXPIRY_KINDS = ("weekly", "monthly")

__all__ = [
    "IST",
    "Session",
    "covers",
    "exchange_of",
    "expiry_dates",
    "holidays",
    "is_expiry_day",
    "is_trading_day",
    "known_years",
    "lot_size",
    "lot_sizes",
    "next_expiry",
    "next_trading_day",
    "previous_trading_day",
    "session",
    "session_minute_index",
    "strike_step",
    "trading_days",
]


# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------
def _exchange(exchange: str) -> str:
    ex = str(exchange).strip().upper()
    if ex not in EXCHANGES:
        raise ValueError(f"unknown exchange '{exchange}' (known: {', '.join(EXCHANGES)})")
    return ex


def _underlying(underlying: str) -> str:
    u = str(underlying).strip().upper()
    u = ALIASES.get(u, u)
    if u not in EXCHANGE_OF:
        known = ", ".join(sorted(EXCHANGE_OF))
        raise ValueError(f"unknown underlying '{underlying}' (known: {known})")
    return u


def exchange_of(underlying: str) -> str:
    """The exchange whose derivatives on ``underlying`` we model ("NSE" or "BSE")."""
    return EXCHANGE_OF[_underlying(underlying)]


def strike_step(underlying: str) -> int:
    """The usual option strike interval of ``underlying`` (index points)."""
    return STRIKE_STEPS[_underlying(underlying)]


def lot_size(underlying: str, on: date) -> int:
    """Market lot of ``underlying`` contracts listed on trade date ``on``.

    After a lot *increase*, series listed before it keep the old lot until they expire; see
    ``calendar_data.LOT_SIZES``. Raises ``ValueError`` before the table.
    """
    u = _underlying(underlying)
    rows = LOT_SIZES[u]
    i = bisect_right([r[0] for r in rows], on) - 1
    if i < 0:
        raise ValueError(f"lot size of {u} before {rows[0][0].isoformat()} is not known")
    return rows[i][1]


def lot_sizes(underlying: str, ts_ns: np.ndarray) -> np.ndarray:
    """The lot of each bar (float64, aligned to ``ts_ns``, UTC ns) on its IST trade date.

    A run that spans a revision sizes each entry with its own bar's lot. Raises
    ``ValueError`` when a bar precedes the table.
    """
    u = _underlying(underlying)
    rows = LOT_SIZES[u]
    starts = np.array([(d - _EPOCH).days for d, _ in rows], dtype=np.int64)
    sizes = np.array([float(n) for _, n in rows])
    days = (np.asarray(ts_ns, dtype=np.int64) + IST_OFFSET_NS) // DAY_NS
    idx = np.searchsorted(starts, days, side="right") - 1
    if len(idx) and idx.min() < 0:
        first = _EPOCH + timedelta(days=int(days[int(np.argmin(idx))]))
        raise ValueError(
            f"lot size of {u} on {first.isoformat()} is not known "
            f"(the table starts {rows[0][0].isoformat()})"
        )
    return sizes[idx]


# ---------------------------------------------------------------------------------------------
# Days and sessions
# ---------------------------------------------------------------------------------------------
def known_years(exchange: str = "NSE") -> frozenset[int]:
    """Years with a holiday table; other years are modelled as weekends-only."""
    return frozenset(HOLIDAYS[_exchange(exchange)])


def covers(d: date, exchange: str = "NSE") -> bool:
    """Whether ``d`` falls in a year whose holidays are known."""
    return d.year in HOLIDAYS[_exchange(exchange)]


def holidays(exchange: str, year: int) -> frozenset[date]:
    """Weekday trading holidays of ``exchange`` in ``year`` (empty when the year is unknown).

    Muhurat days (e.g. 2024-11-01) are holidays with a short evening session: see
    :func:`session`.
    """
    return HOLIDAYS[_exchange(exchange)].get(year, frozenset())


def _regular_hours(d: date) -> tuple[time, time]:
    i = bisect_right([r[0] for r in REGULAR_HOURS], d) - 1
    return REGULAR_HOURS[max(i, 0)][1], REGULAR_HOURS[max(i, 0)][2]


def session(d: date, exchange: str = "NSE") -> Session | None:
    """The session on ``d`` (regular, special, Muhurat or DR drill), or None when closed."""
    ex = _exchange(exchange)
    special = SPECIAL_SESSIONS.get(d)
    if special is not None:
        return special
    if d.weekday() >= 5 or d in HOLIDAYS[ex].get(d.year, ()):
        return None
    op, cl = _regular_hours(d)
    return Session(op, cl)


def is_trading_day(d: date, exchange: str = "NSE", *, special: bool = False) -> bool:
    """True when ``d`` has a full session (with ``special=True``: any session)."""
    s = session(d, exchange)
    return s is not None and (special or s.full)


@lru_cache(maxsize=512)
def _year_days(exchange: str, year: int, special: bool) -> tuple[date, ...]:
    d = date(year, 1, 1)
    out = []
    while d.year == year:
        if is_trading_day(d, exchange, special=special):
            out.append(d)
        d += timedelta(days=1)
    return tuple(out)


def trading_days(
    start: date, end: date, exchange: str = "NSE", *, special: bool = False
) -> list[date]:
    """Trading days in ``[start, end]`` (both inclusive), ascending."""
    ex = _exchange(exchange)
    out: list[date] = []
    for year in range(start.year, end.year + 1):
        out.extend(x for x in _year_days(ex, year, special) if start <= x <= end)
    return out


def previous_trading_day(d: date, exchange: str = "NSE", *, special: bool = False) -> date:
    """The last trading day strictly before ``d``."""
    ex = _exchange(exchange)
    x = d - timedelta(days=1)
    while not is_trading_day(x, ex, special=special):
        x -= timedelta(days=1)
    return x


def next_trading_day(d: date, exchange: str = "NSE", *, special: bool = False) -> date:
    """The first trading day strictly after ``d``."""
    ex = _exchange(exchange)
    x = d + timedelta(days=1)
    while not is_trading_day(x, ex, special=special):
        x += timedelta(days=1)
    return x


def session_minute_index(ts_ns: np.ndarray) -> np.ndarray:
    """Minutes since 09:15 IST of each UTC-ns timestamp (int64; negative before 09:15).

    09:15 -> 0, 15:29 -> 374; a Muhurat bar at 18:00 -> 525. Seconds are floored.
    """
    ts = np.asarray(ts_ns, dtype=np.int64)
    minute_of_day = ((ts + IST_OFFSET_NS) // MINUTE_NS) % 1440
    return minute_of_day - SESSION_OPEN_MINUTE


# ---------------------------------------------------------------------------------------------
# Expiries
# ---------------------------------------------------------------------------------------------
def _rule_at(u: str, d: date) -> ExpiryRule:
    rules = EXPIRY_RULES[u]
    i = bisect_right([r.since for r in rules], d) - 1
    if i < 0:
        raise ValueError(f"expiry rules of {u} start on {rules[0].since.isoformat()}")
    return rules[i]


def _last_weekday(year: int, month: int, weekday: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _nominal(u: str, start: date, end: date, kind: str) -> set[date]:
    """Unadjusted expiry dates of ``kind`` in ``[start, end]``."""
    out: set[date] = set()
    if kind == "weekly":
        d = start
        while d <= end:
            rule = _rule_at(u, d)
            if rule.weekly is not None and d.weekday() == rule.weekly:
                out.add(d)
            d += timedelta(days=1)
    else:
        y, m = start.year, start.month
        while date(y, m, 1) <= end:
            rule = _rule_at(u, max(date(y, m, 1), start))
            if rule.monthly is not None:
                # monthly-day changes all take effect on the 1st of a month
                cand = _last_weekday(y, m, rule.monthly)
                if start <= cand <= end:
                    out.add(cand)
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    out.update(x for x in EXTRA_EXPIRIES.get((u, kind), ()) if start <= x <= end)
    return out


def _kinds(kind: str, allow_any: bool) -> tuple[str, ...]:
    if kind in EXPIRY_KINDS:
        return (kind,)
    if kind == "any" and allow_any:
        return EXPIRY_KINDS
    allowed = ", ".join((*EXPIRY_KINDS, "any") if allow_any else EXPIRY_KINDS)
    raise ValueError(f"unknown expiry kind '{kind}' (use {allowed})")


def _adjust(d: date, exchange: str) -> date:
    return d if is_trading_day(d, exchange) else previous_trading_day(d, exchange)


def expiry_dates(underlying: str, start: date, end: date, kind: str = "weekly") -> list[date]:
    """Expiry days of ``underlying`` in ``[start, end]``, holiday-adjusted, ascending.

    ``kind`` is "weekly" (every weekly expiry, including the week whose weekly is the monthly
    contract), "monthly" (the monthly contracts) or "any" (both). Periods without a weekly
    series give no weekly dates. Raises ``ValueError`` before the first known rule.
    """
    u = _underlying(underlying)
    ex = EXCHANGE_OF[u]
    kinds = _kinds(kind, allow_any=True)
    _rule_at(u, start)  # before the rules: ValueError
    lo, hi = start, end + timedelta(days=7)  # a holiday can pull a later expiry into range
    out: set[date] = set()
    for k in kinds:
        out.update(_adjust(x, ex) for x in _nominal(u, lo, hi, k))
    return sorted(x for x in out if start <= x <= end)


def is_expiry_day(underlying: str, d: date, kind: str = "any") -> bool:
    """Whether some contract of ``kind`` ("weekly", "monthly" or "any") expires on ``d``."""
    return d in expiry_dates(underlying, d, d, kind)


def next_expiry(underlying: str, d: date, kind: str = "any") -> date:
    """The first expiry of ``kind`` on or after ``d`` (an expiry day is its own next expiry).

    Raises ``ValueError`` when the underlying has no such series from ``d`` on (e.g. a
    BANKNIFTY weekly after 2024-11-20).
    """
    u = _underlying(underlying)
    _kinds(kind, allow_any=True)
    for span in (45, 400):
        found = expiry_dates(u, d, d + timedelta(days=span), kind)
        if found:
            return found[0]
    raise ValueError(f"{u} has no {kind} expiry on or after {d.isoformat()}")
