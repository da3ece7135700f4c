"""The channel backend interface: one ``send`` that succeeds or raises a typed error.

Backends are named by dotted path in ``settings.NOTIFICATIONS["BACKENDS"]`` and
resolved lazily, like DRF's pluggable classes. A backend never decides retries:
it says whether a failure is transient (429, 5xx, timeouts) or permanent, and the
delivery service decides what to do with the attempt count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True, kw_only=True)
class OutgoingMessage:
    user_id: int
    to: str  # an email address, an E.164 number, a URL; push: unused
    subject: str
    body: str
    event_type: str
    delivery_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    secret: str = field(default="", repr=False)  # the webhook signing secret


@dataclass(frozen=True, slots=True)
class SendResult:
    provider_id: str = ""


class DeliveryError(Exception):
    """A send that did not happen; ``reason`` is safe to store and show the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:480]


class TransientError(DeliveryError):
    """Worth retrying: throttled, server error, timeout, connection refused."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentError(DeliveryError):
    """Retrying cannot help: an invalid number, a rejected request, a bad address."""


class OutcomeUnknownError(DeliveryError):
    """The request went out but no answer came back (a read timeout): the provider may have
    sent it. Never retried, since a duplicate SMS is worse than a missing one."""

    def __init__(self, provider: str) -> None:
        super().__init__(
            f"outcome unknown: {provider} accepted the request but did not answer "
            "in time; not re-sent to avoid a duplicate"
        )


class ChannelBackend(Protocol):
    def send(self, message: OutgoingMessage) -> SendResult: ...


def http_error(status: int, reason: str, *, retry_after: float | None = None) -> DeliveryError:
    """Transient for 408, 429 and 5xx; permanent for every other 4xx."""
    if status in (408, 429) or status >= 500:
        return TransientError(reason, retry_after=retry_after)
    return PermanentError(reason)


def retry_after_seconds(value: Any) -> float | None:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if 0 <= seconds <= 3600 else None
