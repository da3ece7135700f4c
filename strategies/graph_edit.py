"""Editing a strategy document node by node, as the sub-resource API does.

Pure functions over the JSON document (``engine/graph`` format). A draft may be
incomplete (no entry yet), so edits check only what they touch: the new node's own
parameters and the ports it connects; ``engine.graph.validate`` judges the whole.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from engine.graph import KINDS, SCHEMA_VERSION, validate
from engine.graph.risk import check_risk
from engine.graph.schema import ID_RE, MAX_NODES

Doc = dict[str, Any]
Errors = list[dict[str, Any]]
MAX_GRAPH_BYTES = 512 * 1024
GATE_FOR_ACTION = {
    "buy": ("entry", "long"),
    "sell": ("exit", "long"),
    "short": ("entry", "short"),
    "cover": ("exit", "short"),
}


class EditError(ValueError):
    def __init__(self, errors: Errors) -> None:
        self.errors = errors
        super().__init__("; ".join(e["message"] for e in errors))


def empty_document(name: str, timeframe: str = "1m") -> Doc:
    return {
        "schema_version": SCHEMA_VERSION,
        "name": name,
        "settings": {"timeframe": timeframe},
        "nodes": [],
        "edges": [],
    }


def structure_errors(doc: Any) -> Errors:
    """What makes a document unusable even as a draft (shape, ids, dangling edges)."""
    if not isinstance(doc, dict):
        return [_err(None, "graph", "must be a JSON object with nodes and edges")]
    errors: Errors = []
    nodes, edges = doc.get("nodes", []), doc.get("edges", [])
    if not isinstance(nodes, list):
        return [_err(None, "graph.nodes", "must be a list")]
    if not isinstance(edges, list):
        return [_err(None, "graph.edges", "must be a list")]
    if len(nodes) > MAX_NODES:
        errors.append(_err(None, "graph.nodes", f"at most {MAX_NODES} nodes"))
    ids = _node_ids(nodes, errors)
    for index, edge in enumerate(edges):
        errors.extend(_edge_problems(edge, index, ids))
    return errors + settings_errors(doc.get("settings"))


def settings_errors(settings: Any) -> Errors:
    """``settings`` and its ``risk`` must be objects, and the risk values what ``/risk``
    accepts: the risk and validate readers, and a run, read them even in a draft."""
    if settings is None:
        return []
    if not isinstance(settings, dict):
        return [_err(None, "graph.settings", "must be an object")]
    errors: Errors = []
    check_risk(settings.get("risk"), errors)
    return [_err(None, f"graph.{e['field']}", e["message"]) for e in errors]


def _node_ids(nodes: list[Any], errors: Errors) -> set[str]:
    ids: set[str] = set()
    for index, node in enumerate(nodes):
        node_id = node.get("id") if isinstance(node, dict) else None
        if not isinstance(node_id, str) or not ID_RE.match(node_id):
            errors.append(
                _err(None, f"graph.nodes.{index}.id", "must be a name of letters, digits, _ or -")
            )
        elif node_id in ids:
            errors.append(
                _err(node_id, f"graph.nodes.{index}.id", f"duplicate node id '{node_id}'")
            )
        else:
            ids.add(node_id)
        if isinstance(node, dict) and node.get("kind") not in KINDS:
            errors.append(
                _err(
                    node_id if isinstance(node_id, str) else None,
                    f"graph.nodes.{index}.kind",
                    f"must be one of {', '.join(KINDS)}",
                )
            )
    return ids


def _edge_problems(edge: Any, index: int, ids: set[str]) -> Errors:
    if not isinstance(edge, dict) or not all(isinstance(edge.get(k), str) for k in ("from", "to")):
        return [
            _err(None, f"graph.edges.{index}", 'must be {"from": "node.port", "to": "node.port"}')
        ]
    problems = []
    for end in ("from", "to"):
        node_id = edge[end].split(".", 1)[0]
        if node_id not in ids:
            problems.append(_err(None, f"graph.edges.{index}.{end}", f"no node '{node_id}'"))
    return problems


def _err(node: str | None, field: str, message: str) -> dict[str, Any]:
    return {"node": node, "field": field, "message": message}


def new_id(doc: Doc, stem: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9_]", "_", stem.lower())[:40] or "node"
    stem = stem if stem[0].isalpha() else f"n_{stem}"
    taken = {n.get("id") for n in doc["nodes"]}
    if stem not in taken:
        return stem
    return next(f"{stem}_{i}" for i in range(2, MAX_NODES + 2) if f"{stem}_{i}" not in taken)


def find_node(doc: Doc, node_id: str) -> dict[str, Any] | None:
    return next((n for n in doc["nodes"] if n.get("id") == node_id), None)


def add_node(
    doc: Doc, node: dict[str, Any], edges: list[dict[str, str]], helpers: set[str] = frozenset()
) -> Doc:
    """A copy of ``doc`` with the node and edges; raise EditError on what they break.

    ``helpers`` are ids of nodes the builder added alongside (sources, constants, gates).
    """
    out = copy.deepcopy(doc)
    out["nodes"].append(node)
    out["edges"].extend(edges)
    touched = {node["id"], *helpers} | {e["to"].split(".")[0] for e in edges}
    problems = [e for e in validate(out) if e["node"] in touched and _local(e)]
    if problems:
        raise EditError(problems)
    return out


def _local(error: dict[str, Any]) -> bool:
    """Errors about a node's own settings or inputs; not draft-only ones (unreachable...)."""
    message = error["message"].lower()
    return not any(
        word in message for word in ("reach", "feeds no", "not connected", "is required by")
    )


