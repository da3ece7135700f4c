"""OpenAPI extensions (imported by AccountsConfig.ready so they register) and the
post-processing hook that documents the error answers every operation can give."""

from __future__ import annotations

import copy
import re
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular import openapi
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme

from .inputs import MAX_DEPTH
from .pagination import PageSerializer


class RevocableJWTScheme(SimpleJWTScheme):
    target_class = "algobacktester.accounts.authentication.JWTAuthentication"
    name = "jwtAuth"


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's, knowing that a ``paginated()`` answer is a list (``*_list`` ids),
    and that a read-only field of a ``blank=True`` model field can be ``""``."""

    # DRF drops allow_blank from read-only fields, so the schema would put a format (email,
    # uri; added with the validators) or an enum (added with the type) on a value the API
    # answers blank.
    def _map_serializer_field(self, field: Any, direction: str, bypass_extensions: bool = False):
        return super()._map_serializer_field(_blank_aware(field), direction, bypass_extensions)

    def _insert_field_validators(self, field: Any, schema: dict[str, Any]) -> None:
        super()._insert_field_validators(_blank_aware(field), schema)

    def _is_list_view(self, serializer: Any = None) -> bool:
        if serializer is None and self.method == "GET":
            responses = self.get_response_serializers()
            page = responses.get(200) if isinstance(responses, dict) else responses
            if isinstance(page, PageSerializer):
                return True
        return super()._is_list_view(serializer)


def _blank_aware(field: Any) -> Any:
    """``field``, or a copy allowing blank when the model field behind it does."""
    read_only = getattr(field, "read_only", False)
    if read_only and getattr(field, "allow_blank", None) is False and _model_blank(field):
        field = copy.copy(field)
        field.allow_blank = True
    return field


def _model_blank(field: Any) -> bool:
    """Whether the model field behind a ``ModelSerializer`` field (``user.email`` too)
    allows blank."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    model_field = None
    for name in (field.source or "").split("."):
        if model is None:
            return False
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return False
        model = model_field.related_model
    return bool(model_field is not None and model_field.blank)


ERROR_SCHEMA = {
    "type": "object",
    "description": "Every 4xx (docs/api.md, Errors): `detail` reads on its own, `errors` "
    "names each field (a dotted path) or graph node at fault.",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string", "nullable": True},
                    "node": {"type": "string", "nullable": True},
                    "message": {"type": "string"},
                    "code": {"type": "string"},
                },
                "required": ["field", "message", "code"],
            },
        },
    },
    "required": ["detail", "code", "errors"],
}

# The answers docs/api.md lists: a component each, referred to by every operation.
_RESPONSES = {
    "400": (
        "BadRequest",
        "Invalid input (the body names the field), malformed JSON, or input past the limits "
        f"(a body nested deeper than {MAX_DEPTH} levels, NUL characters; docs/api.md)",
    ),
    "401": ("Unauthorized", "No token, or a bad, expired, tampered or revoked one"),
    "403": ("Forbidden", "Authenticated but not allowed"),
    "404": ("NotFound", "No such resource, or another user's; or a page past the last"),
    "409": ("Conflict", "The request clashes with the current state of a resource"),
    "429": ("TooManyRequests", "Throttled, locked out or over a cap; see Retry-After"),
    "503": ("Unavailable", "A provider the request needs is unavailable; try again shortly"),
}
_ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_PATH_PARAMETER = re.compile(r"\{[^}]+\}")


def document_errors(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Adds the ``Error`` body and the error responses to the components, and to each
    operation the 4xx answers it can give: 400 and 401 always (any body, query or token can
    be bad), 403 when it needs a login, 404 with a path id or pages, 429. A 4xx or 503 a
    view names without a body gets the error body too."""
    components = result.setdefault("components", {})
    components.setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    components["responses"] = {
        name: {"description": text, "content": _ERROR_CONTENT} for name, text in _RESPONSES.values()
    }
    for path, methods in result.get("paths", {}).items():
        for operation in methods.values():
            _document_operation(path, operation)
    return result


def _document_operation(path: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    codes = ["400", "401", "429"]
    security = operation.get("security") or [{}]
    if {} not in security:
        codes.append("403")
    names = {p.get("name") for p in operation.get("parameters", [])}
    if _PATH_PARAMETER.search(path) or "page" in names:
        codes.append("404")
    for code in codes:
        responses.setdefault(code, _reference(code))
    for code, response in list(responses.items()):
        if code in _RESPONSES and "content" not in response and "$ref" not in response:
            responses[code] = _reference(code) if _generic(response) else response
            response.setdefault("content", _ERROR_CONTENT)
    operation["responses"] = dict(sorted(responses.items()))


def _reference(code: str) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{_RESPONSES[code][0]}"}


def _generic(response: dict[str, Any]) -> bool:
    """A response a view named only to list its code, with no text of its own."""
    text = response.get("description") or ""
    return text in ("", "Conflict", "No response body") or text.startswith("Error: {detail")
