"""The daily drift report: a session day's trades against a backtest of the same bars.

After each session day (beat ``live-drift-reports`` after the square-off, and on demand from
``GET /api/live/sessions/{id}/drift``) the session's trades of that IST day are compared with
a backtest of the same strategy version, risk overrides and simulation settings over the bars
the session itself read (its steps, from its first bar, so indicators warm up as the session's
did). Per trade: entry and exit prices on both sides, slippage (points against us) and the P&L
difference; trades only one side made are listed as unmatched. Stored per (session, day) and
rebuilt when the day has gained steps since. docs/live.md "Drift report".
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from django.db.models import Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from algobacktester.errors import NotFound
from engine.backtest import run_backtest
from engine.bars import Bars
from engine.markets.calendar import IST
from engine.markets.calendar import session as market_session
from engine.sim import layout as L
from trades.models import Fill, OrderStatus

from .models import ACTIVE_STATUSES, DriftReport, LiveSession, SessionOrder, SessionStep
from .services import _graph_with, dt_ns, sim_config

logger = logging.getLogger(__name__)
NS = 1_000_000_000
# Sessions touched this recently are swept by the beat task (a replay's days are old dates).
SWEEP_DAYS = 2


# --- reading ----------------------------------------------------------------------------------
def drift_get(*, session: LiveSession, day: date | None = None) -> DriftReport:
    """The report of ``day`` (default: the session's last day), built or rebuilt if the day
    has steps it does not cover yet. 404 naming ``day`` when the session has no such day."""
    if day is None:
        if session.last_bar is None:
            raise NotFound({"day": ["the session has not run a bar yet: no drift report"]})
        day = session.last_bar.astimezone(IST).date()
    start, end = _day_bounds(day)
    bars = SessionStep.objects.filter(session=session, bar_ts__gte=start, bar_ts__lt=end).count()
    if not bars:
        raise NotFound({"day": [f"the session ran no bar on {day.isoformat()}"]})
    stored = DriftReport.objects.filter(session=session, day=day).first()
    if stored is not None and stored.bars == bars:
        return stored
    return drift_build(session=session, day=day)


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=IST)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


# --- building ---------------------------------------------------------------------------------
def drift_build(*, session: LiveSession, day: date) -> DriftReport:
    """Compare ``day`` of ``session`` with a backtest of its bars and store the report."""
    start, end = _day_bounds(day)
    rows = list(
        SessionStep.objects.filter(session=session, bar_ts__lt=end)
        .order_by("seq")
        .values_list("bar", flat=True)
    )
    lo, hi = dt_ns(start), dt_ns(end)
    day_bars = sum(1 for b in rows if lo <= int(b[0]) < hi)
    if not day_bars:
        raise NotFound({"day": [f"the session ran no bar on {day.isoformat()}"]})
    backtest = [t for t in _backtest_trades(session, rows) if _on_day(t, lo, hi)]
    live = [t for t in _live_trades(session, end) if _on_day(t, lo, hi)]
    report = _compare(live, backtest)
    report["day"] = day.isoformat()
    report["bars"] = day_bars
    obj, _ = DriftReport.objects.update_or_create(
        session=session, day=day, defaults={"bars": day_bars, "report": report}
    )
    return obj


def _on_day(trade: dict[str, Any], lo: int, hi: int) -> bool:
    """A trade belongs to the day it entered or exited on."""
    return any(t is not None and lo <= t < hi for t in (trade["entry_ts"], trade["exit_ts"]))


def _backtest_trades(session: LiveSession, rows: list[list[float]]) -> list[dict[str, Any]]:
    """The backtest's trades over the session's bars, plus the position still open."""
    a = np.asarray(rows, dtype=np.float64)
    bars = Bars.from_arrays(a[:, 0].astype(np.int64), a[:, 1], a[:, 2], a[:, 3], a[:, 4], a[:, 5])
    graph = _graph_with(session.strategy_version, session.risk_overrides)
    result = run_backtest(bars, graph, sim_config(session))
    out = []
    for t in result.trades.to_records():
        out.append(
            {
                "side": 1 if t["side"] == "long" else -1,
                "quantity": float(t["qty"]),
                "entry_ts": int(bars.ts[t["entry_bar"]]),
                "entry_price": t["entry_price"],
                "exit_ts": int(bars.ts[t["exit_bar"]]),
                "exit_price": t["exit_price"],
                "exit_reason": t["exit_reason"],
            }
        )
    st = result.sim.state
    if st[L.S_QTY] != 0:
        out.append(
            {
                "side": 1 if st[L.S_QTY] > 0 else -1,
                "quantity": float(abs(st[L.S_QTY])),
                "entry_ts": int(bars.ts[int(st[L.S_ENTRY_BAR])]),
                "entry_price": float(st[L.S_AVG]),
                "exit_ts": None,
                "exit_price": None,
                "exit_reason": None,
            }
        )
    return out


def _live_trades(session: LiveSession, end: datetime) -> list[dict[str, Any]]:
    """The session's orders paired into trades (an exit closes the open entry), with the
    broker's fill prices; a position still open has no exit."""
    intents = list(
        SessionOrder.objects.filter(session=session, bar_ts__lt=end)
        .select_related("order")
        .order_by("id")
    )
    charges = dict(
        Fill.objects.filter(order__in=[i.order_id for i in intents])
        .values("order")
        .annotate(c=Sum("charges"))
        .values_list("order", "c")
    )
    out: list[dict[str, Any]] = []
    open_trade: dict[str, Any] | None = None
    for i in intents:
        order = i.order
        filled = order.status == OrderStatus.FILLED or order.filled_quantity > 0
        price = float(order.average_price) if filled and order.average_price is not None else None
        fee = float(charges.get(order.pk) or Decimal(0))
        if i.intent == "entry":
            open_trade = {
                "side": 1 if order.side == "BUY" else -1,
                "quantity": float(order.filled_quantity or i.engine_quantity),
                "entry_ts": dt_ns(i.bar_ts),
                "entry_price": price,
                "entry_order": order.pk,
                "exit_ts": None,
                "exit_price": None,
                "exit_reason": None,
                "exit_order": None,
                "charges": fee,
            }
            out.append(open_trade)
        elif open_trade is not None:
            # A tick exit is recorded at its position's entry bar (its client id's key).
            exit_ts = dt_ns(i.bar_ts)
            open_trade.update(
                exit_ts=exit_ts,
                exit_price=price,
                exit_reason=i.reason or "signal",
                exit_order=order.pk,
                charges=open_trade["charges"] + fee,
            )
            open_trade = None
    return out


def _compare(live: list[dict[str, Any]], backtest: list[dict[str, Any]]) -> dict[str, Any]:
    """Trades matched by (entry bar, side); per trade slippage and P&L difference."""
    by_key = {(t["entry_ts"], t["side"]): t for t in backtest}
    trades, unmatched_live = [], []
    for t in live:
        b = by_key.pop((t["entry_ts"], t["side"]), None)
        if b is None:
            unmatched_live.append(_shown_trade(t))
        else:
            trades.append(_pair(t, b))
    unmatched_backtest = [_shown_trade(b) for b in by_key.values()]
    pnl_live = sum(_gross(t) or 0.0 for t in live)
    pnl_backtest = sum(_gross(b) or 0.0 for b in backtest)
    return {
        "summary": {
            "live_trades": len(live),
            "backtest_trades": len(backtest),
            "matched": len(trades),
            "unmatched_live": len(unmatched_live),
            "unmatched_backtest": len(unmatched_backtest),
            "pnl_live": _r(pnl_live),
            "pnl_backtest": _r(pnl_backtest),
            "pnl_difference": _r(pnl_live - pnl_backtest),
            "slippage": _r(sum(t["slippage"] for t in trades)),
            "charges_live": _r(sum(t.get("charges", 0.0) for t in live)),
        },
        "trades": trades,
        "unmatched_live": unmatched_live,
        "unmatched_backtest": unmatched_backtest,
    }


def _pair(live: dict[str, Any], bt: dict[str, Any]) -> dict[str, Any]:
    side, qty = live["side"], live["quantity"]
    entry_slip = _slip(side, live["entry_price"], bt["entry_price"])
    exit_slip = _slip(-side, live["exit_price"], bt["exit_price"])
    pnl_live, pnl_bt = _gross(live), _gross(bt)
    slippage = sum(s for s in (entry_slip, exit_slip) if s is not None) * qty
    return {
        **_shown_trade(live),
        "backtest_entry_price": bt["entry_price"],
        "backtest_exit_price": bt["exit_price"],
        "backtest_exit_reason": bt["exit_reason"],
        "backtest_exit_time": _iso(bt["exit_ts"]),
        "entry_slippage": _r(entry_slip),
        "exit_slippage": _r(exit_slip),
        "slippage": _r(slippage),
        "pnl_live": _r(pnl_live),
        "pnl_backtest": _r(pnl_bt),
        "pnl_difference": _r(pnl_live - pnl_bt)
        if pnl_live is not None and pnl_bt is not None
        else None,
    }


def _slip(side: int, live: float | None, engine: float | None) -> float | None:
    """Points the fill was worse than the backtest's (negative: better). ``side`` is the
    order's: +1 a buy (paying more is worse), -1 a sell."""
    if live is None or engine is None:
        return None
    return side * (live - engine)


def _gross(t: dict[str, Any]) -> float | None:
    if t["entry_price"] is None or t["exit_price"] is None:
        return None
    return t["side"] * (t["exit_price"] - t["entry_price"]) * t["quantity"]


def _shown_trade(t: dict[str, Any]) -> dict[str, Any]:
    return {
        "side": "long" if t["side"] > 0 else "short",
        "quantity": t["quantity"],
        "entry_time": _iso(t["entry_ts"]),
        "entry_price": t["entry_price"],
        "exit_time": _iso(t["exit_ts"]),
        "exit_price": t["exit_price"],
        "exit_reason": t["exit_reason"],
    }


def _iso(ts: int | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts / NS, tz=UTC).isoformat()


def _r(x: float | None) -> float | None:
    return None if x is None else round(float(x), 4)


# --- the beat sweep ----------------------------------------------------------------------------
def drift_reports_due(*, now: datetime | None = None) -> int:
    """Build the reports of every finished session day that has none or an outdated one
    (sessions touched in the last two days). Returns how many were built."""
    now = now or timezone.now()
    built = 0
    sessions = LiveSession.objects.filter(
        updated_at__gte=now - timedelta(days=SWEEP_DAYS), last_bar__isnull=False
    ).select_related("strategy_version", "instrument", "account")
    for session in sessions:
        for day in _finished_days(session, now):
            try:
                drift_get(session=session, day=day)
                built += 1
            except Exception:  # one session's bad data must not stop the others' reports
                logger.exception("drift report of session %s on %s failed", session.pk, day)
    return built


def _finished_days(session: LiveSession, now: datetime) -> list[date]:
    """Days with steps that are over: a later day has steps, the session is no longer
    active, or the wall clock is past that day's close."""
    days = sorted(
        SessionStep.objects.filter(session=session, bar_ts__gte=_sweep_from(session))
        .annotate(d=TruncDate("bar_ts", tzinfo=IST))
        .order_by("d")  # not the model's (session, seq): that would defeat DISTINCT
        .values_list("d", flat=True)
        .distinct()
    )
    out = []
    for k, d in enumerate(days):
        later = k + 1 < len(days)
        if later or session.status not in ACTIVE_STATUSES or now >= _close_of(d):
            out.append(d)
    return [d for d in out if not _current(session, d)]


def _sweep_from(session: LiveSession) -> datetime:
    assert session.last_bar is not None
    return session.last_bar - timedelta(days=SWEEP_DAYS + 1)


def _close_of(day: date) -> datetime:
    s = market_session(day)
    close = s.close if s is not None else time(15, 30)
    return datetime.combine(day, close, tzinfo=IST)


def _current(session: LiveSession, day: date) -> bool:
    """A stored report that already covers every step of the day."""
    start, end = _day_bounds(day)
    q = Q(session=session, day=day)
    stored = DriftReport.objects.filter(q).values_list("bars", flat=True).first()
    if stored is None:
        return False
    return (
        stored
        == SessionStep.objects.filter(session=session, bar_ts__gte=start, bar_ts__lt=end).count()
    )
