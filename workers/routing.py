"""Queue routing and time limits per task family, in one place.

A task's family is the first part of its dotted name (``backtests.tasks.x`` →
``backtests``). Settings read these tables, so the broker's visibility timeout
is always derived from the longest hard limit (see ../shared/RELIABILITY.md:
a shorter visibility timeout starts a second copy of a task still running).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Limits:
    soft: int  # seconds: SoftTimeLimitExceeded is raised so the task can record why
    hard: int  # seconds: the child process is killed


DEFAULT_QUEUE = "default"
FAMILIES: dict[str, Limits] = {
    "backtests": Limits(soft=540, hard=600),
    "marketdata": Limits(soft=1700, hard=1800),
    # Live work is a stream of short steps; the long-running session loop is a
    # process of its own, not a task (docs/adr/0004-celery-reliability.md).
    "live": Limits(soft=50, hard=60),
    "notifications": Limits(soft=50, hard=60),
}
DEFAULT_LIMITS = Limits(soft=50, hard=60)
QUEUES: tuple[str, ...] = (*FAMILIES, DEFAULT_QUEUE)
# Redelivery of an unacknowledged task must not overlap a copy still running.
VISIBILITY_TIMEOUT = max(limit.hard for limit in FAMILIES.values()) + 300


def family_of(task_name: str) -> str:
    head = task_name.split(".", 1)[0]
    return head if head in FAMILIES else DEFAULT_QUEUE


def task_routes() -> dict[str, dict[str, str]]:
    routes = {f"{family}.*": {"queue": family} for family in FAMILIES}
    routes["workers.*"] = {"queue": DEFAULT_QUEUE}
    return routes


class TimeLimitAnnotations:
    """Celery ``task_annotations`` object: time limits by task family."""

    def annotate(self, task: Any) -> dict[str, int]:
        limits = FAMILIES.get(family_of(task.name), DEFAULT_LIMITS)
        return {"soft_time_limit": limits.soft, "time_limit": limits.hard}
