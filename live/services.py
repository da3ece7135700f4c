"""Writes of live sessions: create, control, and the step that runs one bar exactly once.

A step (:func:`step_execute`) is one short transaction holding the session's row lock:
it checks the (session, bar) step is new, catches up any stored bars the session missed,
feeds the bar to the session's :class:`engine.live.LiveRunner`, writes the step, the events
and an order intent for every fill with a deterministic client id, and saves the session's
state. Orders are submitted by the trades layer after commit (``order_execute(submit="task")``).
A duplicated or redelivered step task finds its step row and changes nothing; a worker killed
mid-step rolls the whole step back, and the redelivered task does it again from the start.
docs/adr/0016-live-sessions.md.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from algobacktester.accounts.models import User
from algobacktester.bus import Event, emit
from algobacktester.errors import ApplicationError, Conflict, InvalidInput, NotFound
from engine.graph import GraphValidationError, compile_graph
from engine.live import Bar, LiveRunner
from engine.sim import SimConfig
from engine.sim.config import Sizing, Slippage
from marketdata import selectors as md
from marketdata.models import Instrument
from marketdata.timeframes import MINUTES
from strategies.models import StrategyVersion
from strategies.selectors import strategy_version_get
from trades.models import BrokerAccount, Order, OrderStatus, Product
from trades.services.orders import account_of, client_id_for, order_execute
from workers.leases import holder_name

from . import notify
from .models import ACTIVE_STATUSES, LiveSession, SessionEvent, SessionOrder, SessionStep
from .schedule import schedule_checked

logger = logging.getLogger(__name__)
Status = LiveSession.Status
NS = 1_000_000_000
DEFAULT_CAPITAL = Decimal("500000")
SETTLED = (OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.EXPIRED)
LEG = "main"  # the strategy's own instrument; option legs will add their leg ids


# --- create ----------------------------------------------------------------------------------
def session_create(
    *,
    user: User,
    strategy_id: int,
    version: int | None,
    account_id: int,
    instrument_ref: int | str,
    timeframe: str | None = None,
    lots: int = 1,
    capital: Decimal | None = None,
    risk_overrides: dict[str, Any] | None = None,
    schedule: dict[str, Any] | None = None,
    feed: str = LiveSession.Feed.REPLAY,
    replay: dict[str, Any] | None = None,
    name: str = "",
) -> LiveSession:
    from backtests.services import runnable_timeframe  # the same runnable check as a backtest

    try:
        strategy_version = strategy_version_get(user=user, strategy_id=strategy_id, number=version)
    except Http404 as exc:
        raise NotFound(
            {"strategy": [f"you have no strategy {strategy_id} (version {version})"]}
        ) from exc
    tf = runnable_timeframe(strategy_version, timeframe)
    if tf not in MINUTES or tf == "1d":
        raise InvalidInput({"timeframe": [f"live sessions run on intraday bars, not {tf}"]})
    account = account_of(user=user, account_id=account_id)
    instrument = md.instrument_by_ref(ref=instrument_ref)
    if feed != LiveSession.Feed.REPLAY:
        raise InvalidInput(
            {"feed": ["the broker market feed (Dhan v2) is not available yet; use feed=replay"]}
        )
    if account.broker != "paper":
        raise InvalidInput({"account": ["a replay session trades a paper account only"]})
    if lots < 1:
        raise InvalidInput({"lots": ["must be at least 1"]})
    overrides = risk_overrides or {}
    graph = _graph_with(strategy_version, overrides)  # refuses a bad override, naming it
    schedule = schedule_checked(schedule, square_off=graph.risk.square_off)
    return LiveSession.objects.create(
        owner=user,
        name=name[:120],
        strategy_version=strategy_version,
        account=account,
        instrument=instrument,
        timeframe=tf,
        lots=lots,
        risk_overrides=overrides,
        schedule=schedule,
        feed=feed,
        replay=_replay_checked(replay, instrument, tf),
        state={"capital": str(capital if capital is not None else DEFAULT_CAPITAL)},
    )


def _replay_checked(
    replay: dict[str, Any] | None, instrument: Instrument, tf: str
) -> dict[str, Any]:
    if not replay or "start" not in replay:
        raise InvalidInput({"replay.start": ["a replay session needs the first day to play"]})
    try:
        start = date.fromisoformat(str(replay["start"]))
        end = date.fromisoformat(str(replay.get("end", replay["start"])))
    except ValueError as exc:
        raise InvalidInput({"replay.start": ["dates are YYYY-MM-DD"]}) from exc
    if end < start:
        raise InvalidInput({"replay.end": ["must be on or after start"]})
    if (end - start).days > 366:
        raise InvalidInput({"replay.end": ["a replay spans at most a year"]})
    speed = replay.get("speed", 60.0)
    if isinstance(speed, bool) or not isinstance(speed, int | float) or not 0 <= speed <= 100_000:
        raise InvalidInput({"replay.speed": ["a number from 0 (as fast as possible) to 100000"]})
    unknown = set(replay) - {"start", "end", "speed"}
    if unknown:
        raise InvalidInput({f"replay.{sorted(unknown)[0]}": ["unknown field"]})
    if not len(_stored_bars(instrument.pk, tf, start, end)):
        raise InvalidInput(
            {"replay.start": [f"no stored {instrument.symbol} {tf} candles from {start} to {end}"]}
        )
    return {"start": start.isoformat(), "end": end.isoformat(), "speed": float(speed)}


def _graph_with(version: StrategyVersion, overrides: dict[str, Any]) -> Any:
    """The version's graph with the session's risk overrides, compiled (4xx names the key)."""
    doc = dict(version.graph)
    settings = dict(doc.get("settings", {}))
    settings["risk"] = {**settings.get("risk", {}), **overrides}
    doc["settings"] = settings
    try:
        return compile_graph(doc)
    except GraphValidationError as exc:
        errors = [
            {
                "field": "risk_overrides." + str(e.get("field", "")).removeprefix("settings.risk."),
                "message": e["message"],
            }
            for e in exc.errors
        ]
        raise InvalidInput(errors=errors) from exc


# --- control ---------------------------------------------------------------------------------
def session_start(*, session: LiveSession) -> LiveSession:
    if session.status not in (Status.DRAFT, Status.PAUSED, Status.STOPPED):
        raise Conflict({"status": [f"a {session.status} session cannot start"]})
    _check_startable(session)
    try:
        with transaction.atomic():
            changed = LiveSession.objects.filter(pk=session.pk, status=session.status).update(
                status=Status.RUNNING,
                status_reason="",
                started_at=session.started_at or timezone.now(),
            )
            if not changed:
                raise Conflict({"status": ["the session changed meanwhile; read it again"]})
            _event(session, "state", "started" if session.status != Status.PAUSED else "resumed")
    except IntegrityError as exc:
        raise Conflict(
            {
                "status": [
                    "another session of this strategy version already trades this "
                    "account and instrument: stop it first"
                ]
            },
            code="slot_taken",
        ) from exc
    session.refresh_from_db()
    _announce(session)
    from .feed import embedded_replay_start

    embedded_replay_start(session.pk)
    return session


def _check_startable(session: LiveSession) -> None:
    from backtests.services import check_executable

    check_executable(session.strategy_version)  # option legs: 400 until they trade live


def session_pause(*, session: LiveSession) -> LiveSession:
    return _move(session, (Status.RUNNING,), Status.PAUSED, "paused: no new entries")


def session_stop(*, session: LiveSession) -> LiveSession:
    out = _move(
        session,
        (Status.RUNNING, Status.PAUSED, Status.HALTED, Status.DRAFT),
        Status.STOPPED,
        "stopped",
    )
    LiveSession.objects.filter(pk=session.pk).update(stopped_at=timezone.now())
    return out


def _move(session: LiveSession, frm: tuple[str, ...], to: str, message: str) -> LiveSession:
    with transaction.atomic():
        if not LiveSession.objects.filter(pk=session.pk, status__in=frm).update(status=to):
            raise Conflict({"status": [f"a {session.status} session cannot become {to}"]})
        _event(session, "state", message)
    session.refresh_from_db()
    _announce(session)
    return session


def session_delete(*, session: LiveSession) -> None:
    if session.status in ACTIVE_STATUSES:
        raise Conflict({"status": ["stop the session before deleting it"]})
    if session.intents.exists():
        # its orders stay in the trades journal; the session's own rows go
        SessionOrder.objects.filter(session=session).delete()
    session.delete()


def session_square_off(*, session: LiveSession) -> LiveSession:
    """Exit the open position now (market) and pause: the next step closes the engine's
    position at that bar so the book follows the broker."""
    with transaction.atomic():
        locked = LiveSession.objects.select_for_update().get(pk=session.pk)
        if locked.status not in ACTIVE_STATUSES:
            raise Conflict({"status": [f"a {locked.status} session has nothing to square off"]})
        if not locked.levels or not locked.position:
            raise Conflict({"position": ["the session holds no position"]})
        _exit_now(locked, "square_off", float(locked.levels.get("average") or 0.0))
        locked.status = Status.PAUSED
        locked.save(update_fields=["state", "status", "updated_at"])
        _event(locked, "state", "squared off and paused")
    session.refresh_from_db()
    _announce(session)
    return session


def session_tick_exit(*, session_id: int, position_bar: int, reason: str, price: float) -> str:
    """The feed saw a tick cross a protective level: exit now, once per (position, reason).
    The exit shares its client id with the step's exit of the same position, so a step that
    then also closes it at the bar places nothing more."""
    with transaction.atomic():
        session = LiveSession.objects.select_for_update().filter(pk=session_id).first()
        if session is None or session.status not in ACTIVE_STATUSES:
            return "inactive"
        levels = session.levels or {}
        if not session.position or int(levels.get("position_bar") or 0) != position_bar:
            return "no such position"
        if session.state.get("force_exit") == position_bar:
            return "duplicate"
        _exit_now(session, reason, price)
        session.save(update_fields=["state", "updated_at"])
        _event(session, "guardrail", f"tick exit: {reason} at {price}", data={"reason": reason})
    return "exit"


def _exit_now(session: LiveSession, reason: str, price: float) -> None:
    levels = session.levels or {}
    position_bar = int(levels.get("position_bar") or 0)
    qty = abs(session.position)
    _place(
        session,
        intent="exit",
        side="SELL" if session.position > 0 else "BUY",
        quantity=qty,
        key_bar=position_bar,
        bar_ts=position_bar,
        reason=reason,
        price=price,
    )
    session.state = {**session.state, "force_exit": position_bar}


# --- the step ----------------------------------------------------------------------------------
_RUNNERS: dict[int, tuple[int, LiveRunner]] = {}  # session -> (steps, runner): this process's
_RUNNERS_LOCK = threading.Lock()


# What a step changes on the session row (an UPDATE of these only: the JSON of the rest is
# neither re-encoded nor re-sent on every bar).
STEP_FIELDS = (
    "state",
    "position",
    "average_price",
    "levels",
    "day_pnl",
    "last_bar",
    "steps",
    "status",
    "status_reason",
    "updated_at",
)
# session -> its strategy version (with the strategy), instrument and account: fixed for a
# session's life (the version is pinned), so a worker reads them once, not with every bar.
_RELATED: dict[int, tuple[Any, Any, Any]] = {}


def _session_locked(session_id: int) -> LiveSession | None:
    """The session's row under ``FOR UPDATE`` (that row only: the instrument and account rows
    other sessions share are not locked), its relations from this worker's cache."""
    related = _RELATED.get(session_id)
    qs = LiveSession.objects.select_for_update(of=("self",))
    if related is None:
        qs = qs.select_related("strategy_version__strategy", "instrument", "account")
    try:
        session = qs.get(pk=session_id)  # get(): no ORDER BY (the model's ordering)
    except LiveSession.DoesNotExist:
        return None
    if related is None:
        _RELATED[session_id] = (session.strategy_version, session.instrument, session.account)
    else:
        session.strategy_version, session.instrument, session.account = related
    return session


