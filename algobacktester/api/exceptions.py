"""One JSON error shape for every 4xx, naming the field (or node) at fault.

    {"detail": "email: An account with this email already exists.",
     "code": "invalid",
     "errors": [{"field": "email", "message": "...", "code": "invalid"}]}

``detail`` is readable on its own; ``errors`` lists every problem with its
dotted field path (``nodes.3.params.timeperiod``) for clients that map them.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from algobacktester import errors


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, errors.InvalidInput) and exc.errors is not None:
        return Response(_structured_body(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, errors.ApplicationError):
        exc = api_exception(exc, context)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_detail(exc))
    elif isinstance(exc, Http404):  # DRF converts these too, but then skips our body shape
        # Neutral: get_object_or_404's "No BacktestRun matches the given query." names a model.
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.APIException):
        response.data = error_body(
            exc.detail, default_code=exc.default_code, status=response.status_code
        )
    return response


# Transport-neutral errors become the DRF exception of the same meaning, so the body,
# the Retry-After and WWW-Authenticate headers and the rollback are DRF's own.
_STATUS = {
    errors.InvalidInput: status.HTTP_400_BAD_REQUEST,
    errors.NotAuthenticated: status.HTTP_401_UNAUTHORIZED,
    errors.PermissionDenied: status.HTTP_403_FORBIDDEN,
    errors.NotFound: status.HTTP_404_NOT_FOUND,
    errors.Conflict: status.HTTP_409_CONFLICT,
    errors.LimitExceeded: status.HTTP_429_TOO_MANY_REQUESTS,
    errors.Unavailable: status.HTTP_503_SERVICE_UNAVAILABLE,
    errors.BadGateway: status.HTTP_502_BAD_GATEWAY,
}


def api_exception(exc: errors.ApplicationError, context: dict[str, Any]) -> exceptions.APIException:
    if isinstance(exc, errors.InvalidInput):
        return exceptions.ValidationError(exc.detail, code=exc.code)
    if isinstance(exc, errors.LimitExceeded) and exc.code == "throttled":
        return exceptions.Throttled(wait=exc.retry_after, detail=exc.detail)
    if isinstance(exc, errors.NotAuthenticated):
        return _authentication_failed(exc, context)
    api = exceptions.APIException(exc.detail, code=exc.code)
    api.status_code = next((s for cls, s in _STATUS.items() if isinstance(exc, cls)), 400)
    api.default_code = exc.code  # the body's code when detail is a dict
    api.wait = getattr(exc, "retry_after", None)  # read by DRF for Retry-After
    return api


def _authentication_failed(
    exc: errors.NotAuthenticated, context: dict[str, Any]
) -> exceptions.APIException:
    """What ``APIView.handle_exception`` does for DRF's own 401s: a WWW-Authenticate
    header when the view authenticates by header, else a 403."""
    api = exceptions.AuthenticationFailed(exc.detail, code=exc.code)
    view, request = context.get("view"), context.get("request")
    header = view.get_authenticate_header(request) if view is not None else None
    if header:
        api.auth_header = header
    else:
        api.status_code = status.HTTP_403_FORBIDDEN
    return api


def _structured_body(exc: errors.InvalidInput) -> dict[str, Any]:
    problems = [{"code": exc.code, **e} for e in exc.errors or []]
    first = problems[0] if problems else {"field": None, "message": "Invalid input."}
    summary = f"{first['field']}: {first['message']}" if first.get("field") else first["message"]
    if len(problems) > 1:
        summary += f" (and {len(problems) - 1} more)"
    return {"detail": summary, "code": exc.code, "errors": problems}


def error_body(detail: Any, *, default_code: str = "error", status: int = 400) -> dict[str, Any]:
    errors = list(_flatten(detail, ""))
    if not errors:
        errors = [{"field": None, "message": "Request failed.", "code": default_code}]
    first = errors[0]
    summary = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
    if len(errors) > 1:
        summary += f" (and {len(errors) - 1} more)"
    code = first["code"] if status == 400 else (getattr(detail, "code", None) or default_code)
    return {"detail": summary, "code": code, "errors": errors}


def _flatten(detail: Any, path: str) -> Any:
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "" if key in ("non_field_errors", "detail") else str(key)
            yield from _flatten(value, f"{path}.{name}".strip(".") if name else path)
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            nested = isinstance(value, dict | list)
            yield from _flatten(value, f"{path}.{index}".strip(".") if nested else path)
    else:
        yield {
            "field": path or None,
            "message": str(detail),
            "code": getattr(detail, "code", None) or "invalid",
        }


def _django_detail(exc: DjangoValidationError) -> Any:
    return exc.message_dict if hasattr(exc, "error_dict") else exc.messages


def json_error_view(status_code: int, message: str) -> Any:
    from django.http import JsonResponse
    from django.views.decorators.csrf import csrf_exempt

    @csrf_exempt  # an error answer changes nothing; it must not become a CSRF 403 itself
    def view(request: Any, exception: Exception | None = None) -> JsonResponse:
        body = {
            "detail": message,
            "code": _CODES[status_code],
            "errors": [{"field": None, "message": message, "code": _CODES[status_code]}],
        }
        return JsonResponse(body, status=status_code)

    return view


_CODES = {
    status.HTTP_400_BAD_REQUEST: "bad_request",
    status.HTTP_403_FORBIDDEN: "permission_denied",
    status.HTTP_404_NOT_FOUND: "not_found",
    status.HTTP_500_INTERNAL_SERVER_ERROR: "server_error",
}

__all__ = [
    "api_exception",
    "error_body",
    "exception_handler",
    "json_error_view",
]
