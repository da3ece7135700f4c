"""How a run's numbers and times are shown (docs/adr/0011-api-times-and-defaults.md).

Raw values stay as stored; display values round prices to the instrument's tick, money to the
paisa and percentages (and ratios) to 2 decimals, as strings so no float noise comes back.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd
from django.utils import timezone

from algobacktester.api.timezones import local_iso
from algobacktester.rounding import money, to_step
from engine.graph.capabilities import entry_sides
from engine.sim.result import iso_times

__all__ = ["money", "to_step"]  # shared with notifications' message bodies

MONEY_STATS = ("equity_final", "equity_peak", "total_charges")
TIME_STATS = ("start", "end")
# What a refused entry means for the trader, and what to change.
REJECTION_HELP = {
    "insufficient_funds": "the capital did not cover the margin and charges of the order: raise "
    "capital, or lower sizing or margin",
    "zero_size": "the order size rounded to zero units: size in lots, or raise capital",
    "insufficient_margin": "the margin the order blocks was more than the account's equity: "
    "raise capital, or lower sizing",
    "outside_window": "the entry signal came in or next to the square-off window, at or after "
    "the entry cut-off, or on a day's last bar, where no new position may open: move "
    "risk.square_off or risk.entry_cutoff later or check the entry conditions' timing",
    "max_trades_per_day": "the day's trade limit was already reached: raise "
    "risk.max_trades_per_day or remove it",
    "daily_loss_limit": "the day's loss reached risk.daily_max_loss, which blocks entries for "
    "the rest of the day: raise the limit or remove it",
    "cooldown": "the signal came within risk.cooldown_bars (or risk.cooldown in time) of the "
    "last exit: lower it",
    "order_expired": "a limit or stop entry was not reached before it expired: widen the "
    "entry's price offset or give it more bars (order_valid_bars)",
    "end_of_data": "the signal came on the last bar, with no bar left to fill it: extend the "
    "range's end",
    "no_level": "risk.stop_at or risk.target_at names a series that was empty (NaN) on the "
    "signal bar, e.g. an opening range before it completes: enter later or check the node",
}


def rejection_counts(body: dict[str, Any]) -> dict[str, int]:
    """Refused entries by reason, from the whole list (the stored list is capped at 1,000);
    the engine's own counts win when it reports them."""
    engine = body.get("rejection_counts")
    if isinstance(engine, dict):
        return {str(k): int(v) for k, v in engine.items() if v}
    return dict(Counter(str(r.get("reason")) for r in body.get("rejections") or []))


def no_trades_reason(
    *,
    stats: dict[str, Any] | None,
    counts: dict[str, int],
    bars: int,
    open_position: dict[str, Any] | None = None,
    sides_off: tuple[str, ...] = (),
    entry_sides: set[str] | None = None,
) -> str | None:
    """A sentence saying why a finished run made no trade; None when it made some.

    ``sides_off``: the sides the run's config turned off (``allow_long``/``allow_short``
    false); ``entry_sides``: the sides the strategy has entries for. The kernel drops a
    signal for a side that is off without counting it, so the reason is named from these."""
    if not stats or stats.get("trades"):
        return None
    if open_position:  # keep_open: the run did trade, its one position is still open
        return (
            f"No closed trades: one {open_position.get('side')} position opened "
            f"{local_iso(open_position.get('entry_time'))} is still open (end_of_data "
            "keep_open); see open_position."
        )
    if not counts:
        return _nothing_taken(bars, sides_off, entry_sides)
    total = sum(counts.values())
    parts = [
        f"{n:,} {reason.replace('_', ' ')} ({REJECTION_HELP.get(reason, 'see the engine docs')})"
        for reason, n in sorted(counts.items(), key=lambda kv: -kv[1])
    ]
    return f"No trades: the simulator refused {total:,} entries: " + "; ".join(parts) + "."


def _nothing_taken(bars: int, sides_off: tuple[str, ...], entry_sides: set[str] | None) -> str:
    never = (
        f"the entry conditions never fired on the {bars:,} bars of the range (indicators "
        "need their warm-up bars first; try a longer range or check the conditions with "
        "POST /api/strategies/{id}/validate)."
    )
    off = [s for s in ("long", "short") if s in sides_off and s in (entry_sides or set())]
    if not off:
        return f"No trades: {never}"
    flags = " and ".join(f"allow_{s} false" for s in off)
    sides = " and ".join(off)
    if entry_sides is not None and entry_sides <= set(off):
        return (
            f"No trades: the strategy enters only {sides}, and the run's config turns "
            f"{sides} entries off ({flags}): set {flags.replace('false', 'true')} or add "
            "entries on the other side."
        )
    return f"No trades: {sides} entries are off ({flags}), and on the other side {never}"


