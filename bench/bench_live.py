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

    .venv/bin/python bench/bench_live.py [--sessions 1 100] [--bars 240]

Needs PostgreSQL on 127.0.0.1 (creates and drops the database ``bench_live``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

import scratchdb  # bench/ is the script's own folder on sys.path

ROOT = Path(__file__).resolve().parent.parent
DB = "bench_live"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 100])
    parser.add_argument("--bars", type=int, default=240, help="bars of the day to play")
    args = parser.parse_args()
    scratchdb.recreate(DB)
    try:
        _setup_django()
        for n in args.sessions:
            _bench(n, args.bars)
    finally:
        scratchdb.drop(DB)


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="algobacktester.settings.base",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DB}",
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


def _bench(n: int, nbars: int) -> None:
    from django.db import transaction

    from algobacktester.accounts.models import User
    from live import services
    from live.models import LiveSession, SessionOrder
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
    step_ms: list[float] = []
    signal_ms: list[float] = []
    fanout_ms: list[float] = []
    tracemalloc.start()
    mem0 = tracemalloc.get_traced_memory()[0]
    for i in range(min(nbars, len(bars))):
        row = [
            int(bars.ts[i]),
            float(bars.open[i]),
            float(bars.high[i]),
            float(bars.low[i]),
            float(bars.close[i]),
            float(bars.volume[i]),
        ]
        nxt = int(bars.ts[i + 1]) if i + 1 < len(bars) else None
        t_bar = time.perf_counter()
        for sid in ids:
            t0 = time.perf_counter()
            services.step_execute(session_id=sid, bar=row, next_ts=nxt)
            ms = (time.perf_counter() - t0) * 1000
            step_ms.append(ms)
            if i in (127, 203):
                signal_ms.append(ms)
        fanout_ms.append((time.perf_counter() - t_bar) * 1000)
        if i == 0:
            mem_first = tracemalloc.get_traced_memory()[0]
    mem = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    orders = SessionOrder.objects.filter(session_id__in=ids).count()
    print(f"sessions={n} bars={min(nbars, len(bars))} orders={orders}")
    print(
        f"  step (one session, one bar)      p50 {_p(step_ms, 50):7.2f} ms  p95 {_p(step_ms, 95):7.2f} ms"
    )
    if signal_ms:
        print(
            f"  bar close -> order filled (paper) p50 {_p(signal_ms, 50):7.2f} ms  p95 {_p(signal_ms, 95):7.2f} ms"
        )
    print(
        f"  bar fan-out (all sessions, 1 worker) p50 {_p(fanout_ms, 50):8.1f} ms  p95 {_p(fanout_ms, 95):8.1f} ms"
    )
    print(
        f"  memory per session (runner cache): {(mem - mem0) / n / 1024:.1f} KiB "
        f"(after the first bar {(mem_first - mem0) / n / 1024:.1f} KiB)"
    )


def _p(values: list[float], pct: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(pct) - 1]


if __name__ == "__main__":
    main()
