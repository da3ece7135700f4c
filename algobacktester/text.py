"""Text that can be stored and echoed: PostgreSQL refuses NUL in text and jsonb, and a lone
surrogate cannot be encoded as UTF-8 (so a row, a log line or a JSON answer holding one
fails). Free of DRF, so services use it for the error text they store."""

from __future__ import annotations

import re

_BAD_CHAR = re.compile("[\x00\ud800-\udfff]")


def string_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored or echoed, or None."""
    match = _BAD_CHAR.search(text)
    if match is None:
        return None
    if match.group() == "\x00":
        return "must not contain NUL characters"
    return "must not contain unpaired surrogates (invalid Unicode)"


def printable(text: str) -> str:
    """``text`` with NUL and lone surrogates escaped (``\\u0000``), safe to store or echo."""
    return _BAD_CHAR.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


__all__ = ["printable", "string_problem"]
