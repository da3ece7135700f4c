"""Keeping working orders current between events: the paper broker's exchange steps, live
orders are refreshed from the broker, and intraday paper positions are squared off."""

from __future__ import annotations

import logging

from django.db.models import Q
from django.utils import timezone

from engine.markets.calendar import IST
from engine.sim.config import square_off_minute

from ..brokers.base import BrokerAuthError, BrokerError
from ..brokers.paper import PaperBroker, paper_conf
from ..models import LIVE_STATUSES, BrokerAccount, Order, Position, Product
from .accounts import account_token_failed, broker_for
from .orders import RiskRejected, positions_square_off
from .submission import order_apply

logger = logging.getLogger(__name__)
IST_ZONE = IST  # Asia/Kolkata, a ZoneInfo


def account_poll(*, account: BrokerAccount) -> dict[str, int]:
    adapter = broker_for(account)
    worked = adapter.work_open_orders() if isinstance(adapter, PaperBroker) else 0
    refreshed = 0
    for order in Order.objects.filter(account=account, status__in=LIVE_STATUSES):
        try:
            found = adapter.order_by_client_id(order.client_id)
            fills = adapter.fills(found.broker_order_id) if found else []
        except BrokerAuthError as exc:
            account_token_failed(account=account, message=str(exc))
            break
        except BrokerError as exc:
            logger.info("refresh of order %s failed: %s", order.client_id, exc)
            continue
        if found is not None:
            order_apply(order_id=order.pk, broker_order=found, fills=fills, actor="system:poll")
            refreshed += 1
    squared = paper_square_off(account=account) if isinstance(adapter, PaperBroker) else 0
    return {"worked": worked, "refreshed": refreshed, "squared_off": squared}


def paper_square_off(*, account: BrokerAccount) -> int:
    """Intraday positions closed at the account's square-off time (15:15 IST by default)."""
    at = square_off_minute(paper_conf(account).get("square_off"))
    local = timezone.now().astimezone(IST_ZONE)
    if at < 0 or local.hour * 60 + local.minute < at:
        return 0
    open_intraday = Position.objects.filter(account=account, product=Product.INTRADAY).exclude(
        net_quantity=0
    )
    if not open_intraday.exists():
        return 0
    try:
        orders = positions_square_off(
            user=account.owner,
            actor="system:square_off",
            account_id=account.pk,
            product=Product.INTRADAY,
        )
    except RiskRejected as exc:
        logger.warning("square-off of account %s refused: %s", account.pk, exc)
        return 0
    return len(orders)


def accounts_poll() -> int:
    """Accounts with working orders, or paper accounts with intraday positions."""
    busy = BrokerAccount.objects.filter(
        Q(orders__status__in=LIVE_STATUSES)
        | Q(broker="paper", positions__product=Product.INTRADAY, positions__net_quantity__gt=0)
        | Q(broker="paper", positions__product=Product.INTRADAY, positions__net_quantity__lt=0)
    ).distinct()
    done = 0
    for account in busy:
        try:
            account_poll(account=account)
            done += 1
        except Exception:
            logger.exception("poll of account %s failed", account.pk)
    return done


def paper_refresh_on_read(*, user: object) -> int:
    """Embedded mode (no beat): a read of the user's trades steps their paper accounts that
    have working orders or intraday positions, each at most every 5 seconds."""
    from django.conf import settings
    from django.core.cache import cache

    if not settings.TRADES.get("REFRESH_ON_READ"):
        return 0
    stepped = 0
    busy = BrokerAccount.objects.filter(owner=user, broker="paper").filter(
        Q(orders__status__in=LIVE_STATUSES)
        | Q(positions__product=Product.INTRADAY, positions__net_quantity__gt=0)
        | Q(positions__product=Product.INTRADAY, positions__net_quantity__lt=0)
    )
    for account in busy.distinct():
        if cache.add(f"trades:refresh:{account.pk}", 1, timeout=5):
            account_poll(account=account)
            stepped += 1
    return stepped
