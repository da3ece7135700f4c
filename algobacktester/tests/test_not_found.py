"""A 404 says "Not found." whoever asks and however: it never names a model, and an
anonymous POST to a path nothing serves is a JSON 404, not a CSRF refusal."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_a_missing_object_is_not_found_without_naming_its_model(django_user_model) -> None:
    user = django_user_model.objects.create_user("nf@example.com", "pass-123456-abc")
    client = APIClient()
    client.force_authenticate(user)
    response = client.get("/api/backtest/999999")
    assert response.status_code == 404
    assert response.json()["detail"] == "Not found."
    assert "BacktestRun" not in response.content.decode()


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("url", ["/api/no-such-thing", "/api/backtest/1/nope", "/no-such-page"])
def test_an_anonymous_write_to_an_unknown_path_is_a_json_404(method: str, url: str) -> None:
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)(url, data="{}", content_type="application/json")
    assert response.status_code == 404, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "not_found"
