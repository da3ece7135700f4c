"""Per-kind parameter checks: each returns normalised params and appends errors.

Every check accepts any JSON value and reports, never raises: the document comes from
users (Architecture decision 10).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from engine.graph.errors import ErrorDict, error
from engine.graph.schema import (
    ACTION_TYPES,
    COND_ALIASES,
    COND_BINARY,
    COND_WINDOW,
    DAY_NAMES,
    HHMM_RE,
    LOGIC_OPS,
    MATH_BINARY,
    MATH_OPENING,
    MATH_SESSION,
    MATH_UNARY,
    MATH_WINDOW,
    MAX_OPENING_MINUTES,
    MAX_WINDOW,
    ORDER_ACTIONS,
    SIDES,
    TIME_OPS,
    UNDERLYINGS,
    timeframe_seconds,
)
from engine.indicators import PRICE_FIELDS, BaseIndicator, Registry
from engine.options.legs import (
    ATM_FROM,
    EXPIRY_ALIASES,
    EXPIRY_CHOICES,
    LEG_ACTIVATIONS,
    LEG_LEVELS,
    REENTRY_MODES,
    STRIKE_MODES,
    STRIKE_STEPS_MODES,
    STRIKE_VALUE_MODES,
)

Errors = list[ErrorDict]
_MISSING = object()


class Ctx:
    """What a parameter check needs: the node, its raw params and the error sink."""

    def __init__(self, node_id: str, raw: dict[str, Any], errors: Errors) -> None:
        self.node_id, self.raw, self.errors = node_id, raw, errors
        self.out: dict[str, Any] = {}
        self.seen: set[str] = set()

    def fail(self, key: str, message: str) -> None:
        self.errors.append(error(self.node_id, f"params.{key}", message))

    def get(self, key: str, default: Any = _MISSING) -> Any:
        self.seen.add(key)
        if key in self.raw:
            return self.raw[key]
        if default is _MISSING:
            self.fail(key, "is required")
        return default

    def choice(self, key: str, options: tuple[str, ...], default: Any = _MISSING) -> str | None:
        value = self.get(key, default)
        if value is _MISSING:
            return None
        if not isinstance(value, str) or value not in options:
            self.fail(key, f"must be one of {', '.join(options)}; got {_show(value)}")
            return None
        self.out[key] = value
        return value

    def integer(self, key: str, lo: int, hi: int, default: Any = _MISSING) -> int | None:
        value = self.get(key, default)
        if value is _MISSING or (value is None and default is None):
            self.out[key] = None
            return None
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, f"must be an integer; got {_show(value)}")
            return None
        if not lo <= value <= hi:
            self.fail(key, f"must be between {lo} and {hi}; got {value}")
            return None
        self.out[key] = value
        return value

    def number(self, key: str, lo: float, hi: float, default: Any = _MISSING) -> float | None:
        value = self.get(key, default)
        if value is _MISSING or (value is None and default is None):
            self.out[key] = None
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(key, f"must be a number; got {_show(value)}")
            return None
        if not (math.isfinite(value) and lo <= value <= hi):
            self.fail(key, f"must be between {lo:g} and {hi:g}; got {_show(value)}")
            return None
        self.out[key] = float(value)
        return float(value)

    def hhmm(self, key: str, optional: bool = False) -> int | None:
        value = self.get(key, None if optional else _MISSING)
        if value is None and optional:
            self.out[key] = None
            return None
        if not isinstance(value, str) or not HHMM_RE.match(value):
            if value is not _MISSING:
                self.fail(key, f"must be a time 'HH:MM' (IST); got {_show(value)}")
            return None
        self.out[key] = value
        return int(value[:2]) * 60 + int(value[3:])

    def finish(self) -> dict[str, Any]:
        for key in self.raw:
            if key not in self.seen:
                self.fail(key, "is not a parameter of this node")
        return self.out


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 40 else text[:37] + "..."


def check_source(c: Ctx, base_seconds: int | None) -> None:
    c.choice("field", PRICE_FIELDS)
    tf = c.get("timeframe", None)
    if tf is None:
        return
    seconds = timeframe_seconds(tf)
    if seconds is None:
        c.fail("timeframe", f"must look like 5s, 1m, 5m, 15m, 1h or 1d; got {_show(tf)}")
    elif base_seconds is not None and seconds < base_seconds:
        c.fail("timeframe", f"'{tf}' is finer than the strategy timeframe")
    elif base_seconds is not None and seconds != 86_400 and seconds % base_seconds:
        c.fail("timeframe", f"'{tf}' is not a multiple of the strategy timeframe")
    else:
        c.out["timeframe"] = tf


def check_indicator(c: Ctx, registry: Registry) -> BaseIndicator | None:
    name = c.get("indicator")
    ind = registry.get(name.upper()) if isinstance(name, str) else None
    if ind is None:
        if name is not _MISSING:
            c.fail("indicator", f"unknown indicator {_show(name)}")
        c.seen.update(c.raw)  # its parameters cannot be checked without the indicator
        return None
    c.out["indicator"] = ind.name
    ok = True
    for p in ind.params:
        value = c.get(p.name, p.default)
        coerced = p.coerce(value)
        if isinstance(coerced, str):
            c.fail(p.name, coerced)
            ok = False
        else:
            c.out[p.name] = coerced
    if ok:
        problem = ind.check({p.name: c.out[p.name] for p in ind.params})
        if problem:
            c.errors.append(error(c.node_id, "params", problem))
    return ind


def check_constant(c: Ctx) -> None:
    value = c.get("value")
    if isinstance(value, bool):
        c.out["value"] = value
    elif value is not _MISSING:
        c.number("value", -1e300, 1e300)


def check_math(c: Ctx) -> None:
    op = c.choice("op", (*MATH_BINARY, *MATH_UNARY, *MATH_WINDOW, *MATH_SESSION))
    if op in MATH_WINDOW:
        c.integer("n", 1, MAX_WINDOW)
    elif op in MATH_OPENING:
        c.integer("minutes", 1, MAX_OPENING_MINUTES)


def check_condition(c: Ctx) -> None:
    raw_op = c.raw.get("op")
    if isinstance(raw_op, str) and raw_op in COND_ALIASES:
        c.raw = {**c.raw, "op": COND_ALIASES[raw_op]}
    op = c.choice("op", (*COND_BINARY, *COND_WINDOW, "between"))
    if op in COND_WINDOW:
        c.integer("n", 1, MAX_WINDOW)


def check_logic(c: Ctx) -> None:
    c.choice("op", LOGIC_OPS)


def check_time(c: Ctx) -> None:
    op = c.choice("op", TIME_OPS)
    if op == "session_window":
        start, end = c.hhmm("start"), c.hhmm("end")
        if start is not None and end is not None and start >= end:
            c.fail("end", "must be later than start")
    elif op == "day_of_week":
        _check_days(c)
    elif op == "nth_bar":
        c.integer("n", 1, 10_000)
    elif op == "expiry_day":
        c.choice("underlying", UNDERLYINGS)
        c.choice("expiry", ("weekly", "monthly", "any"), "any")
        _check_calendar(c)


def _check_days(c: Ctx) -> None:
    days = c.get("days")
    if not isinstance(days, list) or not days or len(days) > 7:
        if days is not _MISSING:
            c.fail("days", "must be a non-empty list of weekdays (mon..sun or 0..6)")
        return
    out = []
    for d in days:
        if isinstance(d, str) and d.lower()[:3] in DAY_NAMES:
            out.append(DAY_NAMES.index(d.lower()[:3]))
        elif isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6:
            out.append(d)
        else:
            c.fail("days", f"unknown weekday {_show(d)} (use mon..sun or 0=Monday..6)")
            return
    c.out["days"] = sorted(set(out))


def _check_calendar(c: Ctx) -> None:
    try:
        import engine.markets.calendar  # noqa: F401  # lazy: a sibling module, built in parallel
    except ImportError:
        c.fail("op", "expiry_day needs engine.markets.calendar, which is not installed")


def check_gate(c: Ctx) -> None:
    c.choice("side", SIDES)


def check_action(c: Ctx) -> None:
    kind = c.choice("type", ACTION_TYPES)
    if kind in ORDER_ACTIONS:
        c.integer("quantity", 1, 100_000, 1)
    elif kind == "wait":
        c.integer("bars", 1, 100_000)
    elif kind == "option_leg":
        check_option_leg(c)


def check_option_leg(c: Ctx) -> None:
    """An option leg (docs/strategy-language.md, "Option legs")."""
    c.choice("position", ("buy", "sell"))
    c.choice("option_type", ("CE", "PE"))
    c.integer("lots", 1, 10_000, 1)
    if c.raw.get("underlying") is not None:
        c.choice("underlying", UNDERLYINGS)
    else:
        c.get("underlying", None)
    _leg_expiry(c)
    mode = c.choice("strike", STRIKE_MODES, "ATM")
    lo = -100 if mode == "ATM" else 0
    c.integer("offset", lo, 100, 0)
    if mode in STRIKE_STEPS_MODES or mode is None:
        c.out["offset"] = c.out.get("offset") or 0
    if mode in ("ITM", "OTM", "ATM") or mode is None:
        for key in ("premium", "delta", "percent"):
            if key in c.raw:
                c.get(key)
                c.fail(key, f"applies only to a strike chosen by {key} (strike is {mode})")
    else:
        if c.raw.get("offset"):
            c.fail("offset", f"applies only to strike ATM, ITM or OTM (strike is {mode})")
        wanted = STRIKE_VALUE_MODES[mode]
        limits = {"premium": (1e-6, 1e7), "delta": (1e-6, 0.999999), "percent": (1e-6, 500.0)}
        c.number(wanted, *limits[wanted])
        for key in ("premium", "delta", "percent"):
            if key != wanted and key in c.raw:
                c.get(key)
                c.fail(key, f"applies only to a strike chosen by {key} (strike is {mode})")
    c.choice("atm_from", ATM_FROM, "spot")
    for key in (*LEG_LEVELS, *LEG_ACTIVATIONS):
        _leg_level(c, key)
    if c.out.get("trail_after") and not c.out.get("trailing"):
        c.fail("trail_after", "activates a trailing stop: set trailing too")
    c.integer("reentries", 0, 100, 0)
    c.choice("reentry", REENTRY_MODES, "immediate")
    if c.out.get("reentries") and not any(c.out.get(k) for k in LEG_LEVELS):
        c.fail("reentries", "re-entry follows the leg's own stop, target or trailing exit: set one")


def _leg_expiry(c: Ctx) -> None:
    value = c.get("expiry", "current_week")
    value = EXPIRY_ALIASES.get(value, value) if isinstance(value, str) else value
    if isinstance(value, str) and (value in EXPIRY_CHOICES or _iso_date(value)):
        c.out["expiry"] = value
        return
    c.fail(
        "expiry",
        f"must be one of {', '.join(EXPIRY_CHOICES)} (or weekly, monthly) or a date "
        f"'YYYY-MM-DD'; got {_show(value)}",
    )


def _iso_date(value: str) -> bool:
    from datetime import date

    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def _leg_level(c: Ctx, key: str) -> None:
    value = c.get(key, None)
    if value is None:
        c.out[key] = None
        return
    if not isinstance(value, dict) or not set(value) <= {"value", "unit"}:
        c.fail(key, "must be {'value': number, 'unit': 'points' | 'percent'} (of premium)")
        return
    unit = value.get("unit", "points")
    num = value.get("value")
    if unit not in ("points", "percent"):
        c.fail(f"{key}.unit", "must be 'points' or 'percent' (of the entry premium)")
    elif isinstance(num, bool) or not isinstance(num, int | float) or not 0 < num <= 1e7:
        c.fail(f"{key}.value", "must be a number above 0")
    elif unit == "percent" and num > 100 and key != "target":
        c.fail(f"{key}.value", "a stop or trailing distance is at most 100 percent of premium")
    else:
        c.out[key] = {"value": float(num), "unit": unit}


def check_loop(c: Ctx) -> None:
    c.integer("max_reentries", 0, 1_000)
    c.integer("cooldown_bars", 0, 100_000, 0)


SIMPLE_CHECKS: dict[str, Callable[[Ctx], None]] = {
    "constant": check_constant,
    "math": check_math,
    "condition": check_condition,
    "logic": check_logic,
    "time": check_time,
    "entry": check_gate,
    "exit": check_gate,
    "action": check_action,
    "loop": check_loop,
}
