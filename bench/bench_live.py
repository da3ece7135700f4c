"""Live sessions: bar close -> order at the paper broker, with 1, 100 (and 1,000) sessions.

Every session runs the opening-range breakout on one day of synthetic one-minute NIFTY bars
(it enters on bar 127 and exits on bar 203), on its own user's paper account. The bench
feeds each bar close to every session through ``live.services.step_execute`` in one process
(what one ``live`` worker does, eager submission: the paper order is placed when the step
returns) and reports:

- step latency p50/p95 (one session's bar close -> its step committed and, on a signal bar,
  the order filled at the paper broker);
- bar fan-out p50/p95: one bar close -> the last session's step done (one worker);
- memory per session: the worker's cached runner (tracemalloc) and the rows written.

    .venv/bin/python bench/bench_live.py [--sessions 1 100 1000] [--bars 240] [--workers 1 2]

``--workers 2`` forks two worker processes that step half the sessions each on every bar
(as two ``live`` Celery workers would); ``--db`` names the scratch database, ``--profile``
prints where one worker's step time goes.

Needs PostgreSQL on 127.0.0.1 (creates and drops the database ``bench_live``).
"""

from __future__ import annotations

import argparse
import cProfile
import multiprocessing
import os
import pstats
import statistics
import sys
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

import scratchdb  # bench/ is the script's own folder on sys.path

ROOT = Path(__file__).resolve().parent.parent
DB = "bench_live"
SIGNAL_BARS = (127, 203)  # the breakout's entry and its target exit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 100])
    parser.add_argument("--bars", type=int, default=240, help="bars of the day to play")
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1], help="live worker processes (1 2)"
    )
    parser.add_argument("--db", default=DB, help="scratch database (created and dropped)")
    parser.add_argument("--profile", action="store_true", help="cProfile one worker's steps")
    args = parser.parse_args()
    scratchdb.recreate(args.db)
    try:
        _setup_django(args.db)
        for n in args.sessions:
            for workers in args.workers:
                _bench(n, args.bars, workers, profile=args.profile)
    finally:
        scratchdb.drop(args.db)


