"""The Strategies API: CRUD, versions, validation, node sub-resources, import/export, templates."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from engine.graph import example_documents, validate
from strategies.models import Strategy, StrategyVersion

pytestmark = pytest.mark.django_db


def create(client: APIClient, name: str = "My strategy", **extra) -> dict:
    response = client.post("/api/strategies", {"name": name, **extra}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def fields(response) -> list:
    return [e["field"] for e in response.json()["errors"]]


# --- the design's example flow -----------------------------------------------------


def test_example_flow_ema_cross(auth_client: APIClient) -> None:
    sid = create(auth_client, "EMA cross")["id"]
    base = f"/api/strategies/{sid}"
    ema20 = auth_client.post(
        f"{base}/indicators", {"type": "EMA", "params": {"timeperiod": 20}}, format="json"
    )
    assert ema20.status_code == 201, ema20.content
    ema50 = auth_client.post(
        f"{base}/indicators", {"type": "EMA", "params": {"timeperiod": 50}}, format="json"
    )
    fast, slow = ema20.json()["id"], ema50.json()["id"]
    assert (fast, slow) == ("ema_20", "ema_50")

    cond = auth_client.post(
        f"{base}/conditions", {"op": "crosses_above", "a": fast, "b": slow}, format="json"
    )
    assert cond.status_code == 201, cond.content
    action = auth_client.post(
        f"{base}/actions",
        {"type": "buy", "when": cond.json()["id"], "params": {"quantity": 1}},
        format="json",
    )
    assert action.status_code == 201, action.content

    verdict = auth_client.post(f"{base}/validate")
    assert verdict.status_code == 200, verdict.content
    assert verdict.json()["valid"] is True
    strategy = auth_client.get(base).json()
    assert strategy["valid"] is True
    assert strategy["version"] == 5  # created, +2 indicators, +condition, +action
    assert validate(strategy["graph"]) == []


def test_option_leg_action_sell_pe_at_atm(auth_client: APIClient) -> None:
    sid = create(auth_client)["id"]
    base = f"/api/strategies/{sid}"
    auth_client.post(
        f"{base}/indicators",
        {"type": "SUPERTREND", "params": {"period": 10, "factor": 3}},
        format="json",
    )
    cond = auth_client.post(
        f"{base}/conditions",
        {"op": "crosses_above", "a": "supertrend_10.direction", "b": 0},
        format="json",
    )
    assert cond.status_code == 201, cond.content
    leg = {
        "type": "option_leg",
        "when": cond.json()["id"],
        "params": {
            "position": "sell",
            "option_type": "PE",
            "strike": "ATM",
            "offset": 0,
            "expiry": "weekly",
            "lots": 2,
            "underlying": "NIFTY",
        },
    }
    response = auth_client.post(f"{base}/actions", leg, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["node"]["params"]["option_type"] == "PE"
    assert auth_client.post(f"{base}/validate").status_code == 200


def test_higher_timeframe_indicator_gets_sources(auth_client: APIClient) -> None:
    sid = create(auth_client)["id"]
    response = auth_client.post(
        f"/api/strategies/{sid}/indicators",
        {"type": "SUPERTREND", "timeframe": "15m", "id": "st15"},
        format="json",
    )
    assert response.status_code == 201, response.content
    sources = {e["from"] for e in response.json()["edges"]}
    assert sources == {"high_15m.out", "low_15m.out", "close_15m.out"}
    graph = auth_client.get(f"/api/strategies/{sid}").json()["graph"]
    assert {
        "id": "high_15m",
        "kind": "source",
        "params": {"field": "high", "timeframe": "15m"},
    } in graph["nodes"]


# --- errors name the node and field ------------------------------------------------


def test_validate_invalid_graph_names_nodes(auth_client: APIClient) -> None:
    sid = create(auth_client)["id"]
    auth_client.post(
        f"/api/strategies/{sid}/indicators",
        {"type": "EMA", "params": {"timeperiod": 20}},
        format="json",
    )
    response = auth_client.post(f"/api/strategies/{sid}/validate")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_graph"
    assert any("no entry" in e["message"] for e in body["errors"])
    assert any(e.get("node") == "ema_20" for e in body["errors"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "NOPE"}, "type"),
        ({"type": "EMA", "params": {"timeperiod": 0}}, "graph.nodes.ema_0.params.timeperiod"),
        (
            {"type": "EMA", "params": {"timeperiod": "twenty"}},
            "graph.nodes.ema_twenty.params.timeperiod",
        ),
        ({"type": "EMA", "params": {"bogus": 1}}, "graph.nodes.ema_1.params.bogus"),
        ({"type": "EMA", "timeframe": "7x"}, "graph.nodes.close_7x.params.timeframe"),
        ({"type": "EMA", "inputs": {"nope": "x"}}, "inputs.nope"),
        ({"params": {}}, "type"),
        ({"type": "EMA", "params": []}, "params"),
        ({"type": "EMA", "id": "bad id!"}, "id"),
    ],
)
def test_bad_indicator_node_is_400_naming_field(
    auth_client: APIClient, body: dict, field: str
) -> None:
    sid = create(auth_client)["id"]
    response = auth_client.post(f"/api/strategies/{sid}/indicators", body, format="json")
    assert response.status_code == 400, response.content
    assert field in fields(response)
    assert auth_client.get(f"/api/strategies/{sid}").json()["version"] == 1  # nothing saved


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"op": "crosses_above", "a": "ghost", "b": 1}, "a"),
        ({"op": "crosses_above", "a": "ema_20", "b": True}, "b"),
        ({"op": "crosses_above", "a": "ema_20", "b": {"x": 1}}, "b"),
        ({"op": "wobbles", "a": "ema_20", "b": 1}, "graph.nodes.cond_wobbles.params.op"),
        ({"op": "crosses_above", "a": "ema_20"}, "b"),
        ({"op": "between", "a": "ema_20", "low": 1}, "high"),
    ],
)
def test_bad_condition_is_400_naming_field(auth_client: APIClient, body: dict, field: str) -> None:
    sid = create(auth_client)["id"]
    auth_client.post(
        f"/api/strategies/{sid}/indicators",
        {"type": "EMA", "params": {"timeperiod": 20}},
        format="json",
    )
    before = Strategy.objects.get(pk=sid)
    response = auth_client.post(f"/api/strategies/{sid}/conditions", body, format="json")
    assert response.status_code == 400, response.content
    assert field in fields(response)
    after = Strategy.objects.get(pk=sid)
    assert (after.version, after.graph) == (before.version, before.graph)  # nothing saved


def test_indicator_with_several_outputs_needs_a_port(auth_client: APIClient) -> None:
    sid = create(auth_client)["id"]
    auth_client.post(f"/api/strategies/{sid}/indicators", {"type": "MACD"}, format="json")
    response = auth_client.post(
        f"/api/strategies/{sid}/conditions", {"op": ">", "a": "macd", "b": 0}, format="json"
    )
    assert response.status_code == 400
    assert "macd.signal" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "buy"}, "when"),
        ({"type": "buy", "when": "c", "after": "c"}, "when"),
        ({"type": "teleport", "when": "c"}, "type"),
        ({"type": "buy", "when": "ghost"}, "when"),
        # An order's gate follows from its type; a chained action has none: never ignored.
        ({"type": "buy", "when": "cond", "side": "short"}, "side"),
        ({"type": "sell", "when": "cond", "gate": "entry"}, "gate"),
        ({"type": "wait", "after": "cond", "side": "long", "params": {"bars": 2}}, "side"),
        (
            {
                "type": "option_leg",
                "when": "cond",
                "params": {"position": "sell", "option_type": "XX"},
            },
            "graph.nodes.option_leg.params.option_type",
        ),
    ],
)
def test_bad_action_is_400_naming_field(auth_client: APIClient, body: dict, field: str) -> None:
    sid = create(auth_client)["id"]
    base = f"/api/strategies/{sid}"
    auth_client.post(
        f"{base}/indicators", {"type": "RSI", "params": {"timeperiod": 14}}, format="json"
    )
    auth_client.post(
        f"{base}/conditions", {"op": ">", "a": "rsi_14", "b": 70, "id": "cond"}, format="json"
    )
    before = Strategy.objects.get(pk=sid)
    response = auth_client.post(f"{base}/actions", body, format="json")
    assert response.status_code == 400, response.content
    assert field in fields(response)
    after = Strategy.objects.get(pk=sid)
    assert (after.version, after.graph) == (before.version, before.graph)  # nothing saved


@pytest.mark.parametrize(
    ("graph", "field"),
    [
        ("not a graph", "graph"),
        ({"nodes": "x", "edges": []}, "graph.nodes"),
        (
            {"nodes": [{"id": "a", "kind": "source"}, {"id": "a", "kind": "source"}], "edges": []},
            "graph.nodes.1.id",
        ),
        ({"nodes": [{"id": "a", "kind": "wizard"}], "edges": []}, "graph.nodes.0.kind"),
        ({"nodes": [], "edges": [{"from": "x.out", "to": "y.a"}]}, "graph.edges.0.from"),
        ({"nodes": [], "edges": [42]}, "graph.edges.0"),
    ],
)
def test_unusable_graph_is_refused(auth_client: APIClient, graph: object, field: str) -> None:
    response = auth_client.post("/api/strategies", {"name": "x", "graph": graph}, format="json")
    assert response.status_code == 400, response.content
    assert field in fields(response)
    assert not Strategy.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 151}, "name"),
        ({"name": ["a"]}, "name"),
        ({"name": "ok", "description": "d" * 5001}, "description"),
    ],
)
def test_bad_strategy_fields(auth_client: APIClient, body: dict, field: str) -> None:
    response = auth_client.post("/api/strategies", body, format="json")
    assert response.status_code == 400
    assert fields(response) == [field]
    assert not Strategy.objects.exists()


def test_name_unique_per_owner(auth_client: APIClient, make_user) -> None:
    create(auth_client, "Alpha")
    response = auth_client.post("/api/strategies", {"name": "Alpha"}, format="json")
    assert response.status_code == 400
    assert fields(response) == ["name"]
    other = APIClient()
    other.force_authenticate(make_user())
    theirs = other.post("/api/strategies", {"name": "Alpha"}, format="json")
    assert theirs.status_code == 201 and theirs.json()["name"] == "Alpha"
    assert Strategy.objects.filter(name="Alpha").count() == 2


def test_rename_to_taken_name_is_400(auth_client: APIClient) -> None:
    create(auth_client, "Alpha")
    beta = create(auth_client, "Beta")
    response = auth_client.patch(f"/api/strategies/{beta['id']}", {"name": "Alpha"}, format="json")
    assert response.status_code == 400
    assert fields(response) == ["name"]
    assert Strategy.objects.get(pk=beta["id"]).name == "Beta"


# --- CRUD and versions -----------------------------------------------------------------


def test_crud_and_versions(auth_client: APIClient) -> None:
    doc = example_documents()["sma_cross"]
    created = create(auth_client, "SMA", graph=doc, description="cross")
    sid = created["id"]
    assert created["valid"] is True
    assert created["version"] == 1

    listed = auth_client.get("/api/strategies").json()
    assert listed["count"] == 1
    assert listed["results"][0]["name"] == "SMA"

    doc["nodes"][1]["params"]["timeperiod"] = 5
    put = auth_client.put(
        f"/api/strategies/{sid}", {"name": "SMA 5/20", "graph": doc}, format="json"
    )
    assert put.status_code == 200
    assert put.json()["version"] == 2
    same = auth_client.patch(f"/api/strategies/{sid}", {"name": "SMA 5/20"}, format="json")
    assert same.json()["version"] == 2  # no change, no new version

    versions = auth_client.get(f"/api/strategies/{sid}/versions").json()
    assert [v["number"] for v in versions["results"]] == [2, 1]
    v1 = auth_client.get(f"/api/strategies/{sid}/versions/1").json()
    assert v1["graph"]["nodes"][1]["params"]["timeperiod"] == 10
    assert v1["strategy_name"] == "SMA"

    assert auth_client.delete(f"/api/strategies/{sid}").status_code == 204
    assert auth_client.get(f"/api/strategies/{sid}").status_code == 404
    # The versions outlive the strategy for the runs that pinned them.
    kept = StrategyVersion.objects.filter(strategy_name__startswith="SMA")
    assert kept.count() == 2
    assert all(v.strategy_id is None for v in kept)


def test_versions_are_immutable(auth_client: APIClient) -> None:
    create(auth_client)
    version = StrategyVersion.objects.get()
    version.number = 99
    with pytest.raises(ValueError, match="immutable"):
        version.save()


def test_search_filters_by_name(auth_client: APIClient) -> None:
    create(auth_client, "Nifty scalper")
    create(auth_client, "Bank swing")
    results = auth_client.get("/api/strategies?search=nifty").json()["results"]
    assert [r["name"] for r in results] == ["Nifty scalper"]


def test_node_get_delete_and_edges(auth_client: APIClient) -> None:
    sid = create(auth_client, graph=example_documents()["sma_cross"])["id"]
    base = f"/api/strategies/{sid}"
    node = auth_client.get(f"{base}/nodes/cross_up").json()
    assert node["node"]["params"]["op"] == "crosses_above"
    assert {e["to"] for e in node["incoming"]} == {"cross_up.a", "cross_up.b"}
    assert auth_client.get(f"{base}/nodes/nothing").status_code == 404

    edges = auth_client.get(f"{base}/edges").json()
    assert "close.out->ma_fast.price" in {e["id"] for e in edges}
    assert auth_client.delete(f"{base}/edges/close.out->ma_fast.price").status_code == 204
    remaining = {e["id"] for e in auth_client.get(f"{base}/edges").json()}
    assert remaining == {e["id"] for e in edges} - {"close.out->ma_fast.price"}
    assert auth_client.delete(f"{base}/edges/close.out->ma_fast.price").status_code == 404
    assert auth_client.delete(f"{base}/edges/garbage").status_code == 404
    added = auth_client.post(
        f"{base}/edges", {"from": "close.out", "to": "ma_fast.price"}, format="json"
    )
    assert added.status_code == 201, added.content
    bad = auth_client.post(
        f"{base}/edges", {"from": "close.out", "to": "ma_fast.nope"}, format="json"
    )
    assert bad.status_code == 400 and fields(bad) == ["graph.nodes.ma_fast.inputs.nope"]
    assert "ma_fast.nope" not in {e["to"] for e in auth_client.get(f"{base}/edges").json()}

    assert auth_client.delete(f"{base}/nodes/cross_up").status_code == 204
    graph = auth_client.get(base).json()["graph"]
    assert all("cross_up" not in (e["from"] + e["to"]) for e in graph["edges"])


def test_export_then_import_round_trip(auth_client: APIClient) -> None:
    sid = create(auth_client, "Original", graph=example_documents()["rsi_mean_reversion"])["id"]
    exported = auth_client.get(f"/api/strategies/{sid}/export")
    assert exported.status_code == 200
    assert "attachment" in exported["Content-Disposition"]
    body = {**exported.json(), "name": "Copy"}
    imported = auth_client.post("/api/strategies/import", body, format="json")
    assert imported.status_code == 201, imported.content
    assert imported.json()["graph"] == exported.json()["graph"]
    bad = auth_client.post("/api/strategies/import", {**body, "format": "other"}, format="json")
    assert bad.status_code == 400
    assert fields(bad) == ["format"]


def test_templates_list_and_clone(auth_client: APIClient) -> None:
    templates = auth_client.get("/api/strategies/templates").json()
    keys = {t["key"] for t in templates}
    assert {
        "ema_20_50_cross",
        "rsi_mean_reversion",
        "macd_momentum",
        "bollinger_breakout",
        "opening_range_breakout",
        "supertrend_index_options",
    } <= keys
    for template in templates:
        assert validate(template["graph"]) == [], template["key"]
    clone = auth_client.post(
        "/api/strategies/templates/supertrend_index_options/clone", {}, format="json"
    )
    assert clone.status_code == 201, clone.content
    risk = clone.json()["graph"]["settings"]["risk"]
    assert risk["square_off"] == "15:25"
    assert risk["max_trades_per_day"] == 4
    assert clone.json()["valid"] is True
    count = Strategy.objects.count()
    missing = auth_client.post("/api/strategies/templates/nope/clone", {}, format="json")
    assert missing.status_code == 404 and Strategy.objects.count() == count


def test_indicator_catalogue(auth_client: APIClient) -> None:
    body = auth_client.get("/api/indicators").json()
    names = {e["name"] for e in body["results"]}
    assert {"SMA", "EMA", "MACD", "RSI", "SUPERTREND", "VWAP"} <= names
    assert body["count"] >= 150
    macd = next(e for e in body["results"] if e["name"] == "MACD")
    assert [o["name"] for o in macd["outputs"]] == ["macd", "signal", "hist"]
    momentum = auth_client.get("/api/indicators?group=Momentum Indicators").json()
    assert momentum["count"] < body["count"]
    assert auth_client.get("/api/indicators?search=supertrend").json()["count"] == 1


def test_requires_authentication(api_client: APIClient) -> None:
    for path in ("/api/strategies", "/api/indicators"):
        response = api_client.get(path)
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated" and "results" not in response.json()


def test_a_graph_without_node_or_edge_lists_is_an_empty_draft(auth_client: APIClient) -> None:
    sid = create(auth_client, graph={"settings": {"timeframe": "5m"}})["id"]
    strategy = auth_client.get(f"/api/strategies/{sid}").json()
    assert (strategy["graph"]["nodes"], strategy["graph"]["edges"]) == ([], [])
    added = auth_client.post(f"/api/strategies/{sid}/indicators", {"type": "EMA"}, format="json")
    assert added.status_code == 201, added.content
    assert auth_client.get(f"/api/strategies/{sid}/edges").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/strategies/99999999999999999999",
        "/api/strategies/99999999999999999999/versions",
        "/api/backtest/99999999999999999999",
    ],
)
def test_ids_beyond_bigint_are_404_not_500(auth_client: APIClient, path: str) -> None:
    response = auth_client.get(path)
    assert response.status_code == 404 and response.json()["code"] == "not_found"
