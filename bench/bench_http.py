"""HTTP under load: requests/s and p50/p95/p99 latency of the served app, as users feel it.

The app runs in a subprocess under gunicorn with our UvicornWorker (``gunicorn.conf.py``,
``WEB_CONCURRENCY`` workers), gets real JWTs over HTTP (register/login), then 20 concurrent
clients (aiohttp, one event loop) hit each endpoint for a bounded time:

    GET  /api/backtest/{id}             the demo run (summary, stats, curves; gzip)
    GET  /api/backtest/{id}/trades      the demo run's first trade page (50)
    GET  /api/strategies                the demo user's list
    GET  /api/indicators                the catalogue
    GET  /api/backtest/{id}/trades.csv  the demo run's trades
    POST /api/backtest                  one user per client; 429 (per-user cap) counted apart

Goals (issue 13): p95 <= 100 ms and >= 400 req/s at 20 clients. Before: ``GET
/api/backtest/{id}`` p95 1.5 s at 20 clients, ``GET /api/strategies`` 64-85 req/s.

    .venv/bin/python bench/bench_http.py [--modes embedded,services] [--workers 1,2,4]
        [--clients 20] [--seconds 10] [--only /api/strategies] [--json var/bench_http.json]

embedded: SQLite under a temporary VAR_DIR (``migrate`` + ``seed_demo``), eager Celery, so a
POST runs its backtest inside the web worker. services: PostgreSQL database ``bench_http`` on
127.0.0.1 (created, trust auth, user postgres; dropped and re-created each run) and Redis db 7;
one Celery worker runs during seeding only, so POSTs measure the enqueue (their runs stay
queued). Services mode is skipped, saying why, when PostgreSQL or Redis is not reachable.
The clients share the machine with the server: on a small box they take CPU from it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = "bench_http"
REDIS = "redis://127.0.0.1:6379/7"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PASSWORD = "bench-http-pass-123456"
DEMO_EMAIL = "demo@algobacktester.local"
# Compiled kernels survive between bench runs (the first run compiles: 20-50 s).
NUMBA_CACHE = Path(tempfile.gettempdir()) / "algobacktester-bench-numba"
GOAL_P95_MS = 100
GOAL_RPS = 400
WARMUP = 1.0  # seconds of unmeasured load before each GET endpoint
REQUEST_TIMEOUT = 60  # an embedded POST runs its backtest in the request's worker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="embedded,services")
    parser.add_argument("--workers", default=str(os.cpu_count() or 1), help="e.g. 1,2,4")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0, help="per endpoint")
    parser.add_argument("--days", type=int, default=60, help="demo candles (trading days)")
    parser.add_argument("--json", type=Path, help="write the results here too")
    parser.add_argument(
        "--only",
        default="",
        help='endpoints by the end of their name: "/api/backtest/{id},/api/strategies"',
    )
    args = parser.parse_args()
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        print("SKIP: aiohttp is not installed (bench/requirements.txt)")
        return
    workers = [int(w) for w in args.workers.split(",")]
    results: list[dict] = []
    for mode in args.modes.split(","):
        if mode == "services":
            missing = _services_missing()
            if missing:
                print(f"SKIP services mode: {missing}")
                continue
        with _seeded(mode, args.days) as env:
            for count in workers:
                results += _bench_mode(mode, env, count, args.clients, args.seconds, args.only)
    _print_table(results, args.clients, args.seconds)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
        print(f"JSON: {args.json}")
    else:
        print(json.dumps(results))


# --- environments -------------------------------------------------------------------------


def _base_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PYTEST")) and k not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        LOG_LEVEL="WARNING",
        DEMO_PASSWORD=PASSWORD,
        NUMBA_CACHE_DIR=str(NUMBA_CACHE),
        ENGINE_WARM_ON_START="false",
        # Many bench accounts from one address; the per-user run cap stays the default.
        THROTTLE_REGISTER_IP="100000/hour",
        THROTTLE_LOGIN_IP="100000/min",
        **extra,
    )
    return env


def _services_missing() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3):
            pass
    except Exception as exc:
        return f"PostgreSQL is not reachable on 127.0.0.1:5432 ({type(exc).__name__})"
    try:
        import redis

        redis.Redis.from_url(REDIS, socket_connect_timeout=3).ping()
    except Exception as exc:
        return f"Redis is not reachable on 127.0.0.1:6379 ({type(exc).__name__})"
    return None


@contextmanager
def _seeded(mode: str, days: int):
    with tempfile.TemporaryDirectory(prefix="bench-http-") as var:
        if mode == "embedded":
            env = _base_env(VAR_DIR=var)
        else:
            import psycopg
            import redis

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
                conn.execute(f"CREATE DATABASE {DB}")
            redis.Redis.from_url(REDIS).flushdb()
            env = _base_env(
                VAR_DIR=var,
                DJANGO_SETTINGS_MODULE="algobacktester.settings.base",
                DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DB}",
                REDIS_URL=REDIS,
            )
        started = time.perf_counter()
        _manage(env, "migrate", "--noinput", "--verbosity", "0")
        if mode == "embedded":
            _manage(env, "seed_demo", "--days", str(days))
        else:
            with _celery_worker(env):
                _manage(env, "seed_demo", "--days", str(days))
                _wait_demo_run_done(env)
        print(f"[{mode}] migrated and seeded in {time.perf_counter() - started:.0f} s")
        yield env


def _manage(env: dict[str, str], *argv: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *argv],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


@contextmanager
def _celery_worker(env: dict[str, str]):
    command = [sys.executable, "-m", "celery", "-A", "algobacktester", "worker"]
    command += ["-Q", "backtests,default", "-c", "1", "-n", f"bench-http-{os.getpid()}@%h"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"]
    with (Path(env["VAR_DIR"]) / "celery.log").open("wb") as sink:
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )
    try:
        yield proc
    finally:
        _kill(proc)


def _wait_demo_run_done(env: dict[str, str]) -> None:
    code = (
        "import django,sys; django.setup();"
        "from backtests.models import BacktestRun;"
        "print(BacktestRun.objects.filter(owner__email=sys.argv[1]).values_list('status', flat=True).first())"
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        out = subprocess.run(
            [sys.executable, "-c", code, DEMO_EMAIL],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": "algobacktester.settings.base"},
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        if out in ("done", "failed", "cancelled"):
            return
        time.sleep(1)
    raise TimeoutError("the demo backtest did not finish in 180 s")


@contextmanager
def _server(env: dict[str, str], workers: int):
    port = _free_port()
    command = [sys.executable, "-m", "gunicorn", "algobacktester.asgi:application"]
    command += ["-c", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}"]
    command += ["--log-level", "warning"]
    log = Path(env["VAR_DIR"]) / f"gunicorn-{workers}.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**env, "WEB_CONCURRENCY": str(workers)},
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {proc.returncode}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise TimeoutError("gunicorn did not listen in 60 s")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        _kill(proc)
        tracebacks = log.read_text(errors="replace").count("Traceback (most recent call last)")
        if tracebacks:
            print(f"  server log: {tracebacks} tracebacks (e.g. SQLite 'database is locked')")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


# --- load ---------------------------------------------------------------------------------


def _bench_mode(
    mode: str, env: dict, workers: int, clients: int, seconds: float, only: str
) -> list[dict]:
    with _server(env, workers) as base:
        return asyncio.run(_load_all(mode, base, workers, clients, seconds, only))


def _chosen(name: str, only: str) -> bool:
    """``--only`` names endpoints by how their name ends ("/api/backtest/{id},/api/strategies";
    "POST /api/backtest" for the POST alone); empty: all."""
    return not only or any(part and name.endswith(part) for part in only.split(","))


async def _load_all(
    mode: str, base: str, workers: int, clients: int, seconds: float, only: str
) -> list:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as http:
        demo = await _login(http, DEMO_EMAIL)
        auth = {"Authorization": f"Bearer {demo}"}
        async with http.get("/api/backtest", headers=auth) as response:
            assert response.status == 200, await response.text()
            run_id = (await response.json())["results"][0]["id"]
        async with http.get(f"/api/backtest/{run_id}", headers=auth) as response:
            run = await response.json()
        # One account per client for POSTs, each with its own copy of the demo template.
        posters = []
        for n in range(clients):
            token = await _register(http, f"bench-{time.time_ns()}-{n}@example.com")
            headers = {"Authorization": f"Bearer {token}"}
            async with http.post(
                "/api/strategies/templates/ema_20_50_cross/clone", headers=headers, json={}
            ) as response:
                assert response.status in (200, 201), await response.text()
                strategy = (await response.json())["id"]
            body = {
                "strategy": strategy,
                "instrument": run["instrument"],
                "start": run["start"],
                "end": run["end"],
                "sizing": {"mode": "lots", "value": 1},
            }
            posters.append((headers, body))
        gets = [
            ("GET /api/backtest/{id}", f"/api/backtest/{run_id}"),
            ("GET /api/backtest/{id}/trades", f"/api/backtest/{run_id}/trades"),
            ("GET /api/strategies", "/api/strategies"),
            ("GET /api/indicators", "/api/indicators"),
            ("GET /api/backtest/{id}/trades.csv", f"/api/backtest/{run_id}/trades.csv"),
        ]
        gets = [g for g in gets if _chosen(g[0], only)]
        results = []
        for name, path in gets:
            # Unmeasured warm-up: every worker imports, connects and fills its caches.
            await _load(http, name, clients, WARMUP, lambda n, p=path: ("GET", p, auth, None))
            results.append(
                await _load(http, name, clients, seconds, lambda n, p=path: ("GET", p, auth, None))
            )
            results[-1].update(mode=mode, workers=workers)
            _print_row(results[-1])
        if not _chosen("POST /api/backtest", only):
            return results
        results.append(
            await _load(
                http,
                "POST /api/backtest",
                clients,
                seconds,
                lambda n: ("POST", "/api/backtest", posters[n][0], posters[n][1]),
            )
        )
        results[-1].update(mode=mode, workers=workers)
        _print_row(results[-1])
        return results


async def _login(http, email: str) -> str:
    async with http.post("/api/auth/login", json={"email": email, "password": PASSWORD}) as r:
        assert r.status == 200, await r.text()
        return (await r.json())["access"]


async def _register(http, email: str) -> str:
    async with http.post("/api/auth/register", json={"email": email, "password": PASSWORD}) as r:
        assert r.status == 201, await r.text()
        return (await r.json())["access"]


async def _load(http, name: str, clients: int, seconds: float, request) -> dict:
    latencies: list[float] = []  # successful (2xx) responses only
    statuses: dict[int, int] = {}
    errors = 0
    stop = time.perf_counter() + seconds

    async def client(n: int) -> None:
        nonlocal errors
        while time.perf_counter() < stop:
            method, path, headers, body = request(n)
            started = time.perf_counter()
            try:
                async with http.request(method, path, headers=headers, json=body) as response:
                    await response.read()
                    status = response.status
            except Exception:
                errors += 1
                continue
            statuses[status] = statuses.get(status, 0) + 1
            if status < 300:
                latencies.append(time.perf_counter() - started)

    began = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    elapsed = time.perf_counter() - began
    return {
        "endpoint": name,
        "clients": clients,
        "seconds": round(elapsed, 1),
        "ok": len(latencies),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": _pct(latencies, 50),
        "p95_ms": _pct(latencies, 95),
        "p99_ms": _pct(latencies, 99),
        "status_counts": {str(k): v for k, v in sorted(statuses.items())},
        "errors": errors,
    }


def _pct(values: list[float], pct: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0] * 1000, 1)
    return round(statistics.quantiles(values, n=100, method="inclusive")[pct - 1] * 1000, 1)


# --- report -------------------------------------------------------------------------------


def _print_row(row: dict) -> None:
    print(
        f"  [{row['mode']} w={row['workers']}] {row['endpoint']}: {row['rps']} req/s, "
        f"p95 {row['p95_ms']} ms, statuses {row['status_counts']}",
        flush=True,
    )


def _print_table(results: list[dict], clients: int, seconds: float) -> None:
    print(
        f"\n{clients} clients, {seconds:.0f} s per endpoint; "
        f"goals: p95 <= {GOAL_P95_MS} ms, >= {GOAL_RPS} req/s"
    )
    print("| mode | workers | endpoint | req/s (2xx) | p50 ms | p95 ms | p99 ms | other statuses |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in results:
        other = {k: v for k, v in row["status_counts"].items() if not k.startswith("2")}
        if row["errors"]:
            other["errors"] = row["errors"]
        shown = ", ".join(f"{k}: {v}" for k, v in other.items()) or "-"
        print(
            f"| {row['mode']} | {row['workers']} | `{row['endpoint']}` | {row['rps']} | "
            f"{row['p50_ms']} | {row['p95_ms']} | {row['p99_ms']} | {shown} |"
        )


if __name__ == "__main__":
    main()
