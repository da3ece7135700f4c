"""A local fake of Dhan's v2 order API on 127.0.0.1 (pytest-httpserver), with faults.

It keeps an order book, a trade book, positions and funds in the v2 shapes the ``dhanhq``
SDK parses, checks the ``access-token`` header, and injects, on the next order POST:

- ``timeout``: accepts the order, then answers only after the client gave up;
- ``5xx``: accepts the order, then answers 500 (DH-908);
- ``transit``: accepts it and leaves it in TRANSIT;
- ``partial``: fills half (PART_TRADED) with one trade;
- ``rate_limit``: 429 DH-904, nothing placed; ``token_expired``: 401 DH-901, nothing placed;
- ``hold``: accepts it, then blocks until :meth:`release` (to kill a worker mid-POST).

Always on: a bare STOP_LOSS_MARKET on an option (NSE_FNO) is rejected, as Dhan does;
``duplicate_trades`` repeats every trade row in the trade book (a duplicated update).
Every POST to ``/orders`` is counted per correlation id: the test of "placed once".
"""

from __future__ import annotations

import base64
import itertools
import json
import logging
import re
import threading
import time
from collections import Counter, deque
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

logging.getLogger("werkzeug").setLevel(logging.WARNING)

RATE_LIMIT = {"errorType": "Rate_Limit", "errorCode": "DH-904", "errorMessage": "Too many requests"}
AUTH = {
    "errorType": "Invalid_Authentication",
    "errorCode": "DH-901",
    "errorMessage": "Token expired",
}
SERVER = {"errorType": "Server_Error", "errorCode": "DH-908", "errorMessage": "Internal error"}
NOT_FOUND = {"errorType": "Data_Error", "errorCode": "DH-907", "errorMessage": "Order not found"}


def token_for(canary: str, *, exp: int | None = None) -> str:
    """A JWT-shaped access token whose signature part is ``canary`` (greppable)."""

    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS512'})}.{part({'exp': exp or int(time.time()) + 86_400})}.{canary}"