def step_execute(*, session_id: int, bar: list[float], next_ts: int | None) -> str:
    """Run one closed bar of one session exactly once; return what happened."""
    runner: LiveRunner | None = None
    with transaction.atomic():
        session = _session_locked(session_id)
        if session is None or session.status not in ACTIVE_STATUSES:
            return "inactive"
        ts = int(bar[0])
        when = ns_dt(ts)
        # Steps run in bar order under this lock, so a done step's bar is at or before the
        # last one (the unique (session, bar) key is the backstop).
        if session.last_bar is not None and when <= session.last_bar:
            return "duplicate"
        if not _reconciled(session):
            return "halted"
        runner = _runner_take(session)
        if runner is None:
            return "halted"
        for missed, nxt in _missing(session, runner, ts):
            _one(session, runner, missed, nxt, SessionStep.Source.CATCH_UP)
        result = _one(session, runner, _bar(bar), next_ts, SessionStep.Source.FEED)
        session.save(update_fields=STEP_FIELDS)
        steps = session.steps
        transaction.on_commit(lambda: _runner_put(session_id, steps, runner))
        _announce_state(session, result)
    return "done"


def _one(
    session: LiveSession, runner: LiveRunner, bar: Bar, next_ts: int | None, source: str
) -> Any:
    """One bar through the runner: the step row, the intents, the session's state."""
    force = session.state.get("force_exit")
    force_exit = bool(force) and session.position != 0
    allow = session.status == Status.RUNNING
    blocked = notify.day_blocked(runner)
    result = runner.step(bar, next_ts, force_exit=force_exit, allow_entries=allow)
    if notify.day_blocked(runner) not in (blocked, None):
        notify.day_loss_notify(session, bar_ts=bar.ts, day_pnl=result.day_pnl)
    sig = result.signal
    signal = {
        "entry_long": sig.entry_long,
        "exit_long": sig.exit_long,
        "entry_short": sig.entry_short,
        "exit_short": sig.exit_short,
        "actions": list(sig.actions),
        "entries_allowed": allow,
    }
    session.steps += 1
    SessionStep.objects.create(
        session=session,
        bar_ts=ns_dt(bar.ts),
        seq=session.steps,
        bar=list(bar.row()),
        next_ts=next_ts,
        signal=signal,
        force_exit=force_exit,
        source=source,
        attempt=holder_name(),
    )
    if any(signal[k] for k in ("entry_long", "exit_long", "entry_short", "exit_short")):
        _event(session, "signal", _signal_text(signal), bar_ts=bar.ts, data=signal)
    if result.fills:
        _paper_clock(session, bar)
    for fill in result.fills:
        key_bar = fill.position_bar if fill.intent == "exit" else bar.ts
        _place(
            session,
            intent=fill.intent,
            side=fill.side,
            quantity=fill.quantity,
            key_bar=key_bar,
            bar_ts=bar.ts,
            reason=fill.reason,
            price=fill.price,
        )
    state = {k: v for k, v in session.state.items() if k != "force_exit"}
    if force_exit and result.position == 0:
        force = None
    if force:
        state["force_exit"] = force
    state["engine"] = runner.snapshot()
    state["next_ts"] = next_ts
    state["last_signal"] = signal
    state["values"] = result.values
    state["equity"] = result.equity
    session.state = state
    session.position, session.day_pnl = result.position, result.day_pnl
    session.average_price = result.average if result.position else None
    session.levels = result.levels.to_dict() if result.levels else None
    session.last_bar = ns_dt(bar.ts)
    return result


