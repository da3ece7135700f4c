"""Issue 11: PATCH merges the graph, risk settings on their own, warnings beside errors."""

from __future__ import annotations

import copy

import pytest
from rest_framework.test import APIClient

from engine.graph import example_documents

pytestmark = pytest.mark.django_db


def _strategy(client: APIClient, graph: dict | None = None) -> dict:
    graph = graph or example_documents()["sma_cross"]
    response = client.post("/api/strategies", {"name": "Cross", "graph": graph}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_patch_with_a_partial_graph_keeps_the_rest(auth_client: APIClient) -> None:
    created = _strategy(auth_client)
    patch = {"graph": {"settings": {"timeframe": "5m", "risk": {"square_off": "15:15"}}}}
    response = auth_client.patch(f"/api/strategies/{created['id']}", patch, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["graph"]["nodes"] == created["graph"]["nodes"]
    assert body["graph"]["edges"] == created["graph"]["edges"]
    assert body["graph"]["settings"] == {"timeframe": "5m", "risk": {"square_off": "15:15"}}
    assert body["valid"] is True
    assert body["version"] == created["version"] + 1


def test_patch_null_deletes_a_key(auth_client: APIClient) -> None:
    created = _strategy(auth_client)
    sid = created["id"]
    auth_client.patch(
        f"/api/strategies/{sid}",
        {"graph": {"settings": {"risk": {"square_off": "15:15"}}}},
        format="json",
    )
    response = auth_client.patch(
        f"/api/strategies/{sid}", {"graph": {"settings": {"risk": None}}}, format="json"
    )
    assert response.json()["graph"]["settings"] == {"timeframe": "1m"}


def test_patch_with_a_partial_nodes_list_is_refused_naming_what_it_drops(
    auth_client: APIClient,
) -> None:
    created = _strategy(auth_client)
    only_one = {"graph": {"nodes": [created["graph"]["nodes"][0]]}}
    response = auth_client.patch(f"/api/strategies/{created['id']}", only_one, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["errors"][0]["field"] == "graph.nodes"
    assert "would remove 8 node(s) (buy, cross_down, cross_up, flat, go_long" in body["detail"]
    stored = auth_client.get(f"/api/strategies/{created['id']}").json()
    assert stored["graph"]["nodes"] == created["graph"]["nodes"]
    assert stored["version"] == created["version"]


def test_patch_with_the_full_nodes_list_changes_a_parameter(auth_client: APIClient) -> None:
    created = _strategy(auth_client)
    nodes = copy.deepcopy(created["graph"]["nodes"])
    next(n for n in nodes if n["id"] == "ma_fast")["params"]["timeperiod"] = 7
    response = auth_client.patch(
        f"/api/strategies/{created['id']}", {"graph": {"nodes": nodes}}, format="json"
    )
    assert response.status_code == 200, response.content
    fast = next(n for n in response.json()["graph"]["nodes"] if n["id"] == "ma_fast")
    assert fast["params"]["timeperiod"] == 7


def test_patch_graph_must_be_an_object(auth_client: APIClient) -> None:
    created = _strategy(auth_client)
    response = auth_client.patch(f"/api/strategies/{created['id']}", {"graph": [1]}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "graph"


def test_put_still_replaces_the_whole_graph(auth_client: APIClient) -> None:
    created = _strategy(auth_client)
    response = auth_client.put(
        f"/api/strategies/{created['id']}",
        {"name": "Cross", "graph": {"schema_version": 1}},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["graph"]["nodes"] == []


def test_risk_get_and_put_make_a_version(auth_client: APIClient) -> None:
    created = _strategy(auth_client)
    url = f"/api/strategies/{created['id']}/risk"
    before = auth_client.get(url).json()
    assert before["stop_loss"] is None and before["version"] == created["version"]
    risk = {
        "stop_loss": {"value": 1, "unit": "percent"},
        "square_off": "15:15",
        "max_trades_per_day": 3,
    }
    response = auth_client.put(url, risk, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["stop_loss"] == {"value": 1.0, "unit": "percent"}
    assert body["square_off"] == "15:15" and body["max_trades_per_day"] == 3
    assert body["target"] is None
    assert body["version"] == created["version"] + 1
    strategy = auth_client.get(f"/api/strategies/{created['id']}").json()
    assert strategy["graph"]["settings"]["risk"]["stop_loss"] == {"value": 1.0, "unit": "percent"}
    assert strategy["graph"]["nodes"] == created["graph"]["nodes"]
    assert "no_stop" not in [w["code"] for w in strategy["warnings"]]


@pytest.mark.parametrize(
    ("risk", "field"),
    [
        ({"stop_loss": {"value": -1}}, "stop_loss.value"),
        ({"stop_loss": {"value": 150, "unit": "percent"}}, "stop_loss.value"),
        ({"target": {"value": 1, "unit": "lots"}}, "target.unit"),
        ({"square_off": "25:00"}, "square_off"),
        ({"max_trades_per_day": 0}, "max_trades_per_day"),
        ({"stoploss": 1}, "stoploss"),
        ({"cooldown": {"value": 1, "unit": "hours"}}, "cooldown.unit"),
        ({"entry_cutoff": "9:30"}, "entry_cutoff"),
        ({"daily_loss_check": "bar"}, "daily_loss_check"),  # the engine: needs daily_max_loss
        ({"trailing_activation": {"value": 5}}, "trailing_activation"),
    ],
)
def test_risk_put_names_the_bad_field(auth_client: APIClient, risk: dict, field: str) -> None:
    created = _strategy(auth_client)
    response = auth_client.put(f"/api/strategies/{created['id']}/risk", risk, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == field
    assert auth_client.get(f"/api/strategies/{created['id']}").json()["version"] == 1


def test_risk_of_another_users_strategy_is_404(auth_client: APIClient, make_user) -> None:
    created = _strategy(auth_client)
    other = APIClient()
    other.force_authenticate(make_user())
    assert other.get(f"/api/strategies/{created['id']}/risk").status_code == 404


def test_validate_warns_about_an_entry_without_exit(auth_client: APIClient) -> None:
    doc = example_documents()["sma_cross"]
    doc["nodes"] = [n for n in doc["nodes"] if n["id"] not in ("flat", "sell", "cross_down")]
    doc["edges"] = [
        e for e in doc["edges"] if not any(x in e["to"] for x in ("flat", "sell", "cross_down"))
    ]
    created = _strategy(auth_client, doc)
    response = auth_client.post(f"/api/strategies/{created['id']}/validate")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["valid"] is True and body["errors"] == []
    assert [w["code"] for w in body["warnings"]] == ["no_exit", "no_stop", "no_square_off"]
    assert body["warnings"][1]["field"] == "graph.settings.risk.stop_loss"
    assert [w["code"] for w in created["warnings"]] == ["no_exit", "no_stop", "no_square_off"]


def test_invalid_graph_answers_errors_and_warnings(auth_client: APIClient) -> None:
    doc = example_documents()["sma_cross"]
    doc["nodes"].append({"id": "rsi_14", "kind": "indicator", "params": {"indicator": "RSI"}})
    created = _strategy(auth_client, doc)
    response = auth_client.post(f"/api/strategies/{created['id']}/validate")
    assert response.status_code == 400
    body = response.json()
    assert body["valid"] is False and body["code"] == "invalid_graph"
    assert body["errors"][0]["node"] == "rsi_14"
    assert body["detail"].startswith("graph.nodes.rsi_14.")
    unused = [w for w in body["warnings"] if w["code"] == "unused_indicator"]
    assert unused[0]["field"] == "graph.nodes.rsi_14.outputs"


def test_versions_carry_warnings_too(auth_client: APIClient) -> None:
    created = _strategy(auth_client)
    version = auth_client.get(f"/api/strategies/{created['id']}/versions/1").json()
    assert [w["code"] for w in version["warnings"]] == ["no_stop", "no_square_off"]


def test_risk_put_takes_the_intraday_rules(auth_client: APIClient) -> None:
    created = _strategy(auth_client)
    url = f"/api/strategies/{created['id']}/risk"
    risk = {
        "cooldown": {"value": 2, "unit": "minutes"},
        "min_hold": {"value": 30, "unit": "seconds"},
        "entry_cutoff": "14:30",
        "square_off": "15:15",
        "stop_at": "ma_slow.out",
        "trailing_stop": {"value": 20},
        "trailing_activation": {"value": 30},
        "move_stop_to_cost": {"value": 10},
        "daily_max_loss": 5000,
        "daily_loss_check": "bar",
        "exit_priority": ["daily_loss", "trade_loss", "target", "trailing"],
    }
    response = auth_client.put(url, risk, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["stop_at"] == "ma_slow.out" and body["entry_cutoff"] == "14:30"
    assert body["cooldown"] == {"value": 2, "unit": "minutes"}
    assert body["exit_priority"] == ["daily_loss", "trade_loss", "target", "trailing"]
    strategy = auth_client.get(f"/api/strategies/{created['id']}").json()
    assert strategy["graph"]["settings"]["risk"]["daily_loss_check"] == "bar"
