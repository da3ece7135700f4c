"""Path converters. ``<id:...>`` matches ids a BIGINT can hold: a longer number is a 404,
not an overflow inside the database driver (a 500)."""

from __future__ import annotations

MAX_ID = 2**63 - 1


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
