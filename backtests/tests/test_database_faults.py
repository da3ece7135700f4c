"""A database error in a sweep chunk (a terminated backend, a restart, a failover) costs an
attempt, not the sweep; only a chunk the database keeps failing fails it, saying why.

(Single runs: ``test_exactly_once.py`` and, with ``pg_terminate_backend`` on a real worker,
``test_real_worker.py``.)
"""

from __future__ import annotations

import pytest
from django.db import OperationalError
from rest_framework.test import APIClient

from backtests import sweeps
from backtests.models import BacktestSweep, RunStatus, SweepChunk

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def one_chunk(settings) -> None:
    """These sweeps are small: one chunk, as they count one chunk's attempts."""
    settings.BACKTESTS = {**settings.BACKTESTS, "SWEEP_MIN_CHUNKS": 1}


@pytest.fixture
def sweep_body(run_body: dict) -> dict:
    return {**run_body, "grid": {"ma_fast.timeperiod": [5, 10]}, "metric": "return_pct"}


def _database_fails(monkeypatch: pytest.MonkeyPatch, times: int) -> None:
    real, calls = sweeps.run_sweep, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) <= times:
            raise OperationalError("terminating connection due to administrator command")
        return real(*args, **kwargs)

    monkeypatch.setattr(sweeps, "run_sweep", flaky)


def _post(client: APIClient, body: dict, capture) -> BacktestSweep:
    with capture(execute=True):  # eager: the chunk, and its retry, run at once
        response = client.post("/api/backtest/sweeps", body, format="json")
    assert response.status_code == 202, response.content
    return BacktestSweep.objects.get(pk=response.json()["id"])


def test_a_database_error_retries_the_chunk_with_the_attempt_counted(
    auth_client: APIClient,
    sweep_body: dict,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks,
) -> None:
    _database_fails(monkeypatch, 1)
    sweep = _post(auth_client, sweep_body, django_capture_on_commit_callbacks)
    sweep.refresh_from_db()
    assert (sweep.status, sweep.error) == (RunStatus.DONE, "")
    assert list(SweepChunk.objects.filter(sweep=sweep).values_list("attempts", flat=True)) == [2]


def test_a_chunk_the_database_keeps_failing_fails_the_sweep_with_the_reason(
    auth_client: APIClient,
    sweep_body: dict,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks,
) -> None:
    _database_fails(monkeypatch, 99)
    sweep = _post(auth_client, sweep_body, django_capture_on_commit_callbacks)
    sweep.refresh_from_db()
    assert sweep.status == RunStatus.FAILED
    assert "the database failed 3 times (OperationalError: terminating connection" in sweep.error
