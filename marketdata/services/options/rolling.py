"""Expired option premiums from Dhan's rolling data (``POST /charts/rollingoption``).

Dhan answers, for an underlying, an expiry (WEEK or MONTH, code 0 = the nearest, 1 = the
next ...) and a strike offset (ATM, ATM±n), the bars of whichever contract was at that offset
at each bar, with the strike of each bar. The expiry is not in the answer: it is the
calendar's ``code``-th expiry of that kind on the bar's day (``engine.markets.calendar``:
weekly/monthly, holiday-adjusted, the 2025 Thursday→Tuesday change). Each bar is then
stored as a candle of that contract, which is created when missing. The ATM series also
gives the ATM implied volatility.

A run makes one call per (expiry code, offset, side, 30-day window), each under the
account's shared limit (``algobacktester.ratelimits``) and retried on rate limits and
server errors; it records the calls done, so a re-queued run resumes after the last one.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import product

import numpy as np
import pandas as pd

from algobacktester.errors import InvalidInput
from engine.markets import calendar
from engine.markets.calendar import IST
from workers.leases import LeaseLostError, lease_renew

from ...conf import md_setting
from ...models import ImpliedVolatility, IngestionRun, Instrument
from ...providers import ProviderError, provider_class, provider_get
from ...providers.dhan import ROLLING_INTERVALS, ROLLING_MAX_DAYS, RollingSeries
from ...providers.option_files import BAR_COLUMNS, OptionBars
from ...ranges import datetime_to_ns, time_range
from ..ingestion.fetch import _enqueue
from ..ingestion.ingest import instrument_ref
from ..ingestion.runs import ingestion_run_create, run_lease
from ..instruments import instrument_index_get_or_create
from .ingest import option_bars_ingest

EXPIRY_KINDS = {"WEEK": "weekly", "MONTH": "monthly"}
MAX_OFFSET = 10  # Dhan serves ATM±10 for index options
MAX_CODE = 2  # 0 current, 1 next, 2 far
RIGHTS = ("CE", "PE")


def _check(
    *,
    underlying: str,
    expiry_flag: str,
    expiry_codes: tuple[int, ...],
    strikes: int,
    rights: tuple[str, ...],
    timeframe: str,
    provider: str,
) -> Instrument:
    try:
        cls = provider_class(provider)
    except ProviderError as exc:
        raise InvalidInput({"provider": [str(exc)]}) from exc
    if "options" not in cls.capabilities:
        raise InvalidInput({"provider": [f"Provider '{provider}' has no expired-option data."]})
    errors: dict[str, list[str]] = {}
    try:
        calendar.exchange_of(underlying)
    except ValueError as exc:
        errors["underlying"] = [str(exc)]
    if expiry_flag not in EXPIRY_KINDS:
        errors["expiry_flag"] = ["Use WEEK or MONTH."]
    if not expiry_codes or any(not 0 <= c <= MAX_CODE for c in expiry_codes):
        errors["expiry_codes"] = [f"Give codes from 0 (nearest expiry) to {MAX_CODE}."]
    if not 0 <= strikes <= MAX_OFFSET:
        errors["strikes"] = [f"Dhan serves ATM±{MAX_OFFSET} at most; give 0 to {MAX_OFFSET}."]
    if not rights or any(r not in RIGHTS for r in rights):
        errors["rights"] = ["Give CE, PE or both."]
    if timeframe not in ROLLING_INTERVALS:
        errors["timeframe"] = [f"Dhan's rolling data has {', '.join(ROLLING_INTERVALS)} bars."]
    if errors:
        raise InvalidInput(errors)
    index = instrument_index_get_or_create(symbol=underlying)
    if not index.security_id:
        raise InvalidInput(
            {"underlying": [f"{index.symbol} has no Dhan security id; sync the master first."]}
        )
    return index


def option_premiums_fetch(
    *,
    underlying: str,
    start: object,
    end: object,
    expiry_flag: str = "WEEK",
    expiry_codes: tuple[int, ...] = (0,),
    strikes: int = 3,
    rights: tuple[str, ...] = RIGHTS,
    timeframe: str = "1m",
    provider: str = "dhan",
    user=None,
    run_now: bool = False,
) -> IngestionRun:
    """Queue (or with ``run_now`` run here) a fetch of ATM±``strikes`` premiums of the
    ``expiry_codes`` expiries of ``underlying`` over ``[start, end)`` (naive = IST; a date
    ``end`` includes that day). Returns the run (kind ``option_fetch``)."""
    underlying = underlying.strip().upper()
    expiry_flag = expiry_flag.strip().upper()
    rights = tuple(r.strip().upper() for r in rights)
    index = _check(
        underlying=underlying,
        expiry_flag=expiry_flag,
        expiry_codes=tuple(expiry_codes),
        strikes=strikes,
        rights=rights,
        timeframe=timeframe,
        provider=provider,
    )
    lo, hi = time_range(start, end)
    if (hi - lo).days > md_setting("MAX_BACKFILL_DAYS"):
        raise InvalidInput(
            {"start": [f"A fetch spans at most {md_setting('MAX_BACKFILL_DAYS')} days."]}
        )
    run, _ = ingestion_run_create(
        kind=IngestionRun.Kind.OPTION_FETCH,
        provider=provider,
        instrument=index,
        timeframe=timeframe,
        start=lo,
        end=hi,
        user=user,
        options={
            "underlying": underlying,
            "expiry_flag": expiry_flag,
            "expiry_codes": sorted(set(expiry_codes)),
            "strikes": strikes,
            "rights": list(dict.fromkeys(rights)),
            "calls_done": 0,
        },
    )
    if run_now:
        from ..ingestion.fetch import ingestion_run_execute

        return ingestion_run_execute(run_id=run.pk)
    _enqueue(run)
    return run


def _windows(lo: datetime, hi: datetime) -> list[tuple[date, date]]:
    """IST days ``[a, b)`` of at most the server's span, covering ``[lo, hi)``."""
    first = lo.astimezone(IST).date()
    last = (hi - timedelta(microseconds=1)).astimezone(IST).date() + timedelta(days=1)
    out, a = [], first
    while a < last:
        b = min(a + timedelta(days=ROLLING_MAX_DAYS), last)
        out.append((a, b))
        a = b
    return out


