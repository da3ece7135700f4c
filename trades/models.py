"""Broker accounts, orders placed once, fills keyed by the broker's ids, positions, audit.

Money is Decimal here (ARCHITECTURE decision 6). An order is written with its unique client
id in the same transaction as the decision to trade, and posted once after commit under the
shared lease (``workers.leases``); docs/adr/0015-orders-placed-once.md.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from workers.leases import LeasedJob

MONEY = {"max_digits": 18, "decimal_places": 2}
PRICE = {"max_digits": 18, "decimal_places": 4}


class TradingState(models.TextChoices):
    """Mirrors ``engine.risk_gate.TradingState``: exits only while REDUCING, nothing HALTED."""

    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"


class BrokerAccount(models.Model):
    class Status(models.TextChoices):
        CONNECTED = "connected"
        TOKEN_EXPIRED = "token_expired"  # the broker refused the credentials: reconnect
        ERROR = "error"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="broker_accounts"
    )
    name = models.CharField(max_length=80)
    broker = models.CharField(max_length=40, help_text="A registered broker: paper, dhan, …")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CONNECTED)
    trading_state = models.CharField(
        max_length=10, choices=TradingState.choices, default=TradingState.ACTIVE
    )
    state_reason = models.CharField(max_length=300, blank=True)
    # MultiFernet ciphertext of the credentials' JSON (trades/crypto.py); never leaves the server.
    credentials = models.TextField(blank=True)
    # Not a secret, shown so the owner can tell accounts apart: "…1234" of the broker's client id.
    broker_client_hint = models.CharField(max_length=16, blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    token_alerted_at = models.DateTimeField(null=True, blank=True)
    funds = models.JSONField(default=dict, blank=True, help_text="The last funds snapshot.")
    funds_at = models.DateTimeField(null=True, blank=True)
    # Risk limits of the pre-trade gate (engine.risk_gate.RiskLimits fields).
    risk = models.JSONField(default=dict, blank=True)
    # Paper broker settings: starting balance, slippage, fee model, stale-quote age, square-off.
    paper = models.JSONField(default=dict, blank=True)
    reconciled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("created_at", "id")
        constraints = [
            models.UniqueConstraint(fields=("owner", "name"), name="trades_account_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.broker} account {self.pk} ({self.name})"

    def __repr__(self) -> str:  # never the credentials
        return f"<BrokerAccount {self.pk} {self.broker} {self.status}>"


class OrderStatus(models.TextChoices):
    NEW = "new"  # written with the decision, not yet claimed for submission
    SUBMITTING = "submitting"  # claimed under a lease: the one POST is in progress
    UNKNOWN = "unknown"  # the POST's outcome is not known: settled by a lookup, never re-posted
    OPEN = "open"  # at the broker, nothing filled (Dhan TRANSIT, PENDING)
    PARTIALLY_FILLED = "partially_filled"  # PART_TRADED
    FILLED = "filled"  # TRADED
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    EXPIRED = "expired"


LIVE_STATUSES = (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED)
UNSETTLED_STATUSES = (OrderStatus.NEW, OrderStatus.SUBMITTING, OrderStatus.UNKNOWN)
FINAL_STATUSES = (
    OrderStatus.FILLED,
    OrderStatus.CANCELLED,
    OrderStatus.REJECTED,
    OrderStatus.EXPIRED,
)


class Side(models.TextChoices):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(models.TextChoices):
    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP_LOSS = "STOP_LOSS"  # a stop-limit: trigger and limit price
    STOP_LOSS_MARKET = "STOP_LOSS_MARKET"


class Product(models.TextChoices):
    INTRADAY = "INTRADAY"
    CNC = "CNC"  # delivery
    MARGIN = "MARGIN"  # carry-forward derivatives


class Order(LeasedJob):
    class Source(models.TextChoices):
        MANUAL = "manual"
        SESSION = "session"
        ADOPTED = "adopted"  # found at the broker by reconciliation
        SQUARE_OFF = "square_off"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="orders"
    )
    account = models.ForeignKey(BrokerAccount, on_delete=models.CASCADE, related_name="orders")
    # Ours, sent as Dhan's correlationId: the broker-side key an unknown outcome is looked up by.
    client_id = models.CharField(max_length=30, unique=True)
    idempotency_key = models.CharField(max_length=100, blank=True)
    instrument = models.ForeignKey(
        "marketdata.Instrument", on_delete=models.PROTECT, related_name="orders"
    )
    strategy = models.ForeignKey(
        "strategies.Strategy",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
    )
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.MANUAL)
    side = models.CharField(max_length=4, choices=Side.choices)
    lots = models.PositiveIntegerField()
    quantity = models.PositiveIntegerField(help_text="Units: lots x lot size.")
    order_type = models.CharField(max_length=16, choices=OrderType.choices)
    product = models.CharField(max_length=10, choices=Product.choices)
    price = models.DecimalField(**PRICE, null=True, blank=True)
    trigger_price = models.DecimalField(**PRICE, null=True, blank=True)
    slice = models.BooleanField(default=False, help_text="Sent with the broker's slicing.")
    status = models.CharField(
        max_length=16, choices=OrderStatus.choices, default=OrderStatus.NEW, db_index=True
    )
    broker_status = models.CharField(max_length=20, blank=True)
    broker_order_id = models.CharField(max_length=40, blank=True, db_index=True)
    filled_quantity = models.PositiveIntegerField(default=0)
    average_price = models.DecimalField(**PRICE, null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Committed just before the POST: a worker that died without it provably never posted
    # (its order goes back to NEW); with it, the outcome is UNKNOWN until looked up.
    post_started_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=("owner", "idempotency_key"),
                condition=~Q(idempotency_key=""),
                name="trades_order_unique_idempotency",
            )
        ]
        indexes = [
            models.Index(fields=("account", "status"), name="trades_order_acct_status"),
            models.Index(fields=("status", "lease_until"), name="trades_order_status_lease"),
        ]

    def __str__(self) -> str:
        return f"order {self.client_id} ({self.status})"

    @property
    def signed(self) -> int:
        return 1 if self.side == Side.BUY else -1


class Fill(models.Model):
    """One execution, keyed by the broker's order and trade ids, never by time or price."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="fills")
    account = models.ForeignKey(BrokerAccount, on_delete=models.CASCADE, related_name="fills")
    broker_order_id = models.CharField(max_length=40)
    trade_id = models.CharField(max_length=40)
    quantity = models.PositiveIntegerField()
    price = models.DecimalField(**PRICE)
    charges = models.DecimalField(**MONEY, default=0)
    charges_breakdown = models.JSONField(default=dict, blank=True)
    # What this fill realised against the position it traded into (gross of charges).
    realised_pnl = models.DecimalField(**MONEY, default=0)
    ts = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("ts", "id")
        constraints = [
            models.UniqueConstraint(
                fields=("account", "broker_order_id", "trade_id"), name="trades_fill_unique_ids"
            )
        ]

    def __str__(self) -> str:
        return f"fill {self.broker_order_id}/{self.trade_id}"


