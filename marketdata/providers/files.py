"""CSV and Parquet import: column mapping, time zone, bar-start or bar-end labels, in chunks.

Structural problems (not UTF-8, not Parquet, a column missing or holding no numbers, times that
cannot be read) raise :class:`FileFormatError` naming the field. Row-level problems (one bad
number, one bad time) become rejects that ingestion quarantines.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, ClassVar

import numpy as np
import pandas as pd

from ..frames import BarFrame
from ..timeframes import DAY, SECOND_NS, SECONDS
from .base import FileFormatError, Provider

TARGETS = ("time", "open", "high", "low", "close", "volume", "oi")
REQUIRED = ("time", "open", "high", "low", "close")
ALIASES: dict[str, tuple[str, ...]] = {
    "time": ("datetime", "timestamp", "time", "date", "ts", "open_time", "date_time"),
    "open": ("open", "o"),
    "high": ("high", "h"),
    "low": ("low", "l"),
    "close": ("close", "c"),
    "volume": ("volume", "vol", "v"),
    "oi": ("oi", "open_interest", "open_int", "openinterest"),
}
FORMATS = ("csv", "parquet")
LABELS = ("start", "end")
GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"


def mapping_parse(text: str | None) -> dict[str, str]:
    """``"time=Date,close=Adj Close"`` -> {"time": "Date", "close": "Adj Close"}."""
    out: dict[str, str] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep or key not in TARGETS or not value.strip():
            raise FileFormatError(
                {"mapping": [f"'{part.strip()}' is not target=column with target in {TARGETS}."]}
            )
        out[key] = value.strip()
    return out


class FileProvider(Provider):
    name: ClassVar[str] = "file"
    capabilities: ClassVar[frozenset[str]] = frozenset({"file"})
    timeframes: ClassVar[tuple[str, ...]] = tuple(SECONDS)

    def __init__(
        self,
        *,
        source: str | Path | bytes | IO[bytes],
        timeframe: str,
        fmt: str | None = None,
        mapping: dict[str, str] | None = None,
        tz: str = "Asia/Kolkata",
        label: str = "start",
        chunk_rows: int = 100_000,
        filename: str = "",
        max_bytes: int = 2**31,
        dayfirst: bool = False,
    ) -> None:
        if label not in LABELS:
            raise FileFormatError({"label": [f"Use one of {', '.join(LABELS)}."]})
        if fmt is not None and fmt not in FORMATS:
            raise FileFormatError({"format": [f"Use one of {', '.join(FORMATS)}."]})
        self.timeframe = timeframe
        self.mapping = {k.lower(): v for k, v in (mapping or {}).items()}
        self.tz = tz
        self.label = label
        self.chunk_rows = chunk_rows
        self.dayfirst = dayfirst
        self.data = _read_bytes(source, max_bytes)
        name = filename or (str(source) if isinstance(source, str | Path) else "")
        self.fmt = fmt or _guess_format(self.data, name)
        self._columns: dict[str, str] | None = None

    # --- reading ------------------------------------------------------------------------
    def rows_estimate(self) -> int:
        if self.fmt == "parquet":
            return int(self._parquet().metadata.num_rows)
        return max(self.data.count(b"\n") - 1, 0)

    def read(self) -> Iterator[BarFrame]:
        chunks = self._parquet_chunks() if self.fmt == "parquet" else self._csv_chunks()
        first = True
        for df in chunks:
            yield self._frame(df, first=first)
            first = False

    def _csv_chunks(self) -> Iterator[pd.DataFrame]:
        try:
            reader = pd.read_csv(
                io.BytesIO(self.data),
                chunksize=self.chunk_rows,
                dtype=str,
                encoding="utf-8-sig",
                skipinitialspace=True,
            )
            yield from reader
        except UnicodeDecodeError as exc:
            raise FileFormatError(
                {"file": [f"The file is not UTF-8 text (byte {exc.start}); save it as UTF-8."]}
            ) from exc
        except pd.errors.EmptyDataError as exc:
            raise FileFormatError({"file": ["The file is empty."]}) from exc
        except pd.errors.ParserError as exc:
            raise FileFormatError({"file": [f"The CSV cannot be parsed: {exc}"]}) from exc

    def _parquet(self):  # pyarrow is optional: only Parquet needs it
        try:
            import pyarrow.parquet as pq
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise FileFormatError({"format": ["Parquet import needs pyarrow installed."]}) from exc
        try:
            return pq.ParquetFile(io.BytesIO(self.data))
        except Exception as exc:
            raise FileFormatError({"file": [f"Not a readable Parquet file: {exc}"]}) from exc

    def _parquet_chunks(self) -> Iterator[pd.DataFrame]:
        for batch in self._parquet().iter_batches(batch_size=self.chunk_rows):
            yield batch.to_pandas()

    # --- one chunk ----------------------------------------------------------------------
    def _resolve(self, columns: list[str]) -> dict[str, str]:
        by_lower = {str(c).strip().lower(): c for c in columns}
        out: dict[str, str] = {}
        missing = []
        for target in TARGETS:
            wanted = self.mapping.get(target)
            if wanted is not None:
                if wanted not in columns and wanted.lower() not in by_lower:
                    missing.append(f"'{wanted}' (for {target})")
                    continue
                out[target] = wanted if wanted in columns else by_lower[wanted.lower()]
                continue
            found = next((by_lower[a] for a in ALIASES[target] if a in by_lower), None)
            if found is not None:
                out[target] = found
            elif target in REQUIRED:
                missing.append(f"'{target}'")
        if missing:
            have = ", ".join(str(c) for c in columns)
            raise FileFormatError(
                {"mapping": [f"Column(s) {', '.join(missing)} not found; the file has: {have}."]}
            )
        return out

    def _frame(self, df: pd.DataFrame, *, first: bool) -> BarFrame:
        if self._columns is None:
            self._columns = self._resolve(list(df.columns))
        cols = self._columns
        ts, bad_time = self._times(df[cols["time"]], first=first)
        values = {}
        for target in TARGETS[1:]:
            if target not in cols:
                continue
            raw = df[cols[target]]
            num = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            if first and target in REQUIRED and len(num) and np.isnan(num).all():
                raise FileFormatError(
                    {"mapping": [f"Column '{cols[target]}' (for {target}) holds no numbers."]}
                )
            values[target] = num
        rejects = [
            {
                "reason": "unparseable",
                "detail": f"time '{df[cols['time']].iloc[i]}' cannot be read",
                "raw": {str(k): str(v) for k, v in df.iloc[i].items()},
            }
            for i in np.flatnonzero(bad_time)
        ]
        keep = ~bad_time
        return BarFrame.build(
            ts[keep],
            *(values[k][keep] for k in ("open", "high", "low", "close")),
            volume=values["volume"][keep] if "volume" in values else None,
            oi=values["oi"][keep] if "oi" in values else None,
            rejects=rejects,
        )

    def _times(self, raw: pd.Series, *, first: bool) -> tuple[np.ndarray, np.ndarray]:
        numeric = pd.to_numeric(raw, errors="coerce")
        if numeric.notna().all() and len(raw):
            ns, bad = _epoch_to_ns(numeric.to_numpy(dtype=np.float64))
        else:
            try:
                ns, bad = self._parse_text_times(raw.astype(str))
            except FileFormatError:
                raise
            except (ValueError, TypeError, OverflowError) as exc:
                # e.g. pandas refuses a column mixing UTC offsets (+05:30 and Z).
                raise FileFormatError(
                    {
                        "time_column": [
                            f"The times cannot be read ({exc}); use ISO 8601 with one "
                            "UTC offset for all rows, or none and set the time zone."
                        ]
                    }
                ) from exc
        if first and len(bad) and bad.mean() > 0.5:
            sample = raw.iloc[int(np.flatnonzero(bad)[0])]
            raise FileFormatError(
                {"time_column": [f"Most times cannot be read (e.g. '{sample}'); use ISO 8601."]}
            )
        if self.label == "end" and self.timeframe != DAY:
            ns = ns - SECONDS[self.timeframe] * SECOND_NS
        return ns, bad

    def _parse_text_times(self, text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        parsed = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=False)
        if parsed.isna().mean() > 0.5:
            parsed = pd.to_datetime(text, errors="coerce", format="mixed", dayfirst=self.dayfirst)
        if getattr(parsed.dt, "tz", None) is None:
            try:
                parsed = parsed.dt.tz_localize(self.tz, ambiguous="NaT", nonexistent="NaT")
            except Exception as exc:
                raise FileFormatError({"timezone": [f"Unknown time zone '{self.tz}'."]}) from exc
        bad = parsed.isna().to_numpy()
        ns = parsed.dt.tz_convert("UTC").dt.as_unit("ns").to_numpy(dtype="datetime64[ns]")
        return ns.astype(np.int64), bad


INT64_LIMIT = 2.0**63


def _epoch_to_ns(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Epoch numbers in s, ms, us or ns (told apart by size, per row) to int64 ns, and a mask
    of the rows that cannot be a time (not finite, or beyond int64 ns): those are rejects, not
    wrapped values."""
    mag = np.abs(x)
    scale = np.where(mag > 1e17, 1.0, np.where(mag > 1e14, 1e3, np.where(mag > 1e11, 1e6, 1e9)))
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = x * scale
    bad = ~np.isfinite(scaled) | (np.abs(scaled) >= INT64_LIMIT)
    ns = np.where(bad, 0.0, scaled).astype(np.int64)
    return ns, bad


def _read_bytes(source: str | Path | bytes | IO[bytes], max_bytes: int) -> bytes:
    if isinstance(source, bytes):
        data = source
    elif isinstance(source, str | Path):
        data = Path(source).read_bytes()
    else:
        data = source.read()
    if data[:2] == GZIP_MAGIC:
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
                data = gz.read(max_bytes + 1)
        except (OSError, EOFError, zlib.error) as exc:
            raise FileFormatError({"file": [f"Broken gzip data: {exc}"]}) from exc
        if len(data) > max_bytes:
            raise FileFormatError({"file": [f"The file unpacks to more than {max_bytes} bytes."]})
    return data


def _guess_format(data: bytes, name: str) -> str:
    lowered = name.lower()
    if data[:4] == PARQUET_MAGIC or lowered.endswith((".parquet", ".pq")):
        return "parquet"
    return "csv"
