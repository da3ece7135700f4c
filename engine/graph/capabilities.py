"""What a valid graph may say that the simulator does not execute yet.

Validation accepts the whole language, so an editor can save a strategy that uses it; a run
must not quietly do something else. Each finding here refuses the run with the node named,
until the simulator executes it:

- an ``option_leg`` fired by an exit gate (legs open positions; the exit gate closes them);
- an ``option_leg`` in a sweep (sweeps run the underlying's kernel only);
- order actions or leg-less entry gates beside option legs: a strategy with legs trades only
  through its legs, never the underlying (Architecture decision 12);
- option-group levels (``settings.risk.group_*``) in a strategy without legs;
- an order action chained after a ``wait``: the simulator trades on the gate's bar, so the
  delay would be ignored.
"""

from __future__ import annotations

from typing import Any

ORDER_TYPES = ("buy", "sell", "short", "cover")


def unexecutable_actions(doc: dict[str, Any], *, legs: bool = True) -> list[dict[str, Any]]:
    """``{"node", "field", "message"}`` for every action a run would not carry out as written.

    ``legs=False``: the caller (a sweep) cannot run option legs at all."""
    nodes = [n for n in doc.get("nodes", []) if isinstance(n, dict)]
    actions = {n["id"]: n.get("params", {}).get("type") for n in nodes if n.get("kind") == "action"}
    edges = doc.get("edges", [])
    leg_ids = [a for a, kind in actions.items() if kind == "option_leg"]
    problems = (
        _leg_problems(nodes, actions, edges, leg_ids)
        if legs
        else [
            _problem(
                node_id,
                "option legs run in single backtests, not in sweeps yet: run the strategy "
                "as a backtest, or remove the leg to sweep its signals",
            )
            for node_id in leg_ids
        ]
    )
    if not leg_ids:
        risk = (doc.get("settings") or {}).get("risk") or {}
        problems += [
            {
                "node": None,
                "field": f"settings.risk.{key}",
                "message": "group levels apply to option-leg groups; this strategy has no leg",
            }
            for key in ("group_stop_loss", "group_target")
            if isinstance(risk, dict) and risk.get(key) is not None
        ]
    problems += _quantity_problems(nodes, edges, sweep=not legs)
    delayed = _after_a_wait(actions, edges)
    problems += [
        _problem(
            node_id,
            "an order after a wait is not delayed by the simulator yet: it would "
            "fill on the gate's bar; remove the wait or the order",
        )
        for node_id in sorted(delayed)
        if actions[node_id] in ORDER_TYPES
    ]
    return problems


def _leg_problems(
    nodes: list[dict[str, Any]],
    actions: dict[str, Any],
    edges: list[dict[str, str]],
    leg_ids: list[str],
) -> list[dict[str, Any]]:
    if not leg_ids:
        return []
    gates = {n["id"]: n.get("kind") for n in nodes if n.get("kind") in ("entry", "exit")}
    reach = _reached_from(gates, edges)
    out = [
        _problem(node_id, "an option leg opens a position: fire it from an entry gate")
        for node_id in leg_ids
        if any(gates[g] == "exit" for g in reach.get(node_id, ()))
    ]
    out += [
        _problem(
            node_id,
            "a strategy with option legs trades only through its legs: this order would "
            "trade the underlying; remove it or make it an option leg",
        )
        for node_id, kind in actions.items()
        if kind in ORDER_TYPES
    ]
    fed = {g for node_id in leg_ids for g in reach.get(node_id, ())}
    out += [
        {
            "node": g,
            "field": "fire",
            "message": "a strategy with option legs trades only through its legs: this entry "
            "gate fires none, so it would trade the underlying; wire it to a leg",
        }
        for g, kind in sorted(gates.items())
        if kind == "entry" and g not in fed
    ]
    return out


def entry_quantities(doc: dict[str, Any]) -> dict[str, int]:
    """Per side ("long"/"short"): the ``quantity`` of the order actions its entry gates fire.

    A run multiplies its sized lots (or fixed units) by it (engine.backtest); sides without
    an order action are absent. Several different quantities on one side are refused by
    :func:`unexecutable_actions`; here the first is returned."""
    nodes = [n for n in doc.get("nodes", []) if isinstance(n, dict)]
    out: dict[str, int] = {}
    for side, qty in _entry_orders(nodes, doc.get("edges", [])):
        out.setdefault(side, qty)
    return out


