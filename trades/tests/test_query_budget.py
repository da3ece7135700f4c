"""Queries per order through the gate and the paper broker: a budget so it cannot creep back.

A market order on the paper broker (gate, order row and audit, lease, fill, ledger, position,
status) took 42 statements before it was cut and 32 after (savepoints included); the budget
leaves a little room, not a lot.
Notifications are left out: their deliveries run on workers in services mode."""

from __future__ import annotations

import pytest

from algobacktester.bus import subscribe, unsubscribe
from notifications.constants import EventType
from notifications.subscribers import event_deliveries_create
from trades.models import Fill, OrderAudit
from trades.services.orders import order_execute

pytestmark = pytest.mark.django_db

QUERIES_PER_PAPER_ORDER = 34


@pytest.fixture
def notifications_off():
    for event_type in EventType.values:
        unsubscribe(event_type, event_deliveries_create)
    yield
    for event_type in EventType.values:
        subscribe(event_type, event_deliveries_create)


def _market(user, account, instrument, side: str):
    order, _ = order_execute(
        user=user,
        account_id=account.pk,
        instrument_ref=instrument.pk,
        side=side,
        lots=1,
        order_type="MARKET",
        product="INTRADAY",
    )
    return order


def test_a_paper_market_order_stays_within_its_query_budget(
    user, paper_account, equity, notifications_off, django_assert_max_num_queries
) -> None:
    for side in ("BUY", "SELL", "BUY"):  # an open position, closed, reopened: every path warm
        _market(user, paper_account, equity, side)
    with django_assert_max_num_queries(QUERIES_PER_PAPER_ORDER):
        order = _market(user, paper_account, equity, "SELL")
    assert order.status == "filled" and order.filled_quantity == 1
    assert Fill.objects.filter(order=order).count() == 1
    actions = list(OrderAudit.objects.filter(order=order).values_list("action", flat=True))
    assert actions == ["created", "submit", "placed", "update"]
