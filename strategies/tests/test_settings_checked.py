"""graph.settings and its risk block are checked when a strategy is saved, as /risk checks
them; the readers survive a draft stored before that check."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from engine.graph import example_documents
from strategies.models import Strategy

pytestmark = pytest.mark.django_db


def _strategy(client: APIClient) -> dict:
    graph = example_documents()["sma_cross"]
    response = client.post("/api/strategies", {"name": "Cross", "graph": graph}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _refused(response, field: str) -> None:
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == field, response.json()


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        (5, "graph.settings"),
        ([1], "graph.settings"),
        ({"risk": 5}, "graph.settings.risk"),
        ({"risk": {"stop_loss": "abc"}}, "graph.settings.risk.stop_loss"),
        ({"risk": {"stop_loss": {"value": 1, "extra": 2}}}, "graph.settings.risk.stop_loss"),
        ({"risk": {"square_off": "25:00"}}, "graph.settings.risk.square_off"),
        ({"risk": {"stoploss": 1}}, "graph.settings.risk.stoploss"),
    ],
)
def test_patch_and_put_refuse_bad_settings(
    auth_client: APIClient, settings: object, field: str
) -> None:
    created = _strategy(auth_client)
    url = f"/api/strategies/{created['id']}"
    _refused(auth_client.patch(url, {"graph": {"settings": settings}}, format="json"), field)
    graph = {**created["graph"], "settings": settings}
    _refused(auth_client.put(url, {"name": "Cross", "graph": graph}, format="json"), field)
    created_bad = auth_client.post("/api/strategies", {"name": "B", "graph": graph}, format="json")
    _refused(created_bad, field)
    assert auth_client.get(url).json()["version"] == 1
    assert auth_client.get(f"{url}/risk").json()["stop_loss"] is None


def test_readers_survive_a_draft_stored_with_junk_settings(auth_client: APIClient) -> None:
    created = _strategy(auth_client)
    url = f"/api/strategies/{created['id']}"
    Strategy.objects.filter(pk=created["id"]).update(
        graph={**created["graph"], "settings": [1]}
    )  # as a draft could be stored before settings were checked
    verdict = auth_client.post(f"{url}/validate")
    assert verdict.status_code == 400, verdict.content
    assert verdict.json()["timeframe"] == "1m"
    assert verdict.json()["errors"][0]["field"] == "graph.settings"
    response = auth_client.put(f"{url}/risk", {"square_off": "15:00"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["square_off"] == "15:00"
    assert auth_client.get(url).json()["graph"]["settings"] == {"risk": {"square_off": "15:00"}}


def test_risk_put_refuses_unknown_level_keys(auth_client: APIClient) -> None:
    created = _strategy(auth_client)
    body = {"stop_loss": {"value": 1, "unit": "percent", "extra": 2}}
    response = auth_client.put(f"/api/strategies/{created['id']}/risk", body, format="json")
    _refused(response, "stop_loss.extra")
    assert auth_client.get(f"/api/strategies/{created['id']}").json()["version"] == 1