def entry_sides(doc: dict[str, Any]) -> set[str]:
    """The sides ("long"/"short") the document has entry gates for."""
    return {
        n.get("params", {}).get("side", "long")
        for n in doc.get("nodes", [])
        if isinstance(n, dict) and n.get("kind") == "entry"
    }


def _entry_orders(
    nodes: list[dict[str, Any]], edges: list[dict[str, str]]
) -> list[tuple[str, int]]:
    gates = {n["id"]: n for n in nodes if n.get("kind") == "entry"}
    reach = _reached_from(dict.fromkeys(gates, "entry"), edges)
    out = []
    for n in nodes:
        params = n.get("params", {})
        if n.get("kind") != "action" or params.get("type") not in ORDER_TYPES:
            continue
        for g in sorted(reach.get(n["id"], ())):
            side = gates[g].get("params", {}).get("side", "long")
            out.append((side, int(params.get("quantity", 1))))
    return out


def _quantity_problems(
    nodes: list[dict[str, Any]], edges: list[dict[str, str]], *, sweep: bool
) -> list[dict[str, Any]]:
    """Order quantities the simulator cannot follow: exits close the whole position; one
    side's entries share one size; a sweep sizes every combination alike."""
    out = []
    entry_ids = set()
    gates = {n["id"]: n.get("kind") for n in nodes if n.get("kind") in ("entry", "exit")}
    reach = _reached_from(gates, edges)
    by_side: dict[str, set[int]] = {}
    for side, qty in _entry_orders(nodes, edges):
        by_side.setdefault(side, set()).add(qty)
    for n in nodes:
        params = n.get("params", {})
        if n.get("kind") != "action" or params.get("type") not in ORDER_TYPES:
            continue
        qty = params.get("quantity", 1)
        kinds = {gates[g] for g in reach.get(n["id"], ())}
        if "entry" in kinds:
            entry_ids.add(n["id"])
        if kinds == {"exit"} and qty != 1:
            out.append(
                _problem(
                    n["id"],
                    "an exit closes the whole position; a partial exit (quantity "
                    f"{qty}) is not supported yet: remove quantity",
                    "params.quantity",
                )
            )
        elif "entry" in kinds and sweep and qty != 1:
            out.append(
                _problem(
                    n["id"],
                    "a sweep does not apply an order's quantity yet: size the sweep with "
                    "its sizing and remove quantity",
                    "params.quantity",
                )
            )
    qtys = {q for side_qtys in by_side.values() for q in side_qtys}
    if len(qtys) > 1:
        out += [
            _problem(
                node_id,
                f"the entries ask for different quantities {sorted(qtys)}; one size for "
                "every entry is supported yet",
                "params.quantity",
            )
            for node_id in sorted(entry_ids)
        ]
    return out


def _reached_from(gates: dict[str, Any], edges: list[dict[str, str]]) -> dict[str, set[str]]:
    """action id -> the gates whose ``fire`` reaches it (directly or through ``next``)."""
    links: dict[str, list[str]] = {}
    for e in edges:
        src, dst = str(e.get("from", "")), str(e.get("to", ""))
        if dst.endswith(".trigger") and (src.endswith(".fire") or src.endswith(".next")):
            owner = src.rsplit(".", 1)[0]
            links.setdefault(owner, []).append(dst.removesuffix(".trigger"))
    out: dict[str, set[str]] = {}
    for gate in gates:
        pending, seen = list(links.get(gate, [])), set()
        while pending:
            node_id = pending.pop()
            if node_id in seen:
                continue
            seen.add(node_id)
            out.setdefault(node_id, set()).add(gate)
            pending.extend(links.get(node_id, []))
    return out


def _after_a_wait(actions: dict[str, Any], edges: list[dict[str, str]]) -> set[str]:
    """Actions reached through a ``next -> trigger`` chain that passes a ``wait``."""
    chained: dict[str, list[str]] = {}
    for e in edges:
        src, dst = e.get("from", ""), e.get("to", "")
        if src.endswith(".next") and dst.endswith(".trigger"):
            chained.setdefault(src.removesuffix(".next"), []).append(dst.removesuffix(".trigger"))
    found: set[str] = set()
    stack = [chained.get(a, []) for a, kind in actions.items() if kind == "wait"]
    pending = [n for group in stack for n in group]
    while pending:
        node_id = pending.pop()
        if node_id in actions and node_id not in found:
            found.add(node_id)
            pending.extend(chained.get(node_id, []))
    return found


def _problem(node_id: str, message: str, field: str = "params.type") -> dict[str, Any]:
    return {"node": node_id, "field": field, "message": message}
