"""Backtests service: submit-to-done through a real worker, and GET latency of a result.

Goals (issue 7): one year of one-minute NIFTY bars (about 94,000), submitted through the API
and executed by a real Celery worker on Redis and PostgreSQL: 1.5 s or less; ``GET
/api/backtest/{id}`` of a finished run: 50 ms p95 or less.

    .venv/bin/python bench/bench_backtests_service.py [--runs 7]

Needs PostgreSQL and Redis on 127.0.0.1 (it creates and drops the database
``bench_backtests`` and uses Redis database 14).
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
DB = "bench_backtests"
REDIS = "redis://127.0.0.1:6379/14"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--gets", type=int, default=200)
    args = parser.parse_args()
    _recreate_database()
    try:
        _bench(args.runs, args.gets)
    finally:
        _drop_database()


def _admin():
    import psycopg

    return psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True)


def _recreate_database() -> None:
    with _admin() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")


def _drop_database() -> None:
    from django.db import connections

    connections.close_all()
    with _admin() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="algobacktester.settings.base",
        REDIS_URL=REDIS,
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DB}",
        LOG_LEVEL="WARNING",
        BACKTESTS_MAX_CONCURRENT_RUNS="100",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _bench(runs: int, gets: int) -> None:
    _setup_django()
    import redis
    from rest_framework.test import APIClient

    from algobacktester.accounts.models import User
    from engine.graph import example_documents
    from marketdata.models import Instrument
    from marketdata.services.demo import demo_candles_seed
    from strategies.services import strategy_create
    from workers.testing import worker_env, worker_process

    redis.Redis.from_url(REDIS).flushdb()
    seeded = demo_candles_seed(symbols=("NIFTY",), days=250, end=date(2025, 12, 31), seed=1)
    user = User.objects.create_user("bench@example.com", "bench-pass-123456")
    strategy = strategy_create(owner=user, name="SMA", graph=example_documents()["sma_cross"])
    nifty = Instrument.objects.get(symbol="NIFTY")
    client = APIClient(SERVER_NAME="localhost")
    client.force_authenticate(user)
    body = {
        "strategy": strategy.pk,
        "instrument": nifty.pk,
        "start": "2025-01-01",
        "end": "2025-12-31",
        "sizing": {"mode": "fixed", "value": 1},
    }
    print(f"data: {seeded['NIFTY']:,} one-minute bars (synthetic NIFTY, 250 trading days)")
    with worker_process(env=worker_env(REDIS), queues="backtests,default", name="bench"):
        _submit(client, body)  # warm-up: worker imports, numba caches, first connection
        times = [_submit(client, body) for _ in range(runs)]
        print(
            f"submit -> done through a real worker: median {statistics.median(times) * 1000:.0f} ms "
            f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}; {runs} runs; goal 1,500 ms)"
        )
        run_id = client.get("/api/backtest").json()["results"][0]["id"]
        _get_latency(client, run_id, gets)


def _submit(client, body: dict) -> float:
    from backtests.models import BacktestRun

    started = time.perf_counter()
    response = client.post("/api/backtest", body, format="json")
    assert response.status_code == 202, response.content
    run_id = response.json()["id"]
    while True:
        status = BacktestRun.objects.values_list("status", flat=True).get(pk=run_id)
        if status in ("done", "failed"):
            break
        time.sleep(0.002)
    elapsed = time.perf_counter() - started
    if status != "done":
        raise SystemExit(f"run {run_id} failed: {BacktestRun.objects.get(pk=run_id).error}")
    return elapsed


def _get_latency(client, run_id: int, gets: int) -> None:
    samples = []
    for _ in range(gets):
        started = time.perf_counter()
        response = client.get(f"/api/backtest/{run_id}")
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200
    samples.sort()
    p95 = samples[int(0.95 * len(samples)) - 1]
    size = len(response.content)
    print(
        f"GET /api/backtest/{{id}}: p50 {statistics.median(samples) * 1000:.1f} ms, "
        f"p95 {p95 * 1000:.1f} ms ({gets} requests, {size / 1024:.0f} KiB body; goal p95 50 ms)"
    )


if __name__ == "__main__":
    main()
