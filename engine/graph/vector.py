"""Whole-array evaluation of a compiled plan: numpy and TA-Lib, no Python loop per bar."""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from engine.bars import Bars
from engine.graph.plan import Plan, PlanNode
from engine.graph.resample import Resampled, align, resample
from engine.graph.schema import MATH_SESSION
from engine.graph.sessionops import session_series
from engine.graph.timeops import time_mask
from engine.indicators.base import TS_INPUT
from engine.signals import Signals

Value = Any  # an ndarray on the node's clock, or a Python scalar for constant nodes


class _Frames:
    """Bars per clock, resampled once per evaluation."""

    def __init__(self, bars: Bars, base: int) -> None:
        self.base, self.n = base, len(bars)
        self._bars = {base: bars}
        self._rs: dict[int, Resampled] = {}
        # (a, b, crosses above, crosses below) already computed in this evaluation: a strategy
        # usually asks for both directions of one pair (entry on the cross up, exit on the
        # cross down), and one pass gives both.
        self.crosses: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def bars(self, clock: int) -> Bars:
        if clock not in self._bars:
            self._rs[clock] = resample(self._bars[self.base], clock, self.base)
            self._bars[clock] = self._rs[clock].bars
        return self._bars[clock]

    def to_base(self, value: np.ndarray, clock: int) -> np.ndarray:
        self.bars(clock)
        return align(value, self._rs[clock].visible, self.n)


def evaluate(plan: Plan, bars: Bars) -> Signals:
    vals, frames = _run(plan, bars)
    sig = _signals(plan, vals, frames.n)
    for name, (nid, port) in plan.levels.items():
        v, clock = vals[(nid, port)], plan.clocks[nid]
        if clock is not None and clock != plan.base:
            v = frames.to_base(v, clock)
        sig.levels[name] = np.asarray(_arr(v, frames.n), dtype=np.float64)
    return sig


def series(plan: Plan, bars: Bars) -> dict[str, np.ndarray]:
    """Every node output as a base-timeframe array keyed ``"node.port"`` (for charts, tests)."""
    vals, frames = _run(plan, bars)
    out = {}
    for (nid, port), v in vals.items():
        clock = plan.clocks[nid]
        if clock is not None and clock != plan.base:
            v = frames.to_base(v, clock)
        out[f"{nid}.{port}"] = _arr(v, frames.n)
    return out


def _run(plan: Plan, bars: Bars) -> tuple[dict[tuple[str, str], Value], _Frames]:
    frames = _Frames(bars, plan.base)
    vals: dict[tuple[str, str], Value] = {}
    for node in plan.nodes:
        ins = {p: _input(vals, plan, frames, node, p) for p in node.wired}
        for port, out in _compute(node, ins, frames).items():
            vals[(node.id, port)] = out
    return vals, frames


def _input(
    vals: dict[tuple[str, str], Value], plan: Plan, frames: _Frames, node: PlanNode, port: str
) -> Value:
    src = node.wired[port]
    v = vals[src]
    src_clock = plan.clocks[src[0]]
    if src_clock is not None and src_clock != node.clock:
        return frames.to_base(v, src_clock)  # mixed clocks always meet on the base clock
    return v


def _compute(node: PlanNode, ins: dict[str, Value], frames: _Frames) -> dict[str, Value]:
    kind, p = node.kind, node.params
    if kind == "source":
        return {"out": frames.bars(node.clock).field(p["field"])}
    if kind == "constant":
        return {"out": p["value"]}
    n = frames.n if node.clock is None else len(frames.bars(node.clock))
    if kind == "indicator":
        return _indicator(node, ins, frames.bars(node.clock or frames.base))
    if kind == "math" and p["op"] in MATH_SESSION:  # always on the base clock (see plan)
        ts = frames.bars(frames.base).ts
        return {"out": session_series(p, _arr(ins["a"], n), ts, frames.base)}
    if kind == "math":
        return {"out": _math(p["op"], ins, p.get("n", 0), n)}
    if kind == "condition" and p["op"] in _CROSSES:
        return {"out": _cross(p["op"], _arr(ins["a"], n), _arr(ins["b"], n), frames)}
    if kind == "condition":
        return {"out": _full_bool(_condition(p["op"], ins, p.get("n", 0), n), n)}
    if kind == "logic":
        return {"out": _full_bool(_logic(p["op"], ins), n)}
    if kind == "time":
        return {"out": time_mask(p, frames.bars(frames.base).ts)}
    if kind in ("entry", "exit"):
        return {"fire": _full_bool(ins["when"], n)}
    if kind == "action":
        return {"next": _action_next(p, _full_bool(ins["trigger"], n))}
    return {}  # loop nodes carry no series


def _action_next(p: dict[str, Any], fire: np.ndarray) -> np.ndarray:
    """An action's ``next`` fires with it; a ``wait`` of ``bars`` fires that many bars later."""
    if p["type"] != "wait":
        return fire
    k = p["bars"]
    out = np.zeros(len(fire), dtype=np.bool_)
    if k < len(fire):
        out[k:] = fire[: len(fire) - k]
    return out


def _indicator(node: PlanNode, ins: dict[str, Value], bars: Bars) -> dict[str, np.ndarray]:
    ind = node.indicator
    assert ind is not None
    arrays: dict[str, np.ndarray] = {}
    for port in ind.input_ports():
        if port.name in ins:
            arrays[port.name] = _arr(ins[port.name], len(bars))
        elif port.default == TS_INPUT:
            arrays[port.name] = bars.ts
        else:
            arrays[port.name] = bars.field(port.default or "close")
    return ind.run(arrays, node.ind_params)


