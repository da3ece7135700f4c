"""``live_feed --source dhan`` end to end against the local fake Dhan feed (127.0.0.1): ticks
recorded as 1-second bars, a stop crossed between bars exits once, token expiry halts and
alerts, one feed per login."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from live import services
from live.dhan_feed import FeedSettings
from live.dhan_packets import pack_quote, pack_ticker
from live.feed import TickGuard, play_session
from live.market_feed import MarketFeed, dhan_lease_name
from live.models import FeedLease, LiveSession, SessionEvent, SessionOrder
from live.tests.conftest import start_session, store_day
from live.tests.fake_dhan_feed import FakeDhanFeed
from live.ticks import TICK_TIMEFRAME, TickRecorder
from marketdata.storage import candles_read
from trades.crypto import credentials_encrypt
from trades.models import BrokerAccount

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "tok-CANARY-77aa"
CLIENT = "1000000001"
# 2024-01-02 10:00:00 IST as Dhan writes it (IST wall clock as epoch seconds)
LTT = int(datetime(2024, 1, 2, 10, 0, tzinfo=UTC).timestamp())
NS = 1_000_000_000


@pytest.fixture
def fake():
    server = FakeDhanFeed(token=TOKEN, client_id=CLIENT)
    server.url = server.start()
    yield server
    server.stop()


@pytest.fixture
def dhan(user):
    return BrokerAccount.objects.create(
        owner=user,
        name="Dhan",
        broker="dhan",
        credentials=credentials_encrypt({"client_id": CLIENT, "access_token": TOKEN}),
    )


def settings_for(fake) -> FeedSettings:
    return FeedSettings(
        url=fake.url, watchdog_seconds=30, idle_seconds=0.05, backoff_first=0.02, backoff_max=0.1
    )


class Running:
    """A MarketFeed on its own thread (what the ``live_feed`` process runs)."""

    def __init__(self, feed: MarketFeed) -> None:
        self.feed = feed
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.feed.run(poll=0.05)
        except BaseException as exc:  # surfaced by close()
            self.error = exc
        finally:
            connection.close()  # this thread's own connection: let the test database go

    def close(self) -> None:
        self.feed.stop.set()
        self.thread.join(10)
        assert not self.thread.is_alive()
        assert self.error is None, self.error


def feed_of(account, fake, **kw) -> MarketFeed:
    return MarketFeed(
        account_id=account.pk,
        settings=settings_for(fake),
        watchdog_active=lambda: True,
        **kw,
    )


def one_second_bars(instrument):
    return candles_read(
        instrument_id=instrument.pk,
        timeframe=TICK_TIMEFRAME,
        start=datetime(2024, 1, 1, tzinfo=UTC),
        end=datetime(2024, 1, 3, tzinfo=UTC),
    )


# --- recording --------------------------------------------------------------------------------
def test_ticks_become_one_second_bars_and_a_restart_merges_its_cut_second(nifty):
    t0 = (LTT - 19_800) * NS  # the UTC ns of LTT
    rec = TickRecorder(clock=lambda: 0.0, flush_seconds=1.0, batch=100)
    for dt, price, vol in [(0.0, 100.0, 1000), (0.3, 103.0, 1010), (0.9, 99.0, 1015)]:
        rec.tick(nifty.pk, t0 + int(dt * NS), price, vol)
    rec.tick(nifty.pk, t0 + NS, 101.0, 1030)
    rec.tick(nifty.pk, t0 + 2 * NS + 1, 102.0, 1031)
    assert rec.flush_due() == 0  # batched: nothing written before the interval or the batch
    assert rec.flush() == 2  # the two closed seconds; the third is still open
    assert rec.flush(final=True) == 1  # on stop, the open one too
    bars = one_second_bars(nifty)
    assert list(bars.ts) == [t0, t0 + NS, t0 + 2 * NS]
    assert (bars.open[0], bars.high[0], bars.low[0], bars.close[0]) == (100.0, 103.0, 99.0, 99.0)
    assert list(bars.volume) == [15.0, 15.0, 1.0]  # rises of the day's cumulative volume

    # A restart inside the third second: Dhan resends the last trade (same price, same
    # cumulative volume), then the second goes on. Same rows, the cut second merged.
    rec = TickRecorder()
    rec.tick(nifty.pk, t0 + 2 * NS + 1, 102.0, 1031)
    rec.tick(nifty.pk, t0 + 2 * NS + 5, 104.5, 1035)
    rec.flush(final=True)
    again = one_second_bars(nifty)
    assert list(again.ts) == list(bars.ts)
    assert (again.open[2], again.high[2], again.low[2], again.close[2]) == (
        102.0,
        104.5,
        102.0,
        104.5,
    )
    assert again.volume[2] == 5.0
    assert list(again.close[:2]) == list(bars.close[:2])


# --- the feed -----------------------------------------------------------------------------------
@pytest.fixture
def market_session(user, nifty, paper):
    """A running session with a long position open (the opening-range breakout enters at bar
    127 of this day), then moved to the market feed."""
    store_day(nifty)
    s = start_session(user, nifty, paper, lots=1)
    entered: list[int] = []

    def until_entry(session_id, bar, next_ts):
        if entered:
            return
        services.step_execute(session_id=session_id, bar=bar, next_ts=next_ts)
        if LiveSession.objects.get(pk=session_id).position:
            entered.append(bar[0])

    play_session(s.pk, speed=0, send=until_entry)
    LiveSession.objects.filter(pk=s.pk).update(feed=LiveSession.Feed.MARKET)
    s.refresh_from_db()
    assert s.position > 0 and s.levels["stop"] < s.levels["average"]
    return s


def test_a_stop_crossed_between_bars_exits_once_even_if_ticks_repeat(
    fake, dhan, nifty, market_session
):
    levels = market_session.levels
    sent: list[tuple] = []
    guard = TickGuard(
        send=lambda *a: (
            sent.append(a)
            or services.session_tick_exit(
                session_id=a[0], position_bar=a[1], reason=a[2], price=a[3]
            )
        )
    )
    run = Running(feed_of(dhan, fake, guard=guard))
    try:
        assert fake.wait_for(lambda: fake.subscriptions and fake.subscriptions[0])
        assert fake.subscriptions[0][0]["InstrumentList"] == [
            {"ExchangeSegment": "IDX_I", "SecurityId": "13"}
        ]
        fake.push(pack_ticker(0, 13, levels["average"], LTT))  # inside the levels: nothing
        below = levels["stop"] - 1
        frame = b"".join(pack_quote(0, 13, below - i, LTT + 1, volume=10 + i) for i in range(3))
        fake.push(frame)  # three ticks through the stop in one frame
        fake.push(pack_ticker(0, 13, below, LTT + 2))  # and again, a second later
        exits = SessionOrder.objects.filter(session=market_session, intent="exit")
        assert fake.wait_for(lambda: exits.count() == 1)
        time.sleep(0.3)  # later ticks and level refreshes add nothing
        fake.push(pack_ticker(0, 13, below - 5, LTT + 3))
        time.sleep(0.3)
        assert exits.count() == 1 and exits.get().reason == "stop"
        assert len(sent) == 1
    finally:
        run.close()
    bars = one_second_bars(nifty)  # every tick second recorded, the open one on stop
    assert len(bars.ts) == 4 and bars.close[1] == pytest.approx(below - 2, abs=1e-3)


def test_an_expired_token_halts_the_feed_alerts_and_does_not_reconnect(fake, dhan, market_session):
    run = Running(feed_of(dhan, fake))
    try:
        assert fake.wait_for(lambda: fake.subscriptions and fake.subscriptions[0])
        fake.expire()
        assert fake.wait_for(
            lambda: BrokerAccount.objects.get(pk=dhan.pk).status == "token_expired"
        )
        assert fake.wait_for(
            lambda: SessionEvent.objects.filter(
                session=market_session, kind="error", message__contains="token expired"
            ).exists()
        )
        time.sleep(0.5)
        assert fake.attempts == 1  # waits for the account to be reconnected: no storm
        assert run.feed.halts and "807" in run.feed.halts[0]
    finally:
        run.close()
    assert FeedLease.objects.get(name=dhan_lease_name(CLIENT)).lease_until is None


def test_one_feed_per_login_a_second_copy_waits_then_takes_over(fake, dhan, nifty):
    first = Running(feed_of(dhan, fake, record=[nifty.pk], holder="first"))
    try:
        assert fake.wait_for(lambda: fake.connections == 1)
        second = Running(feed_of(dhan, fake, record=[nifty.pk], holder="second"))
        time.sleep(0.4)
        assert fake.attempts == 1  # the second copy holds no socket
    finally:
        first.close()
    try:
        assert fake.wait_for(lambda: fake.connections == 2)  # it takes over on release
        assert fake.wait_for(lambda: len(fake.subscriptions[1]) == 1)
    finally:
        second.close()


def test_the_command_needs_a_dhan_account(paper):
    with pytest.raises(CommandError, match="--account"):
        call_command("live_feed", "--source", "dhan")
    with pytest.raises(CommandError, match="--account"):
        call_command("live_feed", "--source", "dhan", "--account", str(paper.pk))
