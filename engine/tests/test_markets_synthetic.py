"""The seeded synthetic bar generator: calendar, shape, coherence, determinism, speed."""

from __future__ import annotations

from datetime import date, time, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.bars import Bars
from engine.markets import (
    is_trading_day,
    session,
    session_minute_index,
    synthetic_bars,
    synthetic_frame,
    trading_days,
)

D = date


def _days_of(bars: Bars) -> pd.Series:
    return pd.Series(bars.index_ist().date)


def _assert_coherent(b: Bars) -> None:
    assert np.all(b.high >= np.maximum(b.open, b.close))
    assert np.all(b.low <= np.minimum(b.open, b.close))
    assert np.all(b.low > 0)
    assert np.all(np.isfinite(b.open) & np.isfinite(b.close))
    assert np.all(b.volume >= 1)
    assert np.all(b.volume == np.round(b.volume))
    assert np.all(np.diff(b.ts) > 0)


def test_one_minute_bars_per_regular_session():
    b = synthetic_bars(start=D(2026, 1, 12), days=5)
    days = _days_of(b)
    # 2026-01-15 is a holiday, 17-18 a weekend
    expected = [D(2026, 1, 12), D(2026, 1, 13), D(2026, 1, 14), D(2026, 1, 16), D(2026, 1, 19)]
    assert list(days.unique()) == expected
    assert (days.value_counts() == 375).all()
    idx = b.index_ist()
    assert idx[0].time() == time(9, 15)
    assert idx[374].time() == time(15, 29)
    mi = session_minute_index(b.ts)
    assert np.array_equal(mi, np.tile(np.arange(375), 5))
    assert b.open[0] == 22000.0
    _assert_coherent(b)


def test_end_is_inclusive_and_matches_the_calendar():
    b = synthetic_bars(start=D(2024, 1, 1), end=D(2024, 3, 31))
    days = sorted(set(_days_of(b)))
    assert days == trading_days(D(2024, 1, 1), D(2024, 3, 31))
    assert D(2024, 1, 20) in days  # the full special Saturday
    assert D(2024, 3, 2) not in days  # a DR drill only with special=True


def test_special_sessions_when_asked():
    b = synthetic_bars(start=D(2024, 10, 31), end=D(2024, 11, 4), special=True)
    counts = _days_of(b).value_counts()
    assert counts[D(2024, 11, 1)] == 60
    muhurat = b.index_ist()[_days_of(b) == D(2024, 11, 1)]
    assert muhurat[0].time() == time(18, 0)
    assert muhurat[-1].time() == time(18, 59)
    dr = synthetic_bars(start=D(2024, 3, 2), days=1, special=True)
    assert len(dr) == 105
    assert set(pd.Series(dr.index_ist().time).astype(str).str[:2]) == {"09", "11", "12"}


@pytest.mark.parametrize(
    ("tf", "per_day", "last"),
    [(5, 75, "15:25"), (15, 25, "15:15"), (60, 7, "15:15"), (375, 1, "09:15")],
)
def test_timeframes_aggregate_from_the_open(tf, per_day, last):
    one = synthetic_bars(start=D(2025, 6, 2), days=3, seed=7)
    agg = synthetic_bars(start=D(2025, 6, 2), days=3, seed=7, timeframe_minutes=tf)
    assert len(agg) == 3 * per_day
    assert agg.index_ist()[per_day - 1].strftime("%H:%M") == last
    # same path as the 1-min bars
    f1 = one.to_frame()
    day1 = f1[f1.index.date == D(2025, 6, 2)]
    assert agg.open[0] == day1["open"].iloc[0]
    assert agg.close[per_day - 1] == day1["close"].iloc[-1]
    assert agg.high[:per_day].max() == day1["high"].max()
    assert agg.low[:per_day].min() == day1["low"].min()
    assert agg.volume[:per_day].sum() == day1["volume"].sum()
    _assert_coherent(agg)


def test_same_seed_same_bars_other_seed_other_bars():
    a = synthetic_bars(start=D(2025, 1, 1), days=20, seed=42)
    b = synthetic_bars(start=D(2025, 1, 1), days=20, seed=42)
    c = synthetic_bars(start=D(2025, 1, 1), days=20, seed=43)
    for f in ("ts", "open", "high", "low", "close", "volume"):
        assert np.array_equal(getattr(a, f), getattr(b, f))
    assert not np.array_equal(a.close, c.close)


def test_frame():
    f = synthetic_frame(start=D(2025, 1, 1), days=2)
    assert list(f.columns) == ["open", "high", "low", "close", "volume"]
    assert str(f.index.tz) == "Asia/Kolkata"
    assert len(f) == 750


@pytest.mark.parametrize(
    "kwargs",
    [
        {"start": D(2025, 1, 1)},
        {"start": D(2025, 1, 1), "days": 3, "end": D(2025, 2, 1)},
        {"start": D(2025, 1, 1), "days": 0},
        {"start": D(2025, 2, 1), "end": D(2025, 1, 1)},
        {"start": D(2025, 1, 1), "days": 3, "timeframe_minutes": 0},
        {"start": D(2025, 1, 1), "days": 3, "start_price": -5.0},
        {"start": D(2025, 1, 1), "days": 3, "exchange": "MCX"},
    ],
)
def test_bad_arguments_raise(kwargs):
    with pytest.raises(ValueError):
        synthetic_bars(**kwargs)


