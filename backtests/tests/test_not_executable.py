"""A run of a graph the simulator would not follow is refused before it is queued."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from backtests.models import BacktestRun, BacktestSweep
from engine.graph import example_documents
from strategies.services import strategy_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def options_strategy(user):
    return strategy_create(
        owner=user, name="Sell a put", graph=example_documents()["supertrend_options"]
    )


def test_an_option_leg_run_is_a_400_naming_the_leg(
    auth_client: APIClient, run_body: dict, options_strategy
) -> None:
    body = {**run_body, "strategy": options_strategy.pk}
    response = auth_client.post("/api/backtest", body, format="json")
    assert response.status_code == 400, response.content
    error = response.json()
    assert error["code"] == "not_executable"
    assert error["errors"][0]["node"] == "sell_pe"
    assert "underlying instead of the option" in error["errors"][0]["message"]
    assert not BacktestRun.objects.exists()


def test_an_option_leg_sweep_is_refused_too(
    auth_client: APIClient, run_body: dict, options_strategy
) -> None:
    body = {
        **run_body,
        "strategy": options_strategy.pk,
        "grid": {"st.period": [7, 10]},
        "metric": "return_pct",
    }
    response = auth_client.post("/api/backtest/sweeps", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["node"] == "sell_pe"
    assert not BacktestSweep.objects.exists()
