"""Fixes from the marketdata review: no run left running, impossible times quarantined, one bad
tracked row isolated, lost fetches re-enqueued, run errors staff-only, and cleanups."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from unittest import mock

import numpy as np
import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from marketdata import selectors, services
from marketdata.frames import BarFrame
from marketdata.models import Candle, IngestionRun, QuarantinedCandle, TrackedInstrument
from marketdata.providers import FileFormatError
from marketdata.providers.files import FileProvider
from marketdata.services import ingestion
from marketdata.validation import frame_validate
from notifications.models import Delivery

from .conftest import small_frame

pytestmark = pytest.mark.django_db
BASE = "/api/marketdata"
HEADER = b"datetime,open,high,low,close,volume\n"


def _upload(client, instrument, content: bytes, **data):
    return client.post(
        f"{BASE}/instruments/{instrument.pk}/import",
        {"file": SimpleUploadedFile("bars.csv", content), "timeframe": "1m", **data},
        format="multipart",
    )


# --- 1: file import errors ---------------------------------------------------------------
def test_mixed_utc_offsets_are_a_400_naming_the_time_column_and_fail_the_run(staff_client, nifty):
    content = (
        HEADER + b"2024-01-02T09:15:00+05:30,1,2,0.5,1,10\n2024-01-02T03:46:00Z,1,2,0.5,1,10\n"
    )
    r = _upload(staff_client, nifty, content)
    assert r.status_code == 400, r.content
    assert r.json()["errors"][0]["field"] == "time_column"
    run = IngestionRun.objects.get(kind="file")
    assert run.status == "failed" and run.finished_at and run.lease_expires_at is None


def test_any_import_exception_fails_the_run_and_propagates(nifty, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ingestion, "candles_ingest", boom)
    provider = FileProvider(source=HEADER + b"2024-01-02 09:15:00,1,2,0.5,1,10\n", timeframe="1m")
    with pytest.raises(RuntimeError):
        services.candles_import(instrument=nifty, timeframe="1m", provider=provider)
    run = IngestionRun.objects.get(kind="file")
    assert run.status == "failed" and "disk on fire" in run.error


def test_file_import_run_holds_a_lease_and_expiry_closes_it(nifty):
    seen = []
    provider = FileProvider(source=HEADER + b"2024-01-02 09:15:00,1,2,0.5,1,10\n", timeframe="1m")

    def progress(_n):
        seen.append(IngestionRun.objects.get(kind="file").lease_expires_at)

    services.candles_import(instrument=nifty, timeframe="1m", provider=provider, progress=progress)
    assert seen and seen[0] is not None and seen[0] > timezone.now()
    # A process that died mid-import: running, lease long lapsed (or none, from before leases).
    old = timezone.now() - timedelta(days=1)
    died = IngestionRun.objects.create(kind="file", provider="file", status="running",
                                       lease_expires_at=old)  # fmt: skip
    legacy = IngestionRun.objects.create(kind="file", provider="file", status="running")
    IngestionRun.objects.filter(pk=legacy.pk).update(created_at=old)
    assert services.ingestion_runs_expire() == 2
    assert set(IngestionRun.objects.filter(pk__in=[died.pk, legacy.pk]).values_list(
        "status", flat=True)) == {"failed"}  # fmt: skip


# --- 2: impossible timestamps ------------------------------------------------------------
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
    provider = FileProvider(
        source=HEADER + b"1704166500,1,2,0.5,1,10\n1704166560,1,2,0.5,1,10\n1e30,1,2,0.5,1,10\n",
        timeframe="1m",
    )
    (frame,) = provider.read()
    assert len(frame) == 2 and frame.ts[0] == 1704166500 * 10**9
    assert len(frame.rejects) == 1 and "1e30" in frame.rejects[0]["detail"]
    only_bad = FileProvider(source=HEADER + b"1e30,1,2,0.5,1,10\n", timeframe="1m")
    with pytest.raises(FileFormatError) as exc:
        list(only_bad.read())
    assert "time_column" in exc.value.errors


def test_upload_of_impossible_epochs_stores_no_bars(staff_client, nifty):
    good = b"1704166500,1,2,0.5,1,10\n1704166560,1,2,0.5,1,10\n1704166620,1,2,0.5,1,10\n"
    content = HEADER + good + b"5,1,2,0.5,1,10\n6,1,2,0.5,1,10\n1e30,1,2,0.5,1,10\n"
    r = _upload(staff_client, nifty, content)
    assert r.status_code == 201, r.content
    assert r.json()["rows_inserted"] == 3 and r.json()["rows_rejected"] == 3
    assert not Candle.objects.filter(ts__lt=datetime(1990, 1, 1, tzinfo=UTC)).exists()
    reasons = sorted(QuarantinedCandle.objects.values_list("reason", flat=True))
    assert reasons == ["out_of_range", "out_of_range", "unparseable"]


# --- 3: tracked rows ---------------------------------------------------------------------
def test_tracking_needs_a_provider_that_fetches_history(staff_client, nifty):
    r = staff_client.post(f"{BASE}/tracked",
                          {"instrument": nifty.pk, "timeframe": "1m", "provider": "file"},
                          format="json")  # fmt: skip
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "provider"
    assert not TrackedInstrument.objects.exists()


def test_nightly_refresh_isolates_a_bad_row(nifty, make_user, django_capture_on_commit_callbacks):
    staff = make_user(is_staff=True)
    bad = TrackedInstrument.objects.create(instrument=nifty, timeframe="1m", provider="file")
    TrackedInstrument.objects.create(
        instrument=nifty, timeframe="1d", provider="synthetic", history_days=30
    )
    with (
        mock.patch("marketdata.tasks.ingestion_run_execute_task.delay"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        ids = services.tracked_instruments_refresh(today=date(2024, 1, 23))
    assert len(ids) == 1 and IngestionRun.objects.get(pk=ids[0]).timeframe == "1d"
    failed = IngestionRun.objects.get(status="failed")
    assert failed.timeframe == "1m" and "history" in failed.error
    alerts = Delivery.objects.filter(event_type="ingestion.failed")
    assert alerts.exists() and {a.owner_id for a in alerts} == {staff.pk}
    assert all(str(bad.pk) in a.dedupe_key for a in alerts)


# --- 4: lost fetches, schedule, conflicts ------------------------------------------------
def test_backfill_of_an_active_run_enqueues_it_again(nifty, django_capture_on_commit_callbacks):
    start, end = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 5, tzinfo=UTC)
    kw = {"instrument": nifty, "timeframe": "5m", "start": start, "end": end}
    kw["provider"] = "synthetic"
    with (
        mock.patch("marketdata.tasks.ingestion_run_execute_task.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        first = services.candles_backfill(**kw)
        again = services.candles_backfill(**kw)  # the first task was lost
    assert again.pk == first.pk and delay.call_count == 2


def test_backfill_of_another_range_while_active_is_a_409(staff_client, nifty):
    body = {"timeframe": "5m", "start": "2024-01-01", "end": "2024-01-05", "provider": "synthetic"}
    with mock.patch("marketdata.tasks.ingestion_run_execute_task.delay"):
        assert staff_client.post(f"{BASE}/instruments/{nifty.pk}/backfill", body,
                                 format="json").status_code == 202  # fmt: skip
        r = staff_client.post(f"{BASE}/instruments/{nifty.pk}/backfill",
                              body | {"end": "2024-01-09"}, format="json")  # fmt: skip
    assert r.status_code == 409, r.content
    assert r.json()["errors"][0]["field"] in ("start", "end")
    assert IngestionRun.objects.count() == 1


def test_run_expiry_is_on_the_beat_schedule():
    from workers.schedule import BEAT_SCHEDULE

    tasks = {e["task"] for e in BEAT_SCHEDULE.values()}
    assert "marketdata.tasks.ingestion_runs_expire_task" in tasks


# --- 5: health ---------------------------------------------------------------------------
def test_health_shows_run_errors_to_staff_only(auth_client, staff_client, nifty):
    services.candles_ingest(instrument=nifty, timeframe="1m", frame=small_frame(days=1))
    IngestionRun.objects.create(kind="fetch", provider="dhan", instrument=nifty, timeframe="1m",
                                status="failed", error="Traceback: secret internals")  # fmt: skip
    url = f"{BASE}/instruments/{nifty.pk}/health?timeframe=1m"
    plain = auth_client.get(url).json()["last_run"]
    assert plain["status"] == "failed" and "error" not in plain
    assert staff_client.get(url).json()["last_run"]["error"] == "Traceback: secret internals"


# --- 6: cleanups -------------------------------------------------------------------------
def test_max_id_has_one_definition():
    from algobacktester.api import converters

    assert selectors.MAX_ID is converters.MAX_ID


def test_deleting_a_missing_tracked_row_is_a_404(staff_client):
    assert staff_client.delete(f"{BASE}/tracked/987654").status_code == 404


def test_time_limit_message_does_not_promise_a_resume(nifty, monkeypatch):
    def slow(run):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(ingestion, "_execute_fetch", slow)
    run, _ = services.ingestion_run_create(
        kind="fetch", provider="synthetic", instrument=nifty, timeframe="5m",
        start=datetime(2024, 1, 1, tzinfo=UTC), end=datetime(2024, 1, 5, tzinfo=UTC),
    )  # fmt: skip
    run = services.ingestion_run_execute(run_id=run.pk)
    assert run.status == "failed" and "resume" not in run.error


def test_tracking_takes_the_instrument_by_symbol(staff_client, nifty):
    r = staff_client.post(f"{BASE}/tracked", {"instrument": "nifty", "provider": "synthetic"},
                          format="json")  # fmt: skip
    assert r.status_code == 201, r.content
    assert r.json()["instrument"] == nifty.pk
    unknown = staff_client.post(f"{BASE}/tracked", {"instrument": "NOPE"}, format="json")
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["field"] == "instrument"
