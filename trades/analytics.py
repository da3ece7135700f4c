"""Trade analytics over round trips, one shape for live fills and a backtest's trades.

A round trip opens when a position leaves zero and closes when it returns to zero (or flips:
the flip opens the next one). Its P&L is what its fills realised, net of their charges.
Grouped by IST day, weekday, hour of exit, strategy and instrument; the summary has win rate,
profit factor, expectancy, max drawdown of the cumulative P&L, and streaks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from engine.markets.calendar import IST

from .positions import fold

IST_ZONE = IST  # Asia/Kolkata, a ZoneInfo
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True, slots=True)
class Trip:
    entry_time: datetime
    exit_time: datetime
    pnl: float
    instrument: str
    strategy: str


@dataclass(frozen=True, slots=True)
class FillRow:
    """One fill, as the analytics needs it (``quantity`` signed: + bought, - sold)."""

    book: tuple[Any, ...]  # what positions are kept apart by: (account, instrument, product)
    quantity: int
    price: Decimal
    charges: Decimal
    ts: datetime
    instrument: str
    strategy: str


def trips_from_fills(fills: Iterable[FillRow]) -> list[Trip]:
    state: dict[tuple[Any, ...], dict[str, Any]] = {}
    trips: list[Trip] = []
    for fill in sorted(fills, key=lambda f: f.ts):
        book = state.setdefault(
            fill.book, {"net": 0, "avg": Decimal(0), "pnl": Decimal(0), "open": None}
        )
        if book["net"] == 0:
            book["open"], book["pnl"] = fill.ts, Decimal(0)
        after = fold(book["net"], book["avg"], fill.quantity, fill.price)
        book["pnl"] += after.realised - fill.charges
        flipped = after.net != 0 and (after.net > 0) != (book["net"] > 0) and book["net"] != 0
        if after.net == 0 or flipped:
            trips.append(
                Trip(book["open"], fill.ts, float(book["pnl"]), fill.instrument, fill.strategy)
            )
            book["open"], book["pnl"] = fill.ts, Decimal(0)
        book["net"], book["avg"] = after.net, after.average
    return trips


def analytics(trips: list[Trip]) -> dict[str, Any]:
    ordered = sorted(trips, key=lambda t: t.exit_time)
    return {
        "summary": summary(ordered),
        "by_day": _grouped(ordered, lambda t: _local(t.exit_time).date().isoformat()),
        "by_weekday": _grouped(ordered, lambda t: WEEKDAYS[_local(t.exit_time).weekday()]),
        "by_hour": _grouped(ordered, lambda t: f"{_local(t.exit_time).hour:02d}"),
        "by_strategy": _grouped(ordered, lambda t: t.strategy or "manual"),
        "by_instrument": _grouped(ordered, lambda t: t.instrument),
    }


def summary(trips: list[Trip]) -> dict[str, Any]:
    pnls = [t.pnl for t in trips]
    wins = [p for p in pnls if p > 0]
    losses = [p for p in pnls if p < 0]
    gross_profit, gross_loss = sum(wins), -sum(losses)
    n = len(pnls)
    return {
        "trades": n,
        "wins": len(wins),
        "losses": len(losses),
        "net_pnl": _money(sum(pnls)),
        "gross_profit": _money(gross_profit),
        "gross_loss": _money(gross_loss),
        "win_rate": round(100.0 * len(wins) / n, 2) if n else None,
        "profit_factor": round(gross_profit / gross_loss, 4) if gross_loss else None,
        "expectancy": _money(sum(pnls) / n) if n else None,
        "average_win": _money(gross_profit / len(wins)) if wins else None,
        "average_loss": _money(-gross_loss / len(losses)) if losses else None,
        "max_drawdown": _money(max_drawdown(pnls)),
        **streaks(pnls),
    }


def max_drawdown(pnls: list[float]) -> float:
    """The deepest fall of cumulative P&L from its running peak (a positive amount)."""
    peak = equity = worst = 0.0
    for pnl in pnls:
        equity += pnl
        peak = max(peak, equity)
        worst = max(worst, peak - equity)
    return worst


def streaks(pnls: list[float]) -> dict[str, int]:
    longest_win = longest_loss = run = 0
    for pnl in pnls:
        if pnl > 0:
            run = run + 1 if run > 0 else 1
            longest_win = max(longest_win, run)
        elif pnl < 0:
            run = run - 1 if run < 0 else -1
            longest_loss = max(longest_loss, -run)
        else:
            run = 0
    return {
        "longest_win_streak": longest_win,
        "longest_loss_streak": longest_loss,
        "current_streak": run,
    }


def _grouped(trips: list[Trip], key: Any) -> list[dict[str, Any]]:
    groups: dict[str, list[float]] = defaultdict(list)
    for trip in trips:
        groups[key(trip)].append(trip.pnl)
    return [
        {
            "key": name,
            "trades": len(values),
            "wins": sum(1 for v in values if v > 0),
            "pnl": _money(sum(values)),
        }
        for name, values in sorted(groups.items())
    ]


def _local(ts: datetime) -> datetime:
    return ts.astimezone(IST_ZONE)


def _money(value: float) -> float:
    return round(float(value), 2)
