"""A local fake of Dhan's v2 REST API for tests: pytest-httpserver on 127.0.0.1.

Answers ``POST /v2/charts/intraday`` and ``/v2/charts/historical`` with the documented
parallel arrays (seeded synthetic bars for the requested dates), ``/v2/charts/rollingoption``
with ``{"data": {"ce": {...arrays, strike, iv, spot, oi}, "pe": null}}`` (the ATM strike
follows a synthetic spot; ``toDate`` is taken as exclusive), serves a security master CSV at
``GET /scrip-master.csv`` (compact) and ``GET /scrip-master-detailed.csv`` (detailed),
records every request, and can inject failures:
``server.fail_next(429, {"errorCode": "DH-904", ...})``, ``server.fail_next(500, b"oops")``.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import deque
from datetime import date, timedelta

import numpy as np
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response
from werkzeug.datastructures import Headers

from engine.markets.synthetic import synthetic_bars

RATE_LIMIT = {"errorType": "Rate_Limit", "errorCode": "DH-904", "errorMessage": "Too many requests"}
SERVER_ERROR = {"errorType": "Server", "errorCode": "DH-908", "errorMessage": "Internal error"}
AUTH_ERROR = {
    "errorType": "Invalid_Authentication",
    "errorCode": "DH-901",
    "errorMessage": "bad token",
}
logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log lines in test output

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


DETAILED_HEADER = (
    "EXCH_ID,SEGMENT,SECURITY_ID,ISIN,INSTRUMENT,UNDERLYING_SECURITY_ID,UNDERLYING_SYMBOL,"
    "SYMBOL_NAME,DISPLAY_NAME,INSTRUMENT_TYPE,SERIES,LOT_SIZE,SM_EXPIRY_DATE,STRIKE_PRICE,"
    "OPTION_TYPE,TICK_SIZE,EXPIRY_FLAG,BRACKET_FLAG,COVER_FLAG,ASM_GSM_FLAG,ASM_GSM_CATEGORY,"
    "BUY_SELL_INDICATOR,BUY_CO_MIN_MARGIN_PER,SELL_CO_MIN_MARGIN_PER,MTF_LEVERAGE"
)


def detailed_master_csv() -> str:
    """The detailed master's shape: two NIFTY weekly expiries in one month (whose Dhan
    SYMBOL_NAMEs collide), a monthly, a future, BANKNIFTY, and rows to leave out."""
    tail = "N,N,N,NA,A,0,0,0"
    rows = [
        f"NSE,I,13,NA,INDEX,13,NIFTY,NIFTY,Nifty 50,INDEX,NA,1.0,0001-01-01,,XX,0.05,N,{tail}",
        f"NSE,I,25,NA,INDEX,25,BANKNIFTY,BANKNIFTY,Nifty Bank,INDEX,NA,1.0,,,XX,0.05,N,{tail}",
        f"NSE,D,52001,NA,FUTIDX,26000,NIFTY,NIFTY-Jan2026-FUT,NIFTY JAN FUT,FUT,NA,65.0,"
        f"2026-01-27,-0.01000,XX,10.0000,M,{tail}",
        f"NSE,E,2885,INE002A01018,EQUITY,,RELIANCE,RELIANCE INDUSTRIES,Reliance,ES,EQ,1.0,,,,"
        f"10.0000,NA,{tail}",
    ]
    sid = 60000
    expiries = (("2026-01-06", "W", "06"), ("2026-01-13", "W", "13"), ("2026-01-27", "M", "27"))
    for expiry, flag, day in expiries:
        for strike in (26000, 26050, 26100):
            for opt, word in (("CE", "CALL"), ("PE", "PUT")):
                sid += 1
                rows.append(
                    f"NSE,D,{sid},NA,OPTIDX,26000,NIFTY,NIFTY-Jan2026-{strike}-{opt},"
                    f"NIFTY {day} JAN {strike} {word},OP,NA,65.0,{expiry} 14:30:00,"
                    f"{strike}.00000,{opt},5.0000,{flag},{tail}"
                )
    rows.append(
        f"NSE,D,70001,NA,OPTIDX,26009,BANKNIFTY,BANKNIFTY-Jan2026-60000-CE,"
        f"BANKNIFTY 27 JAN 60000 CALL,OP,NA,30.0,2026-01-27 14:30:00,60000.00000,CE,5.0000,M,{tail}"
    )
    rows.append(  # an option without an expiry is not a contract we can use
        f"NSE,D,70002,NA,OPTIDX,26000,NIFTY,NIFTY-BROKEN-CE,NIFTY BROKEN,OP,NA,65.0,,"
        f"26000.00000,CE,5.0000,W,{tail}"
    )
    return "\n".join([DETAILED_HEADER, *rows]) + "\n"


STEPS = {"13": 50.0, "25": 100.0}


def rolling_answer(payload: dict) -> dict:
    """Bars of ATM±n of an index for ``fromDate`` up to (not including) ``toDate``."""
    start = date.fromisoformat(payload["fromDate"][:10])
    end = date.fromisoformat(payload["toDate"][:10]) - timedelta(days=1)
    key = "ce" if payload["drvOptionType"] == "CALL" else "pe"
    if end < start:
        return {"data": {"ce": None, "pe": None}}
    minutes = int(payload.get("interval", 1))
    sid = str(payload["securityId"])
    spot = synthetic_bars(start=start, end=end, timeframe_minutes=minutes, seed=int(sid))
    if len(spot) == 0:
        return {"data": {"ce": None, "pe": None}}
    text = payload["strike"]
    offset = 0 if text == "ATM" else int(text[3:])
    step = STEPS.get(sid, 50.0)
    strike = np.round(spot.close / step) * step + offset * step
    seed = 1000 + offset * 10 + (key == "pe") + minutes * 100 + int(payload["expiryCode"])
    prem = synthetic_bars(
        start=start, end=end, timeframe_minutes=minutes, seed=seed, start_price=150.0
    )
    wanted = set(payload.get("requiredData") or ())
    series = {
        "timestamp": (prem.ts // 10**9).tolist(),
        "open": prem.open.tolist(),
        "high": prem.high.tolist(),
        "low": prem.low.tolist(),
        "close": prem.close.tolist(),
        "volume": np.round(prem.volume).tolist(),
        "oi": np.round(prem.volume * 10).tolist(),
        "iv": np.round(12.5 + 0.1 * offset + 0 * prem.close, 2).tolist(),
        "strike": strike.tolist(),
        "spot": spot.close.tolist(),
    }
    series = {k: v for k, v in series.items() if k == "timestamp" or k in wanted}
    return {"data": {"ce": None, "pe": None, key: series}}


class FakeDhan:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.failures: deque[tuple[int, bytes]] = deque()
        self.master = master_csv()
        self.lock = threading.Lock()
        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self.detailed = detailed_master_csv()
        self.server.expect_request("/scrip-master.csv", method="GET").respond_with_handler(
            self._master
        )
        self.server.expect_request("/scrip-master-detailed.csv", method="GET").respond_with_handler(
            self._detailed
        )
        self.server.expect_request(re.compile("/v2/.*"), method="POST").respond_with_handler(
            self._post
        )

    @property
    def base_url(self) -> str:
        return self.server.url_for("/v2")

    @property
    def master_url(self) -> str:
        return self.server.url_for("/scrip-master.csv")

    @property
    def detailed_master_url(self) -> str:
        return self.server.url_for("/scrip-master-detailed.csv")

    def __enter__(self) -> FakeDhan:
        self.server.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.stop()
        self.server.check_assertions()  # a request no handler matched fails the test

    def fail_next(self, status: int, body: dict | bytes, times: int = 1) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        with self.lock:
            self.failures.extend([(status, raw)] * times)

    def _record(self, request: Request, payload: dict | None) -> None:
        with self.lock:
            self.requests.append(
                {"path": request.path, "payload": payload, "headers": Headers(request.headers)}
            )

    def _master(self, request: Request) -> Response:
        self._record(request, None)
        return Response(self.master, 200, content_type="text/csv")

    def _detailed(self, request: Request) -> Response:
        self._record(request, None)
        return Response(self.detailed, 200, content_type="text/csv")

    def _post(self, request: Request) -> Response:
        payload = request.get_json(force=True, silent=True) or {}
        self._record(request, payload)
        with self.lock:
            status, body = self.failures.popleft() if self.failures else (None, b"")
        if status is None:
            status, body = self._answer(request.path, payload)
        return Response(body, status, content_type="application/json")

    def _answer(self, path: str, payload: dict) -> tuple[int, bytes]:
        if path.endswith("/charts/intraday"):
            return 200, json.dumps(self._bars(payload, daily=False)).encode()
        if path.endswith("/charts/historical"):
            return 200, json.dumps(self._bars(payload, daily=True)).encode()
        if path.endswith("/charts/rollingoption"):
            return 200, json.dumps(rolling_answer(payload)).encode()
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