def remove_node(doc: Doc, node_id: str) -> Doc:
    out = copy.deepcopy(doc)
    out["nodes"] = [n for n in out["nodes"] if n.get("id") != node_id]
    out["edges"] = [e for e in out["edges"] if node_id not in (_owner(e["from"]), _owner(e["to"]))]
    return out


def remove_edge(doc: Doc, source: str, target: str) -> Doc | None:
    out = copy.deepcopy(doc)
    kept = [e for e in out["edges"] if (e["from"], e["to"]) != (source, target)]
    if len(kept) == len(out["edges"]):
        return None
    out["edges"] = kept
    return out


def _owner(ref: str) -> str:
    return ref.split(".", 1)[0]


def output_ref(doc: Doc, ref: str, field: str) -> str:
    """``node`` or ``node.port`` → ``node.port``; single-output nodes need no port."""
    node_id, _, port = ref.partition(".")
    node = find_node(doc, node_id)
    if node is None:
        raise EditError([_err(None, field, f"no node '{node_id}' in this strategy")])
    if port:
        return ref
    outputs = _outputs_of(node)
    if len(outputs) != 1:
        choices = ", ".join(f"{node_id}.{o}" for o in outputs)
        raise EditError(
            [_err(node_id, field, f"node '{node_id}' has several outputs; name one of {choices}")]
        )
    return f"{node_id}.{outputs[0]}"


def _outputs_of(node: dict[str, Any]) -> list[str]:
    if node.get("kind") == "indicator":
        from engine.indicators import catalogue

        name = str(node.get("params", {}).get("indicator", "")).upper()
        entry = next((e for e in catalogue() if e["name"] == name), None)
        return [o["name"] for o in entry["outputs"]] if entry else ["out"]
    return {"entry": ["fire"], "exit": ["fire"], "action": ["next"], "loop": []}.get(
        str(node.get("kind")), ["out"]
    )


# --- Node builders for the sub-resource API ----------------------------------------


