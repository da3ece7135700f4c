"""The feed: plays stored candles as bar closes (replay), checks ticks against protective
levels, and holds a leader lease so one feed runs per broker login.

Each bar close becomes one ``live.tasks.session_step_task`` per subscribed session on the
``live`` queue; the feed itself never runs a strategy. Bars are sent in order; a bar whose
task is lost is caught up by the session's next step from stored candles.

Run it as ``manage.py live_feed`` (Procfile/compose ``feed``). In embedded mode (eager
Celery, ``make run``) starting a replay session starts its replay in a daemon thread of the
web process instead (:func:`embedded_replay_start`), so a paper session works with no other
process; docs/live.md.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone

from engine.live import exit_bounds, tick_exit
from marketdata.timeframes import MINUTES
from workers.leases import holder_name

from .models import ACTIVE_STATUSES, FeedLease, LiveSession
from .services import replay_bars

logger = logging.getLogger(__name__)


def live_settings() -> dict[str, Any]:
    return {
        "EMBEDDED_FEED": settings.CELERY_TASK_ALWAYS_EAGER,
        "LEASE_SECONDS": 15,
        **getattr(settings, "LIVE", {}),
    }


# --- the leader lease ---------------------------------------------------------------------------
def feed_lease_acquire(name: str, *, seconds: float, holder: str | None = None) -> bool:
    """Take or renew the lease of feed ``name`` (one conditional UPDATE); False while another
    live holder has it."""
    holder = holder or holder_name()
    now = timezone.now()
    until = now + timedelta(seconds=seconds)
    try:
        with transaction.atomic():
            FeedLease.objects.get_or_create(name=name)
    except IntegrityError:
        pass  # created by the other copy meanwhile
    return bool(
        FeedLease.objects.filter(name=name)
        .filter(Q(holder=holder) | Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(holder=holder, lease_until=until)
    )


def feed_lease_release(name: str, *, holder: str | None = None) -> None:
    FeedLease.objects.filter(name=name, holder=holder or holder_name()).update(lease_until=None)


# --- replay --------------------------------------------------------------------------------------
def send_step(session_id: int, bar: list[float], next_ts: int | None) -> None:
    from .tasks import session_step_task

    session_step_task.delay(session_id, bar, next_ts)


def play_session(
    session_id: int,
    *,
    speed: float | None = None,
    send: Callable[[int, list[float], int | None], None] = send_step,
    sleep: Callable[[float], None] = time.sleep,
    should_stop: Callable[[], bool] = lambda: False,
) -> int:
    """Play a replay session's bars after its last one, in order, ``speed`` times real time
    (0: as fast as possible); stop when the session stops running. Returns bars sent."""
    session = LiveSession.objects.select_related("instrument").get(pk=session_id)
    speed = float(session.replay.get("speed", 60.0)) if speed is None else speed
    gap = MINUTES[session.timeframe] * 60 / speed if speed > 0 else 0.0
    last = session.last_bar
    sent = 0
    for bar, nxt in replay_bars(session):
        if last is not None and bar.ts <= int(last.timestamp()) * 1_000_000_000:
            continue
        if should_stop() or not _still_active(session_id):
            break
        send(session_id, list(bar.row()), nxt)
        sent += 1
        if gap:
            sleep(gap)
    return sent


def _still_active(session_id: int) -> bool:
    return LiveSession.objects.filter(pk=session_id, status__in=ACTIVE_STATUSES).exists()


class ReplayFeed:
    """Every active replay session, each at its own speed, from one process (``live_feed``)."""

    def __init__(
        self,
        *,
        send: Callable[[int, list[float], int | None], None] = send_step,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.send, self.clock = send, clock
        self._queues: dict[int, list[tuple[Any, int | None]]] = {}
        self._due: dict[int, float] = {}
        self._gap: dict[int, float] = {}

    def tick(self) -> int:
        """Send every bar that is due now; pick up started sessions, drop stopped ones."""
        active = set(
            LiveSession.objects.filter(
                status__in=ACTIVE_STATUSES, feed=LiveSession.Feed.REPLAY
            ).values_list("pk", flat=True)
        )
        for gone in set(self._queues) - active:
            self._queues.pop(gone), self._due.pop(gone, None), self._gap.pop(gone, None)
        for sid in active - set(self._queues):
            self._load(sid)
        sent, now = 0, self.clock()
        for sid, queue in self._queues.items():
            while queue and self._due[sid] <= now:
                bar, nxt = queue.pop(0)
                self.send(sid, list(bar.row()), nxt)
                sent += 1
                self._due[sid] += self._gap[sid]
        return sent

    def _load(self, sid: int) -> None:
        session = LiveSession.objects.get(pk=sid)
        last = session.last_bar
        after = int(last.timestamp()) * 1_000_000_000 if last else None
        self._queues[sid] = [
            (b, n) for b, n in replay_bars(session) if after is None or b.ts > after
        ]
        speed = float(session.replay.get("speed", 60.0))
        self._gap[sid] = MINUTES[session.timeframe] * 60 / speed if speed > 0 else 0.0
        self._due[sid] = self.clock()


def run_feed(
    *,
    name: str = "replay",
    once: bool = False,
    poll: float = 0.2,
    stop: threading.Event | None = None,
) -> None:
    """The ``live_feed`` loop: hold the leader lease, play due bars; a second copy waits."""
    stop = stop or threading.Event()
    seconds = float(live_settings()["LEASE_SECONDS"])
    feed = ReplayFeed()
    leading = False
    while not stop.is_set():
        close_old_connections()
        if feed_lease_acquire(name, seconds=seconds):
            if not leading:
                logger.info("feed %s: leading (%s)", name, holder_name())
            leading = True
            feed.tick()
        elif leading or once:
            logger.info("feed %s: another copy leads; waiting", name)
            leading = False
        if once:
            break
        stop.wait(poll)
    if leading:
        feed_lease_release(name)


# --- embedded mode ------------------------------------------------------------------------------
_THREADS: dict[int, threading.Thread] = {}


def embedded_replay_start(session_id: int) -> bool:
    """Eager Celery (``make run``): play the session's replay in a daemon thread here."""
    if not live_settings()["EMBEDDED_FEED"]:
        return False
    old = _THREADS.get(session_id)
    if old is not None and old.is_alive():
        return False

    def play() -> None:
        try:
            play_session(session_id)
        except Exception:  # a thread's failure is logged; the session's events tell the user
            logger.exception("embedded replay of session %s failed", session_id)
        finally:
            close_old_connections()

    thread = threading.Thread(target=play, name=f"live-replay-{session_id}", daemon=True)
    _THREADS[session_id] = thread
    transaction.on_commit(thread.start)
    return True


