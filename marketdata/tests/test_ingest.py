"""Ingestion: idempotent upserts, quarantine, resume after a kill, refresh, load and hash."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from django.utils import timezone

from marketdata import services, storage
from marketdata.frames import BarFrame
from marketdata.models import Candle, IngestionRun, QuarantinedCandle, TrackedInstrument
from marketdata.providers import ProviderError
from marketdata.providers.synthetic import SyntheticProvider
from marketdata.ranges import ns_to_datetime as ns_dt
from marketdata.selectors import candles_load, data_snapshot_hash

from .conftest import small_frame

pytestmark = pytest.mark.django_db


def test_ingest_is_idempotent_and_counts_updates(nifty):
    f = small_frame()
    first = services.candles_ingest(instrument=nifty, timeframe="1m", frame=f)
    assert (first.inserted, first.updated) == (len(f), 0)
    again = services.candles_ingest(instrument=nifty, timeframe="1m", frame=f)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(f))
    close = f.close.copy()
    close[:10] += 1
    high = np.maximum(f.high, close)
    changed = BarFrame.build(f.ts, f.open, high, f.low, close, f.volume)
    upd = services.candles_ingest(instrument=nifty, timeframe="1m", frame=changed)
    assert (upd.inserted, upd.updated) == (0, 10)
    assert Candle.objects.filter(instrument=nifty).count() == len(f)


def test_partial_overlap_inserts_only_new_bars(nifty):
    f = small_frame(days=4)
    services.candles_ingest(instrument=nifty, timeframe="1m", frame=f.take(np.arange(700)))
    r = services.candles_ingest(
        instrument=nifty, timeframe="1m", frame=f.take(np.arange(500, len(f)))
    )
    assert (r.inserted, r.unchanged) == (len(f) - 700, 200)


def test_hard_failures_land_in_quarantine(nifty):
    f = small_frame(days=1)
    low = f.low.copy()
    low[4] = 0.0
    run, _ = services.ingestion_run_create(
        kind="file", provider="file", instrument=nifty, timeframe="1m", status="running"
    )
    r = services.candles_ingest(
        instrument=nifty,
        timeframe="1m",
        frame=BarFrame.build(f.ts, f.open, f.high, low, f.close),
        run=run,
    )
    assert r.rejected == 1 and r.inserted == 374
    q = QuarantinedCandle.objects.get()
    assert q.reason == "non_positive" and q.run == run and q.raw["low"] == 0.0
    run.refresh_from_db()
    assert run.rows_rejected == 1 and run.rows_inserted == 374


def test_orm_fallback_upsert_and_read(nifty):
    f = small_frame(days=1)
    c1 = storage._orm_upsert(nifty.pk, "5m", f.take(np.arange(0, 375, 5)))
    c2 = storage._orm_upsert(nifty.pk, "5m", f.take(np.arange(0, 375, 5)))
    assert (c1.inserted, c2.unchanged) == (75, 75)
    bars = storage._orm_read(
        nifty.pk, "5m", datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 3, tzinfo=UTC)
    )
    np.testing.assert_array_equal(bars.ts, f.ts[::5])


def test_bulk_read_matches_the_orm_read_value_for_value(nifty):
    """``candles_read`` (PostgreSQL: one row of arrays; SQLite: the ORM) returns what the ORM
    reads, in time order, for a series written out of order and for an empty range."""
    f = small_frame(days=3)
    later, earlier = np.arange(375, len(f)), np.arange(375)
    storage.candles_upsert(instrument_id=nifty.pk, timeframe="1m", frame=f.take(later))
    storage.candles_upsert(instrument_id=nifty.pk, timeframe="1m", frame=f.take(earlier))
    start, end = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 10, tzinfo=UTC)
    got = storage.candles_read(instrument_id=nifty.pk, timeframe="1m", start=start, end=end)
    orm = storage._orm_read(nifty.pk, "1m", start, end)
    for name in ("ts", "open", "high", "low", "close", "volume"):
        np.testing.assert_array_equal(getattr(got, name), getattr(orm, name), err_msg=name)
        assert getattr(got, name).dtype == getattr(orm, name).dtype, name
    np.testing.assert_array_equal(got.ts, f.ts)
    np.testing.assert_array_equal(got.close, f.close)
    middle = storage.candles_read(
        instrument_id=nifty.pk, timeframe="1m", start=ns_dt(f.ts[10]), end=ns_dt(f.ts[20])
    )
    np.testing.assert_array_equal(middle.ts, f.ts[10:20])  # start inclusive, end exclusive
    empty = storage.candles_read(instrument_id=nifty.pk, timeframe="5m", start=start, end=end)
    assert len(empty.ts) == 0 and empty.ts.dtype == orm.ts.dtype


class FlakyProvider(SyntheticProvider):
    calls: list = []
    fail_on: int | None = None

    def fetch(self, **kwargs):
        FlakyProvider.calls.append(kwargs["start"])
        if FlakyProvider.fail_on is not None and len(FlakyProvider.calls) == FlakyProvider.fail_on:
            raise ProviderError("connection reset", retryable=True)
        return super().fetch(**kwargs)


@pytest.fixture
def flaky(settings):
    settings.MARKETDATA = {
        **settings.MARKETDATA,
        "PROVIDERS": {"flaky": "marketdata.tests.test_ingest.FlakyProvider"},
    }
    FlakyProvider.calls = []
    FlakyProvider.fail_on = None
    return FlakyProvider


def _range():
    return datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 3, 31, 18, 30, tzinfo=UTC)


def test_killed_run_resumes_after_its_last_chunk_without_duplicates_or_holes(nifty, flaky):
    start, end = _range()  # three monthly chunks
    flaky.fail_on = 3
    run = services.candles_backfill(
        instrument=nifty, timeframe="15m", start=start, end=end, provider="flaky", run_now=True
    )
    assert run.status == "failed" and run.chunks_done == 2 and "connection reset" in run.error
    # A worker died mid-run: the row is still RUNNING with an expired lease; redelivery claims it.
    IngestionRun.objects.filter(pk=run.pk).update(
        status="running", lease_until=timezone.now() - timedelta(seconds=1)
    )
    flaky.fail_on, flaky.calls = None, []
    run = services.ingestion_run_execute(run_id=run.pk)
    assert run.status == "succeeded" and run.attempts == 2 and len(flaky.calls) == 1
    bars = candles_load(instrument=nifty, timeframe="15m", start=start, end=end)
    expected = SyntheticProvider().fetch(
        instrument=services.instrument_ref(nifty), timeframe="15m", start=start, end=end
    )
    np.testing.assert_array_equal(bars.ts, expected.ts)
    np.testing.assert_allclose(bars.close, expected.close)


def test_live_lease_is_not_claimed_twice(nifty):
    start, end = _range()
    run, created = services.ingestion_run_create(
        kind="fetch", provider="synthetic", instrument=nifty, timeframe="1d", start=start, end=end
    )
    assert services.ingestion_run_claim(run_id=run.pk) is not None
    assert services.ingestion_run_claim(run_id=run.pk) is None
    again, created = services.ingestion_run_create(
        kind="fetch", provider="synthetic", instrument=nifty, timeframe="1d", start=start, end=end
    )
    assert again.pk == run.pk and not created


def test_refresh_fetches_from_the_day_of_the_last_bar(nifty, flaky):
    tracked = services.tracked_instrument_add(instrument=nifty, timeframe="5m", provider="flaky")
    now = datetime(2024, 2, 2, 12, 0, tzinfo=UTC)
    services.candles_ingest(
        instrument=nifty,
        timeframe="5m",
        frame=BarFrame.from_bars(
            __import__("engine.markets.synthetic", fromlist=["x"]).synthetic_bars(
                start=date(2024, 1, 29), days=2, timeframe_minutes=5
            )
        ),
    )
    run = services.candles_refresh(tracked=tracked, now=now)
    assert run.start == datetime(2024, 1, 29, 18, 30, tzinfo=UTC)  # 2024-01-30 00:00 IST
    services.ingestion_run_execute(run_id=run.pk)
    last = Candle.objects.filter(instrument=nifty, timeframe="5m").order_by("-ts").first()
    assert last.ts == datetime(2024, 2, 2, 9, 55, tzinfo=UTC)  # 15:25 IST, the last 5m bar
    assert Candle.objects.filter(instrument=nifty, timeframe="5m").count() == 5 * 75  # no dups


def test_nightly_refresh_skips_days_without_a_session(nifty, django_capture_on_commit_callbacks):
    TrackedInstrument.objects.create(
        instrument=nifty, timeframe="1d", provider="synthetic", history_days=30
    )
    assert services.tracked_instruments_refresh(today=date(2024, 1, 21)) == []  # a Sunday
    with django_capture_on_commit_callbacks(execute=True):
        ids = services.tracked_instruments_refresh(today=date(2024, 1, 22) + timedelta(days=1))
    assert len(ids) == 1 and IngestionRun.objects.get(pk=ids[0]).status == "succeeded"


def test_candles_load_native_resampled_and_hash(nifty):
    f = small_frame(days=2)
    services.candles_ingest(instrument=nifty, timeframe="1m", frame=f)
    one = candles_load(instrument=nifty, timeframe="1m", start="2024-01-02", end="2024-01-03")
    assert len(one) == 750 and one.ts.dtype == np.int64
    five = candles_load(instrument=nifty, timeframe="5m", start="2024-01-02", end=date(2024, 1, 3))
    assert len(five) == 150 and five.high[0] == f.high[:5].max()
    h1 = data_snapshot_hash(instrument=nifty, timeframe="1m", start="2024-01-02", end="2024-01-03")
    assert h1 == data_snapshot_hash(
        instrument=nifty.pk, timeframe="1m", start="2024-01-02", end="2024-01-03", bars=one
    )
    Candle.objects.filter(
        instrument=nifty, ts=Candle.objects.filter(instrument=nifty).order_by("ts").first().ts
    ).update(close=1.0)
    assert h1 != data_snapshot_hash(
        instrument=nifty, timeframe="1m", start="2024-01-02", end="2024-01-03"
    )


def test_demo_seed_is_idempotent():
    first = services.demo_candles_seed(symbols=("NIFTY",), days=2, end=date(2024, 1, 5))
    second = services.demo_candles_seed(symbols=("NIFTY",), days=2, end=date(2024, 1, 5))
    assert first == second == {"NIFTY": 750}
    assert Candle.objects.count() == 750
    assert IngestionRun.objects.filter(kind="seed", status="succeeded").count() == 2
