"""Dhan through the ``dhanhq`` 2.x SDK (2.3.0): orders carry our client id as ``correlationId``.

The SDK never raises: every call answers ``{"status": "success"|"failure", "remarks", "data"}``,
and a timeout or a dropped connection looks like any other failure (../shared/LIVE.md). So:

- an order POST is made **once** (``submit_once``: the account's shared order limiter, then
  one call); a failure that carries a Dhan error code saying the order was refused
  (DH-905 input, DH-906 order error, DH-901/807 credentials, DH-904/805 rate limit) is a
  rejection; anything else (a timeout, a 5xx, DH-908/909/910, an unparseable body) is an
  **unknown outcome**, settled by ``GET /orders/external/{correlationId}``;
- reads retry transient failures with backoff (``reads.py``), never an order POST;
- a bare SL-M on an option is sent as SL with a protective limit (Dhan rejects bare SL-M
  on options, as OpenAlgo found);
- the base URL comes from ``DHAN_BASE_URL`` (tests point it at a local fake server).

Credentials (client id, access token) live only in this object's SDK context; ``repr``
shows neither and nothing here logs them.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from algobacktester.ratelimits import account_limiter, submit_once
from engine.markets.calendar import IST

from .base import (
    Broker,
    BrokerAuthError,
    BrokerError,
    BrokerFill,
    BrokerOrder,
    BrokerPosition,
    BrokerRejected,
    BrokerUnavailable,
    Capabilities,
    Funds,
    OrderRequest,
    OutcomeUnknown,
    Quote,
)
from .dhan_stream import OrderUpdateStream
from .reads import read_with_backoff

logger = logging.getLogger(__name__)
IST_ZONE = IST  # Asia/Kolkata, a ZoneInfo

ORDER_TYPES = {
    "MARKET": "MARKET",
    "LIMIT": "LIMIT",
    "STOP_LOSS": "STOP_LOSS",
    "STOP_LOSS_MARKET": "STOP_LOSS_MARKET",
}
PRODUCTS = {"INTRADAY": "INTRADAY", "CNC": "CNC", "MARGIN": "MARGIN"}
AUTH_CODES = frozenset({"DH-901", "807", "808", "809", "810"})
RATE_CODES = frozenset({"DH-904", "805"})
REFUSED_CODES = frozenset({"DH-902", "DH-903", "DH-905", "DH-906"}) | AUTH_CODES | RATE_CODES


class DhanBroker(Broker):
    name: ClassVar[str] = "dhan"
    label: ClassVar[str] = "Dhan (dhanhq 2.x)"
    capabilities: ClassVar[Capabilities] = Capabilities(
        modify=True,
        cancel_all=False,
        flatten=False,
        quotes=True,  # POST /marketfeed/quote: last price, best bid and ask, the day's range
        kill_switch=True,
        order_updates=True,  # the order-update WebSocket (dhan_stream.py)
        slicing=True,  # POST /orders/slicing splits above the freeze quantity
        rate_limits={
            "orders": "10/second;250/minute;1000/hour;7000/day",
            "data": "5/second",
            "quotes": "1/second",
        },
    )

    @sensitive_variables("credentials", "context")
    def __init__(self, *, account: Any, credentials: dict[str, Any]) -> None:
        super().__init__(account=account, credentials=credentials)
        from dhanhq import DhanContext, dhanhq

        self._client_id = str(credentials.get("client_id", ""))
        self._token = str(credentials.get("access_token", ""))
        context = DhanContext(self._client_id, self._token)
        self._http = context.get_dhan_http()
        self._http.base_url = settings.DHAN_BASE_URL or self._http.base_url
        self._http.timeout = settings.DHAN_TIMEOUT_SECONDS
        self._sdk = dhanhq(context)

    @classmethod
    def credential_fields(cls) -> tuple[str, ...]:
        return ("client_id", "access_token")

    def credentials_hint(self) -> str:
        return f"…{self._client_id[-4:]}" if self._client_id else ""

    def credentials_expiry(self) -> datetime | None:
        """Dhan's access token is a JWT: its ``exp`` claim says when it lapses. A token we cannot
        read is taken to last the documented 24 h from now."""
        try:
            payload = self._token.split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            return datetime.fromtimestamp(int(claims["exp"]), tz=UTC)
        except (IndexError, ValueError, KeyError, TypeError):
            return datetime.now(tz=UTC) + timedelta(hours=24)

    # --- orders ----------------------------------------------------------------------------
    def place(self, request: OrderRequest) -> BrokerOrder:
        limiter = account_limiter(broker="dhan", account=self._client_id, purpose="orders")
        answer = submit_once(limiter=limiter, call=lambda: self._post_order(request))
        if answer.get("status") == "success":
            data = answer.get("data") or {}
            if not data.get("orderId"):
                raise OutcomeUnknown("Dhan accepted the request but named no order id")
            return BrokerOrder(
                broker_order_id=str(data["orderId"]),
                client_id=request.client_id,
                status=str(data.get("orderStatus") or "TRANSIT").upper(),
                side=request.side,
                quantity=request.quantity,
            )
        raise _place_failure(answer)

    def _post_order(self, request: OrderRequest) -> dict[str, Any]:
        order_type, price = ORDER_TYPES[request.order_type], request.price
        trigger = request.trigger_price or Decimal("0")
        if order_type == "STOP_LOSS_MARKET" and request.kind == "option":
            # Dhan refuses a bare SL-M on options: a stop-limit with a protective limit.
            order_type, price = "STOP_LOSS", _protective_limit(request.side, trigger)
        arguments = {
            "security_id": request.security_id,
            "exchange_segment": request.segment,
            "transaction_type": request.side,
            "quantity": request.quantity,
            "order_type": order_type,
            "product_type": PRODUCTS[request.product],
            "price": float(price or 0),
            "trigger_price": float(trigger),
            "tag": request.client_id,
            "should_slice": request.slice,
        }
        algo_id = settings.TRADES.get("DHAN_ALGO_ID")
        if request.automated and algo_id:
            return self._post_with_algo_id(arguments, algo_id)
        return self._sdk.place_order(**arguments)

    def _post_with_algo_id(self, arguments: dict[str, Any], algo_id: str) -> dict[str, Any]:
        """The SDK's own payload (its field names) plus the exchange-approved algo id, sent
        through the SDK's HTTP layer: ``place_order`` has no parameter for it."""
        payload = {
            "transactionType": arguments["transaction_type"],
            "exchangeSegment": arguments["exchange_segment"],
            "productType": arguments["product_type"],
            "orderType": arguments["order_type"],
            "validity": "DAY",
            "securityId": arguments["security_id"],
            "quantity": int(arguments["quantity"]),
            "disclosedQuantity": 0,
            "price": arguments["price"],
            "triggerPrice": arguments["trigger_price"],
            "afterMarketOrder": False,
            "boProfitValue": None,
            "boStopLossValue": None,
            "correlationId": arguments["tag"],
            "algoId": algo_id,
        }
        return self._http.post(
            "/orders/slicing" if arguments["should_slice"] else "/orders", payload
        )

    def order_by_client_id(self, client_id: str) -> BrokerOrder | None:
        answer = self._read(lambda: self._sdk.get_order_by_correlationID(client_id), "order lookup")
        if answer is None:
            return None
        data = answer[0] if isinstance(answer, list) and answer else answer
        return _order(data) if isinstance(data, dict) and data.get("orderId") else None

    def orders(self) -> list[BrokerOrder]:
        data = self._read(self._sdk.get_order_list, "order book") or []
        return [_order(row) for row in data if isinstance(row, dict)]

    def fills(self, broker_order_id: str | None = None) -> list[BrokerFill]:
        data = self._read(lambda: self._sdk.get_trade_book(broker_order_id), "trade book") or []
        rows = data if isinstance(data, list) else [data]
        return [_fill(row) for row in rows if isinstance(row, dict) and row.get("orderId")]

    def positions(self) -> list[BrokerPosition]:
        data = self._read(self._sdk.get_positions, "positions") or []
        return [_position(row) for row in data if isinstance(row, dict)]

    def funds(self) -> Funds:
        data = self._read(self._sdk.get_fund_limits, "funds") or {}
        return Funds(
            # Dhan spells the field "availabelBalance" (sic).
            available=_dec(data.get("availabelBalance", data.get("availableBalance"))),
            used_margin=_dec(data.get("utilizedAmount")),
        )

    def cancel(self, broker_order_id: str) -> BrokerOrder:
        answer = self._sdk.cancel_order(broker_order_id)
        if answer.get("status") != "success":
            raise _read_failure(answer, what="cancel")
        data = answer.get("data") or {}
        return BrokerOrder(
            broker_order_id=broker_order_id,
            client_id="",
            status=str(data.get("orderStatus") or "CANCELLED").upper(),
        )

    def modify(
        self,
        broker_order_id: str,
        *,
        quantity: int,
        order_type: str,
        price: Decimal | None,
        trigger_price: Decimal | None,
    ) -> BrokerOrder:
        answer = self._sdk.modify_order(
            broker_order_id,
            ORDER_TYPES[order_type],
            "",
            quantity,
            float(price or 0),
            float(trigger_price or 0),
            0,
            "DAY",
        )
        if answer.get("status") != "success":
            raise _read_failure(answer, what="modify")
        data = answer.get("data") or {}
        return BrokerOrder(
            broker_order_id=broker_order_id,
            client_id="",
            status=str(data.get("orderStatus") or "PENDING").upper(),
            quantity=quantity,
        )

    def kill_switch(self, *, active: bool) -> None:
        answer = self._sdk.kill_switch("ACTIVATE" if active else "DEACTIVATE")
        if answer.get("status") != "success":
            raise _read_failure(answer, what="kill switch")

    def quote(self, request: OrderRequest) -> Quote | None:
        """Dhan's market quote (``POST /marketfeed/quote``, 1 request a second per login):
        the last price stamped with its last trade time, the best bid and ask, the day's range.
        None when Dhan has no quote for the instrument."""
        limiter = account_limiter(broker="dhan", account=self._client_id, purpose="quotes")
        limiter.acquire(max_wait=5.0)
        securities = {request.segment: [int(request.security_id)]}
        body = self._read(lambda: self._sdk.quote_data(securities), "quote") or {}
        row = ((body.get("data") or {}).get(request.segment) or {}).get(str(request.security_id))
        return _quote(row) if isinstance(row, dict) and row.get("last_price") else None

    def order_updates(
        self,
        *,
        stop: threading.Event | None = None,
        on_connect: Callable[[], None] | None = None,
    ) -> OrderUpdateStream:
        """Dhan's order-update WebSocket for this login, reconnecting until ``stop`` is set."""
        return OrderUpdateStream(
            url=settings.DHAN_ORDER_UPDATE_URL,
            client_id=self._client_id,
            token=self._token,
            stop=stop or threading.Event(),
            on_connect=on_connect,
        )

    # --- reads -----------------------------------------------------------------------------
    def _read(self, call: Any, what: str) -> Any:
        limiter = account_limiter(broker="dhan", account=self._client_id, purpose="data")

        def attempt() -> Any:
            limiter.acquire(max_wait=5.0)
            answer = call()
            if answer.get("status") == "success":
                return answer.get("data")
            raise _read_failure(answer, what=what)

        try:
            return read_with_backoff(
                attempt, attempts=settings.DHAN_MAX_RETRIES, what=f"dhan {what}"
            )
        except _NotFound:
            return None


