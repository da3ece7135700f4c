"""Bars of many contracts (:class:`OptionBars`) into candles, quarantine and IV samples.

Each contract's bars go through :func:`candles_ingest` like any series (validation,
quarantine of bad bars, idempotent upsert, one transaction per contract), so an option
candle is stored exactly as an index candle is. Rows that named no readable contract are
quarantined with the run and no instrument.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from django.db import transaction

from engine.markets.calendar import IST

from ...frames import BarFrame
from ...models import ImpliedVolatility, IngestionRun, Instrument, QuarantinedCandle
from ...providers.option_files import OptionBars
from ...ranges import ns_to_datetime
from ..ingestion.ingest import _merge_anomalies, _save_counts, candles_ingest
from .contracts import ContractFacts, ContractKey, option_contracts_ensure

KEY = ["kind", "underlying", "expiry", "strike", "right"]


def _key(kind: str, underlying: str, expiry: date, strike: float, right: str) -> ContractKey:
    if kind == "future":
        return ContractKey("future", underlying, expiry)
    return ContractKey("option", underlying, expiry, float(strike), right)


def _facts(bars: pd.DataFrame) -> dict[ContractKey, ContractFacts]:
    first = bars.groupby(KEY, sort=False, dropna=False).agg(
        ts=("ts", "min"), lot=("lot_size", "max")
    )
    out = {}
    for (kind, u, expiry, strike, right), row in first.iterrows():
        seen = pd.Timestamp(int(row["ts"]), tz="UTC").tz_convert(IST).date()
        lot = int(row["lot"]) if np.isfinite(row["lot"]) else 0
        out[_key(kind, u, expiry, strike, right)] = ContractFacts(lot, seen)
    return out


def rejects_quarantine(*, run: IngestionRun, timeframe: str, rejects: list[dict]) -> None:
    """Rows naming no contract: kept with the run and the reason, counted on the run."""
    if not rejects:
        return
    with transaction.atomic():
        QuarantinedCandle.objects.bulk_create(
            [
                QuarantinedCandle(
                    run=run,
                    instrument=None,
                    timeframe=timeframe,
                    ts=None,
                    reason=r["reason"],
                    detail=str(r.get("detail", ""))[:255],
                    raw=r.get("raw", {}),
                )
                for r in rejects
            ],
            batch_size=1000,
        )
        run.rows_received += len(rejects)
        run.rows_rejected += len(rejects)
        _save_counts(run)


def skipped_record(*, run: IngestionRun, skipped: dict[str, int]) -> None:
    """Rows that are not bad but carry no trade, counted among the run's anomalies."""
    counts = {k: v for k, v in skipped.items() if v}
    if counts:
        run.anomalies = _merge_anomalies(run.anomalies, {"counts": counts})
        _save_counts(run)


def option_bars_ingest(
    *, batch: OptionBars, run: IngestionRun, exchange: str = "NSE", source: str = ""
) -> int:
    """Store ``batch``: contracts ensured, candles per contract, rejects quarantined, IV
    samples upserted. Returns how many contracts were created."""
    rejects_quarantine(run=run, timeframe=batch.timeframe, rejects=batch.rejects)
    skipped_record(run=run, skipped=batch.skipped)
    created = 0
    bars = batch.bars
    if len(bars):
        ids, created = option_contracts_ensure(_facts(bars), exchange=exchange)
        for (kind, u, expiry, strike, right), group in bars.groupby(KEY, sort=True, dropna=False):
            iid = ids[_key(kind, u, expiry, strike, right)]
            frame = BarFrame.build(
                group["ts"].to_numpy(dtype=np.int64),
                group["open"].to_numpy(),
                group["high"].to_numpy(),
                group["low"].to_numpy(),
                group["close"].to_numpy(),
                group["volume"].to_numpy(),
                group["oi"].to_numpy(dtype=np.float64),
            )
            instrument = Instrument(pk=iid, exchange=exchange)
            candles_ingest(instrument=instrument, timeframe=batch.timeframe, frame=frame, run=run)
    if batch.iv is not None and len(batch.iv):
        iv_samples_store(samples=batch.iv, source=source, run=run)
    return created


def iv_samples_store(*, samples: pd.DataFrame, source: str, run: IngestionRun | None) -> int:
    """Upsert ATM IV samples (underlying, ts ns UTC, expiry, strike, iv fraction)."""
    rows = [
        ImpliedVolatility(
            underlying=str(r.underlying),
            ts=ns_to_datetime(int(r.ts)),
            expiry=r.expiry,
            strike=round(float(r.strike), 2),
            iv=float(r.iv),
            source=source,
            run=run,
        )
        for r in samples.itertuples(index=False)
        if np.isfinite(r.iv) and r.iv > 0
    ]
    ImpliedVolatility.objects.bulk_create(
        rows,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=("underlying", "source", "expiry", "ts"),
        update_fields=("strike", "iv", "run"),
    )
    return len(rows)
