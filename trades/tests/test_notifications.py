"""Trades events reach notifications: the user's channels and alert rules, in words."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import AlertRule, Delivery, NotificationPreference
from trades.models import BrokerAccount
from trades.services.accounts import account_halt, tokens_expiring_alert
from trades.services.orders import order_execute

# Events go out after commit: these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


def _buy(user, account, instrument, lots: int = 2):
    order, _ = order_execute(
        user=user,
        account_id=account.pk,
        instrument_ref=instrument.pk,
        side="BUY",
        lots=lots,
        order_type="MARKET",
        product="INTRADAY",
    )
    return order


def test_a_fill_is_pushed_in_words(user, paper_account, equity) -> None:
    order = _buy(user, paper_account, equity)
    [push] = Delivery.objects.filter(owner=user, event_type="order.filled")
    assert push.channel == "push"
    assert push.subject == "BUY 2 lots TESTCO filled at ₹100.00"
    assert f"Order #{order.pk}" in push.body and "account_name" not in push.body
    # placed is not sent by default: the person who placed it is looking at it
    assert not Delivery.objects.filter(event_type="order.placed").exists()


def test_the_users_preferences_choose_trade_channels(user, paper_account, equity) -> None:
    NotificationPreference.objects.create(
        user=user, event_channels={"order.filled": [], "order.placed": ["push"]}
    )
    _buy(user, paper_account, equity)
    kinds = set(Delivery.objects.filter(owner=user).values_list("event_type", flat=True))
    assert kinds == {"order.placed"}


def test_an_alert_rule_on_a_halt_adds_its_channel(user, paper_account) -> None:
    NotificationPreference.objects.create(user=user, email=user.email)
    AlertRule.objects.create(
        owner=user, name="halts", kind="event", event_type="trades.halted", channels=["email"]
    )
    account_halt(account=paper_account, actor=f"user:{user.pk}", reason="lunch")
    rows = Delivery.objects.filter(owner=user, event_type="trades.halted")
    assert set(rows.values_list("channel", flat=True)) == {"push", "email"}
    assert rows.first().subject == f"Trading halted on account #{paper_account.pk} (Paper)"


def test_an_expiring_token_alerts_once(user, paper_account) -> None:
    expires = timezone.now() + timedelta(minutes=30)
    BrokerAccount.objects.filter(pk=paper_account.pk).update(token_expires_at=expires)
    assert tokens_expiring_alert() == 1
    assert tokens_expiring_alert() == 0
    rows = Delivery.objects.filter(owner=user, event_type="trades.token_expiring")
    assert set(rows.values_list("channel", flat=True)) == {"push", "email"}
    assert "expires" in rows.first().subject and "Reconnect" in rows.first().body
