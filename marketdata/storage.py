"""Bulk candle I/O: binary COPY on PostgreSQL, the ORM on SQLite. Arrays in, arrays out.

Write: COPY (binary, built with numpy) into a temp stage table, then one
``INSERT ... ON CONFLICT (instrument_id, timeframe, ts) DO UPDATE`` that touches only rows whose
values changed and reports inserted vs updated. Read: one row of arrays (one a column) in binary,
parsed straight into numpy without Python objects per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import psycopg
from django.db import connection, transaction
from psycopg.abc import Buffer
from psycopg.adapt import Loader
from psycopg.pq import Format

from engine.bars import Bars

from . import timeframes
from .frames import BarFrame
from .models import Candle
from .ranges import datetime_to_ns, ns_to_datetime

PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 UTC in Unix microseconds
COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
STAGE = "md_candle_stage"
VALUE_COLUMNS = ("open", "high", "low", "close", "volume", "open_interest")


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def candles_upsert(*, instrument_id: int, timeframe: str, frame: BarFrame) -> UpsertCounts:
    """Insert or update ``frame`` (sorted, unique ts). Call inside a transaction."""
    if len(frame) == 0:
        return UpsertCounts()
    if is_postgres():
        return _pg_upsert(instrument_id, timeframe, frame)
    return _orm_upsert(instrument_id, timeframe, frame)


# --- PostgreSQL -------------------------------------------------------------------------------
def _binary_copy(fields: list[tuple[str, str]], frame: BarFrame, fixed: dict) -> bytes:
    """Rows in PostgreSQL's binary COPY format, built column-wise by numpy."""
    rows = np.empty(len(frame), dtype=np.dtype(fields))
    names = [f for f, _ in fields]
    rows["n"] = sum(1 for f in names if f.endswith("_len"))
    for name, value in fixed.items():
        rows[name] = value
    if "ts" in names:
        rows["ts_len"] = 8
        rows["ts"] = frame.ts // 1000 - PG_EPOCH_US
    for name in ("open", "high", "low", "close", "volume", "oi"):
        if name in names:
            rows[f"{name}_len"] = 8
            rows[name] = getattr(frame, name)
    header = COPY_SIGNATURE + np.array([0, 0], dtype=">i4").tobytes()
    return header + rows.tobytes() + np.array([-1], dtype=">i2").tobytes()


def _value_fields(oi: bool) -> list[tuple[str, str]]:
    fields = [("ts_len", ">i4"), ("ts", ">i8")]
    for name in ("open", "high", "low", "close", "volume"):
        fields += [(f"{name}_len", ">i4"), (name, ">f8")]
    fields.append(("oi_len", ">i4"))
    return [*fields, ("oi", ">f8")] if oi else fields


def _stage_payload(frame: BarFrame) -> bytes:
    return _binary_copy([("n", ">i2"), *_value_fields(True)], frame, {})


def _direct_payload(instrument_id: int, timeframe: str, frame: BarFrame, oi: bool) -> bytes:
    tf = timeframe.encode()
    fields = [("n", ">i2"), ("iid_len", ">i4"), ("iid", ">i8"), ("tf_len", ">i4")]
    fields += [("tf", f"S{len(tf)}"), *_value_fields(oi)]
    fixed = {"iid_len": 8, "iid": instrument_id, "tf_len": len(tf), "tf": tf}
    if not oi:
        fixed["oi_len"] = -1  # NULL
    return _binary_copy(fields, frame, fixed)


_UPSERT_SQL = f"""
WITH up AS (
    INSERT INTO marketdata_candle AS c
        (instrument_id, timeframe, ts, open, high, low, close, volume, open_interest)
    SELECT %s, %s, ts, open, high, low, close, volume, NULLIF(oi, 'NaN'::float8) FROM {STAGE}
    ON CONFLICT (instrument_id, timeframe, ts) DO UPDATE SET
        open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low,
        close = EXCLUDED.close, volume = EXCLUDED.volume, open_interest = EXCLUDED.open_interest
    WHERE (c.open, c.high, c.low, c.close, c.volume, c.open_interest)
        IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close,
                          EXCLUDED.volume, EXCLUDED.open_interest)
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up
"""  # noqa: S608 - STAGE is a constant; values are bound parameters
_COLUMNS = "(instrument_id, timeframe, ts, open, high, low, close, volume, open_interest)"


