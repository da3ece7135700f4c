"""The Indian exchange calendar: holidays, sessions, expiries, lot sizes; checked on real files."""

from __future__ import annotations

from datetime import date, time, timedelta

import numpy as np
import pandas as pd
import pytest

from engine.markets import (
    covers,
    exchange_of,
    expiry_dates,
    holidays,
    is_expiry_day,
    is_trading_day,
    known_years,
    lot_size,
    lot_sizes,
    next_expiry,
    next_trading_day,
    previous_trading_day,
    session,
    session_minute_index,
    strike_step,
    trading_days,
)

D = date

# INTEGRATIONS.md, "Indian market facts"
NSE_2026 = [
    D(2026, 1, 15),
    D(2026, 1, 26),
    D(2026, 3, 3),
    D(2026, 3, 26),
    D(2026, 3, 31),
    D(2026, 4, 3),
    D(2026, 4, 14),
    D(2026, 5, 1),
    D(2026, 5, 28),
    D(2026, 6, 26),
    D(2026, 9, 14),
    D(2026, 10, 2),
    D(2026, 10, 20),
    D(2026, 11, 10),
    D(2026, 11, 24),
    D(2026, 12, 25),
]
NSE_2024 = [
    D(2024, 1, 22),
    D(2024, 1, 26),
    D(2024, 3, 8),
    D(2024, 3, 25),
    D(2024, 3, 29),
    D(2024, 4, 11),
    D(2024, 4, 17),
    D(2024, 5, 1),
    D(2024, 5, 20),
    D(2024, 6, 17),
    D(2024, 7, 17),
    D(2024, 8, 15),
    D(2024, 10, 2),
    D(2024, 11, 1),
    D(2024, 11, 15),
    D(2024, 11, 20),
    D(2024, 12, 25),
]
NSE_2025 = [
    D(2025, 2, 26),
    D(2025, 3, 14),
    D(2025, 3, 31),
    D(2025, 4, 10),
    D(2025, 4, 14),
    D(2025, 4, 18),
    D(2025, 5, 1),
    D(2025, 8, 15),
    D(2025, 8, 27),
    D(2025, 10, 2),
    D(2025, 10, 21),
    D(2025, 10, 22),
    D(2025, 11, 5),
    D(2025, 12, 25),
]


# --- holidays and days ----------------------------------------------------------------------
@pytest.mark.parametrize("exchange", ["NSE", "BSE"])
@pytest.mark.parametrize(
    ("year", "expected"), [(2024, NSE_2024), (2025, NSE_2025), (2026, NSE_2026)]
)
def test_holiday_tables(exchange, year, expected):
    assert holidays(exchange, year) == frozenset(expected)
    assert all(d.weekday() < 5 for d in expected)


@pytest.mark.parametrize("d", NSE_2026)
def test_each_2026_holiday_is_not_a_trading_day(d):
    assert not is_trading_day(d)
    assert not is_trading_day(d, "BSE")
    assert session(d) is None
    assert d not in trading_days(d - timedelta(days=7), d + timedelta(days=7))


@pytest.mark.parametrize(
    "d", [D(2024, 1, 6), D(2024, 1, 7), D(2025, 6, 14), D(2026, 2, 7), D(2026, 12, 26)]
)
def test_weekends_are_closed(d):
    assert d.weekday() >= 5
    assert not is_trading_day(d)
    assert not is_trading_day(d, special=True)
    assert session(d) is None


def test_every_weekend_in_the_table_years_is_closed_except_special_sessions():
    specials = {
        D(2024, 1, 20),
        D(2024, 3, 2),
        D(2024, 5, 18),
        D(2025, 2, 1),
        D(2026, 2, 1),
        D(2026, 11, 8),
    }
    for d in trading_days(D(2024, 1, 1), D(2026, 12, 31), special=True):
        assert d.weekday() < 5 or d in specials


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (D(2024, 1, 19), True),
        (D(2024, 1, 22), False),
        (D(2025, 2, 26), False),
        (D(2025, 2, 27), True),
        (D(2026, 1, 15), False),
        (D(2026, 1, 16), True),
    ],
)
def test_is_trading_day_cases(d, expected):
    assert is_trading_day(d) is expected


