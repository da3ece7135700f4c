"""A real Celery worker against Redis and PostgreSQL, and an event through channels-redis.

Skipped (with the reason) when Redis or PostgreSQL is not reachable on 127.0.0.1.

Deterministic on a shared Redis: each test's worker consumes a queue of its own (no other
worker on the database, a leftover or another test's, can take the task), results are read
from a backend built for this test in the thread that reads them (``reset_producer_pool``),
and every wait is bounded.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.db import connections

from algobacktester.accounts.models import User
from algobacktester.accounts.tokens import token_pair
from algobacktester.asgi import application
from algobacktester.celery import app
from algobacktester.events import event_send
from workers.testing import SERVICES_MARKS, reset_producer_pool, worker_env, worker_process

pytestmark = SERVICES_MARKS


@app.task(name="workers.tests.rename_and_announce", shared=False)
def rename_and_announce(user_id: int, name: str) -> dict[str, object]:
    """Write through the worker's own database connection, then push an event."""
    User.objects.filter(pk=user_id).update(name=name)
    delivered = event_send(
        user_id=user_id, event={"type": "profile.renamed", "data": {"name": name}}
    )
    return {"user": user_id, "name": name, "delivered": delivered}


@pytest.fixture
def redis_layers(settings) -> Iterator[None]:
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # The served configuration's read timeouts: redis-py's 5 s default drops idle sockets.
            "CONFIG": {
                "hosts": [
                    {"address": settings.TEST_REDIS_URL, **settings.CHANNEL_LAYER_REDIS_OPTIONS}
                ]
            },
        }
    }
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def live_worker(settings) -> Iterator[str]:
    """A worker process consuming a queue of its own (yielded) from Redis; not eager here."""
    saved = {k: app.conf[k] for k in ("broker_url", "result_backend", "task_always_eager")}
    app.conf.update(
        broker_url=settings.TEST_REDIS_URL,
        result_backend=settings.TEST_REDIS_URL,
        task_always_eager=False,
    )
    reset_producer_pool()
    # The worker imports this module for its test task.
    env = worker_env(settings.TEST_REDIS_URL)
    queue = f"roundtrip-{uuid.uuid4().hex}"
    with worker_process(env=env, queues=queue, name="roundtrip", include=__name__):
        yield queue
    app.conf.update(saved)
    reset_producer_pool()


@pytest.fixture(autouse=True)
async def _close_thread_connections():
    yield
    await sync_to_async(connections.close_all)()


def _send(queue: str, user_id: int, name: str):
    return rename_and_announce.apply_async(args=(user_id, name), queue=queue)


async def _next_event(comm: WebsocketCommunicator, *, timeout: float) -> dict:
    """The next event frame (skipping any other frame) within ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        frame = await comm.receive_json_from(timeout=max(0.01, deadline - loop.time()))
        if frame.get("type") == "event":
            return frame


async def test_worker_round_trip_and_event_over_channels_redis(
    redis_layers: None, live_worker: str, make_user
) -> None:
    user = await sync_to_async(make_user)(name="before")
    access = (await sync_to_async(token_pair)(user))["access"]
    comm = WebsocketCommunicator(application, "/ws/", subprotocols=["bearer", access])
    connected, _ = await comm.connect()
    assert connected
    assert (await comm.receive_json_from(timeout=5))["type"] == "auth.ok"

    result = await sync_to_async(_send)(live_worker, user.pk, "after")
    # Bounded, not slept: a worker booting on a busy machine may take a while to answer.
    value = await sync_to_async(result.get)(timeout=60)
    assert value == {"user": user.pk, "name": "after", "delivered": True}

    message = await _next_event(comm, timeout=10)
    assert message["event"] == {"type": "profile.renamed", "data": {"name": "after"}}
    refreshed = await User.objects.aget(pk=user.pk)
    assert refreshed.name == "after"
    await comm.disconnect()


async def test_other_users_do_not_hear_worker_events(
    redis_layers: None, live_worker: str, make_user
) -> None:
    alice = await sync_to_async(make_user)()
    bob = await sync_to_async(make_user)()
    access = (await sync_to_async(token_pair)(bob))["access"]
    comm = WebsocketCommunicator(application, "/ws/", subprotocols=["bearer", access])
    await comm.connect()
    await comm.receive_json_from(timeout=5)
    result = await sync_to_async(_send)(live_worker, alice.pk, "alice")
    assert (await sync_to_async(result.get)(timeout=60))["delivered"]  # sent before we listen
    assert await comm.receive_nothing(timeout=0.5)
    await comm.disconnect()


@app.task(name="workers.tests.log_context", shared=False)
def log_context(run_id: int) -> dict[str, object]:
    from structlog.contextvars import get_contextvars

    return dict(get_contextvars())


async def test_the_request_id_travels_to_the_worker_in_task_headers(live_worker: str) -> None:
    """One grep follows a run from the HTTP request to the worker's log lines."""
    from structlog.contextvars import bound_contextvars

    def send() -> object:
        with bound_contextvars(request_id="req-from-the-web"):
            return log_context.apply_async(args=(42,), queue=live_worker)

    result = await sync_to_async(send)()
    context = await sync_to_async(result.get)(timeout=60)
    assert context["request_id"] == "req-from-the-web"
    assert context["run_id"] == 42 and context["task"] == "workers.tests.log_context"


def _sender_connections(client, known: set[int]) -> set[int]:
    """Ids of the Redis clients on this test's database that are not in ``known``."""
    db = client.connection_pool.connection_kwargs.get("db", 0)
    return {c["id"] for c in client.client_list() if int(c["db"]) == db} - known


async def test_sync_sends_share_one_redis_connection_and_all_arrive(
    redis_layers: None, settings
) -> None:
    """A worker's events (sync code, no running loop) go through one long-lived connection
    instead of a new loop and connection per event, and each still arrives, in order."""
    import redis

    from algobacktester.events import user_group

    layer = channel_layers["default"]
    channel = await layer.new_channel()
    await layer.group_add(user_group(991), channel)
    client = redis.Redis.from_url(settings.TEST_REDIS_URL)
    before = {c["id"] for c in await sync_to_async(client.client_list)()}

    def send(numbers: range) -> list[bool]:
        return [event_send(user_id=991, event={"type": "t", "n": n}) for n in numbers]

    assert await asyncio.to_thread(send, range(2)) == [True, True]
    first = await sync_to_async(_sender_connections)(client, before)
    assert await asyncio.to_thread(send, range(2, 5)) == [True] * 3
    assert await sync_to_async(_sender_connections)(client, before) == first
    assert len(first) == 1
    received = [(await layer.receive(channel))["event"]["n"] for _ in range(5)]
    assert received == [0, 1, 2, 3, 4]
    client.close()
