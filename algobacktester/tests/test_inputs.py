"""The input layer (algobacktester.api.inputs): bodies and query strings that once gave a 500."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from algobacktester.api import inputs

pytestmark = pytest.mark.django_db


def _post(client: APIClient, path: str, raw: str | bytes) -> object:
    return client.post(path, data=raw, content_type="application/json")


@pytest.mark.parametrize("path", ["/api/auth/login", "/api/auth/register", "/api/auth/refresh"])
def test_json_nested_a_thousand_deep_is_a_400_anonymously(api_client: APIClient, path: str) -> None:
    for raw in ("[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000, "[" * 100_000):
        response = _post(api_client, path, raw)
        assert response.status_code == 400, response.content
        assert "nested deeper than 64" in response.json()["detail"]


def test_depth_ignores_brackets_inside_strings() -> None:
    assert inputs.json_depth(json.dumps({"a": "[[[[{{{{", "b": ['"]]]\\"']})) == 2
    assert inputs.json_depth("[" * 64 + "]" * 64) == 64


def test_depth_at_the_limit_still_parses(auth_client: APIClient) -> None:
    raw = json.dumps({"name": "x"})[:-1] + ', "phone": ' + "[" * 60 + "]" * 60 + "}"
    response = auth_client.patch("/api/auth/me", data=raw, content_type="application/json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "phone"


@pytest.mark.parametrize("number", ["1" + "0" * 400, "-" + "9" * 20, "1e400", "-1e999", "NaN"])
def test_numbers_a_float_or_bigint_cannot_hold_are_a_400(
    auth_client: APIClient, number: str
) -> None:
    raw = f'{{"strategy": 1, "instrument": {number}, "start": "2026-01-01", "end": "2026-01-02"}}'
    response = _post(auth_client, "/api/backtest", raw)
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == "instrument"


def test_huge_numbers_in_nested_config_are_a_400(auth_client: APIClient) -> None:
    raw = '{"sizing": {"mode": "fixed", "value": 1' + "0" * 400 + "}}"
    response = _post(auth_client, "/api/backtest", raw)
    assert response.status_code == 400
    assert "sizing.value" in [e["field"] for e in response.json()["errors"]]


def test_numbers_too_long_to_convert_are_a_parse_error(api_client: APIClient) -> None:
    response = _post(api_client, "/api/auth/login", "[1" + "0" * 5000 + "]")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"email": "a\\u0000@b.co", "password": "x"}', "email"),
        ('{"email": "a\\ud800@b.co", "password": "x"}', "email"),
        ('{"email": "a@b.co", "password": "x\\udfff"}', "password"),
        ('{"email": "a@b.co", "password": "x", "\\ud800": 1}', "\\ud800"),
        ('{"email": "a@b.co", "password": "x", "\\u0000": 1}', "\\u0000"),
    ],
)
def test_nul_and_lone_surrogates_are_a_400_naming_the_field(
    api_client: APIClient, raw: str, field: str
) -> None:
    response = _post(api_client, "/api/auth/login", raw)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["errors"][0]["field"] == field
    assert "NUL" in body["detail"] or "surrogate" in body["detail"]


def test_strings_deep_in_a_strategy_graph_are_checked(auth_client: APIClient) -> None:
    graph = {"version": 1, "nodes": [{"id": "n1", "type": "price", "params": {"k": "\x00"}}]}
    response = auth_client.post(
        "/api/strategies", {"name": "s", "graph": graph, "timeframe": "5m"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == "graph.nodes.0.params.k"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/notifications/rules", {"kind": "\ud800", "config": {}}),
        ("/api/notifications/preferences", {"event_channels": {"\ud800": ["email"]}}),
        ("/api/strategies/import", {"format": "\ud800", "format_version": 1}),
        ("/api/backtest", {"fees": {"model": "zerodha", "params": {"\ud800": 1}}}),
        ("/api/backtest/sweeps", {"grid": {"\ud800.x": [1]}}),
    ],
)
def test_lone_surrogates_anywhere_are_a_400(auth_client: APIClient, path: str, body: dict) -> None:
    method = "PATCH" if path.endswith("preferences") else "POST"
    raw = json.dumps(body)  # ensure_ascii keeps the lone surrogate as an escape
    response = auth_client.generic(method, path, raw, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "surrogate" in response.json()["detail"]


def test_long_arrays_are_a_400(auth_client: APIClient) -> None:
    raw = json.dumps({"grid": {"a.b": [1] * (inputs.MAX_ARRAY_ITEMS + 1)}})
    response = _post(auth_client, "/api/backtest/sweeps", raw)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "grid.a.b"


def test_bodies_over_the_size_cap_are_a_413(api_client: APIClient) -> None:
    raw = json.dumps({"email": "a@b.co", "password": "x" * inputs.max_body_bytes()})
    response = _post(api_client, "/api/auth/login", raw)
    assert response.status_code == 413 and response.json()["code"] == "request_too_large"


def test_the_parser_refuses_a_long_body_that_declared_no_length() -> None:
    """A chunked body passes the length check of the middleware; the parser still stops it."""
    import io

    limit = inputs.max_body_bytes()
    with pytest.raises(inputs.RequestTooLarge):
        inputs.JSONParser().parse(io.BytesIO(b"[" + b"1," * limit + b"1]"))


def test_invalid_utf8_is_a_400(api_client: APIClient) -> None:
    response = _post(api_client, "/api/auth/login", b'{"email": "\xff"}')
    assert response.status_code == 400


@pytest.mark.parametrize(
    "query",
    ["search=%00", "%00=1", "page=1&search=a%00b", "search=" + "a" * 3000],
)
def test_bad_query_strings_are_a_400(auth_client: APIClient, query: str) -> None:
    response = auth_client.get(f"/api/marketdata/instruments?{query}")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and body["errors"][0]["message"]
    assert "X-Request-ID" in response


def test_query_strings_with_nul_are_refused_anonymously_too(api_client: APIClient) -> None:
    assert api_client.get("/api/health?x=%00").status_code == 400
