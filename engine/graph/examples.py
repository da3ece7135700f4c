"""Example strategy documents: used by the tests, the docs and the Strategies API templates.

``example_documents()`` returns fresh copies, so callers may mutate them.
"""

from __future__ import annotations

import copy
from typing import Any

from engine.graph.schema import SCHEMA_VERSION

Doc = dict[str, Any]


def node(node_id: str, kind: str, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "kind": kind, "params": params}


def edge(src: str, dst: str) -> dict[str, str]:
    return {"from": src, "to": dst}


def document(
    name: str,
    nodes: list[dict[str, Any]],
    edges: list[dict[str, str]],
    timeframe: str = "1m",
    risk: dict[str, Any] | None = None,
) -> Doc:
    settings: dict[str, Any] = {"timeframe": timeframe}
    if risk:
        settings["risk"] = risk
    return {
        "schema_version": SCHEMA_VERSION,
        "name": name,
        "settings": settings,
        "nodes": nodes,
        "edges": edges,
    }


def ma_cross(name: str, ma: str, fast: int, slow: int, timeframe: str = "1m") -> Doc:
    """Long when the fast average crosses above the slow one; exit on the cross back."""
    return document(
        name,
        [
            node("close", "source", field="close"),
            node("ma_fast", "indicator", indicator=ma, timeperiod=fast),
            node("ma_slow", "indicator", indicator=ma, timeperiod=slow),
            node("cross_up", "condition", op="crosses_above"),
            node("cross_down", "condition", op="crosses_below"),
            node("go_long", "entry", side="long"),
            node("flat", "exit", side="long"),
            node("buy", "action", type="buy", quantity=1),
            node("sell", "action", type="sell", quantity=1),
        ],
        [
            edge("close.out", "ma_fast.price"),
            edge("close.out", "ma_slow.price"),
            edge("ma_fast.out", "cross_up.a"),
            edge("ma_slow.out", "cross_up.b"),
            edge("ma_fast.out", "cross_down.a"),
            edge("ma_slow.out", "cross_down.b"),
            edge("cross_up.out", "go_long.when"),
            edge("cross_down.out", "flat.when"),
            edge("go_long.fire", "buy.trigger"),
            edge("flat.fire", "sell.trigger"),
        ],
        timeframe,
    )


def rsi_mean_reversion() -> Doc:
    """Buy when RSI(14) crosses back above 30; sell above 70; stop 1%, target 2%."""
    return document(
        "RSI mean reversion",
        [
            node("rsi", "indicator", indicator="RSI", timeperiod=14),
            node("oversold", "constant", value=30),
            node("overbought", "constant", value=70),
            node("rsi_up", "condition", op="crosses_above"),
            node("rsi_high", "condition", op=">"),
            node("go_long", "entry", side="long"),
            node("flat", "exit", side="long"),
        ],
        [
            edge("rsi.out", "rsi_up.a"),
            edge("oversold.out", "rsi_up.b"),
            edge("rsi.out", "rsi_high.a"),
            edge("overbought.out", "rsi_high.b"),
            edge("rsi_up.out", "go_long.when"),
            edge("rsi_high.out", "flat.when"),
        ],
        risk={
            "stop_loss": {"value": 1.0, "unit": "percent"},
            "target": {"value": 2.0, "unit": "percent"},
        },
    )


def supertrend_options() -> Doc:
    """SuperTrend(10, 3) on 5-minute bars: on an up-flip between 09:30 and 14:30 sell an
    ATM-1 weekly NIFTY PE (one lot, premium stop 30 points, trailing 20); buy it back on the
    down-flip; square off 15:15, 2 re-entries a day."""
    return document(
        "SuperTrend intraday options",
        [
            node("st", "indicator", indicator="SUPERTREND", period=10, factor=3.0),
            node("zero", "constant", value=0),
            node("flip_up", "condition", op="crosses_above"),
            node("flip_down", "condition", op="crosses_below"),
            node("window", "time", op="session_window", start="09:30", end="14:30"),
            node("weekday", "time", op="day_of_week", days=["mon", "tue", "wed", "thu", "fri"]),
            node("in_session", "logic", op="and"),
            node("setup", "logic", op="and"),
            node("go_long", "entry", side="long"),
            node("flat", "exit", side="long"),
            node(
                "sell_pe",
                "action",
                type="option_leg",
                position="sell",
                option_type="PE",
                strike="ATM",
                offset=-1,
                expiry="current_week",
                lots=1,
                underlying="NIFTY",
            ),
            node("again", "loop", max_reentries=2, cooldown_bars=3),
        ],
        [
            edge("st.direction", "flip_up.a"),
            edge("zero.out", "flip_up.b"),
            edge("st.direction", "flip_down.a"),
            edge("zero.out", "flip_down.b"),
            edge("window.out", "in_session.a"),
            edge("weekday.out", "in_session.b"),
            edge("flip_up.out", "setup.a"),
            edge("in_session.out", "setup.b"),
            edge("setup.out", "go_long.when"),
            edge("flip_down.out", "flat.when"),
            edge("go_long.fire", "sell_pe.trigger"),
            edge("go_long.fire", "again.entry"),
        ],
        timeframe="5m",
        risk={
            "stop_loss": {"value": 30, "unit": "points"},
            "trailing_stop": {"value": 20, "unit": "points"},
            "max_trades_per_day": 3,
            "daily_max_loss": 5000,
            "square_off": "15:15",
        },
    )


