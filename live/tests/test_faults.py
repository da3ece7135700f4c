"""Faults: a duplicated step, a crash mid-step, a broker timeout after accepting, a rejected
order (halt with a reason), a tick exit racing the step's exit, a second feed copy."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from algobacktester import bus
from live import services
from live.feed import TickGuard, feed_lease_acquire, feed_lease_release, play_session
from live.models import LiveSession, SessionOrder, SessionStep
from live.tests.conftest import start_session
from live.tests.parity import compare
from trades.brokers.base import OutcomeUnknown
from trades.brokers.paper import PaperBroker
from trades.models import Order, OrderStatus, PaperBrokerOrder, PaperLedger

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def session(user, nifty, paper, day):
    return start_session(user, nifty, paper, lots=1)


def _counts(session):
    return (
        SessionStep.objects.filter(session=session).count(),
        SessionOrder.objects.filter(session=session).count(),
        PaperBrokerOrder.objects.filter(account=session.account).count(),
    )


def test_duplicated_and_late_step_tasks_change_nothing(session, day):
    states = []
    bus.subscribe("session.state", states.append)
    try:
        play_session(session.pk, speed=0)
    finally:
        bus.unsubscribe("session.state", states.append)
    # one /ws/ state per step, with what the dashboard shows
    assert len(states) == len(day)
    assert {"position", "pnl_today", "last_signal", "indicators", "levels"} <= set(states[0].data)
    assert any(e.data["levels"] for e in states) and states[0].user_id == session.owner_id
    before = _counts(session)
    assert before[1] >= 2  # the breakout entered and exited
    for i in range(len(day)):
        bar = [
            int(day.ts[i]),
            float(day.open[i]),
            float(day.high[i]),
            float(day.low[i]),
            float(day.close[i]),
            0.0,
        ]
        assert services.step_execute(session_id=session.pk, bar=bar, next_ts=None) == "duplicate"
    assert _counts(session) == before
    compare(session, day)


def test_a_crash_mid_step_rolls_the_step_back_and_the_redelivery_does_it_once(
    session, day, monkeypatch
):
    real = SessionOrder.objects.create
    crashed = []

    def crash_once(**kw):
        if not crashed:
            crashed.append(kw["bar_ts"])
            raise RuntimeError("worker killed")
        return real(**kw)

    monkeypatch.setattr(SessionOrder.objects, "create", crash_once)
    with pytest.raises(RuntimeError):
        play_session(session.pk, speed=0)
    # nothing of the crashed step survived: no step row, no order for it
    assert not SessionStep.objects.filter(session=session, bar_ts=crashed[0]).exists()
    assert not Order.objects.exists()
    play_session(session.pk, speed=0)  # the redelivery, and the rest of the day
    compare(session, day)


def test_broker_timeout_after_accepting_places_no_second_order(session, day, monkeypatch):
    real = PaperBroker.place
    timeouts = []

    def accept_then_time_out(self, request):
        placed = real(self, request)
        if not timeouts:
            timeouts.append(request.client_id)
            raise OutcomeUnknown("read timed out after the broker accepted")
        return placed

    monkeypatch.setattr(PaperBroker, "place", accept_then_time_out)
    play_session(session.pk, speed=0)
    assert timeouts
    assert PaperBrokerOrder.objects.filter(correlation_id=timeouts[0]).count() == 1
    assert Order.objects.get(client_id=timeouts[0]).status == OrderStatus.FILLED
    compare(session, day)


def test_a_rejected_order_halts_the_session_with_the_reason(session, day):
    seen = []
    bus.subscribe("live.guardrail", seen.append)
    try:
        PaperLedger.objects.filter(account=session.account).update(cash=Decimal("10"))
        play_session(session.pk, speed=0)
    finally:
        bus.unsubscribe("live.guardrail", seen.append)
    session.refresh_from_db()
    assert session.status == LiveSession.Status.HALTED
    assert "position mismatch" in session.status_reason
    assert "insufficient funds" in session.status_reason
    assert session.events.filter(kind="guardrail", message__startswith="halted").exists()
    assert seen and seen[0].data["halted"]
    steps = SessionStep.objects.filter(session=session).count()
    assert steps < len(day)  # nothing more after the halt
    bar = [int(day.ts[-1]), 1.0, 1.0, 1.0, 1.0, 0.0]
    assert services.step_execute(session_id=session.pk, bar=bar, next_ts=None) == "inactive"


def test_a_tick_exit_and_the_steps_exit_share_one_order(session, day):
    entered = []

    def until_entry(session_id, bar, next_ts):
        if entered:
            return
        services.step_execute(session_id=session_id, bar=bar, next_ts=next_ts)
        s = LiveSession.objects.get(pk=session_id)
        if s.position:
            entered.append(bar[0])

    play_session(session.pk, speed=0, send=until_entry)
    session.refresh_from_db()
    levels = session.levels
    assert session.position > 0 and levels["stop"] < levels["average"] < levels["target"]
    sent = []
    guard = TickGuard(
        send=lambda *a: (
            sent.append(a)
            or services.session_tick_exit(
                session_id=a[0], position_bar=a[1], reason=a[2], price=a[3]
            )
        )
    )
    guard.refresh()
    assert guard.tick(session.instrument_id, levels["average"]) == 0
    assert guard.tick(session.instrument_id, levels["stop"] - 1) == 1
    assert guard.tick(session.instrument_id, levels["stop"] - 2) == 0  # once per reason
    assert (
        services.session_tick_exit(
            session_id=session.pk, position_bar=sent[0][1], reason="stop", price=1.0
        )
        == "duplicate"
    )
    exits = SessionOrder.objects.filter(session=session, intent="exit")
    assert exits.count() == 1 and exits.get().reason == "stop"
    play_session(session.pk, speed=0)  # the next step closes the engine's position too
    session.refresh_from_db()
    assert session.status == LiveSession.Status.RUNNING, session.status_reason
    assert session.position == 0
    assert SessionOrder.objects.filter(session=session, intent="exit").count() == 1


def test_square_off_exits_and_pauses(session, day):
    def until_entry(session_id, bar, next_ts):
        if not LiveSession.objects.get(pk=session_id).position:
            services.step_execute(session_id=session_id, bar=bar, next_ts=next_ts)

    play_session(session.pk, speed=0, send=until_entry)
    session.refresh_from_db()
    assert session.position
    services.session_square_off(session=session)
    session.refresh_from_db()
    assert session.status == LiveSession.Status.PAUSED
    play_session(session.pk, speed=0)
    session.refresh_from_db()
    assert session.status == LiveSession.Status.PAUSED and session.position == 0
    orders = SessionOrder.objects.filter(session=session)
    assert [o.intent for o in orders] == ["entry", "exit"]  # paused: no new entries
    assert all(o.order.status == OrderStatus.FILLED for o in orders)


def test_one_feed_leads_a_second_copy_waits():
    assert feed_lease_acquire("dhan:1", seconds=30, holder="a")
    assert not feed_lease_acquire("dhan:1", seconds=30, holder="b")
    assert feed_lease_acquire("dhan:1", seconds=30, holder="a")  # renewal
    feed_lease_release("dhan:1", holder="a")
    assert feed_lease_acquire("dhan:1", seconds=30, holder="b")


def test_live_feed_dhan_source_needs_a_dhan_account():
    with pytest.raises(CommandError, match="--account"):
        call_command("live_feed", "--source", "dhan")


def test_live_feed_command_plays_running_sessions(session, day):
    call_command("live_feed", "--once")
    session.refresh_from_db()
    assert session.steps == len(day)