class FakeDhan:
    def __init__(self, *, token: str, client_id: str = "1000000001") -> None:
        self.token, self.client_id = token, client_id
        self.orders: dict[str, dict[str, Any]] = {}
        self.trades: list[dict[str, Any]] = []
        self.posts: Counter[str] = Counter()  # correlation id -> order POSTs that arrived
        self.faults: deque[str] = deque()
        self.prices: dict[str, float] = {}
        self.duplicate_trades = False
        self.kill_switch = False
        self.funds_fault = ""  # "5xx": the funds call answers 500 (DH-908)
        self.timeout_seconds = 3.0
        self.lock = threading.RLock()
        self._held = threading.Event()
        self._release = threading.Event()
        self._ids = itertools.count(5_000_000_001)
        self._tids = itertools.count(9_000_000_001)
        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self.server.expect_request(re.compile("/v2/.*")).respond_with_handler(self._handle)

    # --- control --------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self.server.url_for("/v2").rstrip("/")

    def start(self) -> FakeDhan:
        self.server.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self.server.clear()
        if self.server.is_running():
            self.server.stop()

    def reset(self) -> None:
        """A fresh book, as for another login."""
        with self.lock:
            self.orders.clear()
            self.trades.clear()
            self.posts.clear()
            self.faults.clear()
            self.prices.clear()

    def fail_next(self, *kinds: str) -> None:
        self.faults.extend(kinds)

    def wait_held(self, timeout: float = 30) -> bool:
        return self._held.wait(timeout)

    def release(self) -> None:
        self._release.set()

    def fill(self, order_id: str, quantity: int | None = None) -> None:
        """The exchange fills (more of) a working order."""
        with self.lock:
            order = self.orders[order_id]
            left = order["quantity"] - order["filledQty"]
            self._trade(order, min(left, quantity or left))

    def place_external(self, **fields: Any) -> str:
        """An order placed outside this app (e.g. on Dhan's web site): reconciliation adopts it."""
        with self.lock:
            order = self._new_order({"transactionType": "BUY", "orderType": "MARKET", **fields})
            self._trade(order, order["quantity"])
            return order["orderId"]

    # --- HTTP --------------------------------------------------------------------------------
    def _handle(self, request: Request) -> Response:
        if request.headers.get("access-token") != self.token:
            return _json(AUTH, 401)
        path = request.path.removeprefix("/v2")
        route = (request.method, re.sub(r"/[^/]+$", "/{id}", path) if path.count("/") > 1 else path)
        if request.method == "POST" and path in ("/orders", "/orders/slicing"):
            return self._place(json.loads(request.data or b"{}"))
        if request.method == "GET" and path.startswith("/orders/external/"):
            return self._by_correlation(path.rsplit("/", 1)[1])
        handlers = {
            ("GET", "/orders"): lambda: _json(list(self.orders.values())),
            ("GET", "/orders/{id}"): lambda: self._one(path.rsplit("/", 1)[1]),
            ("DELETE", "/orders/{id}"): lambda: self._cancel(path.rsplit("/", 1)[1]),
            ("PUT", "/orders/{id}"): lambda: self._modify(
                path.rsplit("/", 1)[1], json.loads(request.data)
            ),
            ("GET", "/trades/"): lambda: _json(self._trade_rows(None)),
            ("GET", "/trades/{id}"): lambda: _json(self._trade_rows(path.rsplit("/", 1)[1])),
            ("GET", "/positions"): lambda: _json(self._positions()),
            ("GET", "/fundlimit"): self._funds,
            ("POST", "/killswitch"): lambda: self._kill(request.args.get("killSwitchStatus", "")),
        }
        handler = handlers.get(route) or handlers.get((request.method, path))
        return handler() if handler else _json(NOT_FOUND, 404)

    def _place(self, body: dict[str, Any]) -> Response:
        fault = self.faults.popleft() if self.faults else ""
        cid = body.get("correlationId", "")
        if fault == "rate_limit":
            return _json(RATE_LIMIT, 429)
        if fault == "token_expired":
            return _json(AUTH, 401)
        with self.lock:
            self.posts[cid] += 1
            if (
                body.get("orderType") == "STOP_LOSS_MARKET"
                and body.get("exchangeSegment") == "NSE_FNO"
            ):
                order = self._new_order(body, status="REJECTED")
                order["omsErrorDescription"] = "SL-M orders are not allowed for options"
                return _json({"orderId": order["orderId"], "orderStatus": "REJECTED"})
            order = self._new_order(body, status="TRANSIT" if fault == "transit" else "PENDING")
            if fault == "partial":
                self._trade(order, max(1, order["quantity"] // 2))
            elif body.get("orderType") == "MARKET" and fault != "transit":
                self._trade(order, order["quantity"])
        answer = {"orderId": order["orderId"], "orderStatus": order["orderStatus"]}
        if fault == "timeout":
            time.sleep(self.timeout_seconds)
        if fault == "5xx":
            return _json(SERVER, 500)
        if fault == "hold":
            self._held.set()
            self._release.wait(120)
        return _json(answer)

    def _new_order(self, body: dict[str, Any], *, status: str = "PENDING") -> dict[str, Any]:
        order_id = str(next(self._ids))
        order = {
            "dhanClientId": self.client_id,
            "orderId": order_id,
            "correlationId": body.get("correlationId", ""),
            "orderStatus": status,
            "transactionType": body.get("transactionType", "BUY"),
            "exchangeSegment": body.get("exchangeSegment", "NSE_EQ"),
            "productType": body.get("productType", "INTRADAY"),
            "orderType": body.get("orderType", "MARKET"),
            "validity": "DAY",
            "securityId": str(body.get("securityId", "")),
            "quantity": int(body.get("quantity", 0)),
            "price": float(body.get("price") or 0),
            "triggerPrice": float(body.get("triggerPrice") or 0),
            "filledQty": 0,
            "averageTradedPrice": 0,
            "algoId": body.get("algoId", ""),
            "omsErrorDescription": "",
            "createTime": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
        self.orders[order_id] = order
        return order

    def _trade(self, order: dict[str, Any], quantity: int) -> None:
        price = order["price"] or self.prices.get(order["securityId"], 100.0)
        done = order["filledQty"]
        order["averageTradedPrice"] = (order["averageTradedPrice"] * done + price * quantity) / (
            done + quantity
        )
        order["filledQty"] = done + quantity
        order["orderStatus"] = (
            "TRADED" if order["filledQty"] >= order["quantity"] else "PART_TRADED"
        )
        self.trades.append(
            {
                "dhanClientId": self.client_id,
                "orderId": order["orderId"],
                "exchangeTradeId": str(next(self._tids)),
                "transactionType": order["transactionType"],
                "exchangeSegment": order["exchangeSegment"],
                "productType": order["productType"],
                "securityId": order["securityId"],
                "tradedQuantity": quantity,
                "tradedPrice": price,
                "exchangeTime": time.strftime("%Y-%m-%d %H:%M:%S"),
            }
        )

    def _trade_rows(self, order_id: str | None) -> list[dict[str, Any]]:
        with self.lock:
            rows = [t for t in self.trades if order_id in (None, "", t["orderId"])]
        return rows * 2 if self.duplicate_trades else rows

    def _by_correlation(self, cid: str) -> Response:
        with self.lock:
            found = [o for o in self.orders.values() if o["correlationId"] == cid]
        return _json(found[0]) if found else _json(NOT_FOUND, 404)

    def _one(self, order_id: str) -> Response:
        order = self.orders.get(order_id)
        return _json(order) if order else _json(NOT_FOUND, 404)

    def _cancel(self, order_id: str) -> Response:
        with self.lock:
            order = self.orders.get(order_id)
            if order is None or order["orderStatus"] not in ("TRANSIT", "PENDING", "PART_TRADED"):
                return _json(
                    {"errorType": "Order_Error", "errorCode": "DH-906", "errorMessage": "not open"},
                    400,
                )
            order["orderStatus"] = "CANCELLED"
        return _json({"orderId": order_id, "orderStatus": "CANCELLED"})

    def _modify(self, order_id: str, body: dict[str, Any]) -> Response:
        with self.lock:
            order = self.orders.get(order_id)
            if order is None or order["orderStatus"] not in ("TRANSIT", "PENDING"):
                return _json(
                    {"errorType": "Order_Error", "errorCode": "DH-906", "errorMessage": "not open"},
                    400,
                )
            order.update(
                quantity=int(body["quantity"]),
                price=float(body["price"]),
                triggerPrice=float(body["triggerPrice"]),
                orderType=body["orderType"],
            )
        return _json({"orderId": order_id, "orderStatus": order["orderStatus"]})

    def _positions(self) -> list[dict[str, Any]]:
        with self.lock:
            net: dict[tuple[str, str, str], int] = {}
            for t in self.trades:
                key = (t["securityId"], t["exchangeSegment"], t["productType"])
                sign = 1 if t["transactionType"] == "BUY" else -1
                net[key] = net.get(key, 0) + sign * t["tradedQuantity"]
        return [
            {
                "dhanClientId": self.client_id,
                "securityId": sid,
                "exchangeSegment": seg,
                "productType": product,
                "netQty": qty,
                "buyAvg": 100.0,
                "sellAvg": 100.0,
                "realizedProfit": 0.0,
                "unrealizedProfit": 0.0,
            }
            for (sid, seg, product), qty in net.items()
        ]

    def _funds(self) -> Response:
        if self.funds_fault == "5xx":
            return _json(SERVER, 500)
        return _json(
            {"dhanClientId": self.client_id, "availabelBalance": 250000.5, "utilizedAmount": 0}
        )

    def _kill(self, status: str) -> Response:
        self.kill_switch = status == "ACTIVATE"
        return _json({"dhanClientId": self.client_id, "killSwitchStatus": status})


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")
