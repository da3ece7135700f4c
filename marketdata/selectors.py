"""Market-data reads. Instruments and candles are shared by all users (docs/adr/0005), so
these selectors take no user; ingestion runs are listed to staff only (the API enforces it).
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime

import numpy as np
from django.db.models import Count, Max, Min, Q, QuerySet

from algobacktester.api.converters import MAX_ID
from algobacktester.api.timezones import local_iso
from algobacktester.errors import InvalidInput, NotFound
from engine.bars import Bars
from engine.markets.calendar import IST, previous_trading_day

from .conf import md_setting
from .frames import BarFrame
from .models import Candle, IngestionRun, Instrument, QuarantinedCandle
from .ranges import datetime_to_ns, ns_to_datetime, time_range
from .resample import bars_resample, bucket_starts
from .storage import candles_read
from .timeframes import RESAMPLED_FROM_1M, RESAMPLED_FROM_1S, SECONDS, timeframe_check
from .validation import expected_bar_count, frame_validate, gaps_find

HASH_VERSION = "md1"


# --- instruments -------------------------------------------------------------------------
def instrument_list(
    *,
    search: str = "",
    kind: str = "",
    exchange: str = "",
    underlying: str = "",
    active: bool | None = None,
) -> QuerySet[Instrument]:
    qs = Instrument.objects.all()
    if search:
        qs = qs.filter(
            Q(symbol__icontains=search) | Q(name__icontains=search) | Q(security_id=search)
        )
    if kind:
        qs = qs.filter(kind=kind)
    if exchange:
        qs = qs.filter(exchange=exchange.upper())
    if underlying:
        qs = qs.filter(underlying=underlying.upper())
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("exchange", "symbol", "id")


def instrument_get(*, instrument_id: int | str) -> Instrument:
    try:
        if not 0 < int(instrument_id) <= MAX_ID:
            raise ValueError
        return Instrument.objects.get(pk=int(instrument_id))
    except (Instrument.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(f"Instrument {instrument_id} not found.") from None


def instrument_by_ref(*, ref: int | str) -> Instrument:
    """An instrument by id or by symbol (``NIFTY``, ``BSE:SENSEX``); a 400 on ``instrument``
    naming what is wrong, since the caller chose the value (not a path)."""
    if isinstance(ref, int):
        found = Instrument.objects.filter(pk=ref).first()
        if found is None:
            raise InvalidInput({"instrument": [f"no instrument with id {ref}"]})
        return found
    exchange, _, symbol = ref.rpartition(":")
    qs = Instrument.objects.filter(symbol__iexact=symbol)
    matches = list((qs.filter(exchange=exchange) if exchange else qs).order_by("id")[:5])
    if not matches:
        raise InvalidInput(
            {
                "instrument": [
                    f"no instrument with symbol '{ref}'; see GET /api/marketdata/instruments?search="
                ]
            }
        )
    # The spot index is what "NIFTY" means to a trader; otherwise the one active listing.
    index = [i for i in matches if i.segment == Instrument.Segment.INDEX]
    active = [i for i in matches if i.is_active]
    for candidates in (index, active, matches):
        if len(candidates) == 1:
            return candidates[0]
    names = ", ".join(
        f"{i.exchange}:{i.symbol} ({i.get_segment_display()}, id {i.pk})" for i in matches
    )
    raise InvalidInput({"instrument": [f"'{ref}' is ambiguous: {names}; send the id"]})


def _instrument_id(instrument: Instrument | int) -> int:
    return instrument.pk if isinstance(instrument, Instrument) else int(instrument)


# --- candles -----------------------------------------------------------------------------
def candles_source(
    *, instrument: Instrument | int, timeframe: str, start: datetime, end: datetime
) -> tuple[str, int]:
    """Which stored timeframe serves a request (itself, else 1m or 1s resampled) and its rows."""
    iid = _instrument_id(instrument)
    rows = Candle.objects.filter(instrument_id=iid, ts__gte=start, ts__lt=end)
    native = rows.filter(timeframe=timeframe).count()
    base = (
        "1m" if timeframe in RESAMPLED_FROM_1M else "1s" if timeframe in RESAMPLED_FROM_1S else None
    )
    if native or base is None:
        return timeframe, native
    return base, rows.filter(timeframe=base).count()


def candles_source_timeframe(
    *, instrument: Instrument | int, timeframe: str, start: datetime, end: datetime
) -> str:
    """Which stored timeframe serves a request, like ``candles_source`` without the count: one
    probe of the index instead of a scan of every row in the range (a year of 1m bars: ~80 ms
    of the database's time on each run)."""
    rows = Candle.objects.filter(
        instrument_id=_instrument_id(instrument), ts__gte=start, ts__lt=end
    )
    if timeframe not in RESAMPLED_FROM_1M or rows.filter(timeframe=timeframe).exists():
        return timeframe
    return "1m"


def candles_load(
    *,
    instrument: Instrument | int,
    timeframe: str,
    start: datetime | date | str,
    end: datetime | date | str,
) -> Bars:
    """Bars in ``[start, end)`` (naive = IST; a date ``end`` includes that day) as numpy arrays.

    Stored bars of ``timeframe`` when there are any in the range, else stored one-minute bars
    resampled on session-aligned buckets (09:15 IST anchor) for 3m/5m/15m/30m/1h/1d, or stored
    one-second bars resampled for 5s/15s/30s.
    """
    timeframe_check(timeframe)
    lo, hi = time_range(start, end)
    source = candles_source_timeframe(instrument=instrument, timeframe=timeframe, start=lo, end=hi)
    return _load(_instrument_id(instrument), timeframe, source, lo, hi)


def _load(iid: int, timeframe: str, source: str, lo: datetime, hi: datetime) -> Bars:
    if source == timeframe:
        return candles_read(instrument_id=iid, timeframe=timeframe, start=lo, end=hi)
    # widen to the start of the first bucket, so it is not built from a partial set
    first = int(bucket_starts(np.array([datetime_to_ns(lo)]), timeframe)[0])
    bars = candles_read(instrument_id=iid, timeframe=source, start=ns_to_datetime(first), end=hi)
    return bars_resample(bars, timeframe)


def candles_columnar(*, instrument: Instrument, timeframe: str, start: object, end: object) -> dict:
    """The candles API body: ``{"t": [epoch s], "o", "h", "l", "c", "v"}``, capped in size."""
    timeframe_check(timeframe)
    lo, hi = time_range(start, end)
    source, rows = candles_source(instrument=instrument, timeframe=timeframe, start=lo, end=hi)
    cap = md_setting("MAX_BARS_PER_RESPONSE")
    estimate = (
        rows
        if source == timeframe
        else rows * SECONDS[source] // SECONDS[timeframe]
        if timeframe != "1d"
        else rows // 375
    )
    if estimate > cap or rows > md_setting("MAX_SOURCE_BARS"):
        raise InvalidInput(
            {
                "end": [
                    f"The range holds about {estimate:,} {timeframe} bars, more than the "
                    f"{cap:,} a response may carry; narrow start/end or use a larger timeframe."
                ]
            }
        )
    bars = _load(instrument.pk, timeframe, source, lo, hi)
    if len(bars) > cap:
        raise InvalidInput(
            {
                "end": [
                    f"The range holds {len(bars):,} {timeframe} bars, more than the {cap:,} "
                    "a response may carry; narrow start/end."
                ]
            }
        )
    return {
        "instrument": instrument.pk,
        "symbol": instrument.symbol,
        "timeframe": timeframe,
        "source_timeframe": source,
        "start": local_iso(lo),  # in the caller's zone (docs/adr/0011)
        "end": local_iso(hi),
        "count": len(bars),
        "t": (bars.ts // 1_000_000_000).tolist(),
        "o": bars.open.tolist(),
        "h": bars.high.tolist(),
        "l": bars.low.tolist(),
        "c": bars.close.tolist(),
        "v": bars.volume.tolist(),
    }


def bars_hash(bars: Bars) -> str:
    h = hashlib.sha256(HASH_VERSION.encode())
    for name in ("ts", "open", "high", "low", "close", "volume"):
        arr = np.ascontiguousarray(getattr(bars, name), dtype="<i8" if name == "ts" else "<f8")
        h.update(name.encode())
        h.update(arr.tobytes())
    return h.hexdigest()


def data_snapshot_hash(
    *,
    instrument: Instrument | int,
    timeframe: str,
    start: datetime | date | str,
    end: datetime | date | str,
    bars: Bars | None = None,
) -> str:
    """A stable hash of the candles a backtest reads: same data, same hash, on any database.

    Pass ``bars`` (from :func:`candles_load`) to hash what was already loaded.
    """
    if bars is None:
        bars = candles_load(instrument=instrument, timeframe=timeframe, start=start, end=end)
    key = f"{_instrument_id(instrument)}:{timeframe}:"
    return f"{HASH_VERSION}:{hashlib.sha256((key + bars_hash(bars)).encode()).hexdigest()}"


# --- health ------------------------------------------------------------------------------
def candles_span(*, instrument: Instrument, timeframe: str) -> dict:
    return Candle.objects.filter(instrument=instrument, timeframe=timeframe).aggregate(
        first=Min("ts"), last=Max("ts"), count=Count("ts")
    )


def data_health_report(
    *,
    instrument: Instrument,
    timeframe: str,
    start: object = None,
    end: object = None,
    today: date | None = None,
    include_run_error: bool = False,
) -> dict:
    """Coverage, gaps against the calendar, anomalies and quarantine for stored bars.

    ``last_run.error`` (it can hold exception text) is included only with
    ``include_run_error`` (staff callers).
    """
    timeframe_check(timeframe)
    span = candles_span(instrument=instrument, timeframe=timeframe)
    if start in (None, "") or end in (None, ""):
        if span["first"] is None:
            return _empty_report(instrument, timeframe)
        start = start or span["first"].astimezone(IST).date()
        end = end or span["last"].astimezone(IST).date()
    lo, hi = time_range(start, end)
    first, last = (
        lo.astimezone(IST).date(),
        ns_to_datetime(datetime_to_ns(hi) - 1).astimezone(IST).date(),
    )
    rows = Candle.objects.filter(instrument=instrument, timeframe=timeframe, ts__gte=lo, ts__lt=hi)
    # Counted, not built: the calendar's expected bars too (decades of 1m are ~10^7).
    expected = expected_bar_count(first, last, timeframe=timeframe, exchange=instrument.exchange)
    size = max(rows.count(), expected)
    if size > md_setting("MAX_SOURCE_BARS"):
        raise InvalidInput(
            {
                "end": [
                    f"The range spans {size:,} {timeframe} bars; one report covers at most "
                    f"{md_setting('MAX_SOURCE_BARS'):,}: narrow it."
                ]
            }
        )
    bars = candles_read(instrument_id=instrument.pk, timeframe=timeframe, start=lo, end=hi)
    report = bars_health(
        bars, timeframe=timeframe, start=first, end=last, exchange=instrument.exchange
    )
    quarantined = (
        QuarantinedCandle.objects.filter(instrument=instrument, timeframe=timeframe)
        .filter(Q(ts__isnull=True) | Q(ts__gte=lo, ts__lt=hi))
        .values("reason")
        .annotate(n=Count("id"))
    )
    last_run = IngestionRun.objects.filter(instrument=instrument, timeframe=timeframe).first()
    report.update(
        instrument=instrument.pk,
        symbol=instrument.symbol,
        timeframe=timeframe,
        quarantined={q["reason"]: q["n"] for q in quarantined},
        stored_first=local_iso(span["first"]),
        stored_last=local_iso(span["last"]),
        stale=_stale(span["last"], today),
        last_run=_run_brief(last_run, include_error=include_run_error),
    )
    return report


def bars_health(
    bars: Bars | BarFrame, *, timeframe: str, start: date, end: date, exchange: str = "NSE"
) -> dict:
    """The database-free part of the report, also used on files directly."""
    frame = bars if isinstance(bars, BarFrame) else BarFrame.from_bars(bars)
    gaps = gaps_find(frame.ts, timeframe=timeframe, start=start, end=end, exchange=exchange)
    checked = frame_validate(
        frame,
        timeframe=timeframe,
        exchange=exchange,
        spike_z=md_setting("SPIKE_Z"),
        ohlc_tolerance=0.0,
    )
    limit = md_setting("HEALTH_MAX_GAPS")
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "bars": len(frame),
        "expected_bars": gaps.expected_bars,
        "present_bars": gaps.present_bars,
        "missing_bars": gaps.missing_bars,
        "extra_bars": gaps.extra_bars,
        "coverage": round(gaps.coverage, 6),
        "missing_days": [d.isoformat() for d in gaps.missing_days],
        "unverified_days": [d.isoformat() for d in gaps.unverified_days],
        "gaps": gaps.holes[:limit],
        "gap_count": len(gaps.holes),
        "anomalies": checked.anomalies(),
    }


def _stale(last: datetime | None, today: date | None) -> bool:
    """True when the newest bar predates the previous completed trading day."""
    if last is None:
        return True
    today = today or datetime.now(IST).date()
    return last.astimezone(IST).date() < previous_trading_day(today)


def _run_brief(run: IngestionRun | None, *, include_error: bool) -> dict | None:
    if run is None:
        return None
    brief = {
        "id": run.pk,
        "status": run.status,
        "provider": run.provider,
        "finished_at": local_iso(run.finished_at),
    }
    if include_error:  # exception text: staff only, like the runs themselves
        brief["error"] = run.error
    return brief


def _empty_report(instrument: Instrument, timeframe: str) -> dict:
    return {
        "instrument": instrument.pk,
        "symbol": instrument.symbol,
        "timeframe": timeframe,
        "start": None,
        "end": None,
        "bars": 0,
        "expected_bars": 0,
        "present_bars": 0,
        "missing_bars": 0,
        "extra_bars": 0,
        "coverage": 0.0,
        "missing_days": [],
        "unverified_days": [],
        "gaps": [],
        "gap_count": 0,
        "anomalies": {"counts": {}, "samples": {}},
        "quarantined": {},
        "stored_first": None,
        "stored_last": None,
        "stale": True,
        "last_run": None,
    }


# --- runs --------------------------------------------------------------------------------
def ingestion_run_list(*, status: str = "", instrument_id: int | None = None) -> QuerySet:
    qs = IngestionRun.objects.select_related("instrument", "requested_by")
    if status:
        qs = qs.filter(status=status)
    if instrument_id:
        qs = qs.filter(instrument_id=instrument_id)
    return qs.order_by("-created_at", "-id")


def ingestion_run_get(*, run_id: int | str) -> IngestionRun:
    try:
        if not 0 < int(run_id) <= MAX_ID:
            raise ValueError
        return IngestionRun.objects.select_related("instrument").get(pk=int(run_id))
    except (IngestionRun.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(f"Ingestion run {run_id} not found.") from None


__all__ = [
    "bars_hash",
    "bars_health",
    "candles_columnar",
    "candles_load",
    "candles_source",
    "candles_source_timeframe",
    "candles_span",
    "data_health_report",
    "data_snapshot_hash",
    "ingestion_run_get",
    "ingestion_run_list",
    "instrument_get",
    "instrument_list",
]