class Position(models.Model):
    """The net position of an account in an instrument and product, folded from its fills."""

    account = models.ForeignKey(BrokerAccount, on_delete=models.CASCADE, related_name="positions")
    instrument = models.ForeignKey(
        "marketdata.Instrument", on_delete=models.PROTECT, related_name="positions"
    )
    product = models.CharField(max_length=10, choices=Product.choices)
    net_quantity = models.IntegerField(default=0)
    average_price = models.DecimalField(**PRICE, default=0)
    realised_pnl = models.DecimalField(**MONEY, default=0)
    charges = models.DecimalField(**MONEY, default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("account", "instrument")
        constraints = [
            models.UniqueConstraint(
                fields=("account", "instrument", "product"), name="trades_position_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.net_quantity} of {self.instrument_id} in account {self.account_id}"


class OrderAudit(models.Model):
    """Every action on an order: who or what, when, from which request or session."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="audit")
    action = models.CharField(max_length=30)
    actor = models.CharField(max_length=60, help_text='"user:7", "system:reconcile", …')
    request_id = models.CharField(max_length=128, blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"{self.action} on {self.order_id} by {self.actor}"


class PaperLedger(models.Model):
    """A paper account's money: cash, margin blocked by open positions, realised P&L."""

    account = models.OneToOneField(BrokerAccount, on_delete=models.CASCADE, related_name="ledger")
    starting_cash = models.DecimalField(**MONEY)
    cash = models.DecimalField(**MONEY)
    margin_blocked = models.DecimalField(**MONEY, default=0)
    realised_pnl = models.DecimalField(**MONEY, default=0)
    charges = models.DecimalField(**MONEY, default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"ledger of account {self.account_id}"


class PaperBrokerOrder(models.Model):
    """The paper broker's own order book: what a real broker would hold on its side.

    Kept apart from :class:`Order` so reconciliation, lookups by client id and the test that
    counts orders at the broker mean the same for paper as for Dhan. ``correlation_id`` is
    deliberately not unique: a broker does not de-duplicate, that is our job."""

    account = models.ForeignKey(
        BrokerAccount, on_delete=models.CASCADE, related_name="paper_orders"
    )
    broker_order_id = models.CharField(max_length=40, unique=True)
    correlation_id = models.CharField(max_length=30, db_index=True)
    instrument = models.ForeignKey(
        "marketdata.Instrument", on_delete=models.PROTECT, related_name="+"
    )
    side = models.CharField(max_length=4, choices=Side.choices)
    quantity = models.PositiveIntegerField()
    order_type = models.CharField(max_length=16, choices=OrderType.choices)
    product = models.CharField(max_length=10, choices=Product.choices)
    price = models.DecimalField(**PRICE, null=True, blank=True)
    trigger_price = models.DecimalField(**PRICE, null=True, blank=True)
    status = models.CharField(max_length=20)  # Dhan's vocabulary: PENDING, TRADED, …
    filled_quantity = models.PositiveIntegerField(default=0)
    average_price = models.DecimalField(**PRICE, null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"paper order {self.broker_order_id}"


class PaperBrokerTrade(models.Model):
    order = models.ForeignKey(PaperBrokerOrder, on_delete=models.CASCADE, related_name="trades")
    trade_id = models.CharField(max_length=40, unique=True)
    quantity = models.PositiveIntegerField()
    price = models.DecimalField(**PRICE)
    charges = models.DecimalField(**MONEY, default=0)
    charges_breakdown = models.JSONField(default=dict, blank=True)
    ts = models.DateTimeField()

    class Meta:
        ordering = ("ts", "id")

    def __str__(self) -> str:
        return f"paper trade {self.trade_id}"
