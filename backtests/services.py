"""Writes for backtests: request, execute (exactly once), cancel, delete, re-run, reap.

Exactly-once (docs/adr/0007-backtest-exactly-once.md, docs/adr/0008-leases.md): Celery may
deliver a task twice or lose it with a dead worker. A worker *claims* a run with the shared
lease (``workers.leases``): a conditional UPDATE that bumps ``attempts``; it renews the lease
while it works and writes the result only while its attempt is current. A periodic reaper
re-queues runs whose lease lapsed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from algobacktester.accounts.models import User
from algobacktester.bus import Event, emit, publish
from algobacktester.errors import InvalidInput, LimitExceeded, NotFound
from engine import ENGINE_VERSION
from engine.backtest import BacktestResult, run_backtest
from engine.graph import GraphValidationError, compile_graph, unexecutable_actions, validate
from marketdata import selectors as md
from marketdata.models import Instrument
from strategies.models import StrategyVersion
from strategies.selectors import strategy_get, strategy_version_get
from workers.leases import (
    DATABASE_ERRORS,
    Lease,
    LeaseLostError,
    lease_check,
    lease_claim,
    lease_heartbeat,
    lease_release,
    lease_renew,
    lease_retry,
    leases_reap,
    queued_to_resend,
)

from . import config as run_config
from . import storage
from .models import ACTIVE, BacktestRun, BacktestSweep, RunStatus
from .options import options_checked, quantity_checked, with_options
from .presentation import rejection_counts

logger = logging.getLogger(__name__)
IST_DAY_MINUTES = 375


# --- request ---------------------------------------------------------------------------


def backtest_request(
    *,
    user: User,
    strategy_id: int,
    instrument_ref: int | str,
    start: date,
    end: date,
    config: dict[str, Any],
    version: int | None = None,
    timeframe: str | None = None,
) -> BacktestRun:
    strategy, pinned = strategy_pinned(user=user, strategy_id=strategy_id, version=version)
    instrument = instrument_for(instrument_ref)
    timeframe = runnable_timeframe(pinned, timeframe)
    check_range(instrument, timeframe, start, end, exact=False)
    check_concurrency(user)
    legs = options_checked(
        graph=pinned.graph, config=config, instrument=instrument, start=start, end=end
    )
    config = {**config, "options": legs} if legs else config
    quantity_checked(graph=pinned.graph, sizing=config.get("sizing") or {})
    stored = run_config.normalise(config, **run_config.instrument_facts(instrument, start=start))
    return _enqueue(
        BacktestRun(
            owner=user,
            strategy=strategy,
            strategy_version=pinned,
            instrument=instrument,
            timeframe=timeframe,
            start=start,
            end=end,
            config=stored,
        )
    )


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


def instrument_for(ref: int | str) -> Instrument:
    """By id or symbol ("NIFTY"); a 400 on ``instrument`` when there is no such one."""
    return md.instrument_by_ref(ref=ref)


def check_executable(version: StrategyVersion, *, sweep: bool = False) -> None:
    """Refuse a run that would not do what the graph says (engine.graph.capabilities)."""
    problems = unexecutable_actions(version.graph, legs=not sweep)
    if problems:
        raise InvalidInput(
            errors=[
                {**p, "message": f"version {version.number}: {p['message']}"} for p in problems
            ],
            code="not_executable",
        )


def runnable_timeframe(
    version: StrategyVersion, requested: str | None, *, sweep: bool = False
) -> str:
    errors = validate(version.graph)
    if errors:
        raise InvalidInput(
            errors=[
                {
                    "field": "strategy",
                    "node": e["node"],
                    "message": f"version {version.number} is not runnable: {e['field']}: {e['message']}",
                }
                for e in errors
            ],
            code="invalid_graph",
        )
    check_executable(version, sweep=sweep)
    native = version.graph.get("settings", {}).get("timeframe", "1m")
    if requested and requested != native:
        raise InvalidInput(
            {
                "timeframe": [
                    f"strategy version {version.number} runs on {native} bars, not {requested}"
                ]
            }
        )
    return native


def check_range(
    instrument: Instrument, timeframe: str, start: date, end: date, *, exact: bool = True
) -> int:
    """Refuse a range too long or too dense to run; return its stored bars (counted, not read).

    ``exact=False`` (a backtest, which only needs to be under the cap): when the range could
    not hold more bars than the cap even with a one-minute bar every minute of every day,
    nothing is counted (a year of 1m bars: a scan of ~94,000 index entries on each submit)
    and that bound is returned. A sweep sizes its work by the exact count."""
    if end < start:
        raise InvalidInput({"end": ["must be on or after start"]})
    years = (end - start).days / 365.25
    if years > run_config.limits()["MAX_YEARS"]:
        raise InvalidInput(
            {"end": [f"a backtest spans at most {run_config.limits()['MAX_YEARS']} years"]}
        )
    lo, hi = _ist_start(start), _ist_start(end + timedelta(days=1))
    cap = run_config.limits()["MAX_BARS"]
    bound = int((hi - lo).total_seconds() // 60)
    if not exact and bound <= cap:
        return bound
    _, rows = md.candles_source(instrument=instrument, timeframe=timeframe, start=lo, end=hi)
    if rows > cap:
        raise InvalidInput(
            {
                "end": [
                    f"the range holds {rows:,} stored bars; a run reads at most "
                    f"{cap:,}: narrow start/end or use a larger timeframe"
                ]
            }
        )
    return rows


def _ist_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.get_fixed_timezone(330))


def check_concurrency(user: User) -> None:
    cap = run_config.limits()["MAX_CONCURRENT_RUNS"]
    active = (
        BacktestRun.objects.filter(owner=user, status__in=ACTIVE).count()
        + BacktestSweep.objects.filter(owner=user, status__in=ACTIVE).count()
    )
    if active >= cap:
        raise LimitExceeded(
            retry_after=5,
            detail=f"concurrent runs: you have {active} queued or running; "
            f"the limit is {cap}. Wait for one to finish or cancel it.",
        )


# --- execute -----------------------------------------------------------------------------


def backtest_execute(*, run_id: int) -> str:
    """Run the backtest if this worker can claim it; return what happened."""
    stages = Stages()
    with stages("claim"):
        lease = _claim(run_id)
    if lease is None:
        return "skipped"
    started = time.perf_counter()
    try:
        owner_id = BacktestRun.objects.values_list("owner_id", flat=True).get(pk=run_id)
        _progress(lease, 1.0, "claimed", owner_id=owner_id, stages=stages)
        with lease_heartbeat(lease):
            result, bars_hash = _compute(lease, stages)
        _store(lease, result, bars_hash, started, stages)
        BacktestRun.objects.filter(pk=run_id, attempts=lease.attempt).update(stage_ms=stages.ms)
    except LeaseLostError:  # cancelled, or another attempt took over: write nothing
        return "abandoned"
    except DATABASE_ERRORS as exc:  # a restart, failover or killed backend: not the run's fault
        return _retry_after_database_error(lease, exc)
    except SoftTimeLimitExceeded:
        _fail(lease, "the run exceeded its time limit; narrow the range or the timeframe")
        return "failed"
    except _RunError as exc:
        _fail(lease, str(exc))
        return "failed"
    except Exception as exc:  # a bug, not the user's input: record it rather than leave it running
        logger.exception("backtest %s crashed", run_id)
        _fail(lease, f"internal error ({type(exc).__name__}); the operators have the details")
        return "failed"
    return "done"


class Stages:
    """Where a run's time went, milliseconds by stage (added up when a stage repeats): kept
    on the row (``stage_ms``) for operators and bench/bench_backtests_service.py."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, began)

    def add(self, name: str, began: float, until: float | None = None) -> None:
        spent = ((until or time.perf_counter()) - began) * 1000
        self.ms[name] = round(self.ms.get(name, 0.0) + spent, 2)


