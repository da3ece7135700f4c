"""JSON bytes with orjson, spelling what it does not know natively as DRF does.

Used by the API's renderer (``algobacktester.api.renderers``) and by services that keep a
rendered answer as bytes (a finished backtest's result part), so both write the same JSON.
No DRF here: services may import it (algobacktester/tests/test_layers.py).
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any

import orjson
from django.utils.functional import Promise

OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_PASSTHROUGH_DATETIME


def dumps(data: Any) -> bytes:
    return orjson.dumps(data, default=_default, option=OPTIONS)


def _default(obj: Any) -> Any:
    """As ``rest_framework.utils.encoders.JSONEncoder``: ``Z`` for UTC, milliseconds."""
    if isinstance(obj, Promise):
        return str(obj)
    if isinstance(obj, datetime.datetime):
        text = obj.isoformat()
        if obj.microsecond:
            text = text[:23] + text[26:]
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(obj, datetime.date):
        return obj.isoformat()
    if isinstance(obj, datetime.time):
        text = obj.isoformat()
        return text[:12] if obj.microsecond else text
    if isinstance(obj, datetime.timedelta):
        return str(obj.total_seconds())
    if isinstance(obj, decimal.Decimal):
        return float(obj)  # as DRF's encoder (serializers render money as strings anyway)
    if isinstance(obj, uuid.UUID):
        return str(obj)
    if isinstance(obj, bytes):
        return obj.decode()
    if isinstance(obj, set | frozenset | tuple):
        return list(obj)
    if hasattr(obj, "tolist"):  # numpy scalars orjson does not take
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")
