"""Orders placed once: submit under a lease, settle unknown outcomes, apply broker truth.

docs/adr/0015-orders-placed-once.md. The order row was committed (status NEW) with the
decision to trade. Then:

1. :func:`order_submit` claims it with one conditional UPDATE (NEW → SUBMITTING, the shared
   lease of ``workers.leases``, no takeover) and makes the single POST. Any number of
   deliveries of the submit task, in any number of workers, post at most once.
2. The answer moves it on: accepted (OPEN, FILLED, …), rejected (nothing placed), or
   UNKNOWN (timeout, 5xx, the SDK's generic failure, a worker that died mid-POST).
3. UNKNOWN is settled by :func:`order_settle`: the client id is looked up at the broker; found,
   the order takes the broker's status and fills; not found after ``UNKNOWN_GIVE_UP_SECONDS``,
   it is REJECTED (never placed). It is **never posted again**.
4. :func:`order_apply` writes broker truth: fills upserted by (broker order id, trade id),
   positions folded from new fills only, status mapped from the broker's.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from algobacktester.bus import Event, emit
from algobacktester.errors import LimitExceeded
from workers.leases import (
    Lease,
    lease_claim,
    lease_heartbeat,
    lease_release,
    lease_renew,
    leases_reap,
    queued_to_resend,
)

from ..brokers.base import (
    BrokerAuthError,
    BrokerError,
    BrokerFill,
    BrokerOrder,
    BrokerRejected,
    OrderRequest,
    status_ours,
)
from ..models import Fill, Order, OrderAudit, OrderStatus, Position
from ..positions import fold
from .accounts import account_token_failed, broker_for
from .audit import audit, audit_many, audit_row

logger = logging.getLogger(__name__)

EVENT_OF = {
    OrderStatus.FILLED: "order.filled",
    OrderStatus.REJECTED: "order.rejected",
    OrderStatus.UNKNOWN: "order.unknown",
    OrderStatus.CANCELLED: "order.cancelled",
    OrderStatus.EXPIRED: "order.expired",
}


def _conf(key: str) -> Any:
    return settings.TRADES[key]


# --- submit ----------------------------------------------------------------------------------


def order_submit(*, order_id: int, actor: str = "system:submit", order: Order | None = None) -> str:
    """Post the order once if it is still NEW; returns what happened.

    ``order``: the row its creator just wrote (with account and instrument), so an inline
    submission does not read it again; the claim below still decides on the database's row."""
    lease = lease_claim(
        Order,
        pk=order_id,
        ready=[OrderStatus.NEW],
        held=OrderStatus.SUBMITTING,
        seconds=_conf("SUBMIT_LEASE_SECONDS"),
        takeover=False,  # a lapsed SUBMITTING may have posted: the reaper makes it UNKNOWN
        fields={"submitted_at": timezone.now()},
    )
    if lease is None:
        return "not_new"
    if order is None or order.pk != order_id:
        order = Order.objects.select_related("account", "instrument").get(pk=order_id)
    audit(order, "submit", actor=actor, data={"attempt": lease.attempt})
    try:
        adapter = broker_for(order.account)
        request = order_request(order)
    except Exception as exc:  # nothing was sent: a broken account or plugin
        return _close(lease, order, OrderStatus.REJECTED, f"not sent: {exc}", actor)
    if not lease_renew(lease, fields={"post_started_at": timezone.now()}):
        return (
            "not_ours"  # committed before the POST, so a dead worker's row says whether it posted
        )
    try:
        if adapter.capabilities.live:  # only a dead worker's lease lapses, however slow the POST
            with lease_heartbeat(lease):
                placed = adapter.place(request)
        else:  # the paper broker answers in-process, well inside the lease
            placed = adapter.place(request)
    except BrokerAuthError as exc:
        account_token_failed(account=order.account, message=str(exc))
        return _close(lease, order, OrderStatus.REJECTED, f"credentials refused: {exc}", actor)
    except BrokerRejected as exc:
        return _close(lease, order, OrderStatus.REJECTED, str(exc), actor)
    except LimitExceeded as exc:  # the account's order limiter had no slot: nothing was sent
        return _close(lease, order, OrderStatus.REJECTED, f"max_orders_per_second: {exc}", actor)
    except Exception as exc:  # timeout, 5xx, anything: it may have been placed
        logger.warning("order %s outcome unknown: %s", order.client_id, type(exc).__name__)
        return _close(lease, order, OrderStatus.UNKNOWN, f"outcome unknown: {exc}", actor)
    return _accepted(lease, order, placed, adapter, actor)


