"""A failed ingestion alerts the operators (staff), once, and nobody else."""

from __future__ import annotations

import pytest

from marketdata.models import IngestionRun
from marketdata.services.ingestion import ingestion_run_create
from marketdata.services.ingestion import ingestion_run_finish as _finish
from marketdata.services.instruments import instrument_index_get_or_create
from notifications.models import Delivery

pytestmark = pytest.mark.django_db


def test_failed_ingestion_notifies_staff_only(
    make_user, django_capture_on_commit_callbacks
) -> None:
    staff, trader = make_user(is_staff=True), make_user()
    nifty = instrument_index_get_or_create(symbol="NIFTY")
    run, _ = ingestion_run_create(
        kind=IngestionRun.Kind.FETCH,
        provider="dhan",
        instrument=nifty,
        timeframe="1m",
        status=IngestionRun.Status.RUNNING,
    )
    with django_capture_on_commit_callbacks(execute=True):
        _finish(run, IngestionRun.Status.FAILED, "DH-901: access token expired")
    deliveries = Delivery.objects.filter(event_type="ingestion.failed")
    sent = deliveries.count()
    assert sent >= 1
    assert set(deliveries.values_list("owner_id", flat=True)) == {staff.pk}
    assert not Delivery.objects.filter(owner=trader).exists()
    with django_capture_on_commit_callbacks(execute=True):  # a second report of the same run
        _finish(run, IngestionRun.Status.FAILED, "DH-901: access token expired")
    assert Delivery.objects.filter(event_type="ingestion.failed").count() == sent


def test_successful_ingestion_alerts_nobody(make_user, django_capture_on_commit_callbacks) -> None:
    make_user(is_staff=True)
    nifty = instrument_index_get_or_create(symbol="NIFTY")
    run, _ = ingestion_run_create(
        kind=IngestionRun.Kind.FETCH,
        provider="dhan",
        instrument=nifty,
        timeframe="1m",
        status=IngestionRun.Status.RUNNING,
    )
    with django_capture_on_commit_callbacks(execute=True):
        _finish(run, IngestionRun.Status.SUCCEEDED)
    assert not Delivery.objects.exists()