class _RunError(Exception):
    """A readable reason the run cannot finish (recorded on the row)."""


def _retry_after_database_error(lease: Lease, exc: Exception) -> str:
    """Back to the queue with this attempt counted, sent again after a backoff; out of
    attempts, failed with the error as the reason."""
    from .tasks import backtest_execute_task

    logger.warning("backtest %s attempt %s: database error %r", lease.pk, lease.attempt, exc)
    limit = run_config.limits()["MAX_ATTEMPTS"]
    return lease_retry(
        lease,
        ready=RunStatus.QUEUED,
        max_attempts=limit,
        give_up=lambda lost: _fail(
            lost, f"the database failed {limit} times during the run ({first_line(exc)})"
        ),
        resend=lambda countdown: backtest_execute_task.apply_async(
            (lease.pk,), countdown=countdown
        ),
        backoff_seconds=run_config.limits()["DATABASE_RETRY_SECONDS"],
    )


def first_line(exc: Exception) -> str:
    """``OperationalError: terminating connection …``: a reason short enough for a row."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _claim(run_id: int) -> Lease | None:
    lease = lease_claim(
        BacktestRun,
        pk=run_id,
        ready=(RunStatus.QUEUED,),
        held=RunStatus.RUNNING,
        seconds=run_config.limits()["LEASE_SECONDS"],
        fields={"started_at": timezone.now(), "progress": 1.0},
    )
    return lease


def _progress(
    lease: Lease, pct: float, stage: str, *, owner_id: int, stages: Stages | None = None
) -> None:
    """Renew the lease and record progress; raise LeaseLostError if the run is no longer ours."""
    stages = stages or Stages()
    with stages("progress"):
        renewed = lease_renew(lease, fields={"progress": pct})
    if not renewed:
        raise LeaseLostError(f"backtest {lease.pk} attempt {lease.attempt}")
    # Outside any transaction (the UPDATE above is committed): publish now, not on commit.
    with stages("notify"):
        _publish_progress(lease, pct, stage, owner_id)


def _publish_progress(lease: Lease, pct: float, stage: str, owner_id: int) -> None:
    publish(
        Event(
            type="backtest.progress",
            user_id=owner_id,
            data={"id": lease.pk, "progress": pct, "stage": stage},
        )
    )


def _compute(lease: Lease, stages: Stages | None = None) -> tuple[BacktestResult, str]:
    stages = stages or Stages()
    run = BacktestRun.objects.select_related("instrument", "strategy_version").get(pk=lease.pk)
    try:
        with stages("engine"):
            compiled = compile_graph(run.strategy_version.graph)
    except GraphValidationError as exc:
        raise _RunError(str(exc)) from exc
    with stages("read"):
        bars = md.candles_load(
            instrument=run.instrument, timeframe=run.timeframe, start=run.start, end=run.end
        )
    if len(bars) == 0:
        raise _RunError(
            f"no {run.instrument.symbol} {run.timeframe} candles between {run.start} and "
            f"{run.end}: import or ingest them first"
        )
    _progress(lease, 30.0, "data loaded", owner_id=run.owner_id, stages=stages)
    with stages("read"):
        data_hash = md.data_snapshot_hash(
            instrument=run.instrument,
            timeframe=run.timeframe,
            start=run.start,
            end=run.end,
            bars=bars,
        )
    try:
        sim = with_options(
            run_config.sim_config(run.config),
            config=run.config,
            instrument=run.instrument,
            start=run.start,
            end=run.end,
        )
        with stages("engine"):
            result = run_backtest(bars, compiled, sim)
    except ValueError as exc:  # a config the engine refuses (e.g. a fee plugin's rule)
        raise _RunError(f"the engine refused the run: {exc}") from exc
    _progress(lease, 80.0, "simulated", owner_id=run.owner_id, stages=stages)
    return result, data_hash


def _store(
    lease: Lease,
    result: BacktestResult,
    data_hash: str,
    started: float,
    stages: Stages | None = None,
) -> None:
    """Trades by COPY from the arrays, the rest on the row, and the answer's result part
    rendered once (backtests.storage; docs/adr/0012-results-as-data.md). ``store`` lasts
    until the commit; ``notify`` is the announcement's subscribers, run after it."""
    stages, began, marks = stages or Stages(), time.perf_counter(), {}
    with transaction.atomic():
        lease_check(lease, lock=True)  # held until commit: no other attempt can interleave
        storage.commit_without_flush_wait()
        run = BacktestRun.objects.select_related("owner", "instrument", "strategy_version").get(
            pk=lease.pk
        )
        body = result.summary_dict(max_points=run_config.limits()["CURVE_POINTS"])
        storage.trades_write(lease.pk, result.trades)
        run.status, run.progress, run.error = RunStatus.DONE, 100.0, ""
        # An option run's premium source and per-leg statistics ride with its stats.
        legs = {k: body[k] for k in ("premium_source", "leg_stats") if k in body}
        run.stats, run.equity_curve = {**body["stats"], **legs}, body["equity_curve"]
        run.rejected_entries = rejection_counts(body)  # the stored list is capped
        run.drawdown_curve, run.rejections = body["drawdown_curve"], body["rejections"][:1000]
        run.open_position = body.get("open_position")
        run.data_hash, run.engine_version, run.bars = data_hash, ENGINE_VERSION, len(result.bars)
        run.finished_at, run.lease_until = timezone.now(), None
        run.duration_ms = int((time.perf_counter() - started) * 1000)
        storage.result_prepare(run)  # rendered from the values just set, saved with them
        run.save()
        transaction.on_commit(lambda: marks.setdefault("committed", time.perf_counter()))
        _announce(run, "backtest.finished")
    committed = marks.get("committed")
    stages.add("store", began, committed)
    if committed is not None:  # else inside an outer transaction: its commit announces
        stages.add("notify", committed)


