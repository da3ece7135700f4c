"""A finished backtest reaches /ws/ and the owner's notifications through the bus only."""

from __future__ import annotations

import pytest

from backtests import services
from backtests.models import BacktestRun, RunStatus
from notifications.models import Delivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(queued_run) -> BacktestRun:
    return queued_run({})


def test_a_finished_run_creates_one_notification_per_channel(
    queued: BacktestRun, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert services.backtest_execute(run_id=queued.pk) == "done"
    queued.refresh_from_db()
    assert queued.status == RunStatus.DONE
    [delivery] = Delivery.objects.filter(owner=queued.owner, event_type="backtest.finished")
    assert delivery.channel == "push"  # the default channels of backtest.finished
    # Re-announcing the same run (a duplicated task) creates nothing new: key = run id.
    with django_capture_on_commit_callbacks(execute=True):
        services._announce(queued, "backtest.finished")
    assert Delivery.objects.filter(owner=queued.owner, event_type="backtest.finished").count() == 1


def test_nothing_is_notified_when_the_transaction_rolls_back(queued: BacktestRun) -> None:
    # No on-commit callbacks run inside the test's transaction: nothing may be created early.
    services.backtest_execute(run_id=queued.pk)
    assert not Delivery.objects.filter(owner=queued.owner).exists()
