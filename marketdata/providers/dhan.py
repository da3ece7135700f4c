"""Dhan history and security master through the dhanhq SDK (2.3.0).

The SDK never raises and never retries: every call answers ``{"status", "remarks", "data"}``.
This adapter adds the rest: the account's data limit (5 requests a second, shared by every
process through ``algobacktester.ratelimits``), retries with exponential backoff on rate
limits (DH-904/805), server errors (DH-908/909, 5xx) and malformed bodies, 90-day chunks, and parsing of the parallel-array answers into a :class:`BarFrame`.
Credentials come from settings (``DHAN_CLIENT_ID``, ``DHAN_ACCESS_TOKEN``) and are never logged.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import requests
from django.conf import settings

from algobacktester.ratelimits import AccountLimiter, account_limiter, read_retrying
from engine.markets.calendar import IST

from ..frames import BarFrame
from ..symbols import option_symbol
from ..timeframes import DAY
from .base import InstrumentRef, InstrumentSpec, Provider, ProviderError

logger = logging.getLogger(__name__)

INTERVALS = {"1m": 1, "5m": 5, "15m": 15, "25m": 25, "1h": 60}
ROLLING_INTERVALS = INTERVALS  # /charts/rollingoption takes the same minutes
ROLLING_MAX_DAYS = 30
ROLLING_FIELDS = ("open", "high", "low", "close", "iv", "volume", "strike", "oi", "spot")
RETRYABLE_CODES = {"DH-904", "DH-908", "DH-909", "805"}
NO_DATA_CODES = {"DH-907"}
HISTORY_TYPES = {"index": "INDEX", "future": "FUTIDX", "option": "OPTIDX", "equity": "EQUITY"}
SEGMENTS = {
    ("NSE", "I"): "IDX_I",
    ("BSE", "I"): "IDX_I",
    ("NSE", "E"): "NSE_EQ",
    ("BSE", "E"): "BSE_EQ",
    ("NSE", "D"): "NSE_FNO",
    ("BSE", "D"): "BSE_FNO",
}
KINDS = {"INDEX": "index", "FUTIDX": "future", "OPTIDX": "option", "EQUITY": "equity"}
MASTER_COLUMNS = (
    "SEM_EXM_EXCH_ID",
    "SEM_SEGMENT",
    "SEM_SMST_SECURITY_ID",
    "SEM_INSTRUMENT_NAME",
    "SEM_TRADING_SYMBOL",
    "SEM_LOT_UNITS",
    "SEM_CUSTOM_SYMBOL",
    "SEM_EXPIRY_DATE",
    "SEM_STRIKE_PRICE",
    "SEM_OPTION_TYPE",
    "SEM_TICK_SIZE",
    "SM_SYMBOL_NAME",
)
# The detailed master names each derivative's underlying (UNDERLYING_SYMBOL); the compact
# one (api-scrip-master.csv) is read too, told apart by its SEM_ column names.
DEFAULT_MASTER_URL = "https://images.dhan.co/api-data/api-scrip-master-detailed.csv"
DETAILED_COLUMNS = {
    "EXCH_ID": "SEM_EXM_EXCH_ID",
    "SEGMENT": "SEM_SEGMENT",
    "SECURITY_ID": "SEM_SMST_SECURITY_ID",
    "INSTRUMENT": "SEM_INSTRUMENT_NAME",
    "SYMBOL_NAME": "SEM_TRADING_SYMBOL",
    "LOT_SIZE": "SEM_LOT_UNITS",
    "DISPLAY_NAME": "SEM_CUSTOM_SYMBOL",
    "SM_EXPIRY_DATE": "SEM_EXPIRY_DATE",
    "STRIKE_PRICE": "SEM_STRIKE_PRICE",
    "OPTION_TYPE": "SEM_OPTION_TYPE",
    "TICK_SIZE": "SEM_TICK_SIZE",
    "UNDERLYING_SYMBOL": "SM_SYMBOL_NAME",
}


def _conf(key: str, default: Any = None) -> Any:
    return getattr(settings, key, default)


class DhanProvider(Provider):
    name: ClassVar[str] = "dhan"
    capabilities: ClassVar[frozenset[str]] = frozenset({"history", "instruments", "options"})
    timeframes: ClassVar[tuple[str, ...]] = (*INTERVALS, DAY)
    chunk_days: ClassVar[int] = 90

    def __init__(
        self,
        *,
        client_id: str | None = None,
        access_token: str | None = None,
        base_url: str | None = None,
        security_master_url: str | None = None,
        max_retries: int | None = None,
        backoff_seconds: float | None = None,
        limiter: AccountLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        **_: object,
    ) -> None:
        from dhanhq import DhanContext, dhanhq

        client_id = client_id or _conf("DHAN_CLIENT_ID") or ""
        access_token = access_token or _conf("DHAN_ACCESS_TOKEN") or ""
        self._ctx = DhanContext(client_id, access_token)
        self._http = self._ctx.get_dhan_http()
        self._http.base_url = base_url or _conf("DHAN_BASE_URL") or self._http.base_url
        self._http.timeout = _conf("DHAN_TIMEOUT_SECONDS", 30)
        self._dhan = dhanhq(self._ctx)
        self.master_url = security_master_url or _conf("DHAN_SECURITY_MASTER_URL")
        self.master_url = self.master_url or DEFAULT_MASTER_URL
        self.max_retries = _conf("DHAN_MAX_RETRIES", 4) if max_retries is None else max_retries
        self.backoff = (
            _conf("DHAN_BACKOFF_SECONDS", 0.5) if backoff_seconds is None else backoff_seconds
        )
        # Dhan counts per client id: every process shares one window (Redis in services mode).
        self.limiter = limiter or account_limiter(
            broker="dhan", account=client_id or "anonymous", purpose="data", sleep=sleep
        )
        self.sleep = sleep
        self.requests_made = 0

    def __repr__(self) -> str:  # never show the token
        return f"DhanProvider(base_url={self._http.base_url!r})"

    # --- history -----------------------------------------------------------------------
    def fetch(
        self, *, instrument: InstrumentRef, timeframe: str, start: datetime, end: datetime
    ) -> BarFrame:
        if timeframe not in self.timeframes:
            raise ProviderError(
                f"Dhan has no {timeframe} bars (use {', '.join(self.timeframes)})", code="timeframe"
            )
        if not instrument.security_id:
            raise ProviderError(f"{instrument.symbol} has no Dhan security id", code="instrument")
        lo = start.astimezone(IST).date()
        hi = (end - timedelta(microseconds=1)).astimezone(IST).date() + timedelta(days=1)
        args = {
            "security_id": instrument.security_id,
            "exchange_segment": instrument.segment,
            "instrument_type": HISTORY_TYPES.get(instrument.kind, "INDEX"),
            "from_date": lo.isoformat(),
            "to_date": hi.isoformat(),  # exclusive
        }
        if timeframe == DAY:
            call = lambda: self._dhan.historical_daily_data(**args)  # noqa: E731
        else:
            interval = INTERVALS[timeframe]
            call = lambda: self._dhan.intraday_minute_data(**args, interval=interval)  # noqa: E731
        data = self._call(call, what=f"{timeframe} bars of {instrument.symbol} from {lo}")
        frame = _arrays_to_frame(data)
        a, b = int(start.timestamp() * 1e9), int(end.timestamp() * 1e9)
        return frame.take(np.flatnonzero((frame.ts >= a) & (frame.ts < b)))

    def _call(self, call: Callable[[], dict], *, what: str) -> dict:
        """A read: under the account's limit, retried while the error is transient."""

        def attempt() -> dict:
            self.limiter.acquire()
            self.requests_made += 1
            return _answer_data(call())

        retrying = read_retrying(
            attempts=self.max_retries + 1,
            backoff=self.backoff,
            sleep=self.sleep,
            retryable=lambda exc: isinstance(exc, ProviderError) and exc.retryable,
            what=f"dhan: {what}",
        )
        try:
            return retrying(attempt)
        except ProviderError as exc:
            if not exc.retryable:
                raise
            raise ProviderError(
                f"Dhan kept failing for {what} after {self.max_retries + 1} attempts: {exc}",
                retryable=True,
                code="retries_exhausted",
            ) from exc

    # --- expired options (rolling) -----------------------------------------------------
    def rolling_options(
        self,
        *,
        underlying: InstrumentRef,
        expiry_flag: str,
        expiry_code: int,
        offset: int,
        right: str,
        timeframe: str,
        start: date,
        end: date,
    ) -> RollingSeries:
        """One call of ``POST /charts/rollingoption``: bars of the contract ``offset`` strikes
        from ATM (re-picked at every bar) of the ``expiry_code``-th ``expiry_flag`` (WEEK or
        MONTH) expiry, ``right`` CE or PE, for IST days ``[start, end)`` (at most 30 days:
        the server's limit). Under the account's limit, retried like any read."""
        if timeframe not in ROLLING_INTERVALS:
            raise ProviderError(
                f"Dhan's rolling option data has no {timeframe} bars "
                f"(use {', '.join(ROLLING_INTERVALS)})",
                code="timeframe",
            )
        if (end - start).days > ROLLING_MAX_DAYS:
            raise ProviderError(f"one rolling call spans at most {ROLLING_MAX_DAYS} days")
        args = {
            "security_id": underlying.security_id,
            "exchange_segment": f"{underlying.exchange}_FNO",
            "instrument_type": "OPTIDX",
            "expiry_flag": expiry_flag,
            "expiry_code": expiry_code,
            "strike": "ATM" if offset == 0 else f"ATM{offset:+d}",
            "drv_option_type": "CALL" if right == "CE" else "PUT",
            "required_data": list(ROLLING_FIELDS),
            "from_date": start.isoformat(),
            "to_date": end.isoformat(),
            "interval": ROLLING_INTERVALS[timeframe],
        }
        what = (
            f"{underlying.symbol} {expiry_flag} {expiry_code} {args['strike']} {right} "
            f"{timeframe} from {start}"
        )
        body = self._call(lambda: self._dhan.expired_options_data(**args), what=what)
        inner = body.get("data") if isinstance(body, dict) else None
        side = inner.get("ce" if right == "CE" else "pe") if isinstance(inner, dict) else None
        return _rolling_series(side or {})

    # --- security master ---------------------------------------------------------------
    def instruments(self, *, underlyings: tuple[str, ...] = ()) -> list[InstrumentSpec]:
        retrying = read_retrying(
            attempts=self.max_retries + 1,
            backoff=self.backoff,
            sleep=self.sleep,
            retryable=_transient_http,
            what="dhan: security master",
        )
        try:
            response = retrying(self._master_download)
        except requests.RequestException as exc:
            raise ProviderError(f"security master download failed: {exc}", retryable=True) from exc
        return security_master_parse(response.content, underlyings=underlyings)

    def _master_download(self) -> requests.Response:
        response = requests.get(self.master_url, timeout=_conf("DHAN_TIMEOUT_SECONDS", 60))
        response.raise_for_status()
        return response