def _fail(lease: Lease, reason: str) -> bool:
    with transaction.atomic():
        updated = lease_release(
            lease,
            status=RunStatus.FAILED,
            fields={"error": reason[:2000], "finished_at": timezone.now()},
        )
        if updated:
            _announce(BacktestRun.objects.get(pk=lease.pk), "backtest.failed")
    return updated


def _announce(run: BacktestRun, kind: str) -> None:
    """After commit, on the bus: /ws/ and the owner's alert rules hear it (once per run)."""
    data = {
        "id": run.pk,
        "status": run.status,
        "error": run.error or None,
        "strategy": run.strategy_version.strategy_name if run.strategy_version_id else None,
        "return_pct": (run.stats or {}).get("return_pct"),
    }
    emit(Event(type=kind, user_id=run.owner_id, data=data, key=f"{kind}:{run.pk}"))


# --- cancel, delete, re-run, reap ------------------------------------------------------------


def backtest_cancel(*, run: BacktestRun) -> BacktestRun:
    updated = BacktestRun.objects.filter(pk=run.pk, status__in=ACTIVE).update(
        status=RunStatus.CANCELLED, finished_at=timezone.now(), lease_until=None
    )
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
    return _enqueue(
        BacktestRun(
            owner=user,
            strategy=run.strategy,
            strategy_version=run.strategy_version,
            instrument=run.instrument,
            timeframe=run.timeframe,
            start=run.start,
            end=run.end,
            config=run.config,
            rerun_of=run,
        )
    )


def _queued_runs_to_resend() -> list[int]:
    """Queued runs whose message may be lost (workers.leases.queued_to_resend)."""
    return queued_to_resend(
        BacktestRun,
        ready=RunStatus.QUEUED,
        first_seconds=run_config.limits()["QUEUED_RESEND_SECONDS"],
        key="backtests",
    )


def backtests_reap() -> int:
    """Re-queue runs whose worker vanished (lease lapsed); fail those out of attempts."""
    from .tasks import backtest_execute_task

    # A queued run whose message never reached a worker (broker restart): send it again; the
    # claim makes a duplicate harmless. Looked up first, so a run re-queued below is sent once.
    resend = _queued_runs_to_resend()
    for run_id in resend:
        backtest_execute_task.delay(run_id)
    limit = run_config.limits()["MAX_ATTEMPTS"]
    counts = leases_reap(
        BacktestRun,
        ready=RunStatus.QUEUED,
        held=RunStatus.RUNNING,
        max_attempts=limit,
        requeue=backtest_execute_task.delay,
        give_up=lambda lease: _fail(
            lease, f"the worker running it stopped {limit} times; the run was given up"
        ),
    )
    return counts.requeued + len(resend)
