"""The Celery beat schedule: periodic jobs, all times in IST where the market matters.

Each app adds its entries here, so one file shows everything that runs on a clock.
"""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    # Market-condition alert rules, on candle close: every minute of the session, IST weekdays.
    "notifications-market-rules": {
        "task": "notifications.tasks.market_rules_evaluate_task",
        "schedule": crontab(minute="*", hour="9-15", day_of_week="mon-fri"),
    },
    # Deliveries whose task was lost (broker restart) are re-enqueued; the claim sends once.
    "notifications-requeue-deliveries": {
        "task": "notifications.tasks.deliveries_requeue_task",
        "schedule": crontab(minute="*/5"),
    },
    # Runs and sweep chunks whose worker died (lease lapsed) are re-queued; claims run once.
    "backtests-reap": {
        "task": "backtests.tasks.backtests_reap_task",
        "schedule": 30.0,
    },
    "accounts-purge-revoked-sessions": {
        "task": "workers.tasks.revoked_sessions_purge_task",
        "schedule": crontab(hour=2, minute=30),
    },
    # Ingestion runs whose task was lost or whose worker died (lease lapsed) are re-queued,
    # and failed after the attempt limit (docs/adr/0008-leases.md).
    "marketdata-reap-runs": {
        "task": "marketdata.tasks.ingestion_runs_reap_task",
        "schedule": 60.0,
    },
    # After the 15:30 close; the task itself skips days without a session (calendar).
    "marketdata-refresh-tracked": {
        "task": "marketdata.tasks.tracked_instruments_refresh_task",
        "schedule": crontab(hour=16, minute=15),
    },
}
