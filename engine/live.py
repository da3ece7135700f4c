"""Live and paper sessions, the pure part: bars from ticks, one bar's step, tick exits.

Nothing here touches Django, the network or the clock; ``live/`` drives it from the feed and
Celery (docs/live.md, docs/adr/0016-live-sessions.md).

- :class:`BarBuilder` turns ticks (or 1-second bars) into bars of any length from 1 s up,
  anchored at 09:15 IST on the exchange's time, never the server's clock.
- :class:`LiveRunner` is the streaming evaluator and the engine's one state machine
  (:class:`engine.sim.SimSession`) fed one closed bar at a time; each :meth:`LiveRunner.step`
  reports the signal and the fills the state machine made, so the caller can turn them into
  order intents. The same bars in the same order give the same state: a runner rebuilt by
  replaying a session's bars equals the one that stepped them (the resume path).
- :func:`protective_levels` and :func:`tick_exit` give the levels a position must not cross
  between bars and which one a tick crossed, in the engine's exit priority.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from engine.graph.compile import CompiledGraph
from engine.graph.stream import BarSignal
from engine.markets.calendar import IST_OFFSET_NS, SESSION_OPEN_MINUTE
from engine.options.sim import LEG_EXIT_REASONS
from engine.signals import RiskSettings
from engine.sim import SimConfig, SimSession
from engine.sim import layout as L
from engine.sim.kernel import _rule_level, _slip, _stop_level, _target_level

NS = 1_000_000_000
MINUTE_NS = 60 * NS
DAY_NS = 86_400 * NS
SESSION_CLOSE_MINUTE = 15 * 60 + 30  # NSE's regular close, 15:30 IST
FIELDS = ("ts", "open", "high", "low", "close", "volume")


# --- bars -------------------------------------------------------------------------------------
def bucket_start(ts_ns: int, seconds: int) -> int:
    """The start (UTC ns) of the ``seconds``-long bar holding ``ts_ns``, on a grid anchored at
    09:15 IST of that IST day."""
    local = ts_ns + int(IST_OFFSET_NS)
    day = local - local % DAY_NS
    anchor = day + SESSION_OPEN_MINUTE * MINUTE_NS
    width = seconds * NS
    return anchor + ((local - anchor) // width) * width - int(IST_OFFSET_NS)


def next_bar_start(ts_ns: int, seconds: int) -> int:
    """The start of the bar after the one starting at ``ts_ns``: the next on the grid while the
    day's session lasts, else 09:15 IST of the next calendar day (the state machine only reads
    that it is another day: a session's last bar)."""
    nxt = ts_ns + seconds * NS
    local = nxt + int(IST_OFFSET_NS)
    day = local - local % DAY_NS
    if local - day < SESSION_CLOSE_MINUTE * MINUTE_NS:
        return nxt
    return day + DAY_NS + SESSION_OPEN_MINUTE * MINUTE_NS - int(IST_OFFSET_NS)


@dataclass(slots=True)
class Bar:
    ts: int  # start, UTC ns
    open: float
    high: float
    low: float
    close: float
    volume: float = 0.0

    def row(self) -> tuple[int, float, float, float, float, float]:
        return (self.ts, self.open, self.high, self.low, self.close, self.volume)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class BarBuilder:
    """Ticks or 1-second bars in, closed ``seconds``-long bars out.

    A bar closes when a tick of a later bar arrives, or when :meth:`close_due` is told the
    exchange time passed its end (a quiet market still closes bars on time)."""

    def __init__(self, seconds: int) -> None:
        if seconds < 1:
            raise ValueError("a bar lasts at least one second")
        self.seconds = seconds
        self._bar: Bar | None = None

    def tick(self, ts_ns: int, price: float, volume: float = 0.0) -> list[Bar]:
        return self.bar(ts_ns, price, price, price, price, volume)

    def bar(self, ts_ns: int, o: float, h: float, lo: float, c: float, v: float = 0.0) -> list[Bar]:
        """Fold a sub-bar (a 1-second bar, or a tick as o=h=l=c) starting at ``ts_ns``."""
        start = bucket_start(int(ts_ns), self.seconds)
        out: list[Bar] = []
        cur = self._bar
        if cur is not None and start < cur.ts:
            return out  # late data for a bar already closed: ignored, never reopens it
        if cur is not None and start != cur.ts:
            out.append(cur)
            cur = None
        if cur is None:
            self._bar = Bar(start, o, h, lo, c, v)
        else:
            cur.high, cur.low = max(cur.high, h), min(cur.low, lo)
            cur.close, cur.volume = c, cur.volume + v
        return out

    def close_due(self, now_ns: int) -> list[Bar]:
        """Close the open bar if exchange time ``now_ns`` is at or past its end."""
        cur = self._bar
        if cur is not None and now_ns >= cur.ts + self.seconds * NS:
            self._bar = None
            return [cur]
        return []