def _signal_text(signal: dict[str, Any]) -> str:
    names = [k for k in ("entry_long", "exit_long", "entry_short", "exit_short") if signal[k]]
    return "signal: " + ", ".join(names)


def _place(
    session: LiveSession,
    *,
    intent: str,
    side: str,
    quantity: float,
    key_bar: int,
    bar_ts: int,
    reason: str,
    price: float,
) -> None:
    """An order intent for one fill of the state machine, written in the step's transaction;
    the trades layer submits it after commit. The client id is (session, bar, leg, intent):
    a step done again finds the order and places nothing."""
    cid = client_id_for("live", session.pk, key_bar, LEG, intent)
    if Order.objects.filter(client_id=cid).exists():
        return  # the exit a tick (or a square-off) already placed for this position
    lot = session.instrument.lot_size
    lots = round(quantity / lot)
    if lots < 1 or abs(lots * lot - quantity) > 1e-9:
        _halt(session, f"the engine traded {quantity} units, not whole lots of {lot}")
        return
    try:
        order, _ = order_execute(
            user=session.owner,
            account_id=session.account_id,
            instrument_ref=session.instrument_id,
            side=side,
            lots=lots,
            order_type="MARKET",
            product=Product.INTRADAY,
            strategy_id=session.strategy_version.strategy_id,
            actor=f"session:{session.pk}",
            source=Order.Source.SESSION,
            submit="task",
            client_id=cid,
        )
    except ApplicationError as exc:  # the pre-trade gate, a halted account, a rate limit
        _event(
            session,
            "guardrail",
            f"{intent} refused: {exc.detail}"[:300],
            bar_ts=bar_ts,
            data={"intent": intent, "code": exc.code},
        )
        _halt(
            session,
            f"the {intent} order was refused ({exc.code}): the book and the broker would differ",
        )
        return
    session.state = {**session.state, "intents": int(session.state.get("intents", 0)) + 1}
    SessionOrder.objects.create(
        session=session,
        order=order,
        bar_ts=ns_dt(bar_ts),
        leg=LEG,
        intent=intent,
        reason=reason,
        engine_price=price,
        engine_quantity=quantity,
    )
    _event(
        session,
        "order",
        f"{intent} {side} {lots} lot(s) ({reason or 'signal'})",
        bar_ts=bar_ts,
        data={
            "order": order.pk,
            "client_id": cid,
            "intent": intent,
            "side": side,
            "lots": lots,
            "engine_price": price,
            "reason": reason,
        },
    )
    emit(
        Event(
            type="live.order",
            user_id=session.owner_id,
            key=cid,
            data={
                "session": session.pk,
                "order": order.pk,
                "intent": intent,
                "side": side,
                "lots": lots,
                "reason": reason,
            },
        )
    )
    notify.order_notify(
        session,
        intent=intent,
        side=side,
        lots=lots,
        reason=reason,
        price=price,
        bar_ts=bar_ts,
        client_id=cid,
    )


