"""``/ws/`` delivery: a subscriber of the event bus (``algobacktester.bus``) that pushes
each user-scoped event to that user's group.

Events announce state; they never carry the only copy of it. channels-redis
drops messages under pressure, so a client that reconnects re-reads over REST.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Coroutine
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from .bus import Event

logger = logging.getLogger(__name__)

# The consumer's handler for these messages is ``event_message``.
MESSAGE_TYPE = "event.message"
# A send that takes longer is given up (and logged): a stalled Redis must not hold a worker.
SEND_TIMEOUT_SECONDS = 5.0


def user_group(user_id: int) -> str:
    return f"user.{int(user_id)}"


def ws_message(event: Event) -> dict[str, Any]:
    return {"id": event.id, "type": event.type, "ts": event.ts, "data": dict(event.data)}


def ws_deliver(event: Event) -> None:
    """Bus subscriber: a user's event to their sockets (audience events have no socket)."""
    if event.user_id is not None:
        event_send(user_id=event.user_id, event=ws_message(event))


def event_send(*, user_id: int, event: dict[str, Any]) -> bool:
    """Send now (callers outside a transaction, e.g. a worker between steps)."""
    layer = get_channel_layer()
    if layer is None:
        return False
    message = {"type": MESSAGE_TYPE, "event": event}
    try:
        if _loop_safe(layer):
            _SENDER.run(layer.group_send(user_group(user_id), message))
        else:
            async_to_sync(layer.group_send)(user_group(user_id), message)
    except Exception:  # a dropped notification must never fail the work that caused it
        logger.warning(
            "event %s for user %s not delivered", event.get("type"), user_id, exc_info=True
        )
        return False
    return True


def _loop_safe(layer: Any) -> bool:
    """channels-redis keeps a connection pool per event loop, so any loop may send. The
    in-memory layer (tests, embedded mode) wakes its receivers on their own loop, so it is
    sent to through asgiref as before."""
    return type(layer).__module__.startswith("channels_redis.")


class _Sender:
    """One event loop on a daemon thread per process, for sends from sync code.

    ``async_to_sync`` outside a server's loop starts a new loop (and thread) per call, and
    channels-redis then opens a new Redis connection for that loop: ~7 ms and a connection
    per event (three a backtest run). Here the loop, and so its connection pool, lives as long
    as the process. Made on first use and again after a fork (a Celery pool child does not
    inherit the parent's thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        future = asyncio.run_coroutine_threadsafe(coro, self._running_loop())
        try:
            return future.result(SEND_TIMEOUT_SECONDS)
        except TimeoutError:
            future.cancel()
            raise

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                self._loop, self._pid = asyncio.new_event_loop(), os.getpid()
                threading.Thread(
                    target=self._loop.run_forever, name="event-sender", daemon=True
                ).start()
            return self._loop


_SENDER = _Sender()
