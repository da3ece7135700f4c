"""Writes of candles: validate, quarantine, upsert, and the runs that record each load.

Every load goes through :func:`candles_ingest` (one transaction per chunk), so a run killed
midway leaves whole chunks behind; a re-run resumes after its last committed chunk and the
upsert makes repeats harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from algobacktester.bus import STAFF, Event, emit
from algobacktester.errors import ApplicationError, Conflict, InvalidInput
from algobacktester.events import event_emit
from engine.markets.calendar import IST, is_trading_day

from ..conf import md_setting
from ..frames import BarFrame
from ..models import Candle, IngestionRun, Instrument, QuarantinedCandle, TrackedInstrument
from ..providers import (
    FileFormatError,
    InstrumentRef,
    Provider,
    ProviderError,
    provider_class,
    provider_get,
)
from ..ranges import ns_to_datetime
from ..storage import candles_upsert
from ..timeframes import timeframe_check
from ..validation import frame_validate

logger = logging.getLogger(__name__)
Status = IngestionRun.Status


class RunConflict(Conflict):
    """A fetch of the instrument and timeframe is already active for another range (409)."""

    default_detail = "Another fetch of this instrument and timeframe is active."


@dataclass(frozen=True, slots=True)
class IngestResult:
    received: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    anomalies: dict
    first_ts: int | None = None  # ns, of the bars stored
    last_ts: int | None = None


def instrument_ref(instrument: Instrument) -> InstrumentRef:
    return InstrumentRef(
        symbol=instrument.symbol,
        exchange=instrument.exchange,
        segment=instrument.segment,
        security_id=instrument.security_id,
        kind=instrument.kind,
        underlying=instrument.underlying,
        expiry=instrument.expiry,
    )


def _merge_anomalies(old: dict, new: dict) -> dict:
    counts = dict(old.get("counts", {}))
    samples = {k: list(v) for k, v in old.get("samples", {}).items()}
    for k, v in new.get("counts", {}).items():
        counts[k] = counts.get(k, 0) + v
    for k, v in new.get("samples", {}).items():
        samples[k] = (samples.get(k, []) + v)[:5]
    return {"counts": counts, "samples": samples}


def candles_ingest(
    *,
    instrument: Instrument,
    timeframe: str,
    frame: BarFrame,
    run: IngestionRun | None = None,
) -> IngestResult:
    """Validate ``frame``, quarantine hard failures, upsert the rest; one transaction."""
    result = frame_validate(
        frame,
        timeframe=timeframe,
        exchange=instrument.exchange,
        spike_z=md_setting("SPIKE_Z"),
        ohlc_tolerance=md_setting("OHLC_REPAIR_TOLERANCE"),
    )
    anomalies = result.anomalies()
    with transaction.atomic():
        counts = candles_upsert(
            instrument_id=instrument.pk, timeframe=timeframe, frame=result.clean
        )
        QuarantinedCandle.objects.bulk_create(
            [
                QuarantinedCandle(
                    run=run,
                    instrument=instrument,
                    timeframe=timeframe,
                    # An impossible time is kept in ``raw``, not as the row's ts.
                    ts=ns_to_datetime(r["ts"])
                    if r["ts"] is not None and r["reason"] != "out_of_range"
                    else None,
                    reason=r["reason"],
                    detail=str(r.get("detail", ""))[:255],
                    raw=r.get("raw", {}),
                )
                for r in result.rejected
            ],
            batch_size=1000,
        )
        if run is not None:
            run.rows_received += len(frame) + len(frame.rejects)
            run.rows_inserted += counts.inserted
            run.rows_updated += counts.updated
            run.rows_unchanged += counts.unchanged
            run.rows_rejected += len(result.rejected)
            run.chunks_done += 1
            run.anomalies = _merge_anomalies(run.anomalies, anomalies)
            run.lease_expires_at = timezone.now() + timedelta(
                seconds=md_setting("RUN_LEASE_SECONDS")
            )
            run.save(
                update_fields=[
                    "rows_received", "rows_inserted", "rows_updated", "rows_unchanged",
                    "rows_rejected", "chunks_done", "anomalies", "lease_expires_at",
                ]
            )  # fmt: skip
    return IngestResult(
        len(frame) + len(frame.rejects),
        counts.inserted,
        counts.updated,
        counts.unchanged,
        len(result.rejected),
        anomalies,
        int(result.clean.ts[0]) if len(result.clean) else None,
        int(result.clean.ts[-1]) if len(result.clean) else None,
    )


# --- runs ---------------------------------------------------------------------------------
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

    A run created ``running`` (a file import in this process) gets a lease at once, so the
    expiry job can close it if the process dies.
    """
    lease = None
    if status == Status.RUNNING:
        lease = timezone.now() + timedelta(seconds=md_setting("RUN_LEASE_SECONDS"))
    run = IngestionRun(
        kind=kind, provider=provider, instrument=instrument, timeframe=timeframe, start=start,
        end=end, options=options or {}, requested_by=user, status=status,
        lease_expires_at=lease,
    )  # fmt: skip
    try:
        with transaction.atomic():
            run.save()
    except IntegrityError:
        active = IngestionRun.objects.filter(
            kind=IngestionRun.Kind.FETCH, instrument=instrument, timeframe=timeframe,
            status__in=IngestionRun.ACTIVE,
        ).first()  # fmt: skip
        if active is None:
            raise
        return active, False
    return run, True


