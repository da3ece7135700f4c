"""Numbers as people read them: prices to a tick, money to the paisa (ADR 0011).

Decimal arithmetic and plain strings, so no float noise ("23563.549999") reaches a person.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any


def to_step(value: Any, step: Any) -> str | None:
    """``value`` rounded to a multiple of ``step`` (a tick, 0.01), as a plain decimal string
    with the step's own places (a stored tick ``0.0500`` still shows 2 decimals)."""
    if value is None:
        return None
    step = Decimal(str(step))
    if step <= 0:
        return str(value)
    units = (Decimal(str(value)) / step).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    places = Decimal(1).scaleb(min(step.normalize().as_tuple().exponent, 0))
    return str((units * step).quantize(places))


def money(value: Any) -> str | None:
    return to_step(value, "0.01")
