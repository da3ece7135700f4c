from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from algobacktester import health

pytestmark = pytest.mark.django_db


def test_health_reports_every_component_up(api_client: APIClient) -> None:
    response = api_client.get("/api/health")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "up" and body["down"] == []
    assert set(body["components"]) == {"database", "broker", "channel_layer"}


def test_health_names_what_is_down(
    api_client: APIClient, monkeypatch: pytest.MonkeyPatch, settings
) -> None:
    settings.DEBUG = True  # the error text (host, port) is shown only with DEBUG on

    def broken() -> dict:
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setitem(health.CHECKS, "broker", broken)
    response = api_client.get("/api/health")
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["broker"]
    assert "6379" in body["components"]["broker"]["error"]
    assert body["components"]["database"]["status"] == "up"


def test_health_reports_an_unreachable_broker(api_client: APIClient, settings) -> None:
    from algobacktester.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    old = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = api_client.get("/api/health")
    finally:
        app.conf.broker_url = old
    assert response.status_code == 503 and response.json()["down"] == ["broker"]


def test_health_reports_a_missing_channel_layer(api_client: APIClient, settings) -> None:
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    try:
        response = api_client.get("/api/health")
    finally:
        channel_layers.backends.clear()
    assert response.status_code == 503 and response.json()["down"] == ["channel_layer"]


def test_health_hides_error_text_when_debug_is_off(
    api_client: APIClient, monkeypatch: pytest.MonkeyPatch, settings
) -> None:
    settings.DEBUG = False

    def broken() -> dict:
        raise ConnectionError("Error 111 connecting to 10.1.2.3:6379")

    monkeypatch.setitem(health.CHECKS, "broker", broken)
    body = api_client.get("/api/health").json()
    assert body["components"]["broker"]["error"] == "ConnectionError"