def _arr(v: Value, n: int) -> np.ndarray:
    if isinstance(v, np.ndarray):
        return v
    return np.full(n, v, dtype=np.bool_ if isinstance(v, bool) else np.float64)


def _full_bool(v: Value, n: int) -> np.ndarray:
    return v if isinstance(v, np.ndarray) else np.full(n, bool(v))


def _math(op: str, ins: dict[str, Value], w: int, n: int) -> Value:
    a, b = ins.get("a"), ins.get("b")
    with np.errstate(all="ignore"):
        if op == "add":
            return a + b
        if op == "sub":
            return a - b
        if op == "mul":
            return a * b
        if op == "div":
            return np.true_divide(a, b) if not _scalars(a, b) else _sdiv(a, b)
        if op == "min":
            return np.minimum(a, b) if not _scalars(a, b) else float(np.minimum(a, b))
        if op == "max":
            return np.maximum(a, b) if not _scalars(a, b) else float(np.maximum(a, b))
        if op == "abs":
            return abs(a)
        if op == "neg":
            return -a
    return _window(op, _arr(a, n), w)


def _scalars(*xs: Value) -> bool:
    return not any(isinstance(x, np.ndarray) for x in xs)


def _sdiv(a: float, b: float) -> float:
    return float(np.true_divide(np.float64(a), np.float64(b)))


def _window(op: str, a: np.ndarray, w: int) -> np.ndarray:
    out = np.full(len(a), np.nan)
    if op == "lag":
        if w < len(a):
            out[w:] = a[: len(a) - w]
        return out
    if w > len(a):
        return out
    win = np.lib.stride_tricks.sliding_window_view(a, w)
    # max/min propagate NaN, like the streaming form: a NaN in the window gives NaN
    out[w - 1 :] = win.max(axis=1) if op == "highest" else win.min(axis=1)
    return out


def _condition(op: str, ins: dict[str, Value], w: int, n: int) -> Value:
    a, b = ins.get("a"), ins.get("b")
    if op in ("rising", "falling"):
        return _monotone(_arr(a, n), w, op == "rising")
    if op == "between":
        return (ins["low"] <= a) & (a <= ins["high"])
    return {
        "gt": np.greater,
        "gte": np.greater_equal,
        "lt": np.less,
        "lte": np.less_equal,
        "eq": np.equal,
        "neq": np.not_equal,
    }[op](a, b)


_CROSSES = ("crosses_above", "crosses_below", "crosses")


def _cross(op: str, a: np.ndarray, b: np.ndarray, frames: _Frames) -> np.ndarray:
    up, down = _cross_both(a, b, frames)
    return up if op == "crosses_above" else down if op == "crosses_below" else up | down


def _cross_both(a: np.ndarray, b: np.ndarray, frames: _Frames) -> tuple[np.ndarray, np.ndarray]:
    """Both directions of a pair, once per evaluation (b crossing above a is a below b).
    Entries hold the arrays themselves, so ``is`` cannot match a recycled object."""
    for x, y, up, down in frames.crosses:
        if x is a and y is b:
            return up, down
        if x is b and y is a:
            return down, up
    up, down = _cross_pair(
        np.ascontiguousarray(a, dtype=np.float64), np.ascontiguousarray(b, dtype=np.float64)
    )
    frames.crosses.append((a, b, up, down))
    return up, down


@njit(cache=True, nogil=True)
def _cross_pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One pass for ``(a[i] > b[i]) & (a[i-1] <= b[i-1])`` and its mirror (``<``, ``>=``);
    a comparison with NaN is false, as in numpy. Numpy took six temporaries per direction."""
    n = len(a)
    up = np.zeros(n, dtype=np.bool_)
    down = np.zeros(n, dtype=np.bool_)
    if n < 2:
        return up, down
    was_le, was_ge = a[0] <= b[0], a[0] >= b[0]
    for i in range(1, n):
        x, y = a[i], b[i]
        up[i] = x > y and was_le
        down[i] = x < y and was_ge
        was_le, was_ge = x <= y, x >= y
    return up, down


def _monotone(a: np.ndarray, w: int, rising: bool) -> np.ndarray:
    """True where each of the last ``w`` steps rose (fell) strictly."""
    out = np.zeros(len(a), dtype=np.bool_)
    if len(a) <= w:
        return out
    step = (a[1:] > a[:-1]) if rising else (a[1:] < a[:-1])
    bad = np.r_[0, np.cumsum(~step)]
    out[w:] = (bad[w:] - bad[:-w]) == 0
    return out


def _logic(op: str, ins: dict[str, Value]) -> Value:
    vals = [ins[k] for k in ("a", "b", "c", "d") if k in ins]
    if op == "not":
        return np.logical_not(vals[0])
    fn = {"and": np.logical_and, "or": np.logical_or, "xor": np.logical_xor}[op]
    out = vals[0]
    for v in vals[1:]:
        out = fn(out, v)
    return out


def _signals(plan: Plan, vals: dict[tuple[str, str], Value], n: int) -> Signals:
    arrays = {}
    for name, gates in plan.gates.items():
        acc = np.zeros(n, dtype=np.bool_)
        for g in gates:
            acc |= vals[(g, "fire")]
        arrays[name] = acc
    fired = {}
    for node in plan.nodes:
        if node.kind == "action":
            src = node.wired["trigger"]
            fired[node.id] = _full_bool(vals[src], n)
    return Signals(**arrays, actions=dict(plan.actions), fired=fired)