def indicator_node(
    doc: Doc,
    *,
    type: str,
    params: dict[str, Any],
    timeframe: str | None = None,
    node_id: str | None = None,
    inputs: dict[str, str] | None = None,
) -> tuple[dict, list]:
    """An indicator node, fed by higher-timeframe sources when ``timeframe`` is given."""
    from engine.indicators import catalogue

    entry = next((e for e in catalogue() if e["name"] == type.upper()), None)
    if entry is None:
        raise EditError(
            [_err(None, "type", f"unknown indicator '{type}' (see GET /api/indicators)")]
        )
    value = _first_value(params)
    node_id = _claim_id(doc, node_id, f"{type}_{value}" if value else type)
    node = {"id": node_id, "kind": "indicator", "params": {"indicator": entry["name"], **params}}
    ports = {p["name"]: p.get("default") for p in entry["inputs"]}
    _check_ports(inputs or {}, ports, "inputs")
    edges = [
        {"from": output_ref(doc, ref, f"inputs.{port}"), "to": f"{node_id}.{port}"}
        for port, ref in (inputs or {}).items()
    ]
    if timeframe:
        edges += _timeframe_sources(doc, node_id, ports, timeframe, skip=set(inputs or {}))
    return node, edges


def _first_value(params: dict[str, Any]) -> str:
    value = next(iter(params.values()), "")
    return str(value).replace(".", "_") if isinstance(value, int | float | str) else ""


def _check_ports(given: dict[str, str], ports: dict[str, Any], field: str) -> None:
    unknown = sorted(set(given) - set(ports))
    if unknown:
        raise EditError(
            [
                _err(
                    None,
                    f"{field}.{unknown[0]}",
                    f"no input port '{unknown[0]}'; ports: {', '.join(ports)}",
                )
            ]
        )


def _timeframe_sources(
    doc: Doc, node_id: str, ports: dict[str, Any], timeframe: str, skip: set[str]
) -> list[dict[str, str]]:
    """Reuse or add one ``source`` node per price field at ``timeframe``; wire each input."""
    edges = []
    for port, field in ports.items():
        if port in skip or not field:
            continue
        source_id = f"{field}_{timeframe}"
        if find_node(doc, source_id) is None:
            doc["nodes"].append(
                {
                    "id": source_id,
                    "kind": "source",
                    "params": {"field": field, "timeframe": timeframe},
                }
            )
        edges.append({"from": f"{source_id}.out", "to": f"{node_id}.{port}"})
    return edges


def condition_node(
    doc: Doc, *, op: str, operands: dict[str, Any], n: int | None = None, node_id: str | None = None
) -> tuple[dict, list]:
    """A condition over existing nodes (``"ema_20"``, ``"macd.signal"``) or numbers."""
    _require_operands(op, operands)
    node_id = _claim_id(doc, node_id, f"cond_{op}")
    edges = [
        {"from": _operand(doc, value, port, node_id), "to": f"{node_id}.{port}"}
        for port, value in operands.items()
    ]
    params: dict[str, Any] = {"op": op}
    if n is not None:
        params["n"] = n
    return {"id": node_id, "kind": "condition", "params": params}, edges


def _require_operands(op: str, operands: dict[str, Any]) -> None:
    from engine.graph.schema import COND_ALIASES, COND_WINDOW

    op = COND_ALIASES.get(op, op)
    needed = (
        ("a",) if op in COND_WINDOW else ("a", "low", "high") if op == "between" else ("a", "b")
    )
    missing = [p for p in needed if p not in operands]
    if missing:
        raise EditError([_err(None, missing[0], f"'{op}' needs operands {', '.join(needed)}")])


def _operand(doc: Doc, value: Any, port: str, owner: str) -> str:
    if isinstance(value, bool) or value is None:
        raise EditError(
            [_err(None, port, "must name a node ('ema_20' or 'macd.signal') or be a number")]
        )
    if isinstance(value, int | float):
        const_id = new_id(doc, f"{owner}_{port}")
        doc["nodes"].append({"id": const_id, "kind": "constant", "params": {"value": value}})
        return f"{const_id}.out"
    if isinstance(value, str):
        return output_ref(doc, value, port)
    raise EditError(
        [_err(None, port, "must name a node ('ema_20' or 'macd.signal') or be a number")]
    )


