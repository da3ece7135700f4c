"""Thin tasks on the ``live`` queue: one bar of one session, one tick exit. None loops."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="live.tasks.session_step_task")
def session_step_task(session_id: int, bar: list[float], next_ts: int | None) -> str:
    return services.step_execute(session_id=session_id, bar=bar, next_ts=next_ts)


@shared_task(name="live.tasks.session_tick_exit_task")
def session_tick_exit_task(session_id: int, position_bar: int, reason: str, price: float) -> str:
    return services.session_tick_exit(
        session_id=session_id, position_bar=position_bar, reason=reason, price=price
    )


@shared_task(name="live.tasks.drift_reports_task")
def drift_reports_task() -> int:
    from .drift import drift_reports_due

    return drift_reports_due()


@shared_task(name="live.tasks.schedules_tick_task")
def schedules_tick_task() -> dict[str, int]:
    from .schedule import schedules_tick

    return schedules_tick()


@shared_task(name="live.tasks.feed_watch_task")
def feed_watch_task() -> int:
    from .notify import feed_watch

    return feed_watch()
