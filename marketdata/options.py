"""The stored option chain: ``engine.options.contracts.OptionChainSource`` over the database.

A backtest hands the engine ``stored_chain("NIFTY")``; the engine's strike selector reads the
contracts listed on a day and its ``real`` premium source reads a contract's stored candles,
both through this object, so the engine itself never touches the database (ADR 0001).

Contracts are ``Instrument`` rows of kind ``option``; premiums are their candles, read by the
same path as any other series (``selectors.candles_load``: stored bars of the timeframe, else
one-minute bars resampled on the 09:15 anchor).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
from django.db.models import Count, Q, QuerySet

from algobacktester.errors import InvalidInput
from engine.markets import calendar
from engine.markets.calendar import IST
from engine.options.contracts import OptionChainSource, OptionContract

from .conf import md_setting
from .models import Candle, ImpliedVolatility, Instrument
from .ranges import time_range
from .selectors import candles_load, candles_source_timeframe
from .timeframes import timeframe_check

PREMIUM_COLUMNS = ("open", "high", "low", "close", "volume")
DAYS_CACHED = 64


def option_contract(instrument: Instrument) -> OptionContract:
    """The engine's view of a stored option row."""
    return OptionContract(
        symbol=instrument.symbol,
        underlying=instrument.underlying,
        expiry=instrument.expiry,
        strike=float(instrument.strike),
        right=instrument.option_type,
        lot_size=int(instrument.lot_size),
        tick_size=float(instrument.tick_size),
        exchange=instrument.exchange,
        security_id=instrument.security_id,
    )


def option_contracts_alive(*, underlying: str, on: date) -> list[Instrument]:
    """Option rows of ``underlying`` tradable on ``on``: expiry on or after it, and listed by
    then (an unknown listing date counts as listed). Expired rows are kept in the table, so
    a backtest of 2019 sees the 2019 chain. Ordered by expiry, strike, CE before PE."""
    return list(
        Instrument.objects.filter(
            kind=Instrument.Kind.OPTION, underlying=underlying.strip().upper(), expiry__gte=on
        )
        .filter(Q(listed_on__isnull=True) | Q(listed_on__lte=on))
        .order_by("expiry", "strike", "option_type", "exchange", "id")
    )


class StoredChain:
    """An ``OptionChainSource`` of one underlying, read from stored rows.

    ``contracts`` answers only for the underlying it was built for (a source of NIFTY asked
    for BANKNIFTY contracts is a caller's mistake, refused). The contracts of the last
    ``DAYS_CACHED`` days asked for and the instrument ids of contracts it has returned are
    cached (a source lives for one run: data stored meanwhile is not seen), so ``premiums``
    costs no lookup per call.
    """

    def __init__(self, underlying: str) -> None:
        self.underlying = underlying.strip().upper()
        self._ids: dict[tuple, int] = {}
        self._days: dict[date, tuple[OptionContract, ...]] = {}

    def __repr__(self) -> str:
        return f"StoredChain({self.underlying!r})"

    def contracts(self, underlying: str, on: date) -> Sequence[OptionContract]:
        if underlying.strip().upper() != self.underlying:
            raise ValueError(
                f"this chain holds {self.underlying} contracts, not {underlying.upper()}"
            )
        if on not in self._days:  # a backtest asks again for every leg entered that day
            out = []
            for row in option_contracts_alive(underlying=self.underlying, on=on):
                contract = option_contract(row)
                self._ids[self._key(contract)] = row.pk
                out.append(contract)
            if len(self._days) >= DAYS_CACHED:
                self._days.pop(next(iter(self._days)))
            self._days[on] = tuple(out)
        return list(self._days[on])

    def premiums(
        self, contract: OptionContract, start: datetime, end: datetime, timeframe: str
    ) -> pd.DataFrame | None:
        """Stored candles of ``contract`` in ``[start, end]`` (both ends included; naive
        datetimes are IST), or ``None`` when the contract or its candles are not stored.

        A ``1d`` bar is labelled 00:00 IST of its trading day: for ``1d`` the range starts at
        the midnight of ``start``'s day, so a leg entered at 09:15 gets that day's bar.
        """
        timeframe_check(timeframe)
        if timeframe == "1d":
            start = _ist(start).replace(hour=0, minute=0, second=0, microsecond=0)
        iid = self._instrument_id(contract)
        if iid is None:
            return None
        lo, hi = time_range(start, end + timedelta(microseconds=1))  # end included
        bars = candles_load(instrument=iid, timeframe=timeframe, start=lo, end=hi)
        if len(bars) == 0:
            return None
        index = pd.DatetimeIndex(pd.to_datetime(bars.ts, utc=True)).tz_convert(IST)
        index.name = "ts"
        frame = pd.DataFrame(
            {name: np.asarray(getattr(bars, name), dtype=np.float64) for name in PREMIUM_COLUMNS},
            index=index,
        )
        oi = _open_interest(iid, timeframe, lo, hi)
        if oi is not None:
            frame["oi"] = oi.reindex(index).to_numpy(dtype=np.float64)
        return frame

    @staticmethod
    def _key(contract: OptionContract) -> tuple:
        return (contract.exchange, *contract.key)

    def _instrument_id(self, contract: OptionContract) -> int | None:
        key = self._key(contract)
        if key not in self._ids:
            row = (
                Instrument.objects.filter(
                    kind=Instrument.Kind.OPTION,
                    exchange=contract.exchange,
                    underlying=contract.underlying.upper(),
                    expiry=contract.expiry,
                    strike=contract.strike,
                    option_type=contract.right,
                )
                .values_list("pk", flat=True)
                .first()
            )
            if row is None:
                return None
            self._ids[key] = row
        return self._ids[key]


