"""The simulator of option legs: a leg fires at its gate's bar, resolves a contract then,
and trades that contract's premiums until it exits. The underlying is never traded.

Order of events inside bar ``i`` (docs/backtests.md, "Option legs"):

1. a new IST day resets the day's counters;
2. at the open: pending exits fill, then pending entries (decided on the bar before);
3. square-off at the open of the first bar at/after the square-off minute;
4. each leg's own stop / target / trailing from its premium's high/low (a gap through a
   level fills at the open; stop first when both are touched, configurable); a trailing
   stop follows the best premium seen on earlier bars;
5. legs reaching their expiry's last bar close at its close (reason ``expiry``);
6. at the close: group stop/target and per-trade loss on the group's P&L, the daily loss
   guardrail on the day's P&L; then the strategy's exit gate closes the groups of its side;
   then gates that fired open new groups (and legs waiting for re-entry re-enter);
7. equity is marked at the close.

Legs that one gate fires on one bar form a *group*, entered together and exited together
(exit gate, square-off, group levels, guardrails, end of data), unless a leg's own level
or its expiry closes it first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from engine.bars import Bars
from engine.fees._kernel import NC, charges
from engine.graph.schema import timeframe_seconds
from engine.markets import calendar
from engine.options.config import LegError, OptionsConfig
from engine.options.contracts import OptionContract
from engine.options.legs import LegSpec, PremiumLevel
from engine.options.premiums import PremiumFeed, PremiumSeries, decision_years, ist_date
from engine.options.resolve import (
    listed,
    model_contract,
    model_strikes,
    reference_price,
    resolve_expiry,
    select_strike,
    strike_step_of,
)
from engine.signals import RiskSettings, Signals
from engine.sim import layout as L
from engine.sim.clock import day_and_minute
from engine.sim.config import SimConfig, square_off_minute

LEG_EXIT_REASONS = (*L.EXIT_REASONS, "expiry", "group_stop", "group_target")
EXIT_EXPIRY, EXIT_GROUP_STOP, EXIT_GROUP_TARGET = 7, 8, 9


@dataclass(frozen=True, slots=True)
class GroupLevels:
    """Group stop/target on the group's combined P&L: rupees, or percent of the premium
    value the group paid or received at entry."""

    stop: PremiumLevel | None = None  # unit "points" means rupees here
    target: PremiumLevel | None = None


@dataclass(slots=True)
class Leg:
    spec: LegSpec
    group: Group
    contract: OptionContract
    series: PremiumSeries
    units: int
    entry_bar: int
    entry_price: float
    entry_fees: np.ndarray
    margin: float
    best: float  # best premium seen on closed bars (trailing reference)
    last_bar: int
    sources: set[str] = field(default_factory=set)
    pending_exit: int = -1  # exit reason code to fill at the next open
    cols: dict[str, list[float]] = field(default_factory=dict)
    entry_total: float = 0.0

    def px(self, i: int, name: str, ts: np.ndarray) -> float:
        """The premium ``name`` (open/high/low/close) at bar ``i``; LegError when unknown."""
        value = self.cols[name][i - self.series.start]
        if value != value:  # NaN: only the real source leaves one
            return self.series.at(i, name, ts)
        return value


@dataclass(slots=True)
class Group:
    id: int
    signal: str  # "entry_long" / "entry_short"
    entry_bar: int
    entry_value: float = 0.0  # sum of premium x units at entry (for percent levels)
    realised: float = 0.0
    legs: list[Leg] = field(default_factory=list)
    waiting: dict[str, int] = field(default_factory=dict)  # leg node -> re-entries used
    stopped: set[str] = field(default_factory=set)  # legs waiting for a re-entry
    specs: dict[str, LegSpec] = field(default_factory=dict)
    fresh: bool = True  # not entered yet: a refusal then un-counts it from the day's trades

    @property
    def open_legs(self) -> list[Leg]:
        return list(self.legs)

    @property
    def live(self) -> bool:
        """Holds a leg that is not already on its way out."""
        return any(leg.pending_exit < 0 for leg in self.legs)


@dataclass(frozen=True, slots=True)
class LegRun:
    """What ``simulate_legs`` returns: trade rows in the engine's layout plus per-trade
    option facts, the equity curve and refusals."""

    records: np.ndarray  # (n, NT)
    facts: list[dict[str, object]]
    equity: np.ndarray
    cash: np.ndarray
    rejections: np.ndarray  # (m, NR)
    reject_counts: np.ndarray  # (NREASONS,)


class _Sim:
    def __init__(
        self,
        bars: Bars,
        signals: Signals,
        legs: dict[str, tuple[LegSpec, str]],
        config: SimConfig,
        risk: RiskSettings,
        timeframe: str,
        group_levels: GroupLevels,
    ) -> None:
        assert config.options is not None
        self.bars, self.signals, self.config, self.risk = bars, signals, config, risk
        self.opts: OptionsConfig = config.options
        self.legs = legs
        self.levels = group_levels
        self.feed = PremiumFeed(bars, timeframe, self.opts)
        seconds = timeframe_seconds(timeframe) or 60
        self.bar_ns = seconds * 1_000_000_000 if seconds < 86_400 else None
        self.days, self.mods = day_and_minute(bars.ts, config.timezone)
        self.sq = square_off_minute(risk.square_off)
        self.fees = config.fee_model().table()
        self.fill_close = config.fill == "close"
        self.cash = config.initial_cash
        self.groups: list[Group] = []
        self.pending: list[tuple[Group, LegSpec]] = []  # entries to fill at the next open
        self.records: list[np.ndarray] = []
        self.facts: list[dict[str, object]] = []
        self.rejects: list[list[float]] = []
        self.counts = np.zeros(L.NREASONS)
        self.day = -1
        self.day_groups = 0
        self.day_start_equity = self.cash
        self.day_blocked = False
        self.last_exit_bar = -(10**9)
        self.next_group = 1
        self._decided: dict[tuple[int, str], int] = {}  # pending entry -> its decision bar
        self._closing: list[tuple[Group, LegSpec]] = []  # entries at this bar's close
        # Group P&L is only worth computing each bar when a group rule reads it.
        self.watch_groups = (
            risk.per_trade_max_loss is not None
            or group_levels.stop is not None
            or group_levels.target is not None
        )
        self.fired_at = {
            k: np.asarray(a, dtype=np.bool_).tolist() for k, a in signals.fired.items()
        }
        fires = [np.asarray(a, dtype=np.bool_) for a in signals.fired.values()]
        self.busy = np.logical_or.reduce([*fires, signals.exit_long, signals.exit_short])
        self.fired = {
            name: [n for n, (_, sig) in legs.items() if sig == name]
            for name in ("entry_long", "entry_short")
        }

    # --- the loop -----------------------------------------------------------------------
    def run(self) -> LegRun:
        n = len(self.bars)
        equity, cash = np.empty(n), np.empty(n)
        busy = self.busy.tolist()
        for i in range(n):
            self._new_day(i)
            if not (busy[i] or self.pending or self.groups):  # nothing held or happening
                equity[i] = cash[i] = self.cash
                continue
            self._at_open(i)
            self._protective(i)
            self._expiries(i)
            self._at_close(i)
            equity[i], cash[i] = self._mark(i), self.cash
        self._end(n - 1, equity, cash)
        rec = np.array(self.records).reshape(-1, L.NT)
        rej = np.array(self.rejects, dtype=np.float64).reshape(-1, L.NR)
        return LegRun(rec, self.facts, equity, cash, rej, self.counts)

    def _new_day(self, i: int) -> None:
        if self.days[i] != self.day:
            self.day, self.day_groups, self.day_blocked = int(self.days[i]), 0, False
            self.day_start_equity = self._mark(i - 1) if i else self.cash
            for g in self.groups:
                g.waiting.clear()

    def _at_open(self, i: int) -> None:
        for leg in self._open():
            if leg.pending_exit >= 0:
                self._close(leg, i, leg.px(i, "open", self.bars.ts), leg.pending_exit)
        if self.pending:
            self._flush(i, "open")
        if self.sq >= 0 and self.mods[i] >= self.sq:
            for leg in self._open():
                if leg.entry_bar < i or not self.fill_close:
                    self._close(leg, i, leg.px(i, "open", self.bars.ts), L.EXIT_SQUARE_OFF)

    def _protective(self, i: int) -> None:
        ts = self.bars.ts
        for leg in self._open():
            spec = leg.spec
            if (
                spec.stop is None
                and spec.target is None
                and spec.trailing is None
                and spec.cost_after is None
            ):
                continue
            if leg.entry_bar == i and self.fill_close:
                continue  # entered at this bar's close: its range is before the entry
            o, h, lo = leg.px(i, "open", ts), leg.px(i, "high", ts), leg.px(i, "low", ts)
            hit = self._level_hit(leg, o, h, lo)
            if hit is not None:
                price, reason = hit
                self._close(leg, i, price, reason)
                self._may_reenter(leg, i)
            else:
                best = h if spec.side > 0 else lo
                leg.best = max(leg.best, best) if spec.side > 0 else min(leg.best, best)

    def _level_hit(self, leg: Leg, o: float, h: float, lo: float) -> tuple[float, int] | None:
        """(fill premium, reason) when a level of the leg is reached in this bar."""
        spec, e, side = leg.spec, leg.entry_price, leg.spec.side
        favour = side * (leg.best - e)  # the best move seen on earlier bars
        levels: list[tuple[float, int]] = []
        if spec.stop is not None:
            levels.append((e - side * spec.stop.distance(e), L.EXIT_STOP))
        if spec.cost_after is not None and favour >= spec.cost_after.distance(e):
            levels.append((e, L.EXIT_STOP))  # moved to cost
        armed = spec.trail_after is None or favour >= spec.trail_after.distance(e)
        if spec.trailing is not None and armed:
            levels.append((leg.best - side * spec.trailing.distance(e), L.EXIT_TRAILING))
        stops = [(p, r) for p, r in levels if (lo <= p if side > 0 else h >= p)]
        target = None
        if spec.target is not None:
            t = e + side * spec.target.distance(e)
            if (h >= t) if side > 0 else (lo <= t):
                target = (t, L.EXIT_TARGET)
        # The tighter stop is the one reached first on the way.
        stop = max(stops, key=lambda pr: side * pr[0]) if stops else None
        hit = stop if (stop and (self.config.stop_first or target is None)) else target or stop
        if hit is None:
            return None
        price, reason = hit
        gapped = (o <= price) if (side > 0) == (reason != L.EXIT_TARGET) else (o >= price)
        return (o if gapped else max(price, 0.0)), reason

    def _expiries(self, i: int) -> None:
        for leg in self._open():
            if leg.last_bar == i:
                self._close(leg, i, leg.px(i, "close", self.bars.ts), EXIT_EXPIRY)

    def _at_close(self, i: int) -> None:
        for g in self._open_groups() if self.watch_groups else ():
            pnl = g.realised + sum(self._unrealised(leg, i) for leg in g.open_legs)
            reason = self._group_exit(g, pnl)
            if reason is not None:
                self._close_group(g, i, reason)
        cap = self.risk.daily_max_loss
        if cap is not None and not self.day_blocked and self._day_pnl(i) <= -cap:
            self.day_blocked = True
            for g in self._open_groups():
                self._close_group(g, i, L.EXIT_GUARDRAIL)
        for name, side_exit in (("entry_long", "exit_long"), ("entry_short", "exit_short")):
            if getattr(self.signals, side_exit)[i]:
                for g in self._open_groups():
                    held = i - g.entry_bar >= self.risk.min_hold_bars
                    if g.signal == name and g.live and held:
                        self._close_group(g, i, L.EXIT_SIGNAL)
        for name, nodes in self.fired.items():
            firing = [nd for nd in nodes if self._fires(nd, i)]
            if firing:
                self._open_group(name, firing, i)

    def _fires(self, node: str, i: int) -> bool:
        fired = self.fired_at.get(node)
        return fired[i] if fired is not None else False

    def _group_exit(self, g: Group, pnl: float) -> int | None:
        if self.risk.per_trade_max_loss is not None and pnl <= -self.risk.per_trade_max_loss:
            return L.EXIT_GUARDRAIL
        base = max(g.entry_value, 1e-12)
        for level, sign, reason in (
            (self.levels.stop, -1.0, EXIT_GROUP_STOP),
            (self.levels.target, 1.0, EXIT_GROUP_TARGET),
        ):
            if level is None:
                continue
            amount = base * level.value / 100.0 if level.unit == "percent" else level.value
            if sign * pnl >= amount:
                return reason
        return None

    # --- groups ---------------------------------------------------------------------------
    def _open_group(self, name: str, nodes: list[str], i: int) -> None:
        live = [g for g in self._open_groups() if g.signal == name and g.live]
        if live:  # the gate fired again while its group is open: next-signal re-entries
            for g in live:
                for node in sorted(g.stopped):
                    spec = g.specs[node]
                    if spec.reentry == "next_signal" and self._reentry_left(g, spec):
                        g.stopped.discard(node)
                        g.waiting[node] = g.waiting.get(node, 0) + 1
                        self._schedule(g, spec, i)
            return
        refusal = self._entry_refusal(i)
        if refusal:
            self.counts[refusal - 1] += 1
            return
        group = Group(self.next_group, name, i)
        group.specs = {nd: self.legs[nd][0] for nd in nodes}
        self.next_group += 1
        self.groups.append(group)
        self.day_groups += 1
        for node in nodes:
            self._schedule(group, self.legs[node][0], i, batch=True)
        if self.fill_close:
            self._flush(i, "close")

    def _entry_refusal(self, i: int) -> int:
        risk = self.risk
        if self.day_blocked:
            return L.REJ_DAY_LOSS
        if risk.max_trades_per_day is not None and self.day_groups >= risk.max_trades_per_day:
            return L.REJ_MAX_DAY
        if i - self.last_exit_bar <= risk.cooldown_bars and risk.cooldown_bars:
            return L.REJ_COOLDOWN
        fill = i if self.fill_close else i + 1
        if fill >= len(self.bars):
            return L.REJ_END
        if self.sq >= 0 and (self.mods[fill] >= self.sq or self.days[fill] != self.days[i]):
            return L.REJ_WINDOW
        return 0

    def _schedule(self, group: Group, spec: LegSpec, i: int, batch: bool = False) -> None:
        """Enter ``spec`` into ``group`` at this close or the next open. With ``batch`` the
        caller enters the group's legs together (``_flush``): all or none are afforded."""
        if group not in self.groups:  # a re-entry into a group whose last leg just left
            self.groups.append(group)
        if self.fill_close:
            self._decided[(group.id, spec.node)] = i
            self._closing.append((group, spec))
            if not batch:
                self._flush(i, "close")
        elif i + 1 < len(self.bars):
            self.pending.append((group, spec))
            self._decided[(group.id, spec.node)] = i
        else:
            self.counts[L.REJ_END - 1] += 1

    def _flush(self, i: int, at: str) -> None:
        """Enter waiting legs at bar ``i``'s ``at``, group by group, all of a group or none."""
        waiting = self.pending if at == "open" else self._closing
        if at == "open":
            self.pending = []
        else:
            self._closing = []
        groups: dict[int, list[tuple[Group, LegSpec]]] = {}
        for group, spec in waiting:
            groups.setdefault(group.id, []).append((group, spec))
        for items in groups.values():
            legs = [self._leg(group, spec, i, at) for group, spec in items]
            group = items[0][0]
            need = sum(leg.margin + leg.entry_total for leg in legs)
            need += sum(leg.entry_price * leg.units for leg in legs if leg.spec.side > 0)
            if need > self._free(i, at) + 1e-9:
                code = L.REJ_MARGIN if any(leg.spec.side < 0 for leg in legs) else L.REJ_FUNDS
                for leg in legs:
                    self.rejects.append([i, leg.spec.side, leg.units, leg.entry_price, code])
                self.counts[code - 1] += 1
                if group.fresh:
                    self.day_groups -= 1
                    if group in self.groups and not group.legs:
                        self.groups.remove(group)  # never entered: nothing to track
                continue
            group.fresh = False
            for leg in legs:
                self.cash -= leg.spec.side * leg.entry_price * leg.units + leg.entry_total
                group.legs.append(leg)
                group.entry_value += leg.entry_price * leg.units

    def _leg(self, group: Group, spec: LegSpec, i: int, at: str) -> Leg:
        """The leg ``spec`` would be if filled at bar ``i``'s ``at`` (not yet paid for)."""
        decided = self._decided.pop((group.id, spec.node), i)
        contract = self._resolve(spec, decided, fill_bar=i)
        series = self.feed.series(contract, decided, self._held_until(i))
        units = spec.lots * contract.lot_size
        price = self._slipped(series.at(i, at, self.bars.ts), buy=spec.side > 0)
        fees = np.zeros(NC)
        total = charges(self._fee_row(i), price * units, spec.side > 0, fees)
        spot = float(self.bars.open[i] if at == "open" else self.bars.close[i])
        margin = self.opts.short_margin_pct / 100.0 * spot * units if spec.side < 0 else 0.0
        leg = Leg(
            spec,
            group,
            contract,
            series,
            units,
            i,
            price,
            fees,
            margin,
            price,
            self._last_bar(contract),
        )
        leg.sources.add("real" if series.real[i - series.start] else "model")
        leg.cols, leg.entry_total = series.lists(), float(total)
        return leg

    def _last_bar(self, contract: OptionContract) -> int:
        """The bar a leg on ``contract`` expires at; past the data (never reached: the end of
        data closes it instead) when the data stops before the expiry day."""
        last = self.feed.last_bar(contract)
        n = len(self.bars)
        if last == n - 1 and ist_date(int(self.bars.ts[-1])) < contract.expiry:
            return n
        return last

    def _held_until(self, i: int) -> int | None:
        """With a square-off, a leg entered on bar ``i`` is gone by the day's end: its
        premiums are needed to there only (the first bar of the next day, exclusive)."""
        if self.sq < 0:
            return None
        return int(np.searchsorted(self.days, self.days[i], side="right"))

    def _resolve(self, spec: LegSpec, i: int, fill_bar: int) -> OptionContract:
        """The contract ``spec`` means at bar ``i``'s close, for a fill on ``fill_bar``."""
        ts = self.bars.ts
        underlying = spec.underlying or self.opts.underlying
        if underlying is None:
            raise LegError(f"leg '{spec.node}' names no underlying and the run has none")
        on = ist_date(int(ts[fill_bar]))
        try:
            expiry = resolve_expiry(underlying, spec.expiry, on)
        except LegError as exc:
            raise LegError(f"leg '{spec.node}' at {on}: {exc}") from exc
        spot = float(self.bars.close[i])
        years = decision_years(int(ts[i]), self.bar_ns, expiry)
        vol = float(self.feed.vol[i]) if self.feed.vol is not None else math.nan
        ref = reference_price(spec, spot, years, self.opts.rate)
        step = float(calendar.strike_step(underlying))
        book: dict[str, dict[float, OptionContract]] = {}
        if self.opts.chain is not None:
            contracts = self.opts.chain.contracts(underlying, on)
            book = {r: listed(contracts, expiry, r) for r in ("CE", "PE")}
        if self.opts.premium_source == "real" and not book.get(spec.right):
            raise LegError(
                f"leg '{spec.node}' at {on}: no {underlying} {spec.right} contracts of expiry "
                f"{expiry} are stored"
            )
        strikes = np.array(sorted(book.get(spec.right, {})), dtype=np.float64)
        if len(strikes):
            step = strike_step_of(strikes, ref, step)
        else:
            strikes = model_strikes(ref, step, self.opts.strikes_searched)

        def contract_of(strike: float, right: str) -> OptionContract:
            found = book.get(right, {}).get(strike)
            return found or model_contract(underlying, expiry, strike, right, on)

        def premium_of(strike: float, right: str) -> float | None:
            if self.opts.premium_source == "real" and strike not in book.get(right, {}):
                return None
            return self.feed.premium_close(contract_of(strike, right), i)

        try:
            strike = select_strike(
                spec,
                strikes=strikes,
                step=step,
                ref=ref,
                spot=spot,
                years=years,
                vol=vol,
                rate=self.opts.rate,
                premium_of=premium_of,
                search=self.opts.strikes_searched,
            )
        except LegError as exc:
            raise LegError(f"leg '{spec.node}' at {_iso(ts[i])}: {exc}") from exc
        return contract_of(strike, spec.right)

    def _close_group(self, g: Group, i: int, reason: int) -> None:
        g.stopped.clear()
        self.pending = [(grp, s) for grp, s in self.pending if grp is not g]
        for leg in g.open_legs:
            if self.fill_close or reason in (L.EXIT_GUARDRAIL, EXIT_GROUP_STOP, EXIT_GROUP_TARGET):
                self._close(leg, i, leg.px(i, "close", self.bars.ts), reason)
            elif i + 1 < len(self.bars):
                leg.pending_exit = reason
            else:
                self._close(leg, i, leg.px(i, "close", self.bars.ts), L.EXIT_END)

    def _may_reenter(self, leg: Leg, i: int) -> None:
        g, spec = leg.group, leg.spec
        if not self._reentry_left(g, spec) or self.day_blocked:
            return
        if spec.reentry == "next_signal":
            g.stopped.add(spec.node)
            return
        nxt = i if self.fill_close else i + 1
        if nxt >= len(self.bars) or (self.sq >= 0 and self.mods[nxt] >= self.sq):
            return
        g.waiting[spec.node] = g.waiting.get(spec.node, 0) + 1
        self._schedule(g, spec, i)

    def _reentry_left(self, g: Group, spec: LegSpec) -> bool:
        return g.waiting.get(spec.node, 0) < spec.reentries

    def _close(self, leg: Leg, i: int, raw: float, reason: int) -> None:
        spec = leg.spec
        price = self._slipped(raw, buy=spec.side < 0)
        row = self._fee_row(i)
        fees = np.zeros(NC)
        exit_total = charges(row, price * leg.units, spec.side < 0, fees)
        self.cash += spec.side * price * leg.units - exit_total
        gross = spec.side * (price - leg.entry_price) * leg.units
        entry_total = leg.entry_total
        pnl = gross - entry_total - exit_total
        s = leg.series
        sources = {
            ("real" if s.real[k - s.start] else "model") for k in range(leg.entry_bar, i + 1)
        }
        rec = np.zeros(L.NT)
        rec[L.T_SIDE], rec[L.T_QTY] = spec.side, leg.units
        rec[L.T_ENTRY_BAR], rec[L.T_EXIT_BAR] = leg.entry_bar, i
        rec[L.T_ENTRY_PRICE], rec[L.T_EXIT_PRICE] = leg.entry_price, price
        rec[L.T_ENTRY_FEES], rec[L.T_EXIT_FEES] = entry_total, exit_total
        rec[L.T_GROSS], rec[L.T_PNL] = gross, pnl
        rec[L.T_RET] = pnl / (leg.entry_price * leg.units) if leg.entry_price > 0 else math.nan
        rec[L.T_REASON], rec[L.T_NENTRIES] = reason, 1
        rec[L.T_C : L.T_C + NC] = leg.entry_fees + fees
        self.records.append(rec)
        c = leg.contract
        self.facts.append(
            {
                "leg": spec.node,
                "group": leg.group.id,
                "position": spec.position,
                "contract": c.symbol,
                "underlying": c.underlying,
                "expiry": c.expiry.isoformat(),
                "strike": c.strike,
                "option_type": c.right,
                "lots": spec.lots,
                "lot_size": c.lot_size,
                "units": leg.units,
                "premium_in": leg.entry_price,
                "premium_out": price,
                "premium_source": sources.pop() if len(sources) == 1 else "real_then_model",
            }
        )
        g = leg.group
        g.realised += pnl
        g.legs.remove(leg)
        if not g.legs and not self._has_pending(g) and g in self.groups:
            self.groups.remove(g)  # over: the idle-bar fast path needs an empty list
        self.last_exit_bar = i

    # --- money ----------------------------------------------------------------------------
    def _fee_row(self, i: int) -> np.ndarray:
        at = int(np.searchsorted(self.fees.starts, self.bars.ts[i], side="right")) - 1
        return self.fees.rows[max(at, 0)]

    def _slipped(self, price: float, *, buy: bool) -> float:
        s = self.config.slippage
        slip = s.ticks * s.tick_size + price * s.bps / 10_000.0
        return price + slip if buy else max(price - slip, 0.0)

    def _unrealised(self, leg: Leg, i: int) -> float:
        mark = leg.px(i, "close", self.bars.ts)
        return leg.spec.side * (mark - leg.entry_price) * leg.units - leg.entry_total

    def _mark(self, i: int) -> float:
        value = self.cash
        for leg in self._open():
            value += leg.spec.side * leg.units * leg.px(i, "close", self.bars.ts)
        return value

    def _day_pnl(self, i: int) -> float:
        return self._mark(i) - self.day_start_equity

    def _free(self, i: int, at: str) -> float:
        value = self.cash
        for leg in self._open():
            value += leg.spec.side * leg.units * leg.px(i, at, self.bars.ts) - leg.margin
        return value

    def _open(self) -> list[Leg]:
        return [leg for g in self.groups for leg in list(g.legs)]

    def _open_groups(self) -> list[Group]:
        self.groups = [g for g in self.groups if g.legs or self._has_pending(g)]
        return [g for g in self.groups if g.legs]

    def _has_pending(self, g: Group) -> bool:
        return any(grp is g for grp, _ in self.pending)

    def _end(self, last: int, equity: np.ndarray, cash: np.ndarray) -> None:
        if last < 0:
            return
        at_open = self.config.end_of_data == "close_at_open"
        for leg in self._open():
            price = leg.px(last, "open" if at_open else "close", self.bars.ts)
            self._close(leg, last, price, L.EXIT_END)
        equity[last], cash[last] = self.cash, self.cash


