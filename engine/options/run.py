"""A strategy with option legs, run: the legs' trades wrapped as the engine's ``SimResult``
so statistics, serialisation and storage read them like any other trades."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine.bars import Bars
from engine.graph.plan import Plan
from engine.options.legs import LegSpec, PremiumLevel, leg_spec, with_defaults
from engine.options.sim import LEG_EXIT_REASONS, GroupLevels, simulate_legs
from engine.signals import Level, RiskSettings, Signals
from engine.sim import layout as L
from engine.sim.config import SimConfig
from engine.sim.result import IST, Rejections, SimResult, Trades

ENTRY_SIGNALS = ("entry_long", "entry_short")


def option_legs(plan: Plan) -> dict[str, tuple[LegSpec, str]]:
    """node id -> (leg spec, the entry signal whose gate fires it), for every option leg."""
    nodes = {n.id: n for n in plan.nodes}
    out: dict[str, tuple[LegSpec, str]] = {}
    for name in ENTRY_SIGNALS:
        for action in plan.actions.get(name, ()):
            node = nodes[action]
            if node.params.get("type") == "option_leg" and action not in out:
                out[action] = (leg_spec(action, node.params), name)
    return out


def has_option_legs(plan: Plan) -> bool:
    return any(n.kind == "action" and n.params.get("type") == "option_leg" for n in plan.nodes)


@dataclass(frozen=True, slots=True)
class LegTrades(Trades):
    """Trades of option legs: the engine's columns plus, per trade, its contract, premiums,
    lots, premium source and group (``facts``)."""

    facts: tuple[dict[str, Any], ...] = ()

    @property
    def exit_reason(self) -> list[str]:
        return [LEG_EXIT_REASONS[int(r)] for r in self.records[:, L.T_REASON]]

    def _plain(self) -> Trades:
        records = self.records.copy()
        records[:, L.T_REASON] = 0  # names come from exit_reason (more reasons than the kernel)
        return Trades(records, self.ts)

    def to_frame(self, tz: str = IST) -> pd.DataFrame:
        frame = self._plain().to_frame(tz)
        frame["exit_reason"] = self.exit_reason
        facts = pd.DataFrame(list(self.facts), index=frame.index)
        return pd.concat([frame, facts], axis=1) if len(facts.columns) else frame

    def to_columns(self, tz: str = IST) -> dict[str, Any]:
        """The engine's columns with the legs' exit reasons, then one list a fact (a leg run
        has hundreds of trades, not the kernel's hundred thousands: lists are cheap here)."""
        columns = self._plain().to_columns(tz)
        columns["exit_reason"] = self.exit_reason
        for key in dict.fromkeys(k for fact in self.facts for k in fact):
            columns[key] = [fact.get(key) for fact in self.facts]
        return columns

    def to_records(self, tz: str = IST) -> list[dict[str, Any]]:
        rows = self._plain().to_records(tz)
        for row, fact, reason in zip(rows, self.facts, self.exit_reason, strict=True):
            row["exit_reason"] = reason
            row.update(fact)
        return rows


def run_legs(
    bars: Bars,
    signals: Signals,
    plan: Plan,
    config: SimConfig,
    risk: RiskSettings,
    timeframe: str,
) -> SimResult:
    """Simulate the plan's option legs; the strategy's stop/target/trailing are the legs'
    premium levels where a leg sets none of its own."""
    legs, levels = leg_inputs(plan, risk)
    run = simulate_legs(bars, signals, legs, config, risk, timeframe=timeframe, group_levels=levels)
    state = np.zeros(L.NS)
    state[L.S_CASH] = run.cash[-1] if len(run.cash) else config.initial_cash
    state[L.S_RC : L.S_RC + L.NREASONS] = run.reject_counts
    state[L.S_NTRADES] = len(run.records)
    return SimResult(
        trades=LegTrades(run.records, bars.ts, tuple(run.facts)),
        rejections=Rejections(run.rejections, bars.ts),
        equity=run.equity,
        cash=run.cash,
        position=np.zeros(len(bars)),
        state=state,
        open_position=None,
    )


def leg_inputs(
    plan: Plan, risk: RiskSettings
) -> tuple[dict[str, tuple[LegSpec, str]], GroupLevels]:
    """The legs ``simulate_legs`` trades (with the strategy's levels as their defaults) and
    the group levels: what a backtest and a live session (engine/live.py) both run."""
    defaults = {
        "stop": _premium(risk.stop_loss),
        "target": _premium(risk.target),
        "trailing": _premium(risk.trailing_stop),
    }
    legs = {
        node: (with_defaults(spec, **defaults), signal)
        for node, (spec, signal) in option_legs(plan).items()
    }
    levels = GroupLevels(stop=_premium(risk.group_stop_loss), target=_premium(risk.group_target))
    return legs, levels


def leg_stats(trades: Trades) -> dict[str, dict[str, Any]]:
    """Per leg node: trades, wins, net P&L, charges, average premium in and out."""
    if not isinstance(trades, LegTrades) or not len(trades):
        return {}
    out: dict[str, dict[str, Any]] = {}
    pnl, fees = trades.pnl, trades.charges
    for k, fact in enumerate(trades.facts):
        s = out.setdefault(
            str(fact["leg"]),
            {"trades": 0, "wins": 0, "pnl": 0.0, "charges": 0.0, "_in": 0.0, "_out": 0.0},
        )
        s["trades"] += 1
        s["wins"] += int(pnl[k] > 0)
        s["pnl"] += float(pnl[k])
        s["charges"] += float(fees[k])
        s["_in"] += float(fact["premium_in"])  # type: ignore[arg-type]
        s["_out"] += float(fact["premium_out"])  # type: ignore[arg-type]
    for s in out.values():
        n = s["trades"]
        s["win_rate_pct"] = 100.0 * s["wins"] / n
        s["avg_premium_in"], s["avg_premium_out"] = s.pop("_in") / n, s.pop("_out") / n
        s["pnl"], s["charges"] = round(s["pnl"], 2), round(s["charges"], 2)
    return out


def _premium(level: Level | None) -> PremiumLevel | None:
    return None if level is None else PremiumLevel(level.value, level.unit)


__all__ = [
    "LegTrades",
    "has_option_legs",
    "leg_inputs",
    "leg_stats",
    "option_legs",
    "run_legs",
]