def _setup_django(db: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="algobacktester.settings.base",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{db}",
        CELERY_TASK_ALWAYS_EAGER="1",
        LIVE_EMBEDDED_FEED="0",
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast setup
    settings.TRADES["DEFAULT_RISK"] = {
        **settings.TRADES["DEFAULT_RISK"],
        "trading_hours": None,
        "max_orders_per_second": 100_000,
    }


def _bench(n: int, nbars: int, workers: int, *, profile: bool = False) -> None:
    from live.models import SessionOrder

    ids, bars = _sessions(n)
    rows = [_row(bars, i) for i in range(min(nbars, len(bars)))]
    if workers == 1:
        step_ms, signal_ms, fanout_ms, mem = _one_worker(ids, rows, profile=profile)
    else:
        step_ms, signal_ms, fanout_ms = _forked_workers(ids, rows, workers)
        mem = None
    orders = SessionOrder.objects.filter(session_id__in=ids).count()
    print(f"sessions={n} workers={workers} bars={len(rows)} orders={orders}")
    print(
        f"  step (one session, one bar)      p50 {_p(step_ms, 50):7.2f} ms  p95 {_p(step_ms, 95):7.2f} ms"
    )
    if signal_ms:
        print(
            f"  bar close -> order filled (paper) p50 {_p(signal_ms, 50):7.2f} ms  p95 {_p(signal_ms, 95):7.2f} ms"
        )
    print(
        f"  bar fan-out (all sessions, {workers} worker(s)) p50 {_p(fanout_ms, 50):8.1f} ms  "
        f"p95 {_p(fanout_ms, 95):8.1f} ms"
    )
    if mem is not None:
        print(
            f"  memory per session (runner cache): {mem[0] / n / 1024:.1f} KiB "
            f"(after the first bar {mem[1] / n / 1024:.1f} KiB)"
        )


def _sessions(n: int) -> tuple[list[int], object]:
    """``n`` started ORB sessions, each its own user's, on one stored synthetic day."""
    from django.db import transaction

    from algobacktester.accounts.models import User
    from live import services
    from live.models import LiveSession
    from live.tests.conftest import store_bars, synthetic_bars
    from marketdata.models import Instrument
    from strategies.services import strategy_create
    from strategies.templates import template_get
    from trades.services.accounts import account_connect

    LiveSession.objects.all().delete()
    bars = synthetic_bars(days=1, seed=4)
    instrument, created = Instrument.objects.get_or_create(
        exchange="NSE",
        symbol="NIFTY",
        defaults={
            "segment": "IDX_I",
            "security_id": "13",
            "kind": "index",
            "lot_size": 75,
            "tick_size": "0.05",
        },
    )
    if created:
        with transaction.atomic():
            store_bars(instrument, bars)
    graph = template_get("opening_range_breakout").graph
    ids = []
    base = User.objects.count()
    for k in range(n):
        user = User.objects.create_user(email=f"bench{base + k}@example.com", password="x" * 12)
        account = account_connect(
            user=user,
            broker="paper",
            name="Paper",
            paper={"starting_cash": "1000000000", "slippage_bps": 0},
        )
        strategy = strategy_create(owner=user, name="ORB", graph=graph)
        session = services.session_create(
            user=user,
            strategy_id=strategy.pk,
            version=None,
            account_id=account.pk,
            instrument_ref=instrument.pk,
            capital=Decimal("100000000"),
            replay={"start": "2024-01-01", "speed": 0},
        )
        services.session_start(session=session)
        ids.append(session.pk)
    services.runners_clear()
    return ids, bars


def _row(bars, i: int) -> tuple[list[float], int | None]:
    row = [
        int(bars.ts[i]),
        float(bars.open[i]),
        float(bars.high[i]),
        float(bars.low[i]),
        float(bars.close[i]),
        float(bars.volume[i]),
    ]
    return row, (int(bars.ts[i + 1]) if i + 1 < len(bars) else None)


def _steps(ids: list[int], row: list[float], nxt: int | None) -> list[float]:
    """One bar for each of ``ids``, in this process (one live worker): ms per step."""
    from live import services

    out = []
    for sid in ids:
        t0 = time.perf_counter()
        services.step_execute(session_id=sid, bar=row, next_ts=nxt)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _one_worker(ids: list[int], rows: list, *, profile: bool) -> tuple:
    step_ms: list[float] = []
    signal_ms: list[float] = []
    fanout_ms: list[float] = []
    prof = cProfile.Profile() if profile else None
    tracemalloc.start()
    mem0 = tracemalloc.get_traced_memory()[0]
    mem_first = mem0
    for i, (row, nxt) in enumerate(rows):
        t_bar = time.perf_counter()
        if prof is not None:
            prof.enable()
        times = _steps(ids, row, nxt)
        if prof is not None:
            prof.disable()
        fanout_ms.append((time.perf_counter() - t_bar) * 1000)
        step_ms += times
        if i in SIGNAL_BARS:
            signal_ms += times
        if i == 0:
            mem_first = tracemalloc.get_traced_memory()[0]
    mem = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    if prof is not None:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(40)
    return step_ms, signal_ms, fanout_ms, (mem - mem0, mem_first - mem0)


def _forked_workers(ids: list[int], rows: list, workers: int) -> tuple:
    """``workers`` processes (two ``live`` workers), each stepping its share of the sessions
    on every bar; a bar's fan-out ends when the last worker is done with it."""
    from django.db import connections

    connections.close_all()  # each child opens its own
    pipes, pids = [], []
    for k in range(workers):
        parent, child = multiprocessing.Pipe()
        pid = os.fork()
        if pid == 0:  # the worker
            parent.close()
            _worker_loop(child, ids[k::workers], rows)
            os._exit(0)
        child.close()
        pipes.append(parent)
        pids.append(pid)
    step_ms: list[float] = []
    signal_ms: list[float] = []
    fanout_ms: list[float] = []
    for i in range(len(rows)):
        t_bar = time.perf_counter()
        for pipe in pipes:
            pipe.send(i)
        for pipe in pipes:
            times = pipe.recv()
            step_ms += times
            if i in SIGNAL_BARS:
                signal_ms += times
        fanout_ms.append((time.perf_counter() - t_bar) * 1000)
    for pipe in pipes:
        pipe.send(None)
    for pid in pids:
        os.waitpid(pid, 0)
    return step_ms, signal_ms, fanout_ms


def _worker_loop(pipe, ids: list[int], rows: list) -> None:
    from live import services

    services.runners_clear()
    while (i := pipe.recv()) is not None:
        row, nxt = rows[i]
        pipe.send(_steps(ids, row, nxt))


def _p(values: list[float], pct: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(pct) - 1]


if __name__ == "__main__":
    main()
