"""``live_feed --source dhan``: the Dhan v2 market feed of one broker login.

One process per login holds the leader lease ``dhan:<hash of the client id>`` (a second copy
waits, as for the replay feed), reads the login's credentials from its encrypted broker account
(in memory only), and runs :class:`live.dhan_feed.DhanFeedClient` on the instruments to record
plus those of every active market-feed session. Each tick is

1. recorded into 1-second bars (:class:`live.ticks.TickRecorder`, batched writes), and
2. checked against the protective levels of the sessions watching that instrument
   (:class:`live.feed.TickGuard`: one exit task per session, position and reason).

Between frames (at least once a second) it renews the lease (lost: the socket is closed and the
process waits), flushes recorded bars, re-reads the levels and the subscriptions.

Refused credentials (disconnect 807–810, a 401 at connect) halt the feed: the account is marked
``token_expired`` (which alerts its owner and stops its orders at the gate), every active
market session gets an error event, and the process then waits for the account to be
reconnected, checking every ``TOKEN_RECHECK_SECONDS``: no reconnect storm with a dead token,
and no restart needed once the user has pasted a new one.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.db import close_old_connections

from marketdata.models import Instrument
from trades.models import BrokerAccount
from trades.services.accounts import account_credentials, account_token_failed
from workers.leases import holder_name

from .dhan_feed import DhanFeedClient, FeedHalted, FeedSettings
from .dhan_packets import SEGMENTS, Tick, ltt_to_ns
from .feed import TickGuard, feed_lease_acquire, feed_lease_release, live_settings
from .models import ACTIVE_STATUSES, LiveSession
from .services import sessions_feed_halted
from .ticks import TickRecorder

logger = logging.getLogger(__name__)
MARKET = (LiveSession.Feed.MARKET,)
TOKEN_RECHECK_SECONDS = 30.0
SUBSCRIPTIONS_SECONDS = 5.0
LEVELS_SECONDS = 1.0


def dhan_lease_name(client_id: str) -> str:
    """One lease per Dhan login, named without the client id itself."""
    return "dhan:" + hashlib.sha256(client_id.encode()).hexdigest()[:16]


class MarketFeed:
    def __init__(
        self,
        *,
        account_id: int,
        record: Iterable[int] = (),
        stop: threading.Event | None = None,
        settings: FeedSettings | None = None,
        guard: TickGuard | None = None,
        recorder: TickRecorder | None = None,
        holder: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        watchdog_active: Callable[[], bool] | None = None,
    ) -> None:
        live = live_settings()
        self.account_id = account_id
        self.record = tuple(record)
        self.stop = stop or threading.Event()
        self.settings = settings or FeedSettings.from_settings(live)
        self.guard = guard or TickGuard()
        self.recorder = recorder or TickRecorder(
            batch=int(live.get("RECORD_BATCH", 2000)),
            flush_seconds=float(live.get("RECORD_FLUSH_SECONDS", 1)),
        )
        self.lease_seconds = float(live["LEASE_SECONDS"])
        self.ltt_ist = bool(live.get("DHAN_LTT_IST", True))
        self.holder = holder or holder_name()
        self.clock = clock
        self.watchdog_active = watchdog_active
        self.halts: list[str] = []
        self.client: DhanFeedClient | None = None
        self._ids: dict[tuple[int, int], int] = {}
        self._subs: set[tuple[str, str]] = set()
        self._name = ""
        self._due: dict[str, float] = {}
        self._exchange_ns = 0

    # --- the process loop ---------------------------------------------------------------------
    def run(self, *, poll: float = 1.0) -> None:
        """Lead (lease), serve, and after a halt wait for reconnected credentials; until stop."""
        waiting = False
        while not self.stop.is_set():
            close_old_connections()
            account = BrokerAccount.objects.get(pk=self.account_id)
            if account.status == BrokerAccount.Status.TOKEN_EXPIRED:
                if not waiting:
                    logger.warning("dhan feed: account %s needs reconnecting; waiting", account.pk)
                waiting = True
                self.stop.wait(TOKEN_RECHECK_SECONDS)
                continue
            waiting = False
            credentials = account_credentials(account)
            client_id = str(credentials.get("client_id", ""))
            self._name = dhan_lease_name(client_id)
            if not feed_lease_acquire(self._name, seconds=self.lease_seconds, holder=self.holder):
                self.stop.wait(poll)
                continue
            logger.info("dhan feed: leading %s (%s)", self._name, self.holder)
            try:
                self._serve(client_id, str(credentials.get("access_token", "")))
            except FeedHalted as exc:
                self._halt(account, exc)
            finally:
                del credentials
                self.recorder.flush(final=True)
                feed_lease_release(self._name, holder=self.holder)
                self.client = None

    def _serve(self, client_id: str, token: str) -> None:
        self._refresh_subscriptions()
        self.guard.refresh(feeds=MARKET)
        now = self.clock()
        self._due = {"lease": now, "levels": now, "subs": now}
        extra: dict[str, Any] = {}
        if self.watchdog_active is not None:
            extra["watchdog_active"] = self.watchdog_active
        self.client = DhanFeedClient(
            client_id=client_id,
            token=token,
            wanted=lambda: self._subs,
            on_ticks=self.on_ticks,
            on_idle=self.on_idle,
            stop=self.stop,
            settings=self.settings,
            **extra,
        )
        self.client.run()

    def _halt(self, account: BrokerAccount, exc: FeedHalted) -> None:
        logger.error("dhan feed halted: %s", exc.message)
        self.halts.append(exc.message)
        account_token_failed(account=account, message=exc.message)
        sessions_feed_halted(
            message=f"market feed halted: {exc.message}; reconnect the Dhan account"
        )

    # --- called by the client between frames --------------------------------------------------
    def on_ticks(self, ticks: list[Tick]) -> None:
        ids, ist = self._ids, self.ltt_ist
        for t in ticks:
            iid = ids.get((t.segment, t.security_id))
            if iid is None:
                continue  # not ours (an unsubscribe still in flight)
            ts = ltt_to_ns(t.ltt, ist=ist)
            if ts > self._exchange_ns:
                self._exchange_ns = ts
            self.recorder.tick(iid, ts, t.ltp, t.volume)
            self.guard.tick(iid, t.ltp)

    def on_idle(self) -> bool:
        now = self.clock()
        if now >= self._due["lease"]:
            if not feed_lease_acquire(self._name, seconds=self.lease_seconds, holder=self.holder):
                logger.warning("dhan feed: lease %s lost; closing the socket", self._name)
                return False
            self._due["lease"] = now + self.lease_seconds / 3
        if self._exchange_ns:
            self.recorder.close_due(self._exchange_ns)
        self.recorder.flush_due()
        if now >= self._due["levels"]:
            self.guard.refresh(feeds=MARKET)
            self._due["levels"] = now + LEVELS_SECONDS
        if now >= self._due["subs"]:
            self._refresh_subscriptions()
            self._due["subs"] = now + SUBSCRIPTIONS_SECONDS
        return True

    def _refresh_subscriptions(self) -> None:
        """The instruments to record plus those of active market sessions."""
        session_iids = LiveSession.objects.filter(
            status__in=ACTIVE_STATUSES, feed=LiveSession.Feed.MARKET
        ).values_list("instrument_id", flat=True)
        rows = Instrument.objects.filter(pk__in=[*self.record, *session_iids]).values_list(
            "pk", "segment", "security_id"
        )
        ids: dict[tuple[int, int], int] = {}
        subs: set[tuple[str, str]] = set()
        for pk, segment, security_id in rows:
            if segment not in SEGMENTS or not str(security_id).isdigit():
                logger.warning("dhan feed: instrument %s has no Dhan security id; skipped", pk)
                continue
            ids[(SEGMENTS[segment], int(security_id))] = pk
            subs.add((segment, str(security_id)))
        self._ids, self._subs = ids, subs
