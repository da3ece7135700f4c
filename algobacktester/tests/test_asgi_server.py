"""The ASGI server as it runs in services mode: uvicorn in its own process, channels-redis on a
real Redis, PostgreSQL.

- An idle ``/ws/`` stays open (it used to drop at 5.0 s without a close code: channels-redis
  blocks 5 s on Redis and redis-py's default read timeout was also 5 s).
- A socket that never authenticates is closed with the documented 4401, not dropped.
- Requests leave no pile of idle database connections behind (``CONN_MAX_AGE`` under ASGI).

Skipped, saying why, when Redis or PostgreSQL is not reachable on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels_redis.core import RedisChannelLayer
from django.db import connection
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from algobacktester import consumers
from algobacktester.accounts.tokens import token_pair
from workers.testing import SERVICES_MARKS, asgi_server_process, free_port, worker_env

IDLE_SECONDS = 120  # the bar: 24 times the old failure point


def test_channel_layer_reads_outlast_its_blocking_wait(settings) -> None:
    """The configured read timeout must exceed the 5 s BZPOPMIN channels-redis waits on."""
    assert settings.CHANNEL_LAYER_REDIS_OPTIONS["socket_timeout"] > RedisChannelLayer.brpop_timeout


@pytest.fixture
def server(settings) -> Iterator[str]:
    """``host:port`` of uvicorn serving the app in services mode on ``TEST_REDIS_URL`` and the
    test database, its database connections named after the port for counting."""
    import redis

    redis.Redis.from_url(settings.TEST_REDIS_URL).flushdb()
    port = free_port()
    env = worker_env(settings.TEST_REDIS_URL, SECRET_KEY=settings.SECRET_KEY)
    env["DATABASE_URL"] += f"?application_name=asgi-test-{port}"
    with asgi_server_process(env=env, port=port):
        yield f"127.0.0.1:{port}"


def services(test: Callable[..., Any]) -> Callable[..., Any]:
    """The real-services marks on one test, so the settings check above runs everywhere."""
    for mark in reversed(SERVICES_MARKS):
        test = mark(test)
    return test


@services
@pytest.mark.slow
async def test_an_idle_authenticated_socket_stays_open(server: str, make_user) -> None:
    user = await sync_to_async(make_user)()
    access = (await sync_to_async(token_pair)(user))["access"]
    # The client never pings: only the server's keep-alive (uvicorn's ping) crosses the wire.
    async with connect(
        f"ws://{server}/ws/", subprotocols=["bearer", access], ping_interval=None
    ) as ws:
        assert json.loads(await ws.recv())["type"] == "auth.ok"
        opened = time.monotonic()
        with pytest.raises(TimeoutError):  # silence: nothing arrives, and nothing closes it
            await asyncio.wait_for(ws.recv(), timeout=IDLE_SECONDS)
        assert time.monotonic() - opened >= IDLE_SECONDS
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await ws.recv())["type"] == "pong"


@services
async def test_a_silent_unauthenticated_socket_gets_4401(server: str) -> None:
    async with connect(f"ws://{server}/ws/", ping_interval=None) as ws:
        error = json.loads(await asyncio.wait_for(ws.recv(), timeout=consumers.AUTH_TIMEOUT + 10))
        assert error == {"type": "error", "detail": "authentication timed out"}
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), timeout=5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == consumers.CLOSE_UNAUTHORIZED


@services
def test_requests_leave_a_bounded_number_of_database_connections(server: str, user) -> None:
    access = token_pair(user)["access"]

    def get(path: str) -> int:
        request = urllib.request.Request(
            f"http://{server}{path}", headers={"Authorization": f"Bearer {access}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status

    paths = ["/api/backtest", "/api/health", "/api/strategies"] * 20
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(get, paths))
    assert statuses == [200] * 60
    time.sleep(1)  # a request's connection closes as it finishes; give stragglers a moment
    assert _connections_named(f"asgi-test-{server.rsplit(':', 1)[1]}") <= 2


def _connections_named(application_name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
            [application_name],
        )
        return cursor.fetchone()[0]
