"""A flat evaluation plan built once from a validated spec: clocks, wiring, gates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.graph.schema import COND_WINDOW, MATH_SESSION, MATH_WINDOW, timeframe_seconds
from engine.graph.validate import NodeSpec, Spec
from engine.indicators import BaseIndicator

SIGNAL_NAMES = ("entry_long", "exit_long", "entry_short", "exit_short")


@dataclass(slots=True)
class PlanNode:
    id: str
    kind: str
    params: dict[str, Any]
    wired: dict[str, tuple[str, str]]
    clock: int | None  # bar seconds this node runs on; None for constants
    indicator: BaseIndicator | None = None
    ind_params: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Plan:
    base: int
    nodes: list[PlanNode]
    clocks: dict[str, int | None]
    gates: dict[str, list[str]]  # signal name -> gate node ids
    actions: dict[str, tuple[str, ...]]  # signal name -> action node ids, chain order


def build_plan(spec: Spec) -> Plan:
    clocks: dict[str, int | None] = {}
    nodes = []
    for nid in spec.order:
        ns = spec.nodes[nid]
        clocks[nid] = _clock(ns, clocks, spec.base_seconds)
        nodes.append(_plan_node(ns, clocks[nid]))
    gates: dict[str, list[str]] = {k: [] for k in SIGNAL_NAMES}
    for ns in spec.nodes.values():
        if ns.kind in ("entry", "exit"):
            gates[f"{ns.kind}_{ns.params['side']}"].append(ns.id)
    gate_actions = {g: _chain(g, spec) for ids in gates.values() for g in ids}
    actions = {
        name: tuple(dict.fromkeys(a for g in ids for a in gate_actions[g]))
        for name, ids in gates.items()
    }
    return Plan(spec.base_seconds, nodes, clocks, gates, actions)


def _plan_node(ns: NodeSpec, clock: int | None) -> PlanNode:
    ind_params = {}
    if ns.indicator is not None:
        ind_params = {p.name: ns.params[p.name] for p in ns.indicator.params}
    return PlanNode(ns.id, ns.kind, ns.params, dict(ns.wired), clock, ns.indicator, ind_params)


def _clock(ns: NodeSpec, clocks: dict[str, int | None], base: int) -> int | None:
    """Sources set a clock; window operators keep their input's; other mixes meet on base."""
    if ns.kind == "source":
        tf = timeframe_seconds(ns.params.get("timeframe")) or base
        return tf
    if ns.kind == "constant":
        return None
    inputs = {clocks[src] for src, _ in ns.wired.values()} - {None}
    if ns.kind == "indicator":
        return inputs.pop() if len(inputs) == 1 else base
    if ns.kind == "math" and ns.params["op"] in MATH_SESSION:
        return base  # they read the base bars' times; other clocks are aligned to base first
    if ns.kind == "math" or (ns.kind == "condition" and ns.params["op"] in COND_WINDOW):
        if len(inputs) == 1:
            return inputs.pop()
        windowed = ns.params["op"] in (*MATH_WINDOW, *COND_WINDOW)
        return base if inputs or windowed else None
    return base


def _chain(gate: str, spec: Spec) -> tuple[str, ...]:
    """Action ids reachable from a gate, breadth first (the order they run in)."""
    users: dict[str, list[str]] = {}
    for ns in spec.nodes.values():
        for src, _ in ns.wired.values():
            users.setdefault(src, []).append(ns.id)
    out, todo = [], [gate]
    while todo:
        nxt = []
        for k in todo:
            for u in users.get(k, []):
                if spec.nodes[u].kind == "action" and u not in out:
                    out.append(u)
                    nxt.append(u)
        todo = nxt
    return tuple(out)
