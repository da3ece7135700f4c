"""Structured logs: one request id from the HTTP request to the worker (docs/operations.md).

Context lives in ``contextvars`` (structlog's): the middleware binds ``request_id`` (the
client's ``X-Request-ID`` when it is sane, else a new one) and authentication binds
``user_id``; a Celery task binds the ``*_id`` arguments it was called with
(``run_id``, ``sweep_id``, ``delivery_id``, ``session_id`` …) and the ``request_id`` that
travelled in its message headers. Every line, from ``logging`` or ``structlog``, carries
them. Secrets never do: values under secret-looking keys, and ``key=value`` pairs in text,
are replaced by ``[redacted]`` before rendering.

JSON lines in services mode and production (``LOG_JSON``), a readable console otherwise.
"""

from __future__ import annotations

import inspect
import logging
import re
import uuid
from collections.abc import Callable, Mapping
from contextvars import Token
from typing import Any

import structlog
from structlog.contextvars import bind_contextvars, get_contextvars, reset_contextvars

REQUEST_ID_HEADER = "X-Request-ID"
REDACTED = "[redacted]"
SECRET_KEY_RE = re.compile(
    r"password|passwd|passphrase|secret|token|authori[sz]ation|api[-_]?key|cookie|credential"
    r"|signature|private[-_]?key|session[-_]?key",
    re.IGNORECASE,
)
# ``token=abc``, ``"password": "abc"``, ``Authorization: Bearer abc`` inside a message.
SECRET_TEXT_RE = re.compile(
    r"(?P<key>[\w-]*(?:password|passwd|secret|token|authori[sz]ation|api[-_]?key)[\w-]*)"
    r"(?P<sep>[\"']?\s*[:=]\s*[\"']?)(?P<value>(?:bearer\s+)?[^\s\"',;&}]+)",
    re.IGNORECASE,
)
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


# --- context -------------------------------------------------------------------------------


def correlation_id_get() -> str | None:
    return get_contextvars().get("request_id")


def request_id_for(header: str | None) -> str:
    """The caller's id when it is a plain token (it lands in logs), else a new one."""
    if header and _SAFE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


class RequestContextMiddleware:
    """Binds ``request_id`` for the request and answers it in ``X-Request-ID``."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        # Cleared at the start, not the end: Django logs a 4xx/5xx after the middleware
        # returns, and that line must still name the request and user.
        structlog.contextvars.clear_contextvars()
        request_id = request_id_for(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        bind_contextvars(request_id=request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


def user_bind(user_id: int) -> None:
    bind_contextvars(user_id=user_id)


# --- Celery ----------------------------------------------------------------------------------

CORRELATION_HEADER = "request_id"
_task_tokens: dict[str, Mapping[str, Token[Any]]] = {}


def task_headers_stamp(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """``before_task_publish``: the current request id travels with the message."""
    request_id = correlation_id_get()
    if headers is not None and request_id and not headers.get(CORRELATION_HEADER):
        headers[CORRELATION_HEADER] = request_id


def task_context_bind(
    task_id: str | None = None,
    task: Any = None,
    args: tuple[Any, ...] | None = None,
    kwargs: dict[str, Any] | None = None,
    **_: Any,
) -> None:
    """``task_prerun``: bind the task, its id arguments and the request id it carries.
    Tokens are kept so ``task_postrun`` restores the caller's context (an eager task runs
    inside the web request and must not wipe its ids)."""
    if task is None or task_id is None:
        return
    values: dict[str, Any] = {"task": task.name, "task_id": task_id}
    values.update(task_ids_from_arguments(task, args or (), kwargs or {}))
    request_id = getattr(task.request, CORRELATION_HEADER, None) or correlation_id_get()
    values["request_id"] = request_id or task_id
    _task_tokens[task_id] = bind_contextvars(**values)


def task_context_reset(task_id: str | None = None, **_: Any) -> None:
    tokens = _task_tokens.pop(task_id or "", None)
    if tokens:
        reset_contextvars(**tokens)


def task_ids_from_arguments(
    task: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> dict[str, Any]:
    """The ``*_id`` parameters a task was called with, e.g. ``{"run_id": 42}``."""
    try:
        bound = inspect.signature(task.run).bind_partial(*args, **kwargs).arguments
    except (TypeError, ValueError):
        bound = kwargs
    return {
        name: value
        for name, value in bound.items()
        if name.endswith("_id") and isinstance(value, int | str)
    }


# --- redaction and rendering ----------------------------------------------------------------


def redact(value: Any, key: str = "") -> Any:
    if key and SECRET_KEY_RE.search(key):
        return REDACTED
    if isinstance(value, Mapping):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return SECRET_TEXT_RE.sub(lambda m: f"{m['key']}{m['sep']}{REDACTED}", value)
    return value


def redact_secrets(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: the last step before rendering, so nothing escapes it."""
    return {key: redact(value, key if key != "event" else "") for key, value in event_dict.items()}


def drop_formatted_message(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Another handler may have formatted the record first (``record.message``): it repeats
    ``event``."""
    if event_dict.get("message") == event_dict.get("event"):
        event_dict.pop("message", None)
    return event_dict


SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def formatter(*, json: bool = False) -> logging.Formatter:
    """The ``logging`` formatter of ``LOGGING`` (by dotted path, so settings import no
    project code); it also configures structlog to render through it."""
    structlog.configure(
        processors=[*SHARED_PROCESSORS, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    tail: list[Any] = (
        [structlog.processors.format_exc_info, redact_secrets, structlog.processors.JSONRenderer()]
        if json
        else [
            structlog.processors.format_exc_info,
            redact_secrets,
            structlog.dev.ConsoleRenderer(colors=False),
        ]
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            *SHARED_PROCESSORS,
            structlog.stdlib.ExtraAdder(),
            drop_formatted_message,
        ],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *tail],
    )


__all__ = [
    "REQUEST_ID_HEADER",
    "RequestContextMiddleware",
    "correlation_id_get",
    "formatter",
    "redact",
    "redact_secrets",
    "task_context_bind",
    "task_context_reset",
    "task_headers_stamp",
    "user_bind",
]
