"""Root fixtures shared by every test package."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parent.parent / "shared" / "data"
_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> None:
    """Tests talk to 127.0.0.1 only: fake servers, PostgreSQL, Redis. Anything else fails loudly."""
    if self.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
        host = str(address[0])
        if not (host.startswith("127.") or host in {"::1", "localhost"}):
            raise ConnectionRefusedError(f"test tried to reach {host}: only loopback is allowed")
    return _real_connect(self, address)


def pytest_configure(config: pytest.Config) -> None:
    socket.socket.connect = _loopback_only  # type: ignore[method-assign]
    _hypothesis_profile()


def _hypothesis_profile() -> None:
    """No per-example deadline: a busy 2-core CI machine must not turn slowness into failure."""
    try:
        from hypothesis import HealthCheck, settings
    except ImportError:
        return
    settings.register_profile(
        "project", deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    settings.load_profile("project")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real market-data folder beside the checkout; skip when a clone lacks it."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real market data not found at {SHARED_DATA} (../shared/data is absent)")
    return SHARED_DATA


# --- Django fixtures (imports inside, so engine tests run without Django) -----------


@pytest.fixture
def make_user(db):
    """A factory of users: ``make_user(email=..., password=...)``."""
    from algobacktester.accounts.tests.factories import UserFactory

    return UserFactory


@pytest.fixture
def user(make_user):
    return make_user()


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def auth_client(user):
    """An APIClient carrying a fresh access token of ``user``."""
    from rest_framework.test import APIClient

    from algobacktester.accounts.tokens import token_pair

    client = APIClient()
    client.tokens = token_pair(user)
    client.user = user
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {client.tokens['access']}")
    return client


@pytest.fixture(autouse=True)
def _clear_cache():
    """Lock-out counters and throttles live in the cache: start every test clean."""
    yield
    try:
        from django.core.cache import cache

        cache.clear()
    except Exception:
        pass


@pytest.fixture(autouse=True)
def _clear_log_context():
    """Request and task ids are context variables: one test's never labels the next's lines."""
    from structlog.contextvars import clear_contextvars

    clear_contextvars()
    yield
    clear_contextvars()
