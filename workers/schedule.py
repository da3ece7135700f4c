"""The Celery beat schedule: periodic jobs, all times in IST where the market matters.

Each app adds its entries here, so one file shows everything that runs on a clock.
"""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "accounts-purge-revoked-sessions": {
        "task": "workers.tasks.revoked_sessions_purge_task",
        "schedule": crontab(hour=2, minute=30),
    },
}
