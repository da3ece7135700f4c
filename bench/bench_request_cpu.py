"""Per-request CPU of the main reads, and a backtest's worker time by stage, in one process.

No socket and no load generator: the ASGI application is called directly with a real JWT
(middleware, DRF, auth, the view, Django's ASGI handler), so the figure is the server's own
work per request, steadier on a shared machine than requests/s (bench_http.py measures those
over HTTP). Then ``backtest_execute`` runs a 1-year run in this process (``stage_ms``: read,
engine, store, notify), as a worker does after its start-up (``gc.freeze()``).

    .venv/bin/python bench/bench_request_cpu.py [--requests 200] [--runs 5] [--profile PATH]

To compare two trees, run it from each checkout alternately (``git worktree add`` the older
commit). Needs PostgreSQL and Redis on 127.0.0.1 (creates and drops the database
``bench_request_cpu``; Redis db ``BENCH_REDIS_DB``, default 13); skips, saying why, otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from unittest import mock

import scratchdb  # bench/ is the script's own folder on sys.path

ROOT = Path(__file__).resolve().parent.parent
DB = "bench_request_cpu"
REDIS = f"redis://127.0.0.1:6379/{os.environ.get('BENCH_REDIS_DB', '13')}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", help="cProfile this path (RUN = the run's id) and stop")
    args = parser.parse_args()
    try:
        with scratchdb.admin():
            pass
    except Exception as exc:
        print(f"SKIP: PostgreSQL is not reachable on 127.0.0.1:5432 ({type(exc).__name__})")
        return
    scratchdb.recreate(DB)
    try:
        user, run_id = _setup()
        asyncio.run(_requests(user, run_id, args))
        if not args.profile:
            _runs(user, args.runs)
    finally:
        scratchdb.drop(DB)


def _setup() -> tuple[object, int]:
    sys.path.insert(0, str(ROOT))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="algobacktester.settings.base",
        REDIS_URL=REDIS,
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DB}",
        LOG_LEVEL="WARNING",
        DB_POOL_MAX_SIZE="8",  # as gunicorn.conf.py sets for a web worker
        BACKTESTS_MAX_CONCURRENT_RUNS="1000",
    )
    import django

    django.setup()
    from django.core.management import call_command

    from algobacktester.accounts.models import User
    from engine.graph import example_documents
    from marketdata.services.demo import demo_candles_seed
    from strategies.services import strategy_create

    call_command("migrate", verbosity=0)
    demo_candles_seed(symbols=("NIFTY",), days=250, end=date(2025, 12, 31), seed=1)
    user = User.objects.create_user("bench@example.com", "bench-pass-123456")
    strategy_create(owner=user, name="SMA", graph=example_documents()["sma_cross"])
    return user, _run(user)[0]


def _run(user) -> tuple[int, float, dict]:
    """A 1-year run executed here: its id, this process's CPU ms, its stage_ms."""
    from backtests import services
    from backtests.models import BacktestRun
    from marketdata.models import Instrument
    from strategies.models import Strategy

    with mock.patch.object(services, "_enqueue", side_effect=lambda r: (r.save(), r)[1]):
        run = services.backtest_request(
            user=user,
            strategy_id=Strategy.objects.get(owner=user).pk,
            instrument_ref=Instrument.objects.get(symbol="NIFTY").pk,
            start=date(2025, 1, 1),
            end=date(2025, 12, 31),
            config={"sizing": {"mode": "fixed", "value": 1}},
        )
    began = time.process_time()
    assert services.backtest_execute(run_id=run.pk) == "done"
    cpu = (time.process_time() - began) * 1000
    return run.pk, cpu, BacktestRun.objects.values_list("stage_ms", flat=True).get(pk=run.pk)


async def _call(app, path: str, token: str, extra: tuple = ()) -> tuple[int, int, dict]:
    """One GET through the ASGI app: status, body bytes, headers."""
    headers = [(b"host", b"localhost"), (b"authorization", f"Bearer {token}".encode())]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [*headers, (b"accept-encoding", b"gzip"), *extra],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    sent: list[dict] = []
    finished = asyncio.Event()
    asked = False

    async def receive() -> dict:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            finished.set()

    await app(scope, receive, send)
    body = sum(len(m.get("body", b"")) for m in sent[1:])
    return sent[0]["status"], body, {k.lower(): v for k, v in sent[0]["headers"]}


async def _requests(user, run_id: int, args: argparse.Namespace) -> None:
    from asgiref.sync import sync_to_async

    from algobacktester.accounts.tokens import token_pair
    from algobacktester.asgi import application

    token = (await sync_to_async(token_pair)(user))["access"]
    paths = ["/api/strategies", f"/api/backtest/{run_id}", "/api/indicators"]
    paths.append(f"/api/backtest/{run_id}/trades")
    gc.freeze()  # as gunicorn.conf.py's post_worker_init does
    if args.profile:
        await _profile(application, args.profile.replace("RUN", str(run_id)), token, args)
        return
    print(f"per-request CPU through the ASGI app, median of {args.requests} (load {_load()}):")
    for path in paths:
        status, size, headers = await _call(application, path, token)
        cpu = []
        for _ in range(20 + args.requests):
            began = time.process_time()
            await _call(application, path, token)
            cpu.append(time.process_time() - began)
        line = (
            f"  GET {path:28s} {status} {size:>7,} B  {statistics.median(cpu[20:]) * 1000:5.2f} ms"
        )
        etag = headers.get(b"etag")
        if etag:
            began = time.process_time()
            for _ in range(args.requests):
                again, _, _ = await _call(application, path, token, ((b"if-none-match", etag),))
            each = (time.process_time() - began) / args.requests * 1000
            line += f"; If-None-Match: {again} in {each:.2f} ms"
        print(line)


async def _profile(app, path: str, token: str, args: argparse.Namespace) -> None:
    import cProfile
    import pstats

    for _ in range(20):
        await _call(app, path, token)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.requests):
        await _call(app, path, token)
    profile.disable()
    pstats.Stats(profile).sort_stats("cumulative").print_stats(50)


def _runs(user, runs: int) -> None:
    samples = [_run(user) for _ in range(runs)]
    stages = sorted({k for s in samples for k in s[2]})
    shown = ", ".join(
        f"{k} {statistics.median(s[2].get(k, 0) for s in samples):.0f}" for k in stages
    )
    print(
        f"1-year run in this process, median of {runs}: CPU "
        f"{statistics.median(s[1] for s in samples):.0f} ms; stage_ms (wall): {shown}"
    )


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


if __name__ == "__main__":
    main()
