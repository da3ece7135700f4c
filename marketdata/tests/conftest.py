from __future__ import annotations

from datetime import date

import pytest

from engine.markets.synthetic import synthetic_bars
from marketdata.frames import BarFrame
from marketdata.tests.fake_dhan import FakeDhan


@pytest.fixture
def fake_dhan(settings):
    with FakeDhan() as server:
        settings.DHAN_BASE_URL = server.base_url
        settings.DHAN_SECURITY_MASTER_URL = server.master_url
        settings.DHAN_CLIENT_ID = "1000000001"
        settings.DHAN_ACCESS_TOKEN = "canary-token-do-not-log"
        settings.DHAN_BACKOFF_SECONDS = 0.001
        yield server


@pytest.fixture
def nifty(db):
    from marketdata.services import instrument_index_get_or_create

    return instrument_index_get_or_create(symbol="NIFTY")


@pytest.fixture
def staff_client(make_user):
    from rest_framework.test import APIClient

    from algobacktester.accounts.tokens import token_pair

    user = make_user(is_staff=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_pair(user)['access']}")
    client.user = user
    return client


def small_frame(days: int = 3, start: date = date(2024, 1, 2), seed: int = 1) -> BarFrame:
    return BarFrame.from_bars(synthetic_bars(start=start, days=days, seed=seed))
