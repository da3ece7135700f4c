"""Validation, gaps and resampling: pure numpy, no database."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from engine.markets.synthetic import synthetic_bars
from marketdata.frames import BarFrame
from marketdata.resample import bars_resample, bucket_starts
from marketdata.validation import frame_validate, gaps_find, ist_midnight_ns

from .conftest import small_frame

MIN = 60 * 10**9


def _copy(f: BarFrame, **cols) -> BarFrame:
    data = {c: getattr(f, c).copy() for c in ("ts", "open", "high", "low", "close", "volume", "oi")}
    data.update(cols)
    return BarFrame(**data)


def test_clean_synthetic_bars_pass_untouched():
    f = small_frame()
    r = frame_validate(f, timeframe="1m")
    assert len(r.clean) == len(f) == 3 * 375
    assert r.rejected == [] and "off_session" not in r.counts


def test_hard_failures_are_quarantined_with_reasons():
    f = small_frame(days=1)
    high, low, close, vol = f.high.copy(), f.low.copy(), f.close.copy(), f.volume.copy()
    close[3] = np.nan
    low[5] = -1.0
    vol[7] = -5
    high[9] = low[9] * 0.9  # high below low by far: not a rounding slip
    r = frame_validate(_copy(f, high=high, low=low, close=close, volume=vol), timeframe="1m")
    reasons = sorted(x["reason"] for x in r.rejected)
    assert reasons == ["negative_volume", "non_numeric", "non_positive", "ohlc_inconsistent"]
    assert len(r.clean) == 375 - 4
    assert all(x["raw"]["ts"] for x in r.rejected)


def test_ohlc_off_by_a_tick_is_repaired_and_flagged():
    f = small_frame(days=1)
    high = f.high.copy()
    high[10] = max(f.open[10], f.close[10]) - 0.05
    r = frame_validate(_copy(f, high=high), timeframe="1m")
    assert r.counts["ohlc_repaired"] == 1 and not r.rejected
    assert r.clean.high[10] == max(f.open[10], f.close[10])


def test_duplicates_exact_collapse_and_conflicts_keep_the_last():
    f = small_frame(days=1)
    idx = np.r_[np.arange(375), 20, 30]
    g = f.take(idx)
    close = g.close.copy()
    close[-1] += 1.0  # the second copy of bar 30 differs
    r = frame_validate(_copy(g, close=close), timeframe="1m")
    assert len(r.clean) == 375
    assert r.counts["duplicate"] == 1 and r.counts["duplicate_conflict"] == 1
    assert r.clean.close[30] == f.close[30] + 1.0


def test_off_session_misaligned_and_spike_are_soft_flags():
    f = small_frame(days=2)
    ts = f.ts.copy()
    ts[0] -= 30 * MIN  # 08:45: before the open
    ts[1] += 20 * 10**9  # 20 seconds past the minute
    close = f.close.copy()
    close[200] *= 1.08  # an 8% one-minute jump
    r = frame_validate(_copy(f, ts=ts, close=close, high=np.maximum(f.high, close)), timeframe="1m")
    assert r.counts["off_session"] == 1 and r.counts["misaligned"] == 1
    assert r.counts["spike"] >= 1 and len(r.clean) == len(f)


def test_daily_bars_are_relabelled_to_ist_midnight():
    bars = synthetic_bars(start=date(2024, 1, 2), days=5, timeframe_minutes=10_000)
    r = frame_validate(BarFrame.from_bars(bars), timeframe="1d")
    assert r.counts["relabelled"] == 5
    assert np.all((r.clean.ts + 19_800 * 10**9) % (86_400 * 10**9) == 0)


def test_gaps_find_reports_missing_days_and_intraday_holes():
    f = small_frame(days=3)
    keep = np.ones(len(f), dtype=bool)
    keep[375:750] = False  # the whole second day
    keep[800:841] = False  # 41 minutes on the third
    rep = gaps_find(f.ts[keep], timeframe="1m", start=date(2024, 1, 2), end=date(2024, 1, 4))
    assert rep.missing_days == [date(2024, 1, 3)]
    assert rep.holes == [
        {"start": "2024-01-04T10:05+05:30", "end": "2024-01-04T10:45+05:30", "bars": 41}
    ]
    assert rep.expected_bars == 3 * 375 and rep.present_bars == 3 * 375 - 375 - 41


def test_gaps_outside_calendar_years_are_unverified_not_missing():
    bars = synthetic_bars(start=date(2027, 1, 4), days=3, seed=2)  # 2027: no holiday table yet
    rep = gaps_find(bars.ts[375:], timeframe="1m", start=date(2027, 1, 4), end=date(2027, 1, 6))
    assert rep.missing_days == [] and rep.unverified_days == [date(2027, 1, 4)]
    assert rep.coverage == 1.0


@pytest.mark.parametrize(("tf", "minutes"), [("5m", 5), ("15m", 15), ("30m", 30), ("1h", 60)])
def test_resample_matches_engine_aggregation(tf, minutes):
    one = synthetic_bars(start=date(2024, 3, 4), days=2, seed=5)
    big = synthetic_bars(start=date(2024, 3, 4), days=2, seed=5, timeframe_minutes=minutes)
    got = bars_resample(one, tf)
    np.testing.assert_array_equal(got.ts, big.ts)
    for c in ("open", "high", "low", "close", "volume"):
        np.testing.assert_allclose(getattr(got, c), getattr(big, c))


def test_resample_to_day_and_bucket_anchor():
    one = synthetic_bars(start=date(2024, 3, 4), days=2, seed=5)
    day = bars_resample(one, "1d")
    assert len(day) == 2 and day.open[0] == one.open[0] and day.close[1] == one.close[-1]
    assert day.ts[0] == ist_midnight_ns((date(2024, 3, 4) - date(1970, 1, 1)).days)
    # 09:15 + 16 min falls in the 09:30 bucket of 15m, the 09:15 bucket of 1h
    t = one.ts[16:17]
    assert (bucket_starts(t, "15m") - one.ts[0])[0] == 15 * MIN
    assert (bucket_starts(t, "1h") - one.ts[0])[0] == 0


def test_bars_outside_the_supported_years_are_quarantined():
    f = small_frame(days=1).take(np.arange(5))
    ts = f.ts.copy()
    ts[0], ts[1] = 5, 6  # 1970
    ts[2] = np.iinfo(np.int64).min  # 1677, a wrapped overflow
    bad = BarFrame(ts, f.open, f.high, f.low, f.close, f.volume, f.oi)
    result = frame_validate(bad, timeframe="1m")
    assert len(result.clean) == 2
    assert [r["reason"] for r in result.rejected] == ["out_of_range"] * 3
    daily = frame_validate(bad, timeframe="1d")
    assert daily.counts["out_of_range"] == 3


def test_epoch_overflow_is_a_reject_not_a_wrapped_time():
    from marketdata.providers import FileFormatError
    from marketdata.providers.files import FileProvider

    header = b"datetime,open,high,low,close,volume\n"
    provider = FileProvider(
        source=header + b"1704166500,1,2,0.5,1,10\n1704166560,1,2,0.5,1,10\n1e30,1,2,0.5,1,10\n",
        timeframe="1m",
    )
    (frame,) = provider.read()
    assert len(frame) == 2 and frame.ts[0] == 1704166500 * 10**9
    assert len(frame.rejects) == 1 and "1e30" in frame.rejects[0]["detail"]
    only_bad = FileProvider(source=header + b"1e30,1,2,0.5,1,10\n", timeframe="1m")
    with pytest.raises(FileFormatError) as exc:
        list(only_bad.read())
    assert "time_column" in exc.value.errors


def _seconds_frame(n: int) -> BarFrame:
    t0 = int(ist_midnight_ns(19724)) + (9 * 3600 + 15 * 60) * 10**9  # 2024-01-02 09:15 IST
    c = np.arange(n, dtype=float) + 100
    nan = np.full(n, np.nan)
    return BarFrame(t0 + np.arange(n) * 10**9, c, c + 0.5, c - 0.5, c, c * 0 + 1, nan)


def test_one_second_bars_are_checked_on_a_one_second_grid():
    f = _seconds_frame(30)
    assert "misaligned" not in frame_validate(f, timeframe="1s").counts
    ts = f.ts.copy()
    ts[3] += 5 * 10**8  # half a second off the grid
    assert frame_validate(_copy(f, ts=ts), timeframe="1s").counts["misaligned"] == 1
    # on a 5s grid every bar but :00, :05, ... is off it
    assert frame_validate(f, timeframe="5s").counts["misaligned"] == 24


def test_one_second_gaps_and_buckets():
    f = _seconds_frame(120)
    keep = np.r_[0:40, 45:120]  # 09:15:40-09:15:44 missing
    r = gaps_find(f.ts[keep], timeframe="1s", start=date(2024, 1, 2), end=date(2024, 1, 2))
    assert r.expected_bars == 375 * 60
    hole = r.holes[0]
    assert hole == {
        "start": "2024-01-02T09:15:40+05:30",
        "end": "2024-01-02T09:15:44+05:30",
        "bars": 5,
    }
    starts = bucket_starts(f.ts, "15s")
    assert ((starts - f.ts[0]) // 10**9)[[0, 14, 15, 119]].tolist() == [0, 0, 15, 105]