def _paper_clock(session: LiveSession, bar: Bar) -> None:
    """A replay on a paper account: the paper broker's clock is the bar's close, so its quote
    is this bar's last price (trades/brokers/paper.py ``account_clock``)."""
    close = ns_dt(bar.ts + MINUTES[session.timeframe] * 60 * NS)
    account = BrokerAccount.objects.select_for_update().get(pk=session.account_id)
    if account.broker != "paper":
        return
    old = (account.paper or {}).get("clock")
    if old and datetime.fromisoformat(old) >= close:
        return
    account.paper = {**(account.paper or {}), "clock": close.isoformat()}
    account.save(update_fields=["paper", "updated_at"])


def _halt(session: LiveSession, reason: str, *, reconciliation: bool = False) -> None:
    session.status, session.status_reason = Status.HALTED, reason[:300]
    _event(session, "guardrail", f"halted: {reason}"[:300])
    notify.halt_notify(session, reason, reconciliation=reconciliation)


def _reconciled(session: LiveSession) -> bool:
    """The session's filled orders at the broker add up to the engine's position, or are
    still in flight; a mismatch halts the session with the reason (never auto-corrected)."""
    intents = int(session.state.get("intents", 0))
    if not intents:
        return True  # never placed an order: nothing to compare
    # Settled orders never change again: with no order since the last match, nothing to read.
    if session.state.get("reconciled") == [intents, session.position]:
        return True
    orders = Order.objects.filter(pk__in=session.intents.values("order_id"))
    rows = list(orders.values_list("status", "side", "filled_quantity"))
    if any(status not in SETTLED for status, _, _ in rows):
        return True  # in flight: settled by the trades layer, checked on a later step
    net = sum(filled if side == "BUY" else -filled for _, side, filled in rows)
    # A tick exit (or a square-off) already flattened the broker; this step closes the book.
    expected = 0.0 if session.state.get("force_exit") else session.position
    if abs(net - expected) < 1e-9:
        if not session.state.get("force_exit"):
            session.state = {**session.state, "reconciled": [intents, session.position]}
        return True
    bad = orders.filter(
        status__in=(OrderStatus.REJECTED, OrderStatus.CANCELLED, OrderStatus.EXPIRED)
    )
    why = "; ".join(f"order {o.client_id} {o.status}: {o.reason}" for o in bad[:2])
    _halt(
        session,
        f"position mismatch: the engine holds {session.position:g}, the broker "
        f"filled {net:g}" + (f" ({why})" if why else ""),
        reconciliation=True,
    )
    session.save(update_fields=["status", "status_reason", "updated_at"])
    return False


