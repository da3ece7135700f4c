"""Reconciliation: the broker is the truth about what exists; we never auto-correct.

On worker start-up and on a beat schedule, per account:

- every broker order is matched to ours by client id (or broker order id); one we lack is
  **adopted** (source ``adopted``), so a fill never goes unaccounted;
- fills are upserted by (broker order id, trade id) and statuses follow the broker's
  (order_apply), which also settles UNKNOWN orders the broker knows;
- positions folded from our fills are compared with the broker's: any difference **halts**
  the account's automated trading (HALTED, the broker's kill switch engaged) and alerts the
  user. Nothing is sent to "fix" it: a person looks first (as nautilus fails closed).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from algobacktester.bus import Event, emit

from ..brokers.base import (
    BrokerAuthError,
    BrokerError,
    BrokerFill,
    BrokerOrder,
    instrument_id_of,
    status_ours,
)
from ..models import BrokerAccount, Order, OrderStatus, OrderType, Position, Product, TradingState
from .accounts import account_halt, account_token_failed, broker_for
from .audit import audit
from .submission import order_apply, order_settle

logger = logging.getLogger(__name__)
ACTOR = "system:reconcile"


def account_reconcile(*, account: BrokerAccount) -> dict[str, Any]:
    adapter = broker_for(account)
    try:
        broker_orders = adapter.orders()
        broker_fills = adapter.fills()
    except BrokerAuthError as exc:
        account_token_failed(account=account, message=str(exc))
        return {"error": str(exc)}
    except BrokerError as exc:
        return {"error": str(exc)}
    fills_of: dict[str, list[BrokerFill]] = defaultdict(list)
    for fill in broker_fills:
        fills_of[fill.broker_order_id].append(fill)
    adopted, problems = 0, []
    for broker_order in broker_orders:
        order = _ours(account, broker_order)
        if order is None:
            order = _adopt(account, adapter, broker_order)
            if order is None:
                problems.append(f"broker order {broker_order.broker_order_id}: unknown instrument")
                continue
            adopted += 1
        order_apply(
            order_id=order.pk,
            broker_order=broker_order,
            fills=fills_of.get(broker_order.broker_order_id, []),
            actor=ACTOR,
        )
    for pk in Order.objects.filter(account=account, status=OrderStatus.UNKNOWN).values_list(
        "pk", flat=True
    ):
        order_settle(order_id=pk, actor=ACTOR)
    try:
        problems += positions_compare(account=account, adapter=adapter)
    except BrokerError as exc:
        return {"adopted": adopted, "error": str(exc)}
    BrokerAccount.objects.filter(pk=account.pk).update(reconciled_at=timezone.now())
    if problems:
        _mismatch(account, problems)
    return {"orders": len(broker_orders), "adopted": adopted, "mismatches": problems}


def _ours(account: BrokerAccount, broker_order: BrokerOrder) -> Order | None:
    rows = Order.objects.filter(account=account)
    if broker_order.client_id:
        found = rows.filter(client_id=broker_order.client_id).first()
        if found is not None:
            return found
    return rows.filter(broker_order_id=broker_order.broker_order_id).first()


def _adopt(account: BrokerAccount, adapter: Any, broker_order: BrokerOrder) -> Order | None:
    """An order the broker has and we do not (placed elsewhere, or lost): recorded as is."""
    instrument_id = instrument_id_of(
        adapter, security_id=broker_order.security_id, segment=broker_order.segment
    )
    if instrument_id is None:
        return None
    from marketdata.models import Instrument

    lot = Instrument.objects.values_list("lot_size", flat=True).get(pk=instrument_id) or 1
    client_id = broker_order.client_id or f"ext-{broker_order.broker_order_id}"
    order = Order(
        owner_id=account.owner_id,
        account=account,
        client_id=client_id[:30],
        instrument_id=instrument_id,
        source=Order.Source.ADOPTED,
        side=broker_order.side or "BUY",
        lots=max(1, broker_order.quantity // lot),
        quantity=broker_order.quantity,
        order_type=broker_order.order_type
        if broker_order.order_type in OrderType.values
        else "MARKET",
        product=broker_order.product if broker_order.product in Product.values else "INTRADAY",
        price=broker_order.price or None,
        trigger_price=broker_order.trigger_price or None,
        status=status_ours(broker_order.status),
        broker_status=broker_order.status,
        broker_order_id=broker_order.broker_order_id,
        reason="adopted by reconciliation: the broker had it, we did not",
    )
    try:
        with transaction.atomic():
            order.save()
            audit(
                order,
                "adopted",
                actor=ACTOR,
                data={"broker_order_id": broker_order.broker_order_id},
            )
    except IntegrityError:  # the client id is taken: ours only if it is this account's
        return Order.objects.filter(client_id=order.client_id, account=account).first()
    return order


def positions_compare(*, account: BrokerAccount, adapter: Any) -> list[str]:
    """Our net positions (folded from our fills) against the broker's."""
    ours: dict[tuple[int | None, str], int] = defaultdict(int)
    for instrument_id, product, net in Position.objects.filter(account=account).values_list(
        "instrument_id", "product", "net_quantity"
    ):
        ours[(instrument_id, product)] += net
    theirs: dict[tuple[int | None, str], int] = defaultdict(int)
    for position in adapter.positions():
        key = (
            instrument_id_of(adapter, security_id=position.security_id, segment=position.segment),
            position.product,
        )
        theirs[key] += position.net_quantity
    problems = []
    for key in sorted(set(ours) | set(theirs), key=str):
        if ours.get(key, 0) != theirs.get(key, 0):
            problems.append(
                f"instrument {key[0]} {key[1]}: ours {ours.get(key, 0)}, broker {theirs.get(key, 0)}"
            )
    return problems


def _mismatch(account: BrokerAccount, problems: list[str]) -> None:
    logger.warning("account %s reconciliation mismatch: %s", account.pk, problems)
    emit(
        Event(
            "trades.reconciliation_mismatch",
            user_id=account.owner_id,
            data={"account": account.pk, "name": account.name, "problems": problems[:20]},
        )
    )
    if account.trading_state != TradingState.HALTED:
        account_halt(
            account=account,
            actor=ACTOR,
            reason=f"reconciliation mismatch: {'; '.join(problems)[:250]}",
        )


def accounts_reconcile() -> int:
    """Every account that has traded (or is a live broker's): each in its own try."""
    done = 0
    accounts = BrokerAccount.objects.exclude(status=BrokerAccount.Status.TOKEN_EXPIRED)
    for account in accounts.iterator():
        if account.broker == "paper" and not Order.objects.filter(account=account).exists():
            continue
        try:
            account_reconcile(account=account)
            done += 1
        except Exception:  # one account's failure never stops the others
            logger.exception("reconciliation of account %s failed", account.pk)
    return done
