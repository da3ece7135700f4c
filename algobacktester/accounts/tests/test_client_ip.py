"""One client address for the lock-out and the throttles: X-Forwarded-For counts only when the
connection comes from a configured proxy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import RequestFactory, override_settings
from rest_framework.test import APIClient

from algobacktester.accounts.clientip import client_ip
from algobacktester.accounts.models import User

from .factories import PASSWORD

ROOT = Path(__file__).resolve().parents[3]
LOCK = {"per_email": 100, "per_ip": 3, "window_seconds": 600}


def _ip(remote: str, forwarded: str | None = None) -> str:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **extra))


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        ([], "203.0.113.7", "1.2.3.4", "203.0.113.7"),  # nobody trusted: the peer
        ([], "127.0.0.1", "1.2.3.4", "127.0.0.1"),  # not even loopback by default
        (["10.0.0.5"], "203.0.113.7", "1.2.3.4", "203.0.113.7"),  # an untrusted peer
        (["10.0.0.5"], "10.0.0.5", "1.2.3.4", "1.2.3.4"),  # our proxy names the client
        (["10.0.0.5"], "10.0.0.5", "6.6.6.6, 1.2.3.4", "1.2.3.4"),  # client's own prefix ignored
        (["10.0.0.0/8"], "10.0.0.5", "6.6.6.6, 1.2.3.4, 10.0.0.9", "1.2.3.4"),  # two proxies
        (["10.0.0.5"], "10.0.0.5", None, "10.0.0.5"),  # no header: the proxy itself
        (["10.0.0.5"], "10.0.0.5", "1.2.3.4, not-an-ip", "10.0.0.5"),  # garbage: the peer
        (["::1"], "::1", "2001:db8::1", "2001:db8::1"),
        (["10.0.0.5"], "::ffff:10.0.0.5", "1.2.3.4", "1.2.3.4"),  # dual-stack listener
    ],
)
def test_client_ip_believes_only_trusted_proxies(
    trusted: list[str], remote: str, forwarded: str | None, expected: str
) -> None:
    with override_settings(TRUSTED_PROXIES=trusted):
        assert _ip(remote, forwarded) == expected


def _guesses(client: APIClient, spoof: bool) -> list[int]:
    codes = []
    for n in range(6):
        headers = {"HTTP_X_FORWARDED_FOR": f"198.51.100.{n}"} if spoof else {}
        body = {"email": f"guess{n}@example.com", "password": "bad"}
        codes.append(client.post("/api/auth/login", body, **headers).status_code)
    return codes


@pytest.mark.django_db
@override_settings(LOGIN_LOCKOUT=LOCK, TRUSTED_PROXIES=[])
def test_a_spoofed_forwarded_for_does_not_dodge_the_ip_lock(user: User) -> None:
    client = APIClient(REMOTE_ADDR="127.0.0.1")
    assert _guesses(client, spoof=True) == [401, 401, 401, 429, 429, 429]
    locked = client.post(
        "/api/auth/login",
        {"email": user.email, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="192.0.2.200",
    )
    assert locked.status_code == 429


@pytest.mark.django_db
@override_settings(LOGIN_LOCKOUT=LOCK, TRUSTED_PROXIES=["10.0.0.5"])
def test_behind_a_trusted_proxy_each_client_has_its_own_count(user: User) -> None:
    proxy = APIClient(REMOTE_ADDR="10.0.0.5")
    assert _guesses(proxy, spoof=True) == [401] * 6  # six clients, one guess each
    assert _guesses(proxy, spoof=False) == [401, 401, 401, 429, 429, 429]  # the proxy itself


@pytest.mark.django_db
@override_settings(TRUSTED_PROXIES=[])
def test_the_login_throttle_counts_the_same_address(user: User, settings) -> None:
    from algobacktester.accounts.api.views import LoginIpThrottle

    LoginIpThrottle.THROTTLE_RATES = {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "login_ip": "2/min",
    }
    try:
        client = APIClient(REMOTE_ADDR="127.0.0.1")
        codes = [
            client.post(
                "/api/auth/login",
                {"email": user.email, "password": PASSWORD},
                HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
            ).status_code
            for n in range(3)
        ]
    finally:
        del LoginIpThrottle.THROTTLE_RATES
    assert codes == [200, 200, 429]


@pytest.mark.django_db
@override_settings(LOGIN_LOCKOUT={"per_email": 5, "per_ip": 100, "window_seconds": 600})
def test_admin_login_shares_the_lockout(make_user) -> None:
    from django.test import Client

    admin = make_user(is_staff=True, is_superuser=True)
    browser = Client()
    for _ in range(5):
        page = browser.post("/admin/login/", {"username": admin.email, "password": "wrong"})
        assert page.status_code == 200 and "_auth_user_id" not in browser.session
    page = browser.post("/admin/login/", {"username": admin.email, "password": PASSWORD})
    assert "_auth_user_id" not in browser.session
    assert "Too many failed logins" in page.content.decode()
    # ... and the API sees the same count
    api = APIClient().post("/api/auth/login", {"email": admin.email, "password": PASSWORD})
    assert api.status_code == 429


@pytest.mark.django_db
@override_settings(LOGIN_LOCKOUT={"per_email": 5, "per_ip": 100, "window_seconds": 600})
def test_admin_login_still_works_and_resets_the_count(make_user) -> None:
    from django.test import Client

    admin = make_user(is_staff=True, is_superuser=True)
    for _ in range(4):
        APIClient().post("/api/auth/login", {"email": admin.email, "password": "wrong"})
    browser = Client()
    page = browser.post("/admin/login/", {"username": admin.email, "password": PASSWORD})
    assert page.status_code == 302 and browser.session["_auth_user_id"] == str(admin.pk)
    for _ in range(4):  # the successful login wiped the email's slate
        APIClient().post("/api/auth/login", {"email": admin.email, "password": "wrong"})
    ok = APIClient().post("/api/auth/login", {"email": admin.email, "password": PASSWORD})
    assert ok.status_code == 200


def _commands() -> list[str]:
    """Every command line that starts the web server, in every launcher."""
    texts = [(ROOT / name).read_text() for name in ("Procfile", "docker-compose.yml", "Makefile")]
    lines = [line for text in texts for line in text.splitlines() if "asgi:application" in line]
    dockerfile = (ROOT / "Dockerfile").read_text()
    lines += [line for line in dockerfile.splitlines() if line.startswith("CMD")]
    return lines


def test_every_launcher_leaves_forwarded_headers_to_django() -> None:
    commands = _commands()
    assert len(commands) == 4, commands
    for line in commands:
        if "gunicorn" in line:
            assert "algobacktester.asgi_worker.UvicornWorker" in line, line
        else:
            assert re.search(r"uvicorn .*--no-proxy-headers", line), line


def _served(app: object, *, client: str, forwarded: str, body: bytes) -> int:
    """One POST /api/auth/login through ``app`` as uvicorn hands it a connection."""
    import asyncio

    from asgiref.sync import async_to_sync

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/auth/login",
        "raw_path": b"/api/auth/login",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"x-forwarded-for", forwarded.encode()),
        ],
        "client": (client, 50000),
        "server": ("127.0.0.1", 8000),
    }
    sent: list[dict] = []
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict:
        if pending:
            return pending.pop()
        await asyncio.Event().wait()  # the client stays connected until the answer is sent
        raise AssertionError("unreachable")

    async def send(message: dict) -> None:
        sent.append(message)

    from django.core import signals
    from django.db import close_old_connections

    # As Django's test client does: the handler must not close the test's transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        async_to_sync(app)(scope, receive, send)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return next(m["status"] for m in sent if m["type"] == "http.response.start")


@pytest.mark.django_db
@pytest.mark.filterwarnings("ignore:The `uvicorn.workers` module is deprecated")
@override_settings(LOGIN_LOCKOUT=LOCK, TRUSTED_PROXIES=[], ALLOWED_HOSTS=["127.0.0.1"])
def test_through_the_gunicorn_worker_a_spoofed_header_still_locks(user: User) -> None:
    """The stack as served: uvicorn's config from our worker in front of Django's ASGI app.
    With uvicorn's default (trust loopback) the six guesses below were six clients."""
    import json

    from django.core.asgi import get_asgi_application
    from uvicorn.config import Config

    from algobacktester.asgi_worker import UvicornWorker

    config = Config(app=get_asgi_application(), **UvicornWorker.CONFIG_KWARGS)
    config.load()
    codes = [
        _served(
            config.loaded_app,
            client="127.0.0.1",
            forwarded=f"198.51.100.{n}",
            body=json.dumps({"email": f"guess{n}@example.com", "password": "bad"}).encode(),
        )
        for n in range(6)
    ]
    assert codes == [401, 401, 401, 429, 429, 429]
