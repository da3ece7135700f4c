"""User-scoped events pushed to ``/ws/`` after the current transaction commits.

Events announce state; they never carry the only copy of it. channels-redis
drops messages under pressure, so a client that reconnects re-reads over REST.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

# The consumer's handler for these messages is ``event_message``.
MESSAGE_TYPE = "event.message"


def user_group(user_id: int) -> str:
    return f"user.{int(user_id)}"


def event_emit(*, user_id: int, type: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """Queue an event for the user; it is sent only if the transaction commits."""
    event = {
        "id": str(uuid.uuid4()),
        "type": type,
        "ts": timezone.now().isoformat(),
        "data": data or {},
    }
    transaction.on_commit(lambda: event_send(user_id=user_id, event=event))
    return event


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
