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

Quotes: ``POST /marketfeed/ltp`` and ``/marketfeed/quote`` answer from ``prices`` (100.0 by
default) with a one-tick book around it, stamped now; ``quote_age_seconds`` ages the last
trade time, ``quote_fault = "5xx"`` fails the call.

The order-update WebSocket (``ws_url``; start it with :meth:`start_stream`) takes Dhan's login
message (MsgCode 42, the client id and the token; anything else is closed with 4001) and then
pushes an ``order_alert`` for every change of an order, in Dhan's field names. Faults:
``stream_duplicates`` sends each alert twice; :meth:`stream_hold` keeps alerts back and
:meth:`stream_release` sends them newest first (out of order); :meth:`stream_drop` closes every
connection (the client must reconnect); alerts sent while nobody is connected are lost, as at
Dhan.
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
from websockets.sync.server import ServerConnection, serve
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
        self.quote_age_seconds = 0.0
        self.quote_fault = ""
        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self.server.expect_request(re.compile("/v2/.*")).respond_with_handler(self._handle)
        # the order-update WebSocket
        self.stream_duplicates = False
        self.stream_mute = False  # alerts are lost (as while a client is away)
        self.logins: list[dict[str, Any]] = []
        self.sent_alerts = 0
        self._clients: set[ServerConnection] = set()
        self._held_alerts: list[str] | None = None
        self._ws: Any = None
        self._ws_thread: threading.Thread | None = None

    # --- control --------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self.server.url_for("/v2").rstrip("/")

    def start(self) -> FakeDhan:
        self.server.start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._ws is not None:
            self._ws.shutdown()
            self._ws_thread.join(5)
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

    # --- the order-update WebSocket ---------------------------------------------------------
    def start_stream(self) -> FakeDhan:
        self._ws = serve(self._ws_session, "127.0.0.1", 0)
        self._ws_thread = threading.Thread(target=self._ws.serve_forever, daemon=True)
        self._ws_thread.start()
        return self

    @property
    def ws_url(self) -> str:
        host, port = self._ws.socket.getsockname()[:2]
        return f"ws://{host}:{port}"

    @property
    def connected(self) -> int:
        with self.lock:
            return len(self._clients)

    def wait_connected(self, count: int = 1, timeout: float = 10) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.connected >= count:
                return True
            time.sleep(0.02)
        return False

    def stream_drop(self) -> None:
        """A dropped connection: every client is disconnected (it must log in again)."""
        with self.lock:
            clients = list(self._clients)
        for ws in clients:
            ws.close(code=1011, reason="dropped by the fake")

    def stream_hold(self) -> None:
        with self.lock:
            self._held_alerts = []

    def stream_release(self) -> None:
        """Send the held alerts newest first: the stream delivers out of order."""
        with self.lock:
            held, self._held_alerts = self._held_alerts or [], None
        for message in reversed(held):
            self._broadcast(message)

    def _ws_session(self, ws: ServerConnection) -> None:
        try:
            login = json.loads(ws.recv(timeout=5))
        except Exception:
            ws.close(code=4001, reason="login expected")
            return
        req = login.get("LoginReq") or {}
        self.logins.append({"MsgCode": req.get("MsgCode"), "ClientId": req.get("ClientId")})
        if (
            req.get("MsgCode") != 42
            or req.get("ClientId") != self.client_id
            or req.get("Token") != self.token
            or login.get("UserType") != "SELF"
        ):
            ws.close(code=4001, reason="invalid login")
            return
        with self.lock:
            self._clients.add(ws)
        try:
            _drain(ws)
        finally:
            with self.lock:
                self._clients.discard(ws)

    def _alert(self, order: dict[str, Any]) -> None:
        """Dhan's ``order_alert`` for the order's current state."""
        status = order["orderStatus"].title()  # Dhan writes "Traded", "Part_Traded", …
        data = {
            "Exchange": "NSE",
            "Segment": "D" if order["exchangeSegment"] == "NSE_FNO" else "E",
            "SecurityId": order["securityId"],
            "ClientId": self.client_id,
            "OrderNo": order["orderId"],
            "ExchOrderNo": f"14{order['orderId']}",
            "Product": order["productType"][:1],
            "TxnType": order["transactionType"][:1],
            "OrderType": SHORT_TYPES.get(order["orderType"], order["orderType"]),
            "Validity": "DAY",
            "Quantity": order["quantity"],
            "TradedQty": order["filledQty"],
            "RemainingQuantity": order["quantity"] - order["filledQty"],
            "Price": order["price"],
            "TriggerPrice": order["triggerPrice"],
            "TradedPrice": order["averageTradedPrice"],
            "AvgTradedPrice": order["averageTradedPrice"],
            "Status": status,
            "CorrelationId": order["correlationId"],
            "ReasonDescription": order["omsErrorDescription"] or "CONFIRMED",
            "LastUpdatedTime": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
        message = json.dumps({"Type": "order_alert", "Data": data})
        if self.stream_mute:
            return
        with self.lock:
            if self._held_alerts is not None:
                self._held_alerts.append(message)
                return
        self._broadcast(message)

    def _broadcast(self, message: str) -> None:
        with self.lock:
            clients = list(self._clients)
        for ws in clients:
            for _ in range(2 if self.stream_duplicates else 1):
                try:
                    ws.send(message)
                    self.sent_alerts += 1
                except Exception:  # a client that just left
                    break

    # --- HTTP --------------------------------------------------------------------------------
    def _handle(self, request: Request) -> Response:
        if request.headers.get("access-token") != self.token:
            return _json(AUTH, 401)
        path = request.path.removeprefix("/v2")
        route = (request.method, re.sub(r"/[^/]+$", "/{id}", path) if path.count("/") > 1 else path)
        if request.method == "POST" and path in ("/orders", "/orders/slicing"):
            return self._place(json.loads(request.data or b"{}"))
        if request.method == "POST" and path in ("/marketfeed/ltp", "/marketfeed/quote"):
            return self._quotes(json.loads(request.data or b"{}"), full=path.endswith("quote"))
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
        self._alert(order)
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
        self._alert(order)
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
            self._alert(order)
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

    def _quotes(self, body: dict[str, Any], *, full: bool) -> Response:
        if self.quote_fault == "5xx":
            return _json(SERVER, 500)
        stamp = time.strftime(
            "%d/%m/%Y %H:%M:%S", time.gmtime(time.time() + 19_800 - self.quote_age_seconds)
        )  # IST wall clock, as Dhan writes it
        data: dict[str, dict[str, Any]] = {}
        for segment, ids in body.items():
            for sid in ids:
                price = self.prices.get(str(sid), 100.0)
                row: dict[str, Any] = {"last_price": price}
                if full:
                    row.update(
                        last_trade_time=stamp,
                        ohlc={"open": price, "close": price, "high": price + 1, "low": price - 1},
                        depth={
                            "buy": [{"quantity": 10, "orders": 1, "price": price - 0.05}],
                            "sell": [{"quantity": 10, "orders": 1, "price": price + 0.05}],
                        },
                        volume=1000,
                    )
                data.setdefault(segment, {})[str(sid)] = row
        return _json({"data": data, "status": "success"})

    def _funds(self) -> Response:
        if self.funds_fault == "5xx":
            return _json(SERVER, 500)
        return _json(
            {"dhanClientId": self.client_id, "availabelBalance": 250000.5, "utilizedAmount": 0}
        )

    def _kill(self, status: str) -> Response:
        self.kill_switch = status == "ACTIVATE"
        return _json({"dhanClientId": self.client_id, "killSwitchStatus": status})


SHORT_TYPES = {"MARKET": "MKT", "LIMIT": "LMT", "STOP_LOSS": "SL", "STOP_LOSS_MARKET": "SLM"}


def _drain(ws: ServerConnection) -> None:
    """Until the client goes: what it sends after login is ignored."""
    try:
        for _ in ws:
            pass
    except Exception:  # closed
        return


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")
