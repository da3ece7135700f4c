"""Streaming evaluation: the compiled plan fed one closed bar at a time.

The plan becomes a flat list of closures over a value list (one slot per output port),
grouped by clock; a higher-timeframe group runs only when its bucket completes. Every
state repeats the vectorised arithmetic, so after the same history both paths give the
same signals (the parity tests check this bar by bar).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.bars import Bars
from engine.graph.plan import SIGNAL_NAMES, Plan, PlanNode
from engine.graph.resample import Aggregator
from engine.graph.schema import MATH_SESSION
from engine.graph.sessionops import SessionState
from engine.graph.timeops import TimeState
from engine.indicators.base import TS_INPUT

Step = Callable[[list[Any]], None]
BAR_FIELDS = ("ts", "open", "high", "low", "close", "volume")
NAN = math.nan


@dataclass(frozen=True, slots=True)
class BarSignal:
    """What one closed bar decided: the four signals and the action nodes fired."""

    ts: int
    entry_long: bool
    exit_long: bool
    entry_short: bool
    exit_short: bool
    actions: tuple[str, ...] = ()


class StreamEvaluator:
    """``update(ts, o, h, l, c, v)`` per closed bar; build with ``CompiledGraph.stream``."""

    def __init__(self, plan: Plan, warmup: Bars | None = None) -> None:
        self._plan = plan
        self._vals: list[Any] = []
        self._slot: dict[tuple[str, str], int] = {}
        self._bar_slots: dict[int, list[int]] = {}
        self._steps: dict[int, list[Step]] = {}
        self._aggs = {
            c: Aggregator(c, plan.base)
            for c in sorted({c for c in plan.clocks.values() if c is not None and c != plan.base})
        }
        for clock in (plan.base, *self._aggs):
            self._bar_slots[clock] = [self._new(NAN) for _ in BAR_FIELDS]
            self._steps[clock] = []
        for node in plan.nodes:
            self._add(node)
        self._gates = [
            (name, [self._slot[(g, "fire")] for g in ids]) for name, ids in plan.gates.items()
        ]
        # Each action fires when its trigger (a gate's ``fire`` or a previous action's ``next``)
        # does; listed in the plan's chain order, as the vectorised ``Signals.actions_at``.
        by_id = {n.id: n for n in plan.nodes}
        order = dict.fromkeys(a for ids in plan.actions.values() for a in ids)
        self._actions = [(a, self._slot[by_id[a].wired["trigger"]]) for a in order]
        if warmup is not None:
            cols = [getattr(warmup, f).tolist() for f in BAR_FIELDS]
            for row in zip(*cols, strict=True):
                self.update(*row)

    def update(self, ts: int, o: float, h: float, lo: float, c: float, v: float = 0.0) -> BarSignal:
        vals = self._vals
        ts = int(ts)
        for clock, agg in self._aggs.items():
            for bar in agg.push(ts, o, h, lo, c, v):
                self._run(clock, bar)
        self._run(self._plan.base, [ts, o, h, lo, c, v])
        flags = dict.fromkeys(SIGNAL_NAMES, False)
        for name, slots in self._gates:
            flags[name] = any(vals[s] for s in slots)
        fired = tuple(a for a, slot in self._actions if vals[slot])
        return BarSignal(ts, **flags, actions=fired)

    def _run(self, clock: int, bar: list[Any]) -> None:
        vals = self._vals
        for slot, x in zip(self._bar_slots[clock], bar, strict=True):
            vals[slot] = x
        for step in self._steps[clock]:
            step(vals)

    # -- building the plan ------------------------------------------------------------
    def _new(self, init: Any) -> int:
        self._vals.append(init)
        return len(self._vals) - 1

    def _add(self, node: PlanNode) -> None:
        clock = self._plan.base if node.clock is None else node.clock
        ins = {p: self._slot[src] for p, src in node.wired.items()}
        if node.kind == "source":
            self._source(node, clock)
            return
        if node.kind == "constant":
            self._slot[(node.id, "out")] = self._new(node.params["value"])
            return
        init = NAN if node.kind in ("indicator", "math") else False
        outs = {p: self._new(init) for p in _out_ports(node)}
        for p, s in outs.items():
            self._slot[(node.id, p)] = s
        step = _make_step(node, ins, outs, self._bar_slots[clock], clock)
        if step is not None and node.clock is None:
            step(self._vals)  # a function of constants only: compute it once, now
        elif step is not None:
            self._steps[clock].append(step)

    def _source(self, node: PlanNode, clock: int) -> None:
        bar = self._bar_slots[clock]
        field = node.params["field"]
        if field in BAR_FIELDS:
            self._slot[(node.id, "out")] = bar[BAR_FIELDS.index(field)]
            return
        out = self._slot[(node.id, "out")] = self._new(NAN)
        o, h, lo, c = bar[1], bar[2], bar[3], bar[4]
        if field == "hl2":
            self._steps[clock].append(lambda v: v.__setitem__(out, (v[h] + v[lo]) / 2.0))
        elif field == "hlc3":
            self._steps[clock].append(lambda v: v.__setitem__(out, (v[h] + v[lo] + v[c]) / 3.0))
        else:
            self._steps[clock].append(
                lambda v: v.__setitem__(out, (v[o] + v[h] + v[lo] + v[c]) / 4.0)
            )


def _out_ports(node: PlanNode) -> tuple[str, ...]:
    if node.kind == "indicator":
        assert node.indicator is not None
        return node.indicator.outputs
    if node.kind in ("entry", "exit"):
        return ("fire",)
    if node.kind == "action":
        return ("next",)
    if node.kind == "loop":
        return ()
    return ("out",)


def _make_step(
    node: PlanNode, ins: dict[str, int], outs: dict[str, int], bar: list[int], clock: int
) -> Step | None:
    """One node's update; ``bar`` holds the slots of its clock's bar, ``clock`` its seconds."""
    kind = node.kind
    if kind == "indicator":
        return _indicator_step(node, ins, outs, bar)
    if kind in ("entry", "exit"):
        when, fire = ins["when"], outs["fire"]
        return lambda v: v.__setitem__(fire, bool(v[when]))
    if kind == "action":
        return _action_step(node, ins["trigger"], outs["next"])
    if kind == "time":
        state, ts, out = TimeState(node.params), bar[0], outs["out"]
        return lambda v: v.__setitem__(out, state.update(v[ts]))
    if kind == "math" and node.params["op"] in MATH_SESSION:  # on the base clock (see plan)
        session, ts, a, out = SessionState(node.params, clock), bar[0], ins["a"], outs["out"]
        return lambda v: v.__setitem__(out, session.update(v[ts], v[a]))
    if kind in ("math", "condition", "logic"):
        fn = OPS[node.params["op"]](node.params)
        args = [ins[k] for k in ("a", "b", "c", "d", "low", "high") if k in ins]
        return _call(fn, args, outs["out"])
    return None


def _action_step(node: PlanNode, trigger: int, nxt: int) -> Step:
    """``next`` repeats the trigger; a ``wait`` of ``bars`` repeats it that many bars later."""
    if node.params["type"] != "wait":
        return lambda v: v.__setitem__(nxt, bool(v[trigger]))
    k = node.params["bars"]
    buf: deque[bool] = deque([False] * k, maxlen=k)

    def step(v: list[Any]) -> None:
        v[nxt] = buf[0]
        buf.append(bool(v[trigger]))

    return step


def _call(fn: Callable[..., Any], args: list[int], out: int) -> Step:
    if len(args) == 1:
        (a,) = args
        return lambda v: v.__setitem__(out, fn(v[a]))
    if len(args) == 2:
        a, b = args
        return lambda v: v.__setitem__(out, fn(v[a], v[b]))
    return lambda v: v.__setitem__(out, fn(*[v[i] for i in args]))


def _indicator_step(
    node: PlanNode, ins: dict[str, int], outs: dict[str, int], bar: list[int]
) -> Step:
    ind = node.indicator
    assert ind is not None
    state = ind.stream(node.ind_params)
    src = []
    for port in ind.input_ports():
        if port.name in ins:
            src.append(ins[port.name])
        elif port.default == TS_INPUT:
            src.append(bar[0])
        else:
            src.append(_field_slot(port.default or "close", bar))
    dst = [outs[o] for o in ind.outputs]
    if len(src) == 1 and len(dst) == 1:
        (a,), (o,) = src, dst
        upd = state.update
        return lambda v: v.__setitem__(o, upd(v[a])[0])

    def step(v: list[Any]) -> None:
        for slot, x in zip(dst, state.update(*[v[i] for i in src]), strict=True):
            v[slot] = x

    return step


def _field_slot(field: str, bar: list[int]) -> int:
    if field in BAR_FIELDS:
        return bar[BAR_FIELDS.index(field)]
    raise ValueError(f"indicator default input '{field}' is not a bar column")


# -- scalar operators: numpy's semantics on Python floats (NaN, inf, division by 0) -----
def _div(a: float, b: float) -> float:
    if b == 0.0:
        if a == 0.0 or a != a:
            return NAN
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _nmin(a: float, b: float) -> float:
    return NAN if a != a or b != b else (a if a <= b else b)


def _nmax(a: float, b: float) -> float:
    return NAN if a != a or b != b else (a if a >= b else b)


def _lag(p: dict[str, Any]) -> Callable[[float], float]:
    buf: deque[float] = deque([NAN] * p["n"], maxlen=p["n"])

    def f(x: float) -> float:
        old = buf[0]
        buf.append(x)
        return old

    return f


def _extreme(p: dict[str, Any], highest: bool) -> Callable[[float], float]:
    n = p["n"]
    buf: deque[float] = deque(maxlen=n)
    pick = max if highest else min

    def f(x: float) -> float:
        buf.append(x)
        if len(buf) < n:
            return NAN
        return NAN if any(y != y for y in buf) else pick(buf)

    return f


def _cross(kind: str) -> Callable[[dict[str, Any]], Callable[[float, float], bool]]:
    def make(p: dict[str, Any]) -> Callable[[float, float], bool]:
        prev = [NAN, NAN]

        def f(a: float, b: float) -> bool:
            pa, pb = prev
            prev[0], prev[1] = a, b
            up = a > b and pa <= pb
            down = a < b and pa >= pb
            return up if kind == "above" else down if kind == "below" else up or down

        return f

    return make


def _monotone(rising: bool) -> Callable[[dict[str, Any]], Callable[[float], bool]]:
    def make(p: dict[str, Any]) -> Callable[[float], bool]:
        st = [NAN, 0]  # previous value, streak of strict steps

        def f(x: float) -> bool:
            step = x > st[0] if rising else x < st[0]
            st[0], st[1] = x, (st[1] + 1 if step else 0)
            return st[1] >= p["n"]

        return f

    return make


def _const(fn: Callable[..., Any]) -> Callable[[dict[str, Any]], Callable[..., Any]]:
    return lambda p: fn


OPS: dict[str, Callable[[dict[str, Any]], Callable[..., Any]]] = {
    "add": _const(lambda a, b: a + b),
    "sub": _const(lambda a, b: a - b),
    "mul": _const(lambda a, b: a * b),
    "div": _const(_div),
    "min": _const(_nmin),
    "max": _const(_nmax),
    "abs": _const(abs),
    "neg": _const(lambda a: -a),
    "lag": _lag,
    "highest": lambda p: _extreme(p, True),
    "lowest": lambda p: _extreme(p, False),
    "gt": _const(lambda a, b: a > b),
    "gte": _const(lambda a, b: a >= b),
    "lt": _const(lambda a, b: a < b),
    "lte": _const(lambda a, b: a <= b),
    "eq": _const(lambda a, b: a == b),
    "neq": _const(lambda a, b: a != b),
    "crosses_above": _cross("above"),
    "crosses_below": _cross("below"),
    "crosses": _cross("any"),
    "rising": _monotone(True),
    "falling": _monotone(False),
    "between": _const(lambda a, lo, hi: lo <= a <= hi),
    "and": _const(lambda *xs: all(xs)),
    "or": _const(lambda *xs: any(xs)),
    "xor": _const(lambda *xs: sum(bool(x) for x in xs) % 2 == 1),
    "not": _const(lambda a: not a),
}
