"""Exactly one broker order per intent through real Celery workers (Redis, PostgreSQL).

1,000 order intents, each submit task delivered 2 or 3 times, to worker processes; the first
worker is SIGKILLed (its whole process group) while the fake Dhan server holds a POST it had
already accepted. The fake server counts the POSTs per correlation id: exactly 1,000
orders, none twice; the one whose answer was lost is settled by its client id.

Skipped, saying why, when Redis or PostgreSQL is not reachable on 127.0.0.1.
"""

from __future__ import annotations

import os
import random
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest

from trades.models import Order, OrderStatus
from trades.services.accounts import account_connect
from trades.services.submission import orders_reap
from trades.tasks import order_submit_task
from workers.testing import (
    SERVICES_MARKS,
    kill_group,
    tasks_on_redis,
    wait_for,
    worker_env,
    worker_process,
)

from .fake_dhan import FakeDhan, token_for

pytestmark = [*SERVICES_MARKS, pytest.mark.slow, pytest.mark.timeout(900)]
INTENTS = int(os.environ.get("TRADES_TEST_INTENTS", "1000"))


@pytest.fixture
def redis_broker(settings) -> Iterator[str]:
    with tasks_on_redis(settings) as url:
        yield url


@pytest.fixture
def fake(settings) -> Iterator[FakeDhan]:
    server = FakeDhan(token=token_for(f"W{uuid.uuid4().hex}"), client_id="1200300400").start()
    settings.DHAN_BASE_URL = server.base_url
    yield server
    server.stop()


def test_a_thousand_intents_delivered_many_times_make_a_thousand_orders(
    redis_broker: str, fake: FakeDhan, settings, make_user, equity
) -> None:
    user = make_user()
    account = account_connect(
        user=user,
        broker="dhan",
        name="Load",
        credentials={"client_id": fake.client_id, "access_token": fake.token},
    )
    Order.objects.bulk_create(
        Order(
            owner=user,
            account=account,
            client_id=f"w{i:05d}{uuid.uuid4().hex[:10]}",
            instrument=equity,
            side="BUY",
            lots=1,
            quantity=1,
            order_type="LIMIT",
            product="INTRADAY",
            price=90,
        )
        for i in range(INTENTS)
    )
    ids = list(Order.objects.filter(account=account).values_list("pk", flat=True))
    deliveries = [pk for pk in ids for _ in range(random.Random(pk).choice((2, 3)))]
    random.Random(7).shuffle(deliveries)
    env = worker_env(
        redis_broker,
        DHAN_BASE_URL=fake.base_url,
        DHAN_TIMEOUT_SECONDS="5",
        DHAN_ORDER_RATE_LIMITS="100000/second",
        TRADES_CREDENTIALS_KEYS=settings.TRADES["CREDENTIALS_KEYS"][0],
        TRADES_LIVE_BROKERS_ENABLED="true",
        TRADES_SUBMIT_LEASE_SECONDS="2",
        TRADES_NEW_RESEND_SECONDS="2",
        TRADES_UNKNOWN_GIVE_UP_SECONDS="3600",
    )
    fake.fail_next("hold")  # the first POST is accepted, then its answer never comes
    for pk in deliveries[:50]:
        order_submit_task.delay(pk)
    with worker_process(env=env, queues="default", concurrency=1, name="doomed") as doomed:
        assert fake.wait_held(timeout=120), "no POST reached the fake server"
        kill_group(doomed)
    fake.release()
    held = next(cid for cid, n in fake.posts.items() if n)
    for pk in deliveries[50:]:
        order_submit_task.delay(pk)
    with worker_process(env=env, queues="default", concurrency=2, name="rescuer"):

        def settled() -> bool:
            orders_reap()  # what the beat does every 10 s: lapsed → UNKNOWN → settled; lost → resent
            return (
                not Order.objects.filter(account=account).exclude(status=OrderStatus.OPEN).exists()
            )

        try:
            wait_for(settled, timeout=600, interval=2, what="every order to be at the broker")
        except TimeoutError as exc:
            counts = Counter(Order.objects.filter(account=account).values_list("status", flat=True))
            raise AssertionError(f"{exc}: {dict(counts)}, posts {len(fake.posts)}") from None
    assert len(fake.posts) == INTENTS
    assert set(fake.posts.values()) == {1}, [c for c, n in fake.posts.items() if n > 1]
    victim = Order.objects.get(client_id=held)
    assert victim.status == OrderStatus.OPEN and victim.broker_order_id
    assert "unknown" in list(victim.audit.values_list("action", flat=True))