def order_request(order: Order) -> OrderRequest:
    instrument = order.instrument
    return OrderRequest(
        client_id=order.client_id,
        instrument_id=instrument.pk,
        security_id=instrument.security_id,
        segment=instrument.segment,
        symbol=instrument.symbol,
        kind=instrument.kind,
        side=order.side,
        quantity=order.quantity,
        order_type=order.order_type,
        product=order.product,
        price=order.price,
        trigger_price=order.trigger_price,
        slice=order.slice,
        automated=order.source == Order.Source.SESSION,
    )


def _close(lease: Lease, order: Order, status: str, reason: str, actor: str) -> str:
    reason = reason[:300]
    if lease_release(lease, status=status, fields={"reason": reason}):
        order.status, order.reason = status, reason
        audit(order, status, actor=actor, data={"reason": reason})
        _announce(order)
    if status == OrderStatus.UNKNOWN:
        transaction.on_commit(lambda: _settle_soon(order.pk))
    return status


def _accepted(lease: Lease, order: Order, placed: BrokerOrder, adapter: Any, actor: str) -> str:
    status = status_ours(placed.status)
    fields = {"broker_order_id": placed.broker_order_id, "broker_status": placed.status}
    if not lease_release(lease, status=OrderStatus.OPEN, fields=fields):
        # The reaper called it UNKNOWN while the POST ran long: the answer settles it now.
        Order.objects.filter(pk=order.pk, status=OrderStatus.UNKNOWN).update(**fields)
    order.broker_order_id = placed.broker_order_id
    placed_row = audit_row(order, "placed", actor=actor, data={**fields, "status": status})
    emit(
        Event(
            "order.placed", user_id=order.owner_id, data=order_event_data(order, OrderStatus.OPEN)
        )
    )
    try:  # the answer to a POST is terse: the broker's full order says why it was rejected
        if status == OrderStatus.REJECTED and not placed.reason:
            placed = adapter.order_by_client_id(order.client_id) or placed
        wanted = placed.filled_quantity or status != OrderStatus.OPEN
        fills = adapter.fills(placed.broker_order_id) if wanted else []
    except BrokerError as exc:  # the poll and reconciliation pick the rest up
        logger.info("order %s details not read after placing: %s", order.client_id, exc)
        fills = []
    return order_apply(
        order_id=order.pk, broker_order=placed, fills=fills, actor=actor, audits=[placed_row]
    )


# --- settle unknown outcomes ---------------------------------------------------------------------


def _settle_soon(order_id: int) -> None:
    from ..tasks import order_settle_task

    order_settle_task.apply_async((order_id,), countdown=1)


def order_settle(*, order_id: int, actor: str = "system:settle") -> str:
    """Look an UNKNOWN order up by client id; never posts it again."""
    order = Order.objects.select_related("account", "instrument").filter(pk=order_id).first()
    if order is None or order.status != OrderStatus.UNKNOWN:
        return "not_unknown"
    try:
        adapter = broker_for(order.account)
        found = adapter.order_by_client_id(order.client_id)
        fills = adapter.fills(found.broker_order_id) if found else []
    except BrokerAuthError as exc:
        account_token_failed(account=order.account, message=str(exc))
        return "pending"
    except BrokerError as exc:
        logger.info("order %s lookup failed: %s", order.client_id, exc)
        return "pending"
    if found is not None:
        return order_apply(order_id=order.pk, broker_order=found, fills=fills, actor=actor)
    give_up = timezone.now() - timedelta(seconds=_conf("UNKNOWN_GIVE_UP_SECONDS"))
    if (order.submitted_at or order.created_at) > give_up:
        return "pending"
    reason = "the broker has no order with this client id: it was never placed"
    if Order.objects.filter(pk=order.pk, status=OrderStatus.UNKNOWN).update(
        status=OrderStatus.REJECTED, reason=reason
    ):
        order.status, order.reason = OrderStatus.REJECTED, reason
        audit(order, "rejected", actor=actor, data={"reason": reason})
        _announce(order)
    return OrderStatus.REJECTED