# --- one session's step -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Fill:
    """A fill the state machine made in a step: what the broker must be told."""

    intent: str  # "entry" or "exit"
    side: str  # "BUY" or "SELL"
    quantity: float  # units
    price: float  # the engine's fill price
    reason: str = ""  # exits: signal, stop, target, trailing, square_off, guardrail
    position_bar: int = 0  # the entry bar's start (UTC ns): names the position
    # How the broker is told, so its fill is the engine's: MARKET (filled at the bar's close,
    # the quote right after it), STOP_LOSS_MARKET at ``level`` (a stop, trailing stop or
    # per-trade loss inside the bar, or an exit at the bar's open: a stop at the open
    # triggers at once) or LIMIT at ``level`` (a target). The paper broker fills the last
    # two from the bar's range with the backtest's stop and limit rules (docs/live.md).
    order_type: str = "MARKET"
    level: float | None = None


@dataclass(frozen=True, slots=True)
class ProtectiveLevels:
    """What a tick must not cross while a position is open (NaN: no such level)."""

    side: int  # +1 long, -1 short
    stop: float
    stop_reason: str  # stop, trailing or guardrail (the per-trade max loss), the tightest
    target: float
    quantity: float
    average: float
    day_loss_limit: float  # NaN: none
    day_pnl: float  # realised today
    position_bar: int
    # With an exit priority (RiskSettings.exit_priority): each rule's level (NaN: inactive) and
    # the order they win in when one tick crosses several; empty: the price order above.
    rule_levels: dict[str, float] = field(default_factory=dict)
    priority: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {k: _none_nan(v) for k, v in asdict(self).items()}


def _none_nan(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _none_nan(x) for k, x in v.items()}
    if isinstance(v, tuple):
        return list(v)
    return None if isinstance(v, float) and math.isnan(v) else v


@dataclass(frozen=True, slots=True)
class StepResult:
    bar: Bar
    signal: BarSignal
    fills: tuple[Fill, ...]
    position: float
    average: float
    day_pnl: float
    equity: float
    levels: ProtectiveLevels | None
    values: dict[str, float] = field(default_factory=dict)


class _BarStepper:
    """What both runners share: ``step`` takes one closed bar after the last one."""

    @property
    def last_ts(self) -> int | None:
        raise NotImplementedError

    def step(
        self,
        bar: Bar,
        next_ts: int | None,
        *,
        force_exit: bool = False,
        allow_entries: bool = True,
    ) -> Any:
        """Process one closed bar. ``force_exit`` closes the position at this bar's close
        (an exit a tick already sent to the broker, so the book follows the broker);
        ``allow_entries`` False (a paused session) drops entry signals, exits still work."""
        self._accept(bar, force_exit)
        return self._step(bar, next_ts, force_exit, allow_entries)

    def _accept(self, bar: Bar, force_exit: bool) -> None:
        last = self.last_ts
        if last is not None and bar.ts <= last:
            raise ValueError(f"bar {bar.ts} is not after the last one ({last})")

    def _step(self, bar: Bar, next_ts: int | None, force_exit: bool, allow_entries: bool) -> Any:
        raise NotImplementedError


