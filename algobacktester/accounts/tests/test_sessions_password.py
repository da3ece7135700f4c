"""Settings → Sessions (list, end one) and password change (ends every login)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from algobacktester.accounts.models import User

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def login(user: User, agent: str = "pytest-browser") -> dict[str, str]:
    client = APIClient(HTTP_USER_AGENT=agent)
    response = client.post("/api/auth/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 200, response.content
    return response.json()


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def test_sessions_lists_each_login_and_marks_the_current_one(user: User) -> None:
    first = login(user, "Firefox")
    login(user, "Chromium")
    rows = bearer(first["access"]).get("/api/auth/sessions").json()
    assert sorted(r["user_agent"] for r in rows) == ["Chromium", "Firefox"]
    assert [r["user_agent"] for r in rows if r["current"]] == ["Firefox"]
    assert all(r["ip"] == "127.0.0.1" for r in rows)


def test_a_refresh_keeps_one_session_and_updates_its_last_use(user: User) -> None:
    tokens = login(user)
    before = bearer(tokens["access"]).get("/api/auth/sessions").json()[0]
    rotated = APIClient().post("/api/auth/refresh", {"refresh": tokens["refresh"]}).json()
    after = bearer(rotated["access"]).get("/api/auth/sessions").json()
    assert len(after) == 1 and after[0]["sid"] == before["sid"]
    assert after[0]["last_used_at"] >= before["last_used_at"]


def test_ending_a_session_refuses_its_tokens_and_unlists_it(user: User) -> None:
    mine = login(user, "me")
    other = login(user, "stolen laptop")
    rows = bearer(mine["access"]).get("/api/auth/sessions").json()
    sid = next(r["sid"] for r in rows if r["user_agent"] == "stolen laptop")
    assert bearer(mine["access"]).delete(f"/api/auth/sessions/{sid}").status_code == 204
    assert bearer(other["access"]).get("/api/auth/me").status_code == 401
    assert APIClient().post("/api/auth/refresh", {"refresh": other["refresh"]}).status_code == 401
    left = bearer(mine["access"]).get("/api/auth/sessions").json()
    assert [r["user_agent"] for r in left] == ["me"]


def test_another_users_session_is_a_404(user: User) -> None:
    stranger = UserFactory()
    theirs = login(stranger)
    sid = bearer(theirs["access"]).get("/api/auth/sessions").json()[0]["sid"]
    mine = login(user)
    assert bearer(mine["access"]).delete(f"/api/auth/sessions/{sid}").status_code == 404
    assert bearer(theirs["access"]).get("/api/auth/me").status_code == 200


def test_password_change_needs_the_current_password(user: User) -> None:
    tokens = login(user)
    body = {"current_password": "wrong", "new_password": "a-New-pass-2026"}
    response = bearer(tokens["access"]).post("/api/auth/password", body)
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"current_password"}


def test_password_change_refuses_a_weak_password(user: User) -> None:
    tokens = login(user)
    body = {"current_password": PASSWORD, "new_password": "123"}
    response = bearer(tokens["access"]).post("/api/auth/password", body)
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"new_password"}


def test_password_change_ends_every_login_and_the_new_password_works(user: User) -> None:
    tokens = login(user)
    body = {"current_password": PASSWORD, "new_password": "a-New-pass-2026"}
    assert bearer(tokens["access"]).post("/api/auth/password", body).status_code == 204
    assert bearer(tokens["access"]).get("/api/auth/me").status_code == 401
    fresh = APIClient().post(
        "/api/auth/login", {"email": user.email, "password": "a-New-pass-2026"}
    )
    assert fresh.status_code == 200
