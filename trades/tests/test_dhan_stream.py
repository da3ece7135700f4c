"""Dhan's order-update WebSocket and quotes, against the local fake: updates are applied
idempotently (duplicates, out of order), a dropped stream reconnects and catches up."""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import connection

from trades.brokers.base import BrokerUnavailable, OrderRequest
from trades.brokers.dhan import DhanBroker
from trades.brokers.dhan_stream import update_parse
from trades.models import Fill, Order, Position
from trades.services.accounts import broker_for
from trades.services.order_stream import account_order_stream
from trades.services.orders import order_execute

# The stream runs in its own thread, on its own connection: the test's rows must be committed.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def stream(fake, settings):
    fake.start_stream()
    settings.DHAN_ORDER_UPDATE_URL = fake.ws_url
    return fake


@contextmanager
def streaming(account):
    stop = threading.Event()

    def run() -> None:
        try:
            account_order_stream(account_id=account.pk, stop=stop)
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(10)


def limit_buy(account, instrument, lots: int = 4) -> Order:
    order, _ = order_execute(
        user=account.owner,
        account_id=account.pk,
        instrument_ref=instrument.pk,
        side="BUY",
        lots=lots,
        order_type="LIMIT",
        product="INTRADAY",
        price=Decimal("99"),
    )
    assert order.status == "open", order.reason
    return order


