"""One lease for every job row: claim, heartbeat, write-while-owned, release, reap.

Celery delivers a task at least once, sometimes twice, and re-delivers a dead worker's task
only after the broker's visibility timeout (docs/adr/0004). So a job row (a backtest run, a
sweep chunk, an ingestion run, a delivery …) is owned through the database
(docs/adr/0008-leases.md):

- a worker **claims** the row with one conditional ``UPDATE`` that moves it to the held
  status, bumps ``attempts`` and sets ``lease_until``; the number of attempts it bumped is its
  fencing token, and a claim that updates nothing means someone else has the row;
- while it works it **renews** the lease (from a side thread: :func:`lease_heartbeat`);
- it **writes only while its attempt is current**: every write goes through
  :func:`lease_owned`, which matches nothing once the row was cancelled, finished, re-queued
  or claimed again;
- a **reaper** puts rows whose lease lapsed back to the ready status (to be sent again) or,
  out of attempts, hands them to the app to close with a reason.

Never read-decide-write: two workers that read "queued" at once would both run the job.
The apps keep their own status names; the functions take them as parameters.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connections, models, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone


class LeasedJob(models.Model):
    """The lease columns of a job row. The concrete model adds its own ``status`` field."""

    # Claims so far: the value a claim set is its fencing token.
    attempts = models.PositiveIntegerField(default=0)
    # While held: after this the worker is presumed dead. Null when not held.
    lease_until = models.DateTimeField(null=True, blank=True)
    # host:pid of the last claim, for operators.
    lease_holder = models.CharField(max_length=200, blank=True)

    class Meta:
        abstract = True


# What a lost or broken database connection raises (a terminated backend, a restart, a
# failover): transient, a fresh connection usually works.
DATABASE_ERRORS = (OperationalError, InterfaceError)


class LeaseLostError(Exception):
    """This worker's attempt is no longer current (cancelled, finished, re-queued, taken over)."""


@dataclass(frozen=True, slots=True)
class Lease:
    """What one claim holds: the row, the attempt it made current, and the held status."""

    model: type[models.Model]
    pk: Any
    attempt: int
    held: str
    seconds: float = 0.0
    # Set on the reaper's leases: they act only while the lease is still lapsed, so a worker
    # that was merely slow and renewed in the meantime keeps its row.
    lapsed_before: datetime | None = None


@dataclass(frozen=True, slots=True)
class ReapCounts:
    requeued: int = 0
    given_up: int = 0


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def lease_initial(*, held: str, seconds: float) -> dict[str, Any]:
    """Field values of a row created already held by this process (its first attempt)."""
    return {
        "status": held,
        "attempts": 1,
        "lease_holder": holder_name(),
        "lease_until": timezone.now() + timedelta(seconds=seconds),
    }


def lease_claim(
    model: type[LeasedJob],
    *,
    pk: Any,
    ready: Sequence[str],
    held: str,
    seconds: float,
    takeover: bool = True,
    fields: Mapping[str, Any] | None = None,
) -> Lease | None:
    """Take the row if it is ready (or, with ``takeover``, held under a lapsed lease).

    One conditional UPDATE decides; None means another worker has it or it is finished.
    ``fields`` are set in the same UPDATE (e.g. ``started_at``).
    """
    now = timezone.now()
    claimable = Q(status__in=ready)
    if takeover:
        claimable |= Q(status=held, lease_until__lt=now)
    with transaction.atomic():
        taken = model.objects.filter(claimable, pk=pk).update(
            status=held,
            attempts=F("attempts") + 1,
            lease_until=now + timedelta(seconds=seconds),
            lease_holder=holder_name(),
            **(fields or {}),
        )
        if not taken:
            return None
        # Our UPDATE holds the row lock until commit: this reads our own attempt.
        attempt = model.objects.values_list("attempts", flat=True).get(pk=pk)
    return Lease(model, pk, attempt, held, seconds)


def lease_owned(lease: Lease) -> QuerySet:
    """The row while this attempt is current, else nothing: filter every write through it."""
    rows = lease.model.objects.filter(pk=lease.pk, attempts=lease.attempt, status=lease.held)
    if lease.lapsed_before is not None:
        rows = rows.filter(lease_until__lt=lease.lapsed_before)
    return rows


def lease_renew(lease: Lease, *, fields: Mapping[str, Any] | None = None) -> bool:
    """Extend the lease (and write ``fields``) if still ours; False once it is not."""
    until = timezone.now() + timedelta(seconds=lease.seconds)
    return bool(lease_owned(lease).update(lease_until=until, **(fields or {})))


def lease_release(lease: Lease, *, status: str, fields: Mapping[str, Any] | None = None) -> bool:
    """Move the row out of the held status (finished, failed, or back to queued) if still ours."""
    return bool(lease_owned(lease).update(status=status, lease_until=None, **(fields or {})))


def lease_check(lease: Lease, *, lock: bool = False) -> None:
    """Raise :class:`LeaseLostError` unless the attempt is current; ``lock`` keeps it so
    until the surrounding transaction ends (for a result written in several statements)."""
    rows = lease_owned(lease)
    if not list((rows.select_for_update() if lock else rows).values_list("pk", flat=True)):
        raise LeaseLostError(f"{lease.model.__name__} {lease.pk} attempt {lease.attempt}")


