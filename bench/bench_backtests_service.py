"""Backtests service through real Celery workers on Redis and PostgreSQL.

- submit -> done: a run of 1 and 5 years of one-minute NIFTY bars (about 94,000 and 470,000)
  submitted through the API, executed by a real worker; median of ``--runs``, with where the
  worker's time went (the run's ``stage_ms``: claim, read candles, engine, store, notify,
  progress updates). Goal (issue 13): 1 year <= 250 ms.
- sweep fan-out: the 890-combination SMA grid (fast 5..53 step 2, slow 10..205 step 5,
  fast < slow) over one year, submitted through the API and computed in chunks by a worker
  with 1, then 2 processes (one per core here). Goal (issue 13): 2 processes <= 0.6x of 1.
- ``GET /api/backtest/{id}`` in-process (APIClient, forced auth: the view, not HTTP; see
  bench_http.py for HTTP + JWT under load).

    .venv/bin/python bench/bench_backtests_service.py [--runs 5] [--years 1 5]
        [--sweep-processes 1 2] [--sweep-runs 1] [--no-sweep]

Needs PostgreSQL and Redis on 127.0.0.1 (it creates and drops the database
``bench_backtests`` and uses Redis database 14, or ``$BENCH_DB`` and ``$BENCH_REDIS_URL``);
skips, saying why, when they are absent.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import scratchdb  # bench/ is the script's own folder on sys.path

ROOT = Path(__file__).resolve().parent.parent
# Overridable so that benchmarks run side by side do not share a database or Redis queue.
DB = os.environ.get("BENCH_DB", "bench_backtests")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


GOAL_1Y_MS = 250
GOAL_SWEEP_RATIO = 0.6
FAST = {"start": 5, "stop": 53, "step": 2}
SLOW = {"start": 10, "stop": 205, "step": 5}
STAGES = ("claim", "read", "engine", "store", "notify", "progress")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--years", type=int, nargs="+", default=[1, 5])
    parser.add_argument("--gets", type=int, default=200)
    parser.add_argument("--sweep-processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--sweep-runs", type=int, default=1)
    parser.add_argument("--no-sweep", action="store_true")
    args = parser.parse_args()
    missing = _services_missing()
    if missing:
        print(f"SKIP: {missing}")
        return
    print(f"load average before: {_load()} on {os.cpu_count()} cores (other work shares them)")
    scratchdb.recreate(DB)
    try:
        _bench(args)
    finally:
        scratchdb.drop(DB)
        print(f"load average after: {_load()}")


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def _services_missing() -> str | None:
    try:
        with scratchdb.admin():
            pass
    except Exception as exc:
        return f"PostgreSQL is not reachable on 127.0.0.1:5432 ({type(exc).__name__})"
    try:
        import redis

        redis.Redis.from_url(REDIS, socket_connect_timeout=3).ping()
    except Exception as exc:
        return f"Redis is not reachable on 127.0.0.1:6379 ({type(exc).__name__})"
    return None


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


def _bench(args: argparse.Namespace) -> None:
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
    years = max(args.years)
    started = time.perf_counter()
    seeded = demo_candles_seed(symbols=("NIFTY",), days=250 * years, end=date(2025, 12, 31), seed=1)
    print(
        f"data: {seeded['NIFTY']:,} one-minute bars (synthetic NIFTY, {250 * years} trading "
        f"days), seeded in {time.perf_counter() - started:.0f} s"
    )
    user = User.objects.create_user("bench@example.com", "bench-pass-123456")
    strategy = strategy_create(owner=user, name="SMA", graph=example_documents()["sma_cross"])
    nifty = Instrument.objects.get(symbol="NIFTY")
    client = APIClient(SERVER_NAME="localhost")
    client.force_authenticate(user)
    env = worker_env(REDIS)
    with worker_process(env=env, queues="backtests,default", name="bench"):
        for n in sorted(args.years):
            body = _body(strategy.pk, nifty.pk, n)
            _submit(client, body)  # warm-up: worker imports, numba caches, first connection
            samples = [_submit(client, body) for _ in range(args.runs)]
            _report_runs(n, samples)
        run_id = client.get("/api/backtest").json()["results"][0]["id"]
        _get_latency(client, run_id, args.gets)
    if not args.no_sweep:
        body = {**_body(strategy.pk, nifty.pk, 1), "metric": "sharpe"}
        body |= {"grid": {"ma_fast.timeperiod": FAST, "ma_slow.timeperiod": SLOW}}
        body["constraint"] = "ma_fast.timeperiod < ma_slow.timeperiod"
        _bench_sweeps(client, body, env, args.sweep_processes, args.sweep_runs, worker_process)


def _body(strategy: int, instrument: int, years: int) -> dict:
    return {
        "strategy": strategy,
        "instrument": instrument,
        "start": f"{2026 - years}-01-01",
        "end": "2025-12-31",
        "sizing": {"mode": "fixed", "value": 1},
    }


def _report_runs(years: int, samples: list[tuple[float, dict, int]]) -> None:
    total = statistics.median(s[0] for s in samples) * 1000
    stages = {
        k: statistics.median(s[1].get(k, 0.0) for s in samples)
        for k in STAGES
        if any(k in s[1] for s in samples)
    }
    goal = f"; goal {GOAL_1Y_MS} ms" if years == 1 else ""
    print(
        f"submit -> done, {years} year(s), {samples[0][2]:,} bars, real worker: median "
        f"{total:.0f} ms (min {min(s[0] for s in samples) * 1000:.0f}, max "
        f"{max(s[0] for s in samples) * 1000:.0f}; {len(samples)} runs{goal})"
    )
    shown = ", ".join(f"{k} {v:.0f}" for k, v in stages.items())
    rest = total - sum(stages.values())
    print(f"  worker stages, median ms: {shown}; queue, poll and the rest {rest:.0f}")


def _bench_sweeps(client, body, env, processes, runs, worker_process) -> None:
    seconds = {}
    for count in processes:
        with worker_process(
            env=env, queues="backtests,default", name=f"sweep{count}", concurrency=count
        ):
            _submit_sweep(client, {**body, "end": "2025-01-31"})  # warm-up: imports, compile
            times = [_submit_sweep(client, body) for _ in range(runs)]
        seconds[count] = statistics.median(times)
        print(
            f"sweep 890 combinations x 1 year, {count} worker process(es): median "
            f"{seconds[count]:.2f} s ({runs} run(s))"
        )
    if 1 in seconds and len(seconds) > 1:
        for count, value in seconds.items():
            if count != 1:
                print(
                    f"  {count} processes / 1 process: {value / seconds[1]:.2f}x "
                    f"(goal <= {GOAL_SWEEP_RATIO}x with 2)"
                )


def _submit_sweep(client, body: dict) -> float:
    from backtests.models import BacktestSweep

    started = time.perf_counter()
    response = client.post("/api/backtest/sweeps", body, format="json")
    assert response.status_code == 202, response.content
    sweep_id = response.json()["id"]
    while True:
        status = BacktestSweep.objects.values_list("status", flat=True).get(pk=sweep_id)
        if status in ("done", "failed", "cancelled"):
            break
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    if status != "done":
        raise SystemExit(
            f"sweep {sweep_id} {status}: {BacktestSweep.objects.get(pk=sweep_id).error}"
        )
    return elapsed


def _submit(client, body: dict) -> tuple[float, dict, int]:
    """Seconds from POST to status done, the run's stage_ms and its bars."""
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
    for _ in range(200):  # stage_ms is written just after the commit that says done
        stages, bars = BacktestRun.objects.values_list("stage_ms", "bars").get(pk=run_id)
        if stages:
            break
        time.sleep(0.005)
    return elapsed, stages or {}, bars


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
        f"p95 {p95 * 1000:.1f} ms in-process ({gets} requests, {size / 1024:.0f} KiB body)"
    )


if __name__ == "__main__":
    main()
