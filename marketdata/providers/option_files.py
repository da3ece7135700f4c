"""Option files read into one long table of contract bars (no database here).

Three formats, each told by its header:

``nse-eod``            NSE's "historical contract-wise price volume" download (one row per
                       contract and day: symbol, date, expiry, option_type, strike, open ...
                       contracts, open_int ...). Untraded contract-days (``contracts`` 0,
                       open/high/low 0) are skipped and counted, not stored: their close is
                       NSE's theoretical price, not a trade.
``nse-contractwise``   NSE's F&O market-activity files (trade_date, INSTRUMENT, SYMBOL,
                       EXP_DATE, STR_PRICE, OPT_TYPE, OPEN_PRICE ... TRD_QTY, NO_OF_CONT);
                       OPTIDX rows are options, FUTIDX rows futures; the lot is
                       TRD_QTY / NO_OF_CONT.
``chain-snapshots``    NSE option-chain snapshots (snapshot_time, Fetch_Time, Symbol,
                       Expiry_Date, Strike_Price, CALLS_*/PUTS_* LTP, IV, OI, Volume).
                       Each quote becomes a one-minute bar at NSE's own time (Fetch_Time,
                       floored to the minute) with open = high = low = close = last price;
                       the ATM implied volatility of each expiry at each time is kept too.

Every bar names its contract by (kind, underlying, expiry, strike, right). Rows that cannot
be read become rejects with a reason, kept for quarantine; rows that are not bad but carry no
trade (untraded, no quote, a stale snapshot) are counted in ``skipped``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from engine.markets import calendar

from .base import FileFormatError
from .files import _read_bytes

FORMATS = ("nse-eod", "nse-contractwise", "chain-snapshots")
BAR_COLUMNS = (
    "kind",
    "underlying",
    "expiry",
    "strike",
    "right",
    "ts",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "oi",
    "lot_size",
)
EOD_COLUMNS = ("symbol", "date", "expiry", "option_type", "strike", "open", "high", "low", "close")
CONTRACTWISE_COLUMNS = ("trade_date", "INSTRUMENT", "SYMBOL", "EXP_DATE", "OPEN_PRICE")
SNAPSHOT_COLUMNS = ("Fetch_Time", "Symbol", "Expiry_Date", "Strike_Price")
SIDES = (("CE", "CALLS_"), ("PE", "PUTS_"))
# A snapshot whose NSE time lags its collection by more than this repeats an earlier close
# (a holiday's polls carry the previous session's last chain): not a new observation.
STALE_SNAPSHOT = pd.Timedelta(minutes=15)
IST = "Asia/Kolkata"


@dataclass
class OptionBars:
    """Bars of many contracts, one row each (``bars`` has :data:`BAR_COLUMNS`).

    ``ts`` is int64 ns UTC of the bar start; ``expiry`` a ``date``; ``strike`` a float
    (NaN for futures); ``right`` "CE"/"PE" ("" for futures); ``lot_size`` a float, NaN
    when the file does not say (the calendar's lot is used then). ``iv`` holds ATM implied
    volatility samples (underlying, ts, expiry, strike, iv as a fraction), when the file
    has IV.
    """

    timeframe: str
    bars: pd.DataFrame
    rejects: list[dict] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    iv: pd.DataFrame | None = None
    fmt: str = ""


def detect_format(columns: list[str]) -> str:
    names = {str(c).strip() for c in columns}
    lowered = {n.lower() for n in names}
    if set(SNAPSHOT_COLUMNS) <= names:
        return "chain-snapshots"
    if set(CONTRACTWISE_COLUMNS) <= names:
        return "nse-contractwise"
    if set(EOD_COLUMNS) <= lowered:
        return "nse-eod"
    raise FileFormatError(
        {
            "format": [
                "Not a known option file: expected the columns of NSE's contract-wise EOD "
                "(symbol, date, expiry, option_type, strike, ...), NSE's F&O contract files "
                "(trade_date, INSTRUMENT, SYMBOL, EXP_DATE, ...) or option-chain snapshots "
                f"(Fetch_Time, Symbol, Expiry_Date, Strike_Price, ...); the file has: "
                f"{', '.join(sorted(names))[:400]}."
            ]
        }
    )


def option_file_read(
    source: str | Path | bytes | IO[bytes],
    *,
    fmt: str | None = None,
    max_bytes: int = 2**31,
) -> OptionBars:
    """Read a whole option file (CSV, optionally gzipped) into :class:`OptionBars`."""
    if fmt is not None and fmt not in FORMATS:
        raise FileFormatError({"format": [f"Use one of {', '.join(FORMATS)}."]})
    data = _read_bytes(source, max_bytes)
    try:
        df = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileFormatError({"file": ["The file is not UTF-8 text; save it as UTF-8."]}) from exc
    except pd.errors.EmptyDataError as exc:
        raise FileFormatError({"file": ["The file is empty."]}) from exc
    except pd.errors.ParserError as exc:
        raise FileFormatError({"file": [f"The CSV cannot be parsed: {exc}"]}) from exc
    df.columns = [str(c).strip() for c in df.columns]
    found = detect_format(list(df.columns))
    if fmt is not None and fmt != found:
        raise FileFormatError({"format": [f"The file looks like {found}, not {fmt}."]})
    reader = {"nse-eod": _eod, "nse-contractwise": _contractwise, "chain-snapshots": _snapshots}
    batch = reader[found](df)
    batch.fmt = found
    return batch


# --- shared helpers ----------------------------------------------------------------------
def _dates(text: pd.Series) -> pd.Series:
    """ISO dates, else NSE's dd-Mon-yyyy; NaT where neither reads."""
    text = text.str.strip()
    parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
    retry = parsed.isna() & (text != "")
    if retry.any():
        parsed[retry] = pd.to_datetime(text[retry], errors="coerce", format="mixed", dayfirst=True)
    return parsed


def _numbers(text: pd.Series) -> np.ndarray:
    return pd.to_numeric(text.str.strip(), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )


def _ist_midnight_ns(days: pd.Series) -> np.ndarray:
    local = pd.DatetimeIndex(days.dt.normalize()).tz_localize(IST)
    return local.tz_convert("UTC").as_unit("ns").asi8


def _calendar_lot(underlying: str, on: date) -> float:
    try:
        return float(calendar.lot_size(underlying, on))
    except (ValueError, KeyError):
        return np.nan


def _calendar_lots(underlyings: np.ndarray, days: np.ndarray) -> np.ndarray:
    cache: dict[tuple[str, date], float] = {}
    out = np.empty(len(underlyings))
    for i, (u, d) in enumerate(zip(underlyings, days, strict=True)):
        key = (u, d)
        if key not in cache:
            cache[key] = _calendar_lot(u, d)
        out[i] = cache[key]
    return out


def _reject_rows(df: pd.DataFrame, mask: np.ndarray, reason: str, detail: str) -> list[dict]:
    return [
        {
            "reason": reason,
            "detail": detail,
            "raw": {str(k): str(v) for k, v in row.items()},
        }
        for _, row in df[mask].iterrows()
    ]


def _frame(**cols) -> pd.DataFrame:
    return pd.DataFrame({c: cols[c] for c in BAR_COLUMNS})


# --- nse-eod -----------------------------------------------------------------------------
def _eod(df: pd.DataFrame) -> OptionBars:
    df = df.rename(columns={c: c.lower() for c in df.columns})
    day = _dates(df["date"])
    expiry = _dates(df["expiry"])
    strike = _numbers(df["strike"])
    right = df["option_type"].str.strip().str.upper().to_numpy()
    underlying = df["symbol"].str.strip().str.upper().to_numpy()
    prices = {c: _numbers(df[c]) for c in ("open", "high", "low", "close")}
    contracts = _numbers(df["contracts"]) if "contracts" in df else np.full(len(df), np.nan)
    oi = _numbers(df["open_int"]) if "open_int" in df else np.full(len(df), np.nan)
    rejects, keep = _key_checks(df, day, expiry, strike, right, underlying)
    lots = np.full(len(df), np.nan)
    ok = np.flatnonzero(keep)
    lots[ok] = _calendar_lots(underlying[ok], day[ok].dt.date.to_numpy())
    no_lot = keep & np.isnan(lots)
    rejects += _reject_rows(
        df, no_lot, "unknown_lot_size", "the file has no lot size and the calendar none for it"
    )
    keep &= ~no_lot
    untraded = keep & ((contracts == 0) | ((prices["open"] == 0) & (prices["high"] == 0)))
    keep &= ~untraded
    volume = contracts * lots  # contracts traded -> units, as every other source counts
    k = np.flatnonzero(keep)
    bars = _frame(
        kind=np.full(len(k), "option"),
        underlying=underlying[k],
        expiry=expiry.dt.date.to_numpy()[k],
        strike=strike[k],
        right=right[k],
        ts=_ist_midnight_ns(day[keep]),
        open=prices["open"][k],
        high=prices["high"][k],
        low=prices["low"][k],
        close=prices["close"][k],
        volume=np.nan_to_num(volume[k], nan=0.0),
        oi=oi[k],
        lot_size=lots[k],
    )
    return OptionBars("1d", bars, rejects, {"untraded": int(untraded.sum())})


def _key_checks(
    df: pd.DataFrame,
    day: pd.Series,
    expiry: pd.Series,
    strike: np.ndarray,
    right: np.ndarray,
    underlying: np.ndarray,
    *,
    options: np.ndarray | None = None,
    skipped: dict[str, int] | None = None,
) -> tuple[list[dict], np.ndarray]:
    """Reject rows whose contract or date cannot be read. ``options`` marks option rows
    (others are futures: no strike or right). A row dated after its expiry is a reject,
    unless ``skipped`` is given: the option chain keeps listing the contract that expired
    the day before, which is stale, not wrong; it is counted there as ``expired``."""
    options = np.ones(len(df), dtype=bool) if options is None else options
    checks = [
        ("unparseable", day.isna().to_numpy(), "the trade date cannot be read"),
        ("bad_expiry", expiry.isna().to_numpy(), "the expiry cannot be read"),
        ("bad_underlying", underlying == "", "the underlying symbol is empty"),
        (
            "bad_strike",
            options & ~(np.isfinite(strike) & (strike > 0)),
            "the strike is missing or not positive",
        ),
        ("bad_option_type", options & ~np.isin(right, ("CE", "PE")), "the type is not CE or PE"),
    ]
    rejects: list[dict] = []
    keep = np.ones(len(df), dtype=bool)
    for reason, bad, detail in checks:
        bad = keep & bad
        rejects += _reject_rows(df, bad, reason, detail)
        keep &= ~bad
    late = keep & (day.dt.normalize().to_numpy() > expiry.to_numpy())
    if skipped is None:
        rejects += _reject_rows(df, late, "after_expiry", "the trade date is after the expiry")
    else:
        skipped["expired"] = int(late.sum())
    keep &= ~late
    return rejects, keep


# --- nse-contractwise ---------------------------------------------------------------------
def _contractwise(df: pd.DataFrame) -> OptionBars:
    instrument = df["INSTRUMENT"].str.strip().str.upper().to_numpy()
    wanted = np.isin(instrument, ("OPTIDX", "FUTIDX"))
    skipped = {"not_index_derivative": int((~wanted).sum())}
    df = df[wanted].reset_index(drop=True)
    instrument = instrument[wanted]
    options = instrument == "OPTIDX"
    day = _dates(df["trade_date"])
    expiry = _dates(df["EXP_DATE"])
    strike = _numbers(df["STR_PRICE"]) if "STR_PRICE" in df else np.full(len(df), np.nan)
    right = (
        df["OPT_TYPE"].str.strip().str.upper().to_numpy()
        if "OPT_TYPE" in df
        else np.full(len(df), "")
    )
    right = np.where(options, right, "")
    strike = np.where(options, strike, np.nan)
    underlying = df["SYMBOL"].str.strip().str.upper().to_numpy()
    rejects, keep = _key_checks(df, day, expiry, strike, right, underlying, options=options)
    qty = _numbers(df["TRD_QTY"]) if "TRD_QTY" in df else np.full(len(df), np.nan)
    count = _numbers(df["NO_OF_CONT"]) if "NO_OF_CONT" in df else np.full(len(df), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        lots = np.where(count > 0, qty / count, np.nan)
    lots = np.where(np.isfinite(lots) & (lots == np.round(lots)), lots, np.nan)
    missing = np.flatnonzero(keep & np.isnan(lots))
    if len(missing):
        lots[missing] = _calendar_lots(underlying[missing], day.dt.date.to_numpy()[missing])
    no_lot = keep & np.isnan(lots)
    rejects += _reject_rows(
        df, no_lot, "unknown_lot_size", "no traded lot in the row and the calendar has none"
    )
    keep &= ~no_lot
    prices = {
        "open": _numbers(df["OPEN_PRICE"]),
        "high": _numbers(df["HI_PRICE"]),
        "low": _numbers(df["LO_PRICE"]),
        "close": _numbers(df["CLOSE_PRICE"]),
    }
    untraded = keep & (count == 0)
    keep &= ~untraded
    skipped["untraded"] = int(untraded.sum())
    k = np.flatnonzero(keep)
    bars = _frame(
        kind=np.where(options[k], "option", "future"),
        underlying=underlying[k],
        expiry=expiry.dt.date.to_numpy()[k],
        strike=strike[k],
        right=right[k],
        ts=_ist_midnight_ns(day[keep]),
        open=prices["open"][k],
        high=prices["high"][k],
        low=prices["low"][k],
        close=prices["close"][k],
        volume=np.nan_to_num(qty[k], nan=0.0),
        oi=_numbers(df["OPEN_INT"])[k] if "OPEN_INT" in df else np.full(len(k), np.nan),
        lot_size=lots[k],
    )
    return OptionBars("1d", bars, rejects, skipped)


# --- chain-snapshots ---------------------------------------------------------------------
def _snapshots(df: pd.DataFrame) -> OptionBars:
    fetched = _dates(df["Fetch_Time"])
    collected = (
        _dates(df["snapshot_time"]) if "snapshot_time" in df else pd.Series(pd.NaT, index=df.index)
    )
    expiry = _dates(df["Expiry_Date"])
    strike = _numbers(df["Strike_Price"])
    underlying = df["Symbol"].str.strip().str.upper().to_numpy()
    both = np.full(len(df), "CE")
    skipped: dict[str, int] = {}
    rejects, keep = _key_checks(df, fetched, expiry, strike, both, underlying, skipped=skipped)
    stale = keep & (collected - fetched > STALE_SNAPSHOT).to_numpy()
    keep &= ~stale
    skipped["stale_snapshot"] = int(stale.sum())
    k = np.flatnonzero(keep)
    base = pd.DataFrame(
        {
            "underlying": underlying[k],
            "expiry": expiry.dt.date.to_numpy()[k],
            "strike": strike[k],
            "at": pd.DatetimeIndex(fetched[keep]).tz_localize(IST).tz_convert("UTC"),
        }
    )
    base["lot"] = _calendar_lots(base["underlying"].to_numpy(), base["at"].dt.date.to_numpy())
    sides = []
    for right, prefix in SIDES:
        side = base.copy()
        side["right"] = right
        for name in ("LTP", "IV", "OI", "Volume"):
            col = f"{prefix}{name}"
            side[name.lower()] = _numbers(df[col])[k] if col in df else np.nan
        sides.append(side)
    long = pd.concat(sides, ignore_index=True)
    iv = _atm_iv(long)
    no_quote = ~(long["ltp"] > 0)
    skipped["no_quote"] = int(no_quote.sum())
    long = long[~no_quote]
    no_lot = long["lot"].isna()
    rejects += [
        {
            "reason": "unknown_lot_size",
            "detail": "the calendar has no lot size for this underlying",
            "raw": {k: str(v) for k, v in row.items()},
        }
        for row in long[no_lot].to_dict("records")
    ]
    long = long[~no_lot]
    return OptionBars("1m", _snapshot_bars(long), rejects, skipped, iv)


def _snapshot_bars(long: pd.DataFrame) -> pd.DataFrame:
    """One-minute bars from quotes: OHLC over the quotes in the minute (usually one),
    volume the rise of the day's cumulative volume since the previous quote, OI the last,
    both converted from lots to units."""
    long = long.sort_values(["underlying", "expiry", "strike", "right", "at"], kind="stable")
    long = long.drop_duplicates(["underlying", "expiry", "strike", "right", "at"], keep="last")
    key = ["underlying", "expiry", "strike", "right"]
    day = long["at"].dt.tz_convert(IST).dt.date
    traded = long.groupby([*key, day], sort=False)["volume"].diff()
    long = long.assign(
        traded=traded.clip(lower=0).fillna(0.0) * long["lot"],
        oi_units=long["oi"] * long["lot"],
        minute=long["at"].dt.floor("min"),
    )
    g = long.groupby([*key, "minute"], sort=False)
    out = g.agg(
        open=("ltp", "first"),
        high=("ltp", "max"),
        low=("ltp", "min"),
        close=("ltp", "last"),
        volume=("traded", "sum"),
        oi=("oi_units", "last"),
        lot_size=("lot", "last"),
    ).reset_index()
    return _frame(
        kind=np.full(len(out), "option"),
        underlying=out["underlying"].to_numpy(),
        expiry=out["expiry"].to_numpy(),
        strike=out["strike"].to_numpy(dtype=np.float64),
        right=out["right"].to_numpy(),
        ts=pd.DatetimeIndex(out["minute"]).as_unit("ns").asi8,
        open=out["open"].to_numpy(),
        high=out["high"].to_numpy(),
        low=out["low"].to_numpy(),
        close=out["close"].to_numpy(),
        volume=out["volume"].to_numpy(),
        oi=out["oi"].to_numpy(),
        lot_size=out["lot_size"].to_numpy(),
    )


def _atm_iv(long: pd.DataFrame) -> pd.DataFrame:
    """Per (underlying, expiry, time): the ATM strike — where call and put last prices are
    closest, i.e. nearest the forward by put-call parity — and the mean of its call and put
    IV (those above zero), as a fraction."""
    quoted = long[(long["ltp"] > 0)]
    wide = quoted.pivot_table(
        index=["underlying", "expiry", "at", "strike"],
        columns="right",
        values=["ltp", "iv"],
        aggfunc="last",
    )
    if wide.empty or ("ltp", "CE") not in wide or ("ltp", "PE") not in wide:
        return _empty_iv()
    gap = (wide[("ltp", "CE")] - wide[("ltp", "PE")]).abs().dropna()
    if gap.empty:
        return _empty_iv()
    best = gap.groupby(level=["underlying", "expiry", "at"]).idxmin()
    atm = wide.loc[list(best)]
    ivs = atm[[("iv", "CE"), ("iv", "PE")]].where(atm[[("iv", "CE"), ("iv", "PE")]] > 0)
    value = ivs.mean(axis=1, skipna=True) / 100.0
    out = value.dropna().rename("iv").reset_index()
    out["ts"] = pd.DatetimeIndex(out["at"]).as_unit("ns").asi8
    return out[["underlying", "ts", "expiry", "strike", "iv"]]


def _empty_iv() -> pd.DataFrame:
    return pd.DataFrame(columns=["underlying", "ts", "expiry", "strike", "iv"])
