"""One rate limiter per external account, shared by every process (docs/adr/0009).

Brokers count requests per account, not per process: Dhan allows 5 data requests a second
and 10 orders a second *per client id*, whatever number of workers we run. The counters
live in Redis in services mode (``RATE_LIMITS["STORAGE_URL"]`` defaults to ``REDIS_URL``)
and in process memory when embedded. The ``limits`` library keeps a moving window per
limit; a key names the account and the purpose: ``dhan:<client_id>:data``,
``dhan:<client_id>:orders``.

Reads retry on transient failures (:func:`read_retrying`: exponential backoff with jitter).
Nothing that places an order retries: :func:`submit_once` waits for the limiter (briefly,
or refuses with ``LimitExceeded``) and calls the broker exactly once; an unknown outcome is
resolved by looking the correlation id up (../shared/RELIABILITY.md), never by a second POST.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import cache
from typing import TypeVar

import tenacity
from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from .errors import LimitExceeded

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Published limits per broker and purpose (INTEGRATIONS.md, 2026); settings may override.
DEFAULT_LIMITS: dict[str, dict[str, str]] = {
    "dhan": {
        "data": "5/second;100000/day",
        "orders": "10/second;250/minute;1000/hour;7000/day",
        "quotes": "1/second",
    },
}


class AccountLimiter:
    """Every limit of one account's purpose; all of them must allow a request."""

    def __init__(
        self,
        *,
        key: str,
        limits: str,
        storage: Storage,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.key = key
        self.items: list[RateLimitItem] = parse_many(limits)
        self.strategy = MovingWindowRateLimiter(storage)
        self.sleep, self.clock = sleep, clock

    def __repr__(self) -> str:
        return f"AccountLimiter({self.key!r}, {[str(i) for i in self.items]})"

    def try_acquire(self) -> float:
        """Take a slot now and return 0.0, or take nothing and return the seconds to wait."""
        for item in self.items:  # check all first, so a refused request spends no slot
            if not self.strategy.test(item, self.key):
                return self._wait(item)
        for item in self.items:
            if not self.strategy.hit(item, self.key):  # another process won the last slot
                return self._wait(item)
        return 0.0

    def acquire(self, *, max_wait: float | None = None) -> float:
        """Wait for a slot; return the seconds waited. Past ``max_wait`` raise
        ``LimitExceeded`` (with ``retry_after``) instead of waiting."""
        waited = 0.0
        while wait := self.try_acquire():
            if max_wait is not None and waited + wait > max_wait:
                raise LimitExceeded(
                    f"rate limit of {self.key} reached", retry_after=max(1, round(wait))
                )
            self.sleep(wait)
            waited += wait
        return waited

    def _wait(self, item: RateLimitItem) -> float:
        reset = self.strategy.get_window_stats(item, self.key).reset_time
        return max(0.01, reset - self.clock())


@cache
def storage_for(url: str) -> Storage:
    """One connection pool per process and URL."""
    return storage_from_string(url)


def account_limiter(
    *, broker: str, account: str, purpose: str, sleep: Callable[[float], None] = time.sleep
) -> AccountLimiter:
    """The limiter of ``broker`` account ``account`` for ``purpose`` (data, orders, quotes)."""
    from django.conf import settings

    conf = getattr(settings, "RATE_LIMITS", {})
    table = {**DEFAULT_LIMITS.get(broker, {}), **conf.get(broker, {})}
    if purpose not in table:
        raise ValueError(f"no rate limits for {broker} {purpose}; one of {sorted(table)}")
    return AccountLimiter(
        key=f"{broker}:{account}:{purpose}",
        limits=table[purpose],
        storage=storage_for(conf.get("STORAGE_URL") or "memory://"),
        sleep=sleep,
    )


def read_retrying(
    *,
    attempts: int,
    backoff: float,
    retryable: Callable[[BaseException], bool],
    what: str,
    sleep: Callable[[float], None] = time.sleep,
) -> tenacity.Retrying:
    """For reads only: retry what ``retryable`` accepts (timeouts, 5xx, 429/805) up to
    ``attempts`` in all, waiting ``backoff * 2**n`` plus up to a quarter of jitter."""

    def log(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        logger.warning("%s (attempt %d): %s", what, state.attempt_number, exc)

    return tenacity.Retrying(
        stop=tenacity.stop_after_attempt(attempts),
        wait=tenacity.wait_exponential(multiplier=backoff, max=60)
        + tenacity.wait_random(0, backoff / 4),
        retry=tenacity.retry_if_exception(retryable),
        before_sleep=log,
        sleep=sleep,
        reraise=True,
    )


def submit_once(*, limiter: AccountLimiter, call: Callable[[], T], max_wait: float = 1.0) -> T:
    """Place an order (or anything not idempotent at the broker): wait at most
    ``max_wait`` for the account's limiter, then call exactly once. Whatever ``call``
    raises propagates; the caller records the outcome as unknown, never retries."""
    limiter.acquire(max_wait=max_wait)
    return call()


__all__ = [
    "DEFAULT_LIMITS",
    "AccountLimiter",
    "account_limiter",
    "read_retrying",
    "storage_for",
    "submit_once",
]
