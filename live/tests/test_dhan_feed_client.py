"""The Dhan feed client against the local fake feed server (127.0.0.1): subscriptions, several
packets a frame, reconnect with back-off and resubscription, the watchdog, token expiry."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from live.dhan_feed import DhanFeedClient, FeedHalted, FeedSettings, market_open
from live.dhan_packets import pack_quote, pack_ticker
from live.tests.fake_dhan_feed import FakeDhanFeed

TOKEN = "tok-CANARY-5b1f"
LTT = 1_704_101_400
NIFTY = ("IDX_I", "13")


@pytest.fixture
def fake():
    server = FakeDhanFeed(token=TOKEN)
    server.url = server.start()
    yield server
    server.stop()


class Run:
    """A client on its own thread, collecting ticks; ``halted`` holds a FeedHalted."""

    def __init__(self, fake: FakeDhanFeed, *, token: str = TOKEN, **kw) -> None:
        self.ticks: list = []
        self.wanted = {NIFTY}
        self.halted: FeedHalted | None = None
        self.stop = threading.Event()
        settings = FeedSettings(
            url=fake.url,
            watchdog_seconds=kw.pop("watchdog", 30.0),
            idle_seconds=0.05,
            backoff_first=kw.pop("backoff_first", 0.02),
            backoff_max=kw.pop("backoff_max", 0.08),
            open_timeout=2,
        )
        self.client = DhanFeedClient(
            client_id=fake.client_id,
            token=token,
            wanted=lambda: self.wanted,
            on_ticks=self.ticks.extend,
            stop=self.stop,
            settings=settings,
            watchdog_active=lambda: True,
        )
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.client.run()
        except FeedHalted as exc:
            self.halted = exc

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        assert not self.thread.is_alive()


def test_subscribes_and_takes_several_packets_a_frame(fake):
    fake.greeting = [pack_ticker(0, 13, 21500.0, LTT)]
    run = Run(fake)
    try:
        assert fake.wait_for(lambda: len(run.ticks) == 1)
        assert fake.subscriptions[0] == [
            {
                "RequestCode": 17,
                "InstrumentCount": 1,
                "InstrumentList": [{"ExchangeSegment": "IDX_I", "SecurityId": "13"}],
            }
        ]
        assert "version=2" in fake.urls[0] and "authType=2" in fake.urls[0]
        fake.push(pack_ticker(0, 13, 21501.0, LTT + 1) + pack_quote(0, 13, 21502.0, LTT + 2))
        assert fake.wait_for(lambda: len(run.ticks) == 3)
        assert [t.ltp for t in run.ticks] == [21500.0, 21501.0, 21502.0]
    finally:
        run.close()


def test_a_dropped_socket_reconnects_and_resubscribes(fake):
    run = Run(fake)
    try:
        assert fake.wait_for(lambda: fake.subscriptions and fake.subscriptions[0])
        fake.push(pack_ticker(0, 13, 1.0, LTT))
        assert fake.wait_for(lambda: len(run.ticks) == 1)
        fake.drop()
        assert fake.wait_for(lambda: fake.connections == 2 and fake.subscriptions[1])
        assert fake.subscriptions[1] == fake.subscriptions[0]
        fake.push(pack_ticker(0, 13, 2.0, LTT + 1))
        assert fake.wait_for(lambda: len(run.ticks) == 2)
        assert run.client.stats.drops >= 1 and run.halted is None
    finally:
        run.close()


def test_subscriptions_follow_what_is_wanted_while_connected(fake):
    run = Run(fake)
    try:
        assert fake.wait_for(lambda: fake.subscriptions and fake.subscriptions[0])
        run.wanted = {NIFTY, ("NSE_FNO", "35001")}
        assert fake.wait_for(lambda: len(fake.subscriptions[0]) == 2)
        added = fake.subscriptions[0][1]
        assert added["RequestCode"] == 17 and added["InstrumentList"][0]["SecurityId"] == "35001"
        run.wanted = {("NSE_FNO", "35001")}
        assert fake.wait_for(lambda: len(fake.subscriptions[0]) == 3)
        assert fake.subscriptions[0][2]["RequestCode"] == 18  # unsubscribe NIFTY
    finally:
        run.close()


def test_the_watchdog_reconnects_a_silent_socket(fake):
    fake.silence()
    run = Run(fake, watchdog=0.3)
    try:
        assert fake.wait_for(lambda: fake.connections >= 2 and len(fake.subscriptions[1]) == 1)
        assert run.client.stats.watchdog_reconnects >= 1
    finally:
        run.close()


def test_an_expired_token_halts_without_reconnecting(fake):
    run = Run(fake)
    try:
        assert fake.wait_for(lambda: fake.subscriptions and fake.subscriptions[0])
        fake.push(pack_ticker(0, 13, 1.0, LTT))
        fake.expire()
        run.thread.join(5)
        assert run.halted is not None and run.halted.reason == 807
        assert "expired" in run.halted.message
        assert fake.attempts == 1  # no reconnect storm
        assert [t.ltp for t in run.ticks] == [1.0]
    finally:
        run.close()


def test_a_token_refused_at_connect_halts_at_once(fake):
    run = Run(fake, token="wrong")
    run.thread.join(5)
    assert run.halted is not None and run.halted.reason == 807
    assert fake.attempts == 1 and fake.connections == 0
    fake.refuse(401)
    run = Run(fake)
    run.thread.join(5)
    assert run.halted is not None and run.halted.reason == 401
    assert fake.attempts == 2


def test_failed_connects_back_off_doubling_to_the_cap_and_never_log_the_token(fake, caplog):
    caplog.set_level(logging.DEBUG)  # even at DEBUG (websockets logs its request line there)
    fake.refuse(503)
    run = Run(fake, backoff_first=0.01, backoff_max=0.04)
    try:
        assert fake.wait_for(lambda: len(run.client.stats.delays) >= 5)
    finally:
        run.close()
    assert run.client.stats.delays[:5] == [0.01, 0.02, 0.04, 0.04, 0.04]
    assert TOKEN not in caplog.text and "503" in caplog.text
    assert TOKEN not in repr(run.client)


def test_the_watchdog_runs_only_while_the_market_is_open():
    ist = ZoneInfo("Asia/Kolkata")
    assert market_open(datetime(2024, 1, 2, 10, 0, tzinfo=ist))
    assert not market_open(datetime(2024, 1, 2, 15, 30, tzinfo=ist))  # the close
    assert not market_open(datetime(2024, 1, 2, 9, 0, tzinfo=ist))
    assert not market_open(datetime(2024, 1, 7, 10, 0, tzinfo=ist))  # a Sunday
    assert not market_open(datetime(2024, 1, 26, 10, 0, tzinfo=ist))  # Republic Day


def test_a_connected_run_logs_no_token_even_at_debug(fake, caplog):
    caplog.set_level(logging.DEBUG)
    run = Run(fake)
    try:
        assert fake.wait_for(lambda: fake.subscriptions and fake.subscriptions[0])
        fake.push(pack_ticker(0, 13, 1.0, LTT))
        assert fake.wait_for(lambda: len(run.ticks) == 1)
    finally:
        run.close()
    assert TOKEN not in caplog.text
