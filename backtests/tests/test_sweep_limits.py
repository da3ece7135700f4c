"""Limits before work: an oversized sweep is refused from its counts, never by building it."""

from __future__ import annotations

import time
import tracemalloc

import pytest
from rest_framework.test import APIClient

from backtests import sweeps
from backtests.models import BacktestSweep

pytestmark = pytest.mark.django_db

BILLION = {  # 1,000 x 1,000 x 1,000 combinations
    "ma_fast.timeperiod": {"start": 1, "stop": 1000, "step": 1},
    "ma_slow.timeperiod": {"start": 1, "stop": 1000, "step": 1},
    "ma_fast.price": {"start": 1, "stop": 1000, "step": 1},
}


@pytest.fixture
def grid_never_built(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building the grid of a refused sweep fails the test at once instead of exhausting the
    machine's memory (which is what happened before the grid was counted)."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the grid was built before its size was checked")

    monkeypatch.setattr(sweeps, "grid", refuse)


def test_a_billion_combinations_is_refused_from_the_counts(
    auth_client: APIClient, run_body: dict, grid_never_built: None
) -> None:
    body = {**run_body, "grid": BILLION, "metric": "return_pct"}
    tracemalloc.start()
    began = time.perf_counter()
    try:
        response = auth_client.post("/api/backtest/sweeps", body, format="json")
        elapsed = time.perf_counter() - began
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 400, response.content
    assert [e["field"] for e in response.json()["errors"]] == ["grid"]
    assert "1,000,000,000 combinations" in response.json()["detail"]
    assert peak < 8 * 1024 * 1024, f"peak {peak:,} bytes"  # the grid alone would be ~200 GB
    assert elapsed < 5, f"{elapsed:.2f} s"  # generous: a busy shared CI machine
    assert not BacktestSweep.objects.exists()


def test_the_constraint_is_counted_not_applied(
    auth_client: APIClient, run_body: dict, settings, grid_never_built: None
) -> None:
    """1,000 x 1,000 with fast < slow is 499,500: over a cap of 400,000, refused uncounted."""
    settings.BACKTESTS = {**settings.BACKTESTS, "MAX_SWEEP_COMBINATIONS": 400_000}
    grid = {k: v for k, v in BILLION.items() if k != "ma_fast.price"}
    body = {
        **run_body,
        "grid": grid,
        "constraint": "ma_fast.timeperiod < ma_slow.timeperiod",
        "metric": "return_pct",
    }
    response = auth_client.post("/api/backtest/sweeps", body, format="json")
    assert response.status_code == 400, response.content
    assert "499,500 combinations" in response.json()["detail"]


def test_bars_times_combinations_is_capped(
    auth_client: APIClient, run_body: dict, settings
) -> None:
    settings.BACKTESTS = {**settings.BACKTESTS, "MAX_SWEEP_BARS_TOTAL": 1_000}
    body = {**run_body, "grid": {"ma_fast.timeperiod": [5, 10]}, "metric": "return_pct"}
    response = auth_client.post("/api/backtest/sweeps", body, format="json")
    assert response.status_code == 400, response.content
    assert [e["field"] for e in response.json()["errors"]] == ["grid"]
    assert "simulated bars" in response.json()["detail"]
    assert not BacktestSweep.objects.exists()