@dataclass(frozen=True, slots=True)
class RollingSeries:
    """Bars of a rolling ATM±n series: each bar's own ``strike``, ``iv`` (percent, as Dhan
    and NSE quote it; NaN when absent) and underlying ``spot``."""

    frame: BarFrame
    strike: np.ndarray
    iv: np.ndarray
    spot: np.ndarray


def _rolling_series(data: dict) -> RollingSeries:
    frame = _arrays_to_frame(
        {**data, "open_interest": data.get("oi")} if data.get("timestamp") else {}
    )
    n = len(frame)

    def extra(name: str) -> np.ndarray:
        raw = data.get(name)
        if raw is None:
            return np.full(n, np.nan)
        try:
            values = np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ProviderError(f"malformed body: {name}: {exc}", code="malformed") from exc
        if len(values) != n:
            raise ProviderError(
                f"malformed body: {name} has {len(values)} values for {n} bars",
                retryable=True,
                code="malformed",
            )
        return values

    return RollingSeries(frame, extra("strike"), extra("iv"), extra("spot"))


def _transient_http(exc: BaseException) -> bool:
    """Timeouts, dropped connections, 429 and 5xx: worth another try; other 4xx are not."""
    if isinstance(exc, requests.HTTPError):
        status = exc.response.status_code if exc.response is not None else 500
        return status == 429 or status >= 500
    return isinstance(exc, requests.ConnectionError | requests.Timeout)


