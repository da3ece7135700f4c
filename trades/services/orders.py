"""Order intents: the gate, the row written with the decision, cancel, modify, square-off.

:func:`order_execute` runs the pre-trade gate (``engine.risk_gate``), then writes the order
(status NEW, a fresh client id) and its audit row in one transaction, and hands it to
submission after commit (trades/services/submission.py): inline for a person waiting on the
API, as a task for a session. A repeated ``Idempotency-Key`` returns the first order.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.http import Http404
from django.utils import timezone

from algobacktester.accounts.models import User
from algobacktester.errors import Conflict, InvalidInput, LimitExceeded, NotFound, Unavailable
from algobacktester.ratelimits import AccountLimiter, storage_for
from engine.markets.calendar import IST
from engine.risk_gate import AccountView, OrderIntent, RiskDecision, Rule, TradingState, risk_check
from marketdata import selectors as md
from marketdata.models import Instrument
from strategies.selectors import strategy_get

from ..brokers.base import BrokerError, BrokerRejected, NotSupported
from ..brokers.registry import broker_class
from ..models import (
    LIVE_STATUSES,
    BrokerAccount,
    Fill,
    Order,
    OrderStatus,
    OrderType,
    Position,
    Side,
)
from .accounts import broker_for, risk_limits
from .audit import audit
from .submission import order_apply, order_submit

IST_ZONE = IST  # Asia/Kolkata, a ZoneInfo
Submit = Literal["inline", "task"]
FIELD_OF_RULE = {Rule.LOTS: "lots", Rule.FREEZE: "lots", Rule.INSTRUMENT: "instrument"}


class RiskRejected(Conflict):
    """The pre-trade gate refused the order; ``code`` is the rule's name."""


def client_id_new() -> str:
    return f"ab{uuid.uuid4().hex[:20]}"