def stats_local(stats: dict[str, Any] | None) -> dict[str, Any] | None:
    """Raw stats with their times (``start``, ``end``) in the current zone."""
    if stats is None:
        return None
    return {k: _local(v) if k in TIME_STATS else v for k, v in stats.items()}


def _local(value: Any) -> Any:
    return local_iso(value) if isinstance(value, str) else value


def stats_display(stats: dict[str, Any] | None, *, keep: tuple[str, ...] = ()) -> dict[str, Any]:
    """Stats rounded for people; the ``keep`` keys (a sweep row's parameters) as they are."""
    out: dict[str, Any] = {}
    for key, value in (stats or {}).items():
        if key in keep:
            out[key] = value
        elif key in TIME_STATS:
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


def open_position_local(position: dict[str, Any] | None, *, tick: Any) -> dict[str, Any] | None:
    """A run's still-open position (end_of_data keep_open) with its entry time in the current
    zone and ``display``: prices to the tick, money to the paisa."""
    if not position:
        return None
    return {
        **position,
        "entry_time": _local(position.get("entry_time")),
        "display": {
            "entry_price": to_step(position.get("entry_price"), tick),
            "mark_price": to_step(position.get("mark_price"), tick),
            "entry_charges": money(position.get("entry_charges")),
            "unrealised_pnl": money(position.get("unrealised_pnl")),
        },
    }


def curve_local(points: list[list[Any]] | None) -> list[list[Any]] | None:
    """Curve points ``[iso time, value]`` with the time in the current zone, the times
    parsed and formatted as whole arrays (4,000 points: ~3 ms instead of ~15 ms)."""
    if points is None:
        return None
    if not points:
        return []
    moments = pd.to_datetime([p[0] for p in points], utc=True, format="ISO8601")
    times = iso_times(moments.as_unit("ns").asi8, timezone.get_current_timezone())
    return [[t, p[1]] for t, p in zip(times, points, strict=True)]


# The fields of a run's answer that come from its result, in the order the answer lists them
# (backtests.api.serializers.RunDetailSerializer documents each).
RESULT_FIELDS = (
    "stats",
    "stats_display",
    "equity_curve",
    "drawdown_curve",
    "rejections",
    "rejected_entries",
    "no_trades_reason",
    "open_position",
)


def result_part(run: Any) -> dict[str, Any]:
    """A run's result as its answer shows it, times in the current zone: what a finished run
    stores once as bytes (``BacktestRun.result_body``) so reads need not build it again."""
    counts = rejected_entries(run)
    return {
        "stats": stats_local(run.stats),
        "stats_display": stats_display(run.stats),
        "equity_curve": curve_local(run.equity_curve),
        "drawdown_curve": curve_local(run.drawdown_curve),
        "rejections": (
            None
            if run.rejections is None
            else [{**r, "time": local_iso(r.get("time"))} for r in run.rejections]
        ),
        "rejected_entries": counts,
        "no_trades_reason": (
            None
            if run.status != "done"
            else no_trades_reason(
                stats=run.stats,
                counts=counts,
                bars=run.bars,
                open_position=run.open_position,
                **_sides(run),
            )
        ),
        "open_position": open_position_local(run.open_position, tick=run.instrument.tick_size),
    }


def _sides(run: Any) -> dict[str, Any]:
    """The sides the run's config turned off, and (only then: it reads the graph) the sides
    its strategy enters on."""
    config = run.config or {}
    off = tuple(s for s in ("long", "short") if config.get(f"allow_{s}", True) is False)
    if not off or run.stats is None or run.stats.get("trades"):
        return {"sides_off": off}
    return {"sides_off": off, "entry_sides": entry_sides(run.strategy_version.graph)}


def rejected_entries(run: Any) -> dict[str, int]:
    if run.rejected_entries or not run.rejections:
        return run.rejected_entries
    return rejection_counts({"rejections": run.rejections})  # older runs
