"""Seed synthetic candles for demos and the embedded default (the project ships no real data)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

from engine.markets.calendar import IST, is_trading_day, previous_trading_day

from ..models import IngestionRun
from ..providers.synthetic import SyntheticProvider
from .ingestion import candles_ingest, ingestion_run_create, ingestion_run_finish, instrument_ref
from .instruments import instrument_index_get_or_create


def _last_days(end: date, days: int) -> date:
    d = end if is_trading_day(end) else previous_trading_day(end)
    for _ in range(days - 1):
        d = previous_trading_day(d)
    return d


def demo_candles_seed(
    *,
    symbols: tuple[str, ...] = ("NIFTY", "BANKNIFTY"),
    days: int = 60,
    timeframe: str = "1m",
    seed: int = 0,
    end: date | None = None,
) -> dict[str, int]:
    """Store ``days`` trading days of seeded bars per symbol ending at ``end`` (default: the
    last completed trading day). Idempotent: the same arguments write the same bars.
    Returns the number of bars stored per symbol.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    end = end or (timezone.now().astimezone(IST).date() - timedelta(days=1))
    first = _last_days(end, days)
    lo = datetime(first.year, first.month, first.day, tzinfo=IST).astimezone(UTC)
    hi = datetime(end.year, end.month, end.day, tzinfo=IST).astimezone(UTC) + timedelta(days=1)
    provider = SyntheticProvider(seed=seed)
    out = {}
    for symbol in symbols:
        instrument = instrument_index_get_or_create(symbol=symbol)
        run, _ = ingestion_run_create(
            kind=IngestionRun.Kind.SEED,
            provider="synthetic",
            instrument=instrument,
            timeframe=timeframe,
            start=lo,
            end=hi,
            options={"seed": seed, "demo": True},
            status=IngestionRun.Status.RUNNING,
        )
        stored = 0
        for a, b in provider.chunks(start=lo, end=hi):
            frame = provider.fetch(
                instrument=instrument_ref(instrument), timeframe=timeframe, start=a, end=b
            )
            r = candles_ingest(instrument=instrument, timeframe=timeframe, frame=frame, run=run)
            stored += r.inserted + r.updated + r.unchanged
        ingestion_run_finish(run, IngestionRun.Status.SUCCEEDED)
        out[symbol] = stored
    return out
