"""Ingestion of candles, one module per job: ``ingest`` (validate and upsert a chunk),
``runs`` (create, claim, finish a run on the shared lease), ``fetch`` (backfills),
``imports`` (files), ``refresh`` (the nightly sync of tracked instruments) and ``reaping``
(lost runs re-queued or given up)."""

from .fetch import RunConflict, candles_backfill, ingestion_run_execute
from .imports import candles_import
from .ingest import IngestResult, candles_ingest, instrument_ref
from .reaping import ingestion_runs_reap
from .refresh import candles_refresh, tracked_instruments_refresh
from .runs import (
    ingestion_run_claim,
    ingestion_run_close,
    ingestion_run_create,
    ingestion_run_finish,
    run_lease,
)

__all__ = [
    "IngestResult",
    "RunConflict",
    "candles_backfill",
    "candles_import",
    "candles_ingest",
    "candles_refresh",
    "ingestion_run_claim",
    "ingestion_run_close",
    "ingestion_run_create",
    "ingestion_run_execute",
    "ingestion_run_finish",
    "ingestion_runs_reap",
    "instrument_ref",
    "run_lease",
    "tracked_instruments_refresh",
]