def _ist(value: datetime) -> datetime:
    return value.replace(tzinfo=IST) if value.tzinfo is None else value.astimezone(IST)


def _open_interest(iid: int, timeframe: str, lo: datetime, hi: datetime) -> pd.Series | None:
    """Open interest of the stored bars when this timeframe is stored as such (resampled
    bars have none: OI is a level at the bar's end, not something to aggregate)."""
    if candles_source_timeframe(instrument=iid, timeframe=timeframe, start=lo, end=hi) != timeframe:
        return None
    rows = list(
        Candle.objects.filter(
            instrument_id=iid,
            timeframe=timeframe,
            ts__gte=lo,
            ts__lt=hi,
            open_interest__isnull=False,
        ).values_list("ts", "open_interest")
    )
    if not rows:
        return None
    ts, values = zip(*rows, strict=True)
    index = pd.DatetimeIndex(pd.to_datetime(list(ts), utc=True)).tz_convert(IST)
    return pd.Series(np.asarray(values, dtype=np.float64), index=index)


# --- selectors for the API (the option-leg picker) --------------------------------------------
def option_contract_list(
    *,
    underlying: str,
    on: date | None = None,
    expiry: date | None = None,
    right: str = "",
    strike_min: float | None = None,
    strike_max: float | None = None,
) -> QuerySet[Instrument]:
    """Option contracts of ``underlying``: alive on ``on`` when given, of one ``expiry``,
    side and strike range; ordered by expiry, strike, CE before PE."""
    qs = Instrument.objects.filter(kind=Instrument.Kind.OPTION, underlying=underlying.upper())
    if on is not None:
        qs = qs.filter(expiry__gte=on).filter(Q(listed_on__isnull=True) | Q(listed_on__lte=on))
    if expiry is not None:
        qs = qs.filter(expiry=expiry)
    if right:
        qs = qs.filter(option_type=right.upper())
    if strike_min is not None:
        qs = qs.filter(strike__gte=strike_min)
    if strike_max is not None:
        qs = qs.filter(strike__lte=strike_max)
    return qs.order_by("expiry", "strike", "option_type", "id")


def option_expiries(*, underlying: str, on: date, days: int = 120) -> dict:
    """The expiries of ``underlying`` from ``on``: what the calendar schedules (weekly,
    monthly; holiday-adjusted) for ``days`` ahead, and what is stored, with counts."""
    u = underlying.strip().upper()
    stored = dict(
        option_contract_list(underlying=u, on=on)
        .order_by()  # grouping by expiry alone
        .values("expiry")
        .annotate(n=Count("id"))
        .values_list("expiry", "n")
    )
    scheduled: dict[date, set[str]] = {}
    known = True
    try:
        for kind in ("weekly", "monthly"):
            for d in calendar.expiry_dates(u, on, on + timedelta(days=days), kind):
                scheduled.setdefault(d, set()).add(kind)
    except ValueError:  # an underlying, or a date, the calendar does not know
        known = False
    rows = [
        {
            "expiry": d,
            "weekly": "weekly" in scheduled.get(d, ()),
            "monthly": "monthly" in scheduled.get(d, ()),
            "scheduled": d in scheduled,
            "contracts": stored.get(d, 0),
        }
        for d in sorted(set(stored) | set(scheduled))
    ]
    return {"underlying": u, "on": on, "calendar_known": known, "expiries": rows}


