"""Dhan's live order-update WebSocket (v2): ``wss://api-order-update.dhan.co``.

After connecting, the client sends one login message
``{"LoginReq": {"MsgCode": 42, "ClientId": ..., "Token": ...}, "UserType": "SELF"}`` and then
receives JSON messages; an order's change is ``{"Type": "order_alert", "Data": {...}}`` with
``OrderNo``, ``CorrelationId``, ``Status``, ``TxnType`` (B/S), ``Quantity``, ``TradedQty``,
``AvgTradedPrice``, ``ReasonDescription``, ``LastUpdatedTime``, … (Dhan's v2 docs). An update
carries no trade id, so it is a *signal*: the consumer (trades/services/order_stream.py)
reads the order's trades by id and applies them idempotently.

We do not use the SDK's ``OrderUpdate``: it prints its login message (with the token) to
stdout. This client never logs the message, reconnects with backoff after any drop (Dhan
does not replay what was missed: ``on_connect`` lets the caller catch up over REST first),
and stops when ``stop`` is set.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from websockets.exceptions import InvalidHandshake, WebSocketException
from websockets.sync.client import connect

from .base import STATUS_MAP, BrokerOrder

logger = logging.getLogger(__name__)

SIDES = {"B": "BUY", "S": "SELL", "BUY": "BUY", "SELL": "SELL"}
ORDER_TYPES = {
    "MKT": "MARKET",
    "LMT": "LIMIT",
    "SL": "STOP_LOSS",
    "SLM": "STOP_LOSS_MARKET",
    "MARKET": "MARKET",
    "LIMIT": "LIMIT",
    "STOP_LOSS": "STOP_LOSS",
    "STOP_LOSS_MARKET": "STOP_LOSS_MARKET",
}
MAX_BACKOFF_SECONDS = 60.0


def login_message(client_id: str, token: str) -> str:
    return json.dumps(
        {"LoginReq": {"MsgCode": 42, "ClientId": client_id, "Token": token}, "UserType": "SELF"}
    )


def update_parse(raw: str | bytes) -> BrokerOrder | None:
    """An ``order_alert`` as a :class:`BrokerOrder`; None for anything else (heartbeats,
    other message types, a status we do not know, a body that is not JSON)."""
    try:
        message = json.loads(raw)
    except (TypeError, ValueError):
        return None
    if not isinstance(message, dict) or message.get("Type") != "order_alert":
        return None
    data = message.get("Data")
    if not isinstance(data, dict) or not data.get("OrderNo"):
        return None
    status = str(data.get("Status") or "").upper().replace(" ", "_")
    if status not in STATUS_MAP:
        logger.info("order update with status %r ignored", data.get("Status"))
        return None
    return BrokerOrder(
        broker_order_id=str(data["OrderNo"]),
        client_id=str(data.get("CorrelationId") or ""),
        status=status,
        side=SIDES.get(str(data.get("TxnType") or "").upper(), ""),
        quantity=_int(data.get("Quantity")),
        filled_quantity=_int(data.get("TradedQty")),
        average_price=_dec(data.get("AvgTradedPrice")),
        price=_dec(data.get("Price")),
        trigger_price=_dec(data.get("TriggerPrice")),
        order_type=ORDER_TYPES.get(str(data.get("OrderType") or "").upper(), ""),
        security_id=str(data.get("SecurityId") or ""),
        reason=str(data.get("ReasonDescription") or "")[:300] if status == "REJECTED" else "",
    )


def _int(value: Any) -> int:
    try:
        return int(float(value or 0))
    except (TypeError, ValueError):
        return 0


def _dec(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError):
        return None
    return number if number.is_finite() and number > 0 else None


class OrderUpdateStream:
    """Iterate order updates of one Dhan login until ``stop`` is set, reconnecting after drops.

    ``on_connect`` runs after every successful login (the first and each reconnect), before
    the first update of that connection is read."""

    def __init__(
        self,
        *,
        url: str,
        client_id: str,
        token: str,
        stop: threading.Event,
        on_connect: Callable[[], None] | None = None,
        backoff: float = 1.0,
    ) -> None:
        self.url, self._client_id, self._token = url, client_id, token
        self.stop, self.on_connect, self.backoff = stop, on_connect, backoff
        self.connections = 0

    def __repr__(self) -> str:  # never the token
        return f"<OrderUpdateStream {self.url} client …{self._client_id[-4:]}>"

    def __iter__(self) -> Iterator[BrokerOrder]:
        delay = self.backoff
        while not self.stop.is_set():
            try:
                yield from self._one_connection()
                delay = self.backoff  # it was up: start the backoff over
            except (OSError, TimeoutError, InvalidHandshake, WebSocketException) as exc:
                logger.info(
                    "order-update stream of client …%s dropped: %s",
                    self._client_id[-4:],
                    type(exc).__name__,
                )
            if self.stop.wait(delay):
                return
            delay = min(delay * 2, MAX_BACKOFF_SECONDS)

    def _one_connection(self) -> Iterator[BrokerOrder]:
        with connect(self.url, open_timeout=10, close_timeout=2, max_size=2**20) as ws:
            ws.send(login_message(self._client_id, self._token))
            self.connections += 1
            if self.on_connect is not None:
                self.on_connect()
            while not self.stop.is_set():
                try:
                    raw = ws.recv(timeout=1.0)
                except TimeoutError:
                    continue  # wake up to look at ``stop``
                update = update_parse(raw)
                if update is not None:
                    yield update
