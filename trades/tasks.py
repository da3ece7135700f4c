"""Thin tasks: load by id, call a service. Arguments are ids only, never credentials."""

from __future__ import annotations

from celery import shared_task

from .services import accounts, polling, reconcile, submission


@shared_task(name="trades.tasks.order_submit_task")
def order_submit_task(order_id: int) -> str:
    return submission.order_submit(order_id=order_id, actor="system:task")


@shared_task(name="trades.tasks.order_settle_task")
def order_settle_task(order_id: int) -> str:
    return submission.order_settle(order_id=order_id)


@shared_task(name="trades.tasks.orders_reap_task")
def orders_reap_task() -> dict[str, int]:
    return submission.orders_reap()


@shared_task(name="trades.tasks.accounts_poll_task")
def accounts_poll_task() -> int:
    return polling.accounts_poll()


@shared_task(name="trades.tasks.accounts_reconcile_task")
def accounts_reconcile_task() -> int:
    return reconcile.accounts_reconcile()


@shared_task(name="trades.tasks.tokens_expiring_task")
def tokens_expiring_task() -> int:
    return accounts.tokens_expiring_alert()
