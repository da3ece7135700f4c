"""Thin tasks on the ``notifications`` queue (routed by the ``notifications.`` prefix)."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings

from . import services


@shared_task(bind=True, name="notifications.tasks.delivery_send_task")
def delivery_send_task(self: Any, delivery_id: int) -> str:
    """Send one delivery. A transient failure re-schedules the task with backoff; the
    attempt limit lives on the row (a redelivered or duplicated task cannot exceed it)."""
    outcome = services.delivery_send(delivery_id=delivery_id)
    while outcome.retry_in is not None and self.request.is_eager:
        # Embedded mode has no worker to come back later (and an eager Retry would raise
        # into the caller's request): try again now; the row's attempt limit ends this.
        outcome = services.delivery_send(delivery_id=delivery_id)
    if outcome.retry_in is not None:
        # +1: the row's attempt counter decides first; this is only a backstop.
        raise self.retry(
            countdown=outcome.retry_in, max_retries=settings.NOTIFICATIONS["MAX_RETRIES"] + 1
        )
    return outcome.status


@shared_task(name="notifications.tasks.market_rules_evaluate_task")
def market_rules_evaluate_task() -> int:
    return services.market_rules_evaluate()


@shared_task(name="notifications.tasks.deliveries_requeue_task")
def deliveries_requeue_task() -> int:
    return services.deliveries_requeue_due()
