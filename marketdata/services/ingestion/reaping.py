"""Lost ingestion runs: re-queued like a lost backtest, given up after the attempt limit.

- A fetch or instrument sync whose worker died (lease lapsed) goes back to queued and is sent
  again; it resumes after its last committed chunk. After ``RUN_MAX_ATTEMPTS`` it fails with
  the reason and the operators are alerted.
- A file import or demo seed ran in a process that is gone with its input: it cannot be
  re-queued, so a lapsed one fails at once.
- A queued run whose message was lost is sent again; one that no worker took within
  ``RUN_QUEUED_GIVE_UP_SECONDS`` (no ``marketdata`` worker is running) fails, so it stops
  blocking new fetches of its instrument and timeframe.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from workers.leases import Lease, ReapCounts, leases_reap, queued_to_resend, queued_waits

from ...conf import md_setting
from ...models import IngestionRun
from .runs import ingestion_run_close

Status = IngestionRun.Status
# Kinds a worker runs from the row alone; files and seeds ran in a process that is gone.
REQUEUEABLE_KINDS = (
    IngestionRun.Kind.FETCH,
    IngestionRun.Kind.INSTRUMENTS,
    IngestionRun.Kind.OPTION_FETCH,
)
REQUEUEABLE = Q(kind__in=REQUEUEABLE_KINDS)
KEY = "ingestion"  # cache marks of queued_to_resend


def ingestion_runs_reap(*, now: datetime | None = None) -> ReapCounts:
    """Recover runs whose worker died or whose task was lost; see the module docstring."""
    from ...tasks import ingestion_run_execute_task

    now = now or timezone.now()
    resent, never_taken = _queued_resend(now, ingestion_run_execute_task.delay)
    limit = md_setting("RUN_MAX_ATTEMPTS")
    lost = leases_reap(
        IngestionRun,
        ready=Status.QUEUED,
        held=Status.RUNNING,
        max_attempts=limit,
        where=REQUEUEABLE,
        now=now,
        requeue=ingestion_run_execute_task.delay,
        give_up=lambda lease: _give_up(
            lease,
            f"its worker stopped {lease.attempt} times; "
            "stored bars are kept, and a new request "
            "fetches the rest",
        ),
    )
    in_process = leases_reap(
        IngestionRun,
        ready=Status.QUEUED,
        held=Status.RUNNING,
        where=~REQUEUEABLE,
        now=now,
        give_up=lambda lease: _give_up(
            lease, "the process loading it stopped; stored bars are kept, load the file again"
        ),
    )
    return ReapCounts(lost.requeued + resent, lost.given_up + in_process.given_up + never_taken)


def _give_up(lease: Lease, reason: str) -> bool:
    run = IngestionRun.objects.select_related("instrument").get(pk=lease.pk)
    return ingestion_run_close(run, Status.FAILED, reason, lease=lease)


def _queued_resend(now: datetime, send: Callable[[int], object]) -> tuple[int, int]:
    """Send lost queued runs again (spaced out, as backtests are); fail those no worker took
    for ``RUN_QUEUED_GIVE_UP_SECONDS``, first sends and re-queued attempts alike."""
    give_up_after = md_setting("RUN_QUEUED_GIVE_UP_SECONDS")
    waits = queued_waits(IngestionRun, ready=Status.QUEUED, key=KEY, where=REQUEUEABLE, now=now)
    stale = [pk for pk, waited in waits if waited >= give_up_after]
    never_taken = IngestionRun.objects.filter(pk__in=stale, status=Status.QUEUED).update(
        status=Status.FAILED,
        finished_at=now,
        error="no worker took the run; is a worker consuming the marketdata queue?",
    )
    due = queued_to_resend(
        IngestionRun,
        ready=Status.QUEUED,
        first_seconds=md_setting("RUN_QUEUED_RESEND_SECONDS"),
        key=KEY,
        where=REQUEUEABLE,
        now=now,
    )
    for run_id in due:
        send(run_id)
    return len(due), never_taken
