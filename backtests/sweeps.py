"""Parameter sweeps: fanned out over workers in chunks, gathered into a table and a heatmap.

Each chunk is a row claimed with the shared lease (``workers.leases``, docs/adr/0008); only its
transition to done counts it, so a chunk task delivered twice is counted once, and the last
chunk to finish gathers.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from algobacktester.accounts.models import User
from algobacktester.bus import Event, emit, publish
from algobacktester.errors import InvalidInput
from engine import ENGINE_VERSION
from engine.bars import Bars
from engine.graph import GraphValidationError, compile_graph
from engine.metrics import NUMERIC_KEYS
from engine.signals import RiskSettings
from engine.sweep import ParamRange, SignalFn, grid, grid_size, run_sweep, signal_factory
from marketdata import selectors as md
from strategies.selectors import strategy_get, strategy_version_get
from workers.leases import (
    DATABASE_ERRORS,
    Lease,
    lease_claim,
    lease_heartbeat,
    lease_release,
    lease_retry,
    leases_reap,
)

from . import config as run_config
from .models import BacktestSweep, RunStatus, SweepChunk
from .services import (
    check_concurrency,
    check_range,
    first_line,
    instrument_for,
    runnable_timeframe,
)

logger = logging.getLogger(__name__)
MAX_VALUES_PER_PARAM = 1000
# Metrics where smaller is better; every other one is maximised.
MINIMIZE = {
    "volatility_ann_pct",
    "max_drawdown_duration_days",
    "avg_drawdown_duration_days",
    "total_charges",
    "max_trade_duration_days",
    "avg_trade_duration_days",
}


def sweep_request(
    *,
    user: User,
    strategy_id: int,
    instrument_ref: int | str,
    start: date,
    end: date,
    grid_spec: dict[str, Any],
    metric: str,
    config: dict[str, Any],
    constraint: str | None = None,
    version: int | None = None,
) -> BacktestSweep:
    strategy = strategy_get(user=user, strategy_id=strategy_id)
    pinned = strategy_version_get(user=user, strategy_id=strategy.pk, number=version)
    instrument = instrument_for(instrument_ref)
    timeframe = runnable_timeframe(pinned, None, sweep=True)
    bars = check_range(instrument, timeframe, start, end)
    check_concurrency(user)
    if metric not in NUMERIC_KEYS:
        raise InvalidInput({"metric": [f"unknown metric; choose from {', '.join(NUMERIC_KEYS)}"]})
    ranges = _ranges(grid_spec)
    _check_size(ranges, constraint, bars=bars)
    combos = _combos(ranges, constraint)
    _check_params(pinned.graph, combos)
    sweep = BacktestSweep(
        owner=user,
        strategy=strategy,
        strategy_version=pinned,
        instrument=instrument,
        timeframe=timeframe,
        start=start,
        end=end,
        metric=metric,
        config=run_config.normalise(config, **run_config.instrument_facts(instrument, start=start)),
        grid={"params": {r.path: list(r.values) for r in ranges}, "constraint": constraint},
        combinations=len(combos),
        chunks_total=chunks_for(len(combos)),
    )
    return _enqueue(sweep)


def chunks_for(combinations: int) -> int:
    """How many chunk tasks a sweep of ``combinations`` is split into: at most SWEEP_CHUNK
    combinations each, and at least SWEEP_MIN_CHUNKS chunks (or one a combination), so that
    workers share the work evenly. With 9 chunks of 100 (890 combinations) two processes
    took 5 and 4: the sweep waited for the fifth."""
    limits = run_config.limits()
    by_size = math.ceil(combinations / limits["SWEEP_CHUNK"])
    return max(by_size, min(combinations, limits["SWEEP_MIN_CHUNKS"]), 1)


def chunk_slice(combinations: int, chunks_total: int, index: int) -> slice:
    """Chunk ``index``'s combinations, from the stored ``chunks_total`` (never the settings,
    which may differ in the worker): sizes differ by at most one, none is empty."""
    return slice(index * combinations // chunks_total, (index + 1) * combinations // chunks_total)


def _ranges(spec: Any) -> list[ParamRange]:
    if not isinstance(spec, dict) or not spec:
        raise InvalidInput(
            {"grid": ['must map "node.param" to a list of values or {"start", "stop", "step"}']}
        )
    ranges = []
    for path, values in spec.items():
        ranges.append(ParamRange(path=path, values=tuple(_values(path, values))))
    return ranges


def _values(path: str, values: Any) -> list[float]:
    field = f"grid.{path}"
    if isinstance(values, dict):
        _check_range_size(field, values)
        text = f"{path}={values['start']}:{values['stop']}:{values.get('step', 1)}"
        return list(ParamRange.parse(text).values)
    if not isinstance(values, list) or not values or len(values) > MAX_VALUES_PER_PARAM:
        raise InvalidInput(
            {
                field: [
                    f"must be a list of 1 to {MAX_VALUES_PER_PARAM} numbers or {{start, stop, step}}"
                ]
            }
        )
    if not all(_finite(v) for v in values):
        raise InvalidInput({field: ["values must be finite numbers"]})
    return values


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_range_size(field: str, spec: dict[str, Any]) -> None:
    """Count a {start, stop, step} range before it is built: a tiny step is a huge list."""
    bounds = [spec.get("start"), spec.get("stop"), spec.get("step", 1)]
    if not all(_finite(v) for v in bounds):
        raise InvalidInput({field: ["give finite numbers start, stop (included) and step"]})
    start, stop, step = bounds
    if step <= 0 or stop < start:
        raise InvalidInput({field: ["give start <= stop and a positive step"]})
    if (stop - start) / step + 1 > MAX_VALUES_PER_PARAM:
        raise InvalidInput({field: [f"more than {MAX_VALUES_PER_PARAM} values; use a larger step"]})


def _check_size(ranges: list[ParamRange], constraint: str | None, *, bars: int) -> None:
    """Refuse an oversized sweep from the counts alone: building a grid of 10^9 combinations
    to measure it would take minutes and gigabytes before the answer could be 400."""
    try:
        count = grid_size(ranges, constraint)
    except ValueError as exc:
        raise InvalidInput({"constraint" if constraint else "grid": [str(exc)]}) from exc
    limits = run_config.limits()
    cap = limits["MAX_SWEEP_COMBINATIONS"]
    if count == 0:
        raise InvalidInput({"constraint": ["no combination passes the constraint"]})
    if count > cap:
        raise InvalidInput({"grid": [f"{count:,} combinations; a sweep runs at most {cap:,}"]})
    work_cap = limits["MAX_SWEEP_BARS_TOTAL"]
    if count * bars > work_cap:
        raise InvalidInput(
            {
                "grid": [
                    f"{count:,} combinations x {bars:,} bars = {count * bars:,} simulated bars; "
                    f"a sweep simulates at most {work_cap:,}: narrow the grid or start/end"
                ]
            }
        )


def _combos(ranges: list[ParamRange], constraint: str | None) -> list[dict[str, float]]:
    """The grid itself, built only once ``_check_size`` has bounded it."""
    try:
        return grid(ranges, constraint)
    except ValueError as exc:
        raise InvalidInput({"constraint" if constraint else "grid": [str(exc)]}) from exc


def _check_params(graph: dict[str, Any], combos: list[dict[str, float]]) -> None:
    """Every path names a node parameter the engine accepts at the extremes of the grid."""
    compiled = compile_graph(graph)
    paths = combos[0].keys()
    for probe in (
        combos[0],
        combos[-1],
        {p: max(c[p] for c in combos) for p in paths},
        {p: min(c[p] for c in combos) for p in paths},
    ):
        try:
            compiled.with_params(probe)
        except (GraphValidationError, KeyError, ValueError) as exc:
            errors = getattr(exc, "errors", None)
            message = f"{errors[0]['field']}: {errors[0]['message']}" if errors else str(exc)
            path = next(
                (p for p in paths if errors and p.startswith(f"{errors[0]['node']}.")),
                next(iter(paths)),
            )
            raise InvalidInput({f"grid.{path}": [message]}) from exc


def _enqueue(sweep: BacktestSweep) -> BacktestSweep:
    from .tasks import sweep_chunk_task

    with transaction.atomic():
        sweep.status = RunStatus.RUNNING
        sweep.save()
        SweepChunk.objects.bulk_create(
            [SweepChunk(sweep=sweep, index=i) for i in range(sweep.chunks_total)]
        )
        for i in range(sweep.chunks_total):
            transaction.on_commit(lambda i=i: sweep_chunk_task.delay(sweep.pk, i))
    return sweep


# --- chunks --------------------------------------------------------------------------------


def sweep_chunk_execute(*, sweep_id: int, index: int) -> str:
    chunk_id = (
        SweepChunk.objects.filter(sweep_id=sweep_id, index=index)
        .values_list("pk", flat=True)
        .first()
    )
    lease = chunk_id and lease_claim(
        SweepChunk,
        pk=chunk_id,
        ready=(RunStatus.QUEUED,),
        held=RunStatus.RUNNING,
        seconds=run_config.limits()["SWEEP_CHUNK_LEASE_SECONDS"],
    )
    if not lease:
        return "skipped"
    sweep = BacktestSweep.objects.select_related("instrument", "strategy_version").get(pk=sweep_id)
    if sweep.status != RunStatus.RUNNING:
        return "skipped"
    try:
        with lease_heartbeat(lease):
            rows, data_hash = _chunk_rows(sweep, index)
    except (ValueError, GraphValidationError) as exc:
        _chunk_fail(lease, sweep, f"chunk {index}: {exc}")
        return "failed"
    except DATABASE_ERRORS as exc:  # a restart, failover or killed backend: not the chunk's fault
        return _chunk_retry(lease, sweep, index, exc)
    except Exception as exc:  # a bug: fail the sweep rather than retry it forever
        logger.exception("sweep %s chunk %s crashed", sweep_id, index)
        _chunk_fail(lease, sweep, f"chunk {index}: internal error ({type(exc).__name__})")
        return "failed"
    return _chunk_done(lease, sweep, index, rows, data_hash)


def _chunk_retry(lease: Lease, sweep: BacktestSweep, index: int, exc: Exception) -> str:
    """Back to the queue with this attempt counted, sent again after a backoff; out of
    attempts, the sweep fails with the error as the reason."""
    from .tasks import sweep_chunk_task

    logger.warning("sweep %s chunk %s: database error %r", sweep.pk, index, exc)
    limit = run_config.limits()["MAX_ATTEMPTS"]
    return lease_retry(
        lease,
        ready=RunStatus.QUEUED,
        max_attempts=limit,
        give_up=lambda lost: _chunk_fail(
            lost, sweep, f"chunk {index}: the database failed {limit} times ({first_line(exc)})"
        ),
        resend=lambda countdown: sweep_chunk_task.apply_async(
            (sweep.pk, index), countdown=countdown
        ),
        backoff_seconds=run_config.limits()["DATABASE_RETRY_SECONDS"],
    )


def _chunk_fail(lease: Lease, sweep: BacktestSweep, reason: str) -> bool:
    """Only the current attempt of a chunk may fail its sweep."""
    if not lease_release(lease, status=RunStatus.FAILED, fields={"error": reason[:2000]}):
        return False
    _sweep_fail(sweep, reason)
    return True


@dataclass(frozen=True, slots=True)
class _SweepInputs:
    """What every chunk of one sweep shares: its candles (and their hash) and the strategy's
    signal function with its indicator cache."""

    bars: Bars
    data_hash: str
    signals: SignalFn
    risk: RiskSettings


# The last sweep's inputs in this worker process: its next chunks reuse them instead of reading
# the candles, compiling the graph and computing the indicators again (a year of minutes took
# longer to read than a chunk's 100 backtests). One sweep only, so memory stays bounded. Safe
# with the data check in _chunk_done: a sweep's chunks must all read the same candles anyway.
# Keyed by id and creation time: a test or bench database made afresh reuses ids.
_LAST: dict[tuple[int, Any], _SweepInputs] = {}


def _sweep_inputs(sweep: BacktestSweep) -> _SweepInputs:
    key = (sweep.pk, sweep.created_at)
    kept = _LAST.get(key)
    if kept is not None:
        return kept
    bars = md.candles_load(
        instrument=sweep.instrument, timeframe=sweep.timeframe, start=sweep.start, end=sweep.end
    )
    if len(bars) == 0:
        raise ValueError(
            f"no {sweep.instrument.symbol} {sweep.timeframe} candles between "
            f"{sweep.start} and {sweep.end}: import or ingest them first"
        )
    data_hash = md.data_snapshot_hash(
        instrument=sweep.instrument,
        timeframe=sweep.timeframe,
        start=sweep.start,
        end=sweep.end,
        bars=bars,
    )
    signals, risk = signal_factory(bars, compile_graph(sweep.strategy_version.graph), None)
    _LAST.clear()
    _LAST[key] = _SweepInputs(bars, data_hash, signals, risk)
    return _LAST[key]


def _chunk_rows(sweep: BacktestSweep, index: int) -> tuple[list[dict[str, Any]], str]:
    ranges = [ParamRange(path=p, values=tuple(v)) for p, v in sweep.grid["params"].items()]
    combos = grid(ranges, sweep.grid.get("constraint"))
    mine = {_key(c) for c in combos[chunk_slice(len(combos), sweep.chunks_total, index)]}
    inputs = _sweep_inputs(sweep)
    result = run_sweep(
        inputs.bars,
        inputs.signals,
        ranges,
        run_config.sim_config(sweep.config),
        risk=inputs.risk,
        metric=sweep.metric,
        constraint=lambda p: _key(p) in mine,
    )
    table = result.table.astype(object).where(result.table.notna(), None)
    rows = [{k: _clean(v) for k, v in row.items()} for row in table.to_dict(orient="records")]
    return rows, inputs.data_hash


def _key(params: dict[str, Any]) -> tuple[tuple[str, float], ...]:
    return tuple(sorted((k, float(v)) for k, v in params.items()))


def _clean(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _chunk_done(
    lease: Lease, sweep: BacktestSweep, index: int, rows: list[dict[str, Any]], data_hash: str
) -> str:
    with transaction.atomic():
        if not lease_release(lease, status=RunStatus.DONE, fields={"rows": rows}):
            return "skipped"
        # Every chunk must have read the same candles, or the table compares unlike things.
        same_data = Q(data_hash="") | Q(data_hash=data_hash)
        counted = BacktestSweep.objects.filter(same_data, pk=sweep.pk).update(
            chunks_done=F("chunks_done") + 1, data_hash=data_hash
        )
    if not counted:
        _sweep_fail(
            sweep,
            f"chunk {index} read different candles than earlier chunks (the data "
            "changed while the sweep ran); run it again",
        )
        return "failed"
    sweep.refresh_from_db(fields=["chunks_done", "chunks_total", "status"])
    publish(
        Event(
            type="sweep.progress",
            user_id=sweep.owner_id,
            data={"id": sweep.pk, "progress": sweep.progress},
        )
    )
    if sweep.chunks_done >= sweep.chunks_total:
        _gather(sweep)
    return "done"


def _gather(sweep: BacktestSweep) -> None:
    rows = [
        r
        for chunk in SweepChunk.objects.filter(sweep=sweep).order_by("index")
        for r in (chunk.rows or [])
    ]
    params = list(sweep.grid["params"])
    maximize = sweep.metric not in MINIMIZE
    scored = [r for r in rows if r.get(sweep.metric) is not None]
    best = (max if maximize else min)(scored, key=lambda r: r[sweep.metric]) if scored else None
    with transaction.atomic():
        updated = BacktestSweep.objects.filter(pk=sweep.pk, status=RunStatus.RUNNING).update(
            status=RunStatus.DONE,
            results=rows,
            best=best,
            heatmap=_heatmap(rows, params, sweep.metric),
            engine_version=ENGINE_VERSION,
            finished_at=timezone.now(),
        )
        if updated:
            emit(
                Event(
                    type="sweep.finished",
                    user_id=sweep.owner_id,
                    data={"id": sweep.pk, "best": best},
                )
            )


def _heatmap(rows: list[dict[str, Any]], params: list[str], metric: str) -> dict[str, Any] | None:
    """For two parameters: x and y values and a z matrix of the metric (None where absent)."""
    if len(params) != 2:
        return None
    xs = sorted({r[params[0]] for r in rows})
    ys = sorted({r[params[1]] for r in rows})
    at = {(r[params[0]], r[params[1]]): r.get(metric) for r in rows}
    return {
        "x": params[0],
        "y": params[1],
        "metric": metric,
        "x_values": xs,
        "y_values": ys,
        "z": [[at.get((x, y)) for x in xs] for y in ys],
    }


def _sweep_fail(sweep: BacktestSweep, reason: str) -> None:
    updated = BacktestSweep.objects.filter(pk=sweep.pk, status=RunStatus.RUNNING).update(
        status=RunStatus.FAILED, error=reason[:2000], finished_at=timezone.now()
    )
    if updated:
        emit(
            Event(
                type="sweep.failed", user_id=sweep.owner_id, data={"id": sweep.pk, "error": reason}
            )
        )


def sweep_cancel(*, sweep: BacktestSweep) -> BacktestSweep:
    updated = BacktestSweep.objects.filter(
        pk=sweep.pk, status__in=(RunStatus.QUEUED, RunStatus.RUNNING)
    ).update(status=RunStatus.CANCELLED, finished_at=timezone.now())
    sweep.refresh_from_db()
    if not updated:
        raise InvalidInput({"status": [f"the sweep is already {sweep.status}"]})
    return sweep


def sweeps_reap() -> int:
    """Re-queue chunks whose worker vanished (lease lapsed); a chunk out of attempts fails
    its sweep."""
    from .tasks import sweep_chunk_task

    def requeue(chunk_id: int) -> None:
        sweep_id, index = SweepChunk.objects.values_list("sweep_id", "index").get(pk=chunk_id)
        sweep_chunk_task.delay(sweep_id, index)

    def give_up(lease: Lease) -> bool:
        chunk = SweepChunk.objects.select_related("sweep").get(pk=lease.pk)
        return _chunk_fail(
            lease, chunk.sweep, f"chunk {chunk.index}: its worker stopped {lease.attempt} times"
        )

    counts = leases_reap(
        SweepChunk,
        ready=RunStatus.QUEUED,
        held=RunStatus.RUNNING,
        max_attempts=run_config.limits()["MAX_ATTEMPTS"],
        requeue=requeue,
        give_up=give_up,
        where=Q(sweep__status=RunStatus.RUNNING),
    )
    return counts.requeued