def _series_lock(cur, instrument_id: int, timeframe: str) -> None:
    """Serialise writers of one series and keep its instrument from being deleted meanwhile."""
    cur.execute("SELECT 1 FROM marketdata_instrument WHERE id = %s FOR KEY SHARE", [instrument_id])
    if cur.fetchone() is None:
        raise ValueError(f"instrument {instrument_id} does not exist")
    tf_index = list(timeframes.SECONDS).index(timeframe)
    cur.execute("SELECT pg_advisory_xact_lock(%s)", [(instrument_id << 4) | tf_index])


def _pg_upsert(instrument_id: int, timeframe: str, frame: BarFrame) -> UpsertCounts:
    with transaction.atomic(), connection.cursor() as cur:
        _series_lock(cur, instrument_id, timeframe)
        cur.execute(
            "SELECT EXISTS (SELECT 1 FROM marketdata_candle WHERE instrument_id = %s"
            " AND timeframe = %s AND ts BETWEEN %s AND %s)",
            [instrument_id, timeframe, ns_to_datetime(frame.ts[0]), ns_to_datetime(frame.ts[-1])],
        )
        overlap = cur.fetchone()[0]
        oi_null = np.isnan(frame.oi)
        if not overlap and (oi_null.all() or not oi_null.any()):
            # Nothing stored in this span: COPY straight into the table (the common append).
            payload = _direct_payload(instrument_id, timeframe, frame, oi=not oi_null.all())
            sql = f"COPY marketdata_candle {_COLUMNS} FROM STDIN (FORMAT BINARY)"
            with cur.cursor.copy(sql) as copy:
                copy.write(payload)
            return UpsertCounts(len(frame), 0, 0)
        cur.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} (ts timestamptz, open float8, high float8,"
            " low float8, close float8, volume float8, oi float8) ON COMMIT DELETE ROWS"
        )
        cur.execute(f"TRUNCATE {STAGE}")
        with cur.cursor.copy(f"COPY {STAGE} FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(_stage_payload(frame))
        cur.execute(_UPSERT_SQL, [instrument_id, timeframe])
        inserted, updated = cur.fetchone()
    return UpsertCounts(inserted, updated, len(frame) - inserted - updated)


# One row of six arrays, one per column, in the index's order. A COPY answers one message a
# row and psycopg hands each to Python (~1 us a row: ~40% of reading a year of 1m bars);
# arrays arrive as six values whose elements numpy reads in place.
_READ_SQL = """
SELECT array_agg(ts), array_agg(open), array_agg(high), array_agg(low), array_agg(close),
       array_agg(volume)
FROM (SELECT ts, open, high, low, close, volume FROM marketdata_candle
      WHERE instrument_id = %s AND timeframe = %s AND ts >= %s AND ts < %s ORDER BY ts) AS c
"""
FLOAT8_ARRAY_OID, TIMESTAMPTZ_ARRAY_OID = 1022, 1185


class _RawBinary(Loader):
    """An array's binary wire form as it came (psycopg would build a list of Python values)."""

    format = Format.BINARY

    def load(self, data: Buffer) -> Buffer:
        return data


def _array_values(raw: Buffer, dtype: str) -> np.ndarray:
    """The elements of a one-dimensional array without NULLs in PostgreSQL's binary form: a
    20-byte header (ndim, has-null flag, element type, length, lower bound), then a 4-byte
    length before each element."""
    count = int(np.frombuffer(raw, dtype=">i4", count=1, offset=12)[0])
    items = np.frombuffer(
        raw, dtype=np.dtype([("len", ">i4"), ("v", dtype)]), count=count, offset=20
    )
    return items["v"]


def _pg_read(instrument_id: int, timeframe: str, start: datetime, end: datetime) -> Bars:
    connection.ensure_connection()
    # A psycopg cursor of its own: Django's binds client-side, which cannot answer in binary.
    with psycopg.Cursor(connection.connection) as cur:
        for oid in (FLOAT8_ARRAY_OID, TIMESTAMPTZ_ARRAY_OID):
            cur.adapters.register_loader(oid, _RawBinary)
        cur.execute(_READ_SQL, [instrument_id, timeframe, start, end], binary=True)
        row = cur.fetchone()
    if row is None or row[0] is None:  # array_agg of no rows is NULL
        e = np.empty(0)
        return Bars.from_arrays(e.astype(np.int64), e, e, e, e, e)
    ts = (_array_values(row[0], ">i8").astype(np.int64) + PG_EPOCH_US) * 1000
    cols = [_array_values(raw, ">f8").astype(np.float64) for raw in row[1:]]
    if len(ts) > 1 and not (np.diff(ts) > 0).all():
        # The subquery's ORDER BY feeds the aggregates in order in practice, but SQL does not
        # promise it: sort here rather than trust it (all six arrays share one row order).
        order = np.argsort(ts, kind="stable")
        ts, cols = ts[order], [c[order] for c in cols]
    return Bars.from_arrays(ts, *cols)


# --- SQLite (embedded) -----------------------------------------------------------------------
def _to_ns(values: list[datetime]) -> np.ndarray:
    return np.array([datetime_to_ns(v) for v in values], dtype=np.int64)


def _orm_read(instrument_id: int, timeframe: str, start: datetime, end: datetime) -> Bars:
    rows = list(
        Candle.objects.filter(
            instrument_id=instrument_id, timeframe=timeframe, ts__gte=start, ts__lt=end
        )
        .order_by("ts")
        .values_list("ts", "open", "high", "low", "close", "volume")
    )
    if not rows:
        e = np.empty(0)
        return Bars.from_arrays(e.astype(np.int64), e, e, e, e, e)
    ts, *cols = zip(*rows, strict=True)
    return Bars.from_arrays(_to_ns(list(ts)), *(np.array(c, dtype=np.float64) for c in cols))


def _orm_upsert(instrument_id: int, timeframe: str, frame: BarFrame) -> UpsertCounts:
    lo = ns_to_datetime(int(frame.ts[0]))
    hi = ns_to_datetime(int(frame.ts[-1]) + 1000)
    old = _orm_read(instrument_id, timeframe, lo, hi)
    objs = []
    inserted = updated = 0
    old_index = {int(t): i for i, t in enumerate(old.ts)}
    for i in range(len(frame)):
        row = (frame.open[i], frame.high[i], frame.low[i], frame.close[i], frame.volume[i])
        j = old_index.get(int(frame.ts[i]))
        if j is None:
            inserted += 1
        elif row != (old.open[j], old.high[j], old.low[j], old.close[j], old.volume[j]):
            updated += 1
        else:
            continue
        oi = float(frame.oi[i])
        objs.append(
            Candle(
                instrument_id=instrument_id,
                timeframe=timeframe,
                ts=ns_to_datetime(int(frame.ts[i])),
                open=float(row[0]),
                high=float(row[1]),
                low=float(row[2]),
                close=float(row[3]),
                volume=float(row[4]),
                open_interest=None if np.isnan(oi) else oi,
            )
        )
    Candle.objects.bulk_create(
        objs,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=("instrument", "timeframe", "ts"),
        update_fields=VALUE_COLUMNS,
    )
    return UpsertCounts(inserted, updated, len(frame) - inserted - updated)


def candles_read(*, instrument_id: int, timeframe: str, start: datetime, end: datetime) -> Bars:
    """Stored bars in [start, end), ascending, as numpy arrays."""
    if is_postgres():
        return _pg_read(instrument_id, timeframe, start, end)
    return _orm_read(instrument_id, timeframe, start, end)