class LiveRunner(_BarStepper):
    """The streaming evaluator and :class:`SimSession` of one session, one bar at a time."""

    def __init__(
        self, graph: CompiledGraph, config: SimConfig, risk: RiskSettings | None = None
    ) -> None:
        self.graph = graph
        self.evaluator = graph.stream()
        self.sim = SimSession(config, risk if risk is not None else graph.risk)
        self.bar_ts: list[int] = []

    @property
    def last_ts(self) -> int | None:
        return self.bar_ts[-1] if self.bar_ts else None

    def _step(
        self, bar: Bar, next_ts: int | None, force_exit: bool, allow_entries: bool
    ) -> StepResult:
        signal = self.evaluator.update(*bar.row())
        st = self.sim.state
        before_qty, before_n = float(st[L.S_QTY]), int(st[L.S_NTRADES])
        before_bar = self._position_bar()
        before = protective_levels(self.sim, before_bar)  # what this bar's range is checked on
        long_exit = signal.exit_long or (force_exit and before_qty > 0)
        short_exit = signal.exit_short or (force_exit and before_qty < 0)
        i = len(self.bar_ts)
        self.bar_ts.append(bar.ts)
        equity = self.sim.on_bar(
            ts=bar.ts,
            open=bar.open,
            high=bar.high,
            low=bar.low,
            close=bar.close,
            entry_long=signal.entry_long and allow_entries,
            exit_long=long_exit,
            entry_short=signal.entry_short and allow_entries,
            exit_short=short_exit,
            next_ts=next_ts,
            stop_level=signal.levels.get("stop", math.nan),
            target_level=signal.levels.get("target", math.nan),
        )
        fills = tuple(
            self._as_order(f, bar, before) for f in self._fills(before_qty, before_n, before_bar, i)
        )
        st = self.sim.state
        return StepResult(
            bar=bar,
            signal=signal,
            fills=fills,
            position=float(st[L.S_QTY]),
            average=float(st[L.S_AVG]),
            day_pnl=float(st[L.S_DAY_PNL]),
            equity=float(equity),
            levels=protective_levels(self.sim, self._position_bar()),
            values=self.indicator_values(),
        )

    def _position_bar(self) -> int:
        st = self.sim.state
        if st[L.S_QTY] == 0:
            return 0
        return self.bar_ts[int(st[L.S_ENTRY_BAR])]

    def _fills(self, before_qty: float, before_n: int, before_bar: int, i: int) -> tuple[Fill, ...]:
        st = self.sim.state
        trades = self.sim._trades  # the kernel's record columns (read only)
        out: list[Fill] = []
        remaining = before_qty
        for k in range(before_n, int(st[L.S_NTRADES])):
            side = trades[L.T_SIDE, k]
            qty = float(trades[L.T_QTY, k])
            entry_bar = self.bar_ts[int(trades[L.T_ENTRY_BAR, k])]
            if int(trades[L.T_ENTRY_BAR, k]) == i and before_qty * side <= 0:
                # opened and closed within this bar: both legs reach the broker
                out.append(
                    Fill(
                        "entry", _side(side), qty, float(trades[L.T_ENTRY_PRICE, k]), "", entry_bar
                    )
                )
            else:
                remaining -= side * qty
            out.append(
                Fill(
                    "exit",
                    _side(-side),
                    qty,
                    float(trades[L.T_EXIT_PRICE, k]),
                    L.EXIT_REASONS[int(trades[L.T_REASON, k])],
                    entry_bar if entry_bar else before_bar,
                )
            )
        added = float(st[L.S_QTY]) - remaining
        if added != 0:
            out.append(
                Fill(
                    "entry", _side(added), abs(added), float(st[L.S_AVG]), "", self._position_bar()
                )
            )
        return tuple(out)

    def _as_order(self, fill: Fill, bar: Bar, before: ProtectiveLevels | None) -> Fill:
        """``fill`` with the order that gets the broker the engine's price: which rule of
        the state machine priced it is read back from the price (the kernel's own ``_slip``)."""
        if fill.intent != "exit":
            return fill  # entries fill at the signal bar's close (``fill = close``)
        p, buy = self.sim.params, fill.side == "BUY"
        if fill.reason == "target":
            return replace(fill, order_type="LIMIT", level=fill.price)  # a limit: not slipped
        if fill.price == _slip(p, bar.close, buy):
            return fill
        if fill.price == _slip(p, bar.open, buy):
            return replace(fill, order_type="STOP_LOSS_MARKET", level=bar.open)
        levels = [before.stop, *before.rule_levels.values()] if before is not None else []
        for level in levels:  # the stop, or a rule's level (in-bar daily or trade loss)
            if not math.isnan(level) and fill.price == _slip(p, level, buy):
                return replace(fill, order_type="STOP_LOSS_MARKET", level=level)
        return fill  # no rule known: a market order (parity would show the difference)

    def indicator_values(self) -> dict[str, float]:
        """The latest output of every indicator node, ``"node.port"`` (the dashboard's)."""
        ev = self.evaluator
        out: dict[str, float] = {}
        kinds = {n.id: n.kind for n in self.graph.plan.nodes}
        for (node_id, port), slot in ev._slot.items():  # the evaluator's own value slots
            if kinds.get(node_id) == "indicator":
                v = ev._vals[slot]
                out[f"{node_id}.{port}"] = None if v != v else float(v)  # type: ignore[assignment]
        return out

    def snapshot(self) -> dict[str, Any]:
        """The persisted part: the state vector (position, stops' references, day counters,
        trades so far) and the bars stepped. The evaluator is rebuilt by replaying them."""
        return {
            "state": [None if x != x else float(x) for x in self.sim.state.tolist()],
            "bars": len(self.bar_ts),
            "last_bar": self.last_ts,
        }

    def matches(self, snapshot: dict[str, Any]) -> bool:
        """True when this runner's state equals a persisted snapshot (a rebuild is exact)."""
        ours = self.snapshot()
        return ours["bars"] == snapshot.get("bars") and ours["state"] == snapshot.get("state")


