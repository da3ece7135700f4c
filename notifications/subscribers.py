"""What notifications hear on the event bus (registered in ``NotificationsConfig.ready``).

Producers (backtests, market data, live trading) ``emit`` events and never import this
app; the event types a user can be alerted about are subscribed here.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from algobacktester.bus import STAFF, Event, subscribe

from .constants import EventType
from .services import event_notify, operator_notify


def event_deliveries_create(event: Event) -> None:
    """One delivery per channel the recipients chose, at most once per ``event.key``."""
    with transaction.atomic():  # a half-created set of deliveries never survives
        if event.user_id is not None:
            user = get_user_model().objects.filter(pk=event.user_id).first()
            if user is not None:
                event_notify(
                    user=user, event_type=event.type, data=event.data, dedupe_key=event.instance_key
                )
        elif event.audience == STAFF:
            operator_notify(event_type=event.type, data=event.data, dedupe_key=event.instance_key)


def subscribers_register() -> None:
    for event_type in EventType.values:
        subscribe(event_type, event_deliveries_create)