def test_known_years_and_weekends_only_outside_the_table():
    assert known_years() == frozenset(range(2009, 2027))
    assert known_years("BSE") == frozenset(range(2009, 2027))
    assert covers(D(2025, 6, 2))
    assert not covers(D(2027, 1, 26))
    assert holidays("NSE", 2027) == frozenset()
    assert is_trading_day(D(2027, 1, 26))  # Republic Day, but 2027 is not in the table
    assert not is_trading_day(D(2027, 1, 30))  # Saturday


def test_trading_days_inclusive_and_ordered():
    days = trading_days(D(2026, 1, 12), D(2026, 1, 16))
    assert days == [D(2026, 1, 12), D(2026, 1, 13), D(2026, 1, 14), D(2026, 1, 16)]
    assert trading_days(D(2026, 1, 17), D(2026, 1, 18)) == []
    year = trading_days(D(2025, 1, 1), D(2025, 12, 31))
    # 2025 has 261 weekdays, and one Saturday session (the Budget, 2025-02-01)
    assert len(year) == 261 - len(NSE_2025) + 1
    assert year == sorted(year)


@pytest.mark.parametrize(
    ("d", "prev", "nxt"),
    [
        (D(2026, 1, 26), D(2026, 1, 23), D(2026, 1, 27)),  # Monday holiday
        (D(2024, 1, 22), D(2024, 1, 20), D(2024, 1, 23)),  # the special Saturday counts
        (D(2025, 10, 21), D(2025, 10, 20), D(2025, 10, 23)),  # Muhurat day and Balipratipada
        (D(2026, 4, 3), D(2026, 4, 2), D(2026, 4, 6)),  # Good Friday
    ],
)
def test_previous_and_next_trading_day(d, prev, nxt):
    assert previous_trading_day(d) == prev
    assert next_trading_day(d) == nxt


def test_previous_trading_day_with_special_sessions():
    assert previous_trading_day(D(2024, 3, 4)) == D(2024, 3, 1)
    assert previous_trading_day(D(2024, 3, 4), special=True) == D(2024, 3, 2)
    assert next_trading_day(D(2024, 10, 31), special=True) == D(2024, 11, 1)


# --- sessions -------------------------------------------------------------------------------
def test_regular_session():
    s = session(D(2025, 6, 2))
    assert s is not None
    assert (s.open, s.close, s.kind, s.full) == (time(9, 15), time(15, 30), "regular", True)
    assert s.minutes == 375


def test_session_hours_are_date_versioned():
    s = session(D(2009, 6, 1))
    assert s is not None
    assert s.open == time(9, 55)
    assert session(D(2009, 12, 31)).open == time(9, 55)
    assert session(D(2010, 1, 4)).open == time(9, 0)  # 09:00 open from 2010-01-04
    assert session(D(2010, 10, 15)).open == time(9, 0)
    assert session(D(2010, 10, 18)).open == time(9, 15)  # pre-open auction from 2010-10-18


@pytest.mark.parametrize(
    ("d", "op", "cl", "weekday_holiday"),
    [
        (D(2024, 11, 1), time(18, 0), time(19, 0), True),
        (D(2025, 10, 21), time(13, 45), time(14, 45), True),
        (D(2026, 11, 8), time(18, 0), time(19, 0), False),  # Sunday; time assumed
        (D(2023, 11, 12), time(18, 15), time(19, 15), False),
    ],
)
@pytest.mark.parametrize("exchange", ["NSE", "BSE"])
def test_muhurat_sessions(d, op, cl, weekday_holiday, exchange):
    s = session(d, exchange)
    assert s is not None
    assert (s.open, s.close, s.kind, s.full, s.minutes) == (op, cl, "muhurat", False, 60)
    assert not is_trading_day(d, exchange)
    assert is_trading_day(d, exchange, special=True)
    assert (d in holidays(exchange, d.year)) is weekday_holiday


def test_special_saturday_sessions_2024():
    full = session(D(2024, 1, 20))
    assert full is not None
    assert full.kind == "special"
    assert full.full
    assert full.minutes == 375
    assert is_trading_day(D(2024, 1, 20))
    for d in (D(2024, 3, 2), D(2024, 5, 18)):
        s = session(d)
        assert s is not None
        assert s.kind == "dr"
        assert not s.full
        assert s.segments == ((time(9, 15), time(10, 0)), (time(11, 30), time(12, 30)))
        assert s.minutes == 105


