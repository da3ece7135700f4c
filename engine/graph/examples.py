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
    ATM-1 weekly PE (one lot); exit on the down-flip; square off 15:15, 2 re-entries."""
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
                expiry="weekly",
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


_EXAMPLES = {
    "sma_cross": ma_cross("SMA 10/20 cross", "SMA", 10, 20),
    "ema_20_50": ma_cross("EMA 20/50 cross", "EMA", 20, 50),
    "rsi_mean_reversion": rsi_mean_reversion(),
    "supertrend_options": supertrend_options(),
}


def example_documents() -> dict[str, Doc]:
    """name -> document: sma_cross, ema_20_50, rsi_mean_reversion, supertrend_options."""
    return copy.deepcopy(_EXAMPLES)