def _answer_data(answer: dict) -> dict:
    """The data of a successful SDK answer, or a ProviderError saying whether to retry."""
    if not isinstance(answer, dict):
        raise ProviderError("the SDK answered something that is not a dict", retryable=True)
    remarks = answer.get("remarks")
    if answer.get("status") == "success":
        data = answer.get("data")
        if not isinstance(data, dict):
            raise ProviderError(
                "malformed body: data is not an object", retryable=True, code="malformed"
            )
        return data
    if isinstance(remarks, dict):
        code = str(remarks.get("error_code") or "")
        message = str(remarks.get("error_message") or remarks.get("error_type") or "")
        if code in NO_DATA_CODES:
            return {}
        retryable = code in RETRYABLE_CODES or not code
        raise ProviderError(f"{code or 'HTTP error'}: {message}", retryable=retryable, code=code)
    # A body that was not JSON (a proxy's 502 page, a truncated answer) or a network failure.
    raise ProviderError(f"malformed or missing body: {remarks}", retryable=True, code="malformed")


def _arrays_to_frame(data: dict) -> BarFrame:
    if not data:
        return BarFrame.empty()
    keys = ("timestamp", "open", "high", "low", "close")
    try:
        cols = {k: np.asarray(data[k], dtype=np.float64) for k in keys}
        volume = np.asarray(data.get("volume", np.zeros(len(cols["open"]))), dtype=np.float64)
        oi_raw = data.get("open_interest")
        oi = None if not oi_raw else np.asarray(oi_raw, dtype=np.float64)
    except (KeyError, TypeError, ValueError) as exc:
        raise ProviderError(f"malformed body: {exc}", retryable=True, code="malformed") from exc
    n = len(cols["timestamp"])
    lengths = (
        {len(v) for v in cols.values()} | {len(volume)} | ({len(oi)} if oi is not None else set())
    )
    if lengths != {n}:
        raise ProviderError(
            "malformed body: arrays of unequal length", retryable=True, code="malformed"
        )
    ts = (cols["timestamp"] * 1e9).astype(np.int64)
    return BarFrame.build(ts, cols["open"], cols["high"], cols["low"], cols["close"], volume, oi)


