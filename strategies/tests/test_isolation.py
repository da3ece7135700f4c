"""Another user's strategy, node, edge or version is a 404 for read, write and delete;
privileged fields posted by a client change nothing."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from engine.graph import example_documents
from strategies.models import Strategy

pytestmark = pytest.mark.django_db


@pytest.fixture
def victim_strategy(make_user) -> Strategy:
    client = APIClient()
    client.force_authenticate(make_user(email="victim@example.com"))
    body = {"name": "Secret", "graph": example_documents()["sma_cross"]}
    response = client.post("/api/strategies", body, format="json")
    return Strategy.objects.get(pk=response.json()["id"])


def urls(sid: int) -> list[tuple[str, str, dict | None]]:
    base = f"/api/strategies/{sid}"
    return [
        ("get", base, None),
        ("put", base, {"name": "Mine now"}),
        ("patch", base, {"name": "Mine now"}),
        ("delete", base, None),
        ("get", f"{base}/versions", None),
        ("get", f"{base}/versions/1", None),
        ("post", f"{base}/validate", None),
        ("get", f"{base}/export", None),
        ("post", f"{base}/indicators", {"type": "EMA", "params": {"timeperiod": 5}}),
        ("post", f"{base}/conditions", {"op": ">", "a": "ma_fast", "b": 1}),
        ("post", f"{base}/actions", {"type": "buy", "when": "cross_up"}),
        ("get", f"{base}/nodes/cross_up", None),
        ("delete", f"{base}/nodes/cross_up", None),
        ("get", f"{base}/edges", None),
        ("post", f"{base}/edges", {"from": "close.out", "to": "ma_fast.price"}),
        ("delete", f"{base}/edges/close.out->ma_fast.price", None),
    ]


@pytest.mark.parametrize("index", range(16))
def test_cross_user_access_is_404(
    auth_client: APIClient, victim_strategy: Strategy, index: int
) -> None:
    method, url, body = urls(victim_strategy.pk)[index]
    response = (
        getattr(auth_client, method)(url, body, format="json")
        if body
        else getattr(auth_client, method)(url)
    )
    assert response.status_code == 404, (method, url, response.content)
    victim_strategy.refresh_from_db()
    assert victim_strategy.name == "Secret"
    assert victim_strategy.version == 1
    assert len(victim_strategy.graph["edges"]) == 10


def test_lists_show_only_own_strategies(auth_client: APIClient, victim_strategy: Strategy) -> None:
    auth_client.post("/api/strategies", {"name": "Mine"}, format="json")
    names = [s["name"] for s in auth_client.get("/api/strategies").json()["results"]]
    assert names == ["Mine"]


def test_posting_owner_or_version_changes_nothing(
    auth_client: APIClient, victim_strategy: Strategy
) -> None:
    body = {
        "name": "Mine",
        "owner": victim_strategy.owner_id,
        "version": 42,
        "id": victim_strategy.pk,
        "created_at": "2000-01-01T00:00:00Z",
        "valid": True,
    }
    response = auth_client.post("/api/strategies", body, format="json")
    assert response.status_code == 201
    mine = Strategy.objects.get(pk=response.json()["id"])
    assert mine.owner == auth_client.user
    assert mine.version == 1
    assert mine.pk != victim_strategy.pk
    patched = auth_client.patch(
        f"/api/strategies/{mine.pk}",
        {"owner": victim_strategy.owner_id, "version": 7},
        format="json",
    )
    assert patched.status_code == 200 and patched.json()["version"] == 1
    mine.refresh_from_db()
    assert (mine.owner, mine.version) == (auth_client.user, 1)


def test_import_cannot_target_another_owner(
    auth_client: APIClient, victim_strategy: Strategy
) -> None:
    body = {
        "format": "algobacktester.strategy",
        "format_version": 1,
        "name": "Imported",
        "graph": example_documents()["sma_cross"],
        "owner": victim_strategy.owner_id,
    }
    response = auth_client.post("/api/strategies/import", body, format="json")
    assert response.status_code == 201
    assert Strategy.objects.get(pk=response.json()["id"]).owner == auth_client.user
