"""Query parameters shared by list views."""

from __future__ import annotations

from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from .converters import MAX_ID


def id_param(request: Request, name: str, *, lowest: int = 1) -> int | None:
    """An optional id filter (``?strategy=7``): None when absent or empty, a 400 naming the
    parameter when it is not an integer or no BIGINT id could hold it."""
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError as exc:
        raise ValidationError({name: ["must be an integer"]}) from exc
    if not lowest <= value <= MAX_ID:
        raise ValidationError({name: ["is out of range"]})
    return value
