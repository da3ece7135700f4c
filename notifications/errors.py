"""Errors specific to notifications (transport-neutral; the project's handler maps them)."""

from __future__ import annotations

from algobacktester.errors import LimitExceeded, Unavailable


class QuotaExceeded(LimitExceeded):
    """429 naming the field: ``{"channels": ["daily SMS quota reached"]}``."""

    code = "quota_exceeded"
    default_detail = "Daily quota reached."


class ProviderUnavailable(Unavailable):
    code = "provider_unavailable"
    default_detail = "The message provider is unavailable; try again shortly."
