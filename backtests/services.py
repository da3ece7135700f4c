"""Writes for backtests: request, execute (exactly once), cancel, delete, re-run, reap.

Exactly-once (docs/adr/0007-backtest-exactly-once.md): Celery may deliver a task twice
or lose it with a dead worker. A worker *claims* a run with a conditional UPDATE that bumps
``attempt`` and takes a lease; it renews the lease at each stage and writes the result only
while its attempt is current. A periodic reaper re-queues runs whose lease lapsed.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.db import connections, transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone

from algobacktester.accounts.models import User
from algobacktester.bus import Event, emit, publish
from algobacktester.errors import InvalidInput, LimitExceeded, NotFound
from engine import ENGINE_VERSION
from engine.backtest import BacktestResult, run_backtest
from engine.graph import GraphValidationError, compile_graph, validate
from marketdata import selectors as md
from marketdata.models import Instrument
from strategies.models import StrategyVersion
from strategies.selectors import strategy_get, strategy_version_get

from . import config as run_config
from .models import ACTIVE, BacktestRun, BacktestSweep, BacktestTrade, RunStatus

logger = logging.getLogger(__name__)
IST_DAY_MINUTES = 375


class RunAbandonedError(Exception):
    """This worker no longer holds the run (cancelled, or another attempt took over)."""


# --- request ---------------------------------------------------------------------------


def backtest_request(*, user: User, strategy_id: int, instrument_id: int, start: date, end: date,
                     config: dict[str, Any], version: int | None = None,
                     timeframe: str | None = None) -> BacktestRun:  # fmt: skip
    strategy, pinned = strategy_pinned(user=user, strategy_id=strategy_id, version=version)
    instrument = instrument_for(instrument_id)
    timeframe = runnable_timeframe(pinned, timeframe)
    check_range(instrument, timeframe, start, end)
    check_concurrency(user)
    stored = run_config.normalise(config, lot_size=instrument.lot_size,
                                  tick_size=float(instrument.tick_size))  # fmt: skip
    return _enqueue(BacktestRun(owner=user, strategy=strategy, strategy_version=pinned,
                                instrument=instrument, timeframe=timeframe, start=start, end=end,
                                config=stored))  # fmt: skip


def strategy_pinned(
    *, user: User, strategy_id: int, version: int | None
) -> tuple[Any, StrategyVersion]:
    """The caller's strategy and the version to pin; a 404 naming the request field."""
    try:
        strategy = strategy_get(user=user, strategy_id=strategy_id)
    except Http404 as exc:
        raise NotFound({"strategy": [f"you have no strategy {strategy_id}"]}) from exc
    try:
        return strategy, strategy_version_get(user=user, strategy_id=strategy.pk, number=version)
    except Http404 as exc:
        raise NotFound({"version": [f"strategy {strategy_id} has no version {version}"]}) from exc


def _enqueue(run: BacktestRun) -> BacktestRun:
    from .tasks import backtest_execute_task

    with transaction.atomic():
        run.save()
        transaction.on_commit(lambda: backtest_execute_task.delay(run.pk))
    return run


def instrument_for(instrument_id: int) -> Instrument:
    instrument = Instrument.objects.filter(pk=instrument_id).first()
    if instrument is None:
        raise InvalidInput({"instrument": [f"no instrument with id {instrument_id}"]})
    return instrument


def runnable_timeframe(version: StrategyVersion, requested: str | None) -> str:
    errors = validate(version.graph)
    if errors:
        raise InvalidInput(errors=
            [{"field": "strategy", "node": e["node"],
              "message": f"version {version.number} is not runnable: {e['field']}: {e['message']}"}
             for e in errors], code="invalid_graph")  # fmt: skip
    native = version.graph.get("settings", {}).get("timeframe", "1m")
    if requested and requested != native:
        raise InvalidInput({"timeframe": [
            f"strategy version {version.number} runs on {native} bars, not {requested}"]})  # fmt: skip
    return native


