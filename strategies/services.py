"""Writes for strategies. Every change of the graph makes a new immutable version."""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction

from algobacktester.accounts.models import User
from algobacktester.errors import InvalidInput
from engine.graph import graph_warnings, validate
from engine.graph.risk import check_risk

from . import graph_edit
from .models import Strategy, StrategyVersion

EDITABLE = ("name", "description", "graph")


def graph_hash(graph: dict[str, Any]) -> str:
    canonical = json.dumps(graph, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def graph_normalise(graph: Any) -> Any:
    """A draft may omit its (still empty) node and edge lists; store them explicitly."""
    if isinstance(graph, dict):
        return {**graph, "nodes": graph.get("nodes", []), "edges": graph.get("edges", [])}
    return graph


def check_graph_structure(graph: Any) -> None:
    """Refuse what is not even a usable draft (400 naming the field)."""
    if len(json.dumps(graph, default=str)) > graph_edit.MAX_GRAPH_BYTES:
        raise InvalidInput({"graph": [f"is larger than {graph_edit.MAX_GRAPH_BYTES} bytes"]})
    problems = graph_edit.structure_errors(graph)
    if problems:
        raise InvalidInput(errors=problems, code="invalid_graph")


def strategy_create(
    *, owner: User, name: str, description: str = "", graph: dict[str, Any] | None = None
) -> Strategy:
    graph = graph_normalise(graph) if graph is not None else graph_edit.empty_document(name)
    check_graph_structure(graph)
    with transaction.atomic():
        strategy = Strategy(owner=owner, name=name, description=description, graph=graph, version=1)
        _save_unique(strategy)
        _snapshot(strategy)
    return strategy


def strategy_update(
    *, strategy: Strategy, data: dict[str, Any], merge_graph: bool = False
) -> Strategy:
    """``merge_graph``: ``data["graph"]`` is a JSON Merge Patch of the stored graph (PATCH)."""
    if "graph" in data and not merge_graph:
        data = {**data, "graph": graph_normalise(data["graph"])}
        check_graph_structure(data["graph"])
    with transaction.atomic():
        locked = Strategy.objects.select_for_update().get(pk=strategy.pk)
        if "graph" in data and merge_graph:
            data = {**data, "graph": _graph_merged(locked.graph, data["graph"])}
        changed = [f for f in EDITABLE if f in data and getattr(locked, f) != data[f]]
        if not changed:
            return locked
        for field in changed:
            setattr(locked, field, data[field])
        locked.version += 1
        _save_unique(locked)
        _snapshot(locked)
    return locked


def _graph_merged(graph: dict[str, Any], patch: Any) -> dict[str, Any]:
    # Merged under the row lock, so a concurrent edit is patched, not overwritten.
    if not isinstance(patch, dict):
        raise InvalidInput(
            {
                "graph": [
                    "in a PATCH, graph is a JSON merge patch (an object) of "
                    "the stored graph; PUT replaces the whole graph"
                ]
            }
        )
    problems = graph_edit.patch_drops(graph, patch)
    if problems:
        raise InvalidInput(errors=problems, code="invalid_graph")
    merged = graph_normalise(graph_edit.merge_patch(graph, patch))
    check_graph_structure(merged)
    return merged


def strategy_risk_replace(*, strategy: Strategy, risk: dict[str, Any]) -> Strategy:
    """Replace the graph's ``settings.risk`` (a new version); an empty ``risk`` clears it."""
    errors: list[dict[str, Any]] = []
    check_risk(risk, errors)
    if errors:  # the serializer checks shapes; the engine has the last word on values
        raise InvalidInput(
            errors=[
                {
                    "field": e["field"].removeprefix("settings.risk."),
                    "node": None,
                    "message": e["message"],
                }
                for e in errors
            ],
            code="invalid",
        )
    with transaction.atomic():  # read-modify-write under the row lock, like node edits
        locked = Strategy.objects.select_for_update().get(pk=strategy.pk)
        graph = copy.deepcopy(locked.graph)
        settings = graph.get("settings")
        if not isinstance(settings, dict):  # a draft stored before settings were checked
            settings = graph["settings"] = {}
        if risk:
            settings["risk"] = risk
        else:
            settings.pop("risk", None)
        return strategy_graph_replace(strategy=locked, graph=graph)


def strategy_graph_replace(*, strategy: Strategy, graph: dict[str, Any]) -> Strategy:
    return strategy_update(strategy=strategy, data={"graph": graph})


def strategy_delete(*, strategy: Strategy) -> None:
    # Versions stay (their strategy link becomes null) for the runs that pinned them.
    strategy.delete()


def _save_unique(strategy: Strategy) -> None:
    try:
        with transaction.atomic():
            strategy.save()
    except IntegrityError as exc:
        raise InvalidInput(
            {"name": [f"You already have a strategy named '{strategy.name}'."]}
        ) from exc


def _snapshot(strategy: Strategy) -> StrategyVersion:
    return StrategyVersion.objects.create(
        owner_id=strategy.owner_id,
        strategy=strategy,
        strategy_name=strategy.name,
        number=strategy.version,
        graph=strategy.graph,
        graph_hash=graph_hash(strategy.graph),
        valid=not validate(strategy.graph),
    )


def strategy_verdict(*, strategy: Strategy) -> dict[str, Any]:
    """The engine's verdict on the whole graph: errors (in API form) and warnings."""
    errors = [_api_error(e) for e in validate(strategy.graph)]
    return {
        "valid": not errors,
        "version": strategy.version,
        "timeframe": _timeframe(strategy.graph),
        "errors": errors,
        "warnings": api_warnings(strategy.graph),
    }


def _timeframe(graph: Any) -> str:
    # A draft stored before settings were checked may hold anything there.
    settings = graph.get("settings") if isinstance(graph, dict) else None
    timeframe = settings.get("timeframe") if isinstance(settings, dict) else None
    return timeframe if isinstance(timeframe, str) else "1m"


def api_warnings(graph: dict[str, Any]) -> list[dict[str, Any]]:
    """The engine's warnings with the same dotted field paths as errors."""
    return [{**w, "field": _api_error(w)["field"]} for w in graph_warnings(graph)]


def _api_error(e: dict[str, Any]) -> dict[str, Any]:
    field = f"graph.nodes.{e['node']}.{e['field']}" if e["node"] else f"graph.{e['field']}"
    return {"field": field, "node": e["node"], "message": e["message"]}


def _locked(edit: Callable[..., Any]) -> Callable[..., Any]:
    """Run a graph edit on the row locked FOR UPDATE, so two concurrent edits of one strategy
    apply one after the other instead of the second overwriting the first."""

    @functools.wraps(edit)
    def wrapper(*, strategy: Strategy, **kwargs: Any) -> Any:
        with transaction.atomic():
            fresh = Strategy.objects.select_for_update().get(pk=strategy.pk)
            return edit(strategy=fresh, **kwargs)

    return wrapper


NodeBuilder = Callable[[dict[str, Any]], tuple[dict[str, Any], list[dict[str, str]]]]


@_locked
def node_add(*, strategy: Strategy, build: NodeBuilder) -> tuple[Strategy, dict[str, Any], list]:
    """Run ``build`` on a copy of the graph (it may add helper nodes), then add its node.

    Nothing is saved when the new node or what it connects to is invalid.
    """
    draft = copy.deepcopy(strategy.graph)
    before = {n.get("id") for n in draft["nodes"]}
    try:
        node, edges = build(draft)
        helpers = {n.get("id") for n in draft["nodes"]} - before
        graph = graph_edit.add_node(draft, node, edges, helpers)
    except graph_edit.EditError as exc:
        raise InvalidInput(
            errors=[_edit_error(e) for e in exc.errors], code="invalid_graph"
        ) from exc
    return strategy_graph_replace(strategy=strategy, graph=graph), node, edges


def _edit_error(e: dict[str, Any]) -> dict[str, Any]:
    # Builder errors name request fields ("when", "params.timeperiod" of the new node).
    return _api_error(e) if e["node"] and not e["field"].startswith(("when", "after", "id")) else e


@_locked
def edge_add(*, strategy: Strategy, source: str, target: str) -> Strategy:
    graph = copy.deepcopy(strategy.graph)
    if {"from": source, "to": target} in graph["edges"]:
        raise InvalidInput({"target": ["this edge already exists"]})
    graph["edges"].append({"from": source, "to": target})
    problems = [
        e
        for e in validate(graph)
        if e["node"] == target.split(".")[0]
        and e["field"].startswith("inputs")
        and "not connected" not in e["message"]
    ]
    problems += [
        e for e in graph_edit.structure_errors(graph) if e["field"].startswith("graph.edges")
    ]
    if problems:
        raise InvalidInput(
            errors=[_api_error(e) if e["node"] else e for e in problems], code="invalid_graph"
        )
    return strategy_graph_replace(strategy=strategy, graph=graph)


@_locked
def edge_remove(*, strategy: Strategy, source: str, target: str) -> Strategy | None:
    graph = graph_edit.remove_edge(strategy.graph, source, target)
    return None if graph is None else strategy_graph_replace(strategy=strategy, graph=graph)


@_locked
def node_remove(*, strategy: Strategy, node_id: str) -> Strategy:
    return strategy_graph_replace(
        strategy=strategy, graph=graph_edit.remove_node(strategy.graph, node_id)
    )


def strategy_clone(*, owner: User, name: str, description: str, graph: dict[str, Any]) -> Strategy:
    graph = {**graph, "name": name}
    return strategy_create(owner=owner, name=name, description=description, graph=graph)
