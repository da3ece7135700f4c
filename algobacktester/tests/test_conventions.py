"""API conventions: JSON errors everywhere, no trailing slashes, a clean schema, deploy checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.test import APIClient

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def test_unknown_api_path_is_json_404(api_client: APIClient) -> None:
    response = api_client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_missing_object_404_has_the_project_error_shape(auth_client: APIClient) -> None:
    response = auth_client.get("/api/strategies/424242")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert response.json()["errors"][0]["message"]


def test_trailing_slash_is_not_an_alias(api_client: APIClient) -> None:
    response = api_client.post("/api/auth/login/", {"email": "a@b.co", "password": "x"})
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_schema_is_served_and_lists_auth_paths(api_client: APIClient) -> None:
    response = api_client.get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/auth/register",
        "/api/auth/login",
        "/api/auth/refresh",
        "/api/auth/logout",
        "/api/auth/me",
        "/api/health",
    ):
        assert path in paths


def test_swagger_ui_is_served(api_client: APIClient) -> None:
    response = api_client.get("/api/docs")
    assert response.status_code == 200 and b"swagger" in response.content.lower()


def test_index_page_renders(api_client: APIClient) -> None:
    response = api_client.get("/")
    assert response.status_code == 200 and b"Algobacktester" in response.content


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_schema_generates_without_warnings() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "algobacktester.settings.test"}
    result = _manage("spectacular", "--validate", "--fail-on-warn", "--file", os.devnull, env=env)
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr


def test_committed_schema_is_current(tmp_path: Path) -> None:
    """docs/openapi.yaml changes with the code: regenerate it with `make schema`."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    out = tmp_path / "openapi.yaml"
    result = _manage("spectacular", "--validate", "--file", str(out), env=env)
    assert result.returncode == 0, result.stderr
    committed = (ROOT / "docs" / "openapi.yaml").read_text()
    assert out.read_text() == committed, "docs/openapi.yaml is stale: run `make schema`"


def production_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="algobacktester.settings.production",
        SECRET_KEY="p" * 20 + "Zq8!rT2#vX9@kL4$mN7%bH1^" + "s" * 20,
        ALLOWED_HOSTS="trade.example.com",
        CORS_ALLOWED_ORIGINS="https://trade.example.com",
        **extra,
    )
    return env


def test_check_deploy_is_clean_under_production_settings() -> None:
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key() -> None:
    env = production_env()
    del env["SECRET_KEY"]
    result = _manage("check", env=env)
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_production_turns_debug_off_and_limits_cors() -> None:
    code = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.CORS_ALLOWED_ORIGINS, getattr(s, 'CORS_ALLOW_ALL_ORIGINS', False))"
    )
    result = _manage("shell", "-c", code, env=production_env(DEBUG="true"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False ['https://trade.example.com'] False"


def test_list_pages_share_one_envelope(auth_client: APIClient) -> None:
    for url in ("/api/strategies", "/api/backtest", "/api/notifications/rules"):
        body = auth_client.get(url, {"page_size": 10_000}).json()
        assert set(body) == {"count", "next", "previous", "results"}, url
