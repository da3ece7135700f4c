"""Request fields shared by the apps."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .converters import MAX_ID

SYMBOL_RE = re.compile(r"^(?:(NSE|BSE):)?([A-Z0-9][A-Z0-9&_\-. ]{0,63})$")


@extend_schema_field(
    {
        "oneOf": [{"type": "integer", "minimum": 1}, {"type": "string"}],
        "description": 'An instrument id, or its symbol: "NIFTY", "BSE:SENSEX"',
    }
)
class InstrumentRefField(serializers.Field):
    """An instrument by id (``1``, ``"1"``) or by symbol (``"NIFTY"``, ``"NSE:NIFTY"``).

    Only the form is checked here; the services resolve it, so an unknown symbol is a 400 on
    the same field."""

    default_error_messages = {
        "invalid": 'must be an instrument id or symbol, e.g. 1 or "NIFTY"',
        "range": "is not an instrument id",
    }

    def to_internal_value(self, data: Any) -> int | str:
        if isinstance(data, str) and data.strip().isdigit():
            data = int(data.strip())
        if isinstance(data, int) and not isinstance(data, bool):
            if not 1 <= data <= MAX_ID:
                self.fail("range")
            return data
        if isinstance(data, str) and SYMBOL_RE.match(data.strip().upper()):
            return data.strip().upper()
        self.fail("invalid")
        raise AssertionError  # fail() raised

    def to_representation(self, value: Any) -> Any:
        return value


class TradingDateField(serializers.DateField):
    """A trading date, bounded: date arithmetic at the ends of ``date`` (``9999-12-31 + 1
    day``) overflows, and no market data lies outside these years."""

    MIN = date(1900, 1, 1)
    MAX = date(2199, 12, 31)
    default_error_messages = {"bounds": f"must be between {MIN} and {MAX}"}

    def to_internal_value(self, value: Any) -> date:
        parsed = super().to_internal_value(value)
        if not self.MIN <= parsed <= self.MAX:
            self.fail("bounds")
        return parsed