class Heartbeat:
    """Renews a lease every third of its length from a daemon thread."""

    def __init__(self, lease: Lease) -> None:
        self.lease = lease
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, daemon=True, name=f"lease-{lease.model.__name__}-{lease.pk}"
        )

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.lease.seconds / 3):
                if not self._renew():
                    self.lost.set()  # the main thread finds out at its next owned write
                    return
        finally:
            connections.close_all()  # this thread's own connections

    def _renew(self) -> bool:
        """A database error is not a lost lease: drop the broken connection and try again at
        the next beat (a dead heartbeat would let a healthy worker's lease lapse)."""
        try:
            return lease_renew(self.lease)
        except DATABASE_ERRORS:
            connections.close_all()
            return True

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


@contextmanager
def lease_heartbeat(lease: Lease) -> Iterator[Heartbeat]:
    """Keep the lease alive while a long stage runs, so only a dead worker's lease lapses,
    however long a healthy stage takes."""
    beat = Heartbeat(lease)
    beat.start()
    try:
        yield beat
    finally:
        beat.stop()


def connections_drop() -> None:
    """Close this thread's connections after a database error: the next query opens a fresh
    one. A connection a caller's transaction still uses (an eager task inside ``atomic``) is
    left to that caller."""
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close()


def lease_retry(
    lease: Lease,
    *,
    ready: str,
    max_attempts: int,
    give_up: Callable[[Lease], object],
    resend: Callable[[float], object],
    backoff_seconds: float,
) -> str:
    """After a transient database error: back to ``ready`` with the attempt counted, and
    ``resend(countdown)`` (the backoff doubles per attempt); at ``max_attempts``,
    ``give_up(lease)``. If the database is still down, the lease lapses and the reaper does the
    same. Returns what happened: ``retrying``, ``failed`` or ``abandoned`` (no longer ours)."""
    connections_drop()
    try:
        if lease.attempt >= max_attempts:
            give_up(lease)
            return "failed"
        if not lease_release(lease, status=ready):
            return "abandoned"
        resend(backoff_seconds * 2 ** (lease.attempt - 1))
    except DATABASE_ERRORS:
        connections_drop()
    return "retrying"


def leases_reap(
    model: type[LeasedJob],
    *,
    ready: str,
    held: str,
    give_up: Callable[[Lease], bool],
    requeue: Callable[[Any], object] | None = None,
    max_attempts: int = 0,
    where: Q | None = None,
    now: datetime | None = None,
    limit: int = 1000,
) -> ReapCounts:
    """Rows held under a lapsed lease: back to ``ready`` and ``requeue(pk)`` after commit,
    or, once they used ``max_attempts`` (or always, without ``requeue``: a job that must not
    run twice), ``give_up(lease)``, which closes the row through :func:`lease_release` and
    says whether it did."""
    now = now or timezone.now()
    lapsed = model.objects.filter(where or Q(), status=held, lease_until__lt=now)
    requeued = given_up = 0
    for pk, attempt in lapsed.values_list("pk", "attempts").order_by("lease_until")[:limit]:
        lease = Lease(model, pk, attempt, held, lapsed_before=now)
        if requeue is None or attempt >= max_attempts:
            given_up += bool(give_up(lease))
        elif lease_release(lease, status=ready):
            transaction.on_commit(lambda pk=pk: requeue(pk))
            requeued += 1
    return ReapCounts(requeued, given_up)


def queued_to_resend(
    model: type[LeasedJob],
    *,
    ready: str,
    first_seconds: float,
    key: str,
    where: Q | None = None,
    now: datetime | None = None,
) -> list[Any]:
    """Rows waiting in ``ready`` whose message may be lost, to be sent again: each once it has
    waited ``first_seconds``, then at most once per half its waiting time; every one of them,
    whatever its wait, when the broker lost its data.

    A row merely behind a backlog still has its message in the broker: the growing spacing
    keeps its duplicates few (at 20, 30, 45 … s), and the claim makes them harmless. The marks
    live in the cache, which in services mode is the broker's Redis: a restart or flush that
    lost the messages lost the marks too, and the missing ``<key>:broker-epoch`` says so.
    """
    now = now or timezone.now()
    broker_reset = cache.add(f"{key}:broker-epoch", 1, timeout=None)
    due = []
    for pk, waited in queued_waits(model, ready=ready, key=key, where=where, now=now):
        if broker_reset or waited >= first_seconds:
            spacing = max(first_seconds, waited / 2)
            if cache.add(f"{key}:resent:{pk}", 1, spacing) or broker_reset:
                due.append(pk)
    return due


def queued_waits(
    model: type[LeasedJob],
    *,
    ready: str,
    key: str,
    where: Q | None = None,
    now: datetime | None = None,
) -> list[tuple[Any, float]]:
    """``(pk, seconds waiting)`` of rows in ``ready``: since ``created_at`` for a row never
    claimed; for a re-queued one, since a reaper first saw it waiting in its current attempt
    (a cache mark per row and attempt, as the row keeps no re-queue time)."""
    now = now or timezone.now()
    rows = model.objects.filter(where or Q(), status=ready)
    waits = []
    for pk, attempt, created in rows.values_list("pk", "attempts", "created_at"):
        since = created.timestamp()
        if attempt:
            mark = f"{key}:waiting:{pk}:{attempt}"
            since = float(cache.get_or_set(mark, now.timestamp(), timeout=7 * 86_400))
        waits.append((pk, max(0.0, now.timestamp() - since)))
    return waits
