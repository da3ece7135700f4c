"""The generated holiday tables against the maintained calendar and against real closes."""

from __future__ import annotations

import gzip
import importlib.util
import sys
from datetime import date, time, timedelta
from pathlib import Path

import pytest

from engine.markets import (
    expiry_dates,
    holidays,
    is_expiry_day,
    is_trading_day,
    session,
    trading_days,
)
from engine.markets.calendar_data import HOLIDAY_OVERRIDES, SPECIAL_SESSIONS
from engine.markets.holidays_data import FIRST_YEAR, LAST_YEAR

D = date
ROOT = Path(__file__).resolve().parents[2]
NIFTY_DAILY = Path("/work/shared/data/nifty50_daily_2000-01_2024-02_niftyindices.csv.gz")
HAS_LIBRARY = importlib.util.find_spec("pandas_market_calendars") is not None
needs_library = pytest.mark.skipif(
    not HAS_LIBRARY,
    reason="pandas_market_calendars (requirements-dev.txt) is not installed: "
    "the generated tables cannot be compared with their source",
)


def _gen():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import gen_holidays
    finally:
        sys.path.pop(0)
    return gen_holidays


@needs_library
def test_generated_module_is_up_to_date():
    assert _gen().main(["--check"]) == 0


@needs_library
@pytest.mark.parametrize("exchange", ["NSE", "BSE"])
def test_holidays_match_the_library_except_documented_overrides(exchange):
    gen = _gen()
    lib = gen.closed_weekdays(exchange) | set(gen.muhurat("NSE"))
    ours = {d for y in range(FIRST_YEAR, LAST_YEAR + 1) for d in holidays(exchange, y)}
    differ = lib ^ ours
    assert differ == set(HOLIDAY_OVERRIDES[exchange])


@needs_library
def test_weekday_muhurat_times_match_the_library():
    for d, (op, cl) in _gen().muhurat("NSE").items():
        s = session(d)
        assert (s.open, s.close, s.kind) == (op, cl, "muhurat"), d


@pytest.mark.skipif(not NIFTY_DAILY.exists(), reason=f"{NIFTY_DAILY} (shared fixture) is absent")
def test_official_nifty_closes_fall_exactly_on_our_sessions():
    """Every official NIFTY close 2009-01-01..2024-02-29 is a session day and vice versa."""
    with gzip.open(NIFTY_DAILY, "rt") as f:
        next(f)
        closes = {date.fromisoformat(line[:10]) for line in f}
    start, end = D(2009, 1, 1), D(2024, 2, 29)
    closes = {d for d in closes if start <= d <= end}
    ours = set(trading_days(start, end, special=True))
    assert ours == closes


def test_special_sessions_are_not_holidays_of_the_regular_kind():
    for d, s in SPECIAL_SESSIONS.items():
        if s.kind == "muhurat" and d.weekday() < 5:
            assert d in holidays("NSE", d.year), d  # the regular session is closed
        else:
            assert d not in holidays("NSE", d.year), d


@pytest.mark.parametrize(
    ("d", "nse", "bse"),
    [
        (D(2020, 5, 25), False, False),  # Id-ul-Fitr: both closed (BSE override)
        (D(2020, 7, 31), True, True),  # BSE override: open like NSE
        (D(2010, 11, 5), False, False),  # Diwali: Muhurat only
        (D(2016, 3, 24), False, False),  # Holi
        (D(2016, 3, 28), True, True),
    ],
)
def test_dated_examples(d, nse, bse):
    assert is_trading_day(d, "NSE") is nse
    assert is_trading_day(d, "BSE") is bse


def test_outage_day_2021_02_24_is_a_full_day_with_a_halt():
    s = session(D(2021, 2, 24))
    assert (s.full, s.close, s.breaks) == (True, time(17, 0), ((time(11, 40), time(15, 45)),))
    assert s.minutes == (11 * 60 + 40 - (9 * 60 + 15)) + (17 * 60 - (15 * 60 + 45))  # 145 + 75


def test_tables_cover_2009_to_2026_and_no_weekend_holidays():
    for y in range(2009, 2027):
        for ex in ("NSE", "BSE"):
            days = holidays(ex, y)
            assert 9 <= len(days) <= 22, (ex, y, len(days))
            assert all(d.weekday() < 5 and d.year == y for d in days)
    assert is_trading_day(D(2009, 12, 31)) and not is_trading_day(D(2009, 12, 31) + timedelta(1))


# Expiry dates the exchange itself listed, copied from /work/shared/data: the 2019/2021 NIFTY
# option EOD files (monthly only), the 2025-08-29 option-chain snapshots and the 2025-11-14/17
# contract-wise reports (only dates inside 2025 and January 2026: later ones were listed before
# the 2026 holiday list, e.g. 2026-03-31, now a holiday).
LISTED_EXPIRIES = {
    "NIFTY": [
        D(2019, 1, 31),
        D(2019, 3, 28),
        D(2021, 1, 28),
        D(2025, 8, 28),
        D(2025, 9, 2),
        D(2025, 9, 9),
        D(2025, 9, 16),
        D(2025, 9, 23),
        D(2025, 9, 30),
        D(2025, 10, 28),
        D(2025, 11, 18),
        D(2025, 11, 25),
        D(2025, 12, 2),
        D(2025, 12, 9),
        D(2025, 12, 16),
        D(2025, 12, 30),
        D(2026, 1, 27),
    ],
    "BANKNIFTY": [
        D(2025, 8, 28),
        D(2025, 9, 30),
        D(2025, 10, 28),
        D(2025, 11, 25),
        D(2025, 12, 30),
        D(2026, 1, 27),
    ],
    "FINNIFTY": [D(2025, 11, 25), D(2025, 12, 30)],
    "MIDCPNIFTY": [D(2025, 11, 25), D(2025, 12, 30)],
}


@pytest.mark.parametrize(
    ("underlying", "d"), [(u, d) for u, days in LISTED_EXPIRIES.items() for d in days]
)
def test_listed_expiries_are_calendar_expiries(underlying, d):
    assert is_expiry_day(underlying, d), (underlying, d)


def test_monthly_expiry_moves_before_the_2026_03_31_holiday():
    # Listed in 2025 as 2026-03-31; the 2026 holiday list closes that Tuesday.
    assert expiry_dates("NIFTY", D(2026, 3, 1), D(2026, 3, 31), kind="monthly") == [D(2026, 3, 30)]