def test_session_minute_index():
    ist = pd.DatetimeIndex(
        [
            "2024-06-03 09:15",
            "2024-06-03 09:16",
            "2024-06-03 15:29",
            "2024-11-01 18:00",
            "2024-06-03 09:00",
            "2024-06-03 09:15:59",
        ]
    ).tz_localize("Asia/Kolkata")
    ts = ist.tz_convert("UTC").as_unit("ns").asi8
    out = session_minute_index(ts)
    assert out.dtype == np.int64
    assert out.tolist() == [0, 1, 374, 525, -15, 0]


# --- expiries -------------------------------------------------------------------------------
def test_nifty_weekly_thursday_in_august_2025_tuesday_in_september():
    aug = expiry_dates("NIFTY", D(2025, 8, 1), D(2025, 8, 31))
    assert aug == [D(2025, 8, 7), D(2025, 8, 14), D(2025, 8, 21), D(2025, 8, 28)]
    sep = expiry_dates("NIFTY", D(2025, 9, 1), D(2025, 9, 30))
    assert sep == [D(2025, 9, 2), D(2025, 9, 9), D(2025, 9, 16), D(2025, 9, 23), D(2025, 9, 30)]


@pytest.mark.parametrize(
    ("underlying", "start", "end", "expected"),
    [
        (
            "NIFTY",
            D(2025, 9, 1),
            D(2025, 12, 31),
            [D(2025, 9, 30), D(2025, 10, 28), D(2025, 11, 25), D(2025, 12, 30)],
        ),
        ("NIFTY", D(2025, 6, 1), D(2025, 8, 31), [D(2025, 6, 26), D(2025, 7, 31), D(2025, 8, 28)]),
        (
            "BANKNIFTY",
            D(2024, 1, 1),
            D(2024, 4, 30),
            [D(2024, 1, 25), D(2024, 2, 29), D(2024, 3, 27), D(2024, 4, 24)],
        ),
        ("BANKNIFTY", D(2025, 1, 1), D(2025, 1, 31), [D(2025, 1, 30)]),
        ("FINNIFTY", D(2024, 11, 1), D(2024, 12, 31), [D(2024, 11, 26), D(2024, 12, 31)]),
        ("MIDCPNIFTY", D(2026, 3, 1), D(2026, 3, 31), [D(2026, 3, 30)]),  # Mar 31 holiday
        ("SENSEX", D(2024, 12, 1), D(2025, 1, 31), [D(2024, 12, 27), D(2025, 1, 28)]),
        ("SENSEX", D(2025, 9, 1), D(2025, 9, 30), [D(2025, 9, 25)]),
        ("BANKEX", D(2025, 2, 1), D(2025, 2, 28), [D(2025, 2, 25)]),
    ],
)
def test_monthly_expiries(underlying, start, end, expected):
    assert expiry_dates(underlying, start, end, kind="monthly") == expected


@pytest.mark.parametrize(
    ("underlying", "nominal", "actual"),
    [
        ("NIFTY", D(2026, 3, 3), D(2026, 3, 2)),  # Tuesday holiday
        ("NIFTY", D(2026, 3, 31), D(2026, 3, 30)),  # Tuesday holiday, also the monthly
        ("NIFTY", D(2026, 11, 24), D(2026, 11, 23)),
        ("NIFTY", D(2025, 10, 21), D(2025, 10, 20)),  # a Muhurat day is not an expiry day
        ("NIFTY", D(2024, 8, 15), D(2024, 8, 14)),  # Thursday holiday
        ("NIFTY", D(2024, 3, 29), D(2024, 3, 28)),
        ("BANKNIFTY", D(2024, 4, 17), D(2024, 4, 16)),  # Wednesday weekly
        ("MIDCPNIFTY", D(2024, 1, 22), D(2024, 1, 20)),  # moved to the special Saturday
        ("SENSEX", D(2025, 10, 2), D(2025, 10, 1)),  # Thursday holiday on BSE
    ],
)
def test_expiry_moves_to_previous_trading_day(underlying, nominal, actual):
    got = expiry_dates(underlying, nominal - timedelta(days=6), nominal, kind="any")
    assert got[-1] == actual
    assert not is_expiry_day(underlying, nominal)
    assert is_expiry_day(underlying, actual)


