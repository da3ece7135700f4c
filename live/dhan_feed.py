"""The Dhan v2 market feed client: one WebSocket, our own parser, a no-data watchdog,
resubscription on every reconnect with back-off, and token-expiry detection.

Not the SDK's ``MarketFeed``: it sets an event loop on the caller's thread, parses one packet a
frame, drops the date from LTT, and reconnects on its own (../shared/LIVE.md). This client is
synchronous (``websockets.sync``) and runs on the feed process's one thread; everything it
calls back (tick recording, the tick guard, the lease) runs between two ``recv``.

What ends a connection and what follows:

- the socket drops (with or without a close frame, e.g. Dhan's 1011): reconnect after a back-off
  that doubles while connections fail without data (``BACKOFF_FIRST`` … ``BACKOFF_MAX``) and
  starts again once a connection delivered data;
- no data for ``WATCHDOG_SECONDS`` while the market is open: the same (a half-open socket);
- a disconnect packet with an authentication reason (807 token expired, 808–810) or a refused
  handshake (401/403): :class:`FeedHalted`; the caller stops and alerts, it never reconnects
  with the same token (no reconnect storm);
- the caller's ``on_idle`` returning False (the leader lease was lost) or ``stop``: return.

The access token travels in the URL (Dhan v2's design): log messages are redacted.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.sync.client import connect

from engine.markets.calendar import IST, session

from .dhan_packets import (
    DISCONNECT_REASONS,
    MODE_QUOTE,
    Disconnect,
    Tick,
    feed_url,
    parse_frame,
    redact,
    subscribe_messages,
)

logger = logging.getLogger(__name__)
# websockets logs the request line (with the token in its query) at DEBUG: never below INFO.
_ws_logger = logging.getLogger("live.dhan_feed.socket")
_ws_logger.setLevel(logging.INFO)
DHAN_FEED_URL = "wss://api-feed.dhan.co"


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedSettings:
    url: str = DHAN_FEED_URL
    watchdog_seconds: float = 90.0  # OpenAlgo's figure: a quiet open market is a dead socket
    idle_seconds: float = 1.0  # on_idle at least this often (lease, flushes, subscriptions)
    backoff_first: float = 1.0
    backoff_max: float = 60.0
    open_timeout: float = 10.0
    mode: int = MODE_QUOTE  # quote packets carry the day's volume; ticker ones do not

    @classmethod
    def from_settings(cls, live: dict[str, Any]) -> FeedSettings:
        return cls(
            url=live.get("DHAN_FEED_URL") or DHAN_FEED_URL,
            watchdog_seconds=float(live.get("DHAN_FEED_WATCHDOG_SECONDS", 90)),
            backoff_first=float(live.get("DHAN_FEED_BACKOFF_FIRST", 1)),
            backoff_max=float(live.get("DHAN_FEED_BACKOFF_MAX", 60)),
        )


class FeedHalted(Exception):  # noqa: N818 - names the outcome
    """Dhan refused the credentials: reconnecting with them cannot help."""

    def __init__(self, reason: int, message: str) -> None:
        super().__init__(message)
        self.reason, self.message = reason, message


@dataclass(slots=True)
class FeedStats:
    connects: int = 0
    frames: int = 0
    ticks: int = 0
    truncated_bytes: int = 0
    watchdog_reconnects: int = 0
    drops: int = 0
    subscribe_messages: int = 0
    delays: list[float] = field(default_factory=list)  # back-offs slept, in order


def market_open(now: datetime | None = None) -> bool:
    """True inside the NSE session of the IST day (the calendar's hours, holidays)."""
    local = (now or datetime.now(tz=UTC)).astimezone(IST)
    s = session(local.date())
    return s is not None and s.open <= local.time() < s.close


class DhanFeedClient:
    """One Dhan v2 feed connection at a time, kept alive until stopped or halted."""

    def __init__(
        self,
        *,
        client_id: str,
        token: str,
        wanted: Callable[[], set[tuple[str, str]]],
        on_ticks: Callable[[list[Tick]], None],
        on_idle: Callable[[], bool] = lambda: True,
        stop: threading.Event | None = None,
        settings: FeedSettings | None = None,
        watchdog_active: Callable[[], bool] = market_open,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client_id, self._token = client_id, token
        self.wanted, self.on_ticks, self.on_idle = wanted, on_ticks, on_idle
        self.stop = stop or threading.Event()
        self.settings = settings or FeedSettings()
        self.watchdog_active, self.clock = watchdog_active, clock
        self.stats = FeedStats()
        self._subscribed: set[tuple[str, str]] = set()
        self._served = False

    def __repr__(self) -> str:  # never the token
        return f"<DhanFeedClient …{self._client_id[-4:]}>"

    def run(self) -> None:
        """Connect, serve, reconnect; return when stopped; raise FeedHalted on refused
        credentials."""
        failures = 0
        while not self.stop.is_set():
            outcome = self._connection()
            if outcome == "stop":
                return
            failures = 0 if outcome == "served" else failures + 1
            delay = min(
                self.settings.backoff_max, self.settings.backoff_first * 2 ** max(0, failures - 1)
            )
            self.stats.delays.append(delay)
            logger.info("dhan feed: reconnecting in %.1f s (%s)", delay, outcome)
            if self.stop.wait(delay):
                return

    # --- one connection -----------------------------------------------------------------------
    def _connection(self) -> str:
        """'served' (data came, then the socket ended), 'failed' (none came) or 'stop'."""
        url = feed_url(self.settings.url, token=self._token, client_id=self._client_id)
        try:
            ws = connect(
                url, open_timeout=self.settings.open_timeout, close_timeout=1, logger=_ws_logger
            )
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status in (401, 403):
                raise FeedHalted(status, f"Dhan refused the feed connection ({status})") from None
            logger.warning("dhan feed: connection refused (%s)", status)
            return "failed"
        except (OSError, TimeoutError, InvalidHandshake) as exc:
            logger.warning("dhan feed: cannot connect: %s", self._redact(exc))
            return "failed"
        self.stats.connects += 1
        self._subscribed = set()
        with ws:
            try:
                return self._serve(ws)
            except ConnectionClosed as exc:
                # Dhan may close right after its disconnect packet (e.g. 807 before we even
                # subscribed): read what arrived first, so the reason is not lost.
                if (outcome := self._drain(ws)) is not None:
                    return outcome
                self.stats.drops += 1
                logger.warning("dhan feed: socket closed: %s", self._redact(exc))
                return "served" if self._served else "failed"

    def _drain(self, ws: Any) -> str | None:
        while True:
            try:
                data = ws.recv(timeout=0)
            except (ConnectionClosed, TimeoutError):
                return None
            if isinstance(data, bytes) and (outcome := self._frame(data)) is not None:
                return outcome

    def _serve(self, ws: Any) -> str:
        self._served = False
        self._sync_subscriptions(ws)
        last_data = next_idle = self.clock()
        watchdog = self.settings.watchdog_seconds
        while True:
            if self.stop.is_set():
                return "stop"
            now = self.clock()
            if now >= next_idle:
                if not self.on_idle():
                    return "stop"
                self._sync_subscriptions(ws)
                next_idle = now + self.settings.idle_seconds
            if not self.watchdog_active():
                last_data = now  # a closed market is quiet, not dead
            try:
                data = ws.recv(timeout=max(0.0, min(next_idle, last_data + watchdog) - now))
            except TimeoutError:
                if self.clock() - last_data >= watchdog and self.watchdog_active():
                    self.stats.watchdog_reconnects += 1
                    logger.warning("dhan feed: no data for %.0f s; reconnecting", watchdog)
                    return "served" if self._served else "failed"
                continue
            if isinstance(data, str):
                continue  # Dhan answers in binary; a text frame is not a packet
            last_data = self.clock()
            if (outcome := self._frame(data)) is not None:
                return outcome

    def _frame(self, data: bytes) -> str | None:
        parsed = parse_frame(data)
        self.stats.frames += 1
        self._served = True
        if parsed.truncated:
            self.stats.truncated_bytes += parsed.truncated
            logger.warning("dhan feed: %d bytes of a cut packet dropped", parsed.truncated)
        if parsed.ticks:
            self.stats.ticks += len(parsed.ticks)
            self.on_ticks(parsed.ticks)
        for d in parsed.disconnects:
            return self._disconnected(d)
        return None

    def _disconnected(self, d: Disconnect) -> str:
        if d.auth:
            raise FeedHalted(d.reason, f"Dhan closed the feed: {d.message} ({d.reason})")
        logger.warning(
            "dhan feed: %s (%s)", DISCONNECT_REASONS.get(d.reason, "disconnect"), d.reason
        )
        return "failed"  # e.g. 805 too many connections: back off, doubling

    def _sync_subscriptions(self, ws: Any) -> None:
        """Subscribe what is wanted and not yet subscribed on this connection (everything,
        after a reconnect); unsubscribe what is no longer wanted."""
        wanted = set(self.wanted())
        mode = self.settings.mode
        messages = (
            subscribe_messages(wanted - self._subscribed, mode=mode)
            if wanted - self._subscribed
            else []
        )
        gone = self._subscribed - wanted
        if gone:
            messages += subscribe_messages(gone, mode=mode, subscribe=False)
        for message in messages:
            ws.send(message)
        self.stats.subscribe_messages += len(messages)
        self._subscribed = wanted

    def _redact(self, exc: BaseException) -> str:
        return redact(str(exc), self._token)
