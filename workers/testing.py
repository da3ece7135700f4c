"""Test helpers: a real Celery worker in its own process, against Redis and PostgreSQL.

Used by integration tests that must kill a worker or watch it from outside; a thread
(``celery.contrib.testing.worker``) cannot be SIGKILLed on its own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent

# For tests that need real Redis and PostgreSQL: skipped, saying which is missing, without them.
SERVICES_MARKS = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not getattr(settings, "REDIS_AVAILABLE", False),
        reason="Redis is not reachable on 127.0.0.1:6379",
    ),
    pytest.mark.skipif(
        not getattr(settings, "USING_POSTGRES", False),
        reason="PostgreSQL is not reachable on 127.0.0.1:5432",
    ),
]


def worker_env(redis_url: str, **extra: str) -> dict[str, str]:
    """Services-mode settings pointing at the test database the suite is using."""
    db = connection.settings_dict
    url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="algobacktester.settings.base",
        DATABASE_URL=url,
        REDIS_URL=redis_url,
        LOG_LEVEL="WARNING",
        # Test workers start and stop often: they compile lazily, as before the warm-up hook.
        ENGINE_WARM_ON_START="false",
        **extra,
    )
    return env


@contextmanager
def worker_process(
    *,
    env: dict[str, str],
    queues: str = "backtests,default",
    concurrency: int = 1,
    name: str = "test",
    include: str | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """A ``celery worker`` in a new process group; stopped (killed) on exit.

    ``include`` names a module the worker imports for extra tasks (e.g. a test's own).
    """
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "algobacktester",
        "worker",
        "-Q",
        queues,
        "-c",
        str(concurrency),
        "-P",
        "prefork",
        "-n",
        f"{name}-{time.time_ns()}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-l",
        "WARNING",
    ]
    if include:
        command += ["--include", include]
    proc = subprocess.Popen(  # noqa: S603 - our own argv
        command,
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield proc
    finally:
        kill_group(proc)


def kill_group(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    if sig == signal.SIGKILL:
        proc.wait(timeout=10)


def wait_for(
    predicate: object, *, timeout: float, interval: float = 0.05, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


def reset_producer_pool() -> None:
    """The Celery app caches broker connections; drop them so a changed broker URL is used.

    Not closed: kombu's global producer pools may still hold them.
    """
    from algobacktester.celery import app

    app._pool = None
    app.amqp._producer_pool = None
    # The result backend is cached per thread (an eager run may have made a memory one), and
    # async tests call Celery from asgiref's executor thread, not this one: a fresh
    # thread-local drops every thread's copy, or ``result.get`` waits on a stale backend.
    app._backend_cache = None
    app._local = threading.local()


@contextmanager
def tasks_on_redis(test_settings: Any) -> Iterator[str]:
    """Send this test's tasks to the test Redis (flushed) for real worker processes, not
    eagerly; restore Celery's settings after. Yields the Redis URL (the workers' broker)."""
    import redis

    from algobacktester.celery import app

    url = test_settings.TEST_REDIS_URL
    redis.Redis.from_url(url).flushdb()
    saved = {k: app.conf[k] for k in ("broker_url", "result_backend", "task_always_eager")}
    app.conf.update(broker_url=url, result_backend=url, task_always_eager=False)
    test_settings.CELERY_TASK_ALWAYS_EAGER = False
    reset_producer_pool()
    try:
        yield url
    finally:
        app.conf.update(saved)
        reset_producer_pool()


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def asgi_server_process(*, env: dict[str, str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    """The ASGI app under uvicorn on ``127.0.0.1:port`` in a new process group, as it is
    served (so channels-redis, the database settings and uvicorn's pings are the real ones);
    killed on exit."""
    import socket

    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "algobacktester.asgi:application",
        "--no-proxy-headers",
    ]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    proc = subprocess.Popen(  # noqa: S603 - our own argv
        command, cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL
    )

    def listening() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {proc.returncode}")
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    try:
        wait_for(listening, timeout=60, interval=0.2, what="uvicorn to listen")
        yield proc
    finally:
        kill_group(proc)
