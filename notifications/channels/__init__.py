"""Channel backends, chosen per channel by dotted path in ``settings.NOTIFICATIONS``."""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from .base import (
    ChannelBackend,
    DeliveryError,
    OutcomeUnknownError,
    OutgoingMessage,
    PermanentError,
    SendResult,
    TransientError,
)


def backend_for(channel: str) -> ChannelBackend:
    """A fresh backend each call: settings are read at send time, so tests can override them."""
    path = settings.NOTIFICATIONS["BACKENDS"][channel]
    return import_string(path)()


__all__ = [
    "ChannelBackend",
    "DeliveryError",
    "OutcomeUnknownError",
    "OutgoingMessage",
    "PermanentError",
    "SendResult",
    "TransientError",
    "backend_for",
]
