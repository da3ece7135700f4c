"""In-app push: a ``notification`` event to the user's group on ``/ws/``.

The consumer delivers to that user's connections only. A dropped event loses
nothing: the delivery is in the history the client re-reads over REST.
"""

from __future__ import annotations

from django.utils import timezone

from algobacktester.events import event_send

from .base import OutgoingMessage, SendResult, TransientError
from .outbox import outbox_record


class WebSocketPush:
    def send(self, message: OutgoingMessage) -> SendResult:
        event = {
            "id": f"delivery-{message.delivery_id}",
            "type": "notification",
            "ts": timezone.now().isoformat(),
            "data": {
                "delivery_id": message.delivery_id,
                "event_type": message.event_type,
                "subject": message.subject,
                "body": message.body,
                "data": message.data,
            },
        }
        if not event_send(user_id=message.user_id, event=event):
            raise TransientError("push channel layer unavailable")
        return SendResult(provider_id=event["id"])


class ConsolePush:
    """Outbox only (tests, or an operator who turns push off)."""

    def send(self, message: OutgoingMessage) -> SendResult:
        outbox_record(channel="push", message=message)
        return SendResult(provider_id=f"console-{message.delivery_id}")
