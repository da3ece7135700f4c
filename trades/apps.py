from typing import Any

from django.apps import AppConfig


class TradesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "trades"

    def ready(self) -> None:
        from celery.signals import worker_ready

        worker_ready.connect(reconcile_on_worker_start, weak=False)


RECONCILE_ON_START = "trades.tasks.accounts_reconcile_task"


def reconcile_on_worker_start(*, sender: Any, **_: Any) -> None:
    """Reconciliation on start-up, not only on the beat: a restarted worker first learns what
    the brokers hold (orders placed while it was down, fills it missed)."""
    sender.app.send_task(RECONCILE_ON_START)
