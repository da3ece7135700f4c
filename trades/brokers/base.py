"""The broker adapter template: what every broker implements, and what it may.

Write an adapter by subclassing :class:`Broker`, setting ``name`` and ``capabilities``, and
implementing every **required** method below; an **optional** one it leaves alone answers
:class:`NotSupported`, and its capability flag says so, so the API refuses the request with
a clear 4xx instead of pretending. Put it in ``custom_modules/exchanges/<name>.py`` as a class
named ``Broker`` to add a broker, or to replace a built-in of the same name (registry.py).

| method | required | what it does |
| --- | --- | --- |
| ``place(request)`` | yes | send one order; **exactly one** HTTP call, never retried |
| ``order_by_client_id(client_id)`` | yes | look an order up by our client id (correlation id) |
| ``orders()`` | yes | today's orders at the broker, for reconciliation |
| ``fills()`` | yes | today's executions, keyed by (broker order id, trade id) |
| ``positions()`` | yes | net positions at the broker |
| ``funds()`` | yes | balance and margin: also the credentials check on connect |
| ``cancel(broker_order_id)`` | yes | cancel a working order |
| ``modify(broker_order_id, ...)`` | optional | change quantity, price, trigger of a working order |
| ``cancel_all()`` | optional | cancel every working order |
| ``flatten()`` | optional | exit every position at the broker |
| ``quote(instrument)`` | optional | last, bid, ask and the day's range |
| ``kill_switch(active)`` | optional | the broker's own trading halt |
| ``order_updates(stop, on_connect)`` | optional | pushed order updates (an iterable of ``BrokerOrder``) until ``stop`` is set; ``on_connect`` after each (re)connection |

Outcomes of ``place``: a :class:`BrokerOrder` (accepted), :class:`BrokerRejected` (the broker
said no: nothing was placed), or :class:`OutcomeUnknown` (timeout, 5xx, a failure the SDK
cannot tell apart from a rejection): the order is UNKNOWN until ``order_by_client_id``
settles it. Reads raise :class:`BrokerUnavailable` on transient trouble and
:class:`BrokerAuthError` when the credentials are refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

REQUIRED_METHODS = (
    "place",
    "order_by_client_id",
    "orders",
    "fills",
    "positions",
    "funds",
    "cancel",
)
OPTIONAL_METHODS = ("modify", "cancel_all", "flatten", "quote", "kill_switch", "order_updates")


class BrokerError(Exception):
    """Base of the adapters' errors; ``code`` is the broker's (``DH-906``) when it gave one."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class BrokerRejected(BrokerError):  # noqa: N818 - names the outcome
    """The broker refused the order: nothing was placed."""


class OutcomeUnknown(BrokerError):  # noqa: N818 - names the outcome
    """The request may or may not have reached the broker: look the client id up."""


class BrokerUnavailable(BrokerError):  # noqa: N818 - names the outcome
    """A read failed for a transient reason (timeout, 5xx, rate limit)."""


class BrokerAuthError(BrokerError):
    """The broker refused the credentials (Dhan DH-901, 807: an expired token)."""


