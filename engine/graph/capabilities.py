"""What a valid graph may say that the simulator does not execute yet.

Validation accepts the whole language, so an editor can save a strategy that uses it; a run
must not quietly do something else. Each finding here refuses the run with the node named,
until the simulator executes it:

- an ``option_leg`` action: the simulator trades the gate's instrument, so a "sell ATM put"
  would become a position in the underlying (Architecture decision 12: never);
- an order action chained after a ``wait``: the simulator trades on the gate's bar, so the
  delay would be ignored.
"""

from __future__ import annotations

from typing import Any

ORDER_TYPES = ("buy", "sell", "short", "cover")


def unexecutable_actions(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """``{"node", "field", "message"}`` for every action a run would not carry out as written."""
    actions = {
        n["id"]: n.get("params", {}).get("type")
        for n in doc.get("nodes", [])
        if n.get("kind") == "action"
    }
    problems = [
        _problem(
            node_id,
            "option legs are not executed yet: the run would trade the "
            "underlying instead of the option; remove the leg to backtest the signals",
        )
        for node_id, kind in actions.items()
        if kind == "option_leg"
    ]
    delayed = _after_a_wait(actions, doc.get("edges", []))
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


def _problem(node_id: str, message: str) -> dict[str, Any]:
    return {"node": node_id, "field": "params.type", "message": message}
