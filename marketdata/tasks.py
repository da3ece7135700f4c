"""Thin Celery tasks: load by id, call a service. They route to the ``marketdata`` queue."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task

from . import services


@shared_task(name="marketdata.tasks.ingestion_run_execute_task")
def ingestion_run_execute_task(run_id: int) -> str:
    return services.ingestion_run_execute(run_id=run_id).status


@shared_task(name="marketdata.tasks.tracked_instruments_refresh_task")
def tracked_instruments_refresh_task() -> list[int]:
    return services.tracked_instruments_refresh()


@shared_task(name="marketdata.tasks.ingestion_runs_reap_task")
def ingestion_runs_reap_task() -> dict[str, int]:
    return asdict(services.ingestion_runs_reap())