def test_holiday_on_another_weekday_leaves_the_expiry_alone():
    # Monday 2025-04-14 is a holiday; the SENSEX weekly stays on Tuesday 2025-04-15
    assert expiry_dates("SENSEX", D(2025, 4, 14), D(2025, 4, 20)) == [D(2025, 4, 15)]


def test_weeklies_end_2024_11_20_except_nifty_and_sensex():
    after = (D(2024, 11, 20), D(2025, 12, 31))
    for u in ("BANKNIFTY", "FINNIFTY", "MIDCPNIFTY", "BANKEX"):
        assert expiry_dates(u, *after, kind="weekly") == []
    assert expiry_dates("BANKNIFTY", D(2024, 11, 1), D(2024, 11, 30), "weekly") == [
        D(2024, 11, 6),
        D(2024, 11, 13),
    ]
    assert expiry_dates("FINNIFTY", D(2024, 11, 1), D(2024, 11, 30), "weekly")[-1] == D(
        2024, 11, 19
    )
    assert len(expiry_dates("NIFTY", *after, kind="weekly")) > 50
    assert len(expiry_dates("SENSEX", *after, kind="weekly")) > 50


def test_banknifty_weekly_wednesday_from_september_2023():
    assert expiry_dates("BANKNIFTY", D(2023, 8, 28), D(2023, 9, 8), "weekly") == [
        D(2023, 8, 31),
        D(2023, 9, 6),
    ]


def test_sensex_move_to_tuesday_keeps_the_3_january_friday():
    got = expiry_dates("SENSEX", D(2024, 12, 23), D(2025, 1, 15), "weekly")
    assert got == [D(2024, 12, 27), D(2025, 1, 3), D(2025, 1, 7), D(2025, 1, 14)]


def test_next_expiry_and_kinds():
    assert next_expiry("NIFTY", D(2025, 8, 29), "weekly") == D(2025, 9, 2)
    assert next_expiry("NIFTY", D(2025, 9, 2), "weekly") == D(2025, 9, 2)
    assert next_expiry("NIFTY", D(2025, 9, 3), "monthly") == D(2025, 9, 30)
    assert next_expiry("BANKNIFTY", D(2025, 10, 1)) == D(2025, 10, 28)
    with pytest.raises(ValueError, match="BANKNIFTY has no weekly"):
        next_expiry("BANKNIFTY", D(2025, 1, 1), "weekly")
    assert is_expiry_day("NIFTY", D(2025, 9, 30), "monthly")
    assert not is_expiry_day("NIFTY", D(2025, 9, 23), "monthly")
    assert is_expiry_day("NIFTY", D(2025, 9, 23), "weekly")
    with pytest.raises(ValueError, match="quarterly"):
        expiry_dates("NIFTY", D(2025, 1, 1), D(2025, 2, 1), kind="quarterly")
    with pytest.raises(ValueError, match="MIDCPNIFTY"):
        expiry_dates("MIDCPNIFTY", D(2023, 1, 1), D(2023, 2, 1))


