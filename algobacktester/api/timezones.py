"""Times in API answers carry the caller's offset (docs/adr/0011-api-times-and-defaults.md).

Stored times are UTC. DRF renders a ``DateTimeField`` in Django's *current* time zone, so the
middleware makes that IST for every request and the authentication class switches it to the
user's own zone once it knows who is asking; the middleware resets it when the request ends.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone


def user_zone(user: Any) -> tzinfo:
    """The user's IANA zone; IST for anonymous callers or a zone the system does not know."""
    name = getattr(user, "timezone", None) or settings.MARKET_TIME_ZONE
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.MARKET_TIME_ZONE)


def activate_for(user: Any) -> None:
    timezone.activate(user_zone(user))


def local_iso(value: datetime | str | None, zone: tzinfo | None = None) -> str | None:
    """An aware datetime (or ISO string with an offset) as ISO 8601 in ``zone`` (default: the
    current zone)."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(zone or timezone.get_current_timezone()).isoformat()


class TimezoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timezone.activate(zoneinfo.ZoneInfo(settings.MARKET_TIME_ZONE))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()  # threads serve other requests next
