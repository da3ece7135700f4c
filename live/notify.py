"""What a trader is told about a session: entries, exits and guardrails, in plain words.

Events go on the bus (``live.entry``, ``live.exit``, ``live.guardrail``); notifications routes
them by the user's preferences and rules, as it does ``backtest.finished`` (docs/notifications.md).
``data["message"]`` leads the alert's body, so it is a sentence a person reads on a phone.
Each event has a key naming its instance, so a step done again notifies nobody twice.

The feed watch (:func:`feed_watch`, beat ``live-feed-watch``) tells the owners of running
replay sessions when no feed process holds the lease: their sessions get no bars.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from algobacktester.bus import Event, emit
from engine.live import LiveRunner
from engine.markets.calendar import IST
from engine.sim import layout as L

from .models import ACTIVE_STATUSES, FeedLease, LiveSession, SessionEvent

NS = 1_000_000_000
REASONS = {
    "": "signal",
    "signal": "exit signal",
    "stop": "stop loss",
    "target": "target",
    "trailing": "trailing stop",
    "square_off": "square-off",
    "guardrail": "max loss guardrail",
}


def name_of(session: LiveSession) -> str:
    return session.name or session.strategy_version.strategy.name


def label(session: LiveSession) -> str:
    """``"ORB" (session 12) on NIFTY 1m`` : how a message names a session."""
    return f'"{name_of(session)}" (session {session.pk}) on {session.instrument.symbol} {session.timeframe}'


def _bar_time(bar_ts: int) -> str:
    return (
        datetime.fromtimestamp(bar_ts / NS, tz=UTC).astimezone(IST).strftime("%H:%M IST %d %b %Y")
    )


# --- entries and exits ----------------------------------------------------------------------------
def order_notify(
    session: LiveSession,
    *,
    intent: str,
    side: str,
    lots: int,
    reason: str,
    price: float,
    bar_ts: int,
    client_id: str,
) -> None:
    """An entry or exit the session sent to the broker (the fill is ``order.filled``)."""
    verb = "bought" if side == "BUY" else "sold"
    what = "entered" if intent == "entry" else f"exited ({REASONS.get(reason, reason)})"
    units = lots * session.instrument.lot_size
    message = (
        f"{label(session)} {what}: {verb} {lots} lot(s) ({units} units) at market, "
        f"near {price:,.2f}, on the {_bar_time(bar_ts)} bar."
    )
    data: dict[str, Any] = {
        "message": message,
        "name": name_of(session),
        "session": session.pk,
        "instrument": session.instrument.symbol,
        "side": side,
        "lots": lots,
        "price": price,
    }
    if intent == "exit":
        data["reason"] = REASONS.get(reason, reason)
    kind = "live.entry" if intent == "entry" else "live.exit"
    emit(Event(type=kind, user_id=session.owner_id, key=f"{kind}:{client_id}", data=data))


# --- guardrails -----------------------------------------------------------------------------------
def guardrail_notify(
    session: LiveSession, *, kind: str, message: str, key: str, **extra: Any
) -> None:
    """A guardrail hit: ``kind`` is halted, reconciliation, daily_loss, feed_down, schedule."""
    emit(
        Event(
            type="live.guardrail",
            user_id=session.owner_id,
            key=f"live.guardrail:{kind}:{key}",
            data={
                "message": message[:500],
                "name": name_of(session),
                "session": session.pk,
                "guardrail": kind,
                "halted": kind in ("halted", "reconciliation"),
                **extra,
            },
        )
    )


def halt_notify(session: LiveSession, reason: str, *, reconciliation: bool = False) -> None:
    """The session halted itself (a refused order, a rebuild that differs, a mismatch with
    the broker): it does not trade again."""
    kind = "reconciliation" if reconciliation else "halted"
    why = "its position does not match the broker's" if reconciliation else "a guardrail"
    guardrail_notify(
        session,
        kind=kind,
        key=str(session.pk),
        reason=reason[:300],
        message=f"{label(session)} halted ({why}) and will not trade again: {reason}. "
        "Check the account, then stop it and start a new session.",
    )


def day_blocked(runner: LiveRunner) -> float | None:
    """The IST day the state machine stopped entries on for its daily max loss, or None."""
    st = runner.sim.state
    return float(st[L.S_DAY]) if st[L.S_DAY_BLOCKED] > 0 else None


def day_loss_notify(session: LiveSession, *, bar_ts: int, day_pnl: float) -> None:
    day = datetime.fromtimestamp(bar_ts / NS, tz=UTC).astimezone(IST).date()
    guardrail_notify(
        session,
        kind="daily_loss",
        key=f"{session.pk}:{day.isoformat()}",
        message=f"{label(session)} hit its daily max loss (realised {day_pnl:,.2f} today) on the "
        f"{_bar_time(bar_ts)} bar: no more entries today, any open position is closed.",
    )


# --- the feed watch -------------------------------------------------------------------------------
def feed_watch(*, now: datetime | None = None, grace_seconds: float = 60.0) -> int:
    """Tell each owner of a running replay session once per outage that no feed process holds
    a lease (none was ever started, or the last stopped renewing ``grace_seconds`` ago).
    Returns how many sessions were told. Embedded mode plays replays in-process: no watch."""
    from .feed import live_settings

    if live_settings()["EMBEDDED_FEED"]:
        return 0
    now = now or timezone.now()
    alive = Q(lease_until__gte=now - timedelta(seconds=grace_seconds))
    if FeedLease.objects.filter(alive).exists():
        return 0
    last = FeedLease.objects.order_by("-lease_until").values_list("lease_until", flat=True).first()
    outage = last.isoformat() if last else "never started"
    since = f"since {last.astimezone(IST):%H:%M IST %d %b %Y}" if last else "(none was started)"
    told = 0
    sessions = LiveSession.objects.filter(
        status__in=ACTIVE_STATUSES, feed=LiveSession.Feed.REPLAY
    ).select_related("strategy_version__strategy", "instrument")
    for session in sessions:
        with transaction.atomic():
            message = (
                f"The live feed is down {since}: {label(session)} gets no bars, so it neither "
                "enters nor exits on signals. Start the feed (manage.py live_feed); missed "
                "bars are caught up from stored candles."
            )
            _, created = SessionEvent.objects.get_or_create(
                session=session,
                kind=SessionEvent.Kind.GUARDRAIL,
                message=f"feed down {since}"[:300],
                defaults={"data": {"guardrail": "feed_down"}},
            )
            if not created:
                continue  # told about this outage already
            guardrail_notify(
                session, kind="feed_down", key=f"{session.pk}:{outage}", message=message
            )
        told += 1
    return told
