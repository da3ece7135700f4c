"""Checks on a batch of bars (hard: quarantined; soft: flagged) and gaps against the calendar.

Pure numpy over :class:`BarFrame`; no database. Hard failures: a timestamp outside the
supported years, non-numeric or non-positive prices, negative volume, OHLC inconsistency beyond
the repair tolerance, conflicting duplicates. Soft (kept, counted, sampled): exact duplicates, OHLC off by rounding (repaired),
off-session bars, misaligned timestamps, spikes by robust z-score of intraday returns.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, time, timedelta

import numpy as np

from engine.markets.calendar import IST_OFFSET_NS, covers, session, trading_days

from .frames import BarFrame
from .ranges import MAX_YEAR, MIN_YEAR
from .timeframes import DAY, SECOND_NS, SECONDS

DAY_NS = 86_400_000_000_000
EPOCH = date(1970, 1, 1)
SAMPLES = 5
# Bars must start in [MIN_YEAR-01-01, MAX_YEAR+1-01-01) UTC; anything else is a bad epoch value.
TS_MIN = (date(MIN_YEAR, 1, 1) - EPOCH).days * DAY_NS
TS_MAX = (date(MAX_YEAR + 1, 1, 1) - EPOCH).days * DAY_NS

HARD = (
    "out_of_range",
    "unparseable",
    "non_numeric",
    "non_positive",
    "negative_volume",
    "ohlc_inconsistent",
)
HARD += ("duplicate_conflict",)
SOFT = ("duplicate", "ohlc_repaired", "off_session", "misaligned", "spike", "relabelled")


@dataclass
class ValidationResult:
    clean: BarFrame
    rejected: list[dict] = field(default_factory=list)  # {"ts", "reason", "detail", "raw"}
    counts: dict[str, int] = field(default_factory=dict)
    samples: dict[str, list[str]] = field(default_factory=dict)

    def anomalies(self) -> dict:
        return {"counts": dict(self.counts), "samples": dict(self.samples)}


def ist_day_numbers(ts: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of each timestamp's IST date."""
    return (np.asarray(ts, dtype=np.int64) + int(IST_OFFSET_NS)) // DAY_NS


def ist_midnight_ns(day_number: int | np.ndarray) -> np.ndarray:
    return np.asarray(day_number, dtype=np.int64) * DAY_NS - int(IST_OFFSET_NS)


def day_of(n: int) -> date:
    return EPOCH + timedelta(days=int(n))