def test_expiries_are_trading_days():
    for u in ("NIFTY", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY", "SENSEX", "BANKEX"):
        for d in expiry_dates(u, D(2024, 1, 1), D(2026, 12, 31), kind="any"):
            assert is_trading_day(d, exchange_of(u)), (u, d)


# --- lots, strikes, names -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("underlying", "before", "boundary", "old", "new"),
    [
        ("NIFTY", D(2015, 10, 29), D(2015, 10, 30), 25, 75),
        ("NIFTY", D(2021, 7, 29), D(2021, 7, 30), 75, 50),
        ("NIFTY", D(2024, 4, 25), D(2024, 4, 26), 50, 25),
        ("NIFTY", D(2024, 11, 19), D(2024, 11, 20), 25, 75),
        ("NIFTY", D(2025, 12, 30), D(2025, 12, 31), 75, 65),
        ("BANKNIFTY", D(2018, 10, 25), D(2018, 10, 26), 40, 20),
        ("BANKNIFTY", D(2020, 5, 28), D(2020, 5, 29), 20, 25),
        ("BANKNIFTY", D(2023, 6, 29), D(2023, 6, 30), 25, 15),
        ("BANKNIFTY", D(2024, 11, 19), D(2024, 11, 20), 15, 30),
        ("BANKNIFTY", D(2025, 4, 24), D(2025, 4, 25), 30, 35),
        ("BANKNIFTY", D(2025, 12, 30), D(2025, 12, 31), 35, 30),
        ("FINNIFTY", D(2024, 6, 30), D(2024, 7, 1), 40, 25),
        ("FINNIFTY", D(2024, 11, 19), D(2024, 11, 20), 25, 65),
        ("FINNIFTY", D(2025, 12, 30), D(2025, 12, 31), 65, 60),
        ("MIDCPNIFTY", D(2025, 4, 24), D(2025, 4, 25), 120, 140),
        ("MIDCPNIFTY", D(2025, 12, 30), D(2025, 12, 31), 140, 120),
        ("SENSEX", D(2024, 11, 19), D(2024, 11, 20), 10, 20),
        ("BANKEX", D(2024, 11, 19), D(2024, 11, 20), 15, 30),
    ],
)
def test_lot_size_switches_at_the_boundary(underlying, before, boundary, old, new):
    assert lot_size(underlying, before) == old
    assert lot_size(underlying, boundary) == new


def test_lot_size_before_the_table_raises():
    with pytest.raises(ValueError, match="NIFTY"):
        lot_size("NIFTY", D(2009, 12, 31))
    with pytest.raises(ValueError, match="SENSEX"):
        lot_size("SENSEX", D(2023, 5, 12))


def _ts(*stamps: str) -> np.ndarray:
    return pd.DatetimeIndex(stamps).tz_localize("Asia/Kolkata").as_unit("ns").asi8


def test_lot_sizes_per_bar_follow_the_ist_trade_date():
    # 2024-11-19 15:29 IST is 09:59 UTC on the 19th; 2024-11-20 00:10 IST is 18:40 UTC on the 19th
    # yet belongs to the 20th in IST.
    ts = _ts("2024-11-19 09:15", "2024-11-19 15:29", "2024-11-20 00:10", "2024-11-21 09:15")
    np.testing.assert_array_equal(lot_sizes("NIFTY", ts), [25.0, 25.0, 75.0, 75.0])
    np.testing.assert_array_equal(lot_sizes("nifty 50", ts[:1]), [25.0])
    assert lot_sizes("BANKNIFTY", ts).dtype == np.float64
    assert len(lot_sizes("NIFTY", ts[:0])) == 0


def test_lot_sizes_before_the_table_name_the_first_uncovered_day():
    with pytest.raises(ValueError, match="SENSEX on 2023-05-12"):
        lot_sizes("SENSEX", _ts("2023-05-12 10:00", "2023-05-15 10:00"))


@pytest.mark.parametrize(
    ("underlying", "step", "exchange"),
    [
        ("NIFTY", 50, "NSE"),
        ("BANKNIFTY", 100, "NSE"),
        ("FINNIFTY", 50, "NSE"),
        ("MIDCPNIFTY", 25, "NSE"),
        ("SENSEX", 100, "BSE"),
        ("nifty", 50, "NSE"),
    ],
)
def test_strike_steps_and_exchanges(underlying, step, exchange):
    assert strike_step(underlying) == step
    assert exchange_of(underlying) == exchange


@pytest.mark.parametrize(
    "call",
    [
        lambda: lot_size("RELIANCE", D(2025, 1, 1)),
        lambda: strike_step("RELIANCE"),
        lambda: exchange_of("RELIANCE"),
        lambda: expiry_dates("RELIANCE", D(2025, 1, 1), D(2025, 2, 1)),
        lambda: is_expiry_day("RELIANCE", D(2025, 1, 1)),
    ],
)
def test_unknown_underlying_raises_naming_it(call):
    with pytest.raises(ValueError, match="RELIANCE"):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: is_trading_day(D(2025, 1, 1), "MCX"),
        lambda: holidays("MCX", 2025),
        lambda: trading_days(D(2025, 1, 1), D(2025, 1, 2), "MCX"),
        lambda: session(D(2025, 1, 1), "MCX"),
        lambda: previous_trading_day(D(2025, 1, 1), "MCX"),
        lambda: known_years("MCX"),
    ],
)
def test_unknown_exchange_raises_naming_it(call):
    with pytest.raises(ValueError, match="MCX"):
        call()


