"""The shared lease (workers.leases) on a real job table: claims race, heartbeats renew,
the reaper re-queues and gives up, and a stale attempt writes nothing.

``IngestionRun`` stands in for every job row: it is a ``LeasedJob`` with no required foreign
keys. The races need PostgreSQL (row locks across connections) and are skipped without it.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connections
from django.utils import timezone

from marketdata.models import IngestionRun
from workers.leases import (
    Lease,
    LeaseLostError,
    lease_check,
    lease_claim,
    lease_heartbeat,
    lease_owned,
    lease_release,
    lease_renew,
    leases_reap,
)

needs_postgres = pytest.mark.skipif(
    not getattr(settings, "USING_POSTGRES", False), reason="PostgreSQL is not reachable"
)
CLAIM = {"ready": ("queued",), "held": "running", "seconds": 60}


def _job(**fields) -> IngestionRun:
    return IngestionRun.objects.create(kind="file", provider="file", **fields)


def _lapsed(attempts: int) -> dict:
    return {
        "status": "running",
        "attempts": attempts,
        "lease_until": timezone.now() - timedelta(seconds=1),
    }


# --- claims --------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_claim_takes_a_queued_row_once() -> None:
    job = _job()
    lease = lease_claim(IngestionRun, pk=job.pk, **CLAIM)
    assert lease is not None and lease.attempt == 1
    assert lease_claim(IngestionRun, pk=job.pk, **CLAIM) is None  # held under a live lease
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("running", 1)
    assert job.lease_until > timezone.now() and job.lease_holder


@pytest.mark.django_db
def test_a_lapsed_lease_is_taken_over_unless_takeover_is_off() -> None:
    job = _job(**_lapsed(1))
    assert lease_claim(IngestionRun, pk=job.pk, takeover=False, **CLAIM) is None
    lease = lease_claim(IngestionRun, pk=job.pk, **CLAIM)
    assert lease is not None and lease.attempt == 2


@pytest.mark.django_db
def test_a_finished_row_is_never_claimed() -> None:
    job = _job(status="succeeded", attempts=1)
    assert lease_claim(IngestionRun, pk=job.pk, **CLAIM) is None


@needs_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("initial", ["queued", "lapsed"])
def test_of_two_claimers_racing_for_each_row_exactly_one_wins(initial: str) -> None:
    fields = {} if initial == "queued" else _lapsed(1)
    jobs = [_job(**fields).pk for _ in range(15)]
    wins: dict[int, list[int]] = {pk: [] for pk in jobs}

    def claimer(barrier: threading.Barrier) -> None:
        try:
            for pk in jobs:
                barrier.wait(timeout=10)  # both UPDATEs reach PostgreSQL together
                lease = lease_claim(IngestionRun, pk=pk, **CLAIM)
                if lease is not None:
                    wins[pk].append(lease.attempt)
        finally:
            connections.close_all()

    barrier = threading.Barrier(2)
    threads = [threading.Thread(target=claimer, args=(barrier,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    first = 1 if initial == "queued" else 2
    assert all(won == [first] for won in wins.values()), wins
    assert set(IngestionRun.objects.filter(pk__in=jobs).values_list("attempts", flat=True)) == {
        first
    }


# --- owned writes --------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_stale_attempt_cannot_write() -> None:
    job = _job(**_lapsed(1))
    stale = Lease(IngestionRun, job.pk, 1, "running", 60)
    current = lease_claim(IngestionRun, pk=job.pk, **CLAIM)
    assert current is not None and current.attempt == 2
    assert not lease_owned(stale).exists()
    assert not lease_renew(stale, fields={"rows_inserted": 99})
    assert not lease_release(stale, status="failed", fields={"error": "late"})
    with pytest.raises(LeaseLostError):
        lease_check(stale)
    job.refresh_from_db()
    assert (job.status, job.rows_inserted, job.error) == ("running", 0, "")
    assert lease_release(current, status="succeeded")
    job.refresh_from_db()
    assert (job.status, job.lease_until) == ("succeeded", None)


@pytest.mark.django_db
def test_a_released_or_cancelled_row_is_no_longer_owned() -> None:
    job = _job()
    lease = lease_claim(IngestionRun, pk=job.pk, **CLAIM)
    IngestionRun.objects.filter(pk=job.pk).update(status="failed")  # e.g. cancelled by a user
    assert not lease_renew(lease)
    with pytest.raises(LeaseLostError):
        lease_check(lease, lock=True)


# --- heartbeat -----------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_keeps_a_slow_job_leased_past_its_lease_length() -> None:
    job = _job()
    lease = lease_claim(IngestionRun, pk=job.pk, ready=("queued",), held="running", seconds=0.6)
    with lease_heartbeat(lease) as beat:
        time.sleep(1.5)  # two and a half lease lengths
        assert (
            lease_claim(IngestionRun, pk=job.pk, ready=("queued",), held="running", seconds=0.6)
            is None
        )
    assert not beat.lost.is_set()
    job.refresh_from_db()
    assert job.attempts == 1 and job.lease_until > timezone.now() - timedelta(seconds=0.6)


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_notices_a_lost_lease_and_stops_renewing() -> None:
    job = _job()
    lease = lease_claim(IngestionRun, pk=job.pk, ready=("queued",), held="running", seconds=0.3)
    with lease_heartbeat(lease) as beat:
        IngestionRun.objects.filter(pk=job.pk).update(status="queued", lease_until=None)
        assert beat.lost.wait(timeout=5)
    assert IngestionRun.objects.get(pk=job.pk).lease_until is None


def _terminate_other_backends() -> int:
    """What an operator's ``pg_terminate_backend`` (or a failover) does to every connection to
    this test database but the test's own."""
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_outlives_its_database_connection_being_terminated() -> None:
    job = _job()
    lease = lease_claim(IngestionRun, pk=job.pk, ready=("queued",), held="running", seconds=0.6)
    with lease_heartbeat(lease) as beat:
        time.sleep(0.5)  # renewed once: the heartbeat's own connection is open
        assert _terminate_other_backends() >= 1
        time.sleep(1.5)  # a dead heartbeat would have let the lease lapse by now
        rival = lease_claim(IngestionRun, pk=job.pk, ready=("queued",), held="running", seconds=1)
        assert rival is None
    assert not beat.lost.is_set()


