"""Document validation: structure, parameters, ports, types, cycles and reachability.

``analyse`` returns the normalised :class:`Spec` the compiler builds on, plus every error
found; ``validate`` is the public face that returns only the errors.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any

from engine.graph.errors import ErrorDict, error
from engine.graph.params import SIMPLE_CHECKS, Ctx, Errors, check_indicator, check_source
from engine.graph.risk import check_settings
from engine.graph.schema import (
    ID_RE,
    KINDS,
    MAX_NODES,
    NODE_KEYS,
    ORDER_ACTIONS,
    SCHEMA_VERSION,
    Port,
    PortType,
    node_ports,
)
from engine.indicators import BaseIndicator, Registry, get_registry
from engine.indicators.base import TS_INPUT
from engine.signals import RiskSettings

DOC_KEYS = frozenset({"schema_version", "name", "description", "settings", "nodes", "edges", "ui"})


@dataclass(slots=True)
class NodeSpec:
    id: str
    kind: str
    params: dict[str, Any]
    ins: dict[str, Port]
    outs: dict[str, PortType]
    indicator: BaseIndicator | None = None
    wired: dict[str, tuple[str, str]] = field(default_factory=dict)  # in-port -> (node, port)


@dataclass(slots=True)
class Spec:
    """A validated document: nodes in topological order and the strategy settings."""

    nodes: dict[str, NodeSpec]
    order: list[str]
    timeframe: str
    base_seconds: int  # the strategy timeframe's bar size
    base_risk: RiskSettings  # as the settings say
    risk: RiskSettings  # with loop nodes applied
    name: str = ""


def validate(doc: object, registry: Registry | None = None) -> list[ErrorDict]:
    """Every problem in ``doc`` as ``{"node", "field", "message"}``; empty when valid."""
    return analyse(doc, registry)[1]


def analyse(doc: object, registry: Registry | None = None) -> tuple[Spec | None, list[ErrorDict]]:
    errors: Errors = []
    if not isinstance(doc, dict):
        return None, [error(None, "document", "must be a JSON object")]
    _check_top(doc, errors)
    timeframe, base, risk = check_settings(doc.get("settings"), errors)
    bad: set[str] = set()
    nodes = _check_nodes(doc.get("nodes"), base, registry or get_registry(), errors, bad)
    _check_edges(doc.get("edges", []), nodes, bad, errors)
    order: list[str] = []
    if not bad:  # with broken nodes, wiring checks would only echo the same problem
        _check_required(nodes, errors)
        order = _topo_order(nodes, errors)
        _check_gates(nodes, errors)
        _check_reachable(nodes, errors)
    if errors or base is None or risk is None:
        return None, errors
    name = doc.get("name") if isinstance(doc.get("name"), str) else ""
    spec = Spec(nodes, order, timeframe, base, risk, with_loops(risk, nodes), name)
    return spec, []


def _check_top(doc: dict[str, Any], errors: Errors) -> None:
    version = doc.get("schema_version")
    if version != SCHEMA_VERSION or isinstance(version, bool):
        msg = f"must be {SCHEMA_VERSION}; got {version!r}"[:80]
        errors.append(error(None, "schema_version", msg))
    for key in doc:
        if key not in DOC_KEYS:
            errors.append(error(None, str(key)[:60], "unknown document key"))


def _check_nodes(
    raw: object, base: int | None, registry: Registry, errors: Errors, bad: set[str]
) -> dict[str, NodeSpec]:
    if not isinstance(raw, list):
        errors.append(error(None, "nodes", "must be a list of node objects"))
        bad.add("")
        return {}
    if len(raw) > MAX_NODES:
        errors.append(error(None, "nodes", f"at most {MAX_NODES} nodes"))
        bad.add("")
        return {}
    nodes: dict[str, NodeSpec] = {}
    for i, item in enumerate(raw):
        spec = _check_node(i, item, base, registry, errors)
        if spec is None:
            bad.add(_id_of(item))
            continue
        if spec.id in nodes:
            errors.append(error(spec.id, "id", "duplicate node id"))
            bad.add(spec.id)
            continue
        nodes[spec.id] = spec
    return nodes


def _id_of(item: object) -> str:
    node_id = item.get("id") if isinstance(item, dict) else None
    return node_id if isinstance(node_id, str) else ""


def _check_node(
    i: int, item: object, base: int | None, registry: Registry, errors: Errors
) -> NodeSpec | None:
    if not isinstance(item, dict):
        errors.append(error(None, f"nodes[{i}]", "must be an object"))
        return None
    node_id = item.get("id")
    if not isinstance(node_id, str) or not ID_RE.match(node_id):
        msg = "must be a string of letters, digits, _ or - (starting with a letter or _)"
        errors.append(error(None, f"nodes[{i}].id", msg))
        return None
    for key in item:
        if key not in NODE_KEYS:
            errors.append(error(node_id, str(key)[:60], "unknown node key"))
    kind = item.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        errors.append(error(node_id, "kind", f"unknown node kind {str(kind)[:40]!r}"))
        return None
    raw = item.get("params", {})
    if not isinstance(raw, dict):
        errors.append(error(node_id, "params", "must be an object"))
        return None
    return _node_spec(node_id, kind, raw, base, registry, errors)


def _node_spec(
    node_id: str,
    kind: str,
    raw: dict[str, Any],
    base: int | None,
    registry: Registry,
    errors: Errors,
) -> NodeSpec | None:
    before = len(errors)
    c = Ctx(node_id, raw, errors)
    ind = None
    if kind == "source":
        check_source(c, base)
    elif kind == "indicator":
        ind = check_indicator(c, registry)
    else:
        SIMPLE_CHECKS[kind](c)
    params = c.finish()
    if len(errors) > before:
        return None
    if ind is not None:
        ports = tuple(
            (p.name, p.default is None) for p in ind.input_ports() if p.default != TS_INPUT
        )
        ins, _ = node_ports(kind, params, ports)
        outs: dict[str, PortType] = dict.fromkeys(ind.outputs, "number")
    else:
        ins, outs = node_ports(kind, params)
    return NodeSpec(node_id, kind, params, ins, outs, ind)


def _check_edges(raw: object, nodes: dict[str, NodeSpec], bad: set[str], errors: Errors) -> None:
    if not isinstance(raw, list):
        errors.append(error(None, "edges", "must be a list of {from, to} objects"))
        bad.add("")
        return
    for i, edge in enumerate(raw):
        _check_edge(i, edge, nodes, bad, errors)


def _check_edge(
    i: int, edge: object, nodes: dict[str, NodeSpec], bad: set[str], errors: Errors
) -> None:
    where = f"edges[{i}]"
    if not isinstance(edge, dict) or set(edge) != {"from", "to"}:
        errors.append(error(None, where, "must be an object with exactly 'from' and 'to'"))
        return
    src = _endpoint(edge["from"], f"{where}.from", nodes, bad, errors)
    dst = _endpoint(edge["to"], f"{where}.to", nodes, bad, errors)
    if src is None or dst is None:
        return
    (s, sp), (d, dp) = src, dst
    if sp not in nodes[s].outs:
        errors.append(error(s, f"outputs.{sp}"[:80], f"no output port '{sp}'"[:120]))
        return
    if dp not in nodes[d].ins:
        errors.append(error(d, f"inputs.{dp}"[:80], f"no input port '{dp}'"[:120]))
        return
    have, want = nodes[s].outs[sp], nodes[d].ins[dp].type
    if have != want:
        msg = f"expects {want}, but {s}.{sp} is {have}"
        errors.append(error(d, f"inputs.{dp}", msg))
    elif dp in nodes[d].wired:
        errors.append(error(d, f"inputs.{dp}", "has more than one incoming edge"))
    else:
        nodes[d].wired[dp] = (s, sp)


def _endpoint(
    value: object, where: str, nodes: dict[str, NodeSpec], bad: set[str], errors: Errors
) -> tuple[str, str] | None:
    if not isinstance(value, str) or value.count(".") != 1:
        errors.append(error(None, where, "must be 'node_id.port'"))
        bad.add("")
        return None
    node, port = value.split(".")
    if node in bad:
        return None  # the node's own error already says what is wrong
    if node not in nodes:
        errors.append(error(None, where, f"unknown node '{node[:60]}'"))
        bad.add("")
        return None
    return node, port


def _check_required(nodes: dict[str, NodeSpec], errors: Errors) -> None:
    for n in nodes.values():
        for port in n.ins.values():
            if port.required and port.name not in n.wired:
                errors.append(error(n.id, f"inputs.{port.name}", "required input is not connected"))


def _topo_order(nodes: dict[str, NodeSpec], errors: Errors) -> list[str]:
    indeg = {k: len(n.wired) for k, n in nodes.items()}
    users = _users(nodes)
    ready = deque(k for k, d in indeg.items() if d == 0)
    order = []
    while ready:
        k = ready.popleft()
        order.append(k)
        for u in users[k]:
            indeg[u] -= 1
            if indeg[u] == 0:
                ready.append(u)
    for k in nodes:
        if indeg[k] > 0:
            errors.append(error(k, "inputs", "is part of a cycle"))
    return order


def _users(nodes: dict[str, NodeSpec]) -> dict[str, list[str]]:
    users: dict[str, list[str]] = {k: [] for k in nodes}
    for n in nodes.values():
        for src, _ in n.wired.values():
            users[src].append(n.id)
    return users


def _check_gates(nodes: dict[str, NodeSpec], errors: Errors) -> None:
    if not any(n.kind == "entry" for n in nodes.values()):
        errors.append(error(None, "nodes", "the graph has no entry node"))
    for n in nodes.values():
        if n.kind == "loop" and "entry" in n.wired:
            src = nodes[n.wired["entry"][0]]
            if src.kind != "entry":
                errors.append(error(n.id, "inputs.entry", "must come from an entry node"))
        if n.kind == "action" and n.params["type"] in ORDER_ACTIONS:
            _check_action_side(n, nodes, errors)


def _check_action_side(n: NodeSpec, nodes: dict[str, NodeSpec], errors: Errors) -> None:
    want_kind, want_side = ORDER_ACTIONS[n.params["type"]]
    gate = _gate_of(n, nodes)
    if gate is None:
        return
    if (gate.kind, gate.params["side"]) != (want_kind, want_side):
        msg = f"'{n.params['type']}' needs a {want_side} {want_kind} gate; {gate.id} is "
        errors.append(error(n.id, "params.type", msg + f"{gate.params['side']} {gate.kind}"))


def _gate_of(n: NodeSpec, nodes: dict[str, NodeSpec]) -> NodeSpec | None:
    """The entry/exit gate an action chain starts from (None when not wired or cyclic)."""
    seen = set()
    while n.kind == "action" and "trigger" in n.wired and n.id not in seen:
        seen.add(n.id)
        n = nodes[n.wired["trigger"][0]]
    return n if n.kind in ("entry", "exit") else None


def _check_reachable(nodes: dict[str, NodeSpec], errors: Errors) -> None:
    reached = _feeders(nodes) | _downstream_of_gates(nodes)
    for k in nodes:
        if k not in reached:
            errors.append(error(k, "outputs", "feeds no entry or exit (unreachable)"))


def _feeders(nodes: dict[str, NodeSpec]) -> set[str]:
    todo = [k for k, n in nodes.items() if n.kind in ("entry", "exit")]
    seen = set(todo)
    while todo:
        for src, _ in nodes[todo.pop()].wired.values():
            if src not in seen:
                seen.add(src)
                todo.append(src)
    return seen


def _downstream_of_gates(nodes: dict[str, NodeSpec]) -> set[str]:
    users = _users(nodes)
    todo = [k for k, n in nodes.items() if n.kind in ("entry", "exit")]
    seen = set(todo)
    while todo:
        for u in users[todo.pop()]:
            if u not in seen and nodes[u].kind in ("action", "loop"):
                seen.add(u)
                todo.append(u)
    return seen


def with_loops(risk: RiskSettings, nodes: dict[str, NodeSpec]) -> RiskSettings:
    """Loop nodes become the simulator's re-entry limits (see docs: 'loop')."""
    loops = [n.params for n in nodes.values() if n.kind == "loop"]
    if not loops:
        return risk
    per_day = 1 + max(p["max_reentries"] for p in loops)
    if risk.max_trades_per_day is not None:
        per_day = min(per_day, risk.max_trades_per_day)
    cooldown = max(risk.cooldown_bars, *(p["cooldown_bars"] for p in loops))
    return replace(risk, max_trades_per_day=per_day, cooldown_bars=cooldown)


