"""The web app's sign-in (docs/adr/0013): refresh token only in an httpOnly, SameSite=Strict
cookie scoped to /api/auth/session, every POST behind Django's CSRF check."""

from __future__ import annotations

import pytest
from django.test import Client

from algobacktester.accounts.models import User

from .factories import PASSWORD

pytestmark = pytest.mark.django_db
COOKIE = "ab_refresh"


@pytest.fixture
def browser() -> Client:
    """A client that enforces CSRF like a browser request would meet it."""
    client = Client(enforce_csrf_checks=True)
    client.get("/api/auth/session/csrf")
    return client


def post(client: Client, path: str, body: dict | None = None, **extra: str):
    token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
    return client.post(
        f"/api/auth/session{path}",
        body or {},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
        **extra,
    )


def sign_in(client: Client, user: User):
    return post(client, "", {"email": user.email, "password": PASSWORD})


def test_sign_in_sets_an_httponly_strict_cookie_and_never_shows_the_refresh_token(
    browser: Client, user: User
) -> None:
    response = sign_in(browser, user)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"access", "access_expires", "user"}
    assert body["user"]["email"] == user.email
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/api/auth/session"
    assert cookie.value and cookie.value not in response.content.decode()
    me = Client().get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert me.status_code == 200


def test_a_post_without_the_csrf_header_is_refused(user: User) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/auth/session",
        {"email": user.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert COOKIE not in response.cookies


def test_a_post_from_another_origin_is_refused(browser: Client, user: User) -> None:
    response = post(
        browser,
        "",
        {"email": user.email, "password": PASSWORD},
        HTTP_ORIGIN="https://evil.example",
    )
    assert response.status_code == 403


def test_refresh_rotates_the_cookie_and_the_spent_one_is_refused(
    browser: Client, user: User
) -> None:
    first = sign_in(browser, user).cookies[COOKIE].value
    rotated = post(browser, "/refresh")
    assert rotated.status_code == 200, rotated.content
    second = rotated.cookies[COOKIE].value
    assert second != first and rotated.json()["access"]
    browser.cookies[COOKIE] = first  # a stolen, already spent cookie
    replay = post(browser, "/refresh")
    assert replay.status_code == 401
    assert replay.cookies[COOKIE].value == ""  # cleared, so the app shows signed out


def test_refresh_without_a_cookie_is_a_401(browser: Client) -> None:
    response = post(browser, "/refresh")
    assert response.status_code == 401
    assert response.json()["code"] == "not_signed_in"


def test_sign_out_ends_this_login_only(browser: Client, user: User) -> None:
    access = sign_in(browser, user).json()["access"]
    other = Client(enforce_csrf_checks=True)
    other.get("/api/auth/session/csrf")
    other_access = sign_in(other, user).json()["access"]

    out = post(browser, "/logout")
    assert out.status_code == 204
    assert out.cookies[COOKIE].value == ""
    assert Client().get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 401
    assert post(other, "/refresh").status_code == 200
    assert (
        Client().get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {other_access}").status_code == 200
    )


def test_sign_out_everywhere_ends_every_login(browser: Client, user: User) -> None:
    sign_in(browser, user)
    other = Client(enforce_csrf_checks=True)
    other.get("/api/auth/session/csrf")
    sign_in(other, user)
    assert post(browser, "/logout", {"everywhere": True}).status_code == 204
    assert post(other, "/refresh").status_code == 401


def test_sign_up_signs_in(browser: Client) -> None:
    body = {"email": "new@example.com", "password": PASSWORD, "name": "Asha"}
    response = post(browser, "/register", body)
    assert response.status_code == 201, response.content
    assert response.json()["user"]["name"] == "Asha"
    assert response.cookies[COOKIE]["httponly"] is True


def test_sign_up_names_a_bad_field(browser: Client) -> None:
    response = post(browser, "/register", {"email": "x@example.com", "password": "123"})
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"password"}
