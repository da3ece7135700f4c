"""Backtest <-> live parity: replay feed -> bars -> steps (eager Celery) -> paper broker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction

from engine.bars import load_csv
from engine.graph import example_documents
from live import services
from live.feed import play_session
from live.tests.conftest import start_session, store_bars, strategy_of, synthetic_bars
from live.tests.parity import compare

pytestmark = pytest.mark.django_db(transaction=True)


def _strategy(user, key):
    if key == "sma_cross":
        from strategies.services import strategy_create

        return strategy_create(owner=user, name="SMA cross", graph=example_documents()["sma_cross"])
    return strategy_of(user, key)


def _session(user, nifty, paper, key, start, end):
    strategy = _strategy(user, key)
    return start_session(user, nifty, paper, strategy=strategy, start=start, end=end, lots=2)


@pytest.mark.parametrize("key", ["sma_cross", "opening_range_breakout"])
def test_synthetic_replay_equals_backtest(user, nifty, paper, key):
    bars = synthetic_bars()
    with transaction.atomic():
        store_bars(nifty, bars)
    session = _session(user, nifty, paper, key, "2024-01-01", "2024-01-03")
    assert play_session(session.pk, speed=0) == len(bars)
    counts = compare(session, bars)
    assert counts["orders"] > 0 and counts["priced"] == counts["orders"]


@pytest.mark.parametrize("key", ["sma_cross", "opening_range_breakout"])
def test_nifty_history_replay_equals_backtest(user, nifty, paper, key, shared_data):
    all_bars = load_csv(shared_data / "nifty50_1min_2024-01_2024-08.csv.gz")
    days = 4
    bars = all_bars.slice(0, 375 * days)  # the file's first four full days (375 bars each)
    with transaction.atomic():
        store_bars(nifty, bars)
    session = _session(user, nifty, paper, key, "2024-01-01", "2024-01-04")
    assert play_session(session.pk, speed=0) == len(bars)
    compare(session, bars)


def test_restart_catches_up_missed_bars_then_matches(user, nifty, paper):
    """A feed that died and a worker that forgot its runner: the next bar first replays the
    stored bars the session missed, in order; the result still equals the backtest."""
    bars = synthetic_bars()
    with transaction.atomic():
        store_bars(nifty, bars)
    session = _session(user, nifty, paper, "sma_cross", "2024-01-01", "2024-01-03")
    sent = []

    def lossy(session_id, bar, next_ts):
        sent.append(bar[0])
        if 100 <= len(sent) < 160:  # sixty bar closes lost (feed down)
            return
        if len(sent) == 200:
            services.runners_clear()  # the worker restarted: its runner is gone
        services.step_execute(session_id=session_id, bar=bar, next_ts=next_ts)

    play_session(session.pk, speed=0, send=lossy)
    compare(session, bars)
    assert session.events.filter(message__startswith="caught up 60").exists()


def test_runner_rebuilt_from_steps_equals_saved_state(user, nifty, paper):
    bars = synthetic_bars(days=1)
    with transaction.atomic():
        store_bars(nifty, bars)
    session = _session(user, nifty, paper, "opening_range_breakout", "2024-01-01", "2024-01-01")
    play_session(session.pk, speed=0)
    session.refresh_from_db()
    services.runners_clear()
    rebuilt = services._runner_take(session)
    assert rebuilt is not None and rebuilt.matches(session.state["engine"])
    assert session.last_bar - session.started_at < timedelta(days=10_000)


def test_embedded_mode_plays_a_started_session_in_a_thread(auth_client, nifty, paper, settings):
    """``make run``: eager Celery, no feed process; starting a session over the API plays its
    replay in a daemon thread of the web process."""
    import time

    from live.models import LiveSession

    settings.LIVE = {**settings.LIVE, "EMBEDDED_FEED": True}
    bars = synthetic_bars(days=1, seed=4)
    with transaction.atomic():
        store_bars(nifty, bars)
    strategy = strategy_of(auth_client.user, "opening_range_breakout")
    body = {
        "strategy": strategy.pk,
        "account": paper.pk,
        "instrument": "NIFTY",
        "capital": "100000000",
        "replay": {"start": "2024-01-01", "speed": 0},
    }
    sid = auth_client.post("/api/live/sessions", body, format="json").json()["id"]
    assert auth_client.post(f"/api/live/sessions/{sid}/start").status_code == 200
    deadline = time.monotonic() + 240
    while LiveSession.objects.get(pk=sid).steps < len(bars) and time.monotonic() < deadline:
        time.sleep(0.5)
    compare(LiveSession.objects.get(pk=sid), bars)
    assert auth_client.get(f"/api/live/sessions/{sid}/orders").json()["count"] == 2
