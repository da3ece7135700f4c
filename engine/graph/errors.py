"""The one exception validation raises, carrying every problem found."""

from __future__ import annotations

from typing import TypedDict


class ErrorDict(TypedDict):
    node: str | None
    field: str
    message: str


def error(node: str | None, field: str, message: str) -> ErrorDict:
    return {"node": node, "field": field, "message": message}


class GraphValidationError(ValueError):
    """Raised by ``compile_graph``; ``errors`` lists ``{"node", "field", "message"}`` dicts."""

    def __init__(self, errors: list[ErrorDict]) -> None:
        self.errors = errors
        shown = "; ".join(_fmt(e) for e in errors[:5])
        more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"invalid strategy graph: {shown}{more}")


def _fmt(e: ErrorDict) -> str:
    where = f"node '{e['node']}' " if e["node"] is not None else ""
    return f"{where}{e['field']}: {e['message']}"
