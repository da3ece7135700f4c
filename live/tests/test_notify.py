"""Session notifications: entries, exits and guardrails reach the user's channels, in words."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from live import services
from live.feed import feed_lease_acquire, play_session
from live.models import LiveSession
from live.notify import feed_watch
from live.tests import test_faults
from live.tests.conftest import start_session
from notifications.models import AlertRule, Delivery
from trades.models import PaperLedger

pytestmark = pytest.mark.django_db(transaction=True)
session = test_faults.session  # a started session on conftest's ORB day


def _bodies(event_type: str) -> list[str]:
    return list(
        Delivery.objects.filter(event_type=event_type).order_by("id").values_list("body", flat=True)
    )


def test_entries_and_exits_are_told_once_in_words(session, day):
    play_session(session.pk, speed=0)
    [entry] = _bodies("live.entry")
    [exit_] = _bodies("live.exit")
    who = f'"Opening-range breakout" (session {session.pk}) on NIFTY 1m'
    assert entry.startswith(f"{who} entered: bought 1 lot(s) (75 units) at market, near "), entry
    assert "IST 01 Jan 2024 bar." in entry.splitlines()[0]
    assert exit_.startswith(f"{who} exited (target): sold 1 lot(s)"), exit_
    subject = Delivery.objects.get(event_type="live.entry").subject
    assert subject == "Opening-range breakout entered"
    for i in range(len(day)):  # the feed sends the day again: nobody is told twice
        row = [int(day.ts[i]), *(float(x[i]) for x in (day.open, day.high, day.low, day.close))]
        services.step_execute(session_id=session.pk, bar=[*row, 0.0], next_ts=None)
    assert len(_bodies("live.entry")) == len(_bodies("live.exit")) == 1


def test_a_halt_reaches_the_channels_of_the_users_rule(session):
    AlertRule.objects.create(
        owner=session.owner,
        name="halts by email",
        kind=AlertRule.Kind.EVENT,
        event_type="live.guardrail",
        channels=["email"],
    )
    PaperLedger.objects.filter(account=session.account).update(cash=Decimal("10"))
    play_session(session.pk, speed=0)
    deliveries = Delivery.objects.filter(event_type="live.guardrail")
    assert sorted(deliveries.values_list("channel", flat=True)) == ["email", "push"]
    first = deliveries.first()
    assert first.subject == "Opening-range breakout halted"
    assert (
        "halted (its position does not match the broker's) and will not trade again" in first.body
    )
    assert "insufficient funds" in first.body


def test_the_daily_max_loss_stop_is_told_once(user, nifty, paper, day):
    s = start_session(user, nifty, paper, risk_overrides={"daily_max_loss": 1})
    play_session(s.pk, speed=0)
    [body] = _bodies("live.guardrail")
    assert "hit its daily max loss" in body and "no more entries today" in body
    assert _bodies("live.exit")[0].split(":")[0].endswith("exited (max loss guardrail)")


def test_a_feed_that_is_down_is_told_once_per_outage(session):
    assert feed_watch() == 1  # no feed was ever started
    assert feed_watch() == 0
    [body] = _bodies("live.guardrail")
    assert body.startswith("The live feed is down (none was started):")
    assert feed_lease_acquire("replay", seconds=15)
    assert feed_watch() == 0  # a feed leads
    later = timezone.now() + timedelta(minutes=5)
    assert feed_watch(now=later) == 1  # it stopped renewing: a new outage
    assert len(_bodies("live.guardrail")) == 2
    LiveSession.objects.filter(pk=session.pk).update(status="stopped")
    assert feed_watch(now=later + timedelta(minutes=5)) == 0  # nobody is waiting for bars