def iv_columnar(*, underlying: str, start: object, end: object, source: str = "auto") -> dict:
    """The IV API body: ``{"t": [epoch s], "iv": [fraction]}`` and the source used."""
    series = iv_series(underlying, start, end, source=source)
    cap = md_setting("MAX_BARS_PER_RESPONSE")
    if series is not None and len(series) > cap:
        raise InvalidInput(
            {"end": [f"The range holds {len(series):,} values, over the {cap:,} cap; narrow it."]}
        )
    values = series if series is not None else pd.Series(dtype=np.float64)
    return {
        "underlying": underlying.strip().upper(),
        "source": series.attrs["source"] if series is not None else None,
        "count": len(values),
        "t": [int(t.timestamp()) for t in values.index],
        "iv": [round(float(v), 6) for v in values],
    }


VIX_SYMBOLS = ("INDIAVIX", "INDIA VIX")
IV_SOURCES = ("auto", "atm_iv", "india_vix")


def _atm_iv(underlying: str, lo: datetime, hi: datetime) -> pd.Series | None:
    rows = list(
        ImpliedVolatility.objects.filter(underlying=underlying, ts__gte=lo, ts__lt=hi)
        .order_by("ts", "expiry", "source")
        .values_list("ts", "expiry", "iv")
    )
    if not rows:
        return None
    df = pd.DataFrame(rows, columns=["ts", "expiry", "iv"])
    df["ts"] = pd.to_datetime(df["ts"], utc=True).dt.tz_convert(IST)
    # The nearest expiry after the day: an expiring contract's IV on its last day swings
    # with minutes to expiry and says little about the days a backtest spans.
    later = df["expiry"] > df["ts"].dt.date
    df = df.assign(rank=np.where(later, 0, 1)).sort_values(["ts", "rank", "expiry"])
    first = df.drop_duplicates("ts", keep="first")
    return pd.Series(first["iv"].to_numpy(dtype=np.float64), index=pd.DatetimeIndex(first["ts"]))


def _india_vix(lo: datetime, hi: datetime) -> pd.Series | None:
    vix = (
        Instrument.objects.filter(symbol__in=VIX_SYMBOLS, segment=Instrument.Segment.INDEX)
        .order_by("id")
        .first()
    )
    if vix is None:
        return None
    for timeframe in ("1m", "1d"):  # the finest stored
        bars = candles_load(instrument=vix, timeframe=timeframe, start=lo, end=hi)
        if len(bars):
            index = pd.DatetimeIndex(pd.to_datetime(bars.ts, utc=True)).tz_convert(IST)
            return pd.Series(np.asarray(bars.close, dtype=np.float64) / 100.0, index=index)
    return None


def iv_series(
    underlying: str, start: object, end: object, *, source: str = "auto"
) -> pd.Series | None:
    """The implied-volatility input of ``underlying`` over ``[start, end]`` (naive values
    are IST; a date ``end`` includes that day), or ``None`` when nothing is stored.

    Returns a float64 ``pd.Series`` named ``"iv"``: annualised implied volatility as a
    fraction (0.13 = 13 %), indexed by tz-aware Asia/Kolkata timestamps, ascending, one value
    per observation (snapshot time, or bar open of the VIX candles: forward-fill it onto
    the backtest's bars). ``series.attrs["source"]`` says where it came from:

    - ``"atm_iv"``: the at-the-money IV stored from option-chain snapshots and Dhan's rolling
      ATM data (``ImpliedVolatility``); at each time the nearest expiry *after* that day
      (the same-day expiry only when there is no other);
    - ``"india_vix"``: India VIX candles (instrument ``INDIAVIX``, 1m if stored, else 1d)
      closes ÷ 100.

    ``source="auto"`` takes ATM IV when any is stored in the range, else India VIX for NIFTY
    (VIX is NIFTY's 30-day implied volatility; it is used for another underlying only when
    asked for by ``source="india_vix"``).
    """
    if source not in IV_SOURCES:
        raise InvalidInput({"source": [f"Use one of {', '.join(IV_SOURCES)}."]})
    u = underlying.strip().upper()
    lo, hi = time_range(start, end)
    if isinstance(end, datetime):
        hi = time_range(start, end + timedelta(microseconds=1))[1]  # a datetime end included
    series, name = None, ""
    if source in ("auto", "atm_iv"):
        series, name = _atm_iv(u, lo, hi), "atm_iv"
    if series is None and (source == "india_vix" or (source == "auto" and u == "NIFTY")):
        series, name = _india_vix(lo, hi), "india_vix"
    if series is None:
        return None
    series.name = "iv"
    series.index.name = "ts"
    series.attrs["source"] = name
    return series


def stored_chain(underlying: str) -> OptionChainSource:
    """The option chain of ``underlying`` (NIFTY, BANKNIFTY, ...) as stored in the database."""
    return StoredChain(underlying)


__all__ = [
    "StoredChain",
    "iv_columnar",
    "iv_series",
    "option_contract",
    "option_contract_list",
    "option_contracts_alive",
    "option_expiries",
    "stored_chain",
]
