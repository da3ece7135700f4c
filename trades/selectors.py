"""Reads for trades, always scoped to the acting user (another user's id is a 404)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet

from algobacktester.accounts.models import User
from algobacktester.errors import NotFound

from .models import BrokerAccount, Fill, Order, OrderAudit, PaperLedger, Position


def account_list(*, user: User) -> QuerySet[BrokerAccount]:
    return BrokerAccount.objects.filter(owner=user).select_related("ledger")


def account_get(*, user: User, account_id: int) -> BrokerAccount:
    account = account_list(user=user).filter(pk=account_id).first()
    if account is None:
        raise NotFound(f"Broker account {account_id} not found.")
    return account


def order_list(
    *,
    user: User,
    account_id: int | None = None,
    status: str | None = None,
    instrument_id: int | None = None,
    strategy_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Order]:
    qs = Order.objects.filter(owner=user).select_related("instrument")
    filters: dict[str, Any] = {
        "account_id": account_id,
        "status": status,
        "instrument_id": instrument_id,
        "strategy_id": strategy_id,
        "created_at__gte": since,
        "created_at__lt": until,
    }
    return qs.filter(**{k: v for k, v in filters.items() if v not in (None, "")})


def order_get(*, user: User, order_id: int) -> Order:
    order = (
        Order.objects.filter(owner=user, pk=order_id)
        .select_related("instrument", "account")
        .prefetch_related(
            Prefetch("fills", queryset=Fill.objects.order_by("ts", "id")),
            Prefetch("audit", queryset=OrderAudit.objects.order_by("at", "id")),
        )
        .first()
    )
    if order is None:
        raise NotFound(f"Order {order_id} not found.")
    return order


def position_list(
    *, user: User, account_id: int | None = None, open_only: bool = True
) -> QuerySet[Position]:
    qs = Position.objects.filter(account__owner=user).select_related("instrument", "account")
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    return qs.exclude(net_quantity=0) if open_only else qs


def fills_of(
    *, user: User, account_id: int | None = None, strategy_id: int | None = None
) -> QuerySet[Fill]:
    qs = Fill.objects.filter(account__owner=user).select_related(
        "order", "order__instrument", "order__strategy"
    )
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    if strategy_id is not None:
        qs = qs.filter(order__strategy_id=strategy_id)
    return qs.order_by("ts", "id")


def ledger_of(*, account: BrokerAccount) -> PaperLedger | None:
    return PaperLedger.objects.filter(account=account).first()


def analytics_trips(
    *,
    user: User,
    account_id: int | None = None,
    strategy_id: int | None = None,
    backtest_id: int | None = None,
) -> tuple[str, list[Any]]:
    """Round trips of the user's fills (``live``), or of one of their backtests."""
    from .analytics import FillRow, Trip, trips_from_fills

    if backtest_id is not None:
        from django.http import Http404

        from backtests.selectors import backtest_get, backtest_trades

        try:
            run = backtest_get(user=user, run_id=backtest_id)
        except Http404 as exc:
            raise NotFound({"backtest": [f"you have no backtest {backtest_id}"]}) from exc
        strategy = run.strategy.name if run.strategy else ""
        trips = [
            Trip(t.entry_time, t.exit_time, float(t.pnl), run.instrument.symbol, strategy)
            for t in backtest_trades(run=run)
        ]
        return "backtest", trips
    rows = [
        FillRow(
            book=(fill.account_id, fill.order.instrument_id, fill.order.product),
            quantity=fill.quantity if fill.order.side == "BUY" else -fill.quantity,
            price=fill.price,
            charges=fill.charges,
            ts=fill.ts,
            instrument=fill.order.instrument.symbol,
            strategy=fill.order.strategy.name if fill.order.strategy else "",
        )
        for fill in fills_of(user=user, account_id=account_id, strategy_id=strategy_id)
    ]
    return "live", trips_from_fills(rows)
