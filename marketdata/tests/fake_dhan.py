"""A local fake of Dhan's v2 REST API for tests: a threaded http.server on 127.0.0.1.

Answers ``POST /v2/charts/intraday`` and ``/v2/charts/historical`` with the documented
parallel arrays (seeded synthetic bars for the requested dates), serves a security master CSV at
``GET /scrip-master.csv``, records every request, and can inject failures:
``server.fail_next(429, {"errorCode": "DH-904", ...})``, ``server.fail_next(500, b"oops")``.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

from engine.markets.synthetic import synthetic_bars

RATE_LIMIT = {"errorType": "Rate_Limit", "errorCode": "DH-904", "errorMessage": "Too many requests"}
SERVER_ERROR = {"errorType": "Server", "errorCode": "DH-908", "errorMessage": "Internal error"}
AUTH_ERROR = {
    "errorType": "Invalid_Authentication",
    "errorCode": "DH-901",
    "errorMessage": "bad token",
}
NO_DATA = {"errorType": "Data_Error", "errorCode": "DH-907", "errorMessage": "No data present"}

MASTER_HEADER = (
    "SEM_EXM_EXCH_ID,SEM_SEGMENT,SEM_SMST_SECURITY_ID,SEM_INSTRUMENT_NAME,SEM_EXPIRY_CODE,"
    "SEM_TRADING_SYMBOL,SEM_LOT_UNITS,SEM_CUSTOM_SYMBOL,SEM_EXPIRY_DATE,SEM_STRIKE_PRICE,"
    "SEM_OPTION_TYPE,SEM_TICK_SIZE,SEM_EXPIRY_FLAG,SEM_EXCH_INSTRUMENT_TYPE,SEM_SERIES,SM_SYMBOL_NAME"
)


def master_csv() -> str:
    rows = [
        "NSE,I,13,INDEX,0,NIFTY,1.0,Nifty 50,,,XX,0.0000,,INDEX,NA,NIFTY",
        "NSE,I,25,INDEX,0,BANKNIFTY,1.0,Nifty Bank,,,XX,0.0000,,INDEX,NA,BANKNIFTY",
        "NSE,D,35001,FUTIDX,0,NIFTY-Jan2026-FUT,65.0,NIFTY JAN FUT,2026-01-27 14:30:00,0.00000,XX,10.0000,M,FUTIDX,NA,NIFTY",
        "NSE,E,2885,EQUITY,0,RELIANCE,1.0,Reliance,,,XX,10.0000,,EQUITY,EQ,RELIANCE",
        "MCX,M,4444,FUTCOM,0,GOLD-FUT,1.0,Gold,2026-02-05 23:30:00,0,XX,100.0,M,FUTCOM,NA,GOLD",
    ]
    for i, strike in enumerate(range(24000, 24300, 50)):
        for j, opt in enumerate(("CE", "PE")):
            sid = 40000 + i * 2 + j
            rows.append(
                f"NSE,D,{sid},OPTIDX,0,NIFTY-Jan2026-{strike}-{opt},65.0,NIFTY 27 JAN {strike} "
                f"{'CALL' if opt == 'CE' else 'PUT'},2026-01-27 14:30:00,{strike}.00000,{opt},"
                "5.0000,M,OPTIDX,NA,NIFTY"
            )
    return "\n".join([MASTER_HEADER, *rows]) + "\n"


class FakeDhan:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.failures: deque[tuple[int, bytes]] = deque()
        self.master = master_csv()
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                fake._record(self, None)
                if self.path.startswith("/scrip-master.csv"):
                    self._send(200, fake.master.encode(), "text/csv")
                else:
                    self._send(404, json.dumps({"errorCode": "DH-905"}).encode())

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    payload = json.loads(raw or b"{}")
                except ValueError:
                    payload = {}
                fake._record(self, payload)
                status, body = fake._answer(self.path, payload)
                self._send(status, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v2"

    @property
    def master_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/scrip-master.csv"

    def __enter__(self) -> FakeDhan:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, status: int, body: dict | bytes, times: int = 1) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        with self.lock:
            self.failures.extend([(status, raw)] * times)

    def _record(self, handler: BaseHTTPRequestHandler, payload: dict | None) -> None:
        with self.lock:
            self.requests.append(
                {"path": handler.path, "payload": payload, "headers": dict(handler.headers)}
            )

    def _answer(self, path: str, payload: dict) -> tuple[int, bytes]:
        with self.lock:
            if self.failures:
                return self.failures.popleft()
        if path.endswith("/charts/intraday"):
            return 200, json.dumps(self._bars(payload, daily=False)).encode()
        if path.endswith("/charts/historical"):
            return 200, json.dumps(self._bars(payload, daily=True)).encode()
        return 404, json.dumps({"errorCode": "DH-905", "errorMessage": "unknown path"}).encode()

    @staticmethod
    def _bars(payload: dict, *, daily: bool) -> dict:
        start = date.fromisoformat(payload["fromDate"][:10])
        end = date.fromisoformat(payload["toDate"][:10]) - timedelta(days=1)  # toDate exclusive
        if end < start:
            return {k: [] for k in ("open", "high", "low", "close", "volume", "timestamp")}
        minutes = 10_000 if daily else int(payload.get("interval", 1))
        bars = synthetic_bars(
            start=start, end=end, timeframe_minutes=minutes, seed=int(payload["securityId"])
        )
        ts = bars.ts // 10**9
        if daily:  # Dhan labels daily bars at midnight IST
            ts = (ts + 19_800) // 86_400 * 86_400 - 19_800
        return {
            "open": bars.open.tolist(),
            "high": bars.high.tolist(),
            "low": bars.low.tolist(),
            "close": bars.close.tolist(),
            "volume": np.round(bars.volume).tolist(),
            "timestamp": ts.tolist(),
        }
