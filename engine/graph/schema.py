"""The strategy document's vocabulary: node kinds, their parameters and their typed ports.

Port types: ``number`` (float series), ``bool`` (boolean series) and ``event`` (a gate
firing, which only action and loop nodes accept). See docs/strategy-language.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

SCHEMA_VERSION = 1
PortType = Literal["number", "bool", "event"]

KINDS = (
    "source",
    "indicator",
    "constant",
    "math",
    "condition",
    "logic",
    "time",
    "entry",
    "exit",
    "action",
    "loop",
)
NODE_KEYS = frozenset({"id", "kind", "params", "label", "ui"})
ID_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$")
HHMM_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
TIMEFRAME_RE = re.compile(r"^([1-9]\d{0,3})(s|m|h|d)$")

MATH_BINARY = ("add", "sub", "mul", "div", "min", "max")
MATH_UNARY = ("abs", "neg")
MATH_WINDOW = ("lag", "highest", "lowest")
MATH_SESSION = ("session_high", "session_low", "opening_high", "opening_low")
MATH_OPENING = ("opening_high", "opening_low")
MAX_OPENING_MINUTES = 375  # 09:15-15:30
COND_BINARY = ("gt", "gte", "lt", "lte", "eq", "neq", "crosses_above", "crosses_below", "crosses")
COND_WINDOW = ("rising", "falling")
COND_ALIASES = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte", "==": "eq", "!=": "neq"}
LOGIC_OPS = ("and", "or", "xor", "not")
TIME_OPS = ("session_window", "day_of_week", "nth_bar", "expiry_day")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SIDES = ("long", "short")
ORDER_ACTIONS = {
    "buy": ("entry", "long"),
    "sell": ("exit", "long"),
    "short": ("entry", "short"),
    "cover": ("exit", "short"),
}
ACTION_TYPES = (*ORDER_ACTIONS, "wait", "option_leg")
UNDERLYINGS = ("NIFTY", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY", "SENSEX")
MAX_WINDOW = 100_000
MAX_NODES = 2_000


@dataclass(frozen=True, slots=True)
class Port:
    name: str
    type: PortType
    required: bool = True


def timeframe_seconds(tf: object) -> int | None:
    """Seconds in ``5s``/``1m``/``15m``/``1h``/``1d`` style timeframes; None when malformed.

    Sub-minute sizes must divide a minute (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 s), so their
    buckets stay on the 09:15-anchored minute grid."""
    if not isinstance(tf, str):
        return None
    m = TIMEFRAME_RE.match(tf)
    if not m:
        return None
    n, unit = int(m.group(1)), m.group(2)
    if unit == "d":
        return 86_400 if n == 1 else None  # multi-day buckets are not session-anchored
    if unit == "s":
        return n if 60 % n == 0 and n < 60 else None
    minutes = n * (60 if unit == "h" else 1)
    return minutes * 60 if minutes <= 1440 else None


def timeframe_minutes(tf: object) -> int | None:
    """Minutes in ``1m``/``15m``/``1h``/``1d`` style timeframes; None when malformed or
    sub-minute (use :func:`timeframe_seconds` for those)."""
    seconds = timeframe_seconds(tf)
    return seconds // 60 if seconds is not None and seconds % 60 == 0 else None


def node_ports(
    kind: str, params: dict[str, Any], input_ports: tuple[tuple[str, bool], ...] = ()
) -> tuple[dict[str, Port], dict[str, PortType]]:
    """(inputs, outputs) of a node whose params already validated.

    ``input_ports`` lists an indicator's (name, required) inputs from the catalogue.
    """
    op = params.get("op")
    if kind == "source":
        return {}, {"out": "number"}
    if kind == "constant":
        return {}, {"out": "bool" if isinstance(params.get("value"), bool) else "number"}
    if kind == "math":
        names = ("a", "b") if op in MATH_BINARY else ("a",)
        return {n: Port(n, "number") for n in names}, {"out": "number"}
    if kind == "condition":
        if op == "between":
            names: tuple[str, ...] = ("a", "low", "high")
        else:
            names = ("a",) if op in COND_WINDOW else ("a", "b")
        return {n: Port(n, "number") for n in names}, {"out": "bool"}
    if kind == "logic":
        names = ("a",) if op == "not" else ("a", "b", "c", "d")
        ports = {n: Port(n, "bool", required=n in ("a", "b") or op == "not") for n in names}
        return ports, {"out": "bool"}
    if kind == "time":
        return {}, {"out": "bool"}
    if kind in ("entry", "exit"):
        return {"when": Port("when", "bool")}, {"fire": "event"}
    if kind == "action":
        return {"trigger": Port("trigger", "event")}, {"next": "event"}
    if kind == "loop":
        return {"entry": Port("entry", "event")}, {}
    # indicator: inputs from the catalogue, every output a number
    return {n: Port(n, "number", required=req) for n, req in input_ports}, {}


def node_kinds() -> list[dict[str, Any]]:
    """JSON description of every node kind for a graph editor (indicators: see catalogue)."""
    n_window = {"name": "n", "type": "int", "min": 1, "max": MAX_WINDOW}
    return [
        _kind(
            "source",
            {
                "field": "open|high|low|close|volume|hl2|hlc3|ohlc4",
                "timeframe": "optional, e.g. 15m, 1h, 1d",
            },
            [],
            ["out:number"],
        ),
        _kind(
            "indicator",
            {"indicator": "catalogue name", "...": "the indicator's parameters"},
            ["per catalogue"],
            ["per catalogue"],
        ),
        _kind("constant", {"value": "number or boolean"}, [], ["out:number|bool"]),
        _kind(
            "math",
            {
                "op": [*MATH_BINARY, *MATH_UNARY, *MATH_WINDOW, *MATH_SESSION],
                "n": n_window,
                "minutes": {"name": "minutes", "type": "int", "min": 1, "max": MAX_OPENING_MINUTES},
            },
            ["a:number", "b:number (binary ops)"],
            ["out:number"],
        ),
        _kind(
            "condition",
            {"op": [*COND_BINARY, *COND_WINDOW, "between", *COND_ALIASES], "n": n_window},
            ["a:number", "b:number", "low:number", "high:number (between)"],
            ["out:bool"],
        ),
        _kind(
            "logic",
            {"op": list(LOGIC_OPS)},
            ["a:bool", "b:bool", "c:bool?", "d:bool?"],
            ["out:bool"],
        ),
        _kind(
            "time",
            {
                "op": list(TIME_OPS),
                "start": "HH:MM",
                "end": "HH:MM",
                "days": list(DAY_NAMES),
                "n": "nth bar (1 = first)",
                "underlying": list(UNDERLYINGS),
                "expiry": ["weekly", "monthly", "any"],
            },
            [],
            ["out:bool"],
        ),
        _kind("entry", {"side": list(SIDES)}, ["when:bool"], ["fire:event"]),
        _kind("exit", {"side": list(SIDES)}, ["when:bool"], ["fire:event"]),
        _kind(
            "action",
            {
                "type": list(ACTION_TYPES),
                "quantity": "multiplies the run's size (orders), default 1",
                "bars": "wait",
                "position": ["buy", "sell"],
                "option_type": ["CE", "PE"],
                "strike": [
                    "ATM",
                    "ITM",
                    "OTM",
                    "premium_closest",
                    "premium_at_least",
                    "premium_at_most",
                    "delta_closest",
                    "straddle_pct",
                ],
                "offset": "ATM: strikes from ATM, -100..100; ITM/OTM: 0..100",
                "premium": "for premium_* strikes (per unit)",
                "delta": "for delta_closest, 0..1",
                "percent": "for straddle_pct: percent of the ATM straddle",
                "expiry": [
                    "current_week",
                    "next_week",
                    "current_month",
                    "next_month",
                    "YYYY-MM-DD",
                ],
                "atm_from": ["spot", "futures"],
                "stop": "{value, unit: points|percent} of premium",
                "target": "{value, unit: points|percent} of premium",
                "trailing": "{value, unit: points|percent} of premium",
                "trail_after": "{value, unit}: trailing starts after this move in favour",
                "cost_after": "{value, unit}: stop moves to the entry after this move",
                "reentries": "0..100 a day, after the leg's own exit",
                "reentry": ["immediate", "next_signal"],
                "lots": "int",
                "underlying": "optional",
            },
            ["trigger:event"],
            ["next:event"],
        ),
        _kind(
            "loop", {"max_reentries": "0..1000", "cooldown_bars": "0..100000"}, ["entry:event"], []
        ),
    ]


def _kind(kind: str, params: dict[str, Any], ins: list[str], outs: list[str]) -> dict[str, Any]:
    return {"kind": kind, "params": params, "inputs": ins, "outputs": outs}
