"""How a run's numbers and times are shown (docs/adr/0011-api-times-and-defaults.md).

Raw values stay as stored; display values round prices to the instrument's tick, money to the
paisa and percentages (and ratios) to 2 decimals, as strings so no float noise comes back.
"""

from __future__ import annotations

from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from algobacktester.api.timezones import local_iso

MONEY_STATS = ("equity_final", "equity_peak", "total_charges")
TIME_STATS = ("start", "end")
# What a refused entry means for the trader, and what to change.
REJECTION_HELP = {
    "insufficient_funds": "the capital did not cover the margin and charges of the order: raise "
    "capital, or lower sizing or margin",
    "zero_size": "the order size rounded to zero units: size in lots, or raise capital",
}


def rejection_counts(body: dict[str, Any]) -> dict[str, int]:
    """Refused entries by reason, from the whole list (the stored list is capped at 1,000);
    the engine's own counts win when it reports them."""
    engine = body.get("rejection_counts")
    if isinstance(engine, dict):
        return {str(k): int(v) for k, v in engine.items() if v}
    return dict(Counter(str(r.get("reason")) for r in body.get("rejections") or []))


def no_trades_reason(
    *, stats: dict[str, Any] | None, counts: dict[str, int], bars: int
) -> str | None:
    """A sentence saying why a finished run made no trade; None when it made some."""
    if not stats or stats.get("trades"):
        return None
    if not counts:
        return (
            f"No trades: the entry conditions never fired on the {bars:,} bars of the range "
            "(indicators need their warm-up bars first; try a longer range or check the "
            "conditions with POST /api/strategies/{id}/validate)."
        )
    total = sum(counts.values())
    parts = [
        f"{n:,} {reason.replace('_', ' ')} ({REJECTION_HELP.get(reason, 'see the engine docs')})"
        for reason, n in sorted(counts.items(), key=lambda kv: -kv[1])
    ]
    return f"No trades: the simulator refused {total:,} entries: " + "; ".join(parts) + "."


def to_step(value: Any, step: Any) -> str | None:
    """``value`` rounded to a multiple of ``step`` (a tick, 0.01), as a plain decimal string."""
    if value is None:
        return None
    step = Decimal(str(step))
    if step <= 0:
        return str(value)
    units = (Decimal(str(value)) / step).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return str((units * step).quantize(step))


def money(value: Any) -> str | None:
    return to_step(value, "0.01")


def stats_display(stats: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in (stats or {}).items():
        if key in TIME_STATS:
            out[key] = local_iso(value) if isinstance(value, str) else value
        elif isinstance(value, int | float) and not isinstance(value, bool) and key != "trades":
            out[key] = to_step(value, "0.01")
        else:
            out[key] = value
    return out


def trade_display(trade: dict[str, Any], *, tick: Any) -> dict[str, Any]:
    return {
        "entry_price": to_step(trade["entry_price"], tick),
        "exit_price": to_step(trade["exit_price"], tick),
        "pnl": money(trade["pnl"]),
        "charges": money(trade["charges"]),
        "return_pct": to_step(trade["return_pct"], "0.01"),
    }


def curve_local(points: list[list[Any]] | None) -> list[list[Any]] | None:
    """Curve points ``[iso time, value]`` with the time in the current zone."""
    if points is None:
        return None
    return [[local_iso(t), v] for t, v in points]
