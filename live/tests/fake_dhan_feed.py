"""A local fake of Dhan's v2 market feed WebSocket on 127.0.0.1, in its binary format, with faults.

It checks the connect URL's ``version``, ``token``, ``clientId`` and ``authType`` (a wrong or
expired token gets a disconnect packet 807 and a close, as Dhan does), records every
subscription message per connection, and lets a test:

- :meth:`push` frames (bytes: one or several packets) to every open connection;
- :meth:`drop` every connection without a close frame (a dead socket);
- :meth:`silence` the server (connections stay open, nothing is sent: the watchdog's case);
- :meth:`expire` the token: open connections get a disconnect 807, new ones too;
- :meth:`refuse` handshakes with an HTTP status (401: the token refused at the door).

On each connection's first subscription it sends ``greeting`` frames (Dhan sends the last
trade of each instrument on subscribe).
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Response
from websockets.sync.server import ServerConnection, serve

from live.dhan_packets import pack_disconnect


class FakeDhanFeed:
    def __init__(self, *, token: str, client_id: str = "1000000001") -> None:
        self.token, self.client_id = token, client_id
        self.expired = False
        self.silent = False
        self.refuse_status: int | None = None
        self.greeting: list[bytes] = []
        self.connections = 0  # accepted (URL checked)
        self.attempts = 0  # every handshake, refused ones too
        self.urls: list[str] = []
        self.subscriptions: list[list[dict[str, Any]]] = []  # per accepted connection
        self._open: list[ServerConnection] = []
        self._lock = threading.Lock()
        self._server: Any = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self) -> str:
        quiet = logging.getLogger("live.tests.fake_dhan_feed")
        quiet.setLevel(logging.INFO)  # its DEBUG request lines carry the token
        self._server = serve(
            self._handler,
            "127.0.0.1",
            0,
            process_request=self._door,
            logger=quiet,
            close_timeout=0.5,
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        port = self._server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}"

    def stop(self) -> None:
        self.drop()
        if self._server is not None:
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join(5)

    # --- faults and data ----------------------------------------------------------------------
    def push(self, frame: bytes) -> int:
        sent = 0
        for conn in self._live():
            try:
                conn.send(frame)
                sent += 1
            except ConnectionClosed:
                pass
        return sent

    def drop(self) -> None:
        """Close every open connection's socket with no close frame (a dead TCP peer)."""
        for conn in self._live():
            with contextlib.suppress(OSError):
                conn.socket.shutdown(socket.SHUT_RDWR)
            conn.socket.close()

    def silence(self, on: bool = True) -> None:
        self.silent = on

    def expire(self) -> None:
        self.expired = True
        self.push(pack_disconnect(807))

    def refuse(self, status: int | None) -> None:
        self.refuse_status = status

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.01)
        return predicate()

    # --- the server side ----------------------------------------------------------------------
    def _live(self) -> list[ServerConnection]:
        with self._lock:
            return list(self._open)

    def _door(self, conn: ServerConnection, request: Any) -> Response | None:
        self.attempts += 1
        self.urls.append(request.path)
        if self.refuse_status is not None:
            return Response(self.refuse_status, "Refused", Headers(), b"refused")
        return None

    def _handler(self, conn: ServerConnection) -> None:
        q = parse_qs(urlsplit(conn.request.path).query)
        one = {k: v[0] for k, v in q.items()}
        if one.get("version") != "2" or one.get("authType") != "2":
            conn.close(1008, "bad request")
            return
        if one.get("token") != self.token or self.expired or one.get("clientId") != self.client_id:
            conn.send(pack_disconnect(807 if one.get("clientId") == self.client_id else 808))
            conn.close()
            return
        subs: list[dict[str, Any]] = []
        with self._lock:
            self.connections += 1
            self.subscriptions.append(subs)
            self._open.append(conn)
        try:
            for message in conn:
                if isinstance(message, str):
                    subs.append(json.loads(message))
                    if len(subs) == 1 and not self.silent:
                        for frame in self.greeting:
                            conn.send(frame)
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                if conn in self._open:
                    self._open.remove(conn)