def _side(sign: float) -> str:
    return "BUY" if sign > 0 else "SELL"


# --- between bars ---------------------------------------------------------------------------------
def protective_levels(sim: SimSession, position_bar: int) -> ProtectiveLevels | None:
    st, p = sim.state, sim.params
    qty = float(st[L.S_QTY])
    if qty == 0:
        return None
    side = 1.0 if qty > 0 else -1.0
    stop, reason = _stop_level(st, p, side)
    target = float(_target_level(st, p, side))
    rules: dict[str, float] = {}
    priority: tuple[str, ...] = ()
    if p[L.P_PRIO] > 0:
        rules = {n: float(_rule_level(st, p, side, k)) for k, n in enumerate(L.RULE_NAMES)}
        ranks = p[L.P_RANK : L.P_RANK + L.NRULES]
        priority = tuple(L.RULE_NAMES[k] for k in np.argsort(ranks, kind="stable"))
    return ProtectiveLevels(
        side=int(side),
        stop=float(stop),
        stop_reason=L.EXIT_REASONS[int(reason)],
        target=target,
        quantity=abs(qty),
        average=float(st[L.S_AVG]),
        day_loss_limit=float(p[L.P_DAY_LOSS]),
        day_pnl=float(st[L.S_DAY_PNL]),
        position_bar=position_bar,
        rule_levels=rules,
        priority=priority,
    )


def tick_exit(levels: dict[str, Any] | ProtectiveLevels | None, price: float) -> str | None:
    """The exit reason a tick at ``price`` triggers, or None. Priority as the engine's: with an
    exit priority, the first rule in it whose level the tick crossed; else the day's loss
    limit (stop for the day), then the tightest protective level (per-trade max loss, stop or
    trailing), then the target."""
    if levels is None:
        return None
    lv = levels.to_dict() if isinstance(levels, ProtectiveLevels) else levels
    side, qty, avg = lv["side"], lv["quantity"], lv["average"]
    if lv.get("priority"):
        return _tick_by_rank(lv, price)
    limit = lv.get("day_loss_limit")
    if limit is not None and lv["day_pnl"] + side * (price - avg) * qty <= -limit:
        return "guardrail"
    stop = lv.get("stop")
    if stop is not None and side * (price - stop) <= 0:
        return str(lv["stop_reason"])
    target = lv.get("target")
    if target is not None and side * (price - target) >= 0:
        return "target"
    return None


_RULE_REASONS = {
    "daily_loss": "guardrail",
    "trade_loss": "guardrail",
    "stop": "stop",
    "target": "target",
    "trailing": "trailing",
}


