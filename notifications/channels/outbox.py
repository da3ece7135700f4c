"""Where console backends put what they "send": printed, and kept for tests and demos."""

from __future__ import annotations

import sys
import threading
from typing import Any

from .base import OutgoingMessage

_LOCK = threading.Lock()
_OUTBOX: list[dict[str, Any]] = []
_MAX = 1000  # a long-running embedded server must not grow this without bound


def outbox_record(*, channel: str, message: OutgoingMessage) -> int:
    entry = {
        "channel": channel,
        "to": message.to,
        "subject": message.subject,
        "body": message.body,
        "event_type": message.event_type,
        "delivery_id": message.delivery_id,
        "user_id": message.user_id,
    }
    with _LOCK:
        _OUTBOX.append(entry)
        del _OUTBOX[:-_MAX]
        number = len(_OUTBOX)
    sys.stdout.write(
        f"[notifications:{channel}] to={message.to} {message.subject}\n{message.body}\n"
    )
    return number


def outbox_messages(channel: str | None = None) -> list[dict[str, Any]]:
    with _LOCK:
        return [dict(m) for m in _OUTBOX if channel is None or m["channel"] == channel]


def outbox_clear() -> None:
    with _LOCK:
        _OUTBOX.clear()
