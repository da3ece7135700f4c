"""Housekeeping tasks that belong to no single app."""

from __future__ import annotations

from celery import shared_task

from algobacktester.accounts.services import revoked_sessions_purge


@shared_task(name="workers.tasks.revoked_sessions_purge_task")
def revoked_sessions_purge_task() -> int:
    return revoked_sessions_purge()
