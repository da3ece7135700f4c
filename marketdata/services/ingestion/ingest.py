"""Writes of candles: validate, quarantine, upsert; one transaction per chunk.

Every load goes through :func:`candles_ingest`, so a run killed midway leaves whole chunks
behind; a re-run resumes after its last committed chunk and the upsert makes repeats harmless.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from workers.leases import LeaseLostError, lease_renew

from ...conf import md_setting
from ...frames import BarFrame
from ...models import IngestionRun, Instrument, QuarantinedCandle
from ...providers import InstrumentRef
from ...ranges import ns_to_datetime
from ...storage import candles_upsert
from ...validation import frame_validate
from .runs import run_lease


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
    """Validate ``frame``, quarantine hard failures, upsert the rest; one transaction.

    With a ``run``, its counters are written only while the run's attempt is current
    (``LeaseLostError`` otherwise, and the chunk rolls back).
    """
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
            _save_counts(run)
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


COUNTERS = (
    "rows_received",
    "rows_inserted",
    "rows_updated",
    "rows_unchanged",
    "rows_rejected",
    "chunks_done",
    "anomalies",
)


def _save_counts(run: IngestionRun) -> None:
    """Counters and a renewed lease in one owned UPDATE: a stale attempt writes nothing."""
    if not lease_renew(run_lease(run), fields={f: getattr(run, f) for f in COUNTERS}):
        raise LeaseLostError(f"ingestion run {run.pk} attempt {run.attempts}")
