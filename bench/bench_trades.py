"""Trades: orders per second through the risk gate and the paper broker; latency from
``POST /api/trades/execute`` to the broker's POST (the fake Dhan server), p50/p95.

    .venv/bin/python bench/bench_trades.py [--orders 500] [--posts 200]

Needs PostgreSQL on 127.0.0.1 (it creates and drops the database ``bench_trades``). Runs
embedded otherwise (no Redis: the order-rate limiter keeps its window in memory).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

import scratchdb  # bench/ is the script's own folder on sys.path

ROOT = Path(__file__).resolve().parent.parent
DB = "bench_trades"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--posts", type=int, default=200)
    args = parser.parse_args()
    scratchdb.recreate(DB)
    try:
        _setup_django()
        user, equity = _fixtures()
        _paper_throughput(user, equity, args.orders)
        _execute_to_post_latency(user, equity, args.posts)
    finally:
        scratchdb.drop(DB)


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    from cryptography.fernet import Fernet

    os.environ.update(
        DJANGO_SETTINGS_MODULE="algobacktester.settings.base",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DB}",
        LOG_LEVEL="ERROR",
        TRADES_CREDENTIALS_KEYS=Fernet.generate_key().decode(),
        TRADES_LIVE_BROKERS_ENABLED="true",
        DHAN_ORDER_RATE_LIMITS="100000/second",
    )
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _fixtures():
    from django.utils import timezone

    from algobacktester.accounts.models import User
    from marketdata.models import Candle, Instrument

    user = User.objects.create_user("bench@example.com", "bench-pass-123456")
    equity = Instrument.objects.create(
        exchange="NSE", segment="NSE_EQ", symbol="BENCHCO", security_id="2885", kind="equity"
    )
    end = timezone.now().replace(second=0, microsecond=0)
    Candle.objects.bulk_create(
        Candle(
            instrument=equity,
            timeframe="1m",
            ts=end - timedelta(minutes=i),
            open=100,
            high=100.5,
            low=99.5,
            close=100,
        )
        for i in range(1, 31)
    )
    return user, equity


OPEN_RISK = {"max_orders_per_second": 100_000, "trading_hours": None, "max_open_positions": None}


def _paper_throughput(user, equity, n: int) -> None:
    from trades.services.accounts import account_connect
    from trades.services.orders import order_execute

    account = account_connect(
        user=user,
        broker="paper",
        name="Bench",
        paper={
            "starting_cash": "1000000000",
            "fee_model": "india_equity_intraday",
            "quote_max_age_seconds": 3600,  # the bench outlasts the stored bars
        },
        risk=OPEN_RISK,
    )

    def one(i: int) -> None:
        order, _ = order_execute(
            user=user,
            account_id=account.pk,
            instrument_ref=equity.pk,
            side="BUY" if i % 2 else "SELL",
            lots=1,
            order_type="MARKET",
            product="INTRADAY",
        )
        assert order.status == "filled", order.reason

    for i in range(20):
        one(i)  # warm-up: numba caches, first connections
    for label in (
        "notifications delivered inline (embedded mode)",
        "notifications left to workers",
    ):
        if label.endswith("workers"):
            _notifications_off()
        started = time.perf_counter()
        for i in range(n):
            one(i)
        elapsed = time.perf_counter() - started
        print(
            f"paper: {n} market orders through gate + paper broker (fill, fees, position, "
            f"audit), {label}: {n / elapsed:.1f} orders/s ({elapsed / n * 1000:.1f} ms each)"
        )


def _notifications_off() -> None:
    """In services mode the push/e-mail deliveries of ``order.filled`` run on workers; in
    embedded mode (eager Celery) they run inside the order's request."""
    from algobacktester.bus import unsubscribe
    from notifications.constants import EventType
    from notifications.subscribers import event_deliveries_create

    for event_type in EventType.values:
        unsubscribe(event_type, event_deliveries_create)


def _execute_to_post_latency(user, equity, n: int) -> None:
    from rest_framework.test import APIClient

    from trades.services.accounts import account_connect
    from trades.tests.fake_dhan import FakeDhan, token_for

    fake = FakeDhan(token=token_for("bench"), client_id="1000000009").start()
    arrivals: dict[str, float] = {}
    original = fake._place

    def stamped(body):
        arrivals[body.get("correlationId", "")] = time.perf_counter()
        return original(body)

    fake._place = stamped
    from django.conf import settings

    settings.DHAN_BASE_URL = fake.base_url
    try:
        account = account_connect(
            user=user,
            broker="dhan",
            name="BenchDhan",
            credentials={"client_id": fake.client_id, "access_token": fake.token},
            risk=OPEN_RISK,
        )
        client = APIClient(SERVER_NAME="localhost")
        client.force_authenticate(user)
        body = {"account": account.pk, "instrument": equity.pk, "side": "BUY", "lots": 1}
        samples = []
        for i in range(n + 10):
            started = time.perf_counter()
            response = client.post(
                "/api/trades/execute", {**body, "order_type": "LIMIT", "price": "99"}, format="json"
            )
            assert response.status_code == 201, response.content
            if i >= 10:  # warm-up
                samples.append(arrivals[response.json()["client_id"]] - started)
        samples.sort()
        p50 = statistics.median(samples) * 1000
        p95 = samples[int(len(samples) * 0.95) - 1] * 1000
        print(
            f"dhan (fake, loopback): execute -> broker POST arrives: p50 {p50:.1f} ms, "
            f"p95 {p95:.1f} ms ({n} requests through the API, gate, commit, SDK)"
        )
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
