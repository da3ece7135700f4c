"""Backtests through real Celery worker processes on Redis and PostgreSQL.

- 50 backtests from 5 users all finish, and each user sees only their own.
- A worker killed (SIGKILL of its whole process group) mid-run loses no run and doubles none;
  the next worker to start recovers it without beat.
- ``pg_terminate_backend`` of a worker's connections mid-run costs an attempt, not the run.
- ``/ws/`` receives progress and completion through channels-redis.

Skipped, saying why, when Redis or PostgreSQL is not reachable on 127.0.0.1.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.db import connections
from rest_framework.test import APIClient

from algobacktester.accounts.tokens import token_pair
from algobacktester.asgi import application
from backtests.models import BacktestRun, BacktestTrade, RunStatus
from engine.graph import example_documents
from strategies.services import strategy_create
from workers.testing import (
    SERVICES_MARKS,
    kill_group,
    tasks_on_redis,
    wait_for,
    worker_env,
    worker_process,
)

pytestmark = SERVICES_MARKS
LEASE = 2  # seconds: short, so the reaper recovers a killed run quickly


@pytest.fixture
def redis_broker(settings) -> Iterator[str]:
    """The test process sends tasks to Redis (not eagerly) and listens on channels-redis."""
    with tasks_on_redis(settings) as url:
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [{"address": url, **settings.CHANNEL_LAYER_REDIS_OPTIONS}]},
            }
        }
        settings.BACKTESTS = {
            **settings.BACKTESTS,
            "LEASE_SECONDS": LEASE,
            "MAX_CONCURRENT_RUNS": 50,
        }
        channel_layers.backends.clear()
        yield url
    channel_layers.backends.clear()


@pytest.fixture
def market(db):
    from datetime import date

    from marketdata.models import Instrument
    from marketdata.services.demo import demo_candles_seed

    demo_candles_seed(symbols=("NIFTY",), days=20, end=date(2026, 6, 30), seed=11)
    return Instrument.objects.get(symbol="NIFTY")


def body(strategy_id: int, instrument_id: int) -> dict:
    return {
        "strategy": strategy_id,
        "instrument": instrument_id,
        "start": "2026-06-01",
        "end": "2026-06-30",
        "sizing": {"mode": "fixed", "value": 1},
    }


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def all_finished() -> bool:
    return not BacktestRun.objects.exclude(status__in=(RunStatus.DONE, RunStatus.FAILED)).exists()


def test_fifty_backtests_from_five_users(redis_broker: str, market, make_user) -> None:
    users = [make_user() for _ in range(5)]
    strategies = {
        u.pk: strategy_create(owner=u, name="SMA", graph=example_documents()["sma_cross"])
        for u in users
    }
    env = worker_env(redis_broker, BACKTESTS_LEASE_SECONDS=str(LEASE))
    with worker_process(env=env, concurrency=2, name="fifty"):
        for user in users:
            client = client_for(user)
            for _ in range(10):
                response = client.post(
                    "/api/backtest", body(strategies[user.pk].pk, market.pk), format="json"
                )
                assert response.status_code == 202, response.content
        wait_for(all_finished, timeout=240, what="50 backtests to finish")
    runs = BacktestRun.objects.all()
    assert runs.count() == 50
    assert set(runs.values_list("status", flat=True)) == {RunStatus.DONE}
    assert len(set(runs.values_list("data_hash", flat=True))) == 1
    assert len({tuple(sorted(r.stats.items())) for r in runs}) == 1  # same inputs, same numbers
    for user in users:
        listed = client_for(user).get("/api/backtest?page_size=100").json()
        assert listed["count"] == 10
        assert {r["id"] for r in listed["results"]} == set(
            BacktestRun.objects.filter(owner=user).values_list("pk", flat=True)
        )


def test_a_killed_worker_loses_and_doubles_no_run(redis_broker: str, market, make_user) -> None:
    user = make_user()
    strategy = strategy_create(owner=user, name="SMA", graph=example_documents()["sma_cross"])
    env = worker_env(redis_broker, BACKTESTS_LEASE_SECONDS=str(LEASE))
    client = client_for(user)
    ids = [
        client.post("/api/backtest", body(strategy.pk, market.pk), format="json").json()["id"]
        for _ in range(8)
    ]
    with worker_process(env=env, name="doomed") as doomed:
        victim = _freeze_mid_run(doomed)
        kill_group(doomed)
    assert BacktestRun.objects.get(pk=victim).status == RunStatus.RUNNING  # orphaned, lease running
    # No beat and no manual reap: a worker reaps as it starts, and once more a lease later.
    with worker_process(env=env, name="rescuer"):
        wait_for(all_finished, timeout=120, what="every run to finish")
    runs = BacktestRun.objects.filter(pk__in=ids)
    assert set(runs.values_list("status", flat=True)) == {RunStatus.DONE}
    assert BacktestRun.objects.get(pk=victim).attempts == 2
    assert set(runs.exclude(pk=victim).values_list("attempts", flat=True)) == {1}
    counts = {r.pk: BacktestTrade.objects.filter(run=r).count() for r in runs}
    assert len(set(counts.values())) == 1, counts  # the re-run one has no extra trades
    assert counts[victim] == runs.get(pk=victim).stats["trades"]


def test_a_terminated_database_connection_retries_the_run(
    redis_broker: str, market, make_user
) -> None:
    user = make_user()
    strategy = strategy_create(owner=user, name="SMA", graph=example_documents()["sma_cross"])
    env = worker_env(redis_broker, BACKTESTS_LEASE_SECONDS=str(LEASE))
    # A lease no reaper lets lapse during the test: only the retry can finish the run.
    env["BACKTESTS_LEASE_SECONDS"] = "600"
    client = client_for(user)
    ids = [
        client.post("/api/backtest", body(strategy.pk, market.pk), format="json").json()["id"]
        for _ in range(4)
    ]
    with worker_process(env=env, name="cut-off") as worker:
        victim = _freeze_mid_run(worker)
        assert _terminate_other_backends() >= 1  # the worker's and its heartbeat's
        kill_group(worker, signal.SIGCONT)
        wait_for(all_finished, timeout=120, what="every run to finish")
    runs = BacktestRun.objects.filter(pk__in=ids)
    assert set(runs.values_list("status", flat=True)) == {RunStatus.DONE}, list(
        runs.values_list("error", flat=True)
    )
    assert runs.get(pk=victim).attempts == 2  # the attempt the database error cost is counted
    assert (
        BacktestTrade.objects.filter(run_id=victim).count() == runs.get(pk=victim).stats["trades"]
    )


def _terminate_other_backends() -> int:
    """``pg_terminate_backend`` on every connection to the test database but the test's own."""
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def _freeze_mid_run(proc) -> int:
    """SIGSTOP the worker while a run is in progress; return that run's id."""
    for _ in range(200):
        wait_for(
            lambda: BacktestRun.objects.filter(status=RunStatus.RUNNING).exists(),
            timeout=60,
            interval=0.005,
            what="a run to start",
        )
        kill_group(proc, signal.SIGSTOP)
        running = (
            BacktestRun.objects.filter(status=RunStatus.RUNNING)
            .values_list("pk", flat=True)
            .first()
        )
        if running is not None and _still_running_after_in_flight_work(running):
            return running
        kill_group(proc, signal.SIGCONT)  # it finished just before the freeze: try the next one
    raise AssertionError("never caught a run in progress")


