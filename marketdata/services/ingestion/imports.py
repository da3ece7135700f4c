"""File imports: a CSV/Parquet file loaded chunk by chunk in this process, under a lease."""

from __future__ import annotations

import logging
from collections.abc import Callable

from workers.leases import lease_heartbeat, lease_owned

from ...models import IngestionRun, Instrument
from ...providers import FileFormatError, Provider
from ...ranges import ns_to_datetime
from ...timeframes import timeframe_check
from .ingest import candles_ingest
from .runs import ingestion_run_create, ingestion_run_finish, run_lease

logger = logging.getLogger(__name__)
Status = IngestionRun.Status


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
        kind=IngestionRun.Kind.FILE,
        provider=provider.name,
        instrument=instrument,
        timeframe=timeframe,
        options={"source": source_name[:200]},
        user=user,
        status=Status.RUNNING,
    )
    first = last = None
    try:
        with lease_heartbeat(run_lease(run)):
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
            ingestion_run_finish(run, Status.FAILED, str(exc) or type(exc).__name__)
        except Exception:  # the original error matters more; the reaper closes the run
            logger.exception("could not record the failure of file import run %s", run.pk)
        raise
    if first is not None:  # a file run's range is what the file held
        lease_owned(run_lease(run)).update(
            start=ns_to_datetime(first), end=ns_to_datetime(last + 1000)
        )
    return ingestion_run_finish(run, Status.SUCCEEDED)
