"""Strategy settings: the base timeframe and the risk block mapped to ``RiskSettings``."""

from __future__ import annotations

from engine.graph.errors import error
from engine.graph.params import Ctx, Errors
from engine.graph.schema import timeframe_seconds
from engine.signals import Level, RiskSettings

_LEVELS = ("stop_loss", "target", "trailing_stop")
_SETTINGS_KEYS = frozenset({"timeframe", "risk"})


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
    c.hhmm("square_off", optional=True)
    c.integer("cooldown_bars", 0, 100_000, 0)
    c.integer("min_hold_bars", 0, 100_000, 0)
    groups = {k: _group_level(k, c) for k in ("group_stop_loss", "group_target")}
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
    )


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
