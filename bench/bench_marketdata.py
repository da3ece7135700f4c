"""Market-data speed goals (medians printed; not a test):

* load the 192,906-row NIFTY 1-minute file into PostgreSQL: <= 2 s (parse + validate + COPY upsert)
* load 1,000,000 synthetic one-minute candles: <= 6 s (validate + COPY upsert)
* read one year of one-minute candles of one instrument into numpy: <= 200 ms

Runs against its own database ``bench_marketdata`` on 127.0.0.1:5432 (trust auth), created
and dropped here. Usage: ``.venv/bin/python bench/bench_marketdata.py [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = "bench_marketdata"
SERVER = "postgres://postgres@127.0.0.1:5432"
NIFTY = ROOT.parent / "shared" / "data" / "nifty50_1min_2021-01_2023-01.csv.gz"


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def _setup() -> None:
    _admin(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    _admin(f"CREATE DATABASE {DB}")
    os.environ["DATABASE_URL"] = f"{SERVER}/{DB}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "algobacktester.settings.base")
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "marketdata", verbosity=0)


def _timed(fn, repeat: int, before=None) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        if before:
            before()
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    _setup()
    try:
        _run(args.repeat)
    finally:
        from django.db import connections

        connections.close_all()
        _admin(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


def _run(repeat: int) -> None:
    from django.db import connection

    from engine.markets.synthetic import synthetic_bars
    from marketdata.frames import BarFrame
    from marketdata.providers.files import FileProvider
    from marketdata.selectors import candles_load
    from marketdata.services import candles_import, candles_ingest, instrument_create

    nifty = instrument_create(symbol="NIFTY", kind="index", underlying="NIFTY")
    synth = instrument_create(symbol="SYNTH", kind="index", underlying="SYNTH")

    def clear() -> None:
        with connection.cursor() as cur:
            cur.execute("TRUNCATE marketdata_candle, marketdata_quarantinedcandle")

    if NIFTY.exists():
        data = NIFTY.read_bytes()

        def load_file():
            provider = FileProvider(source=data, timeframe="1m", chunk_rows=250_000)
            return candles_import(instrument=nifty, timeframe="1m", provider=provider)

        t, run = _timed(load_file, repeat, before=clear)
        print(
            f"nifty 1m file ({run.rows_received:,} rows) into an empty table: median {t:.2f} s"
            f" (goal 2 s) inserted={run.rows_inserted:,} rejected={run.rows_rejected}"
        )
        t, run = _timed(load_file, repeat)
        print(
            f"same file again (idempotent re-run): median {t:.2f} s "
            f"inserted={run.rows_inserted} updated={run.rows_updated}"
        )
    else:
        print(f"skipped the NIFTY file: {NIFTY} not found")

    t0 = time.perf_counter()
    bars = synthetic_bars(start=date(2012, 1, 2), days=2667, seed=1)
    frame = BarFrame.from_bars(bars)
    print(f"generated {len(frame):,} synthetic candles in {time.perf_counter() - t0:.2f} s")
    t, res = _timed(
        lambda: candles_ingest(instrument=synth, timeframe="1m", frame=frame), repeat, before=clear
    )
    print(
        f"1,000,000 synthetic candles into an empty table: median {t:.2f} s (goal 6 s) "
        f"inserted={res.inserted:,}"
    )

    year = (date(2020, 1, 1), date(2020, 12, 31))
    t, out = _timed(
        lambda: candles_load(instrument=synth, timeframe="1m", start=year[0], end=year[1]),
        max(repeat, 10),
    )
    print(
        f"read one year of 1m candles ({len(out):,} bars) into numpy: median {t * 1000:.0f} ms "
        "(goal 200 ms)"
    )


if __name__ == "__main__":
    main()