# --- warnings: legal but probably not what the author meant ------------------------------


def graph_warnings(doc: object) -> list[dict[str, Any]]:
    """Advice on a document that may still be a draft: ``{"code", "node", "field", "message"}``.

    Works on the raw document (nothing here needs the graph to be valid), so an editor can
    show it beside the errors. None of these stops a run: a strategy without an exit still
    closes at its stop, its square-off or the end of the data, which is rarely the intent.
    """
    if not isinstance(doc, dict) or not isinstance(doc.get("nodes"), list):
        return []
    nodes = [n for n in doc["nodes"] if isinstance(n, dict) and isinstance(n.get("id"), str)]
    edges = doc.get("edges") if isinstance(doc.get("edges"), list) else []
    settings = doc.get("settings") if isinstance(doc.get("settings"), dict) else {}
    risk = settings.get("risk") if isinstance(settings.get("risk"), dict) else {}
    out = _exit_warnings(nodes, risk)
    out += _unused_indicator_warnings(nodes, edges)
    if _gates(nodes, "entry"):
        out += _risk_warnings(risk, settings.get("timeframe", "1m"))
    return out


def _warning(code: str, node: str | None, field_name: str, message: str) -> dict[str, Any]:
    return {"code": code, "node": node, "field": field_name, "message": message}