def _leg(node_id: str, position: str, right: str, **params: Any) -> dict[str, Any]:
    base = {"lots": 1, "underlying": "NIFTY", "expiry": "current_week", "strike": "ATM"}
    return node(
        node_id,
        "action",
        type="option_leg",
        position=position,
        option_type=right,
        **(base | params),
    )


def ema_atm_put() -> Doc:
    """The product brief's example: when EMA 20 crosses above EMA 50, sell an ATM weekly
    NIFTY put (one lot); buy it back when EMA 20 crosses below."""
    doc = ma_cross("EMA 20/50 cross: sell ATM put", "EMA", 20, 50)
    doc["nodes"] = [n for n in doc["nodes"] if n["id"] not in ("buy", "sell")]
    doc["edges"] = [e for e in doc["edges"] if not e["from"].endswith(".fire")]
    doc["nodes"].append(_leg("sell_put", "sell", "PE"))
    doc["edges"].append(edge("go_long.fire", "sell_put.trigger"))
    return doc


def short_straddle_0920() -> Doc:
    """Sell the ATM weekly NIFTY straddle at 09:20 (decided at the close of the 09:19 bar,
    filled at the 09:20 open), a 25% premium stop on each leg, square-off 15:15."""
    stop = {"value": 25, "unit": "percent"}
    return document(
        "09:20 short straddle",
        [
            node("at_0920", "time", op="nth_bar", n=5),
            node("go", "entry", side="long"),
            _leg("sell_ce", "sell", "CE", stop=stop),
            _leg("sell_pe", "sell", "PE", stop=stop),
        ],
        [
            edge("at_0920.out", "go.when"),
            edge("go.fire", "sell_ce.trigger"),
            edge("go.fire", "sell_pe.trigger"),
        ],
        risk={"square_off": "15:15", "max_trades_per_day": 1},
    )


def iron_condor() -> Doc:
    """At 09:30 sell the weekly NIFTY 2-strikes-OTM call and put and buy the 6-strikes-OTM
    wings; the four legs exit together at a ₹3,000 group loss or a ₹1,500 group gain, or at
    the 15:15 square-off."""
    return document(
        "Iron condor",
        [
            node("at_0930", "time", op="nth_bar", n=15),
            node("go", "entry", side="long"),
            _leg("sell_ce", "sell", "CE", strike="OTM", offset=2),
            _leg("sell_pe", "sell", "PE", strike="OTM", offset=2),
            _leg("buy_ce", "buy", "CE", strike="OTM", offset=6),
            _leg("buy_pe", "buy", "PE", strike="OTM", offset=6),
        ],
        [
            edge("at_0930.out", "go.when"),
            *(
                edge("go.fire", f"{leg}.trigger")
                for leg in ("sell_ce", "sell_pe", "buy_ce", "buy_pe")
            ),
        ],
        risk={
            "square_off": "15:15",
            "max_trades_per_day": 1,
            "group_stop_loss": {"value": 3000, "unit": "rupees"},
            "group_target": {"value": 1500, "unit": "rupees"},
        },
    )


_EXAMPLES = {
    "sma_cross": ma_cross("SMA 10/20 cross", "SMA", 10, 20),
    "ema_20_50": ma_cross("EMA 20/50 cross", "EMA", 20, 50),
    "rsi_mean_reversion": rsi_mean_reversion(),
    "supertrend_options": supertrend_options(),
    "ema_atm_put": ema_atm_put(),
    "short_straddle_0920": short_straddle_0920(),
    "iron_condor": iron_condor(),
}


def example_documents() -> dict[str, Doc]:
    """name -> document: sma_cross, ema_20_50, rsi_mean_reversion, supertrend_options,
    ema_atm_put, short_straddle_0920, iron_condor (the last four trade option legs)."""
    return copy.deepcopy(_EXAMPLES)