def rolling_calls(run: IngestionRun) -> list[tuple[int, int, str, date, date]]:
    """Every call a run makes, in a fixed order (so ``calls_done`` resumes it)."""
    o = run.options
    offsets = sorted(range(-o["strikes"], o["strikes"] + 1), key=lambda k: (abs(k), k))
    return [
        (code, offset, right, a, b)
        for code, offset, right, (a, b) in product(
            o["expiry_codes"], offsets, o["rights"], _windows(run.start, run.end)
        )
    ]


def option_premiums_fetch_run(*, run: IngestionRun) -> None:
    """Execute a claimed ``option_fetch`` run (called by ``ingestion_run_execute``)."""
    provider = provider_get(run.provider, **run.options.get("provider_options", {}))
    ref = instrument_ref(run.instrument)
    o = run.options
    lo, hi = datetime_to_ns(run.start), datetime_to_ns(run.end)
    calls = rolling_calls(run)
    for i in range(o.get("calls_done", 0), len(calls)):
        code, offset, right, a, b = calls[i]
        series = provider.rolling_options(
            underlying=ref,
            expiry_flag=o["expiry_flag"],
            expiry_code=code,
            offset=offset,
            right=right,
            timeframe=run.timeframe,
            start=a,
            end=b,
        )
        batch = rolling_batch(
            series,
            underlying=o["underlying"],
            expiry_kind=EXPIRY_KINDS[o["expiry_flag"]],
            expiry_code=code,
            right=right,
            timeframe=run.timeframe,
            atm=offset == 0,
            window=(lo, hi),
        )
        option_bars_ingest(
            batch=batch,
            run=run,
            exchange=run.instrument.exchange,
            source=ImpliedVolatility.Source.DHAN,
        )
        run.options = {**run.options, "calls_done": i + 1}
        if not lease_renew(run_lease(run), fields={"options": run.options}):
            raise LeaseLostError(f"ingestion run {run.pk} attempt {run.attempts}")


def _expiries(underlying: str, days: np.ndarray, kind: str, code: int) -> np.ndarray:
    """The ``code``-th expiry of ``kind`` on or after each day (None where there is none)."""
    found: dict[date, date | None] = {}
    for d in set(days):
        try:
            listed = calendar.expiry_dates(underlying, d, d + timedelta(days=130), kind)
        except ValueError:
            listed = []
        found[d] = listed[code] if len(listed) > code else None
    return np.array([found[d] for d in days], dtype=object)


def rolling_batch(
    series: RollingSeries,
    *,
    underlying: str,
    expiry_kind: str,
    expiry_code: int,
    right: str,
    timeframe: str,
    atm: bool,
    window: tuple[int, int],
) -> OptionBars:
    """The bars of one rolling answer as contract bars: expiry from the calendar, strike
    from the answer; bars without either are rejects. ``window`` (ns) keeps the asked range."""
    f = series.frame
    inside = (f.ts >= window[0]) & (f.ts < window[1])
    days = pd.to_datetime(f.ts, utc=True).tz_convert(IST).date
    expiry = _expiries(underlying, np.asarray(days), expiry_kind, expiry_code)
    strike = series.strike
    bad_strike = inside & ~(np.isfinite(strike) & (strike > 0))
    no_expiry = inside & ~bad_strike & np.array([e is None for e in expiry], dtype=bool)
    rejects = [
        {"reason": reason, "detail": detail, "raw": {**f.row(i), "strike": str(strike[i])}}
        for reason, detail, mask in (
            ("bad_strike", "the bar names no strike", bad_strike),
            ("unknown_expiry", f"the calendar has no {expiry_kind} expiry for the day", no_expiry),
        )
        for i in np.flatnonzero(mask)
    ]
    k = np.flatnonzero(inside & ~bad_strike & ~no_expiry)
    bars = pd.DataFrame(
        {
            "kind": np.full(len(k), "option"),
            "underlying": np.full(len(k), underlying),
            "expiry": expiry[k],
            "strike": strike[k],
            "right": np.full(len(k), right),
            "ts": f.ts[k],
            "open": f.open[k],
            "high": f.high[k],
            "low": f.low[k],
            "close": f.close[k],
            "volume": f.volume[k],
            "oi": f.oi[k],
            "lot_size": np.full(len(k), np.nan),
        }
    )[list(BAR_COLUMNS)]
    iv = None
    if atm:
        iv = pd.DataFrame(
            {
                "underlying": underlying,
                "ts": f.ts[k],
                "expiry": expiry[k],
                "strike": strike[k],
                "iv": series.iv[k] / 100.0,  # Dhan quotes IV in percent
            }
        )
        iv = iv[np.isfinite(iv["iv"]) & (iv["iv"] > 0)]
    return OptionBars(timeframe, bars, rejects, {}, iv, "dhan-rolling")