# --- apply broker truth ---------------------------------------------------------------------------


def order_apply(
    *,
    order_id: int,
    broker_order: BrokerOrder | None,
    fills: list[BrokerFill],
    actor: str,
    audits: list[OrderAudit] | None = None,
    monotonic: bool = False,
) -> str:
    """Fills by the broker's ids (new ones fold into the position) and the broker's status.

    ``audits`` are rows the caller wants written with this one's (one INSERT for all).
    ``monotonic``: ``broker_order`` is a pushed update that may arrive late or twice, so a
    status it reports never moves the order back (open after partially filled, anything after
    a final status); its fills, keyed by trade id, still count."""
    with transaction.atomic():
        order = (
            Order.objects.select_for_update(of=("self",))
            .select_related("instrument", "account")
            .get(pk=order_id)
        )
        if order.status == OrderStatus.SUBMITTING:
            audit_many(audits or [])
            return order.status  # its submitter will apply the answer it gets
        before = order.status
        broker_id = broker_order.broker_order_id if broker_order else order.broker_order_id
        known = _fills_known(order, broker_id)
        new = _fills_insert(order, [f for f in fills if f.broker_order_id == broker_id], known)
        rows = [(q, p) for oid, _, q, p in known if oid == order.pk]
        rows += [(f.quantity, f.price) for f in new]
        done = sum(q for q, _ in rows)
        order.filled_quantity = done
        order.average_price = _average(rows) if done else None
        order.broker_order_id = broker_id
        if broker_order is not None and not (
            monotonic and _goes_back(order.status, status_ours(broker_order.status))
        ):
            order.broker_status = broker_order.status
            order.status = status_ours(broker_order.status)
            if broker_order.reason and order.status == OrderStatus.REJECTED:
                order.reason = broker_order.reason[:300]
        if order.status == OrderStatus.FILLED and done < order.quantity:
            order.status = OrderStatus.PARTIALLY_FILLED  # the trade book lags: fills decide
        order.save(update_fields=APPLIED_FIELDS)
        rows_to_audit = list(audits or [])
        if new or order.status != before:
            data = {"from": before, "to": order.status, "new_fills": [f.trade_id for f in new]}
            rows_to_audit.append(audit_row(order, "update", actor=actor, data=data))
        audit_many(rows_to_audit)
        if order.status != before:
            _announce(order)
    return order.status


# How far along an order is: a pushed update may only move it forward.
PROGRESS = {OrderStatus.UNKNOWN: 0, OrderStatus.OPEN: 1, OrderStatus.PARTIALLY_FILLED: 2}
FINAL = 3


def _goes_back(current: str, reported: str) -> bool:
    here, there = PROGRESS.get(current, FINAL), PROGRESS.get(reported, FINAL)
    return there < here or (here == FINAL and reported != current)


APPLIED_FIELDS = [
    "filled_quantity",
    "average_price",
    "broker_order_id",
    "broker_status",
    "status",
    "reason",
    "updated_at",
]


def _fills_known(order: Order, broker_id: str) -> list[tuple[int, str, int, Decimal]]:
    """(order id, trade id, quantity, price) of the order's fills and of its broker id's, in
    one read: which trades are already known, and what the order has filled so far."""
    mine = Q(order=order)
    if broker_id:
        mine |= Q(account_id=order.account_id, broker_order_id=broker_id)
    return list(Fill.objects.filter(mine).values_list("order_id", "trade_id", "quantity", "price"))


def _fills_insert(
    order: Order, fills: list[BrokerFill], known: list[tuple[int, str, int, Decimal]]
) -> list[BrokerFill]:
    """Insert the fills whose (order id, trade id) is new; fold them into the position.

    The order row is locked (``select_for_update``) by the caller, so no other apply of this
    order inserts the same trade meanwhile; the unique constraint stays the last word."""
    seen = {trade for _, trade, _, _ in known}
    new = []
    for fill in fills:
        if fill.trade_id and fill.quantity > 0 and fill.trade_id not in seen:
            seen.add(fill.trade_id)
            new.append(fill)
    if not new:
        return []
    position, _ = Position.objects.select_for_update().get_or_create(
        account_id=order.account_id, instrument_id=order.instrument_id, product=order.product
    )
    rows = []
    for fill in new:
        after = fold(
            position.net_quantity, position.average_price, order.signed * fill.quantity, fill.price
        )
        position.net_quantity = after.net
        position.average_price = after.average.quantize(Decimal("0.0001"))
        position.realised_pnl += after.realised
        position.charges += fill.charges
        rows.append(_fill_row(order, fill, after.realised))
    Fill.objects.bulk_create(rows)
    position.save(
        update_fields=["net_quantity", "average_price", "realised_pnl", "charges", "updated_at"]
    )
    return new