# --- ticks between bars --------------------------------------------------------------------------
class TickGuard:
    """Checks each tick against the protective levels the sessions' last steps published and
    enqueues one exit per (session, position); the exit itself is idempotent too.

    Per instrument the levels are kept as arrays of "no exit strictly between" bounds
    (:func:`engine.live.exit_bounds`), so a tick costs one vectorised comparison however many
    sessions watch the instrument; :func:`engine.live.tick_exit` decides for the few outside
    (the engine's priority)."""

    def __init__(self, send: Callable[[int, int, str, float], None] | None = None) -> None:
        self.send = send or _send_exit
        self._levels: dict[int, _Watch] = {}
        self._sent: set[tuple[int, int]] = set()  # (session, position) whose exit was sent

    def refresh(self, *, feeds: tuple[str, ...] | None = None) -> None:
        """Re-read the levels of active sessions (of ``feeds`` only, when given)."""
        rows = LiveSession.objects.filter(status__in=ACTIVE_STATUSES, levels__isnull=False)
        if feeds is not None:
            rows = rows.filter(feed__in=feeds)
        self.load(rows.values_list("pk", "instrument_id", "levels"))

    def load(self, rows: Iterable[tuple[int, int, dict[str, Any]]]) -> None:
        grouped: dict[int, list[tuple[int, dict[str, Any]]]] = {}
        for sid, iid, levels in rows:
            grouped.setdefault(iid, []).append((sid, levels))
        live = {(sid, int(lv["position_bar"])) for items in grouped.values() for sid, lv in items}
        self._sent = {k for k in self._sent if k in live}  # closed positions forgotten
        self._levels = {iid: _Watch(items, self._sent) for iid, items in grouped.items()}

    def tick(self, instrument_id: int, price: float) -> int:
        watch = self._levels.get(instrument_id)
        if watch is None:
            return 0
        sent = 0
        for i in watch.outside(price):
            sid, levels = watch.items[i]
            reason = tick_exit(levels, price)
            if reason is None:
                continue
            position = int(levels["position_bar"])
            self._sent.add((sid, position))
            watch.mute(i)  # its exit is on the way: nothing more to check for this position
            self.send(sid, position, reason, price)
            sent += 1
        return sent


class _Watch:
    """The sessions watching one instrument and their exit bounds: arrays for many sessions,
    plain lists for a few (numpy's per-call cost exceeds a short loop)."""

    __slots__ = ("hi", "items", "lo", "small")
    SMALL = 16

    def __init__(self, items: list[tuple[int, dict[str, Any]]], sent: set[tuple[int, int]]) -> None:
        self.items = items
        bounds = [
            (-math.inf, math.inf) if (sid, int(lv["position_bar"])) in sent else exit_bounds(lv)
            for sid, lv in items
        ]
        self.small = len(items) <= self.SMALL
        if self.small:
            self.lo, self.hi = [b[0] for b in bounds], [b[1] for b in bounds]
        else:
            arr = np.array(bounds, dtype=np.float64).reshape(-1, 2)
            self.lo, self.hi = arr[:, 0].copy(), arr[:, 1].copy()

    def outside(self, price: float) -> Iterable[int]:
        if self.small:
            lo, hi = self.lo, self.hi
            return [i for i in range(len(lo)) if price <= lo[i] or price >= hi[i]]
        return np.flatnonzero((price <= self.lo) | (price >= self.hi)).tolist()

    def mute(self, i: int) -> None:
        self.lo[i], self.hi[i] = -math.inf, math.inf


def _send_exit(session_id: int, position_bar: int, reason: str, price: float) -> None:
    from .tasks import session_tick_exit_task

    session_tick_exit_task.delay(session_id, position_bar, reason, price)