def _gates(nodes: list[dict[str, Any]], kind: str) -> set[str]:
    """The sides (long/short) that have a gate of ``kind``."""
    return {_params(n).get("side", "long") for n in nodes if n.get("kind") == kind}


def _params(n: dict[str, Any]) -> dict[str, Any]:
    return n["params"] if isinstance(n.get("params"), dict) else {}


def _exit_warnings(nodes: list[dict[str, Any]], risk: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for side in sorted(_gates(nodes, "entry") - _gates(nodes, "exit")):
        closes = [k for k in ("stop_loss", "target", "trailing_stop", "square_off") if risk.get(k)]
        # The run, not the graph, decides the end of the data: closed there by default,
        # carried past it with end_of_data keep_open.
        how = f"only by the risk exits ({', '.join(closes)}) or" if closes else "only"
        out.append(
            _warning(
                "no_exit",
                None,
                "nodes",
                f"{side} entries have no {side} exit gate: positions close {how} at the end "
                "of the data (with end_of_data keep_open, not even there)",
            )
        )
    return out


def _unused_indicator_warnings(
    nodes: list[dict[str, Any]], edges: list[Any]
) -> list[dict[str, Any]]:
    used = {
        e["from"].split(".", 1)[0]
        for e in edges
        if isinstance(e, dict) and isinstance(e.get("from"), str)
    }
    unused = [n["id"] for n in nodes if n.get("kind") == "indicator" and n["id"] not in used]
    msg = "indicator '{}' is computed but feeds no condition, entry or exit"
    return [_warning("unused_indicator", k, "outputs", msg.format(k)) for k in unused]


def _risk_warnings(risk: dict[str, Any], timeframe: object) -> list[dict[str, Any]]:
    out = []
    if not any(risk.get(k) for k in ("stop_loss", "trailing_stop", "per_trade_max_loss")):
        out.append(
            _warning(
                "no_stop",
                None,
                "settings.risk.stop_loss",
                "no stop-loss, trailing stop or per-trade max loss: a trade's loss "
                "is unbounded until its exit fires",
            )
        )
    if timeframe != "1d" and not risk.get("square_off"):
        out.append(
            _warning(
                "no_square_off",
                None,
                "settings.risk.square_off",
                "intraday bars without a square-off time: positions are carried "
                "overnight (brokers square off MIS positions near 15:20 IST)",
            )
        )
    return out