def _tick_by_rank(lv: dict[str, Any], price: float) -> str | None:
    side, qty, avg = lv["side"], lv["quantity"], lv["average"]
    for rule in lv["priority"]:
        level = lv["rule_levels"].get(rule)
        if rule == "daily_loss" and lv.get("day_loss_limit") is not None:
            # per tick the day's limit is exact: realised today plus this position's P&L
            if lv["day_pnl"] + side * (price - avg) * qty <= -lv["day_loss_limit"]:
                return "guardrail"
            continue
        if level is None:
            continue
        away = side if rule == "target" else -side
        if away * (price - level) >= 0:
            return _RULE_REASONS[rule]
    return None


def exit_bounds(levels: dict[str, Any]) -> tuple[float, float]:
    """Prices ``(lo, hi)`` strictly between which :func:`tick_exit` finds nothing: a price at
    or below ``lo`` or at or above ``hi`` may exit. Widened by a relative 1e-9 so float rounding
    never hides a crossing; the feed prefilters ticks with it and lets tick_exit decide."""
    side, qty, avg = levels["side"], levels["quantity"], levels["average"]
    lo, hi = -math.inf, math.inf
    bounds: list[float] = []
    if levels.get("stop") is not None:
        bounds.append(float(levels["stop"]))
    limit = levels.get("day_loss_limit")
    if limit is not None and qty > 0:
        bounds.append(avg - side * (limit + levels["day_pnl"]) / qty)
    for b in bounds:  # the losing side: below for a long, above for a short
        lo, hi = (max(lo, b), hi) if side > 0 else (lo, min(hi, b))
    target = levels.get("target")
    if target is not None:
        lo, hi = (lo, min(hi, float(target))) if side > 0 else (max(lo, float(target)), hi)
    widen = 1e-9
    lo = lo + abs(lo) * widen if math.isfinite(lo) else lo
    hi = hi - abs(hi) * widen if math.isfinite(hi) else hi
    return lo, hi


def bars_array(bars: list[Bar]) -> np.ndarray:
    return np.asarray([b.row() for b in bars], dtype=np.float64)


# --- option legs ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LegFill:
    """An option leg's entry or exit the engine made on a step: an order on ``contract``."""

    intent: str  # "entry" or "exit"
    side: str  # "BUY" or "SELL"
    leg: str  # the option_leg node
    group: int  # legs one gate fired on one bar
    position_bar: int  # the leg's entry bar start (UTC ns): names the position
    contract: dict[str, Any]  # symbol, underlying, expiry, strike, option_type, lot_size
    units: int
    price: float  # the engine's premium (slipped)
    premium: tuple[float, float, float, float]  # the contract's premium bar: what it quotes
    reason: str = ""
    order_type: str = "MARKET"  # as Fill: a level inside the bar is a stop or a limit
    level: float | None = None


@dataclass(frozen=True, slots=True)
class LegStepResult:
    bar: Bar
    signal: dict[str, Any]
    fills: tuple[LegFill, ...]
    held: tuple[dict[str, Any], ...]  # legs open after the bar
    equity: float
    values: dict[str, float] = field(default_factory=dict)


