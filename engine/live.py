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
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from engine.graph.compile import CompiledGraph
from engine.graph.stream import BarSignal
from engine.markets.calendar import IST_OFFSET_NS, SESSION_OPEN_MINUTE
from engine.signals import RiskSettings
from engine.sim import SimConfig, SimSession
from engine.sim import layout as L
from engine.sim.kernel import _dist, _stop_level

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

    def to_dict(self) -> dict[str, Any]:
        return {
            k: (None if isinstance(v, float) and math.isnan(v) else v)
            for k, v in asdict(self).items()
        }


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


class LiveRunner:
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

    def step(
        self,
        bar: Bar,
        next_ts: int | None,
        *,
        force_exit: bool = False,
        allow_entries: bool = True,
    ) -> StepResult:
        """Process one closed bar. ``force_exit`` closes the position at this bar's close
        (an exit a tick already sent to the broker, so the book follows the broker);
        ``allow_entries`` False (a paused session) drops entry signals, exits still work."""
        if self.bar_ts and bar.ts <= self.bar_ts[-1]:
            raise ValueError(f"bar {bar.ts} is not after the last one ({self.bar_ts[-1]})")
        signal = self.evaluator.update(*bar.row())
        st = self.sim.state
        before_qty, before_n = float(st[L.S_QTY]), int(st[L.S_NTRADES])
        before_bar = self._position_bar()
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
        )
        fills = self._fills(before_qty, before_n, before_bar, i)
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
    target = math.nan
    if not math.isnan(p[L.P_TP]):
        target = float(st[L.S_AVG] + side * _dist(st[L.S_AVG], p[L.P_TP], p[L.P_TP_PCT]))
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
    )


def tick_exit(levels: dict[str, Any] | ProtectiveLevels | None, price: float) -> str | None:
    """The exit reason a tick at ``price`` triggers, or None. Priority as the engine's: the
    day's loss limit (stop for the day), then the tightest protective level (per-trade max
    loss, stop or trailing), then the target."""
    if levels is None:
        return None
    lv = levels.to_dict() if isinstance(levels, ProtectiveLevels) else levels
    side, qty, avg = lv["side"], lv["quantity"], lv["average"]
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
