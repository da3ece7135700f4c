"""A hypothesis state machine over the order lifecycle, against the paper broker and the fake
Dhan server with faults: no order twice at the broker, positions = the sum of fills, and
(paper) cash conserved."""

from __future__ import annotations

import contextlib
import uuid
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from algobacktester.errors import Conflict
from trades.brokers.paper import paisa
from trades.models import (
    Fill,
    Order,
    OrderStatus,
    PaperBrokerOrder,
    PaperBrokerTrade,
    PaperLedger,
    Position,
)
from trades.services import submission
from trades.services.accounts import account_connect
from trades.services.orders import order_cancel, order_execute
from trades.services.polling import account_poll
from trades.services.reconcile import account_reconcile

from .conftest import candles_until_now
from .fake_dhan import FakeDhan, token_for

pytestmark = pytest.mark.django_db
FAULTS = ["", "", "", "transit", "partial", "5xx", "rate_limit", "timeout"]


class Lifecycle(RuleBasedStateMachine):
    broker = "paper"
    fake: FakeDhan | None = None

    def __init__(self) -> None:
        super().__init__()
        from algobacktester.accounts.tests.factories import UserFactory
        from marketdata.models import Instrument

        self.user = UserFactory()
        self.instrument = Instrument.objects.create(
            exchange="NSE",
            segment="NSE_EQ",
            symbol=f"SM{uuid.uuid4().hex[:8].upper()}",
            security_id=str(uuid.uuid4().int)[:6],
            kind="equity",
            lot_size=1,
        )
        candles_until_now(self.instrument, minutes=3, price=100.0)
        if self.broker == "paper":
            self.account = account_connect(
                user=self.user,
                broker="paper",
                name="M",
                paper={
                    "starting_cash": "10000000",
                    "slippage_bps": 5,
                    "fee_model": "india_equity_intraday",
                },
                risk={"max_orders_per_second": 1000},
            )
        else:
            assert self.fake is not None
            self.fake.reset()  # each example is a login of its own
            self.account = account_connect(
                user=self.user,
                broker="dhan",
                name="M",
                credentials={"client_id": self.fake.client_id, "access_token": self.fake.token},
                risk={"max_orders_per_second": 1000},
            )

    def _orders(self):
        return Order.objects.filter(account=self.account)

    @rule(
        side=st.sampled_from(["BUY", "SELL"]),
        lots=st.integers(1, 20),
        kind=st.sampled_from(["MARKET", "MARKET", "LIMIT"]),
        offset=st.integers(-3, 3),
        fault=st.sampled_from(FAULTS),
    )
    def execute(self, side: str, lots: int, kind: str, offset: int, fault: str) -> None:
        if self.fake is not None and fault:
            self.fake.fail_next(fault)
        order_execute(
            user=self.user,
            account_id=self.account.pk,
            instrument_ref=self.instrument.pk,
            side=side,
            lots=lots,
            order_type=kind,
            product="INTRADAY",
            price=Decimal(100 + offset) if kind == "LIMIT" else None,
        )
        if self.fake is not None:
            self.fake.faults.clear()  # a fault the order did not consume must not linger

    @rule(price=st.integers(95, 105))
    def move(self, price: int) -> None:
        if self.fake is not None:
            self.fake.prices[self.instrument.security_id] = float(price)
        else:
            candles_until_now(self.instrument, minutes=3, price=float(price))

    @rule()
    def poll(self) -> None:
        account_poll(account=self.account)

    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        live = list(self._orders().filter(status__in=("open", "partially_filled")))
        if live:
            with contextlib.suppress(Conflict):  # filled between the read and the cancel
                order_cancel(order=data.draw(st.sampled_from(live)), actor="user:test")

    @rule()
    def redeliver(self) -> None:
        """A duplicated or late submit task: it must post nothing."""
        for pk in self._orders().values_list("pk", flat=True):
            assert submission.order_submit(order_id=pk) == "not_new"

    @rule()
    def settle(self) -> None:
        for pk in self._orders().filter(status=OrderStatus.UNKNOWN).values_list("pk", flat=True):
            submission.order_settle(order_id=pk)

    @rule()
    def reconcile(self) -> None:
        result = account_reconcile(account=self.account)
        assert not result.get("mismatches"), result

    @invariant()
    def no_order_twice_at_the_broker(self) -> None:
        if self.fake is not None:
            assert all(n == 1 for n in self.fake.posts.values()), self.fake.posts
            return
        per_id = defaultdict(int)
        for cid in PaperBrokerOrder.objects.filter(account=self.account).values_list(
            "correlation_id", flat=True
        ):
            per_id[cid] += 1
        assert all(n == 1 for n in per_id.values()), per_id

    @invariant()
    def positions_are_the_sum_of_fills(self) -> None:
        net = 0
        for side, qty in Fill.objects.filter(account=self.account).values_list(
            "order__side", "quantity"
        ):
            net += qty if side == "BUY" else -qty
        position = Position.objects.filter(account=self.account, instrument=self.instrument).first()
        assert (position.net_quantity if position else 0) == net
        for order in self._orders():
            filled = sum(Fill.objects.filter(order=order).values_list("quantity", flat=True))
            assert order.filled_quantity == filled <= order.quantity

    @invariant()
    def cash_is_conserved(self) -> None:
        if self.broker != "paper":
            return
        ledger = PaperLedger.objects.get(account=self.account)
        flows = Decimal(0)
        for side, qty, price, charges in PaperBrokerTrade.objects.filter(
            order__account=self.account
        ).values_list("order__side", "quantity", "price", "charges"):
            flows += paisa((-qty if side == "BUY" else qty) * price) - charges
        assert ledger.cash == ledger.starting_cash + flows


def test_lifecycle_on_the_paper_broker(settings) -> None:
    run_state_machine_as_test(Lifecycle, settings=hsettings(max_examples=8, stateful_step_count=12))


def test_lifecycle_on_the_fake_dhan_server_with_faults(settings) -> None:
    settings.DHAN_TIMEOUT_SECONDS = 1
    settings.RATE_LIMITS = {
        "STORAGE_URL": "memory://",
        "dhan": {"orders": "1000/second", "data": "1000/second"},
    }
    fake = FakeDhan(token=token_for("machine"), client_id=str(uuid.uuid4().int)[:10]).start()
    fake.timeout_seconds = 1.3
    settings.DHAN_BASE_URL = fake.base_url

    class DhanLifecycle(Lifecycle):
        broker = "dhan"

    DhanLifecycle.fake = fake
    try:
        run_state_machine_as_test(
            DhanLifecycle, settings=hsettings(max_examples=8, stateful_step_count=12)
        )
    finally:
        fake.stop()
