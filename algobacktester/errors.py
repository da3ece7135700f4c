"""Errors that services and selectors raise, free of any transport (docs/adr/0009).

A service says *what* went wrong; ``algobacktester.api.exceptions.exception_handler``
decides the HTTP status and the body, a management command prints the message, a task
records it on its row. Nothing here imports DRF, so the same service runs from a view,
a task, the admin or the shell.

``detail`` takes DRF's shapes so a body names the field at fault: a message, a list of
messages, or ``{"field": ["message", ...]}`` (nested for ``grid.fast.start``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class ApplicationError(Exception):
    """The base: a client-facing message (``detail``) and a stable machine ``code``."""

    code = "error"
    default_detail = "Request failed."

    def __init__(self, detail: Any = None, *, code: str | None = None) -> None:
        self.detail = self.default_detail if detail is None else detail
        self.code = code or type(self).code
        super().__init__(message_text(self.detail))


class InvalidInput(ApplicationError):
    """Bad input (400). ``errors`` carries already structured problems, e.g. a graph's
    ``{"node": "n3", "field": "params.timeperiod", "message": ...}``, when a dict of
    field names cannot say which node is at fault."""

    code = "invalid"
    default_detail = "Invalid input."

    def __init__(
        self,
        detail: Any = None,
        *,
        errors: Sequence[Mapping[str, Any]] | None = None,
        code: str | None = None,
    ) -> None:
        self.errors = [dict(e) for e in errors] if errors is not None else None
        if detail is None and self.errors is not None:
            detail = "; ".join(str(e.get("message")) for e in self.errors[:3])
        super().__init__(detail, code=code)


class NotAuthenticated(ApplicationError):
    """Credentials missing, wrong or revoked (401)."""

    code = "authentication_failed"
    default_detail = "Incorrect authentication credentials."


class PermissionDenied(ApplicationError):
    """The caller is known but may not do this (403)."""

    code = "permission_denied"
    default_detail = "You do not have permission to perform this action."


class NotFound(ApplicationError):
    """The object does not exist *for this caller* (404): never says whose it is."""

    code = "not_found"
    default_detail = "Not found."


class Conflict(ApplicationError):
    """The request clashes with the current state of a resource (409)."""

    code = "conflict"
    default_detail = "The request conflicts with the current state."


class LimitExceeded(ApplicationError):
    """A cap or rate was reached (429); ``retry_after`` seconds, when known, becomes
    ``Retry-After``. With the default code ``throttled`` the message also says when."""

    code = "throttled"
    default_detail = "Request was throttled."

    def __init__(
        self, detail: Any = None, *, retry_after: int | None = None, code: str | None = None
    ) -> None:
        self.retry_after = retry_after
        super().__init__(detail, code=code)


class Unavailable(ApplicationError):
    """A dependency (a provider, a broker) cannot answer now (503)."""

    code = "unavailable"
    default_detail = "A service this request needs is unavailable; try again shortly."


class BadGateway(ApplicationError):
    """A dependency answered, but with an error or nonsense (502): a broker's 5xx or refusal
    that is not the caller's input."""

    code = "bad_gateway"
    default_detail = "A service this request needs answered with an error."


def message_text(detail: Any) -> str:
    """One line from any ``detail`` shape: for logs, commands and rows."""
    if isinstance(detail, Mapping):
        return "; ".join(f"{key}: {message_text(value)}" for key, value in detail.items())
    if isinstance(detail, list | tuple):
        return " ".join(message_text(value) for value in detail)
    return str(detail)


__all__ = [
    "ApplicationError",
    "BadGateway",
    "Conflict",
    "InvalidInput",
    "LimitExceeded",
    "NotAuthenticated",
    "NotFound",
    "PermissionDenied",
    "Unavailable",
    "message_text",
]