def _enqueue(run: IngestionRun) -> None:
    from ..tasks import ingestion_run_execute_task

    transaction.on_commit(lambda: ingestion_run_execute_task.delay(run.pk))


def _check_fetch(provider: str, timeframe: str, start: datetime, end: datetime) -> type[Provider]:
    try:
        cls = provider_class(provider)
    except ProviderError as exc:
        raise InvalidInput({"provider": [str(exc)]}) from exc
    if "history" not in cls.capabilities:
        raise InvalidInput({"provider": [f"Provider '{provider}' cannot fetch history."]})
    timeframe_check(timeframe)
    if timeframe not in cls.timeframes:
        raise InvalidInput(
            {"timeframe": [f"'{provider}' serves {', '.join(cls.timeframes)}, not {timeframe}."]}
        )
    if start >= end:
        raise InvalidInput({"end": ["end must be after start."]})
    if (end - start).days > md_setting("MAX_BACKFILL_DAYS"):
        raise InvalidInput(
            {"start": [f"A backfill spans at most {md_setting('MAX_BACKFILL_DAYS')} days."]}
        )
    return cls


def candles_backfill(
    *,
    instrument: Instrument,
    timeframe: str,
    start: datetime,
    end: datetime,
    provider: str,
    user=None,
    run_now: bool = False,
) -> IngestionRun:
    """Queue (or with ``run_now`` run here) a fetch of ``[start, end)`` from ``provider``.

    An active fetch of the same range is returned and enqueued again: its task may have been
    lost, and the claim lets only one worker run it. An active fetch of another range is a 409.
    """
    _check_fetch(provider, timeframe, start, end)
    run, created = ingestion_run_create(
        kind=IngestionRun.Kind.FETCH, provider=provider, instrument=instrument,
        timeframe=timeframe, start=start, end=end, user=user,
    )  # fmt: skip
    if not created and (run.start, run.end, run.provider) != (start, end, provider):
        active = f"{run.provider} {run.start.isoformat()} to {run.end.isoformat()}"
        raise RunConflict(
            {
                "start": [f"Fetch run {run.pk} ({active}) is active for this instrument and "
                          "timeframe; wait for it or ask for the same range."],
                "end": [f"Fetch run {run.pk} covers up to {run.end.isoformat()}."],
            }
        )  # fmt: skip
    if run_now:
        return ingestion_run_execute(run_id=run.pk)
    _enqueue(run)
    return run


def ingestion_run_claim(*, run_id: int) -> IngestionRun | None:
    """Take the run for this worker: queued, or running with an expired lease. Race-safe."""
    now = timezone.now()
    lease = now + timedelta(seconds=md_setting("RUN_LEASE_SECONDS"))
    claimable = Q(status=Status.QUEUED) | Q(status=Status.RUNNING, lease_expires_at__lt=now)
    taken = IngestionRun.objects.filter(claimable, pk=run_id).update(
        status=Status.RUNNING, attempts=F("attempts") + 1, lease_expires_at=lease, error=""
    )
    if not taken:
        return None
    IngestionRun.objects.filter(pk=run_id, started_at__isnull=True).update(started_at=now)
    return IngestionRun.objects.select_related("instrument").get(pk=run_id)


