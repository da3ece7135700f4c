"""Retries for broker *reads* only (order book, trade book, positions, funds, lookups).

Kept out of the adapters' order-placing modules on purpose: a module that places orders may
not wrap anything in retries (algobacktester/tests/test_layers.py), so a read retry can never
end up around a POST by accident.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from algobacktester.ratelimits import read_retrying

from .base import BrokerUnavailable

T = TypeVar("T")


def read_with_backoff(
    call: Callable[[], T], *, attempts: int, what: str, backoff: float = 0.2
) -> T:
    """``call()``, again after a :class:`BrokerUnavailable` (timeouts, 5xx, rate limits)."""
    retrying = read_retrying(
        attempts=max(1, attempts),
        backoff=backoff,
        retryable=lambda exc: isinstance(exc, BrokerUnavailable),
        what=what,
    )
    return retrying(call)