def check_range(instrument: Instrument, timeframe: str, start: date, end: date) -> None:
    if end < start:
        raise InvalidInput({"end": ["must be on or after start"]})
    years = (end - start).days / 365.25
    if years > run_config.limits()["MAX_YEARS"]:
        raise InvalidInput(
            {"end": [f"a backtest spans at most {run_config.limits()['MAX_YEARS']} years"]}
        )
    _, rows = md.candles_source(instrument=instrument, timeframe=timeframe,
                                start=_ist_start(start), end=_ist_start(end + timedelta(days=1)))  # fmt: skip
    cap = run_config.limits()["MAX_BARS"]
    if rows > cap:
        raise InvalidInput({"end": [f"the range holds {rows:,} stored bars; a run reads at most "
                                       f"{cap:,}: narrow start/end or use a larger timeframe"]})  # fmt: skip


def _ist_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.get_fixed_timezone(330))


def check_concurrency(user: User) -> None:
    cap = run_config.limits()["MAX_CONCURRENT_RUNS"]
    active = (BacktestRun.objects.filter(owner=user, status__in=ACTIVE).count()
              + BacktestSweep.objects.filter(owner=user, status__in=ACTIVE).count())  # fmt: skip
    if active >= cap:
        raise LimitExceeded(retry_after=5, detail=f"concurrent runs: you have {active} queued or running; "
                                       f"the limit is {cap}. Wait for one to finish or cancel it.")  # fmt: skip


# --- execute -----------------------------------------------------------------------------


def backtest_execute(*, run_id: int) -> str:
    """Run the backtest if this worker can claim it; return what happened."""
    attempt = _claim(run_id)
    if attempt is None:
        return "skipped"
    started = time.perf_counter()
    try:
        with _lease_heartbeat(run_id, attempt):
            result, bars_hash = _compute(run_id, attempt)
        _store(run_id, attempt, result, bars_hash, started)
    except RunAbandonedError:
        return "abandoned"
    except SoftTimeLimitExceeded:
        _fail(run_id, attempt, "the run exceeded its time limit; narrow the range or the timeframe")
        return "failed"
    except _RunError as exc:
        _fail(run_id, attempt, str(exc))
        return "failed"
    except Exception as exc:  # a bug, not the user's input: record it rather than leave it running
        logger.exception("backtest %s crashed", run_id)
        _fail(
            run_id,
            attempt,
            f"internal error ({type(exc).__name__}); the operators have the details",
        )
        return "failed"
    return "done"


@contextmanager
def _lease_heartbeat(run_id: int, attempt: int) -> Iterator[None]:
    """Renew the lease from a side thread while a long stage (load, simulate) runs, so only a
    dead worker's lease lapses, however long a healthy stage takes."""
    lease = run_config.limits()["LEASE_SECONDS"]
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(lease / 3):
                BacktestRun.objects.filter(pk=run_id, attempt=attempt, status=RunStatus.RUNNING).update(
                    lease_until=timezone.now() + timedelta(seconds=lease))  # fmt: skip
        finally:
            connections.close_all()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"lease-{run_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


class _RunError(Exception):
    """A readable reason the run cannot finish (recorded on the row)."""


def _claim(run_id: int) -> int | None:
    now = timezone.now()
    lease = now + timedelta(seconds=run_config.limits()["LEASE_SECONDS"])
    claimable = Q(status=RunStatus.QUEUED) | Q(status=RunStatus.RUNNING, lease_until__lt=now)
    with transaction.atomic():
        updated = BacktestRun.objects.filter(claimable, pk=run_id).update(
            status=RunStatus.RUNNING, attempt=F("attempt") + 1, lease_until=lease,
            worker=_worker_name(), started_at=now, progress=1.0)  # fmt: skip
        if not updated:
            return None
        run = BacktestRun.objects.only("attempt", "owner_id").get(pk=run_id)
    _progress(run_id, run.attempt, 1.0, "claimed", owner_id=run.owner_id)
    return run.attempt


