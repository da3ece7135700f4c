"""Pushed order updates (Dhan's order-update WebSocket) applied to our orders, idempotently.

An update names the broker's order id and our client id (``correlationId``) and says its
status and traded quantity; it has no trade id. So each one is a signal: the order's trades
are read by id from the broker (only when the update says more has traded than we hold) and
applied through ``order_apply``, where fills are keyed by (broker order id, trade id). A
duplicated update adds nothing; a late one (PENDING after TRADED) cannot move the order back
(``monotonic``); an update for an UNKNOWN order settles it (the broker has it, so it was
placed); one for an order we never placed is left to reconciliation, which adopts it.

``account_order_stream`` runs one account's stream until ``stop`` is set: after every
(re)connection it first polls the account's working orders over REST, since Dhan does not
replay the updates sent while we were away. ``manage.py trades_order_updates`` runs one
per connected account that has the ``order_updates`` capability.
"""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections
from django.db.models import Q

from ..brokers.base import Broker, BrokerAuthError, BrokerError, BrokerOrder, NotSupported
from ..brokers.registry import UnknownBroker, broker_class
from ..models import BrokerAccount, Order
from .accounts import account_token_failed, broker_for
from .polling import account_poll
from .submission import order_apply

logger = logging.getLogger(__name__)
ACTOR = "system:order_stream"


def order_update_apply(*, account: BrokerAccount, update: BrokerOrder, adapter: Broker) -> str:
    """Apply one pushed update to its order; returns the order's status or why nothing."""
    mine = Q(broker_order_id=update.broker_order_id)
    if update.client_id:
        mine |= Q(client_id=update.client_id)
    order = Order.objects.filter(mine, account=account).only("pk", "filled_quantity").first()
    if order is None:
        return "not_ours"  # placed elsewhere: reconciliation adopts it with its fills
    wanted = update.filled_quantity > order.filled_quantity
    fills = adapter.fills(update.broker_order_id) if wanted else []
    return order_apply(
        order_id=order.pk, broker_order=update, fills=fills, actor=ACTOR, monotonic=True
    )


def account_order_stream(*, account_id: int, stop: threading.Event) -> int:
    """Apply the account's pushed updates until ``stop``; returns how many were applied.

    Ends early when the broker refuses the token (the account becomes ``token_expired``)."""
    account = BrokerAccount.objects.get(pk=account_id)
    adapter = broker_for(account)
    if not adapter.capabilities.order_updates:
        raise NotSupported(f"{account.broker} has no order-update stream")

    def catch_up() -> None:  # what changed while the stream was down
        close_old_connections()
        try:
            account_poll(account=account)
        except BrokerError as exc:
            logger.info("catch-up poll of account %s failed: %s", account.pk, exc)

    applied = 0
    for update in adapter.order_updates(stop=stop, on_connect=catch_up):
        close_old_connections()  # a long-lived thread: never a connection the server dropped
        try:
            order_update_apply(account=account, update=update, adapter=adapter)
            applied += 1
        except BrokerAuthError as exc:
            account_token_failed(account=account, message=str(exc))
            stop.set()
        except Exception:  # one bad update never ends the stream; the poll catches it up
            logger.exception(
                "order update %s of account %s failed", update.broker_order_id, account.pk
            )
    return applied


def stream_accounts() -> list[int]:
    """Connected accounts whose broker pushes order updates."""
    out = []
    rows = BrokerAccount.objects.filter(status=BrokerAccount.Status.CONNECTED)
    for pk, broker in rows.values_list("pk", "broker"):
        try:
            if broker_class(broker).capabilities.order_updates:
                out.append(pk)
        except UnknownBroker:  # an account of a broker plugin that is gone
            logger.warning("account %s: broker %r is not installed", pk, broker)
    return out
