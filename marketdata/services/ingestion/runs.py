"""Ingestion runs: create, claim and finish, on the shared lease (``workers.leases``).

A run is claimed by one conditional UPDATE (queued, or running under a lapsed lease), its
worker writes only while its attempt is current, and the reaper (``reaping``) re-queues a
run whose worker died (docs/adr/0008-leases.md).
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from algobacktester.bus import STAFF, Event, emit
from algobacktester.text import printable
from workers.leases import Lease, lease_claim, lease_initial, lease_owned, lease_release

from ...conf import md_setting
from ...models import IngestionRun, Instrument

Status = IngestionRun.Status


def run_lease(run: IngestionRun) -> Lease:
    """The lease of ``run`` as its attempt loaded it: the row's claim count is the token."""
    return Lease(
        IngestionRun, run.pk, run.attempts, Status.RUNNING, md_setting("RUN_LEASE_SECONDS")
    )


def ingestion_run_create(
    *,
    kind: str,
    provider: str,
    instrument: Instrument | None = None,
    timeframe: str = "",
    start: datetime | None = None,
    end: datetime | None = None,
    options: dict | None = None,
    user=None,
    status: str = Status.QUEUED,
) -> tuple[IngestionRun, bool]:
    """A new run, or the active fetch for the same instrument and timeframe (created=False).

    A run created ``running`` (a file import in this process) holds its first attempt's lease
    at once, so the reaper can close it if the process dies.
    """
    state = {"status": status}
    if status == Status.RUNNING:
        state = lease_initial(held=Status.RUNNING, seconds=md_setting("RUN_LEASE_SECONDS"))
        state["started_at"] = timezone.now()
    run = IngestionRun(
        kind=kind,
        provider=provider,
        instrument=instrument,
        timeframe=timeframe,
        start=start,
        end=end,
        options=options or {},
        requested_by=user,
        **state,
    )
    try:
        with transaction.atomic():
            run.save()
    except IntegrityError:
        active = IngestionRun.objects.filter(
            kind=IngestionRun.Kind.FETCH,
            instrument=instrument,
            timeframe=timeframe,
            status__in=IngestionRun.ACTIVE,
        ).first()
        if active is None:
            raise
        return active, False
    return run, True


def ingestion_run_claim(*, run_id: int) -> IngestionRun | None:
    """Take the run for this worker: queued, or running with a lapsed lease. Race-safe."""
    lease = lease_claim(
        IngestionRun,
        pk=run_id,
        ready=(Status.QUEUED,),
        held=Status.RUNNING,
        seconds=md_setting("RUN_LEASE_SECONDS"),
        fields={"error": ""},
    )
    if lease is None:
        return None
    lease_owned(lease).filter(started_at__isnull=True).update(started_at=timezone.now())
    return IngestionRun.objects.select_related("instrument").get(pk=run_id)


def ingestion_run_finish(
    run: IngestionRun, status: str, error: str = "", *, lease: Lease | None = None
) -> IngestionRun:
    """Close the run (see :func:`ingestion_run_close`) and return it as stored."""
    ingestion_run_close(run, status, error, lease=lease)
    return run


def ingestion_run_close(
    run: IngestionRun, status: str, error: str = "", *, lease: Lease | None = None
) -> bool:
    """Close the run if its attempt (``lease``, else the one ``run`` was loaded with) is
    still current; a stale attempt changes nothing and alerts nobody. ``run`` is reloaded."""
    error = printable(error)[:4000]  # a file's bytes may hold NUL, which PostgreSQL refuses
    closed = lease_release(
        lease or run_lease(run),
        status=status,
        fields={"error": error, "finished_at": timezone.now()},
    )
    run.refresh_from_db()
    if not closed:
        return False
    if run.requested_by_id:
        emit(
            Event(
                type="ingestion.finished",
                user_id=run.requested_by_id,
                data={
                    "run": run.pk,
                    "status": status,
                    "inserted": run.rows_inserted,
                    "rejected": run.rows_rejected,
                    "error": run.error,
                },
            )
        )
    if status == Status.FAILED:
        _alert_operators(run)  # the bus sends it after commit
    return True


def _alert_operators(run: IngestionRun) -> None:
    """Staff hear of a failed ingestion on the channels they chose (push, email by default)."""
    symbol = run.instrument.symbol if run.instrument_id else None
    emit(
        Event(
            type="ingestion.failed",
            audience=STAFF,
            key=f"ingestion.failed:{run.pk}",
            data={
                "run": run.pk,
                "symbol": symbol,
                "timeframe": run.timeframe,
                "provider": run.provider,
                "error": run.error,
            },
        )
    )
