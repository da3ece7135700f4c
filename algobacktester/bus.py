"""The one event bus (ARCHITECTURE decisions 8 and 14; docs/adr/0009).

A service ``emit``s an :class:`Event` after its transaction commits; apps register
subscribers in ``AppConfig.ready`` with :func:`subscribe`. A producer never imports its
consumers: ``/ws/`` delivery (``algobacktester.events``) and notifications are subscribers.

Handlers run in the process that emitted, one after another, each isolated: a failing
subscriber is logged and never fails the emitter or the subscribers after it. Events
announce state, they never carry the only copy of it (a dropped one is re-read over REST).
"""

from __future__ import annotations

import fnmatch
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

Handler = Callable[["Event"], None]

# Who hears an event that names no user. Subscribers decide what an audience means.
STAFF = "staff"


def _new_id() -> str:
    return str(uuid.uuid4())


def _now() -> str:
    return timezone.now().isoformat()


def _correlation_id() -> str | None:
    from algobacktester.logs import correlation_id_get  # the request or task being served

    return correlation_id_get()


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened. ``user_id`` scopes it to one user; ``audience`` (e.g.
    :data:`STAFF`) addresses a group instead. ``key`` names the instance for subscribers
    that must act once (a notification per backtest run); it defaults to ``id``.
    ``correlation_id`` is the request id of whatever caused it, for one grep in the logs."""

    type: str
    data: Mapping[str, Any] = field(default_factory=dict)
    user_id: int | None = None
    audience: str | None = None
    key: str = ""
    id: str = field(default_factory=_new_id)
    ts: str = field(default_factory=_now)
    correlation_id: str | None = field(default_factory=_correlation_id)

    def __post_init__(self) -> None:
        if (self.user_id is None) == (self.audience is None):
            raise ValueError("an event names exactly one of user_id or audience")

    @property
    def instance_key(self) -> str:
        return self.key or self.id


_subscribers: list[tuple[str, Handler]] = []


def subscribe(pattern: str, handler: Handler) -> None:
    """Call ``handler(event)`` for every event whose type matches ``pattern`` (shell-style:
    ``"backtest.*"``, ``"*"``). Registering the same pair again does nothing, so a
    ``ready()`` that runs twice does not deliver twice."""
    if (pattern, handler) not in _subscribers:
        _subscribers.append((pattern, handler))


def unsubscribe(pattern: str, handler: Handler) -> None:
    if (pattern, handler) in _subscribers:
        _subscribers.remove((pattern, handler))


def emit(event: Event) -> Event:
    """Publish ``event`` when the current transaction commits (now, outside one);
    a rollback drops it. Returns the event, e.g. for its id."""
    transaction.on_commit(lambda: publish(event))
    return event


def publish(event: Event) -> int:
    """Hand ``event`` to each matching subscriber now; return how many succeeded."""
    delivered = 0
    for pattern, handler in list(_subscribers):
        if not fnmatch.fnmatchcase(event.type, pattern):
            continue
        try:
            handler(event)
        except Exception:  # one subscriber's failure is its own, never the producer's
            logger.exception(
                "subscriber %s failed on event %s (%s)",
                getattr(handler, "__qualname__", handler),
                event.type,
                event.id,
            )
        else:
            delivered += 1
    return delivered


__all__ = ["STAFF", "Event", "Handler", "emit", "publish", "subscribe", "unsubscribe"]
