"""``/ws/`` delivery: a subscriber of the event bus (``algobacktester.bus``) that pushes
each user-scoped event to that user's group.

Events announce state; they never carry the only copy of it. channels-redis
drops messages under pressure, so a client that reconnects re-reads over REST.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from .bus import Event

logger = logging.getLogger(__name__)

# The consumer's handler for these messages is ``event_message``.
MESSAGE_TYPE = "event.message"


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
    try:
        async_to_sync(layer.group_send)(user_group(user_id), {"type": MESSAGE_TYPE, "event": event})
    except Exception:  # a dropped notification must never fail the work that caused it
        logger.warning(
            "event %s for user %s not delivered", event.get("type"), user_id, exc_info=True
        )
        return False
    return True