def ns_iso(ts: int) -> str:
    """A UTC-ns timestamp as IST ISO text (for messages and samples)."""
    n = int(ts)
    d = day_of((n + int(IST_OFFSET_NS)) // DAY_NS)
    second = ((n + int(IST_OFFSET_NS)) % DAY_NS) // SECOND_NS
    minute, sec = divmod(second, 60)
    hhmm = f"{minute // 60:02d}:{minute % 60:02d}" + (f":{sec:02d}" if sec else "")
    return f"{d.isoformat()}T{hhmm}+05:30"


class _Collector:
    def __init__(self, frame: BarFrame) -> None:
        self.frame = frame
        self.keep = np.ones(len(frame), dtype=bool)
        self.rejected: list[dict] = []
        self.counts: dict[str, int] = defaultdict(int)
        self.samples: dict[str, list[str]] = defaultdict(list)

    def flag(self, reason: str, idx: np.ndarray) -> None:
        if len(idx) == 0:
            return
        self.counts[reason] += len(idx)
        room = SAMPLES - len(self.samples[reason])
        self.samples[reason].extend(ns_iso(self.frame.ts[i]) for i in idx[:room])

    def reject(self, reason: str, mask: np.ndarray, detail: str) -> None:
        idx = np.flatnonzero(mask & self.keep)
        self.flag(reason, idx)
        for i in idx:
            self.rejected.append(
                {
                    "ts": int(self.frame.ts[i]),
                    "reason": reason,
                    "detail": detail,
                    "raw": self.frame.row(i),
                }
            )
        self.keep[idx] = False


def frame_validate(
    frame: BarFrame,
    *,
    timeframe: str,
    exchange: str = "NSE",
    spike_z: float = 25.0,
    ohlc_tolerance: float = 0.001,
) -> ValidationResult:
    """Split ``frame`` into clean (sorted, unique, repaired) bars and quarantined rows."""
    frame = frame.sorted()
    out_of_range = (frame.ts < TS_MIN) | (frame.ts >= TS_MAX)  # before relabelling can wrap
    relabelled = 0
    if timeframe == DAY:
        frame, relabelled = _relabel_daily(frame)
    col = _Collector(frame)
    for r in frame.rejects:
        col.counts[r["reason"]] += 1
        col.rejected.append({"ts": None, **r})
    if relabelled:
        col.counts["relabelled"] = relabelled
    col.reject(
        "out_of_range",
        out_of_range,
        f"the time is outside the years {MIN_YEAR}-{MAX_YEAR}",
    )
    _check_values(col, ohlc_tolerance)
    _check_duplicates(col)
    clean = frame.take(np.flatnonzero(col.keep))
    if len(clean):
        col.frame = clean
        _flag_calendar(col, timeframe, exchange)
        _flag_spikes(col, spike_z)
    return ValidationResult(clean, col.rejected, dict(col.counts), dict(col.samples))


def _relabel_daily(frame: BarFrame) -> tuple[BarFrame, int]:
    """Daily bars are labelled 00:00 IST of their date, whatever the source used."""
    midnight = ist_midnight_ns(ist_day_numbers(frame.ts))
    changed = int((midnight != frame.ts).sum())
    out = BarFrame(
        midnight,
        frame.open,
        frame.high,
        frame.low,
        frame.close,
        frame.volume,
        frame.oi,
        rejects=frame.rejects,
    )
    return out, changed


def _check_values(col: _Collector, tolerance: float) -> None:
    f = col.frame
    prices = np.vstack([f.open, f.high, f.low, f.close])
    col.reject(
        "non_numeric", ~np.isfinite(prices).all(axis=0), "a price is missing or not a number"
    )
    col.reject("non_positive", (prices <= 0).any(axis=0), "a price is zero or negative")
    col.reject("negative_volume", f.volume < 0, "volume is negative")
    nan_volume = np.isnan(f.volume)
    if nan_volume.any():
        f.volume[nan_volume] = 0.0
    top = np.maximum(f.open, f.close)
    bottom = np.minimum(f.open, f.close)
    excess = np.maximum.reduce([top - f.high, f.low - bottom, f.low - f.high])
    bad = col.keep & (excess > 0)
    fixable = bad & (excess <= tolerance * np.abs(f.close))
    col.reject("ohlc_inconsistent", bad & ~fixable, "high/low do not contain open/close")
    idx = np.flatnonzero(fixable)
    if len(idx):
        # Off by rounding (a tick or two): widen the range rather than lose the bar.
        f.high[idx] = np.maximum.reduce([f.high[idx], f.open[idx], f.close[idx], f.low[idx]])
        f.low[idx] = np.minimum.reduce([f.low[idx], f.open[idx], f.close[idx]])
        col.flag("ohlc_repaired", idx)


def _check_duplicates(col: _Collector) -> None:
    """Same timestamp twice: identical rows collapse; differing rows keep the last one."""
    f = col.frame
    live = np.flatnonzero(col.keep)
    if len(live) < 2:
        return
    ts = f.ts[live]
    same_as_next = ts[:-1] == ts[1:]
    if not same_as_next.any():
        return
    first = live[:-1][same_as_next]
    second = live[1:][same_as_next]
    identical = np.ones(len(first), dtype=bool)
    for c in ("open", "high", "low", "close", "volume"):
        a = getattr(f, c)
        identical &= a[first] == a[second]
    exact = np.zeros(len(f), dtype=bool)
    exact[first[identical]] = True
    col.flag("duplicate", np.flatnonzero(exact))
    col.keep[exact] = False
    conflict = np.zeros(len(f), dtype=bool)
    conflict[first[~identical]] = True
    col.reject("duplicate_conflict", conflict, "another bar with the same timestamp replaced it")


def _session_windows(day_numbers: np.ndarray, exchange: str) -> dict[int, list[tuple[int, int]]]:
    """Per IST day number: the trading windows as minute-of-day [start, end)."""
    out: dict[int, list[tuple[int, int]]] = {}
    for n in np.unique(day_numbers).tolist():
        s = session(day_of(n), exchange)
        if s is None:
            out[n] = []
        else:
            out[n] = [(a.hour * 60 + a.minute, b.hour * 60 + b.minute) for a, b in s.segments]
    return out


def _flag_calendar(col: _Collector, timeframe: str, exchange: str) -> None:
    f = col.frame
    days = ist_day_numbers(f.ts)
    windows = _session_windows(days, exchange)
    if timeframe == DAY:
        off = np.array([not windows[d] for d in days.tolist()], dtype=bool)
        col.flag("off_session", np.flatnonzero(off))
        return
    tf = SECONDS[timeframe]
    local = f.ts + int(IST_OFFSET_NS) - days * DAY_NS
    second = local // SECOND_NS  # session windows are in minutes; bars may be sub-minute
    off = np.ones(len(f), dtype=bool)
    on_grid = np.zeros(len(f), dtype=bool)
    bounds = np.searchsorted(days, np.array(sorted(windows)), side="left")
    ends = np.r_[bounds[1:], len(days)]
    for d, i0, i1 in zip(sorted(windows), bounds.tolist(), ends.tolist(), strict=True):
        sec = second[i0:i1]
        for a, b in windows[d]:
            inside = (sec >= a * 60) & (sec < b * 60)
            off[i0:i1] &= ~inside
            on_grid[i0:i1] |= inside & ((sec - a * 60) % tf == 0)
    aligned = local % SECOND_NS == 0
    col.flag("off_session", np.flatnonzero(off))
    col.flag("misaligned", np.flatnonzero(~off & ~(aligned & on_grid)))


def _flag_spikes(col: _Collector, z_max: float) -> None:
    """Robust z-score (median/MAD) of close-to-close log returns inside a day."""
    f = col.frame
    if len(f) < 20 or z_max <= 0:
        return
    days = ist_day_numbers(f.ts)
    r = np.diff(np.log(f.close))
    same_day = days[1:] == days[:-1]
    rr = r[same_day]
    if len(rr) < 20:
        return
    med = np.median(rr)
    mad = np.median(np.abs(rr - med))
    if mad == 0:
        return
    z = 0.6745 * (r - med) / mad
    hit = same_day & (np.abs(z) > z_max)
    col.flag("spike", np.flatnonzero(hit) + 1)


# ---------------------------------------------------------------------------------------------
# Gaps against the calendar
# ---------------------------------------------------------------------------------------------
@dataclass
class GapReport:
    expected_bars: int
    present_bars: int  # present and expected (on a trading-day grid)
    extra_bars: int  # present outside the regular grid (special sessions, off-session)
    missing_days: list[date]
    holes: list[dict]  # {"start", "end" (IST ISO, inclusive bar starts), "bars"}
    # Weekdays without bars in years whose holidays the calendar lacks: maybe holidays, so
    # neither counted as expected nor reported as missing.
    unverified_days: list[date] = field(default_factory=list)

    @property
    def missing_bars(self) -> int:
        return self.expected_bars - self.present_bars

    @property
    def coverage(self) -> float:
        return 1.0 if self.expected_bars == 0 else self.present_bars / self.expected_bars


def expected_bar_count(start: date, end: date, *, timeframe: str, exchange: str) -> int:
    """How many bars :func:`expected_timestamps` would build, counted per session shape:
    a report over decades is refused before ~10^7 timestamps are built for it."""
    days = trading_days(start, end, exchange)
    if timeframe == DAY:
        return len(days)
    tf = SECONDS[timeframe]
    per_shape: dict[tuple, int] = defaultdict(int)
    for d in days:
        per_shape[session(d, exchange).segments] += 1  # type: ignore[union-attr]
    return sum(
        n * sum(len(range(_sec(a), _sec(b), tf)) for a, b in shape)
        for shape, n in per_shape.items()
    )


def _sec(t: time) -> int:
    """Seconds since IST midnight of a session bound."""
    return t.hour * 3600 + t.minute * 60


def expected_timestamps(start: date, end: date, *, timeframe: str, exchange: str) -> np.ndarray:
    """Bar starts a complete series would hold on the full trading days in [start, end]."""
    days = trading_days(start, end, exchange)
    nums = np.array([(d - EPOCH).days for d in days], dtype=np.int64)
    if timeframe == DAY:
        return ist_midnight_ns(nums)
    tf = SECONDS[timeframe]
    parts = []
    cache: dict[tuple, np.ndarray] = {}
    for d, n in zip(days, nums.tolist(), strict=True):
        s = session(d, exchange)
        key = s.segments  # type: ignore[union-attr]
        if key not in cache:
            cache[key] = np.concatenate([np.arange(_sec(a), _sec(b), tf) for a, b in key]).astype(
                np.int64
            )
        parts.append(int(ist_midnight_ns(n)) + cache[key] * SECOND_NS)
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


def _split_days(report: GapReport, days: list[date], bars_per_day: int, exchange: str) -> None:
    for d in days:
        if covers(d, exchange):
            report.missing_days.append(d)
        else:
            report.unverified_days.append(d)
            report.expected_bars -= bars_per_day


def gaps_find(
    ts: np.ndarray, *, timeframe: str, start: date, end: date, exchange: str = "NSE"
) -> GapReport:
    """Missing whole days and intraday holes of ``ts`` against the calendar in [start, end]."""
    ts = np.unique(np.asarray(ts, dtype=np.int64))
    expected = expected_timestamps(start, end, timeframe=timeframe, exchange=exchange)
    present = np.isin(expected, ts, assume_unique=True)
    missing = expected[~present]
    extra = int(len(ts) - present.sum()) if len(ts) else 0
    report = GapReport(len(expected), int(present.sum()), extra, [], [])
    if not len(missing):
        return report
    if timeframe == DAY:
        _split_days(report, [day_of(n) for n in ist_day_numbers(missing).tolist()], 1, exchange)
        return report
    step = SECONDS[timeframe] * SECOND_NS
    exp_days, exp_counts = np.unique(ist_day_numbers(expected), return_counts=True)
    per_day = dict(zip(exp_days.tolist(), exp_counts.tolist(), strict=True))
    m_days = ist_day_numbers(missing)
    m_unique, m_counts = np.unique(m_days, return_counts=True)
    whole = {
        d for d, c in zip(m_unique.tolist(), m_counts.tolist(), strict=True) if c == per_day[d]
    }
    for d in sorted(whole):
        _split_days(report, [day_of(d)], per_day[d], exchange)
    partial = ~np.isin(m_days, list(whole))
    holes = missing[partial]
    if len(holes):
        h_days = m_days[partial]
        breaks = np.flatnonzero((np.diff(holes) != step) | (np.diff(h_days) != 0)) + 1
        for run in np.split(holes, breaks):
            report.holes.append({"start": ns_iso(run[0]), "end": ns_iso(run[-1]), "bars": len(run)})
    return report