def client_id_for(*parts: object) -> str:
    """A deterministic client id (a session's bar and leg): the same decision, the same id."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()
    return f"as{digest[:20]}"


# --- execute ---------------------------------------------------------------------------------------


def order_execute(
    *,
    user: User,
    account_id: int,
    instrument_ref: int | str,
    side: str,
    lots: int,
    order_type: str,
    product: str,
    price: Decimal | None = None,
    trigger_price: Decimal | None = None,
    strategy_id: int | None = None,
    idempotency_key: str = "",
    actor: str = "",
    source: str = Order.Source.MANUAL,
    submit: Submit = "inline",
    client_id: str = "",
) -> tuple[Order, bool]:
    """The order (and True) or, for a repeated idempotency key, the first one (and False)."""
    account = account_of(user=user, account_id=account_id)
    fingerprint = [
        account.pk,
        instrument_ref,
        side,
        lots,
        order_type,
        product,
        price,
        trigger_price,
    ]
    if idempotency_key:
        existing = Order.objects.filter(owner=user, idempotency_key=idempotency_key).first()
        if existing is not None:
            return _replayed(existing, fingerprint, strategy_id), False
    instrument = md.instrument_by_ref(ref=instrument_ref)
    _shape_check(account, instrument, order_type, product, price, trigger_price)
    strategy = _strategy(user, strategy_id)
    decision = gate(account=account, instrument=instrument, side=side, lots=lots)
    order = Order(
        owner=user,
        account=account,
        client_id=client_id or client_id_new(),
        idempotency_key=idempotency_key,
        instrument=instrument,
        strategy=strategy,
        source=source,
        side=side,
        lots=lots,
        quantity=lots * instrument.lot_size,
        order_type=order_type,
        product=product,
        price=price,
        trigger_price=trigger_price,
        slice=decision.slice,
    )
    # Inline submission (a person waiting on the API) needs the row committed before the POST:
    # a durable block is the outermost transaction, so the POST follows its commit. A session
    # step inside its own transaction sends the submit task on commit instead.
    inline = submit == "inline"
    try:
        with transaction.atomic(durable=inline):
            order.save()
            audit(
                order,
                "created",
                actor=actor or f"user:{user.pk}",
                data={"gate": "passed", "exit": decision.is_exit, "slice": decision.slice},
            )
            if not inline:
                transaction.on_commit(lambda: _submit_task(order.pk))
    except IntegrityError:
        existing = Order.objects.filter(owner=user, idempotency_key=idempotency_key).first()
        if idempotency_key and existing is not None:  # a concurrent request with the same key
            return _replayed(existing, fingerprint, strategy_id), False
        raise
    if inline:
        order_submit(order_id=order.pk, actor="system:submit", order=order)
    order.refresh_from_db()
    return order, True


def _submit_task(order_id: int) -> None:
    from ..tasks import order_submit_task

    order_submit_task.delay(order_id)


def _replayed(order: Order, fingerprint: list[Any], strategy_id: int | None) -> Order:
    first = [
        order.account_id,
        None,
        order.side,
        order.lots,
        order.order_type,
        order.product,
        order.price,
        order.trigger_price,
    ]
    same = all(a == b for i, (a, b) in enumerate(zip(first, fingerprint, strict=True)) if i != 1)
    if (
        not same
        or not _same_instrument(order, fingerprint[1])
        or strategy_id not in (None, order.strategy_id)
    ):
        raise Conflict(
            {"Idempotency-Key": ["was already used for a different order; use a new key"]},
            code="idempotency_key_reused",
        )
    return order


def _same_instrument(order: Order, ref: int | str) -> bool:
    if isinstance(ref, int):
        return ref == order.instrument_id
    exchange, _, symbol = str(ref).upper().rpartition(":")
    instrument = order.instrument
    return symbol == instrument.symbol.upper() and exchange in ("", instrument.exchange)


def account_of(*, user: User, account_id: int) -> BrokerAccount:
    account = BrokerAccount.objects.filter(pk=account_id, owner=user).first()
    if account is None:
        raise NotFound({"account": [f"you have no broker account {account_id}"]})
    return account


def _strategy(user: User, strategy_id: int | None) -> Any:
    if strategy_id is None:
        return None
    try:
        return strategy_get(user=user, strategy_id=strategy_id)
    except Http404 as exc:
        raise NotFound({"strategy": [f"you have no strategy {strategy_id}"]}) from exc


def _shape_check(
    account: BrokerAccount,
    instrument: Instrument,
    order_type: str,
    product: str,
    price: Decimal | None,
    trigger: Decimal | None,
) -> None:
    caps = broker_class(account.broker).capabilities
    if order_type not in caps.order_types:
        raise InvalidInput(
            {"order_type": [f"{account.broker} takes {', '.join(caps.order_types)}"]}
        )
    if product not in caps.products:
        raise InvalidInput({"product": [f"{account.broker} takes {', '.join(caps.products)}"]})
    needs_price = order_type in (OrderType.LIMIT, OrderType.STOP_LOSS)
    needs_trigger = order_type in (OrderType.STOP_LOSS, OrderType.STOP_LOSS_MARKET)
    if needs_price != (price is not None):
        raise InvalidInput(
            {"price": [f"{'required' if needs_price else 'not taken'} for {order_type}"]}
        )
    if needs_trigger != (trigger is not None):
        raise InvalidInput(
            {"trigger_price": [f"{'required' if needs_trigger else 'not taken'} for {order_type}"]}
        )
    if caps.live and not instrument.security_id:
        raise InvalidInput({"instrument": [f"{instrument} has no broker security id"]})
    if caps.live and instrument.kind == Instrument.Kind.INDEX:
        raise InvalidInput(
            {"instrument": ["an index is not tradable: choose its future or option"]}
        )
    if account.status == BrokerAccount.Status.TOKEN_EXPIRED:
        raise Unavailable(
            "the broker refused this account's token: reconnect it", code="token_expired"
        )


# --- the gate ---------------------------------------------------------------------------------------


def gate(*, account: BrokerAccount, instrument: Instrument, side: str, lots: int) -> RiskDecision:
    """Run ``engine.risk_gate.risk_check`` on what the account looks like now; refuse by rule."""
    limits = risk_limits(account)
    caps = broker_class(account.broker).capabilities
    intent = OrderIntent(
        instrument=instrument.symbol.upper(),
        side=1 if side == Side.BUY else -1,
        lots=lots,
        lot_size=instrument.lot_size,
        freeze_quantity=freeze_quantity(instrument),
    )
    view = AccountView(
        state=TradingState(account.trading_state),
        minute_of_day=_minute_now(account),
        # The day's P&L is a query; only the daily-loss rule reads it.
        day_pnl=day_pnl(account) if limits.daily_loss_limit is not None else 0.0,
        positions=_positions(account),
        rate_slot=True,
        can_slice=caps.slicing,
    )
    decision = risk_check(intent, view, limits)
    if decision.allowed:  # the rate slot last: a refused order spends none
        view = AccountView(
            **{**_fields(view), "rate_slot": _rate_slot(account, limits.max_orders_per_second)}
        )
        decision = risk_check(intent, view, limits)
    if not decision.allowed:
        _refuse(decision)
    return decision


def _fields(view: AccountView) -> dict[str, Any]:
    return {name: getattr(view, name) for name in view.__dataclass_fields__}


def _refuse(decision: RiskDecision) -> None:
    rule = decision.rule or Rule.QUANTITY
    message = f"{rule.value}: {decision.message}"
    if rule == Rule.ORDER_RATE:
        raise LimitExceeded(message, retry_after=1, code=rule.value)
    raise RiskRejected({FIELD_OF_RULE.get(rule, "account"): [message]}, code=rule.value)


def _rate_slot(account: BrokerAccount, per_second: int) -> bool:
    """The account's order rate, shared by every process (Redis in services mode)."""
    limiter = AccountLimiter(
        key=f"trades:{account.pk}:gate",
        limits=f"{per_second}/second",
        storage=storage_for(settings.RATE_LIMITS.get("STORAGE_URL") or "memory://"),
    )
    return limiter.try_acquire() == 0.0