class _NotFound(BrokerError):  # noqa: N818 - names the outcome
    pass


def _codes(answer: dict[str, Any]) -> tuple[str, str]:
    remarks = answer.get("remarks")
    if isinstance(remarks, dict):
        return str(remarks.get("error_code") or ""), str(remarks.get("error_message") or "")
    return "", str(remarks or "no answer")


def _place_failure(answer: dict[str, Any]) -> BrokerError:
    code, message = _codes(answer)
    if code in AUTH_CODES:
        return BrokerAuthError(f"Dhan refused the credentials ({code}): {message}", code=code)
    if code in REFUSED_CODES:
        return BrokerRejected(f"Dhan rejected the order ({code}): {message}", code=code)
    # A timeout, a 5xx, a server error code, a body that did not parse: it may have been placed.
    return OutcomeUnknown(
        f"Dhan's answer does not say whether the order was placed: {code} {message}".strip(),
        code=code,
    )


def _read_failure(answer: dict[str, Any], *, what: str) -> BrokerError:
    code, message = _codes(answer)
    if code in AUTH_CODES:
        return BrokerAuthError(f"Dhan refused the credentials ({code}): {message}", code=code)
    if code in ("DH-907",) or "not found" in message.lower():
        return _NotFound(message, code=code)
    if code in {"DH-905", "DH-906", "DH-902", "DH-903"}:
        return BrokerRejected(f"Dhan refused the {what} ({code}): {message}", code=code)
    return BrokerUnavailable(f"Dhan {what} failed: {code} {message}".strip(), code=code)


