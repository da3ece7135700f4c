"""Strategy templates users can clone. Each is a valid engine document (a test checks)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from engine.graph import example_documents
from engine.graph.examples import document, edge, node

Doc = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Template:
    key: str
    name: str
    description: str
    graph: Doc


def macd_momentum() -> Doc:
    """Long while MACD crosses above its signal line with the histogram rising."""
    return document(
        "MACD momentum",
        [
            node(
                "macd", "indicator", indicator="MACD", fastperiod=12, slowperiod=26, signalperiod=9
            ),
            node("cross_up", "condition", op="crosses_above"),
            node("cross_down", "condition", op="crosses_below"),
            node("hist_rising", "condition", op="rising", n=2),
            node("setup", "logic", op="and"),
            node("go_long", "entry", side="long"),
            node("flat", "exit", side="long"),
        ],
        [
            edge("macd.macd", "cross_up.a"),
            edge("macd.signal", "cross_up.b"),
            edge("macd.macd", "cross_down.a"),
            edge("macd.signal", "cross_down.b"),
            edge("macd.hist", "hist_rising.a"),
            edge("cross_up.out", "setup.a"),
            edge("hist_rising.out", "setup.b"),
            edge("setup.out", "go_long.when"),
            edge("cross_down.out", "flat.when"),
        ],
        timeframe="15m",
    )


def bollinger_breakout() -> Doc:
    """Long on a close above the upper band, short below the lower; exit at the middle."""
    return document(
        "Bollinger breakout",
        [
            node("close", "source", field="close"),
            node("bb", "indicator", indicator="BBANDS", timeperiod=20, nbdevup=2.0, nbdevdn=2.0),
            node("above", "condition", op="crosses_above"),
            node("below", "condition", op="crosses_below"),
            node("back_down", "condition", op="crosses_below"),
            node("back_up", "condition", op="crosses_above"),
            node("go_long", "entry", side="long"),
            node("exit_long", "exit", side="long"),
            node("go_short", "entry", side="short"),
            node("exit_short", "exit", side="short"),
        ],
        [
            edge("close.out", "above.a"),
            edge("bb.upperband", "above.b"),
            edge("close.out", "below.a"),
            edge("bb.lowerband", "below.b"),
            edge("close.out", "back_down.a"),
            edge("bb.middleband", "back_down.b"),
            edge("close.out", "back_up.a"),
            edge("bb.middleband", "back_up.b"),
            edge("above.out", "go_long.when"),
            edge("back_down.out", "exit_long.when"),
            edge("below.out", "go_short.when"),
            edge("back_up.out", "exit_short.when"),
        ],
        timeframe="5m",
        risk={"stop_loss": {"value": 0.5, "unit": "percent"}, "square_off": "15:25"},
    )


def opening_range_breakout() -> Doc:
    """Buy when the close crosses above the 09:15–09:30 opening-range high, between 09:30 and 14:00; one trade a day, stop 0.4%, target 0.8%, square-off 15:25."""
    return document(
        "Opening-range breakout",
        [
            node("close", "source", field="close"),
            node("high", "source", field="high"),
            node("range_high", "math", op="opening_high", minutes=15),
            node("after_range", "time", op="session_window", start="09:30", end="14:00"),
            node("breakout", "condition", op="crosses_above"),
            node("setup", "logic", op="and"),
            node("go_long", "entry", side="long"),
            node("buy", "action", type="buy", quantity=1),
            node("once", "loop", max_reentries=0),
        ],
        [
            edge("high.out", "range_high.a"),
            edge("close.out", "breakout.a"),
            edge("range_high.out", "breakout.b"),
            edge("breakout.out", "setup.a"),
            edge("after_range.out", "setup.b"),
            edge("setup.out", "go_long.when"),
            edge("go_long.fire", "buy.trigger"),
            edge("go_long.fire", "once.entry"),
        ],
        risk={
            "stop_loss": {"value": 0.4, "unit": "percent"},
            "target": {"value": 0.8, "unit": "percent"},
            "max_trades_per_day": 1,
            "square_off": "15:25",
        },
    )


def supertrend_index_options() -> Doc:
    """SuperTrend(10, 3) flips on 5-minute bars, confirmed by MACD against its signal line and
    by the 15-minute SuperTrend's direction: an up-flip buys an ATM weekly NIFTY CE, a
    down-flip an ATM weekly NIFTY PE (one lot each); each is sold back on the opposite flip."""
    return document(
        "SuperTrend index options",
        [
            node("st", "indicator", indicator="SUPERTREND", period=10, factor=3.0),
            node("h15", "source", field="high", timeframe="15m"),
            node("l15", "source", field="low", timeframe="15m"),
            node("c15", "source", field="close", timeframe="15m"),
            node("st15", "indicator", indicator="SUPERTREND", period=10, factor=3.0),
            node(
                "macd", "indicator", indicator="MACD", fastperiod=12, slowperiod=26, signalperiod=9
            ),
            node("zero", "constant", value=0),
            node("flip_up", "condition", op="crosses_above"),
            node("flip_down", "condition", op="crosses_below"),
            node("htf_up", "condition", op="gt"),
            node("htf_down", "condition", op="lt"),
            node("macd_up", "condition", op="gt"),
            node("macd_down", "condition", op="lt"),
            node("window", "time", op="session_window", start="09:20", end="15:00"),
            node("setup_up", "logic", op="and"),
            node("setup_down", "logic", op="and"),
            node("go_long", "entry", side="long"),
            node("flat_long", "exit", side="long"),
            node("go_short", "entry", side="short"),
            node("flat_short", "exit", side="short"),
            _buy_leg("buy_ce", "CE"),
            _buy_leg("buy_pe", "PE"),
            node("again", "loop", max_reentries=3, cooldown_bars=2),
        ],
        [
            edge("h15.out", "st15.high"),
            edge("l15.out", "st15.low"),
            edge("c15.out", "st15.close"),
            edge("st.direction", "flip_up.a"),
            edge("zero.out", "flip_up.b"),
            edge("st.direction", "flip_down.a"),
            edge("zero.out", "flip_down.b"),
            edge("st15.direction", "htf_up.a"),
            edge("zero.out", "htf_up.b"),
            edge("st15.direction", "htf_down.a"),
            edge("zero.out", "htf_down.b"),
            edge("macd.macd", "macd_up.a"),
            edge("macd.signal", "macd_up.b"),
            edge("macd.macd", "macd_down.a"),
            edge("macd.signal", "macd_down.b"),
            edge("flip_up.out", "setup_up.a"),
            edge("htf_up.out", "setup_up.b"),
            edge("macd_up.out", "setup_up.c"),
            edge("window.out", "setup_up.d"),
            edge("flip_down.out", "setup_down.a"),
            edge("htf_down.out", "setup_down.b"),
            edge("macd_down.out", "setup_down.c"),
            edge("window.out", "setup_down.d"),
            edge("setup_up.out", "go_long.when"),
            edge("flip_down.out", "flat_long.when"),
            edge("setup_down.out", "go_short.when"),
            edge("flip_up.out", "flat_short.when"),
            edge("go_long.fire", "buy_ce.trigger"),
            edge("go_short.fire", "buy_pe.trigger"),
            edge("go_long.fire", "again.entry"),
        ],
        timeframe="5m",
        risk={
            "stop_loss": {"value": 25, "unit": "points"},
            "target": {"value": 40, "unit": "points"},
            "trailing_stop": {"value": 15, "unit": "points"},
            "per_trade_max_loss": 2000,
            "daily_max_loss": 5000,
            "max_trades_per_day": 4,
            "min_hold_bars": 1,
            "square_off": "15:25",
        },
    )


def _buy_leg(node_id: str, right: str) -> dict[str, Any]:
    return node(
        node_id,
        "action",
        type="option_leg",
        position="buy",
        option_type=right,
        strike="ATM",
        expiry="current_week",
        lots=1,
        underlying="NIFTY",
    )


def _build() -> dict[str, Template]:
    examples = example_documents()
    items = [
        Template(
            "ema_20_50_cross",
            "EMA 20/50 cross",
            "Long when EMA 20 crosses above EMA 50; flat on the cross back.",
            examples["ema_20_50"],
        ),
        Template(
            "rsi_mean_reversion",
            "RSI mean reversion",
            "Buy when RSI(14) climbs back above 30, sell above 70; 1% stop, 2% target.",
            examples["rsi_mean_reversion"],
        ),
        Template("macd_momentum", "MACD momentum", macd_momentum.__doc__ or "", macd_momentum()),
        Template(
            "bollinger_breakout",
            "Bollinger breakout",
            bollinger_breakout.__doc__ or "",
            bollinger_breakout(),
        ),
        Template(
            "opening_range_breakout",
            "Opening-range breakout",
            opening_range_breakout.__doc__ or "",
            opening_range_breakout(),
        ),
        Template(
            "supertrend_index_options",
            "SuperTrend index options (intraday)",
            " ".join((supertrend_index_options.__doc__ or "").split())
            + " Premium stop 25, target 40, trail 15 points; max loss ₹2,000 a trade and"
            " ₹5,000 a day; at most 4 trades a day, 2 bars' cooldown, 1 bar's minimum hold;"
            " square-off 15:25 IST.",
            supertrend_index_options(),
        ),
        Template(
            "ema_cross_sell_atm_put",
            "EMA 20/50 cross: sell ATM put",
            "The product brief's example: when EMA 20 crosses above EMA 50, sell an ATM weekly"
            " NIFTY put (one lot); buy it back on the cross below.",
            examples["ema_atm_put"],
        ),
        Template(
            "short_straddle_0920",
            "09:20 short straddle",
            "Sell the ATM weekly NIFTY call and put at 09:20, a 25% premium stop on each leg;"
            " square-off 15:15.",
            examples["short_straddle_0920"],
        ),
        Template(
            "iron_condor",
            "Iron condor",
            "At 09:30 sell the 2-strikes-OTM weekly NIFTY call and put and buy the 6-strikes-OTM"
            " wings; all four legs exit together at a ₹3,000 group loss, a ₹1,500 group gain or"
            " the 15:15 square-off.",
            examples["iron_condor"],
        ),
    ]
    return {t.key: t for t in items}


TEMPLATES = _build()


def template_list() -> list[Template]:
    return [
        Template(t.key, t.name, t.description, copy.deepcopy(t.graph)) for t in TEMPLATES.values()
    ]


def template_get(key: str) -> Template | None:
    t = TEMPLATES.get(key)
    return Template(t.key, t.name, t.description, copy.deepcopy(t.graph)) if t else None
