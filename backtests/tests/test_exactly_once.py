"""Claims, leases and the reaper: a run finishes exactly once whatever Celery does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from backtests import services
from backtests.models import BacktestRun, BacktestTrade, RunStatus
from workers.leases import Lease, LeaseLostError

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(queued_run) -> BacktestRun:
    return queued_run({"sizing": {"mode": "fixed", "value": 2}})


def test_a_task_delivered_twice_runs_once(queued: BacktestRun) -> None:
    assert services.backtest_execute(run_id=queued.pk) == "done"
    trades = BacktestTrade.objects.filter(run=queued).count()
    assert services.backtest_execute(run_id=queued.pk) == "skipped"
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (RunStatus.DONE, 1)
    assert BacktestTrade.objects.filter(run=queued).count() == trades > 0


def test_a_live_lease_is_not_taken_over(queued: BacktestRun) -> None:
    BacktestRun.objects.filter(pk=queued.pk).update(
        status=RunStatus.RUNNING, attempts=1, lease_until=timezone.now() + timedelta(seconds=30)
    )
    assert services.backtest_execute(run_id=queued.pk) == "skipped"


def test_a_lapsed_lease_is_taken_over_and_the_old_attempt_cannot_write(queued: BacktestRun) -> None:
    BacktestRun.objects.filter(pk=queued.pk).update(
        status=RunStatus.RUNNING, attempts=1, lease_until=timezone.now() - timedelta(seconds=1)
    )
    assert services.backtest_execute(run_id=queued.pk) == "done"
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (RunStatus.DONE, 2)
    # The first worker wakes up and tries to report: refused.
    first = Lease(BacktestRun, queued.pk, 1, RunStatus.RUNNING, 60)
    with pytest.raises(LeaseLostError):
        services._progress(first, 50.0, "late", owner_id=queued.owner_id)
    result, data_hash = None, "x"
    with pytest.raises(LeaseLostError):
        services._store(first, result, data_hash, 0.0)  # type: ignore[arg-type]


def test_cancel_while_running_stops_the_worker_from_storing(queued: BacktestRun) -> None:
    lease = services._claim(queued.pk)
    services.backtest_cancel(run=queued)
    with pytest.raises(LeaseLostError):
        services._compute(lease)
    queued.refresh_from_db()
    assert queued.status == RunStatus.CANCELLED
    assert not BacktestTrade.objects.filter(run=queued).exists()


def test_reaper_requeues_a_run_whose_worker_died(
    queued: BacktestRun, django_capture_on_commit_callbacks
) -> None:
    BacktestRun.objects.filter(pk=queued.pk).update(
        status=RunStatus.RUNNING, attempts=1, lease_until=timezone.now() - timedelta(seconds=5)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.backtests_reap() == 1  # eager: the re-queued task runs on commit
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (RunStatus.DONE, 2)


def test_reaper_gives_up_after_max_attempts(queued: BacktestRun, settings) -> None:
    BacktestRun.objects.filter(pk=queued.pk).update(
        status=RunStatus.RUNNING,
        attempts=settings.BACKTESTS["MAX_ATTEMPTS"],
        lease_until=timezone.now() - timedelta(seconds=5),
    )
    assert services.backtests_reap() == 0
    queued.refresh_from_db()
    assert queued.status == RunStatus.FAILED
    assert "stopped 3 times" in queued.error


def test_soft_time_limit_fails_with_that_reason(
    queued: BacktestRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    from celery.exceptions import SoftTimeLimitExceeded

    def slow(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(services, "run_backtest", slow)
    assert services.backtest_execute(run_id=queued.pk) == "failed"
    queued.refresh_from_db()
    assert "time limit" in queued.error


def test_progress_and_completion_reach_the_owner_only(queued: BacktestRun, make_user) -> None:
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    mine, theirs = async_to_sync(layer.new_channel)(), async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(f"user.{queued.owner_id}", mine)
    async_to_sync(layer.group_add)(f"user.{make_user().pk}", theirs)
    services.backtest_execute(run_id=queued.pk)
    received = []
    while True:
        try:
            received.append(async_to_sync(_receive)(layer, mine))
        except TimeoutError:
            break
    kinds = [m["event"]["type"] for m in received]
    assert kinds.count("backtest.progress") >= 3
    with pytest.raises(TimeoutError):
        async_to_sync(_receive)(layer, theirs)


async def _receive(layer, channel: str) -> dict:
    import asyncio

    return await asyncio.wait_for(layer.receive(channel), timeout=0.2)


def test_a_queued_run_whose_message_was_lost_is_sent_again(queued: BacktestRun, settings) -> None:
    BacktestRun.objects.filter(pk=queued.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert services.backtests_reap() == 1  # eager: runs at once
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (RunStatus.DONE, 1)


def test_an_unexpected_crash_fails_the_run_instead_of_leaving_it_running(
    queued: BacktestRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args, **kwargs):
        raise TypeError("'<' not supported")

    monkeypatch.setattr(services, "run_backtest", broken)
    assert services.backtest_execute(run_id=queued.pk) == "failed"
    queued.refresh_from_db()
    assert queued.status == RunStatus.FAILED
    assert queued.error.startswith("internal error (TypeError)")


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_keeps_a_slow_healthy_run_leased(
    queued: BacktestRun, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time as _time

    settings.BACKTESTS = {**settings.BACKTESTS, "LEASE_SECONDS": 1}
    real = services.run_backtest
    rival_claims = []

    def slow(*args, **kwargs):
        _time.sleep(2.5)  # longer than the lease: only the heartbeat keeps it ours
        rival_claims.append(services._claim(queued.pk))  # another worker tries to take over
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "run_backtest", slow)
    assert services.backtest_execute(run_id=queued.pk) == "done"
    assert rival_claims == [None]
    queued.refresh_from_db()
    assert queued.attempts == 1


def _database_fails(times: int):
    """A stand-in for the engine that first raises what a terminated backend raises."""
    from django.db import OperationalError

    real, calls = services.run_backtest, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) <= times:
            raise OperationalError("terminating connection due to administrator command")
        return real(*args, **kwargs)

    return flaky


def test_a_database_error_retries_the_run_with_the_attempt_counted(
    queued: BacktestRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "run_backtest", _database_fails(1))
    services.backtest_execute(run_id=queued.pk)  # eager: the retry runs at once
    queued.refresh_from_db()
    assert (queued.status, queued.attempts, queued.error) == (RunStatus.DONE, 2, "")
    assert BacktestTrade.objects.filter(run=queued).count() == queued.stats["trades"]


def test_a_run_the_database_keeps_failing_is_failed_with_the_reason(
    queued: BacktestRun, monkeypatch: pytest.MonkeyPatch, settings
) -> None:
    monkeypatch.setattr(services, "run_backtest", _database_fails(99))
    services.backtest_execute(run_id=queued.pk)
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (
        RunStatus.FAILED,
        settings.BACKTESTS["MAX_ATTEMPTS"],
    )
    assert "the database failed 3 times" in queued.error
    assert "OperationalError: terminating connection" in queued.error


def test_a_database_error_sends_the_run_again_after_a_backoff(
    queued: BacktestRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backtests.tasks import backtest_execute_task

    sent = []
    monkeypatch.setattr(services, "run_backtest", _database_fails(1))
    monkeypatch.setattr(backtest_execute_task, "apply_async", lambda a, **kw: sent.append((a, kw)))
    assert services.backtest_execute(run_id=queued.pk) == "retrying"
    queued.refresh_from_db()
    assert (queued.status, queued.attempts, queued.lease_until) == (RunStatus.QUEUED, 1, None)
    assert sent == [((queued.pk,), {"countdown": 2})]


def test_a_queued_run_is_sent_again_at_growing_intervals_until_the_broker_loses_it(
    queued: BacktestRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.cache import cache

    from backtests.tasks import backtest_execute_task

    sent = []
    monkeypatch.setattr(backtest_execute_task, "delay", sent.append)
    BacktestRun.objects.filter(pk=queued.pk).update(
        created_at=timezone.now() - timedelta(seconds=21)
    )
    services.backtests_reap()
    services.backtests_reap()  # the message may only be waiting behind others: not again yet
    assert sent == [queued.pk]
    cache.clear()  # what a broker restart does to the marks (same Redis in services mode)
    services.backtests_reap()
    assert sent == [queued.pk, queued.pk]


def test_after_the_broker_lost_its_data_every_queued_run_is_sent_again_at_once(
    queued: BacktestRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backtests.tasks import backtest_execute_task

    sent = []
    monkeypatch.setattr(backtest_execute_task, "delay", sent.append)
    services.backtests_reap()  # an empty cache: the broker's Redis restarted (or was flushed)
    assert sent == [queued.pk]
    services.backtests_reap()  # young, and sent once since: its message is in the broker
    assert sent == [queued.pk]
