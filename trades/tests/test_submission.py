"""Submission recovery: a dead worker's order before and after its POST began."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from trades.models import Order, OrderStatus, PaperBrokerOrder
from trades.services import submission
from trades.services.orders import order_execute

pytestmark = pytest.mark.django_db


def _lapsed_order(account, equity, **fields):
    order, _ = order_execute(
        user=account.owner,
        account_id=account.pk,
        instrument_ref=equity.pk,
        side="BUY",
        lots=1,
        order_type="MARKET",
        product="INTRADAY",
        submit="task",  # written, not yet posted (its task waits for a commit that never comes)
    )
    Order.objects.filter(pk=order.pk).update(
        status=OrderStatus.SUBMITTING,
        attempts=1,
        lease_until=timezone.now() - timedelta(seconds=1),
        submitted_at=timezone.now() - timedelta(minutes=10),
        **fields,
    )
    return order


def test_a_worker_that_died_before_posting_leaves_an_order_that_is_sent_again(
    paper_account, equity, django_capture_on_commit_callbacks
) -> None:
    order = _lapsed_order(paper_account, equity)
    with django_capture_on_commit_callbacks(execute=True):
        counts = submission.orders_reap()
    order.refresh_from_db()
    assert counts["unknown"] == 1
    assert order.status == OrderStatus.FILLED and order.attempts == 2
    assert PaperBrokerOrder.objects.filter(correlation_id=order.client_id).count() == 1
    assert "requeued" in list(order.audit.values_list("action", flat=True))


def test_a_worker_that_died_mid_post_leaves_an_unknown_order_never_reposted(
    paper_account, equity, settings
) -> None:
    order = _lapsed_order(paper_account, equity, post_started_at=timezone.now())
    settings.TRADES = {**settings.TRADES, "UNKNOWN_GIVE_UP_SECONDS": 60}
    submission.orders_reap()
    order.refresh_from_db()
    assert order.status == OrderStatus.REJECTED  # the broker never had it: not placed
    assert "never placed" in order.reason
    assert not PaperBrokerOrder.objects.filter(correlation_id=order.client_id).exists()
    assert submission.order_submit(order_id=order.pk) == "not_new"
