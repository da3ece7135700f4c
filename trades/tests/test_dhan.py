"""Dhan through the dhanhq SDK against a local fake server: nothing is ever placed twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from trades.models import BrokerAccount, Fill, Order, OrderAudit, Position
from trades.services import reconcile, submission
from trades.services.accounts import account_connect
from trades.services.orders import order_cancel, order_execute
from trades.services.polling import account_poll

pytestmark = pytest.mark.django_db


def buy(account, instrument, **extra):
    fields = {
        "user": account.owner,
        "account_id": account.pk,
        "instrument_ref": instrument.pk,
        "side": "BUY",
        "lots": 2,
        "order_type": "MARKET",
        "product": "INTRADAY",
        **extra,
    }
    return order_execute(**fields)[0]


def test_connect_checks_the_token_and_records_its_expiry(dhan, fake) -> None:
    assert dhan.status == "connected"
    assert dhan.funds["available"] == "250000.5"
    assert dhan.token_expires_at > timezone.now() + timedelta(hours=23)
    assert dhan.broker_client_hint == f"…{fake.client_id[-4:]}"
    stored = BrokerAccount.objects.get(pk=dhan.pk)
    assert fake.token not in stored.credentials and fake.client_id not in stored.credentials


def test_a_refused_token_stores_nothing(user, fake) -> None:
    from algobacktester.errors import InvalidInput

    with pytest.raises(InvalidInput) as caught:
        account_connect(
            user=user,
            broker="dhan",
            name="Bad",
            credentials={"client_id": "1", "access_token": "nope"},
        )
    assert "credentials" in caught.value.detail
    assert not BrokerAccount.objects.filter(name="Bad").exists()


def test_a_market_order_fills_with_our_client_id_as_correlation_id(dhan, fake, equity) -> None:
    order = buy(dhan, equity)
    order.refresh_from_db()
    assert order.status == "filled" and order.filled_quantity == 2
    assert fake.posts == {order.client_id: 1}
    assert fake.orders[order.broker_order_id]["correlationId"] == order.client_id
    assert Position.objects.get(account=dhan, instrument=equity).net_quantity == 2


@pytest.mark.parametrize("fault", ["timeout", "5xx"])
def test_an_answer_lost_after_accepting_is_unknown_then_settled_never_reposted(
    dhan, fake, equity, fault
) -> None:
    fake.fail_next(fault)
    order = buy(dhan, equity)
    order.refresh_from_db()
    assert order.status == "unknown", order.reason
    # What the settle task (sent on commit) and the reaper do: look the client id up.
    assert submission.order_settle(order_id=order.pk) == "filled"
    order.refresh_from_db()
    actions = list(OrderAudit.objects.filter(order=order).values_list("action", flat=True))
    assert "unknown" in actions
    assert fake.posts == {order.client_id: 1}
    assert Fill.objects.filter(order=order).count() == 1
    assert submission.order_submit(order_id=order.pk) == "not_new"  # a redelivery posts nothing
    assert fake.posts == {order.client_id: 1}


def test_an_order_that_never_arrived_is_rejected_after_the_give_up_time(
    dhan, fake, equity, settings
) -> None:
    settings.DHAN_BASE_URL = "http://127.0.0.1:9/v2"  # nothing listens: the POST never arrived
    order = buy(dhan, equity)
    order.refresh_from_db()
    assert order.status == "unknown"
    settings.DHAN_BASE_URL = fake.base_url
    assert submission.order_settle(order_id=order.pk) == "pending"  # not yet given up
    Order.objects.filter(pk=order.pk).update(submitted_at=timezone.now() - timedelta(hours=1))
    assert submission.order_settle(order_id=order.pk) == "rejected"
    assert fake.posts == {}


def test_stuck_in_transit_stays_open_and_can_be_cancelled(dhan, fake, equity) -> None:
    fake.fail_next("transit")
    order = buy(dhan, equity)
    order.refresh_from_db()
    assert order.status == "open" and order.broker_status == "TRANSIT"
    account_poll(account=dhan)
    order.refresh_from_db()
    assert order.status == "open"
    assert order_cancel(order=order, actor="user:1").status == "cancelled"


def test_partial_fills_and_duplicated_updates_count_once(dhan, fake, equity) -> None:
    fake.fail_next("partial")
    order = buy(dhan, equity, lots=4)
    order.refresh_from_db()
    assert order.status == "partially_filled" and order.filled_quantity == 2
    fake.duplicate_trades = True
    account_poll(account=dhan)
    account_poll(account=dhan)
    order.refresh_from_db()
    assert order.filled_quantity == 2
    fake.fill(order.broker_order_id)
    account_poll(account=dhan)
    order.refresh_from_db()
    assert order.status == "filled" and order.filled_quantity == 4
    assert Fill.objects.filter(order=order).count() == 2
    assert Position.objects.get(account=dhan, instrument=equity).net_quantity == 4


def test_a_bare_stop_loss_market_on_an_option_is_sent_as_a_protected_stop_limit(
    dhan, fake, option
) -> None:
    order = buy(dhan, option, lots=1, order_type="STOP_LOSS_MARKET", trigger_price=150)
    order.refresh_from_db()
    sent = fake.orders[order.broker_order_id]
    assert sent["orderType"] == "STOP_LOSS" and sent["price"] == 157.5  # trigger + 5%
    assert order.status == "open"


def test_dhan_rejects_a_bare_sl_m_on_an_option_and_we_record_it(
    dhan, fake, option, monkeypatch
) -> None:
    from trades.brokers.dhan import DhanBroker

    def bare(self, request):  # what the adapter would send without its rewrite
        return self._sdk.place_order(
            security_id=request.security_id,
            exchange_segment=request.segment,
            transaction_type=request.side,
            quantity=request.quantity,
            order_type="STOP_LOSS_MARKET",
            product_type=request.product,
            price=0,
            trigger_price=float(request.trigger_price),
            tag=request.client_id,
        )

    monkeypatch.setattr(DhanBroker, "_post_order", bare)
    order = buy(dhan, option, lots=1, order_type="STOP_LOSS_MARKET", trigger_price=150)
    order.refresh_from_db()
    assert order.status == "rejected" and "SL-M" in order.reason


def test_a_rate_limited_order_is_rejected_naming_the_limit(dhan, fake, equity) -> None:
    fake.fail_next("rate_limit")
    order = buy(dhan, equity)
    order.refresh_from_db()
    assert order.status == "rejected" and "DH-904" in order.reason
    assert fake.posts == {}


def test_an_expired_token_stops_the_account(dhan, fake, equity) -> None:
    fake.fail_next("token_expired")
    order = buy(dhan, equity)
    order.refresh_from_db()
    dhan.refresh_from_db()
    assert order.status == "rejected" and "DH-901" in order.reason
    assert dhan.status == "token_expired"
    from algobacktester.errors import Unavailable

    with pytest.raises(Unavailable):
        buy(dhan, equity)


def test_reconciliation_adopts_what_we_lack_and_halts_on_a_position_mismatch(
    dhan, fake, equity
) -> None:
    buy(dhan, equity)
    broker_id = fake.place_external(
        securityId=equity.security_id, exchangeSegment="NSE_EQ", quantity=3
    )
    result = reconcile.account_reconcile(account=dhan)
    assert result["adopted"] == 1 and result["mismatches"] == []
    adopted = Order.objects.get(broker_order_id=broker_id)
    assert adopted.source == "adopted" and adopted.filled_quantity == 3
    assert Position.objects.get(account=dhan, instrument=equity).net_quantity == 5
    # A fill the broker has no record of (a corrupted book): halt, never "fix" it.
    Position.objects.filter(account=dhan).update(net_quantity=7)
    result = reconcile.account_reconcile(account=dhan)
    dhan.refresh_from_db()
    assert result["mismatches"] and dhan.trading_state == "halted"
    assert fake.kill_switch is True
    assert Position.objects.get(account=dhan, instrument=equity).net_quantity == 7


def test_the_token_expiry_alert_fires_once(dhan, settings) -> None:
    from trades.services.accounts import tokens_expiring_alert

    BrokerAccount.objects.filter(pk=dhan.pk).update(
        token_expires_at=timezone.now() + timedelta(hours=1)
    )
    assert tokens_expiring_alert() == 1
    assert tokens_expiring_alert() == 0
