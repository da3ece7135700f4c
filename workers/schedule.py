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
    # Runs and sweep chunks whose worker died (lease lapsed) are re-queued, and queued runs
    # whose message was lost are sent again; claims run once. Often: recovery waits for it.
    "backtests-reap": {
        "task": "backtests.tasks.backtests_reap_task",
        "schedule": 10.0,
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
    # Orders: SUBMITTING under a lapsed lease becomes UNKNOWN, UNKNOWN is settled by client id
    # (never re-posted), NEW orders whose submission was lost are sent (docs/trades.md).
    "trades-orders-reap": {
        "task": "trades.tasks.orders_reap_task",
        "schedule": 10.0,
    },
    # Working orders refreshed from the broker; the paper broker fills them against fresh
    # quotes and squares intraday positions off at its configured time.
    "trades-accounts-poll": {
        "task": "trades.tasks.accounts_poll_task",
        "schedule": crontab(minute="*", hour="9-15", day_of_week="mon-fri"),
    },
    # Reconciliation with every broker: adopt, settle, compare positions (a mismatch halts).
    "trades-reconcile": {
        "task": "trades.tasks.accounts_reconcile_task",
        "schedule": crontab(minute="*/5", hour="8-16", day_of_week="mon-fri"),
    },
    # Scheduled live sessions start before the open on trading days and stop after the
    # square-off (live/schedule.py: calendar-aware, a tick delivered twice starts once).
    "live-schedules": {
        "task": "live.tasks.schedules_tick_task",
        "schedule": crontab(minute="*"),
    },
    # Owners of running replay sessions are told (once per outage) when no feed holds a lease.
    "live-feed-watch": {
        "task": "live.tasks.feed_watch_task",
        "schedule": 60.0,
    },
    # The daily drift report of every session day that ended (after the 15:25 square-off and
    # the 15:30 close); GET …/drift builds one on demand too (docs/live.md).
    "live-drift-reports": {
        "task": "live.tasks.drift_reports_task",
        "schedule": crontab(hour=15, minute=40, day_of_week="mon-fri"),
    },
    # Dhan tokens last 24 h: alert the owner before one lapses.
    "trades-token-expiry": {
        "task": "trades.tasks.tokens_expiring_task",
        "schedule": crontab(minute="*/15"),
    },
}


# Sent by every worker as it starts (``worker_ready``), so recovery does not depend on beat
# alone: now (runs lost long ago, queued runs whose message was lost) and once more when a
# lease taken just before a crash has lapsed. Reaping twice is harmless: each move is a
# conditional UPDATE.
REAP_ON_WORKER_START = "backtests.tasks.backtests_reap_task"


def reap_on_worker_start(*, sender: Any, **_: Any) -> None:
    from django.conf import settings

    leases = settings.BACKTESTS
    later = max(leases["LEASE_SECONDS"], leases["SWEEP_CHUNK_LEASE_SECONDS"]) + 1
    for countdown in (0, later):
        sender.app.send_task(REAP_ON_WORKER_START, countdown=countdown)
