"""Ingestion runs on the shared lease: claims, owned writes, lost runs re-queued, file imports
closed, and the nightly refresh that queues them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from marketdata import services
from marketdata.conf import md_setting
from marketdata.models import IngestionRun, TrackedInstrument
from marketdata.providers.files import FileProvider
from marketdata.services.ingestion import fetch, imports
from notifications.models import Delivery

pytestmark = pytest.mark.django_db
HEADER = b"datetime,open,high,low,close,volume\n"
START, END = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 5, tzinfo=UTC)


def _fetch_run(nifty, **fields) -> IngestionRun:
    run, _ = services.ingestion_run_create(
        kind="fetch", provider="synthetic", instrument=nifty, timeframe="5m", start=START, end=END
    )
    IngestionRun.objects.filter(pk=run.pk).update(**fields)
    return run


def _lapsed(attempts: int) -> dict:
    return {
        "status": "running",
        "attempts": attempts,
        "lease_until": timezone.now() - timedelta(seconds=5),
    }


# --- lost runs -----------------------------------------------------------------------------
def test_a_lost_fetch_is_requeued_and_finished_by_the_next_attempt(
    nifty, django_capture_on_commit_callbacks
):
    run = _fetch_run(nifty, **_lapsed(1))
    with django_capture_on_commit_callbacks(execute=True):  # eager: the re-sent task runs
        counts = services.ingestion_runs_reap()
    assert (counts.requeued, counts.given_up) == (1, 0)
    run.refresh_from_db()
    assert (run.status, run.attempts, run.error) == ("succeeded", 2, "")


def test_a_fetch_whose_worker_keeps_dying_fails_with_the_reason_after_the_limit(nifty, settings):
    settings.MARKETDATA = {**settings.MARKETDATA, "RUN_MAX_ATTEMPTS": 2}
    run = _fetch_run(nifty, **_lapsed(2))
    counts = services.ingestion_runs_reap()
    assert (counts.requeued, counts.given_up) == (0, 1)
    run.refresh_from_db()
    assert run.status == "failed" and "stopped 2 times" in run.error and run.lease_until is None


def test_a_live_lease_is_left_alone(nifty):
    run = _fetch_run(
        nifty, status="running", attempts=1, lease_until=timezone.now() + timedelta(minutes=1)
    )
    assert services.ingestion_runs_reap() == type(services.ingestion_runs_reap())(0, 0)
    assert IngestionRun.objects.get(pk=run.pk).status == "running"


def test_the_worker_of_a_requeued_run_cannot_write_its_counts(nifty):
    run = _fetch_run(nifty, **_lapsed(1))
    stale = IngestionRun.objects.get(pk=run.pk)  # as the dead worker loaded it
    with mock.patch("marketdata.tasks.ingestion_run_execute_task.delay"):
        services.ingestion_runs_reap()
    from workers.leases import LeaseLostError

    from .conftest import small_frame

    with pytest.raises(LeaseLostError):
        services.candles_ingest(
            instrument=nifty, timeframe="1m", frame=small_frame(days=1), run=stale
        )
    assert IngestionRun.objects.get(pk=run.pk).rows_received == 0


def test_a_lost_queued_run_is_sent_again_and_one_never_taken_fails(nifty):
    old = timezone.now() - timedelta(minutes=30)
    lost = _fetch_run(nifty)
    IngestionRun.objects.filter(pk=lost.pk).update(created_at=old)
    with mock.patch("marketdata.tasks.ingestion_run_execute_task.delay") as delay:
        assert services.ingestion_runs_reap().requeued == 1
    delay.assert_called_once_with(lost.pk)
    IngestionRun.objects.filter(pk=lost.pk).update(created_at=old - timedelta(days=1))
    with mock.patch("marketdata.tasks.ingestion_run_execute_task.delay"):
        assert services.ingestion_runs_reap().given_up == 1
    lost.refresh_from_db()
    assert lost.status == "failed" and "no worker took" in lost.error


def test_a_queued_run_is_not_sent_again_on_every_reaper_tick(nifty):
    lost = _fetch_run(nifty)
    IngestionRun.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(hours=1))
    with mock.patch("marketdata.tasks.ingestion_run_execute_task.delay") as delay:
        services.ingestion_runs_reap()
        services.ingestion_runs_reap()  # the next tick: the message is still in the broker
    delay.assert_called_once_with(lost.pk)


def test_a_requeued_run_no_worker_takes_fails_after_the_give_up_time(nifty, settings):
    run = _fetch_run(nifty, status="queued", attempts=1)
    IngestionRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(days=2))
    now = timezone.now()
    with mock.patch("marketdata.tasks.ingestion_run_execute_task.delay"):
        # Created long ago, but re-queued just now: its wait starts when first seen queued.
        assert services.ingestion_runs_reap(now=now).given_up == 0
        later = now + timedelta(seconds=md_setting("RUN_QUEUED_GIVE_UP_SECONDS") + 1)
        assert services.ingestion_runs_reap(now=later).given_up == 1
    run.refresh_from_db()
    assert run.status == "failed" and "no worker took" in run.error


def test_run_reaping_is_on_the_beat_schedule():
    from workers.schedule import BEAT_SCHEDULE

    tasks = {e["task"] for e in BEAT_SCHEDULE.values()}
    assert "marketdata.tasks.ingestion_runs_reap_task" in tasks


def test_the_time_limit_fails_the_run_without_promising_a_resume(nifty, monkeypatch):
    def slow(run):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(fetch, "_execute_fetch", slow)
    run = services.ingestion_run_execute(run_id=_fetch_run(nifty).pk)
    assert run.status == "failed" and "resume" not in run.error


def test_backfill_of_an_active_run_enqueues_it_again(nifty, django_capture_on_commit_callbacks):
    kw = {"instrument": nifty, "timeframe": "5m", "start": START, "end": END}
    kw["provider"] = "synthetic"
    with (
        mock.patch("marketdata.tasks.ingestion_run_execute_task.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        first = services.candles_backfill(**kw)
        again = services.candles_backfill(**kw)  # the first task was lost
    assert again.pk == first.pk and delay.call_count == 2


# --- file imports --------------------------------------------------------------------------
def test_any_import_exception_fails_the_run_and_propagates(nifty, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(imports, "candles_ingest", boom)
    provider = FileProvider(source=HEADER + b"2024-01-02 09:15:00,1,2,0.5,1,10\n", timeframe="1m")
    with pytest.raises(RuntimeError):
        services.candles_import(instrument=nifty, timeframe="1m", provider=provider)
    run = IngestionRun.objects.get(kind="file")
    assert run.status == "failed" and "disk on fire" in run.error


def test_file_import_run_holds_a_lease_and_a_dead_one_is_closed_not_requeued(nifty):
    seen = []
    provider = FileProvider(source=HEADER + b"2024-01-02 09:15:00,1,2,0.5,1,10\n", timeframe="1m")

    def progress(_n):
        seen.append(IngestionRun.objects.get(kind="file").lease_until)

    services.candles_import(instrument=nifty, timeframe="1m", provider=provider, progress=progress)
    assert seen and seen[0] is not None and seen[0] > timezone.now()
    # A process that died mid-import: running, lease lapsed. Its file is gone with it.
    died = IngestionRun.objects.create(kind="file", provider="file", **_lapsed(1))
    with mock.patch("marketdata.tasks.ingestion_run_execute_task.delay") as delay:
        assert services.ingestion_runs_reap().given_up == 1
    assert not delay.called
    died.refresh_from_db()
    assert died.status == "failed" and "load the file again" in died.error


def test_the_migration_leases_running_runs_from_before_leases():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("marketdata.migrations.0002_ingestion_runs_on_the_shared_lease")
    legacy = IngestionRun.objects.create(kind="file", provider="file", status="running")
    IngestionRun.objects.filter(pk=legacy.pk).update(created_at=timezone.now() - timedelta(days=1))
    migration.lease_legacy_running_runs(apps, None)
    assert services.ingestion_runs_reap().given_up == 1
    assert IngestionRun.objects.get(pk=legacy.pk).status == "failed"


# --- the nightly refresh -------------------------------------------------------------------
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
