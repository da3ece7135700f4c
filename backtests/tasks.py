"""Thin tasks: load by id, call a service. They route to the ``backtests`` queue."""

from __future__ import annotations

from celery import shared_task

from . import services, sweeps


@shared_task(name="backtests.tasks.backtest_execute_task")
def backtest_execute_task(run_id: int) -> str:
    return services.backtest_execute(run_id=run_id)


@shared_task(name="backtests.tasks.backtests_reap_task")
def backtests_reap_task() -> int:
    return services.backtests_reap() + sweeps.sweeps_reap()


@shared_task(name="backtests.tasks.sweep_chunk_task")
def sweep_chunk_task(sweep_id: int, index: int) -> str:
    return sweeps.sweep_chunk_execute(sweep_id=sweep_id, index=index)
