"""``compile_graph``: validate once, build a flat plan, evaluate many times."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import numpy as np

from engine.bars import Bars
from engine.graph.errors import ErrorDict, GraphValidationError, error
from engine.graph.plan import Plan, build_plan
from engine.graph.risk import check_risk
from engine.graph.stream import StreamEvaluator
from engine.graph.validate import NodeSpec, Spec, _node_spec, analyse, with_loops
from engine.graph.vector import evaluate as evaluate_vector
from engine.graph.vector import series as series_vector
from engine.indicators import Registry, get_registry
from engine.signals import RiskSettings, Signals

# Structural parameters: changing them may change ports or types, so they need a full
# validation rather than the sweep fast path.
STRUCTURAL = frozenset({"indicator", "op", "field", "side", "type", "timeframe"})
RISK_PREFIX = "settings.risk."


class CompiledGraph:
    """A validated strategy graph: ``evaluate`` over arrays, ``stream`` bar by bar."""

    def __init__(self, doc: dict[str, Any], spec: Spec, registry: Registry) -> None:
        self.document = doc
        self._spec = spec
        self._registry = registry
        self.plan: Plan = build_plan(spec)

    @property
    def timeframe(self) -> str:
        """The bar timeframe ``evaluate``/``stream`` expect, e.g. ``"1m"``."""
        return self._spec.timeframe

    @property
    def risk(self) -> RiskSettings:
        return self._spec.risk

    @property
    def name(self) -> str:
        return self._spec.name

    def evaluate(self, bars: Bars) -> Signals:
        """Signals for every bar; bars must be at :attr:`timeframe`."""
        return evaluate_vector(self.plan, bars)

    def series(self, bars: Bars) -> dict[str, np.ndarray]:
        """Every node output on the base timeframe, keyed ``"node.port"`` (charts, debugging)."""
        return series_vector(self.plan, bars)

    def stream(self, warmup: Bars | None = None) -> StreamEvaluator:
        """A streaming evaluator that has already seen ``warmup``."""
        return StreamEvaluator(self.plan, warmup)

    def with_params(self, changes: Mapping[str, Any]) -> CompiledGraph:
        """A copy with parameters changed, e.g. ``{"ma_fast.timeperiod": 12}``; risk settings
        too, e.g. ``{"settings.risk.stop_loss": {"value": 1, "unit": "percent"}}``.

        Only the touched nodes are re-checked (type, range, indicator trial); the wiring,
        types and reachability are unchanged, so a sweep skips full validation.
        """
        doc = copy.deepcopy(self.document)
        errors: list[ErrorDict] = []
        node_changes = {k: v for k, v in changes.items() if not str(k).startswith(RISK_PREFIX)}
        spec = copy.copy(self._spec)
        spec.nodes = self._changed_nodes(doc, node_changes, errors)
        if len(node_changes) < len(changes):
            spec.base_risk = _changed_risk(doc, changes, errors)
        if errors or spec.base_risk is None:
            raise GraphValidationError(errors)
        spec.risk = with_loops(spec.base_risk, spec.nodes)
        return CompiledGraph(doc, spec, self._registry)

    def _changed_nodes(
        self, doc: dict[str, Any], changes: Mapping[str, Any], errors: list[ErrorDict]
    ) -> dict[str, NodeSpec]:
        nodes = {n["id"]: n for n in doc["nodes"]}
        spec_nodes = dict(self._spec.nodes)
        for path, value in changes.items():
            node_id, _, key = str(path).partition(".")
            if node_id not in nodes or not key or key in STRUCTURAL:
                errors.append(error(node_id or None, f"params.{key}", "not a tunable parameter"))
                continue
            nodes[node_id].setdefault("params", {})[key] = value
        for node_id in {str(p).partition(".")[0] for p in changes} & set(nodes):
            old = spec_nodes[node_id]
            ns = _node_spec(
                node_id,
                old.kind,
                nodes[node_id]["params"],
                self._spec.base_seconds,
                self._registry,
                errors,
            )
            if ns is None:
                continue
            if (ns.ins, ns.outs) != (old.ins, old.outs):
                errors.append(error(node_id, "params", "changes the node's ports; recompile"))
            ns.wired = old.wired
            spec_nodes[node_id] = ns
        return spec_nodes


def _changed_risk(
    doc: dict[str, Any], changes: Mapping[str, Any], errors: list[ErrorDict]
) -> RiskSettings | None:
    risk = doc.setdefault("settings", {}).setdefault("risk", {})
    for path, value in changes.items():
        if str(path).startswith(RISK_PREFIX):
            risk[str(path).removeprefix(RISK_PREFIX)] = value
    return check_risk(risk, errors)


def compile_graph(doc: object, *, registry: Registry | None = None) -> CompiledGraph:
    """Validate and compile; raises :class:`GraphValidationError` listing every problem."""
    reg = registry if registry is not None else get_registry()
    spec, errors = analyse(doc, reg)
    if errors or spec is None:
        raise GraphValidationError(errors)
    assert isinstance(doc, dict)
    return CompiledGraph(copy.deepcopy(doc), spec, reg)


def set_param(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``doc`` with ``node_id.param`` set (validate or compile it afterwards)."""
    node_id, _, key = path.partition(".")
    out = copy.deepcopy(doc)
    for node in out.get("nodes", []):
        if isinstance(node, dict) and node.get("id") == node_id:
            node.setdefault("params", {})[key] = value
            return out
    raise KeyError(f"no node '{node_id}'")