class NotSupported(BrokerError):  # noqa: N818 - names the outcome
    """This broker has no such operation (its capability flag is off)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Capabilities:
    order_types: tuple[str, ...] = ("MARKET", "LIMIT", "STOP_LOSS", "STOP_LOSS_MARKET")
    products: tuple[str, ...] = ("INTRADAY", "CNC", "MARGIN")
    modify: bool = False
    cancel_all: bool = False
    flatten: bool = False
    quotes: bool = False
    kill_switch: bool = False
    order_updates: bool = False
    slicing: bool = False  # splits an order above the exchange freeze quantity itself
    needs_credentials: bool = True
    live: bool = True  # real money: off until the operator enables live brokers
    rate_limits: dict[str, str] = field(default_factory=dict)  # purpose -> "10/second;…"

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRequest:
    client_id: str
    instrument_id: int
    security_id: str
    segment: str
    symbol: str
    kind: str  # index, equity, future, option
    side: str  # BUY, SELL
    quantity: int
    order_type: str
    product: str
    price: Decimal | None = None
    trigger_price: Decimal | None = None
    slice: bool = False
    automated: bool = False  # placed by a strategy: carries the SEBI algo id where required


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerOrder:
    broker_order_id: str
    client_id: str
    status: str  # the broker's own word: TRANSIT, PENDING, PART_TRADED, TRADED, …
    side: str = ""
    quantity: int = 0
    filled_quantity: int = 0
    average_price: Decimal | None = None
    price: Decimal | None = None
    trigger_price: Decimal | None = None
    order_type: str = ""
    product: str = ""
    security_id: str = ""
    segment: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerFill:
    broker_order_id: str
    trade_id: str
    quantity: int
    price: Decimal
    ts: datetime
    client_id: str = ""
    charges: Decimal = Decimal("0")
    charges_breakdown: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerPosition:
    security_id: str
    segment: str
    product: str
    net_quantity: int
    average_price: Decimal = Decimal("0")
    realised_pnl: Decimal = Decimal("0")
    unrealised_pnl: Decimal = Decimal("0")


@dataclass(frozen=True, slots=True, kw_only=True)
class Funds:
    available: Decimal
    used_margin: Decimal = Decimal("0")
    realised_pnl: Decimal = Decimal("0")
    unrealised_pnl: Decimal = Decimal("0")

    def to_dict(self) -> dict[str, str]:
        return {name: str(getattr(self, name)) for name in self.__dataclass_fields__}


@dataclass(frozen=True, slots=True, kw_only=True)
class Quote:
    ts: datetime
    last: float
    bid: float | None = None
    ask: float | None = None
    day_high: float | None = None
    day_low: float | None = None


class Broker:
    """Subclass, set ``name`` and ``capabilities``, implement :data:`REQUIRED_METHODS`."""

    name: ClassVar[str] = "base"
    label: ClassVar[str] = ""
    capabilities: ClassVar[Capabilities] = Capabilities()

    def __init__(self, *, account: Any, credentials: dict[str, Any]) -> None:
        # ``account`` is the BrokerAccount row; credentials are plaintext, in memory only.
        self.account = account

    def __repr__(self) -> str:  # never the credentials
        return f"<{type(self).__name__} account={getattr(self.account, 'pk', None)}>"

    # --- required --------------------------------------------------------------------
    def place(self, request: OrderRequest) -> BrokerOrder:
        raise NotImplementedError

    def order_by_client_id(self, client_id: str) -> BrokerOrder | None:
        raise NotImplementedError

    def orders(self) -> list[BrokerOrder]:
        raise NotImplementedError

    def fills(self) -> list[BrokerFill]:
        raise NotImplementedError

    def positions(self) -> list[BrokerPosition]:
        raise NotImplementedError

    def funds(self) -> Funds:
        raise NotImplementedError

    def cancel(self, broker_order_id: str) -> BrokerOrder:
        raise NotImplementedError

    # --- optional ----------------------------------------------------------------------
    def modify(
        self,
        broker_order_id: str,
        *,
        quantity: int,
        order_type: str,
        price: Decimal | None,
        trigger_price: Decimal | None,
    ) -> BrokerOrder:
        raise NotSupported(f"{self.name} cannot modify orders")

    def cancel_all(self) -> int:
        raise NotSupported(f"{self.name} cannot cancel all orders at once")

    def flatten(self) -> int:
        raise NotSupported(f"{self.name} cannot flatten positions itself")

    def quote(self, request: OrderRequest) -> Quote | None:
        raise NotSupported(f"{self.name} serves no quotes")

    def kill_switch(self, *, active: bool) -> None:
        raise NotSupported(f"{self.name} has no kill switch")

    def order_updates(
        self, *, stop: Any = None, on_connect: Callable[[], None] | None = None
    ) -> Iterable[BrokerOrder]:
        """The broker's pushed order changes until ``stop`` (a ``threading.Event``) is set;
        ``on_connect`` runs after each (re)connection, to catch up on what was missed."""
        raise NotSupported(f"{self.name} has no order-update stream")

    # --- hooks ----------------------------------------------------------------------------
    def credentials_expiry(self) -> datetime | None:
        """When the credentials lapse, if the broker says (Dhan: the token's ``exp``)."""
        return None

    def credentials_hint(self) -> str:
        """A non-secret label of the login (the last digits of a client id)."""
        return ""

    @classmethod
    def credential_fields(cls) -> tuple[str, ...]:
        """The keys ``credentials`` must carry on connect."""
        return ()


def missing_methods(cls: type[Broker]) -> list[str]:
    """Required methods a class leaves unimplemented (checked when it is registered)."""
    return [name for name in REQUIRED_METHODS if getattr(cls, name) is getattr(Broker, name)]


# Dhan's order statuses onto ours; other brokers map onto the same words.
STATUS_MAP = {
    "TRANSIT": "open",
    "PENDING": "open",
    "PART_TRADED": "partially_filled",
    "TRADED": "filled",
    "REJECTED": "rejected",
    "CANCELLED": "cancelled",
    "EXPIRED": "expired",
}


def status_ours(broker_status: str) -> str:
    try:
        return STATUS_MAP[broker_status.upper()]
    except KeyError:
        raise BrokerError(f"unknown broker order status {broker_status!r}") from None


def instrument_id_of(broker: Broker, *, security_id: str, segment: str) -> int | None:
    """Our instrument of a broker's (security id, segment); the paper broker names ours."""
    hook = getattr(broker, "instrument_id_for", None)
    if hook is not None:
        return hook(security_id=security_id, segment=segment)
    from marketdata.models import Instrument

    found = Instrument.objects.filter(security_id=security_id, segment=segment).values_list(
        "pk", flat=True
    )
    return found.first()