# --- reaping -------------------------------------------------------------------------------
def _reap(requeued: list, given_up: list, **kwargs):
    def give_up(lease: Lease) -> bool:
        given_up.append(lease.pk)
        return lease_release(lease, status="failed", fields={"error": "gave up"})

    return leases_reap(
        IngestionRun,
        ready="queued",
        held="running",
        max_attempts=3,
        requeue=requeued.append,
        give_up=give_up,
        **kwargs,
    )


@pytest.mark.django_db
def test_reap_requeues_lapsed_rows_and_gives_up_after_the_limit(
    django_capture_on_commit_callbacks,
) -> None:
    lapsed, exhausted = _job(**_lapsed(1)), _job(**_lapsed(3))
    live = _job(status="running", attempts=1, lease_until=timezone.now() + timedelta(minutes=1))
    queued, done = _job(), _job(status="succeeded", attempts=1)
    requeued, given_up = [], []
    with django_capture_on_commit_callbacks(execute=True):
        counts = _reap(requeued, given_up)
    assert (counts.requeued, counts.given_up) == (1, 1)
    assert (requeued, given_up) == ([lapsed.pk], [exhausted.pk])
    status = dict(IngestionRun.objects.values_list("pk", "status"))
    assert status == {
        lapsed.pk: "queued",
        exhausted.pk: "failed",
        live.pk: "running",
        queued.pk: "queued",
        done.pk: "succeeded",
    }
    # The re-queued row is claimed as the next attempt; the dead worker's attempt is fenced.
    assert lease_claim(IngestionRun, pk=lapsed.pk, **CLAIM).attempt == 2
    assert not lease_renew(Lease(IngestionRun, lapsed.pk, 1, "running", 60))


@pytest.mark.django_db
def test_reap_sends_only_after_commit() -> None:
    job, requeued = _job(**_lapsed(1)), []
    _reap(requeued, [])  # inside the test's transaction: nothing committed, nothing sent
    assert requeued == []
    assert IngestionRun.objects.get(pk=job.pk).status == "queued"


@pytest.mark.django_db
def test_without_requeue_every_lapsed_row_is_given_up() -> None:
    job, given_up = _job(**_lapsed(1)), []

    def give_up(lease: Lease) -> bool:
        given_up.append(lease.pk)
        return lease_release(lease, status="failed")

    counts = leases_reap(IngestionRun, ready="queued", held="running", give_up=give_up)
    assert (counts.requeued, counts.given_up, given_up) == (0, 1, [job.pk])


@pytest.mark.django_db
def test_the_reaper_leaves_a_row_whose_worker_renewed_in_the_meantime() -> None:
    job = _job(status="running", attempts=1, lease_until=timezone.now() + timedelta(minutes=1))
    seen_lapsed = Lease(IngestionRun, job.pk, 1, "running", lapsed_before=timezone.now())
    assert not lease_release(seen_lapsed, status="failed")
    assert IngestionRun.objects.get(pk=job.pk).status == "running"


@pytest.mark.django_db
def test_reap_can_be_limited_to_some_rows() -> None:
    from django.db.models import Q

    fetch = IngestionRun.objects.create(kind="fetch", provider="synthetic", **_lapsed(1))
    file = _job(**_lapsed(1))
    counts = _reap([], [], where=Q(kind="fetch"))
    assert counts.requeued == 1
    assert IngestionRun.objects.get(pk=fetch.pk).status == "queued"
    assert IngestionRun.objects.get(pk=file.pk).status == "running"
