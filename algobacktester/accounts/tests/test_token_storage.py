"""The database never holds a usable refresh token: the outstanding-token table keeps a
SHA-256 digest, and refresh, rotation, replay refusal and both logouts still work."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection, models
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from algobacktester.accounts.models import User
from algobacktester.accounts.tokens import token_digest

from .factories import PASSWORD

pytestmark = pytest.mark.django_db
TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def _login(user: User) -> dict[str, str]:
    response = APIClient().post("/api/auth/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 200, response.content
    return response.json()


def _stored_anywhere(fragment: str) -> list[str]:
    """Every text column of every table that contains ``fragment``."""
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, TEXT_FIELDS) and not isinstance(field, models.JSONField):
                lookup = {f"{field.name}__contains": fragment}
                if model._default_manager.filter(**lookup).exists():
                    found.append(f"{model._meta.label}.{field.name}")
    return found


def test_no_refresh_token_is_stored_in_plaintext(user: User) -> None:
    first = _login(user)
    rotated = APIClient().post("/api/auth/refresh", {"refresh": first["refresh"]}).json()
    second = _login(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {second['access']}")
    assert client.post("/api/auth/logout", {"refresh": second["refresh"]}).status_code == 204
    issued = [first["refresh"], rotated["refresh"], second["refresh"]]
    for raw in issued:
        signature = raw.rsplit(".", 1)[1]
        assert _stored_anywhere(signature) == [], raw
        row = OutstandingToken.objects.get(jti=RefreshToken(raw, verify=False)["jti"])
        assert row.token == token_digest(raw)  # still recognisable when presented
    assert OutstandingToken.objects.count() == 3
    assert all(
        t.startswith("sha256:") for t in OutstandingToken.objects.values_list("token", flat=True)
    )
    # ... while the blacklist still does its work: the spent and logged-out tokens are refused
    assert BlacklistedToken.objects.count() == 2
    for raw in (first["refresh"], second["refresh"]):
        assert APIClient().post("/api/auth/refresh", {"refresh": raw}).status_code == 401
    assert APIClient().post("/api/auth/refresh", {"refresh": rotated["refresh"]}).status_code == 200


def test_logout_everywhere_still_blacklists_hashed_rows(user: User) -> None:
    pairs = [_login(user) for _ in range(2)]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pairs[0]['access']}")
    assert client.get("/api/auth/logout").status_code == 204
    for pair in pairs:
        assert (
            APIClient().post("/api/auth/refresh", {"refresh": pair["refresh"]}).status_code == 401
        )


def test_the_migration_hashes_rows_written_before_it(user: User) -> None:
    raw = str(RefreshToken.for_user(user))
    jti = RefreshToken(raw, verify=False)["jti"]
    with connection.cursor() as cursor:  # as simplejwt stored it before: the token itself
        cursor.execute(
            f"UPDATE {OutstandingToken._meta.db_table} SET token = %s WHERE jti = %s", [raw, jti]
        )
    assert OutstandingToken.objects.get(jti=jti).token == raw
    migration = importlib.import_module(
        "algobacktester.accounts.migrations.0002_hash_outstanding_tokens"
    )
    migration.hash_tokens(apps, None)
    migration.hash_tokens(apps, None)  # twice: a digest is never hashed again
    assert OutstandingToken.objects.get(jti=jti).token == token_digest(raw)
    assert token_digest(token_digest(raw)) == token_digest(raw)