def _worker_name() -> str:
    import os

    return f"{socket.gethostname()}:{os.getpid()}"


def _progress(run_id: int, attempt: int, pct: float, stage: str, *, owner_id: int) -> None:
    """Renew the lease and record progress; raise RunAbandonedError if the run is no longer ours."""
    lease = timezone.now() + timedelta(seconds=run_config.limits()["LEASE_SECONDS"])
    ours = BacktestRun.objects.filter(pk=run_id, attempt=attempt, status=RunStatus.RUNNING)
    if not ours.update(progress=pct, lease_until=lease):
        raise RunAbandonedError(run_id)
    # Outside any transaction (the UPDATE above is committed): publish now, not on commit.
    publish(Event(type="backtest.progress", user_id=owner_id,
                  data={"id": run_id, "progress": pct, "stage": stage}))  # fmt: skip


def _compute(run_id: int, attempt: int) -> tuple[BacktestResult, str]:
    run = BacktestRun.objects.select_related("instrument", "strategy_version").get(pk=run_id)
    try:
        compiled = compile_graph(run.strategy_version.graph)
    except GraphValidationError as exc:
        raise _RunError(str(exc)) from exc
    bars = md.candles_load(instrument=run.instrument, timeframe=run.timeframe, start=run.start,
                           end=run.end)  # fmt: skip
    if len(bars) == 0:
        raise _RunError(f"no {run.instrument.symbol} {run.timeframe} candles between {run.start} and "
                        f"{run.end}: import or ingest them first")  # fmt: skip
    _progress(run_id, attempt, 30.0, "data loaded", owner_id=run.owner_id)
    data_hash = md.data_snapshot_hash(instrument=run.instrument, timeframe=run.timeframe,
                                      start=run.start, end=run.end, bars=bars)  # fmt: skip
    try:
        result = run_backtest(bars, compiled, run_config.sim_config(run.config))
    except ValueError as exc:  # a config the engine refuses (e.g. a fee plugin's rule)
        raise _RunError(f"the engine refused the run: {exc}") from exc
    _progress(run_id, attempt, 80.0, "simulated", owner_id=run.owner_id)
    return result, data_hash


def _store(
    run_id: int, attempt: int, result: BacktestResult, data_hash: str, started: float
) -> None:
    with transaction.atomic():
        run = BacktestRun.objects.select_for_update().get(pk=run_id)
        if run.attempt != attempt or run.status != RunStatus.RUNNING:
            raise RunAbandonedError(run_id)
        body = result.to_dict(max_points=run_config.limits()["CURVE_POINTS"])
        BacktestTrade.objects.filter(run_id=run_id).delete()
        BacktestTrade.objects.bulk_create(_trade_rows(run_id, body["trades"]), batch_size=2000)
        run.status, run.progress, run.error = RunStatus.DONE, 100.0, ""
        run.stats, run.equity_curve = body["stats"], body["equity_curve"]
        run.drawdown_curve, run.rejections = body["drawdown_curve"], body["rejections"][:1000]
        run.data_hash, run.engine_version, run.bars = data_hash, ENGINE_VERSION, len(result.bars)
        run.finished_at, run.lease_until = timezone.now(), None
        run.duration_ms = int((time.perf_counter() - started) * 1000)
        run.save()
        _announce(run, "backtest.finished")


def _trade_rows(run_id: int, trades: list[dict[str, Any]]) -> list[BacktestTrade]:
    return [
        BacktestTrade(
            run_id=run_id, seq=i + 1, side=t["side"],
            entry_time=datetime.fromisoformat(t["entry_time"]), exit_time=datetime.fromisoformat(t["exit_time"]),
            entry_price=_dec(t["entry_price"], 4), exit_price=_dec(t["exit_price"], 4),
            quantity=_dec(t["qty"], 4), pnl=_dec(t["pnl"], 2), return_pct=t["return_pct"],
            charges=_dec(t["charges"], 2),
            charges_breakdown={k[8:]: v for k, v in t.items() if k.startswith("charges_")},
            exit_reason=t["exit_reason"], bars_held=max(0, int(t["exit_bar"]) - int(t["entry_bar"])),
        )
        for i, t in enumerate(trades)
    ]  # fmt: skip


