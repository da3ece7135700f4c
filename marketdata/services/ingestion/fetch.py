"""Backfills: a fetch of ``[start, end)`` from a provider, queued, claimed and run by a worker."""

from __future__ import annotations

import logging
from datetime import datetime

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction

from algobacktester.errors import Conflict, InvalidInput
from workers.leases import LeaseLostError, lease_heartbeat

from ...conf import md_setting
from ...models import IngestionRun, Instrument
from ...providers import Provider, ProviderError, provider_class, provider_get
from ...timeframes import timeframe_check
from .ingest import candles_ingest, instrument_ref
from .runs import ingestion_run_claim, ingestion_run_create, ingestion_run_finish, run_lease

logger = logging.getLogger(__name__)
Status = IngestionRun.Status


class RunConflict(Conflict):
    """A fetch of the instrument and timeframe is already active for another range (409)."""

    default_detail = "Another fetch of this instrument and timeframe is active."


def _enqueue(run: IngestionRun) -> None:
    from ...tasks import ingestion_run_execute_task

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
        kind=IngestionRun.Kind.FETCH,
        provider=provider,
        instrument=instrument,
        timeframe=timeframe,
        start=start,
        end=end,
        user=user,
    )
    if not created and (run.start, run.end, run.provider) != (start, end, provider):
        active = f"{run.provider} {run.start.isoformat()} to {run.end.isoformat()}"
        raise RunConflict(
            {
                "start": [
                    f"Fetch run {run.pk} ({active}) is active for this instrument and "
                    "timeframe; wait for it or ask for the same range."
                ],
                "end": [f"Fetch run {run.pk} covers up to {run.end.isoformat()}."],
            }
        )
    if run_now:
        return ingestion_run_execute(run_id=run.pk)
    _enqueue(run)
    return run


def ingestion_run_execute(*, run_id: int) -> IngestionRun:
    """Run a queued fetch, instrument sync or option fetch; failures are recorded on the row,
    not raised."""
    run = ingestion_run_claim(run_id=run_id)
    if run is None:  # finished, or another worker holds a live lease
        return IngestionRun.objects.get(pk=run_id)
    try:
        with lease_heartbeat(run_lease(run)):
            _execute(run)
    except LeaseLostError:  # re-queued or taken over while we worked: the current attempt reports
        return IngestionRun.objects.get(pk=run_id)
    except (ProviderError, InvalidInput, ValueError) as exc:  # FileFormatError is a ValueError
        logger.warning("ingestion run %s failed: %s", run.pk, exc)
        return ingestion_run_finish(run, Status.FAILED, str(exc))
    except SoftTimeLimitExceeded:
        return ingestion_run_finish(
            run,
            Status.FAILED,
            f"time limit reached after {run.chunks_done} chunk(s); the bars stored so far are "
            "kept, and a new backfill fetches the range again",
        )
    except Exception as exc:  # recorded on the row; the log keeps the traceback
        logger.exception("ingestion run %s crashed", run.pk)
        return ingestion_run_finish(run, Status.FAILED, f"{type(exc).__name__}: {exc}")
    return ingestion_run_finish(run, Status.SUCCEEDED)


def _execute(run: IngestionRun) -> None:
    if run.kind == IngestionRun.Kind.INSTRUMENTS:
        from ..instruments import instruments_sync_run

        instruments_sync_run(run=run)
    elif run.kind == IngestionRun.Kind.OPTION_FETCH:
        from ..options.rolling import option_premiums_fetch_run

        option_premiums_fetch_run(run=run)
    else:
        _execute_fetch(run)


def _execute_fetch(run: IngestionRun) -> None:
    provider = provider_get(run.provider, **run.options.get("provider_options", {}))
    chunks = provider.chunks(start=run.start, end=run.end)
    ref = instrument_ref(run.instrument)
    for a, b in chunks[run.chunks_done :]:  # resume after the last committed chunk
        frame = provider.fetch(instrument=ref, timeframe=run.timeframe, start=a, end=b)
        candles_ingest(instrument=run.instrument, timeframe=run.timeframe, frame=frame, run=run)