def _finish(run: IngestionRun, status: str, error: str = "") -> IngestionRun:
    run.status = status
    run.error = error[:4000]
    run.finished_at = timezone.now()
    run.lease_expires_at = None
    run.save(update_fields=["status", "error", "finished_at", "lease_expires_at"])
    if run.requested_by_id:
        event_emit(
            user_id=run.requested_by_id,
            type="ingestion.finished",
            data={"run": run.pk, "status": status, "inserted": run.rows_inserted,
                  "rejected": run.rows_rejected, "error": run.error},
        )  # fmt: skip
    if status == Status.FAILED:
        transaction.on_commit(lambda: _alert_operators(run))
    return run


def _alert_operators(run: IngestionRun) -> None:
    """Staff hear of a failed ingestion on the channels they chose (push, email by default)."""
    symbol = run.instrument.symbol if run.instrument_id else None
    emit(Event(type="ingestion.failed", audience=STAFF, key=f"ingestion.failed:{run.pk}",
               data={"run": run.pk, "symbol": symbol, "timeframe": run.timeframe,
                     "provider": run.provider, "error": run.error}))  # fmt: skip


def ingestion_run_execute(*, run_id: int) -> IngestionRun:
    """Run a queued fetch or instrument sync; failures are recorded on the row, not raised."""
    run = ingestion_run_claim(run_id=run_id)
    if run is None:  # finished, or another worker holds a live lease
        return IngestionRun.objects.get(pk=run_id)
    try:
        if run.kind == IngestionRun.Kind.INSTRUMENTS:
            from .instruments import instruments_sync_run

            instruments_sync_run(run=run)
        else:
            _execute_fetch(run)
    except (ProviderError, InvalidInput, ValueError) as exc:  # FileFormatError is a ValueError
        logger.warning("ingestion run %s failed: %s", run.pk, exc)
        return _finish(run, Status.FAILED, str(exc))
    except SoftTimeLimitExceeded:
        return _finish(
            run,
            Status.FAILED,
            f"time limit reached after {run.chunks_done} chunk(s); the bars stored so far are "
            "kept, and a new backfill fetches the range again",
        )
    except Exception as exc:  # recorded on the row; the log keeps the traceback
        logger.exception("ingestion run %s crashed", run.pk)
        return _finish(run, Status.FAILED, f"{type(exc).__name__}: {exc}")
    return _finish(run, Status.SUCCEEDED)


def _execute_fetch(run: IngestionRun) -> None:
    provider = provider_get(run.provider, **run.options.get("provider_options", {}))
    chunks = provider.chunks(start=run.start, end=run.end)
    ref = instrument_ref(run.instrument)
    for a, b in chunks[run.chunks_done :]:  # resume after the last committed chunk
        frame = provider.fetch(instrument=ref, timeframe=run.timeframe, start=a, end=b)
        candles_ingest(instrument=run.instrument, timeframe=run.timeframe, frame=frame, run=run)


def candles_import(
    *,
    instrument: Instrument,
    timeframe: str,
    provider: Provider,
    user=None,
    progress: Callable[[int], None] | None = None,
    source_name: str = "",
) -> IngestionRun:
    """Load a file (``FileProvider``) chunk by chunk; structural errors fail the run and raise."""
    timeframe_check(timeframe)
    run, _ = ingestion_run_create(
        kind=IngestionRun.Kind.FILE, provider=provider.name, instrument=instrument,
        timeframe=timeframe, options={"source": source_name[:200]}, user=user,
        status=Status.RUNNING,
    )  # fmt: skip
    IngestionRun.objects.filter(pk=run.pk).update(started_at=timezone.now())
    run.refresh_from_db()
    first = last = None
    try:
        for frame in provider.read():
            r = candles_ingest(instrument=instrument, timeframe=timeframe, frame=frame, run=run)
            if r.first_ts is not None:
                first = r.first_ts if first is None else min(first, r.first_ts)
                last = r.last_ts if last is None else max(last, r.last_ts)
            if progress:
                progress(r.received)
    except BaseException as exc:  # any failure closes the run, then propagates
        if not isinstance(exc, FileFormatError):
            logger.exception("file import run %s crashed", run.pk)
        try:
            _finish(run, Status.FAILED, str(exc) or type(exc).__name__)
        except Exception:  # the original error matters more; the lease expiry closes the run
            logger.exception("could not record the failure of file import run %s", run.pk)
        raise
    if first is not None:  # a file run's range is what the file held
        run.start, run.end = ns_to_datetime(first), ns_to_datetime(last + 1000)
        run.save(update_fields=["start", "end"])
    return _finish(run, Status.SUCCEEDED)


