"""Writes of instruments: create, index get-or-create, tracking, and the provider master sync."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from django.db import transaction
from django.utils import timezone

from algobacktester.errors import InvalidInput
from engine.markets import calendar
from workers.leases import LeaseLostError, lease_renew

from ..conf import md_setting
from ..models import IngestionRun, Instrument, TrackedInstrument
from ..providers import ProviderError, provider_class, provider_get
from ..timeframes import timeframe_check
from .ingestion.runs import run_lease

# Dhan security ids of the index spot series (IDX_I); confirm with the security master.
INDEX_SECURITY_IDS = {
    "NIFTY": "13",
    "BANKNIFTY": "25",
    "FINNIFTY": "27",
    "SENSEX": "51",
    "INDIAVIX": "21",  # India VIX: the IV input of NIFTY option models
}


def instrument_create(*, symbol: str, exchange: str = "NSE", **fields) -> Instrument:
    instrument = Instrument(symbol=symbol.strip().upper(), exchange=exchange, **fields)
    instrument.full_clean()
    instrument.save()
    return instrument


def instrument_index_get_or_create(*, symbol: str, exchange: str | None = None) -> Instrument:
    """The spot index ``symbol`` (NIFTY, BANKNIFTY, ...), created with the calendar's facts."""
    symbol = symbol.strip().upper()
    try:
        exchange = exchange or calendar.exchange_of(symbol)
        lot = calendar.lot_size(symbol, timezone.now().date())
        step = calendar.strike_step(symbol)
    except ValueError:
        exchange, lot, step = exchange or "NSE", 1, None
    found = Instrument.objects.filter(
        exchange=exchange, segment=Instrument.Segment.INDEX, symbol=symbol
    ).first()
    if found:
        return found
    return instrument_create(
        symbol=symbol,
        exchange=exchange,
        segment=Instrument.Segment.INDEX,
        kind=Instrument.Kind.INDEX,
        underlying=symbol,
        name=symbol,
        security_id=INDEX_SECURITY_IDS.get(symbol, ""),
        lot_size=lot,
        strike_step=step,
    )


def tracked_instrument_add(
    *,
    instrument: Instrument,
    timeframe: str = "1m",
    provider: str = "dhan",
    history_days: int = 365,
) -> TrackedInstrument:
    timeframe_check(timeframe)
    try:
        cls = provider_class(provider)
    except ProviderError as exc:
        raise InvalidInput({"provider": [str(exc)]}) from exc
    if "history" not in cls.capabilities:  # the nightly refresh fetches history
        raise InvalidInput({"provider": [f"Provider '{provider}' cannot fetch history."]})
    if timeframe not in cls.timeframes:
        raise InvalidInput({"timeframe": [f"'{provider}' does not serve {timeframe} bars."]})
    tracked, _ = TrackedInstrument.objects.update_or_create(
        instrument=instrument,
        timeframe=timeframe,
        provider=provider,
        defaults={"history_days": history_days, "is_active": True},
    )
    return tracked


def instruments_sync(
    *, provider: str = "dhan", underlyings: tuple[str, ...] = (), user=None
) -> IngestionRun:
    """Queue a sync of the provider's instrument master (index, futures, options)."""
    try:
        cls = provider_class(provider)
    except ProviderError as exc:
        raise InvalidInput({"provider": [str(exc)]}) from exc
    if "instruments" not in cls.capabilities:
        raise InvalidInput({"provider": [f"Provider '{provider}' has no instrument master."]})
    run = IngestionRun.objects.create(
        kind=IngestionRun.Kind.INSTRUMENTS,
        provider=provider,
        requested_by=user,
        options={"underlyings": list(underlyings)},
    )
    from ..tasks import ingestion_run_execute_task

    transaction.on_commit(lambda: ingestion_run_execute_task.delay(run.pk))
    return run


UPDATE_FIELDS = (
    "security_id",
    "kind",
    "name",
    "underlying",
    "expiry",
    "strike",
    "option_type",
    "lot_size",
    "tick_size",
    "strike_step",
    "is_active",
)


def instruments_sync_run(*, run: IngestionRun, today: date | None = None) -> None:
    """Upsert the master's rows; derivatives past expiry are marked inactive."""
    today = today or timezone.now().date()
    underlyings = tuple(run.options.get("underlyings") or md_setting("TRACKED_UNDERLYINGS"))
    specs = provider_get(run.provider).instruments(underlyings=underlyings)
    existing = set(Instrument.objects.values_list("exchange", "segment", "symbol"))
    objs = []
    for spec in specs:
        data = asdict(spec)
        data["is_active"] = spec.expiry is None or spec.expiry >= today
        objs.append(Instrument(**data))
    with transaction.atomic():
        Instrument.objects.bulk_create(
            objs,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=("exchange", "segment", "symbol"),
            update_fields=UPDATE_FIELDS,
        )
        Instrument.objects.filter(expiry__lt=today, is_active=True).update(is_active=False)
    keys = {(o.exchange, o.segment, o.symbol) for o in objs}
    run.rows_received = len(specs)
    run.rows_inserted = len(keys - existing)
    run.rows_updated = len(keys & existing)
    run.chunks_done = 1
    counts = {
        f: getattr(run, f)
        for f in ("rows_received", "rows_inserted", "rows_updated", "chunks_done")
    }
    if not lease_renew(run_lease(run), fields=counts):  # only the current attempt reports
        raise LeaseLostError(f"ingestion run {run.pk} attempt {run.attempts}")
