"""The comparison the parity tests make: a replayed session against a backtest."""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.backtest import run_backtest
from engine.bars import Bars
from engine.sim import layout as L
from live import services
from live.models import LiveSession, SessionOrder, SessionStep
from trades.models import OrderStatus, PaperBrokerOrder

SIGNALS = ("entry_long", "exit_long", "entry_short", "exit_short")
PROTECTIVE = ("stop", "trailing", "target", "guardrail", "square_off")


def _signals_match(session: LiveSession, bars: Bars) -> tuple[Any, list[SessionStep]]:
    """Assert the session runs, stepped exactly ``bars`` and signalled what the backtest's
    graph evaluates on them; return that graph and the steps."""
    session.refresh_from_db()
    assert session.status == LiveSession.Status.RUNNING, session.status_reason
    steps = list(SessionStep.objects.filter(session=session).order_by("seq"))
    assert [s.bar[0] for s in steps] == bars.ts.tolist()
    graph = services._graph_with(session.strategy_version, session.risk_overrides)
    signals = graph.evaluate(bars)
    for name in SIGNALS:
        live = np.array([s.signal[name] for s in steps], dtype=bool)
        assert np.array_equal(live, getattr(signals, name)), name
    return graph, steps


def compare(session: LiveSession, bars: Bars) -> dict[str, Any]:
    """Assert signals, engine trades, orders and fills equal the backtest's; return counts."""
    graph, steps = _signals_match(session, bars)
    backtest = run_backtest(bars, graph, services.sim_config(session))
    runner = services._runner_take(session)
    assert runner is not None
    tz = "Asia/Kolkata"
    assert runner.sim.trades.to_records(tz) == backtest.trades.to_records(tz)
    assert runner.sim.state[L.S_QTY] == backtest.sim.state[L.S_QTY]
    expected = _orders_of(backtest, bars, session.instrument.lot_size)
    intents = list(
        SessionOrder.objects.filter(session=session)
        .select_related("order")
        .order_by("bar_ts", "id")
    )
    got = [
        (int(i.bar_ts.timestamp()) * 10**9, i.intent, i.order.side, i.order.lots, i.reason)
        for i in intents
    ]
    assert got == expected
    # Orders of caught-up bars are placed late, after the step that found the gap: they fill
    # at the quote of that moment, not at the missed bar's close the engine booked.
    late = {s.bar[0] for s in steps if s.source == SessionStep.Source.CATCH_UP}
    # Every other fill is at the engine's price: entries and signal exits at the bar's close,
    # protective exits inside the bar at the stop or target level (or the open they gapped
    # through), by the paper broker's resting-order rule.
    priced = protective = 0
    for i in intents:
        order = i.order
        assert order.status == OrderStatus.FILLED, (order.client_id, order.status, order.reason)
        assert order.filled_quantity == i.engine_quantity
        if int(i.bar_ts.timestamp()) * 10**9 not in late:
            assert float(order.average_price) == round(i.engine_price, 4), (
                i.intent,
                i.reason,
                order.order_type,
            )
            priced += 1
            protective += i.reason in PROTECTIVE
    # placed once: one broker-side order per client id
    ids = list(
        PaperBrokerOrder.objects.filter(account=session.account).values_list(
            "correlation_id", flat=True
        )
    )
    assert len(ids) == len(set(ids)) == len(intents)
    return {
        "steps": len(steps),
        "orders": len(intents),
        "priced": priced,
        "protective": protective,
        "trades": len(backtest.trades.to_records(tz)),
    }


def _orders_of(backtest: Any, bars: Bars, lot: int) -> list[tuple]:
    out = []
    for t in backtest.trades.to_records("Asia/Kolkata"):
        side = "BUY" if t["side"] in ("long", 1) else "SELL"
        other = "SELL" if side == "BUY" else "BUY"
        lots = round(t["qty"] / lot)
        out.append((int(bars.ts[t["entry_bar"]]), "entry", side, lots, ""))
        out.append((int(bars.ts[t["exit_bar"]]), "exit", other, lots, t["exit_reason"]))
    st = backtest.sim.state
    if st[L.S_QTY] != 0:
        side = "BUY" if st[L.S_QTY] > 0 else "SELL"
        out.append(
            (int(bars.ts[int(st[L.S_ENTRY_BAR])]), "entry", side, int(abs(st[L.S_QTY]) / lot), "")
        )
    return sorted(out, key=lambda r: (r[0], 0 if r[1] == "exit" else 1))


def compare_legs(session: LiveSession, bars: Bars) -> dict[str, Any]:
    """A session with option legs against a backtest of the same version on the same bars:
    signals, the legs' trades (contracts, premiums, reasons), orders and fills (contract,
    side, lots, price, quantity) all equal."""
    from dataclasses import replace

    graph, steps = _signals_match(session, bars)
    config = replace(services.leg_sim_config(session), end_of_data="close_at_close")
    backtest = run_backtest(bars, graph, config)
    runner = services._runner_take(session)
    assert runner is not None
    tz = "Asia/Kolkata"
    expected = backtest.trades.to_records(tz)
    held = runner.run.open_legs
    closed = runner.trades().to_records(tz)
    # Legs the session still holds are the backtest's closed at the end of data.
    assert closed == expected[: len(closed)]
    assert [t["exit_reason"] for t in expected[len(closed) :]] == ["end"] * len(held)
    want = []
    for t in expected:
        side = "BUY" if t["side"] in ("long", 1) else "SELL"
        other = "SELL" if side == "BUY" else "BUY"
        lots = round(t["qty"] / t["lot_size"])
        want.append((int(bars.ts[t["entry_bar"]]), "entry", side, lots, "", t["contract"]))
        if t["exit_reason"] != "end" or not held:
            want.append(
                (int(bars.ts[t["exit_bar"]]), "exit", other, lots, t["exit_reason"], t["contract"])
            )
    want.sort(key=lambda r: (r[0], 0 if r[1] == "exit" else 1, r[5]))
    intents = list(
        SessionOrder.objects.filter(session=session)
        .select_related("order", "order__instrument")
        .order_by("bar_ts", "id")
    )
    got = [
        (
            int(i.bar_ts.timestamp()) * 10**9,
            i.intent,
            i.order.side,
            i.order.lots,
            i.reason,
            i.order.instrument.symbol,
        )
        for i in intents
    ]
    got.sort(key=lambda r: (r[0], 0 if r[1] == "exit" else 1, r[5]))
    assert got == want
    prices = {
        (int(bars.ts[t["entry_bar"]]), "entry", t["contract"]): t["entry_price"] for t in expected
    }
    prices |= {
        (int(bars.ts[t["exit_bar"]]), "exit", t["contract"]): t["exit_price"] for t in expected
    }
    late = {s.bar[0] for s in steps if s.source == SessionStep.Source.CATCH_UP}
    for i in intents:
        order = i.order
        assert order.status == OrderStatus.FILLED, (order.client_id, order.status, order.reason)
        assert order.filled_quantity == i.engine_quantity
        key = (int(i.bar_ts.timestamp()) * 10**9, i.intent, order.instrument.symbol)
        assert i.engine_price == prices[key]
        if key[0] not in late:  # caught-up orders fill late, at the premium of that moment
            assert float(order.average_price) == round(i.engine_price, 4), (i.intent, i.reason)
    ids = list(
        PaperBrokerOrder.objects.filter(account=session.account).values_list(
            "correlation_id", flat=True
        )
    )
    assert len(ids) == len(set(ids)) == len(intents)
    return {"steps": len(steps), "orders": len(intents), "trades": len(expected)}
