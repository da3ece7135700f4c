"""Option legs in sessions: the SuperTrend options bot as a paper session on a replay gives
the signals, contracts, orders and fills of a backtest of the same version on the same bars
(``model`` premiums)."""

from __future__ import annotations

import pytest
from django.db import transaction

from engine.bars import load_csv
from live import services
from live.feed import play_session
from live.tests.conftest import start_session, store_bars, strategy_of, synthetic_bars
from live.tests.parity import compare_legs
from marketdata import selectors as md

pytestmark = pytest.mark.django_db(transaction=True)
OPTIONS = {"premium_source": "model", "iv": 0.14, "rate": 0.065}


def _session(user, nifty, paper, start, end, strategy=None, **kw):
    kw.setdefault("options", OPTIONS)
    key = "supertrend_index_options"
    return start_session(user, nifty, paper, key, strategy=strategy, start=start, end=end, **kw)


def _played(user, nifty, paper, start, end):
    session = _session(user, nifty, paper, start, end)
    bars = md.candles_load(instrument=nifty.pk, timeframe="5m", start=start, end=end)
    assert play_session(session.pk, speed=0) == len(bars)
    return session, bars


def test_supertrend_options_bot_on_synthetic_days_equals_backtest(user, nifty, paper):
    with transaction.atomic():
        store_bars(nifty, synthetic_bars(days=6, seed=SEED))
    session, bars = _played(user, nifty, paper, "2024-01-01", "2024-01-06")
    counts = compare_legs(session, bars)
    assert counts["orders"] >= 4, counts  # at least two legs in and out
    session.refresh_from_db()
    kinds = set(session.intents.values_list("order__order_type", flat=True))
    assert "MARKET" in kinds and kinds & {"STOP_LOSS_MARKET", "LIMIT"}, kinds


def test_supertrend_options_bot_on_nifty_history_equals_backtest(user, nifty, paper, shared_data):
    # Nine trading days, 2024-01-01 to 01-11: the bot's filters let one trade through, an
    # ATM CE bought on the weekly expiry day (11 January) and closed by its trailing stop.
    bars = load_csv(shared_data / "nifty50_1min_2024-01_2024-08.csv.gz").slice(0, 375 * 9)
    with transaction.atomic():
        store_bars(nifty, bars)
    session, bars5 = _played(user, nifty, paper, "2024-01-01", "2024-01-11")
    counts = compare_legs(session, bars5)
    assert counts["orders"] == 2, counts


def test_a_rebuilt_leg_runner_equals_the_saved_one(user, nifty, paper):
    with transaction.atomic():
        store_bars(nifty, synthetic_bars(days=6, seed=SEED))
    session, _ = _played(user, nifty, paper, "2024-01-01", "2024-01-06")
    session.refresh_from_db()
    services.runners_clear()
    rebuilt = services._runner_take(session)
    assert rebuilt is not None and rebuilt.matches(session.state["engine"])


def test_lost_bars_and_a_forgotten_runner_catch_up_and_still_match(user, nifty, paper):
    """Sixty bar closes lost (the feed was down) while a leg is open, then a worker without
    the runner: the next step replays the missed bars, rebuilds the legs from the steps, and
    the session still equals the backtest; no order is placed twice."""
    with transaction.atomic():
        store_bars(nifty, synthetic_bars(days=6, seed=SEED))
    session = _session(user, nifty, paper, "2024-01-01", "2024-01-06")
    bars = md.candles_load(
        instrument=nifty.pk, timeframe="5m", start="2024-01-01", end="2024-01-06"
    )
    sent = []

    def lossy(session_id, bar, next_ts):
        sent.append(bar[0])
        if 150 <= len(sent) < 210:
            return
        if len(sent) == 300:
            services.runners_clear()
        services.step_execute(session_id=session_id, bar=bar, next_ts=next_ts)

    play_session(session.pk, speed=0, send=lossy)
    session.refresh_from_db()
    events = list(
        session.events.filter(kind__in=("state", "guardrail")).values_list("message", flat=True)
    )
    assert any(m.startswith("caught up 60") for m in events), (session.status_reason, events)
    assert compare_legs(session, bars)["orders"] >= 4


def test_option_legs_need_the_options_block(user, nifty, paper):
    from algobacktester.errors import InvalidInput

    with transaction.atomic():
        store_bars(nifty, synthetic_bars(days=1))
    bot = strategy_of(user, "supertrend_index_options")
    with pytest.raises(InvalidInput) as exc:
        _session(user, nifty, paper, "2024-01-01", "2024-01-01", bot, options=None)
    assert "options.premium_source" in str(exc.value.detail)
    with pytest.raises(InvalidInput) as exc:
        _session(user, nifty, paper, "2024-01-01", "2024-01-01", bot, lots=2)
    assert "lots" in str(exc.value.detail)


SEED = 6  # targets and trailing stops both fire (LIMIT and STOP_LOSS_MARKET exits)
