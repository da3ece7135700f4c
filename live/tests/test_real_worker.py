"""The live path on real Celery worker processes (Redis, PostgreSQL): replay -> steps on the
``live`` queue -> paper broker, compared with a backtest; a worker SIGKILLed mid-replay.

Skipped, saying why, when Redis or PostgreSQL is not reachable on 127.0.0.1.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator

import pytest

from live.feed import play_session, send_step
from live.models import LiveSession
from live.tests.conftest import start_session, store_day
from live.tests.parity import compare
from trades.models import Order, OrderStatus
from trades.services.accounts import account_connect
from workers.testing import (
    SERVICES_MARKS,
    kill_group,
    tasks_on_redis,
    wait_for,
    worker_env,
    worker_process,
)

pytestmark = SERVICES_MARKS
QUEUES = "live,default"
SETTLED = (OrderStatus.FILLED, OrderStatus.REJECTED, OrderStatus.CANCELLED)


@pytest.fixture
def redis_broker(settings) -> Iterator[str]:
    with tasks_on_redis(settings) as url:
        yield url


@pytest.fixture
def replay(user, nifty):
    bars = store_day(nifty)
    return start_session(user, nifty, _worker_account(user, "Paper")), bars


def _worker_account(user, name: str):
    """A paper account for worker processes: they read their own settings, so the account
    carries the limits the test needs."""
    return account_connect(
        user=user,
        broker="paper",
        name=name,
        paper={"starting_cash": "1000000000", "slippage_bps": 0},
        risk={"trading_hours": None, "max_orders_per_second": 1000},
    )


def _paced(session_id: int, bar: list[float], next_ts: int | None) -> None:
    """Send a bar close, then wait for the step and its orders (a real feed's minute apart)."""
    send_step(session_id, bar, next_ts)

    def done() -> bool:
        s = LiveSession.objects.get(pk=session_id)
        if s.status != LiveSession.Status.RUNNING:
            return True
        if s.last_bar is None or int(s.last_bar.timestamp()) * 10**9 < bar[0]:
            return False
        ids = s.intents.values("order_id")
        return not Order.objects.filter(pk__in=ids).exclude(status__in=SETTLED).exists()

    wait_for(done, timeout=60, what=f"the step of bar {bar[0]}")


def test_replay_on_a_real_worker_equals_the_backtest(redis_broker, replay):
    session, bars = replay
    env = worker_env(redis_broker, LIVE_EMBEDDED_FEED="0")
    with worker_process(env=env, queues=QUEUES, concurrency=2, name="live"):
        assert play_session(session.pk, speed=0, send=_paced) == len(bars)
    compare(session, bars)


def test_a_worker_killed_mid_replay_loses_no_bar_and_doubles_no_order(redis_broker, replay):
    """SIGKILL the whole worker with a position open, between steps; the feed keeps sending
    bars (they wait in Redis, unordered across two processes: a step that finds bars missing
    catches them up from stored candles, their own tasks then find them done); a new worker
    finishes the day with each order placed once."""
    session, bars = replay
    env = worker_env(redis_broker, LIVE_EMBEDDED_FEED="0")
    half = 150  # after the entry at bar 127, before the exit at 203
    with worker_process(env=env, queues=QUEUES, concurrency=2, name="first") as proc:
        sent = []

        def until_half(session_id, bar, next_ts):
            if len(sent) < half:
                sent.append(bar[0])
                _paced(session_id, bar, next_ts)

        play_session(session.pk, speed=0, send=until_half)
        kill_group(proc, signal.SIGKILL)
    # the feed keeps sending while no worker runs: these wait in the queue
    rest = []
    play_session(
        session.pk, speed=0, send=lambda sid, bar, nxt: (rest.append(bar), send_step(sid, bar, nxt))
    )
    time.sleep(0.5)
    with worker_process(env=env, queues=QUEUES, concurrency=2, name="second"):
        last = int(bars.ts[-1])

        def finished() -> bool:
            s = LiveSession.objects.get(pk=session.pk)
            if s.last_bar is None or int(s.last_bar.timestamp()) * 10**9 < last:
                return False
            ids = s.intents.values("order_id")
            return not Order.objects.filter(pk__in=ids).exclude(status__in=SETTLED).exists()

        wait_for(finished, timeout=240, what="the rest of the day")
    session.refresh_from_db()
    assert session.status == LiveSession.Status.RUNNING, session.status_reason
    assert session.steps == len(bars)
    # every order once; the exit is one order however many copies of its bar ran
    client_ids = list(Order.objects.values_list("client_id", flat=True))
    assert len(client_ids) == len(set(client_ids)) == 2


def test_a_pool_process_sigkilled_mid_step_redoes_the_step_once(redis_broker, replay, tmp_path):
    """The step that places the entry is killed inside its transaction (its order intent
    written, not committed); the task is redelivered and the step done once, one order."""
    import os
    from pathlib import Path

    session, bars = replay
    marker = Path(tmp_path) / "slow-step.pid"
    env = worker_env(redis_broker, LIVE_EMBEDDED_FEED="0", LIVE_SLOW_STEP_FILE=str(marker))
    entry_bar = int(bars.ts[127])
    with worker_process(
        env=env, queues=QUEUES, concurrency=1, name="slow", include="live.tests.slow_step"
    ):

        def until_entry(session_id, bar, next_ts):
            if bar[0] < entry_bar:
                _paced(session_id, bar, next_ts)
            elif bar[0] == entry_bar:
                send_step(session_id, bar, next_ts)

        play_session(session.pk, speed=0, send=until_entry)
        wait_for(marker.exists, timeout=60, what="the slow step to start")
        time.sleep(0.5)
        os.kill(int(marker.read_text()), signal.SIGKILL)  # the pool process, mid-step
        wait_for(
            lambda: (
                LiveSession.objects.get(pk=session.pk).last_bar is not None
                and int(LiveSession.objects.get(pk=session.pk).last_bar.timestamp()) * 10**9
                == entry_bar
            ),
            timeout=60,
            what="the redelivered step",
        )
        wait_for(
            lambda: not Order.objects.exclude(status__in=SETTLED).exists(),
            timeout=60,
            what="the entry to settle",
        )
    session.refresh_from_db()
    assert session.status == LiveSession.Status.RUNNING, session.status_reason
    assert session.steps == 128 and session.position > 0
    assert Order.objects.count() == 1 and Order.objects.get().status == OrderStatus.FILLED


def test_supertrend_options_bot_on_a_real_worker_equals_the_backtest(redis_broker, user, nifty):
    """The SuperTrend options bot (model premiums) on real worker processes: each leg's
    orders on its contract, filled at the engine's premiums, as a backtest of the same bars."""
    from live.tests.parity import compare_legs
    from live.tests.test_legs import OPTIONS, SEED
    from marketdata import selectors as md

    store_day(nifty, days=6, seed=SEED)
    account = _worker_account(user, "Paper legs")
    session = start_session(
        user, nifty, account, "supertrend_index_options", end="2024-01-06", options=OPTIONS
    )
    bars = md.candles_load(
        instrument=nifty.pk, timeframe="5m", start="2024-01-01", end="2024-01-06"
    )
    env = worker_env(redis_broker, LIVE_EMBEDDED_FEED="0")
    with worker_process(env=env, queues=QUEUES, concurrency=2, name="legs"):
        assert play_session(session.pk, speed=0, send=_paced) == len(bars)
    assert compare_legs(session, bars)["orders"] >= 4
