"""The nightly incremental refresh of tracked instruments."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from algobacktester.bus import STAFF, Event, emit
from algobacktester.errors import ApplicationError, message_text
from engine.markets.calendar import IST, is_trading_day

from ...models import Candle, IngestionRun, TrackedInstrument
from .fetch import RunConflict, candles_backfill
from .reaping import ingestion_runs_reap

logger = logging.getLogger(__name__)
Status = IngestionRun.Status


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
        instrument=tracked.instrument,
        timeframe=tracked.timeframe,
        start=start,
        end=end,
        provider=tracked.provider,
        user=user,
    )


def tracked_instruments_refresh(*, today: date | None = None) -> list[int]:
    """The nightly job: on trading days, queue an incremental fetch per tracked instrument."""
    ingestion_runs_reap()
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
        reason = message_text(exc.detail)
    else:
        reason = f"{type(exc).__name__}: {exc}"
    error = f"refresh of tracked instrument {tracked.pk} failed: {reason}"
    run_id = None
    try:
        with transaction.atomic():
            run_id = IngestionRun.objects.create(
                kind=IngestionRun.Kind.FETCH,
                provider=tracked.provider[:32],
                instrument=tracked.instrument,
                timeframe=tracked.timeframe,
                status=Status.FAILED,
                finished_at=timezone.now(),
                error=error[:4000],
                options={"tracked": tracked.pk},
            ).pk
    except Exception:
        logger.exception("could not record the failed refresh of tracked %s", tracked.pk)

    emit(
        Event(
            type="ingestion.failed",
            audience=STAFF,
            key=f"ingestion.refresh_failed:{tracked.pk}:{today.isoformat()}",
            data={
                "run": run_id,
                "tracked": tracked.pk,
                "symbol": tracked.instrument.symbol,
                "timeframe": tracked.timeframe,
                "provider": tracked.provider,
                "error": error,
            },
        )
    )