def freeze_quantity(instrument: Instrument) -> int | None:
    if instrument.kind not in (Instrument.Kind.FUTURE, Instrument.Kind.OPTION):
        return None
    return settings.TRADES.get("FREEZE_QUANTITY", {}).get(instrument.underlying.upper())


def _minute_now(account: BrokerAccount) -> int:
    from ..brokers.paper import account_clock  # a replay session's clock on a paper account

    local = account_clock(account).astimezone(IST_ZONE)
    return local.hour * 60 + local.minute


def _positions(account: BrokerAccount) -> dict[str, int]:
    rows = Position.objects.filter(account=account).exclude(net_quantity=0)
    out: dict[str, int] = {}
    for symbol, net in rows.values_list("instrument__symbol", "net_quantity"):
        out[symbol.upper()] = out.get(symbol.upper(), 0) + net
    return out


def day_pnl(account: BrokerAccount, *, now: datetime | None = None) -> float:
    """Realised P&L of the IST day, net of its charges (the gate's daily-loss figure)."""
    local = (now or timezone.now()).astimezone(IST_ZONE)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    sums = Fill.objects.filter(account=account, ts__gte=start).aggregate(
        pnl=Sum("realised_pnl"), charges=Sum("charges")
    )
    return float((sums["pnl"] or 0) - (sums["charges"] or 0))


# --- cancel and modify ------------------------------------------------------------------------------


def order_cancel(*, order: Order, actor: str) -> Order:
    if Order.objects.filter(pk=order.pk, status=OrderStatus.NEW).update(
        status=OrderStatus.CANCELLED, reason=f"cancelled by {actor} before submission"
    ):
        audit(order, "cancel", actor=actor, data={"before": "submission"})
        order.refresh_from_db()
        return order
    if order.status not in LIVE_STATUSES:
        raise Conflict({"status": [f"a {order.status} order cannot be cancelled"]})
    adapter = broker_for(order.account)
    audit(order, "cancel", actor=actor)
    try:
        answer = adapter.cancel(order.broker_order_id)
    except BrokerRejected as exc:
        raise Conflict({"status": [f"the broker refused the cancel: {exc}"]}) from exc
    except BrokerError as exc:
        raise Unavailable(f"the broker did not answer the cancel: {exc}") from exc
    found = adapter.order_by_client_id(order.client_id)
    fills = adapter.fills(order.broker_order_id) if found else []
    order_apply(order_id=order.pk, broker_order=found or answer, fills=fills, actor=actor)
    order.refresh_from_db()
    return order