def _missing(session: LiveSession, runner: LiveRunner, ts: int) -> list[tuple[Bar, int]]:
    """Stored bars between the session's last bar and ``ts``, in order (a restart, a lost
    task): each with the start of the bar after it."""
    if session.last_bar is None or session.state.get("next_ts") == ts:
        return []  # the bar the last step expected: nothing missed
    start = session.last_bar + timedelta(seconds=1)
    end = ns_dt(ts)
    if end <= start:
        return []
    bars = md.candles_load(
        instrument=session.instrument_id, timeframe=session.timeframe, start=start, end=end
    )
    rows = [
        Bar(
            int(bars.ts[i]),
            float(bars.open[i]),
            float(bars.high[i]),
            float(bars.low[i]),
            float(bars.close[i]),
            float(bars.volume[i]),
        )
        for i in range(len(bars))
    ]
    rows = [b for b in rows if b.ts < ts]
    if rows:
        _event(session, "state", f"caught up {len(rows)} missed bar(s) from stored candles")
    return [(b, rows[k + 1].ts if k + 1 < len(rows) else ts) for k, b in enumerate(rows)]


def _bar(row: list[float]) -> Bar:
    return Bar(
        int(row[0]),
        float(row[1]),
        float(row[2]),
        float(row[3]),
        float(row[4]),
        float(row[5]) if len(row) > 5 else 0.0,
    )


