"""Writes of live sessions: create, control, and the step that runs one bar exactly once.

A step (:func:`step_execute`) is one short transaction holding the session's row lock:
it checks the (session, bar) step is new, catches up any stored bars the session missed,
feeds the bar to the session's :class:`engine.live.LiveRunner` (or, with option legs, its
:class:`engine.live.LegRunner`), writes the step, the events
and an order intent for every fill with a deterministic client id, and saves the session's
state. Orders are submitted by the trades layer after commit (``order_execute(submit="task")``).
A duplicated or redelivered step task finds its step row and changes nothing; a worker killed
mid-step rolls the whole step back, and the redelivered task does it again from the start.
docs/adr/0016-live-sessions.md.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
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
from engine.live import Bar, LegRunner, LiveRunner
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
    options: dict[str, Any] | None = None,
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
            {
                "feed": [
                    "sessions on the broker market feed (Dhan v2) are not available yet "
                    "(the feed records ticks but does not step sessions); use feed=replay"
                ]
            }
        )
    if account.broker != "paper":
        raise InvalidInput({"account": ["a replay session trades a paper account only"]})
    if lots < 1:
        raise InvalidInput({"lots": ["must be at least 1"]})
    overrides = risk_overrides or {}
    graph = _graph_with(strategy_version, overrides)  # refuses a bad override, naming it
    schedule = schedule_checked(schedule, square_off=graph.risk.square_off)
    played = _replay_checked(replay, instrument, tf)
    legs = _options_checked(strategy_version, options, instrument, played, lots)
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
        replay=played,
        options=legs,
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


def _options_checked(
    version: StrategyVersion,
    options: dict[str, Any] | None,
    instrument: Instrument,
    replay: dict[str, Any],
    lots: int,
) -> dict[str, Any] | None:
    """The options block of a strategy with option legs, checked as a backtest's is
    (``backtests.options.options_checked``: the premium source, its IV input, the legs'
    underlying); None for a strategy without legs (an options block then is a 400)."""
    from backtests.options import options_checked

    if options is not None and (not isinstance(options, dict) or "premium_source" not in options):
        raise InvalidInput({"options.premium_source": ["required: real, model or real_then_model"]})
    checked = options_checked(
        graph=version.graph,
        config={"options": options} if options else {},
        instrument=instrument,
        start=date.fromisoformat(replay["start"]),
        end=date.fromisoformat(replay["end"]),
    )
    if checked and lots != 1:
        raise InvalidInput({"lots": ["option legs are sized by their own lots: leave lots at 1"]})
    return checked


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
        if locked.options:
            raise Conflict(
                {
                    "position": [
                        "square-off of option legs is not available yet: pause or stop the "
                        "session and exit the legs' positions from the trades page"
                    ]
                }
            )
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


def sessions_feed_halted(*, message: str) -> int:
    """The market feed stopped (refused credentials): tell every active market session's owner
    in its log. Entries stop by themselves (no ticks, no bars); the account's token state
    refuses its orders at the gate. Returns the sessions told."""
    sessions = LiveSession.objects.filter(status__in=ACTIVE_STATUSES, feed=LiveSession.Feed.MARKET)
    n = 0
    for session in sessions:
        _event(session, "error", message, data={"feed": "halted"})
        n += 1
    return n


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
Runner = LiveRunner | LegRunner  # a session without option legs, or with
_RUNNERS: dict[int, tuple[int, Runner]] = {}  # session -> (steps, runner): this process's
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
    runner: Runner | None = None
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
            if session.status == Status.HALTED:
                break
        result = None
        if session.status != Status.HALTED:
            result = _one(session, runner, _bar(bar), next_ts, SessionStep.Source.FEED)
        session.save(update_fields=STEP_FIELDS)
        if result is None:  # halted: the step's rows roll forward with the reason
            return "halted"
        steps = session.steps
        transaction.on_commit(lambda: _runner_put(session_id, steps, runner))
        _announce_state(session, result)
    return "done"


def _one(session: LiveSession, runner: Runner, bar: Bar, next_ts: int | None, source: str) -> Any:
    """One bar through the runner: the step row, the intents, the session's state."""
    if isinstance(runner, LegRunner):
        return _one_legs(session, runner, bar, next_ts, source)
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
    _record_step(session, bar, next_ts, signal, source, force_exit=force_exit)
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
            # A caught-up bar's level is in the past: its exit goes out at the market.
            order_type=fill.order_type if source == SessionStep.Source.FEED else "MARKET",
            level=fill.level,
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


