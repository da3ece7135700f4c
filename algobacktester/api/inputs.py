"""The one validation layer for request input: every JSON body and every query string.

Serializers check meaning; this layer checks what no field should ever have to: a body too
large or nested too deep to parse safely, numbers a float or a BIGINT cannot hold, strings
with NUL (PostgreSQL refuses them in text and jsonb) or lone surrogates (which cannot be
encoded as UTF-8, so echoing one in an error or storing it fails). Each is a 400 in the usual
error shape, naming the field when it can (docs/api.md, "Input limits").
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework import parsers
from rest_framework.exceptions import APIException, ParseError, ValidationError

from algobacktester.text import printable, string_problem

MAX_DEPTH = 64
MAX_ARRAY_ITEMS = 10_000
MAX_INT = 2**63 - 1  # what a BIGINT holds; every integer field of the API fits
MAX_QUERY_CHARS = 2_000

# A JSON string (escapes included) or a bracket: strings are skipped whole, so a "[" inside
# one does not count. The unrolled form matches in linear time and never recurses.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


class RequestTooLarge(APIException):
    """413, as the body-limit middleware answers: here for bodies sent without a length."""

    status_code = 413
    default_code = "request_too_large"


def max_body_bytes() -> int:
    """One knob for every JSON body: ``REQUEST_BODY_MAX_BYTES`` (docs/operations.md)."""
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, bounded: size and depth are checked before ``json.loads`` runs (its
    C scanner recurses once per level), strings, numbers and arrays after."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = max_body_bytes()
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestTooLarge(f"the request body is larger than {limit} bytes")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError("JSON parse error - the body is not UTF-8") from exc
        return json_load(text)


class MultiPartParser(parsers.MultiPartParser):
    """DRF's, refusing NUL in a form field or a file name as ``JSONParser`` does. (Django
    decodes form text with replacement, so a lone surrogate cannot arrive this way.)"""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parsed = super().parse(stream, media_type, parser_context)
        form_check(parsed.data, {key: f.name or "" for key, f in parsed.files.items()})
        return parsed


class FormParser(parsers.FormParser):
    """DRF's, refusing NUL in a form field as ``JSONParser`` does."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parsed = super().parse(stream, media_type, parser_context)
        form_check(parsed, {})
        return parsed


def form_check(data: Any, file_names: dict[str, str]) -> None:
    """A 400 naming the first form field (or uploaded file's name) that cannot be stored."""
    values = [(key, value) for key, items in data.lists() for value in items]
    for key, value in [*values, *file_names.items()]:
        message = string_problem(key) or string_problem(value)
        if message:
            raise ValidationError({printable(key): [f"this text {message}"]})


def json_load(text: str) -> Any:
    """Parse ``text`` as a request body, refusing what ``JSONParser`` documents."""
    if json_depth(text) > MAX_DEPTH:
        raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels")
    try:
        data = json.loads(text)
    except ValueError as exc:  # JSONDecodeError, and int() of more than 4300 digits
        raise ParseError(f"JSON parse error - {printable(str(exc))}") from exc
    problems = dict(data_problems(data))
    if problems:
        raise ValidationError({path or "non_field_errors": [m] for path, m in problems.items()})
    return data


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in ``text``, without recursion."""
    depth = deepest = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in "]}":
            depth -= 1
    return deepest


def data_problems(data: Any) -> Iterator[tuple[str, str]]:
    """(dotted path, message) for each bad string, key, number or array in parsed JSON;
    iterative, so it never recurses however the data nests."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if message := string_problem(value):
                yield path, f"this text {message}"
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if message := number_problem(value):
                yield path, message
        elif isinstance(value, list):
            if len(value) > MAX_ARRAY_ITEMS:
                yield path, f"a list has at most {MAX_ARRAY_ITEMS} items"
                continue
            stack.extend((_join(path, str(i)), item) for i, item in enumerate(value))
        elif isinstance(value, dict):
            for key, item in value.items():
                if message := string_problem(key):
                    yield _join(path, printable(key)), f"this key {message}"
                    continue
                stack.append((_join(path, key), item))


def number_problem(value: int | float) -> str | None:
    """Why a parsed JSON number cannot reach a field: ``1e400`` parses as infinity, ``NaN``
    is accepted by ``json.loads``, and ``10**400`` overflows any ``float()`` of it."""
    if isinstance(value, float) and not math.isfinite(value):
        return "must be a finite number"
    if isinstance(value, int) and abs(value) > MAX_INT:
        return f"integers are at most {MAX_INT} in magnitude"
    return None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class QueryStringMiddleware:
    """Refuses query strings that no view should see: NUL characters (PostgreSQL refuses
    them in a filter) and very long strings. Invalid UTF-8 is already replaced by Django."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = query_problem(request)
        if problem is not None:
            field, message = problem
            body = {
                "detail": f"{field}: {message}",
                "code": "invalid",
                "errors": [{"field": field, "message": message, "code": "invalid"}],
            }
            return JsonResponse(body, status=400)
        return self.get_response(request)


def query_problem(request: HttpRequest) -> tuple[str, str] | None:
    if len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_CHARS:
        return "query", f"the query string is longer than {MAX_QUERY_CHARS} characters"
    for key, values in request.GET.lists():
        if message := string_problem(key):
            return printable(key), f"this parameter name {message}"
        for value in values:
            if message := string_problem(value):
                return printable(key), f"this value {message}"
    return None


__all__ = [
    "MAX_ARRAY_ITEMS",
    "MAX_DEPTH",
    "MAX_INT",
    "MAX_QUERY_CHARS",
    "FormParser",
    "JSONParser",
    "MultiPartParser",
    "QueryStringMiddleware",
    "RequestTooLarge",
    "data_problems",
    "form_check",
    "json_depth",
    "json_load",
    "max_body_bytes",
    "number_problem",
]
