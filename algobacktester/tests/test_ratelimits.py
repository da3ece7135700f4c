"""One limiter per external account, shared across processes; reads retry, orders never."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from limits.storage import MemoryStorage, storage_from_string

from algobacktester.errors import LimitExceeded
from algobacktester.ratelimits import AccountLimiter, account_limiter, read_retrying, submit_once

ROOT = Path(__file__).resolve().parents[2]


class TransientError(Exception):
    retryable = True


class PermanentError(Exception):
    retryable = False


def limiter(limits: str = "3/second", **kw) -> AccountLimiter:
    return AccountLimiter(key=f"test:{uuid.uuid4().hex}:data", limits=limits, **kw)


def test_a_window_admits_its_rate_then_says_how_long_to_wait() -> None:
    one = limiter("3/second", storage=MemoryStorage())
    assert [one.try_acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = one.try_acquire()
    assert 0 < wait <= 1.0


def test_every_limit_of_the_account_must_allow_and_a_refusal_spends_nothing() -> None:
    storage = MemoryStorage()
    one = limiter("5/second;2/minute", storage=storage)
    assert one.try_acquire() == one.try_acquire() == 0.0
    assert one.try_acquire() > 1.0  # the minute window refuses, though the second allows
    per_second = AccountLimiter(key=one.key, limits="5/second", storage=storage)
    assert per_second.strategy.get_window_stats(per_second.items[0], one.key).remaining == 3


def test_acquire_waits_for_a_slot() -> None:
    import time

    slept: list[float] = []
    one = limiter(
        "2/second", storage=MemoryStorage(), sleep=lambda s: (slept.append(s), time.sleep(s))
    )
    for _ in range(3):
        one.acquire()
    assert slept and 0 < sum(slept) <= 1.1


def test_acquire_refuses_rather_than_wait_past_max_wait() -> None:
    one = limiter("1/minute", storage=MemoryStorage())
    one.acquire(max_wait=0)
    with pytest.raises(LimitExceeded) as refused:
        one.acquire(max_wait=1.0)
    assert refused.value.retry_after and refused.value.retry_after > 1


def test_accounts_are_keyed_by_broker_account_and_purpose(settings) -> None:
    orders = account_limiter(broker="dhan", account="C1", purpose="orders")
    assert orders.key == "dhan:C1:orders"
    assert str(orders.items[0]).startswith("10 per 1 second")
    assert account_limiter(broker="dhan", account="C1", purpose="data").key == "dhan:C1:data"
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "dhan": {"data": "1/second"}}
    assert [str(i) for i in account_limiter(broker="dhan", account="C1", purpose="data").items] == [
        "1 per 1 second"
    ]
    with pytest.raises(ValueError, match="no rate limits"):
        account_limiter(broker="dhan", account="C1", purpose="teleport")


redis_only = pytest.mark.skipif(
    not getattr(settings, "REDIS_AVAILABLE", False), reason="Redis is not reachable on 127.0.0.1"
)


@redis_only
def test_two_limiters_on_one_redis_share_the_window() -> None:
    """Two instances with their own connection pools: as two worker processes would be."""
    key = f"dhan:{uuid.uuid4().hex}:data"
    a = AccountLimiter(
        key=key, limits="3/minute", storage=storage_from_string(settings.TEST_REDIS_URL)
    )
    b = AccountLimiter(
        key=key, limits="3/minute", storage=storage_from_string(settings.TEST_REDIS_URL)
    )
    assert a.try_acquire() == a.try_acquire() == b.try_acquire() == 0.0
    assert a.try_acquire() > 0 and b.try_acquire() > 0


@redis_only
def test_another_process_spends_the_same_window() -> None:
    key = f"dhan:{uuid.uuid4().hex}:data"
    code = (
        "import sys; from limits.storage import storage_from_string; "
        "from algobacktester.ratelimits import AccountLimiter; "
        "one = AccountLimiter(key=sys.argv[1], limits='2/minute', "
        "storage=storage_from_string(sys.argv[2])); "
        "print(one.try_acquire(), one.try_acquire())"
    )
    child = subprocess.run(
        [sys.executable, "-c", code, key, settings.TEST_REDIS_URL],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert child.stdout.split() == ["0.0", "0.0"]
    here = AccountLimiter(
        key=key, limits="2/minute", storage=storage_from_string(settings.TEST_REDIS_URL)
    )
    assert here.try_acquire() > 0


def test_reads_retry_transient_errors_with_backoff_then_give_up() -> None:
    calls, sleeps = [], []

    def read() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise TransientError
        return "bars"

    retrying = read_retrying(
        attempts=4,
        backoff=0.5,
        retryable=lambda e: getattr(e, "retryable", False),
        what="probe",
        sleep=sleeps.append,
    )
    assert retrying(read) == "bars" and len(calls) == 3
    assert 0.5 <= sleeps[0] <= 0.625 and 1.0 <= sleeps[1] <= 1.125
    calls.clear()
    with pytest.raises(TransientError):
        retrying(lambda: calls.append(1) or (_ for _ in ()).throw(TransientError()))
    assert len(calls) == 4


def test_reads_do_not_retry_permanent_errors() -> None:
    calls = []

    def read() -> None:
        calls.append(1)
        raise PermanentError

    retrying = read_retrying(attempts=4, backoff=0, retryable=lambda e: e.retryable, what="probe")
    with pytest.raises(PermanentError):
        retrying(read)
    assert len(calls) == 1


def test_an_order_is_submitted_once_even_when_the_broker_fails_transiently() -> None:
    calls = []

    def place() -> None:
        calls.append(1)
        raise TransientError("timeout after the POST: the outcome is unknown")

    with pytest.raises(TransientError):
        submit_once(limiter=limiter("10/second", storage=MemoryStorage()), call=place)
    assert len(calls) == 1


def test_an_order_over_the_account_limit_is_refused_not_queued() -> None:
    full = limiter("1/minute", storage=MemoryStorage())
    submit_once(limiter=full, call=lambda: "placed")
    calls = []
    with pytest.raises(LimitExceeded):
        submit_once(limiter=full, call=lambda: calls.append(1), max_wait=0.5)
    assert calls == []