class LegRunner(_BarStepper):
    """A session whose entries fire option legs, one bar at a time.

    Each step runs the backtest's own leg simulator (``engine.options.sim.simulate_legs``,
    the resolver, the premium feed) over every bar the session has seen, with ``open_end``
    (held legs stay open) and reports what it did on the newest bar: the legs that entered
    and exited there. Every rule of the simulator looks only at bars up to the one it
    decides on, so the history a step recomputes is the one earlier steps reported (the
    snapshot checks it). Cost grows with the bars seen; a session is one day or a few."""

    def __init__(self, graph: CompiledGraph, config: SimConfig, timeframe: str) -> None:
        from engine.options.run import leg_inputs

        if config.options is None:
            raise ValueError("a session with option legs needs SimConfig.options")
        self.graph, self.config, self.timeframe = graph, config, timeframe
        self.legs, self.group_levels = leg_inputs(graph.plan, graph.risk)
        self.bars: list[Bar] = []
        self.blocked: list[int] = []  # bars whose entries a paused session dropped
        self.run: Any = None  # the last LegRun
        self._feed: Any = None  # the last step's premium feed
        self.last_fills: tuple[LegFill, ...] = ()

    @property
    def bar_ts(self) -> list[int]:
        return [b.ts for b in self.bars]

    @property
    def last_ts(self) -> int | None:
        return self.bars[-1].ts if self.bars else None

    def _accept(self, bar: Bar, force_exit: bool) -> None:
        if force_exit:
            raise ValueError("tick exits of option legs are not available yet")
        super()._accept(bar, force_exit)

    def _step(
        self, bar: Bar, next_ts: int | None, force_exit: bool, allow_entries: bool
    ) -> LegStepResult:
        self.bars.append(bar)
        if not allow_entries:
            self.blocked.append(len(self.bars) - 1)
        bars, signals = self._simulate(next_ts)
        i = len(bars) - 1
        self.last_fills = self._fills(bars, i)
        return LegStepResult(
            bar=bar,
            signal=_signal_at(signals, i),
            fills=self.last_fills,
            held=self.run.open_legs,
            equity=float(self.run.equity[-1]),
        )

    def _simulate(self, next_ts: int | None) -> tuple[Any, Any]:
        from engine.options.sim import simulate_legs

        bars = _bars(self.bars)
        signals = self.graph.evaluate(bars)
        if self.blocked:
            signals = _without_entries(signals, self.blocked)
        self.run = simulate_legs(
            bars,
            signals,
            self.legs,
            self.config,
            self.graph.risk,
            timeframe=self.timeframe,
            group_levels=self.group_levels,
            open_end=True,
            next_ts=next_ts,
        )
        return bars, signals

    def _fills(self, bars: Any, i: int) -> tuple[LegFill, ...]:
        from engine.options.premiums import PremiumFeed

        run, ts = self.run, bars.ts
        feed = self._feed = PremiumFeed(bars, self.timeframe, self.config.options)
        exits, entries = [], []
        for k, fact in enumerate(run.facts):
            rec = run.records[k]
            side = int(rec[L.T_SIDE])
            entry_bar = int(rec[L.T_ENTRY_BAR])
            if entry_bar == i:
                entries.append((fact, side, entry_bar, float(rec[L.T_ENTRY_PRICE])))
            if int(rec[L.T_EXIT_BAR]) == i:
                premium = _premium_bar(feed, _contract_of(fact), i)
                exit_side = _side(-side)
                price = float(rec[L.T_EXIT_PRICE])
                order, level = _leg_order(
                    self.config,
                    exit_side == "BUY",
                    price,
                    run.raw_exits[k],
                    premium,
                    LEG_REASONS[int(rec[L.T_REASON])],
                )
                exits.append(
                    LegFill(
                        "exit",
                        exit_side,
                        str(fact["leg"]),
                        int(fact["group"]),  # type: ignore[call-overload]
                        int(ts[entry_bar]),
                        _contract_of(fact),
                        int(fact["units"]),  # type: ignore[call-overload]
                        price,
                        premium,
                        LEG_REASONS[int(rec[L.T_REASON])],
                        order,
                        level,
                    )
                )
        for held in run.open_legs:
            if held["entry_bar"] == i:
                entries.append((held, int(held["side"]), i, float(held["premium_in"])))
        out = [
            LegFill(
                "entry",
                _side(side),
                str(fact["leg"]),
                int(fact["group"]),
                int(ts[entry_bar]),
                _contract_of(fact),
                int(fact["units"]),
                price,
                _premium_bar(feed, _contract_of(fact), i),
            )
            for fact, side, entry_bar, price in entries
        ]
        return (*exits, *out)

    def premium_now(self, leg: dict[str, Any]) -> tuple[float, float, float, float]:
        """The premium bar on the last step's bar of a held leg's contract (or a contract)."""
        c = _contract_of(leg) if "contract" in leg else leg
        return _premium_bar(self._feed, c, len(self.bars) - 1)

    def trades(self) -> Any:
        """The legs' closed trades so far, as a backtest reports them (``LegTrades``)."""
        from engine.options.run import LegTrades

        return LegTrades(self.run.records, _bars(self.bars).ts, tuple(self.run.facts))

    def snapshot(self) -> dict[str, Any]:
        run = self.run
        return {
            "bars": len(self.bars),
            "last_bar": self.last_ts,
            "trades": 0 if run is None else len(run.records),
            "held": [] if run is None else [_jsonable(h) for h in run.open_legs],
        }

    def matches(self, snapshot: dict[str, Any]) -> bool:
        return self.snapshot() == {
            k: snapshot.get(k) for k in ("bars", "last_bar", "trades", "held")
        }

    def restore(self, bars: list[Bar], blocked: list[int], next_ts: int | None) -> None:
        """The runner of a session whose steps read ``bars``: one simulation, not one a bar."""
        self.bars, self.blocked = list(bars), list(blocked)
        if self.bars:
            self._simulate(next_ts)


