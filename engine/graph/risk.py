"""Strategy settings: the base timeframe and the risk block mapped to ``RiskSettings``."""

from __future__ import annotations

import re
from typing import Any

from engine.graph.errors import error
from engine.graph.params import Ctx, Errors
from engine.graph.schema import timeframe_seconds
from engine.signals import Level, RiskSettings
from engine.sim.layout import RULE_NAMES

_LEVELS = ("stop_loss", "target", "trailing_stop")
_SETTINGS_KEYS = frozenset({"timeframe", "risk"})
_PORT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}\.[A-Za-z_][A-Za-z0-9_]{0,63}$")


def check_settings(raw: object, errors: Errors) -> tuple[str, int | None, RiskSettings | None]:
    """(timeframe, its seconds, risk); seconds/risk are None when invalid."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        errors.append(error(None, "settings", "must be an object"))
        return "1m", None, None
    for key in raw:
        if key not in _SETTINGS_KEYS:
            errors.append(error(None, f"settings.{str(key)[:60]}", "unknown setting"))
    tf = raw.get("timeframe", "1m")
    seconds = timeframe_seconds(tf)
    if seconds is None:
        errors.append(
            error(None, "settings.timeframe", "must look like 1s, 5s, 15s, 30s, 1m, 5m, 1h or 1d")
        )
    risk = check_risk(raw.get("risk"), errors)
    return (tf if isinstance(tf, str) else "1m"), seconds, risk


def check_risk(raw: object, errors: Errors) -> RiskSettings | None:
    if raw is None:
        return RiskSettings()
    if not isinstance(raw, dict):
        errors.append(error(None, "settings.risk", "must be an object"))
        return None
    before = len(errors)
    c = Ctx("", raw, errors)
    levels = {k: _level(k, c) for k in _LEVELS}
    c.integer("max_trades_per_day", 1, 10_000, None)
    c.number("daily_max_loss", 1e-9, 1e15, None)
    c.number("per_trade_max_loss", 1e-9, 1e15, None)
    sq = c.hhmm("square_off", optional=True)
    c.integer("cooldown_bars", 0, 100_000, 0)
    c.integer("min_hold_bars", 0, 100_000, 0)
    groups = {k: _group_level(k, c) for k in ("group_stop_loss", "group_target")}
    intraday = _intraday(c, sq)
    c.finish()
    for e in errors[before:]:
        e["node"], e["field"] = None, "settings.risk." + e["field"].removeprefix("params.")
    if len(errors) > before:
        return None
    out = c.out
    return RiskSettings(
        **levels,
        max_trades_per_day=out.get("max_trades_per_day"),
        daily_max_loss=out.get("daily_max_loss"),
        per_trade_max_loss=out.get("per_trade_max_loss"),
        square_off=out.get("square_off"),
        cooldown_bars=out["cooldown_bars"],
        min_hold_bars=out["min_hold_bars"],
        **groups,
        **intraday,
    )


_DURATION_UNITS = {"bars": 0, "seconds": 1, "minutes": 60}
_MAX_DURATION_S = 86_400


def _intraday(c: Ctx, square_off: int | None) -> dict[str, Any]:
    """The issue-15 rules as RiskSettings fields (``stop_at``/``target_at`` name graph ports:
    :func:`check_level_refs` checks them once the nodes are known)."""
    out: dict[str, Any] = {}
    for key in ("cooldown", "min_hold"):
        bars, seconds = _duration(c, key)
        if bars is not None and c.raw.get(f"{key}_bars") not in (None, 0):
            c.fail(key, f"give {key} or {key}_bars, not both")
        elif bars is not None:
            c.out[f"{key}_bars"] = bars
        out[f"{key}_seconds"] = seconds
    cutoff = c.hhmm("entry_cutoff", optional=True)
    if cutoff is not None and square_off is not None and cutoff >= square_off:
        c.fail("entry_cutoff", "must be before square_off (entries already stop there)")
    out["entry_cutoff"] = c.out.get("entry_cutoff")
    for key, fixed in (("stop_at", "stop_loss"), ("target_at", "target")):
        ref = c.get(key, None)
        if ref is not None and (not isinstance(ref, str) or not _PORT_RE.match(ref)):
            c.fail(key, f"must name a graph output as 'node.port'; got {str(ref)[:40]!r}")
        elif ref is not None and c.raw.get(fixed) is not None:
            c.fail(key, f"give {key} or {fixed}, not both")
        out[key] = ref if isinstance(ref, str) else None
    out["trailing_activation"] = _level("trailing_activation", c)
    if out["trailing_activation"] is not None and c.raw.get("trailing_stop") is None:
        c.fail("trailing_activation", "needs a trailing_stop to activate")
    out["move_stop_to_cost"] = _level("move_stop_to_cost", c)
    check = c.choice("daily_loss_check", ("close", "bar"), "close") or "close"
    if check == "bar" and c.raw.get("daily_max_loss") is None:
        c.fail("daily_loss_check", "'bar' needs a daily_max_loss to check")
    out["daily_loss_check"] = check
    out["exit_priority"] = _priority(c)
    return out


def _duration(c: Ctx, key: str) -> tuple[int | None, int]:
    """``{'value': n, 'unit': 'bars' | 'seconds' | 'minutes'}`` -> (bars or None, seconds)."""
    value = c.get(key, None)
    if value is None:
        return None, 0
    if not isinstance(value, dict) or not set(value) <= {"value", "unit"}:
        c.fail(key, "must be {'value': n, 'unit': 'bars' | 'seconds' | 'minutes'}")
        return None, 0
    unit, num = value.get("unit", "bars"), value.get("value")
    if unit not in _DURATION_UNITS:
        c.fail(f"{key}.unit", "must be 'bars', 'seconds' or 'minutes'")
        return None, 0
    if isinstance(num, bool) or not isinstance(num, int) or num < 0:
        c.fail(f"{key}.value", f"must be a whole number of {unit}, 0 or more")
        return None, 0
    if unit == "bars":
        if num > 100_000:
            c.fail(f"{key}.value", "must be at most 100000 bars")
        return num, 0
    seconds = num * _DURATION_UNITS[unit]
    if seconds > _MAX_DURATION_S:
        c.fail(f"{key}.value", "must be at most a day (86400 seconds)")
        return None, 0
    return None, seconds


def _priority(c: Ctx) -> tuple[str, ...] | None:
    value = c.get("exit_priority", None)
    if value is None:
        return None
    names = RULE_NAMES
    if (
        not isinstance(value, list)
        or any(not isinstance(v, str) or v not in names for v in value)
        or len(set(value)) != len(value)
    ):
        c.fail("exit_priority", f"must be a list of distinct rule names from {', '.join(names)}")
        return None
    return tuple(value)  # [] is the default order


def check_level_refs(risk: RiskSettings, outs: dict[str, dict[str, str]], errors: Errors) -> None:
    """``stop_at``/``target_at`` must name a node's number output (``outs``: node -> port ->
    type)."""
    for key in ("stop_at", "target_at"):
        ref = getattr(risk, key)
        if ref is None:
            continue
        node, _, port = ref.partition(".")
        if node not in outs:
            errors.append(error(None, f"settings.risk.{key}", f"no node '{node}' in the graph"))
        elif outs[node].get(port) != "number":
            have = ", ".join(p for p, t in outs[node].items() if t == "number") or "none"
            msg = f"'{ref}' is not a number output of '{node}' (number outputs: {have})"
            errors.append(error(None, f"settings.risk.{key}", msg))


def _group_level(key: str, c: Ctx) -> Level | None:
    """An option-leg group level: ``{'value': n, 'unit': 'rupees' | 'percent'}``."""
    value = c.get(key, None)
    if value is None:
        return None
    if not isinstance(value, dict) or not set(value) <= {"value", "unit"}:
        c.fail(key, "must be {'value': number, 'unit': 'rupees' | 'percent'}")
        return None
    unit = value.get("unit", "rupees")
    num = value.get("value")
    if unit not in ("rupees", "percent"):
        c.fail(f"{key}.unit", "must be 'rupees' (of group P&L) or 'percent' (of entry premium)")
        return None
    if isinstance(num, bool) or not isinstance(num, int | float) or not 0 < num <= 1e12:
        c.fail(f"{key}.value", "must be a number above 0")
        return None
    return Level(value=float(num), unit="points" if unit == "rupees" else "percent")


def _level(key: str, c: Ctx) -> Level | None:
    value = c.get(key, None)
    if value is None:
        return None
    if not isinstance(value, dict) or not set(value) <= {"value", "unit"}:
        c.fail(key, "must be {'value': number, 'unit': 'points' | 'percent'}")
        return None
    unit = value.get("unit", "points")
    if unit not in ("points", "percent"):
        c.fail(f"{key}.unit", "must be 'points' or 'percent'")
        return None
    num = value.get("value")
    hi = 100.0 if unit == "percent" else 1e9
    if isinstance(num, bool) or not isinstance(num, int | float) or not 0 < num <= hi:
        c.fail(f"{key}.value", f"must be a number above 0 and at most {hi:g}")
        return None
    return Level(value=float(num), unit=unit)
