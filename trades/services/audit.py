"""One audit row for every action on an order: who or what, when, from which request."""

from __future__ import annotations

from typing import Any

from algobacktester.logs import correlation_id_get, redact

from ..models import Order, OrderAudit


def audit(order: Order, action: str, *, actor: str, data: dict[str, Any] | None = None) -> None:
    """``actor``: ``user:<id>`` for a person, ``system:<what>`` for the platform,
    ``session:<id>`` for a live session. The request (or task) id comes from the log context."""
    audit_row(order, action, actor=actor, data=data).save()


def audit_row(
    order: Order, action: str, *, actor: str, data: dict[str, Any] | None = None
) -> OrderAudit:
    """The row :func:`audit` writes, unsaved: several go in one INSERT with :func:`audit_many`."""
    return OrderAudit(
        order=order,
        action=action[:30],
        actor=actor[:60],
        request_id=(correlation_id_get() or "")[:128],
        data=redact(data or {}),  # an error text never carries a secret into the table
    )


def audit_many(rows: list[OrderAudit]) -> None:
    if rows:
        OrderAudit.objects.bulk_create(rows)