def _still_running_after_in_flight_work(run_id: int) -> bool:
    """SIGSTOP freezes the worker, not its PostgreSQL backend: a COMMIT the worker sent just
    before the freeze still lands. Give the server a moment, then look again."""
    time.sleep(0.5)
    return BacktestRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).exists()


@pytest.fixture
def _close_thread_connections() -> Iterator[None]:
    yield
    connections.close_all()


async def test_ws_hears_progress_and_completion(redis_broker: str, market, make_user) -> None:
    user = await sync_to_async(make_user)()
    strategy = await sync_to_async(strategy_create)(
        owner=user, name="SMA", graph=example_documents()["sma_cross"]
    )
    access = (await sync_to_async(token_pair)(user))["access"]
    comm = WebsocketCommunicator(application, "/ws/", subprotocols=["bearer", access])
    assert (await comm.connect())[0]
    await comm.receive_json_from(timeout=5)
    env = await sync_to_async(worker_env)(redis_broker, BACKTESTS_LEASE_SECONDS=str(LEASE))
    with worker_process(env=env, name="ws"):
        post = sync_to_async(
            lambda: (
                client_for(user)
                .post("/api/backtest", body(strategy.pk, market.pk), format="json")
                .json()["id"]
            )
        )
        run_id = await post()
        kinds = []
        while "backtest.finished" not in kinds:
            message = await comm.receive_json_from(timeout=60)
            assert message["event"]["data"]["id"] == run_id
            kinds.append(message["event"]["type"])
    assert kinds.count("backtest.progress") >= 3
    assert kinds[-1] == "backtest.finished"
    await comm.disconnect()
    await sync_to_async(connections.close_all)()