def _dec(value: float | None, places: int) -> Decimal:
    return Decimal(str(round(value or 0.0, places)))


def _fail(run_id: int, attempt: int, reason: str) -> None:
    with transaction.atomic():
        updated = BacktestRun.objects.filter(pk=run_id, attempt=attempt, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED, error=reason[:2000], finished_at=timezone.now(), lease_until=None)  # fmt: skip
        if updated:
            _announce(BacktestRun.objects.get(pk=run_id), "backtest.failed")


def _announce(run: BacktestRun, kind: str) -> None:
    """After commit, on the bus: /ws/ and the owner's alert rules hear it (once per run)."""
    data = {"id": run.pk, "status": run.status, "error": run.error or None,
            "strategy": run.strategy_version.strategy_name if run.strategy_version_id else None,
            "return_pct": (run.stats or {}).get("return_pct")}  # fmt: skip
    emit(Event(type=kind, user_id=run.owner_id, data=data, key=f"{kind}:{run.pk}"))


# --- cancel, delete, re-run, reap ------------------------------------------------------------


def backtest_cancel(*, run: BacktestRun) -> BacktestRun:
    updated = BacktestRun.objects.filter(pk=run.pk, status__in=ACTIVE).update(
        status=RunStatus.CANCELLED, finished_at=timezone.now(), lease_until=None)  # fmt: skip
    run.refresh_from_db()
    if not updated:
        raise InvalidInput(
            {
                "status": [
                    f"the run is already {run.status}; only queued or running runs can be cancelled"
                ]
            }
        )
    emit(Event(type="backtest.cancelled", user_id=run.owner_id, data={"id": run.pk}))
    return run


def backtest_delete(*, run: BacktestRun) -> None:
    if run.status == RunStatus.RUNNING:
        raise InvalidInput({"status": ["the run is running: cancel it first"]})
    run.delete()


def backtest_rerun(*, user: User, run: BacktestRun) -> BacktestRun:
    """The same pinned version, instrument, range and config: the same trades."""
    check_concurrency(user)
    return _enqueue(BacktestRun(owner=user, strategy=run.strategy, strategy_version=run.strategy_version,
                                instrument=run.instrument, timeframe=run.timeframe, start=run.start,
                                end=run.end, config=run.config, rerun_of=run))  # fmt: skip


def backtests_reap() -> int:
    """Re-queue runs whose worker vanished (lease lapsed); fail those out of attempts."""
    from .tasks import backtest_execute_task

    now, limit = timezone.now(), run_config.limits()["MAX_ATTEMPTS"]
    stale = BacktestRun.objects.filter(status=RunStatus.RUNNING, lease_until__lt=now)
    exhausted = stale.filter(attempt__gte=limit)
    for run_id in exhausted.values_list("pk", flat=True):
        attempt = BacktestRun.objects.values_list("attempt", flat=True).get(pk=run_id)
        _fail(run_id, attempt, f"the worker running it stopped {limit} times; the run was given up")
    requeue = list(stale.filter(attempt__lt=limit).values_list("pk", flat=True))
    # A queued run whose message never reached a worker (broker restart): send it again; the
    # claim makes a duplicate harmless.
    forgotten = now - timedelta(seconds=run_config.limits()["QUEUED_RESEND_SECONDS"])
    requeue += BacktestRun.objects.filter(status=RunStatus.QUEUED, created_at__lt=forgotten).values_list(
        "pk", flat=True)  # fmt: skip
    for run_id in requeue:
        backtest_execute_task.delay(run_id)
    return len(requeue)
