"""Root fixtures shared by every test package."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parent.parent / "shared" / "data"


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