def order_modify(
    *,
    order: Order,
    actor: str,
    lots: int | None = None,
    order_type: str | None = None,
    price: Decimal | None = None,
    trigger_price: Decimal | None = None,
) -> Order:
    adapter = broker_for(order.account)
    if not adapter.capabilities.modify:
        raise Conflict({"order": [f"{order.account.broker} cannot modify orders"]})
    if order.status not in LIVE_STATUSES:
        raise Conflict({"status": [f"a {order.status} order cannot be modified"]})
    kind = order_type or order.order_type
    new_price = (
        price if price is not None else (order.price if kind in ("LIMIT", "STOP_LOSS") else None)
    )
    new_trigger = (
        trigger_price
        if trigger_price is not None
        else (order.trigger_price if kind in ("STOP_LOSS", "STOP_LOSS_MARKET") else None)
    )
    _shape_check(order.account, order.instrument, kind, order.product, new_price, new_trigger)
    new_lots = lots or order.lots
    if new_lots != order.lots:
        gate(account=order.account, instrument=order.instrument, side=order.side, lots=new_lots)
    quantity = new_lots * order.instrument.lot_size
    audit(
        order,
        "modify",
        actor=actor,
        data={
            "lots": new_lots,
            "order_type": kind,
            "price": str(new_price),
            "trigger": str(new_trigger),
        },
    )
    try:
        answer = adapter.modify(
            order.broker_order_id,
            quantity=quantity,
            order_type=kind,
            price=new_price,
            trigger_price=new_trigger,
        )
    except NotSupported as exc:
        raise Conflict({"order": [str(exc)]}) from exc
    except BrokerRejected as exc:
        raise Conflict({"order": [f"the broker refused the change: {exc}"]}) from exc
    except BrokerError as exc:
        raise Unavailable(f"the broker did not answer the change: {exc}") from exc
    Order.objects.filter(pk=order.pk).update(
        lots=new_lots,
        quantity=quantity,
        order_type=kind,
        price=new_price,
        trigger_price=new_trigger,
    )
    found = adapter.order_by_client_id(order.client_id)
    fills = adapter.fills(order.broker_order_id) if found else []
    order_apply(order_id=order.pk, broker_order=found or answer, fills=fills, actor=actor)
    order.refresh_from_db()
    return order


# --- square-off --------------------------------------------------------------------------------------


def positions_square_off(
    *,
    user: User,
    actor: str,
    account_id: int | None = None,
    instrument_id: int | None = None,
    product: str | None = None,
    submit: Submit = "inline",
) -> list[Order]:
    """A market order against every open position that matches (one or all)."""
    positions = Position.objects.filter(account__owner=user).exclude(net_quantity=0)
    if account_id is not None:
        positions = positions.filter(account_id=account_of(user=user, account_id=account_id).pk)
    if instrument_id is not None:
        positions = positions.filter(instrument_id=instrument_id)
    if product is not None:
        positions = positions.filter(product=product)
    orders = []
    for position in positions.select_related("instrument", "account"):
        lot = position.instrument.lot_size
        if abs(position.net_quantity) % lot:
            raise Conflict({"position": [f"{position} is not a whole number of lots"]})
        order, _ = order_execute(
            user=user,
            account_id=position.account_id,
            instrument_ref=position.instrument_id,
            side=Side.SELL if position.net_quantity > 0 else Side.BUY,
            lots=abs(position.net_quantity) // lot,
            order_type=OrderType.MARKET,
            product=position.product,
            actor=actor,
            source=Order.Source.SQUARE_OFF,
            submit=submit,
        )
        orders.append(order)
    return orders


__all__ = [
    "RiskRejected",
    "client_id_for",
    "client_id_new",
    "day_pnl",
    "gate",
    "order_cancel",
    "order_execute",
    "order_modify",
    "positions_square_off",
]