def _fill_row(order: Order, fill: BrokerFill, realised: Decimal) -> Fill:
    return Fill(
        order=order,
        account_id=order.account_id,
        broker_order_id=fill.broker_order_id,
        trade_id=fill.trade_id,
        quantity=fill.quantity,
        price=fill.price,
        charges=fill.charges,
        charges_breakdown=fill.charges_breakdown,
        realised_pnl=realised,
        ts=fill.ts,
    )


def _average(rows: list[tuple[int, Decimal]]) -> Decimal:
    total = sum(q for q, _ in rows)
    return (sum(q * p for q, p in rows) / total).quantize(Decimal("0.0001"))


# --- events ---------------------------------------------------------------------------------------


def order_event_data(order: Order, status: str | None = None) -> dict[str, Any]:
    return {
        "id": order.pk,
        "client_id": order.client_id,
        "account": order.account_id,
        "account_name": order.account.name,
        "instrument": order.instrument_id,
        "symbol": order.instrument.symbol,  # the notification says what was traded
        "side": order.side,
        "lots": order.lots,
        "quantity": order.quantity,
        "order_type": order.order_type,
        "status": status or order.status,
        "filled_quantity": order.filled_quantity,
        "average_price": str(order.average_price) if order.average_price is not None else None,
        "reason": order.reason,
    }


def _announce(order: Order) -> None:
    kind = EVENT_OF.get(order.status)
    if kind:
        emit(
            Event(
                kind,
                user_id=order.owner_id,
                data=order_event_data(order),
                key=f"order:{order.pk}:{order.status}",
            )
        )


# --- recovery (beat) ---------------------------------------------------------------------------


def orders_reap() -> dict[str, int]:
    """SUBMITTING under a lapsed lease → UNKNOWN (its worker died, maybe mid-POST); NEW rows
    whose submission was lost → sent to a worker (the claim posts once); UNKNOWN → settled."""
    counts = leases_reap(
        Order, ready=OrderStatus.NEW, held=OrderStatus.SUBMITTING, give_up=_lapsed_to_unknown
    )
    resend = queued_to_resend(
        Order, ready=OrderStatus.NEW, first_seconds=_conf("NEW_RESEND_SECONDS"), key="trades-orders"
    )
    from ..tasks import order_submit_task

    for pk in resend:
        order_submit_task.delay(pk)
    settled = 0
    for pk in Order.objects.filter(status=OrderStatus.UNKNOWN).values_list("pk", flat=True)[:500]:
        settled += order_settle(order_id=pk) != "pending"
    return {"unknown": counts.given_up, "resent": len(resend), "settled": settled}


def _lapsed_to_unknown(lease: Lease) -> bool:
    """A submitting worker died. Before its POST (no ``post_started_at``) the order provably
    never left: back to NEW, sent again. After, it may be at the broker: UNKNOWN."""
    started = Order.objects.filter(pk=lease.pk).values_list("post_started_at", flat=True).first()
    if started is None:
        reason = "its worker stopped before posting: submitted again"
        if not lease_release(lease, status=OrderStatus.NEW, fields={"reason": reason}):
            return False
        audit(
            Order.objects.get(pk=lease.pk),
            "requeued",
            actor="system:reaper",
            data={"reason": reason},
        )
        from ..tasks import order_submit_task

        transaction.on_commit(lambda: order_submit_task.delay(lease.pk))
        return True
    reason = "the submitting worker stopped mid-POST: settled by client id, never re-posted"
    if not lease_release(lease, status=OrderStatus.UNKNOWN, fields={"reason": reason}):
        return False
    order = Order.objects.select_related("account", "instrument").get(pk=lease.pk)
    audit(order, "unknown", actor="system:reaper", data={"reason": reason})
    _announce(order)
    return True