def runner_new(session: LiveSession) -> LiveRunner:
    graph = _graph_with(session.strategy_version, session.risk_overrides)
    return LiveRunner(graph, sim_config(session))


def sim_config(session: LiveSession) -> SimConfig:
    """The state machine's configuration: market orders at the signal bar's close (what an
    order sent right after the bar closes gets), the account's paper slippage and fees, so
    the engine's book and the paper broker's fills agree."""
    paper = {**_paper_defaults(), **(session.account.paper or {})}
    instrument = session.instrument
    return SimConfig(
        initial_cash=float(session.state.get("capital", DEFAULT_CAPITAL)),
        fill="close",
        sizing=Sizing(mode="lots", value=float(session.lots), lot_size=float(instrument.lot_size)),
        fees=str(paper.get("fee_model", "zero")),
        slippage=Slippage(
            ticks=float(paper.get("slippage_ticks", 0.0)),
            tick_size=float(paper.get("tick_size", instrument.tick_size)),
            bps=float(paper.get("slippage_bps", 0.0)),
        ),
        margin=float(paper.get("margin", 1.0)),
        end_of_data="keep_open",
    )


def _paper_defaults() -> dict[str, Any]:
    from django.conf import settings

    return dict(settings.TRADES["PAPER"])


def _runner_take(session: LiveSession) -> LiveRunner | None:
    """This process's runner if it saw the last step, else one rebuilt from the session's
    steps (their bars and flags, in order) and checked against the persisted state."""
    with _RUNNERS_LOCK:
        cached = _RUNNERS.pop(session.pk, None)  # put back only after the step commits
    if cached is not None and cached[0] == session.steps:
        return cached[1]
    runner = runner_new(session)
    for step in SessionStep.objects.filter(session=session).order_by("seq").iterator():
        sig = step.signal
        runner.step(
            _bar(step.bar),
            step.next_ts,
            force_exit=step.force_exit,
            allow_entries=sig.get("entries_allowed", True),
        )
    saved = session.state.get("engine")
    if saved and not runner.matches(saved):
        _halt(
            session,
            "the rebuilt state differs from the saved one (the strategy, engine or data changed)",
        )
        session.save(update_fields=["status", "status_reason", "updated_at"])
        return None
    return runner


