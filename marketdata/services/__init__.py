"""Market-data writes (HackSoft style): keyword-only, typed, named ``<entity>_<action>``."""

from .demo import demo_candles_seed
from .ingestion import (
    IngestResult,
    RunConflict,
    candles_backfill,
    candles_import,
    candles_ingest,
    candles_refresh,
    ingestion_run_claim,
    ingestion_run_create,
    ingestion_run_execute,
    ingestion_runs_reap,
    instrument_ref,
    tracked_instruments_refresh,
)
from .instruments import (
    instrument_create,
    instrument_index_get_or_create,
    instruments_sync,
    instruments_sync_run,
    tracked_instrument_add,
)

__all__ = [
    "IngestResult",
    "RunConflict",
    "candles_backfill",
    "candles_import",
    "candles_ingest",
    "candles_refresh",
    "demo_candles_seed",
    "ingestion_run_claim",
    "ingestion_run_create",
    "ingestion_run_execute",
    "ingestion_runs_reap",
    "instrument_create",
    "instrument_index_get_or_create",
    "instrument_ref",
    "instruments_sync",
    "instruments_sync_run",
    "tracked_instrument_add",
    "tracked_instruments_refresh",
]