def _check_gate_choice(*, type: str, after: str | None, side: str | None, gate: str | None) -> None:
    """``side``/``gate`` choose the gate of a wait or option leg fired ``when``; an order's
    gate follows from its type and a chained action has none, so there they would be ignored."""
    for name, value in (("side", side), ("gate", gate)):
        if value is None:
            continue
        if after is not None:
            raise EditError([_err(None, name, f"a chained action has no gate: drop '{name}'")])
        if type in GATE_FOR_ACTION:
            wanted = dict(zip(("gate", "side"), GATE_FOR_ACTION[type], strict=True))[name]
            if value != wanted:
                raise EditError(
                    [_err(None, name, f"a {type} fires from a {wanted} {name}, not '{value}'")]
                )


def action_node(
    doc: Doc,
    *,
    type: str,
    params: dict[str, Any],
    when: str | None = None,
    after: str | None = None,
    side: str | None = None,
    gate: str | None = None,
    node_id: str | None = None,
) -> tuple[dict, list]:
    """An action fired by a new entry/exit gate on ``when``, or chained ``after`` a node."""
    if (when is None) == (after is None):
        raise EditError([_err(None, "when", "give exactly one of 'when' (a condition) or 'after'")])
    if type == "wait" and when is not None:
        raise EditError([_err(None, "when", "a wait follows another node: use 'after'")])
    _check_gate_choice(type=type, after=after, side=side, gate=gate)
    node_id = _claim_id(doc, node_id, type)
    node = {"id": node_id, "kind": "action", "params": {"type": type, **params}}
    if after is not None:
        return node, [{"from": output_ref(doc, after, "after"), "to": f"{node_id}.trigger"}]
    gate_kind, gate_side = GATE_FOR_ACTION.get(type, (gate or "entry", side or "long"))
    gate_id = new_id(doc, f"{gate_kind}_{gate_side}")
    doc["nodes"].append({"id": gate_id, "kind": gate_kind, "params": {"side": gate_side}})
    edges = [
        {"from": output_ref(doc, when, "when"), "to": f"{gate_id}.when"},
        {"from": f"{gate_id}.fire", "to": f"{node_id}.trigger"},
    ]
    return node, edges


def _claim_id(doc: Doc, wanted: str | None, stem: str) -> str:
    if wanted is None:
        return new_id(doc, stem)
    if not ID_RE.match(wanted):
        raise EditError([_err(None, "id", "must be letters, digits, _ or - (up to 64)")])
    if find_node(doc, wanted) is not None:
        raise EditError([_err(wanted, "id", f"node '{wanted}' already exists")])
    return wanted


# --- PATCH: JSON Merge Patch (RFC 7386) of the document --------------------------------------


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge key by key, ``null`` deletes a key, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def patch_drops(doc: Doc, patch: Doc) -> Errors:
    """Under RFC 7386 an array in a patch replaces the stored one whole, so a partial ``nodes``
    or ``edges`` list would silently delete everything it leaves out. Name what it would drop:
    removing nodes or edges takes DELETE on the sub-resources, or a PUT of the whole graph."""
    errors: Errors = []
    dropped_nodes = _ids(doc.get("nodes")) - _ids(patch.get("nodes", doc.get("nodes")))
    if dropped_nodes:
        errors.append(_err(None, "graph.nodes", _drop_message("node", dropped_nodes)))
    dropped_edges = _edge_ids(doc.get("edges")) - _edge_ids(patch.get("edges", doc.get("edges")))
    if dropped_edges:
        errors.append(_err(None, "graph.edges", _drop_message("edge", dropped_edges)))
    return errors


def _ids(nodes: Any) -> set[str]:
    if not isinstance(nodes, list):
        return set()
    return {n["id"] for n in nodes if isinstance(n, dict) and isinstance(n.get("id"), str)}


def _edge_ids(edges: Any) -> set[str]:
    if not isinstance(edges, list):
        return set()
    return {f"{e.get('from')}->{e.get('to')}" for e in edges if isinstance(e, dict)}


def _drop_message(what: str, dropped: set[str]) -> str:
    shown = ", ".join(sorted(dropped)[:10]) + (" …" if len(dropped) > 10 else "")
    return (
        f"this list would remove {len(dropped)} {what}(s) ({shown}): a list in a PATCH "
        f"replaces the stored one, so send every {what}, DELETE the {what}s you mean to "
        "remove, or PUT the whole graph"
    )