# --- security master parsing -------------------------------------------------------------
def _decimal(value: Any) -> Decimal | None:
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def _expiry(value: Any) -> date | None:
    text = str(value or "").strip()
    if not text or text in ("nan", "NaN", "-1", "0"):
        return None
    try:
        return datetime.fromisoformat(text[:10]).date()
    except ValueError:
        return None


def _strike_steps(specs: list[InstrumentSpec]) -> dict[str, int]:
    """The most common gap between neighbouring strikes of one expiry, per underlying."""
    by_key: dict[tuple[str, date | None], set[Decimal]] = {}
    for s in specs:
        if s.kind == "option" and s.strike is not None:
            by_key.setdefault((s.underlying, s.expiry), set()).add(s.strike)
    gaps: dict[str, list[int]] = {}
    for (underlying, _), strikes in by_key.items():
        ordered = np.array(sorted(float(x) for x in strikes))
        diffs = np.diff(ordered)
        diffs = diffs[diffs > 0]
        if len(diffs):
            gaps.setdefault(underlying, []).append(round(float(np.median(diffs))))
    return {u: max(set(v), key=v.count) for u, v in gaps.items()}


def security_master_parse(
    content: bytes, *, underlyings: tuple[str, ...] = ()
) -> list[InstrumentSpec]:
    """Index, index-future and index-option rows of Dhan's security master (the detailed
    CSV, or the compact one). Options are named by :func:`marketdata.symbols.option_symbol`;
    a series listed twice keeps its last row."""
    df = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False)
    df.columns = [str(c).strip() for c in df.columns]
    detailed = "SECURITY_ID" in df.columns and "SEM_SMST_SECURITY_ID" not in df.columns
    if detailed:
        missing = [c for c in DETAILED_COLUMNS if c not in df.columns]
        if missing:
            raise ProviderError(f"security master lacks columns: {', '.join(missing)}")
        df = df.rename(columns=DETAILED_COLUMNS)
    missing = [c for c in MASTER_COLUMNS if c not in df.columns]
    if missing:
        raise ProviderError(f"security master lacks columns: {', '.join(missing)}")
    df = df[df["SEM_INSTRUMENT_NAME"].isin(KINDS)]
    wanted = {u.upper() for u in underlyings}
    by_symbol: dict[tuple[str, str, str], InstrumentSpec] = {}
    for row in df[list(MASTER_COLUMNS)].to_dict("records"):
        spec = _spec(row, detailed=detailed)
        if spec is None or (wanted and spec.underlying not in wanted):
            continue
        by_symbol[(spec.exchange, spec.segment, spec.symbol)] = spec
    specs = list(by_symbol.values())
    steps = _strike_steps(specs)
    return [
        spec
        if spec.kind not in ("option", "index") or spec.underlying not in steps
        else InstrumentSpec(**{**_fields(spec), "strike_step": steps[spec.underlying]})
        for spec in specs
    ]