def _protective_limit(side: str, trigger: Decimal) -> Decimal:
    pct = Decimal(str(settings.TRADES["DHAN_SLM_PROTECTION_PERCENT"])) / 100
    limit = trigger * (1 + pct) if side == "BUY" else trigger * (1 - pct)
    return limit.quantize(Decimal("0.05"))


def _dec(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal("0")
    except InvalidOperation:
        return Decimal("0")


def _order(row: dict[str, Any]) -> BrokerOrder:
    average = row.get("averageTradedPrice")
    return BrokerOrder(
        broker_order_id=str(row.get("orderId")),
        client_id=str(row.get("correlationId") or ""),
        status=str(row.get("orderStatus") or "TRANSIT").upper(),
        side=str(row.get("transactionType") or ""),
        quantity=int(row.get("quantity") or 0),
        filled_quantity=int(row.get("filledQty") or 0),
        average_price=_dec(average) if average else None,
        price=_dec(row.get("price")),
        trigger_price=_dec(row.get("triggerPrice")),
        order_type=str(row.get("orderType") or ""),
        product=str(row.get("productType") or ""),
        security_id=str(row.get("securityId") or ""),
        segment=str(row.get("exchangeSegment") or ""),
        reason=str(row.get("omsErrorDescription") or "")[:300],
    )


def _fill(row: dict[str, Any]) -> BrokerFill:
    stamp = row.get("exchangeTime") or row.get("createTime") or ""
    try:
        # Dhan's times are IST wall clock, without an offset.
        when = datetime.fromisoformat(str(stamp)).replace(tzinfo=IST_ZONE)
    except ValueError:
        when = datetime.now(tz=UTC)
    return BrokerFill(
        broker_order_id=str(row["orderId"]),
        trade_id=str(row.get("exchangeTradeId") or row.get("tradeId") or ""),
        quantity=int(row.get("tradedQuantity") or 0),
        price=_dec(row.get("tradedPrice")),
        ts=when,
        client_id=str(row.get("correlationId") or ""),
    )


def _quote(row: dict[str, Any]) -> Quote:
    depth = row.get("depth") or {}
    ohlc = row.get("ohlc") or {}
    return Quote(
        ts=_trade_time(row.get("last_trade_time")),
        last=float(row["last_price"]),
        bid=_best(depth.get("buy")),
        ask=_best(depth.get("sell")),
        day_high=float(ohlc["high"]) if ohlc.get("high") else None,
        day_low=float(ohlc["low"]) if ohlc.get("low") else None,
    )


def _best(levels: Any) -> float | None:
    """The top of one side of the book; Dhan sends zeros for an empty level."""
    if isinstance(levels, list) and levels and isinstance(levels[0], dict):
        price = float(levels[0].get("price") or 0)
        return price if price > 0 else None
    return None


def _trade_time(stamp: Any) -> datetime:
    """Dhan's ``last_trade_time`` is IST wall clock, ``DD/MM/YYYY HH:MM:SS``."""
    try:
        return datetime.strptime(str(stamp), "%d/%m/%Y %H:%M:%S").replace(tzinfo=IST_ZONE)
    except ValueError:
        return datetime.now(tz=UTC)


def _position(row: dict[str, Any]) -> BrokerPosition:
    net = int(row.get("netQty") or 0)
    average = row.get("buyAvg") if net > 0 else row.get("sellAvg")
    return BrokerPosition(
        security_id=str(row.get("securityId") or ""),
        segment=str(row.get("exchangeSegment") or ""),
        product=str(row.get("productType") or ""),
        net_quantity=net,
        average_price=_dec(average),
        realised_pnl=_dec(row.get("realizedProfit")),
        unrealised_pnl=_dec(row.get("unrealizedProfit")),
    )