def wait_for(predicate, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _status(order: Order) -> str:
    return Order.objects.values_list("status", flat=True).get(pk=order.pk)


def test_the_capabilities_say_what_works() -> None:
    caps = DhanBroker.capabilities
    assert caps.order_updates is True and caps.quotes is True
    assert caps.cancel_all is False and caps.flatten is False


def test_a_dhan_order_alert_parses_into_a_broker_order() -> None:
    raw = (
        '{"Type": "order_alert", "Data": {"OrderNo": "112", "CorrelationId": "ab1", '
        '"Status": "Part_Traded", "TxnType": "S", "OrderType": "LMT", "Quantity": 10, '
        '"TradedQty": 4, "AvgTradedPrice": 101.5, "ReasonDescription": "CONFIRMED"}}'
    )
    update = update_parse(raw)
    assert update is not None
    assert (update.broker_order_id, update.client_id, update.status) == (
        "112",
        "ab1",
        "PART_TRADED",
    )
    assert (update.side, update.order_type, update.filled_quantity) == ("SELL", "LIMIT", 4)
    assert update.average_price == Decimal("101.5") and update.reason == ""
    assert update_parse('{"Type": "heartbeat"}') is None
    assert update_parse("not json") is None
    assert update_parse(raw.replace("Part_Traded", "Teleported")) is None


def test_a_pushed_fill_reaches_the_order_without_the_token_in_logs(
    dhan, equity, stream, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    order = limit_buy(dhan, equity)
    with streaming(dhan):
        assert stream.wait_connected()
        stream.fill(order.broker_order_id)
        assert wait_for(lambda: _status(order) == "filled"), _status(order)
    assert stream.logins == [{"MsgCode": 42, "ClientId": stream.client_id}]
    assert Fill.objects.filter(order=order).count() == 1
    assert Position.objects.get(account=dhan, instrument=equity).net_quantity == 4
    assert stream.token not in caplog.text and stream.token.split(".")[-1] not in caplog.text


def test_duplicated_updates_add_nothing(dhan, equity, stream) -> None:
    stream.stream_duplicates = True
    order = limit_buy(dhan, equity)
    with streaming(dhan):
        assert stream.wait_connected()
        stream.fill(order.broker_order_id, 1)
        assert wait_for(lambda: _status(order) == "partially_filled")
        stream.fill(order.broker_order_id)
        assert wait_for(lambda: _status(order) == "filled")
        time.sleep(0.3)  # let the duplicates of the last alert arrive too
    assert stream.sent_alerts >= 4  # every alert went out twice
    assert sorted(Fill.objects.filter(order=order).values_list("quantity", flat=True)) == [1, 3]
    assert Position.objects.get(account=dhan, instrument=equity).net_quantity == 4


def test_a_late_update_never_moves_an_order_back(dhan, equity, stream) -> None:
    order = limit_buy(dhan, equity)
    with streaming(dhan):
        assert stream.wait_connected()
        stream.stream_hold()
        stream.fill(order.broker_order_id, 1)  # PART_TRADED
        stream.fill(order.broker_order_id)  # TRADED
        stream.stream_release()  # TRADED arrives first, then the stale PART_TRADED
        assert wait_for(lambda: _status(order) == "filled")
        time.sleep(0.5)  # the stale one has been read by now
        assert _status(order) == "filled"
    row = Order.objects.get(pk=order.pk)
    assert row.filled_quantity == 4 and row.broker_status == "TRADED"
    assert Fill.objects.filter(order=order).count() == 2


def test_a_dropped_stream_reconnects_and_catches_up_what_it_missed(dhan, equity, stream) -> None:
    order = limit_buy(dhan, equity)
    with streaming(dhan):
        assert stream.wait_connected()
        stream.stream_mute = True  # this fill's alert is lost
        stream.fill(order.broker_order_id)
        stream.stream_drop()
        stream.stream_mute = False
        assert wait_for(lambda: len(stream.logins) >= 2)
        # the catch-up poll after the new login read the order over REST
        assert wait_for(lambda: _status(order) == "filled"), _status(order)
    assert Fill.objects.filter(order=order).count() == 1


def test_an_unknown_order_is_settled_by_its_update(dhan, equity, stream) -> None:
    stream.fail_next("5xx")  # accepted, but the answer is a 500: UNKNOWN
    order, _ = order_execute(
        user=dhan.owner,
        account_id=dhan.pk,
        instrument_ref=equity.pk,
        side="BUY",
        lots=2,
        order_type="LIMIT",
        product="INTRADAY",
        price=Decimal("99"),
    )
    # Eager tasks already settled it by client id; put it back to UNKNOWN, as it stays
    # until the settle task runs in services mode.
    Order.objects.filter(pk=order.pk).update(status="unknown")
    [broker_id] = [o["orderId"] for o in stream.orders.values()]
    with streaming(dhan):
        assert stream.wait_connected()
        stream.fill(broker_id)
        assert wait_for(lambda: _status(order) == "filled"), _status(order)
    assert stream.posts[order.client_id] == 1  # settled, never posted again


def _request(instrument) -> OrderRequest:
    return OrderRequest(
        client_id="q",
        instrument_id=instrument.pk,
        security_id=instrument.security_id,
        segment=instrument.segment,
        symbol=instrument.symbol,
        kind=instrument.kind,
        side="BUY",
        quantity=1,
        order_type="MARKET",
        product="INTRADAY",
    )


def test_quotes_come_from_the_market_quote_api(dhan, equity, fake) -> None:
    from django.utils import timezone

    fake.prices[equity.security_id] = 250.0
    quote = broker_for(dhan).quote(_request(equity))
    assert quote is not None
    assert (quote.last, quote.bid, quote.ask) == (250.0, 249.95, 250.05)
    assert (quote.day_low, quote.day_high) == (249.0, 251.0)
    assert abs((timezone.now() - quote.ts).total_seconds()) < 5
    fake.quote_age_seconds = 3600
    assert (timezone.now() - broker_for(dhan).quote(_request(equity)).ts).total_seconds() > 3000
    fake.quote_fault = "5xx"
    with pytest.raises(BrokerUnavailable):
        broker_for(dhan).quote(_request(equity))


def test_the_command_streams_every_connected_dhan_account(dhan, paper_account, equity, stream):
    from trades.management.commands.trades_order_updates import streams_run

    order = limit_buy(dhan, equity)
    stop = threading.Event()
    runner = threading.Thread(target=streams_run, kwargs={"stop": stop, "rescan": 0.2}, daemon=True)
    runner.start()
    try:
        assert stream.wait_connected()
        stream.fill(order.broker_order_id)
        assert wait_for(lambda: _status(order) == "filled")
        assert stream.connected == 1  # the paper account has no stream; one per Dhan login
    finally:
        stop.set()
        runner.join(10)
    assert not runner.is_alive()
