"""gunicorn settings for the web process (Procfile, Dockerfile, docker-compose.yml).

    gunicorn algobacktester.asgi:application -c gunicorn.conf.py

Workers: ``WEB_CONCURRENCY``, else one per core (measured with bench/bench_http.py; see
docs/operations.md, "Sizing the web and worker processes"). The worker class is ours: uvicorn's
without its reading of ``X-Forwarded-For`` (algobacktester/asgi_worker.py). Command-line flags
(``--bind``, ``--workers``) still override what is set here.
"""

from __future__ import annotations

import gc
import os


def default_workers() -> int:
    """``WEB_CONCURRENCY`` when set (a positive integer), else the number of usable cores."""
    raw = os.environ.get("WEB_CONCURRENCY", "").strip()
    if raw:
        count = int(raw)
        if count < 1:
            raise ValueError(f"WEB_CONCURRENCY must be 1 or more, not {raw!r}")
        return count
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(cores, 1)


# Each web worker keeps a pool of database connections (algobacktester/settings/base.py):
# requests borrow one instead of connecting. Workers x size must stay under PostgreSQL's
# max_connections (100 by default) with the Celery workers' connections (docs/operations.md).
os.environ.setdefault("DB_POOL_MAX_SIZE", "8")

workers = default_workers()
worker_class = "algobacktester.asgi_worker.UvicornWorker"
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# Seconds an idle keep-alive connection stays open (gunicorn's default is 2): a client or
# reverse proxy that sends its next request within this reuses the connection instead of a
# new TCP handshake. Keep it below the proxy's own upstream idle timeout.
keepalive = int(os.environ.get("WEB_KEEPALIVE", "5"))


def post_worker_init(worker: object) -> None:
    """After the app is loaded in the worker: move its start-up objects (Django, numba,
    pandas: ~250,000) out of the garbage collector's reach, so a full collection during a
    request does not walk them all again (algobacktester/celery.py does the same)."""
    gc.freeze()