def _fields(spec: InstrumentSpec) -> dict:
    return {f: getattr(spec, f) for f in InstrumentSpec.__dataclass_fields__}


def _spec(row: dict, *, detailed: bool = False) -> InstrumentSpec | None:
    exchange = row["SEM_EXM_EXCH_ID"].strip().upper()
    segment = SEGMENTS.get((exchange, row["SEM_SEGMENT"].strip().upper()))
    if segment is None:
        return None
    kind = KINDS[row["SEM_INSTRUMENT_NAME"].strip().upper()]
    symbol = row["SEM_TRADING_SYMBOL"].strip()
    underlying = (symbol.split("-")[0] if kind != "equity" else symbol).upper()
    if detailed and kind != "equity" and row["SM_SYMBOL_NAME"].strip():
        underlying = row["SM_SYMBOL_NAME"].strip().upper()
    tick = _decimal(row["SEM_TICK_SIZE"]) or Decimal("5")
    tick = tick / 100 if tick >= 1 else tick  # the master lists ticks in paise
    lot = _decimal(row["SEM_LOT_UNITS"]) or Decimal(1)
    option_type = row["SEM_OPTION_TYPE"].strip().upper() if kind == "option" else ""
    option_type = {"CALL": "CE", "PUT": "PE"}.get(option_type, option_type)
    if kind == "option" and option_type not in ("CE", "PE"):
        return None
    strike = _decimal(row["SEM_STRIKE_PRICE"]) if kind == "option" else None
    expiry = _expiry(row["SEM_EXPIRY_DATE"]) if kind in ("future", "option") else None
    if kind == "option":
        if strike is None or strike <= 0 or expiry is None:
            return None
        strike = strike.quantize(Decimal("0.01"))
        symbol = option_symbol(underlying, expiry, strike, option_type)
    return InstrumentSpec(
        exchange=exchange,
        segment=segment,
        symbol=symbol[:64],
        security_id=row["SEM_SMST_SECURITY_ID"].strip(),
        kind=kind,
        name=(row["SEM_CUSTOM_SYMBOL"] or row["SM_SYMBOL_NAME"]).strip()[:128],
        underlying=underlying[:32],
        expiry=expiry,
        strike=strike,
        option_type=option_type,
        lot_size=max(int(lot), 1),
        tick_size=tick.quantize(Decimal("0.0001")),
    )