def _one_legs(
    session: LiveSession, runner: LegRunner, bar: Bar, next_ts: int | None, source: str
) -> Any:
    """One bar of a session with option legs: the legs the backtest's leg simulator entered
    and exited on it become one order each on the leg's contract (its ``Instrument``), keyed
    (session, the leg's entry bar, leg and group, intent)."""
    allow = session.status == Status.RUNNING
    try:
        result = runner.step(bar, next_ts, allow_entries=allow)
    except ValueError as exc:  # LegError: a contract or premium the source cannot give
        _halt(session, f"option legs: {exc}")
        return None
    signal = {**result.signal, "entries_allowed": allow}
    _record_step(session, bar, next_ts, signal, source)
    contracts = {_key(f.contract): _leg_instrument(f.contract) for f in result.fills}
    quotes = _caught_up_quotes(session, runner, contracts, source)
    quotes.update({str(contracts[_key(f.contract)].pk): list(f.premium) for f in result.fills})
    quotes.update(_held_quotes(session, runner, result.held))
    _paper_clock(session, bar, quotes)
    for fill in result.fills:
        _place(
            session,
            intent=fill.intent,
            side=fill.side,
            quantity=fill.units,
            key_bar=fill.position_bar,
            bar_ts=bar.ts,
            reason=fill.reason,
            price=fill.price,
            # A caught-up bar's level is in the past: its exit goes out at the market.
            order_type=fill.order_type if source == SessionStep.Source.FEED else "MARKET",
            level=fill.level,
            instrument=contracts[_key(fill.contract)],
            leg=f"{fill.leg}#{fill.group}",
        )
    held = [dict(h) for h in result.held]
    session.state = {
        **session.state,
        "engine": runner.snapshot(),
        "next_ts": next_ts,
        "last_signal": signal,
        "equity": result.equity,
        "legs": held,
    }
    session.position = float(sum(h["side"] * h["units"] for h in held))
    session.average_price = None
    session.levels = None  # leg levels are premiums: checked on the steps' premium bars
    session.last_bar = ns_dt(bar.ts)
    return result


def _caught_up_quotes(
    session: LiveSession,
    runner: LegRunner,
    contracts: dict[tuple[Any, ...], Instrument],
    source: str,
) -> dict[str, list[float]]:
    """Orders of caught-up bars are submitted after the step commits, at its last bar's clock:
    the contracts they trade are quoted at that bar too (their premium of that moment)."""
    pending: dict[tuple[Any, ...], tuple[dict[str, Any], Instrument]] = session.__dict__.setdefault(
        "_caught_up_contracts", {}
    )
    if source == SessionStep.Source.CATCH_UP:
        for fill in runner.last_fills:
            pending[_key(fill.contract)] = (fill.contract, contracts[_key(fill.contract)])
        return {}
    out = {}
    for contract, row in pending.values():
        try:
            out[str(row.pk)] = list(runner.premium_now(contract))
        except ValueError:  # expired since: its order waits, and reconciliation says so
            continue
    pending.clear()
    return out


def _key(contract: dict[str, Any]) -> tuple[Any, ...]:
    return (contract["underlying"], contract["expiry"], contract["strike"], contract["option_type"])


def _leg_instrument(contract: dict[str, Any]) -> Instrument:
    """The ``Instrument`` row of a leg's contract: the listed one, or for a contract only the
    model prices (no stored chain) a row made now, without a broker security id (a paper
    account books it; a broker would refuse it)."""
    found = Instrument.objects.filter(
        kind=Instrument.Kind.OPTION,
        underlying=contract["underlying"],
        expiry=contract["expiry"],
        strike=Decimal(str(contract["strike"])),
        option_type=contract["option_type"],
    ).first()
    if found is not None:
        return found
    exchange = calendar_exchange(contract["underlying"])
    row, _ = Instrument.objects.get_or_create(
        exchange=exchange,
        segment=f"{exchange}_FNO",
        symbol=contract["symbol"],
        defaults={
            "kind": Instrument.Kind.OPTION,
            "name": contract["symbol"],
            "underlying": contract["underlying"],
            "expiry": contract["expiry"],
            "strike": Decimal(str(contract["strike"])),
            "option_type": contract["option_type"],
            "lot_size": int(contract["lot_size"]),
        },
    )
    return row