def _runner_put(session_id: int, steps: int, runner: LiveRunner) -> None:
    with _RUNNERS_LOCK:
        _RUNNERS[session_id] = (steps, runner)


def runners_clear() -> None:
    """Forget this process's runners (tests; a restarted worker starts without any)."""
    with _RUNNERS_LOCK:
        _RUNNERS.clear()
        _RELATED.clear()


# --- events -------------------------------------------------------------------------------------
def _event(
    session: LiveSession,
    kind: str,
    message: str,
    *,
    bar_ts: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    SessionEvent.objects.create(
        session=session,
        kind=kind,
        message=message[:300],
        bar_ts=ns_dt(bar_ts) if bar_ts else None,
        data=data or {},
    )


def _announce(session: LiveSession) -> None:
    emit(
        Event(
            type="live.session",
            user_id=session.owner_id,
            data={"session": session.pk, "status": session.status, "reason": session.status_reason},
        )
    )


def _announce_state(session: LiveSession, result: Any) -> None:
    emit(
        Event(
            type="session.state",
            user_id=session.owner_id,
            data={
                "session": session.pk,
                "status": session.status,
                "bar": session.last_bar.isoformat() if session.last_bar else None,
                "position": session.position,
                "average_price": session.average_price,
                "pnl_today": session.day_pnl,
                "equity": result.equity,
                "last_signal": session.state.get("last_signal"),
                "indicators": result.values,
                "levels": session.levels,
            },
        )
    )


def ns_dt(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / NS, tz=UTC)


def dt_ns(when: datetime) -> int:
    return int(when.timestamp()) * NS + when.microsecond * 1000


def _stored_bars(instrument_id: int, tf: str, start: date, end: date) -> Any:
    return md.candles_load(instrument=instrument_id, timeframe=tf, start=start, end=end)


def replay_bars(session: LiveSession) -> list[tuple[Bar, int | None]]:
    """The bars a replay session plays, each with the next bar's start (the last: the clock's)."""
    rep = session.replay
    bars = _stored_bars(
        session.instrument_id,
        session.timeframe,
        date.fromisoformat(rep["start"]),
        date.fromisoformat(rep["end"]),
    )
    out = []
    n = len(bars)
    for i in range(n):
        b = Bar(
            int(bars.ts[i]),
            float(bars.open[i]),
            float(bars.high[i]),
            float(bars.low[i]),
            float(bars.close[i]),
            float(bars.volume[i]),
        )
        nxt = int(bars.ts[i + 1]) if i + 1 < n else None  # as a backtest's last bar
        out.append((b, nxt))
    return out


def active_replay_sessions() -> list[int]:
    return list(
        LiveSession.objects.filter(
            Q(status__in=ACTIVE_STATUSES), feed=LiveSession.Feed.REPLAY
        ).values_list("pk", flat=True)
    )