# --- against real files ---------------------------------------------------------------------
def _read_days(path) -> pd.Series:
    df = pd.read_csv(path, usecols=["datetime"], parse_dates=["datetime"])
    return df["datetime"]


def test_nifty_2024_file_against_calendar(shared_data):
    ts = _read_days(shared_data / "nifty50_1min_2024-01_2024-08.csv.gz")
    days = set(ts.dt.date)
    # every day with bars has a session (full or special)
    assert all(is_trading_day(d, special=True) for d in days)
    assert {d for d in days if not is_trading_day(d)} == {D(2024, 3, 2), D(2024, 5, 18)}
    # every day has exactly the calendar's minutes
    counts = ts.dt.date.value_counts()
    assert all(session(d).minutes == n for d, n in counts.items())
    # the gaps are exactly the five days SOURCES.md lists as missing from the file
    missing = [d for d in trading_days(D(2024, 1, 1), D(2024, 8, 23)) if d not in days]
    assert missing == [D(2024, 2, 1), D(2024, 3, 4), D(2024, 4, 5), D(2024, 5, 7), D(2024, 7, 10)]
    # bar starts sit inside the session: minute index 0..374 (DR days within their windows)
    idx = pd.DatetimeIndex(ts).tz_localize("Asia/Kolkata").tz_convert("UTC").as_unit("ns").asi8
    mi = session_minute_index(idx)
    assert mi.min() == 0
    assert mi.max() == 374


def test_muhurat_sessions_in_2021_2022_file(shared_data):
    ts = _read_days(shared_data / "nifty50_1min_2021-01_2023-01.csv.gz")
    for d in (D(2021, 11, 4), D(2022, 10, 24)):
        bars = ts[ts.dt.date == d]
        s = session(d)
        assert s is not None
        assert s.kind == "muhurat"
        assert bars.dt.time.min() == s.open
        inside = bars[bars.dt.time < s.close]  # the file keeps a couple of post-close prints
        assert len(inside) == s.minutes


NSE_INDICES = ("NIFTY", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY")


def _listed_expiries(path, symbol_col, expiry_col, fmt):
    df = pd.read_csv(path, usecols=[symbol_col, expiry_col]).drop_duplicates()
    df[expiry_col] = pd.to_datetime(df[expiry_col], format=fmt).dt.date
    return df


def test_listed_expiries_match_rules(shared_data):
    """Expiries listed by NSE on 2025-08-29 and 2025-11-14/17 (up to Feb 2026) are ours.

    (Contracts for 2026-03-31 were listed before the 2026 holiday list made that day a holiday;
    the calendar moves them to 2026-03-30, so later dates are not compared.)
    """
    chain = _listed_expiries(
        shared_data / "nifty_banknifty_option_chain_snapshots_2025-08-27_2025-08-29.csv.gz",
        "Symbol",
        "Expiry_Date",
        "%d-%b-%Y",
    )
    contracts = _listed_expiries(
        shared_data / "nse_index_options_contractwise_2025-11-14_2025-11-17.csv.gz",
        "SYMBOL",
        "EXP_DATE",
        "%Y-%m-%d",
    )
    rows = [*chain.itertuples(index=False), *contracts.itertuples(index=False)]
    checked = 0
    for symbol, expiry in rows:
        if symbol not in NSE_INDICES or expiry > D(2026, 2, 28):
            continue
        assert is_expiry_day(symbol, expiry), (symbol, expiry)
        checked += 1
    assert checked >= 15
    # the chain of 2025-08-29 lists every NIFTY weekly of September
    nifty = set(chain.loc[chain["Symbol"] == "NIFTY", "Expiry_Date"])
    assert set(expiry_dates("NIFTY", D(2025, 9, 1), D(2025, 9, 30))) <= nifty