LEG_REASONS = LEG_EXIT_REASONS


def _leg_order(
    config: SimConfig,
    buy: bool,
    price: float,
    raw: float,
    premium: tuple[float, float, float, float],
    reason: str,
) -> tuple[str, float | None]:
    """The order that gets a leg's exit the engine's premium at the paper broker: read back
    from the price, as :meth:`LiveRunner._as_order` does for the kernel."""
    o, _, _, c = premium
    if price == _leg_slip(config, c, buy):
        return "MARKET", None
    if price == _leg_slip(config, o, buy):
        return "STOP_LOSS_MARKET", o  # at the open: a stop there triggers at once
    if reason == "target":
        return "LIMIT", price  # the leg simulator slips its target fill: the limit is that
    return "STOP_LOSS_MARKET", raw


def _leg_slip(config: SimConfig, price: float, buy: bool) -> float:
    """``engine.options.sim._Sim._slipped``: the leg simulator's slippage."""
    s = config.slippage
    slip = s.ticks * s.tick_size + price * s.bps / 10_000.0
    return price + slip if buy else max(price - slip, 0.0)


def _premium_bar(feed: Any, c: dict[str, Any], i: int) -> tuple[float, float, float, float]:
    from engine.options.contracts import OptionContract

    contract = OptionContract(
        symbol=c["symbol"],
        underlying=c["underlying"],
        expiry=_date(c["expiry"]),
        strike=float(c["strike"]),
        right=c["option_type"],
        lot_size=int(c["lot_size"]),
    )
    series = feed.series(contract, i, i + 1)
    return tuple(float(getattr(series, f)[0]) for f in ("open", "high", "low", "close"))  # type: ignore[return-value]


def _contract_of(fact: dict[str, Any]) -> dict[str, Any]:
    units = int(fact["units"])
    lots = int(fact.get("lots") or 0)
    return {
        "symbol": str(fact["contract"]),
        "underlying": str(fact.get("underlying") or str(fact["contract"]).split()[0]),
        "expiry": str(fact["expiry"]),
        "strike": float(fact["strike"]),
        "option_type": str(fact["option_type"]),
        "lot_size": int(fact.get("lot_size") or (units // lots if lots else units)),
    }


def _date(value: str) -> Any:
    from datetime import date

    return date.fromisoformat(value)


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (float(v) if isinstance(v, np.floating) else v) for k, v in d.items()}


def _bars(rows: list[Bar]) -> Any:
    from engine.bars import Bars

    a = bars_array(rows)
    return Bars.from_arrays(a[:, 0].astype(np.int64), a[:, 1], a[:, 2], a[:, 3], a[:, 4], a[:, 5])


def _without_entries(signals: Any, blocked: list[int]) -> Any:
    """``signals`` with no entry (and no leg fired) on the ``blocked`` bars."""
    from dataclasses import replace as dc_replace

    idx = np.asarray(blocked, dtype=np.int64)

    def cleared(a: np.ndarray) -> np.ndarray:
        out = np.array(a, dtype=np.bool_, copy=True)
        out[idx] = False
        return out

    return dc_replace(
        signals,
        entry_long=cleared(signals.entry_long),
        entry_short=cleared(signals.entry_short),
        fired={k: cleared(v) for k, v in signals.fired.items()},
    )


def _signal_at(signals: Any, i: int) -> dict[str, Any]:
    return {
        "entry_long": bool(signals.entry_long[i]),
        "exit_long": bool(signals.exit_long[i]),
        "entry_short": bool(signals.entry_short[i]),
        "exit_short": bool(signals.exit_short[i]),
        "actions": list(signals.actions_at(i)),
    }
