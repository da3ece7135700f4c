"""API errors specific to notifications (formatted by the project's exception handler)."""

from __future__ import annotations

from rest_framework import status
from rest_framework.exceptions import APIException


class QuotaExceeded(APIException):
    """429 naming the field: ``{"channels": ["daily SMS quota reached"]}``."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = "Daily quota reached."
    default_code = "quota_exceeded"


class ProviderUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The message provider is unavailable; try again shortly."
    default_code = "provider_unavailable"