def simulate_legs(
    bars: Bars,
    signals: Signals,
    legs: dict[str, tuple[LegSpec, str]],
    config: SimConfig,
    risk: RiskSettings,
    *,
    timeframe: str = "1m",
    group_levels: GroupLevels | None = None,
) -> LegRun:
    """Trade ``legs`` (node id -> (spec, the entry signal that fires it)) on ``bars`` of the
    underlying. Raises LegError (a ValueError) naming the leg, contract and time when a leg
    cannot be resolved or priced."""
    if config.options is None:
        raise LegError("option legs need SimConfig.options (premium source, iv, rate)")
    if config.end_of_data == "keep_open":
        raise LegError("end_of_data 'keep_open' is not supported with option legs")
    named = {spec.underlying for spec, _ in legs.values()} | {config.options.underlying}
    named.discard(None)
    if len(named) > 1:
        raise LegError(
            f"legs on {', '.join(sorted(str(u) for u in named))}: every leg trades options on "
            "the run's own underlying, whose bars price and resolve it"
        )
    sim = _Sim(bars, signals, legs, config, risk, timeframe, group_levels or GroupLevels())
    return sim.run()


def _iso(ts_ns: int) -> str:
    import pandas as pd

    return pd.Timestamp(int(ts_ns), tz="UTC").tz_convert("Asia/Kolkata").isoformat()