def calendar_exchange(underlying: str) -> str:
    from engine.markets import calendar

    return str(calendar.exchange_of(underlying))


def _held_quotes(
    session: LiveSession, runner: LegRunner, held: tuple[dict[str, Any], ...]
) -> dict[str, list[float]]:
    """Premium bars of the contracts still held: the paper broker quotes them every bar,
    as an exchange would (an order sent late fills at the bar of that moment)."""
    return {
        str(_leg_instrument({**h, "symbol": h["contract"]}).pk): list(runner.premium_now(h))
        for h in held
    }


def _record_step(
    session: LiveSession,
    bar: Bar,
    next_ts: int | None,
    signal: dict[str, Any],
    source: str,
    *,
    force_exit: bool = False,
) -> None:
    """Count the bar as the session's next step, store its ``SessionStep`` row and, when the
    strategy signalled, a "signal" event."""
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
    order_type: str = "MARKET",
    level: float | None = None,
    instrument: Instrument | None = None,
    leg: str = LEG,
) -> None:
    """An order intent for one fill of the state machine, written in the step's transaction;
    the trades layer submits it after commit. The client id is (session, bar, leg, intent):
    a step done again finds the order and places nothing. ``order_type``/``level``: a
    protective exit inside the bar is a stop (or a target's limit) at the engine's level."""
    cid = client_id_for("live", session.pk, key_bar, leg, intent)
    if Order.objects.filter(client_id=cid).exists():
        return  # the exit a tick (or a square-off) already placed for this position
    instrument = instrument or session.instrument
    lot = instrument.lot_size
    lots = round(quantity / lot)
    if lots < 1 or abs(lots * lot - quantity) > 1e-9:
        _halt(session, f"the engine traded {quantity} units, not whole lots of {lot}")
        return
    try:
        order, _ = order_execute(
            user=session.owner,
            account_id=session.account_id,
            instrument_ref=instrument.pk,
            side=side,
            lots=lots,
            order_type=order_type,
            price=_price(level) if order_type in ("LIMIT", "STOP_LOSS") else None,
            trigger_price=_price(level) if order_type.startswith("STOP") else None,
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
        leg=leg,
        intent=intent,
        reason=reason,
        engine_price=price,
        engine_quantity=quantity,
    )
    _event(
        session,
        "order",
        f"{intent} {side} {lots} lot(s) of {instrument.symbol} ({reason or 'signal'})",
        bar_ts=bar_ts,
        data={
            "order": order.pk,
            "client_id": cid,
            "intent": intent,
            "side": side,
            "lots": lots,
            "instrument": instrument.symbol,
            "leg": leg,
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


def _price(level: float | None) -> Decimal:
    assert level is not None, "a stop or limit order needs the engine's level"
    return Decimal(repr(float(level))).quantize(Decimal("0.0001"))


def _paper_clock(
    session: LiveSession, bar: Bar, quotes: dict[str, list[float]] | None = None
) -> None:
    """A replay on a paper account: the paper broker's clock is the bar's close, so its quote
    is this bar's last price (trades/brokers/paper.py ``account_clock``), and ``bar_from`` is
    the bar's start: a stop or limit order placed now rested through this bar, and fills from
    its range by the backtest's rules (``trades.brokers.paper.bar_fill_price``)."""
    close = ns_dt(bar.ts + MINUTES[session.timeframe] * 60 * NS)
    account = BrokerAccount.objects.select_for_update().get(pk=session.account_id)
    if account.broker != "paper":
        return
    old = (account.paper or {}).get("clock")
    if old and datetime.fromisoformat(old) > close:
        return
    account.paper = {
        **(account.paper or {}),
        "clock": close.isoformat(),
        "bar_from": ns_dt(bar.ts).isoformat(),
        # option premiums the engine priced this bar at (trades.brokers.paper.published)
        "quotes": {"at": close.isoformat(), "bars": quotes or {}},
    }
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
    rows = list(orders.values_list("status", "side", "filled_quantity", "instrument__symbol"))
    if any(status not in SETTLED for status, _, _, _ in rows):
        return True  # in flight: settled by the trades layer, checked on a later step
    if session.options:
        return _legs_reconciled(session, rows)
    net = sum(filled if side == "BUY" else -filled for _, side, filled, _ in rows)
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


def _legs_reconciled(session: LiveSession, rows: list[tuple[Any, ...]]) -> bool:
    """Per contract: the filled orders add up to the units of the legs the engine holds."""
    net: dict[str, float] = {}
    for _, side, filled, symbol in rows:
        net[symbol] = net.get(symbol, 0.0) + (filled if side == "BUY" else -filled)
    held: dict[str, float] = {}
    for h in session.state.get("legs", []):
        held[h["contract"]] = held.get(h["contract"], 0.0) + h["side"] * h["units"]
    diff = sorted(s for s in set(net) | set(held) if abs(net.get(s, 0.0) - held.get(s, 0.0)) > 1e-9)
    if not diff:
        return True
    s0 = diff[0]
    _halt(
        session,
        f"position mismatch on {s0}: the engine holds {held.get(s0, 0.0):g}, the broker "
        f"filled {net.get(s0, 0.0):g}",
    )
    session.save(update_fields=["status", "status_reason", "updated_at"])
    return False


def _missing(session: LiveSession, runner: Runner, ts: int) -> list[tuple[Bar, int]]:
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
    # A timeframe above a minute: the first bucket read is the last bar's own, partial
    # (its first minute is before ``start``); it was stepped already.
    last = dt_ns(session.last_bar)
    rows = [b for b in rows if last < b.ts < ts]
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


def runner_new(session: LiveSession) -> Runner:
    graph = _graph_with(session.strategy_version, session.risk_overrides)
    if session.options:
        return LegRunner(graph, leg_sim_config(session), session.timeframe)
    return LiveRunner(graph, sim_config(session))


def leg_sim_config(session: LiveSession) -> SimConfig:
    """A session with option legs: the session's config with the backtest's ``options``
    (``backtests.options.with_options``: the stored chain, the IV input); legs size
    themselves, and the legs' own fill is at the signal bar's close."""
    from backtests.options import with_options

    rep = session.replay
    return with_options(
        replace(sim_config(session), sizing=Sizing()),
        config={"options": session.options},
        instrument=session.instrument,
        start=date.fromisoformat(rep["start"]),
        end=date.fromisoformat(rep["end"]),
    )


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


def _runner_take(session: LiveSession) -> Runner | None:
    """This process's runner if it saw the last step, else one rebuilt from the session's
    steps (their bars and flags, in order) and checked against the persisted state."""
    with _RUNNERS_LOCK:
        cached = _RUNNERS.pop(session.pk, None)  # put back only after the step commits
    if cached is not None and cached[0] == session.steps:
        return cached[1]
    runner = runner_new(session)
    if isinstance(runner, LegRunner):
        return _legs_rebuilt(session, runner)
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


def _legs_rebuilt(session: LiveSession, runner: LegRunner) -> LegRunner | None:
    steps = list(SessionStep.objects.filter(session=session).order_by("seq"))
    blocked = [k for k, st in enumerate(steps) if not st.signal.get("entries_allowed", True)]
    runner.restore([_bar(st.bar) for st in steps], blocked, steps[-1].next_ts if steps else None)
    saved = session.state.get("engine")
    if saved and not runner.matches(saved):
        _halt(session, "the rebuilt option legs differ from the saved ones (data changed?)")
        session.save(update_fields=["status", "status_reason", "updated_at"])
        return None
    return runner


def _runner_put(session_id: int, steps: int, runner: Runner) -> None:
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
                "indicators": getattr(result, "values", {}),
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