def test_holiday_only_range_is_empty():
    assert len(synthetic_bars(start=D(2026, 1, 24), end=D(2026, 1, 26))) == 0


# --- stylised facts -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def long_run() -> Bars:
    return synthetic_bars(start=D(2015, 1, 1), days=1500, seed=3, annual_vol=0.16)


def test_u_shaped_intraday_volatility_and_volume(long_run):
    b = long_run
    mi = session_minute_index(b.ts)
    r = np.abs(np.log(b.close / b.open))
    by_min = np.bincount(mi, weights=r, minlength=375) / np.bincount(mi, minlength=375)
    vol = np.bincount(mi, weights=b.volume, minlength=375) / np.bincount(mi, minlength=375)
    midday = slice(150, 240)
    assert by_min[:15].mean() > 1.5 * by_min[midday].mean()
    assert by_min[0] > 3 * by_min[midday].mean()
    assert by_min[-15:].mean() > by_min[midday].mean()
    assert vol[:15].mean() > 1.8 * vol[midday].mean()
    assert vol[-15:].mean() > 1.5 * vol[midday].mean()


def test_gaps_volatility_level_and_clustering(long_run):
    f = long_run.to_frame()
    g = f.groupby(f.index.date)
    o, c = g["open"].first(), g["close"].last()
    gaps = np.log(o / c.shift()).dropna()
    intraday = np.log(c / o)
    assert (gaps.abs() > 0).mean() > 0.9
    daily = np.log(c / c.shift()).dropna()
    ann = daily.std() * np.sqrt(252)
    assert 0.11 < ann < 0.22
    share = gaps.var() / (gaps.var() + intraday.var())
    assert 0.15 < share < 0.45
    a = daily.abs().to_numpy()
    lag1 = np.corrcoef(a[:-1], a[1:])[0, 1]
    assert lag1 > 0.05  # volatility clusters
    rng = np.random.default_rng(0)
    shuffled = rng.permutation(a)
    assert lag1 > np.corrcoef(shuffled[:-1], shuffled[1:])[0, 1]


def test_range_is_realistic(long_run):
    b = long_run
    rng_ratio = np.log(b.high / b.low).mean() / np.abs(np.log(b.close / b.open)).mean()
    assert 1.4 < rng_ratio < 2.6  # NIFTY 2021-23 1-min: about 1.7


def test_a_million_bars_are_generated_coherently():
    # Speed is measured in bench/, not asserted here (timed tests flake on a busy machine).
    b = synthetic_bars(start=D(2010, 1, 4), days=2667)
    assert len(b) >= 1_000_000
    assert np.all(b.high >= np.maximum(b.open, b.close))
    assert np.all(b.low <= np.minimum(b.open, b.close))


# --- invariants -----------------------------------------------------------------------------
starts = st.dates(min_value=D(2023, 12, 1), max_value=D(2027, 1, 31))
common = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@common
@given(
    start=starts,
    days=st.integers(1, 12),
    seed=st.integers(0, 2**32 - 1),
    price=st.floats(50.0, 100_000.0),
    vol=st.floats(0.0, 0.9),
    tf=st.sampled_from([1, 2, 3, 5, 10, 15, 30, 60, 375]),
    special=st.booleans(),
    exchange=st.sampled_from(["NSE", "BSE"]),
)
def test_ohlc_coherent_and_on_session_minutes(start, days, seed, price, vol, tf, special, exchange):
    b = synthetic_bars(
        start=start,
        days=days,
        seed=seed,
        start_price=price,
        annual_vol=vol,
        timeframe_minutes=tf,
        special=special,
        exchange=exchange,
    )
    _assert_coherent(b)
    idx = b.index_ist()
    day_list = sorted(set(idx.date))
    assert len(day_list) == days
    assert day_list[0] >= start
    for d in day_list:
        assert is_trading_day(d, exchange, special=special)
        s = session(d, exchange)
        assert s is not None
        t = idx[idx.date == d].time
        assert all(any(a <= x < z for a, z in s.segments) for x in t)
    # no trading day skipped between the first and the last
    assert day_list == trading_days(day_list[0], day_list[-1], exchange, special=special)


@common
@given(
    start=starts, days=st.integers(1, 5), seed=st.integers(0, 2**63), tf=st.sampled_from([1, 15])
)
def test_deterministic(start, days, seed, tf):
    kw = {"start": start, "days": days, "seed": seed, "timeframe_minutes": tf}
    a, b = synthetic_bars(**kw), synthetic_bars(**kw)
    for f in ("ts", "open", "high", "low", "close", "volume"):
        assert np.array_equal(getattr(a, f), getattr(b, f))


@common
@given(start=starts, end_offset=st.integers(0, 40), seed=st.integers(0, 1000))
def test_only_trading_day_sessions(start, end_offset, seed):
    end = start + timedelta(days=end_offset)
    b = synthetic_bars(start=start, end=end, seed=seed)
    days = sorted(set(b.index_ist().date))
    assert days == trading_days(start, end)
    counts = pd.Series(b.index_ist().date).value_counts()
    assert all(counts[d] == session(d).minutes for d in days)
