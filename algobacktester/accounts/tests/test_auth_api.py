"""Every auth path, failures included."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from algobacktester.accounts.models import User
from algobacktester.accounts.tokens import token_pair

from .factories import PASSWORD

pytestmark = pytest.mark.django_db


def bearer(client: APIClient, access: str) -> APIClient:
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def fields(response) -> set[str | None]:
    return {e["field"] for e in response.json()["errors"]}


# --- register -------------------------------------------------------------------


def test_register_creates_user_and_returns_working_tokens(api_client: APIClient) -> None:
    body = {
        "email": "New@Example.com",
        "password": PASSWORD,
        "name": "Asha",
        "phone": "+919812345678",
    }
    response = api_client.post("/api/auth/register", body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["user"]["email"] == "new@example.com"
    assert data["user"]["timezone"] == "Asia/Kolkata"
    me = bearer(APIClient(), data["access"]).get("/api/auth/me")
    assert me.status_code == 200 and me.json()["name"] == "Asha"


def test_register_taken_email_says_so(api_client: APIClient, user: User) -> None:
    body = {"email": user.email.upper(), "password": PASSWORD}
    response = api_client.post("/api/auth/register", body, format="json")
    assert response.status_code == 400
    assert fields(response) == {"email"}
    assert "already exists" in response.json()["detail"]
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "a@example.com", "password": "123"}, "password"),
        ({"email": "a@example.com", "password": "password"}, "password"),
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"password": PASSWORD}, "email"),
        ({"email": "a@example.com"}, "password"),
        ({"email": "a@example.com", "password": PASSWORD, "phone": "98123"}, "phone"),
        ({"email": "a@example.com", "password": PASSWORD, "timezone": "Mars/Olympus"}, "timezone"),
        ({"email": ["a@example.com"], "password": PASSWORD}, "email"),
    ],
)
def test_register_bad_input_names_the_field(api_client: APIClient, body: dict, field: str) -> None:
    response = api_client.post("/api/auth/register", body, format="json")
    assert response.status_code == 400, response.content
    assert field in fields(response)
    assert not User.objects.filter(email="a@example.com").exists()


def test_register_rejects_malformed_json(api_client: APIClient) -> None:
    response = api_client.post("/api/auth/register", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_register_ignores_privileged_fields(api_client: APIClient) -> None:
    body = {
        "email": "sneaky@example.com",
        "password": PASSWORD,
        "is_staff": True,
        "is_superuser": True,
        "token_version": 99,
        "id": 5000,
    }
    assert api_client.post("/api/auth/register", body, format="json").status_code == 201
    user = User.objects.get(email="sneaky@example.com")
    assert (user.is_staff, user.is_superuser, user.token_version) == (False, False, 0)
    assert user.pk != 5000


# --- login ----------------------------------------------------------------------


def test_login_returns_a_token_pair(api_client: APIClient, user: User) -> None:
    response = api_client.post("/api/auth/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    user.refresh_from_db()
    assert user.last_login is not None


@pytest.mark.parametrize("email_case", [str.lower, str.upper])
def test_login_email_is_case_insensitive(api_client: APIClient, user: User, email_case) -> None:
    response = api_client.post(
        "/api/auth/login", {"email": email_case(user.email), "password": PASSWORD}
    )
    assert response.status_code == 200
    me = bearer(APIClient(), response.json()["access"]).get("/api/auth/me")
    assert me.json()["email"] == user.email  # the token is that user's


def test_login_wrong_password_is_401(api_client: APIClient, user: User) -> None:
    response = api_client.post("/api/auth/login", {"email": user.email, "password": "wrong"})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_login_unknown_email_is_401(api_client: APIClient, db) -> None:
    response = api_client.post("/api/auth/login", {"email": "nobody@example.com", "password": "x"})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"  # as a wrong password: no enumeration


def test_login_inactive_user_is_401(api_client: APIClient, make_user) -> None:
    user = make_user(is_active=False)
    response = api_client.post("/api/auth/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials" and "access" not in response.json()
    user.refresh_from_db()
    assert user.last_login is None


def test_login_missing_password_names_it(api_client: APIClient) -> None:
    response = api_client.post("/api/auth/login", {"email": "a@example.com"}, format="json")
    assert response.status_code == 400 and fields(response) == {"password"}


@override_settings(LOGIN_LOCKOUT={"per_email": 3, "per_ip": 100, "window_seconds": 600})
def test_login_locks_out_an_email_after_failures(api_client: APIClient, user: User) -> None:
    for _ in range(3):
        assert (
            api_client.post("/api/auth/login", {"email": user.email, "password": "bad"}).status_code
            == 401
        )
    # Even the right password is refused while locked out, from any address.
    other_ip = APIClient(REMOTE_ADDR="10.9.9.9")
    response = other_ip.post("/api/auth/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 600
    assert response.json()["code"] == "throttled"


@override_settings(LOGIN_LOCKOUT={"per_email": 100, "per_ip": 3, "window_seconds": 600})
def test_login_locks_out_an_ip_that_tries_many_emails(api_client: APIClient, user: User) -> None:
    for n in range(3):
        api_client.post("/api/auth/login", {"email": f"guess{n}@example.com", "password": "bad"})
    response = api_client.post("/api/auth/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    other_ip = APIClient(REMOTE_ADDR="10.9.9.9")
    assert (
        other_ip.post("/api/auth/login", {"email": user.email, "password": PASSWORD}).status_code
        == 200
    )


@override_settings(LOGIN_LOCKOUT={"per_email": 3, "per_ip": 100, "window_seconds": 600})
def test_successful_login_resets_the_email_counter(api_client: APIClient, user: User) -> None:
    for _ in range(2):
        api_client.post("/api/auth/login", {"email": user.email, "password": "bad"})
    assert (
        api_client.post("/api/auth/login", {"email": user.email, "password": PASSWORD}).status_code
        == 200
    )
    for _ in range(2):
        api_client.post("/api/auth/login", {"email": user.email, "password": "bad"})
    assert (
        api_client.post("/api/auth/login", {"email": user.email, "password": PASSWORD}).status_code
        == 200
    )


def test_login_is_rate_limited_per_ip(api_client: APIClient, user: User, settings) -> None:
    from algobacktester.accounts.api.views import LoginIpThrottle

    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login_ip": "2/min"}
    LoginIpThrottle.THROTTLE_RATES = rates  # the class caches the setting at import
    try:
        for _ in range(2):
            api_client.post("/api/auth/login", {"email": user.email, "password": PASSWORD})
        response = api_client.post("/api/auth/login", {"email": user.email, "password": PASSWORD})
    finally:
        del LoginIpThrottle.THROTTLE_RATES
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


# --- refresh --------------------------------------------------------------------


def test_refresh_rotates_and_blacklists_the_old_token(api_client: APIClient, user: User) -> None:
    pair = token_pair(user)
    response = api_client.post("/api/auth/refresh", {"refresh": pair["refresh"]})
    assert response.status_code == 200
    new = response.json()
    assert new["refresh"] != pair["refresh"]
    assert bearer(APIClient(), new["access"]).get("/api/auth/me").status_code == 200
    replay = api_client.post("/api/auth/refresh", {"refresh": pair["refresh"]})
    assert replay.status_code == 401
    assert "blacklisted" in replay.json()["detail"]


def test_refresh_with_an_access_token_is_refused(api_client: APIClient, user: User) -> None:
    pair = token_pair(user)
    response = api_client.post("/api/auth/refresh", {"refresh": pair["access"]})
    assert response.status_code == 401 and response.json()["code"] == "token_not_valid"


def test_refresh_expired_is_refused(api_client: APIClient, user: User) -> None:
    refresh = RefreshToken.for_user(user)
    refresh["ver"] = 0
    refresh.set_exp(lifetime=-timedelta(seconds=1))
    response = api_client.post("/api/auth/refresh", {"refresh": str(refresh)})
    assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_refresh_tampered_is_refused(api_client: APIClient, user: User) -> None:
    raw = token_pair(user)["refresh"]
    head, payload, signature = raw.split(".")
    tampered = f"{head}.{payload}.{signature[::-1]}"
    response = api_client.post("/api/auth/refresh", {"refresh": tampered})
    assert response.status_code == 401 and response.json()["code"] == "token_not_valid"


def test_refresh_of_a_deleted_user_is_401_not_500(api_client: APIClient, user: User) -> None:
    pair = token_pair(user)
    user.delete()
    response = api_client.post("/api/auth/refresh", {"refresh": pair["refresh"]})
    assert response.status_code == 401 and "access" not in response.json()


def test_refresh_missing_field_names_it(api_client: APIClient) -> None:
    response = api_client.post("/api/auth/refresh", {}, format="json")
    assert response.status_code == 400 and fields(response) == {"refresh"}


# --- access tokens --------------------------------------------------------------


def test_access_expired_is_refused(user: User) -> None:
    token = AccessToken.for_user(user)
    token["ver"] = user.token_version
    token.set_exp(lifetime=-timedelta(seconds=1))
    response = bearer(APIClient(), str(token)).get("/api/auth/me")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_access_signed_with_another_key_is_refused(user: User) -> None:
    import jwt

    forged = jwt.encode(
        {"user_id": user.pk, "token_type": "access", "ver": 0, "exp": 9999999999, "jti": "x"},
        "another-key-entirely-" * 3,
        algorithm="HS256",
    )
    response = bearer(APIClient(), forged).get("/api/auth/me")
    assert response.status_code == 401 and response.json()["code"] == "token_not_valid"


def test_access_tampered_payload_is_refused(user: User, make_user) -> None:
    import base64
    import json

    other = make_user()
    head, payload, signature = token_pair(user)["access"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["user_id"] = other.pk
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    response = bearer(APIClient(), f"{head}.{forged_payload}.{signature}").get("/api/auth/me")
    assert response.status_code == 401
    assert (
        response.json()["code"] == "token_not_valid"
        and other.email not in response.content.decode()
    )


def test_no_token_is_401_json(api_client: APIClient) -> None:
    response = api_client.get("/api/auth/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_garbage_bearer_is_401(api_client: APIClient) -> None:
    response = bearer(api_client, "not.a.jwt").get("/api/auth/me")
    assert response.status_code == 401 and response.json()["code"] == "token_not_valid"


# --- logout ---------------------------------------------------------------------


def test_logout_ends_that_login_only(user: User) -> None:
    first, second = token_pair(user), token_pair(user)
    client = bearer(APIClient(), first["access"])
    assert client.post("/api/auth/logout", {"refresh": first["refresh"]}).status_code == 204
    assert client.get("/api/auth/me").status_code == 401  # its access token too
    refreshed = APIClient().post("/api/auth/refresh", {"refresh": first["refresh"]})
    assert refreshed.status_code == 401 and "blacklisted" in refreshed.json()["detail"]
    assert bearer(APIClient(), second["access"]).get("/api/auth/me").status_code == 200


def test_logout_revokes_access_tokens_minted_by_rotation(user: User) -> None:
    first = token_pair(user)
    rotated = APIClient().post("/api/auth/refresh", {"refresh": first["refresh"]}).json()
    client = bearer(APIClient(), rotated["access"])
    assert client.post("/api/auth/logout", {"refresh": rotated["refresh"]}).status_code == 204
    assert client.get("/api/auth/me").status_code == 401
    assert bearer(APIClient(), first["access"]).get("/api/auth/me").status_code == 401


def test_logout_with_someone_elses_refresh_is_refused(user: User, make_user) -> None:
    other = token_pair(make_user())
    client = bearer(APIClient(), token_pair(user)["access"])
    response = client.post("/api/auth/logout", {"refresh": other["refresh"]})
    assert response.status_code == 400 and fields(response) == {"refresh"}
    assert bearer(APIClient(), other["access"]).get("/api/auth/me").status_code == 200


def test_logout_needs_authentication(user: User) -> None:
    pair = token_pair(user)
    assert APIClient().post("/api/auth/logout", {"refresh": pair["refresh"]}).status_code == 401


def test_logout_all_revokes_every_token(user: User) -> None:
    first, second = token_pair(user), token_pair(user)
    client = bearer(APIClient(), first["access"])
    assert client.get("/api/auth/logout").status_code == 204
    for pair in (first, second):
        assert bearer(APIClient(), pair["access"]).get("/api/auth/me").status_code == 401
        assert (
            APIClient().post("/api/auth/refresh", {"refresh": pair["refresh"]}).status_code == 401
        )
    fresh = APIClient().post("/api/auth/login", {"email": user.email, "password": PASSWORD})
    assert bearer(APIClient(), fresh.json()["access"]).get("/api/auth/me").status_code == 200


# --- me -------------------------------------------------------------------------


def test_me_patch_updates_profile(auth_client: APIClient) -> None:
    body = {"name": "Ravi", "phone": "+919800000001", "timezone": "Europe/London"}
    response = auth_client.patch("/api/auth/me", body, format="json")
    assert response.status_code == 200
    assert {k: response.json()[k] for k in body} == body


def test_me_patch_ignores_privileged_fields(auth_client: APIClient) -> None:
    user = auth_client.user
    before = (user.pk, user.email, user.is_staff, user.token_version)
    body = {"email": "hijack@example.com", "is_staff": True, "id": 999, "token_version": 7}
    assert auth_client.patch("/api/auth/me", body, format="json").status_code == 200
    user.refresh_from_db()
    assert (user.pk, user.email, user.is_staff, user.token_version) == before
    me = auth_client.get("/api/auth/me")
    assert me.status_code == 200 and me.json()["email"] == before[1]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "12"}, "phone"),
        ({"timezone": "Nowhere/City"}, "timezone"),
        ({"name": "x" * 200}, "name"),
    ],
)
def test_me_patch_bad_input_names_field(auth_client: APIClient, body: dict, field: str) -> None:
    user = auth_client.user
    before = {key: getattr(user, key) for key in body}
    response = auth_client.patch("/api/auth/me", body, format="json")
    assert response.status_code == 400 and fields(response) == {field}
    user.refresh_from_db()
    assert {key: getattr(user, key) for key in body} == before


def test_me_put_is_405_json(auth_client: APIClient) -> None:
    response = auth_client.put("/api/auth/me", {}, format="json")
    assert response.status_code == 405 and "not allowed" in response.json()["detail"]


@override_settings(LOGIN_LOCKOUT={"per_email": 3, "per_ip": 100, "window_seconds": 600})
def test_parallel_guesses_cannot_exceed_the_limit(user: User) -> None:
    """Attempts are counted atomically before the password check, so a burst is bounded."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    def guess(n: int) -> int:
        try:
            body = {"email": user.email, "password": f"guess-{n}"}
            return APIClient(REMOTE_ADDR=f"10.0.0.{n}").post("/api/auth/login", body).status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(guess, range(16)))
    assert codes.count(401) == 3  # only three passwords were ever checked
    assert codes.count(429) == 13


def test_a_refresh_token_is_spent_once_even_in_a_race(
    user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two refreshes that both pass the blacklist check: the unique key refuses the second."""
    from rest_framework_simplejwt.tokens import RefreshToken as SimpleRefresh

    from algobacktester.accounts.services import auth_refresh
    from algobacktester.errors import NotAuthenticated

    pair = token_pair(user)
    monkeypatch.setattr(SimpleRefresh, "check_blacklist", lambda self: None)  # both see "unused"
    auth_refresh(refresh=pair["refresh"])
    with pytest.raises(NotAuthenticated, match="blacklisted"):
        auth_refresh(refresh=pair["refresh"])