# --- incremental refresh ------------------------------------------------------------------
def candles_refresh(
    *, tracked: TrackedInstrument, now: datetime | None = None, user=None
) -> IngestionRun:
    """Fetch from the day of the last stored bar (re-read, so a partial day completes) to now."""
    now = now or timezone.now()
    last = Candle.objects.filter(
        instrument=tracked.instrument, timeframe=tracked.timeframe
    ).aggregate(Max("ts"))["ts__max"]
    if last is None:
        day = (now - timedelta(days=tracked.history_days)).astimezone(IST).date()
    else:
        day = last.astimezone(IST).date()
    start = datetime(day.year, day.month, day.day, tzinfo=IST).astimezone(UTC)
    end = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return candles_backfill(
        instrument=tracked.instrument, timeframe=tracked.timeframe, start=start, end=end,
        provider=tracked.provider, user=user,
    )  # fmt: skip


def ingestion_runs_expire(*, now: datetime | None = None) -> int:
    """Fail runs whose worker died (lease long expired) or whose task never started."""
    now = now or timezone.now()
    grace = timedelta(seconds=md_setting("RUN_LEASE_SECONDS"))
    stale = IngestionRun.objects.filter(
        Q(status=Status.RUNNING, lease_expires_at__lt=now - grace)
        # running without a lease: file imports from before they had one
        | Q(status=Status.RUNNING, lease_expires_at__isnull=True, created_at__lt=now - 4 * grace)
        | Q(status=Status.QUEUED, created_at__lt=now - 4 * grace)
    )
    return stale.update(
        status=Status.FAILED,
        finished_at=now,
        lease_expires_at=None,
        error="stale: no progress within the lease; stored bars are kept, and a new request "
        "fetches the range again",
    )


def tracked_instruments_refresh(*, today: date | None = None) -> list[int]:
    """The nightly job: on trading days, queue an incremental fetch per tracked instrument."""
    ingestion_runs_expire()
    today = today or timezone.now().astimezone(IST).date()
    if not is_trading_day(today, special=True):
        return []
    tracked = TrackedInstrument.objects.filter(is_active=True, instrument__is_active=True)
    ids = []
    for t in tracked.select_related("instrument").order_by("id"):
        try:
            with transaction.atomic():  # one row's failure rolls back only that row
                ids.append(candles_refresh(tracked=t).pk)
        except RunConflict:  # a fetch of another range is active; the next night catches up
            logger.warning("tracked instrument %s skipped: a fetch is already active", t.pk)
        except Exception as exc:  # one bad row must not stop the others
            logger.exception("refresh of tracked instrument %s failed", t.pk)
            _refresh_failed(t, exc, today)
    return ids


def _refresh_failed(tracked: TrackedInstrument, exc: Exception, today: date) -> None:
    """Record a tracked row that could not be queued: a failed run, and the operators told."""
    if isinstance(exc, ApplicationError) and isinstance(exc.detail, dict):
        reason = "; ".join(
            f"{k}: {' '.join(map(str, v)) if isinstance(v, list) else v}"
            for k, v in exc.detail.items()
        )
    else:
        reason = f"{type(exc).__name__}: {exc}"
    error = f"refresh of tracked instrument {tracked.pk} failed: {reason}"
    run_id = None
    try:
        with transaction.atomic():
            run_id = IngestionRun.objects.create(
                kind=IngestionRun.Kind.FETCH, provider=tracked.provider[:32],
                instrument=tracked.instrument, timeframe=tracked.timeframe,
                status=Status.FAILED, finished_at=timezone.now(), error=error[:4000],
                options={"tracked": tracked.pk},
            ).pk  # fmt: skip
    except Exception:
        logger.exception("could not record the failed refresh of tracked %s", tracked.pk)

    emit(Event(type="ingestion.failed", audience=STAFF,
               key=f"ingestion.refresh_failed:{tracked.pk}:{today.isoformat()}",
               data={"run": run_id, "tracked": tracked.pk, "symbol": tracked.instrument.symbol,
                     "timeframe": tracked.timeframe, "provider": tracked.provider,
                     "error": error}))  # fmt: skip
