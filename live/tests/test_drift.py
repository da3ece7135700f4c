"""The daily drift report: a session day against a backtest of the bars it read."""

from __future__ import annotations

from datetime import date

import pytest

from live import drift, services
from live.feed import play_session
from live.models import DriftReport, SessionOrder
from live.tests import test_faults

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/live/sessions"
session = test_faults.session  # a started ORB session (its day: the conftest fixture)


@pytest.fixture
def client_of(api_client):
    def make(user):
        from algobacktester.accounts.tokens import token_pair

        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_pair(user)['access']}")
        return api_client

    return make


def test_a_replayed_day_matches_its_backtest_trade_for_trade(session, client_of):
    play_session(session.pk, speed=0)
    r = client_of(session.owner).get(f"{URL}/{session.pk}/drift")
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["day"] == "2024-01-01" and body["bars"] == 375
    summary = body["summary"]
    assert summary["matched"] == summary["live_trades"] == summary["backtest_trades"] == 1
    assert summary["unmatched_live"] == summary["unmatched_backtest"] == 0
    [trade] = body["trades"]
    # entries fill at the signal bar's close on both sides: no slippage
    assert trade["entry_price"] == trade["backtest_entry_price"]
    assert trade["entry_slippage"] == 0
    # the target exit goes to the paper broker as a limit at the engine's level, so the
    # session's fill is the backtest's price (to the paisa): no slippage either
    order = SessionOrder.objects.get(session=session, intent="exit").order
    assert trade["exit_price"] == float(order.average_price)
    assert trade["exit_price"] == pytest.approx(trade["backtest_exit_price"], abs=0.005)
    assert trade["exit_slippage"] == pytest.approx(0, abs=1e-4)
    assert trade["pnl_difference"] == pytest.approx(trade["pnl_live"] - trade["pnl_backtest"])
    assert summary["pnl_difference"] == pytest.approx(trade["pnl_difference"])
    assert trade["slippage"] == pytest.approx(-trade["pnl_difference"])
    assert DriftReport.objects.filter(session=session, day=date(2024, 1, 1)).count() == 1


def test_a_paused_session_shows_the_backtests_trade_as_unmatched(session):
    services.session_pause(session=session)
    play_session(session.pk, speed=0)
    session.refresh_from_db()
    report = drift.drift_get(session=session).report
    assert report["summary"]["live_trades"] == 0
    assert report["summary"]["unmatched_backtest"] == 1
    assert report["unmatched_backtest"][0]["side"] == "long"
    assert report["summary"]["pnl_difference"] == -report["summary"]["pnl_backtest"]


def test_the_report_is_rebuilt_when_the_day_gains_bars(session, day):
    sent = []

    def first_half(session_id, bar, next_ts):
        if len(sent) < 150:
            sent.append(bar)
            services.step_execute(session_id=session_id, bar=bar, next_ts=next_ts)

    play_session(session.pk, speed=0, send=first_half)
    session.refresh_from_db()
    first = drift.drift_get(session=session)
    assert first.bars == 150
    assert first.report["summary"]["live_trades"] == 1  # entered at bar 127, still open
    assert first.report["trades"][0]["exit_price"] is None
    assert drift.drift_get(session=session).built_at == first.built_at  # stored, not rebuilt
    play_session(session.pk, speed=0)
    session.refresh_from_db()
    second = drift.drift_get(session=session)
    assert second.pk == first.pk and second.bars == len(day)
    assert second.report["trades"][0]["exit_price"] is not None


def test_the_beat_sweep_builds_finished_days_once(session):
    play_session(session.pk, speed=0)
    services.session_stop(session=session)
    assert drift.drift_reports_due() == 1
    assert drift.drift_reports_due() == 0  # current reports are not rebuilt
    assert DriftReport.objects.filter(session=session).count() == 1


def test_bad_day_no_day_and_other_users(session, client_of, make_user):
    client = client_of(session.owner)
    r = client.get(f"{URL}/{session.pk}/drift")
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "day"
    play_session(session.pk, speed=0)
    r = client.get(f"{URL}/{session.pk}/drift?day=2024-13-01")
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "day"
    r = client.get(f"{URL}/{session.pk}/drift?day=2024-01-02")
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "day"
    assert client.get(f"{URL}/{session.pk}/drift?day=2024-01-01").status_code == 200
    other = client_of(make_user())
    r = other.get(f"{URL}/{session.pk}/drift?day=2024-01-01")
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "session"
