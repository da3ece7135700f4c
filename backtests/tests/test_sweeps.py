"""Sweeps: chunks fan out, the last one gathers a table, the best row and a heatmap."""

from __future__ import annotations

import math

import pytest
from rest_framework.test import APIClient

from backtests import sweeps
from backtests.models import BacktestSweep, RunStatus, SweepChunk

pytestmark = pytest.mark.django_db


@pytest.fixture
def sweep_body(run_body: dict) -> dict:
    return {
        **run_body,
        "grid": {
            "ma_fast.timeperiod": {"start": 5, "stop": 15, "step": 5},
            "ma_slow.timeperiod": [20, 30],
        },
        "constraint": "ma_fast.timeperiod < ma_slow.timeperiod",
        "metric": "return_pct",
    }


def test_sweep_runs_in_chunks_and_gathers(
    auth_client: APIClient, sweep_body: dict, settings, django_capture_on_commit_callbacks
) -> None:
    settings.BACKTESTS = {**settings.BACKTESTS, "SWEEP_CHUNK": 4, "SWEEP_MIN_CHUNKS": 1}
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post("/api/backtest/sweeps", sweep_body, format="json")
    assert response.status_code == 202, response.content
    detail = auth_client.get(f"/api/backtest/sweeps/{response.json()['id']}").json()
    assert detail["status"] == "done", detail["error"]
    assert (detail["combinations"], detail["chunks_total"], detail["chunks_done"]) == (6, 2, 2)
    assert detail["progress"] == 100.0
    assert len(detail["results"]) == 6
    best = max(detail["results"], key=lambda r: r["return_pct"])
    assert detail["best"] == best
    heat = detail["heatmap"]
    assert heat["x_values"] == [5, 10, 15]
    assert heat["y_values"] == [20, 30]
    assert heat["z"][0][0] == next(
        r["return_pct"]
        for r in detail["results"]
        if (r["ma_fast.timeperiod"], r["ma_slow.timeperiod"]) == (5, 20)
    )
    listed = auth_client.get("/api/backtest/sweeps").json()
    assert listed["count"] == 1
    assert "results" not in listed["results"][0]
    # A finished sweep's answer is kept by the process, tagged, and follows the user's zone.
    url = f"/api/backtest/sweeps/{detail['id']}"
    tag = auth_client.get(url)["ETag"]
    assert auth_client.get(url, HTTP_IF_NONE_MATCH=tag).status_code == 304
    auth_client.patch("/api/auth/me", {"timezone": "UTC"}, format="json")
    moved = auth_client.get(url)
    assert moved["ETag"] != tag and moved.json()["created_at"].endswith(("+00:00", "Z"))


def test_sweep_matches_single_backtests(
    auth_client: APIClient, sweep_body: dict, run_body: dict, django_capture_on_commit_callbacks
) -> None:
    """A sweep row and a plain backtest of the same parameters agree."""
    from engine.graph import example_documents
    from strategies.services import strategy_create

    with django_capture_on_commit_callbacks(execute=True):
        sweep_id = auth_client.post("/api/backtest/sweeps", sweep_body, format="json").json()["id"]
    row = next(
        r
        for r in BacktestSweep.objects.get(pk=sweep_id).results
        if (r["ma_fast.timeperiod"], r["ma_slow.timeperiod"]) == (10, 30)
    )
    graph = example_documents()["sma_cross"]
    graph["nodes"][1]["params"]["timeperiod"], graph["nodes"][2]["params"]["timeperiod"] = 10, 30
    single = strategy_create(owner=auth_client.user, name="10/30", graph=graph)
    with django_capture_on_commit_callbacks(execute=True):
        run_id = auth_client.post(
            "/api/backtest", {**run_body, "strategy": single.pk}, format="json"
        ).json()["id"]
    stats = auth_client.get(f"/api/backtest/{run_id}").json()["stats"]
    assert row["return_pct"] == pytest.approx(stats["return_pct"])
    assert row["trades"] == stats["trades"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"grid": {}}, "grid"),
        ({"grid": "fast=1"}, "grid"),
        ({"grid": {"ma_fast.timeperiod": []}}, "grid.ma_fast.timeperiod"),
        ({"grid": {"ma_fast.timeperiod": ["a"]}}, "grid.ma_fast.timeperiod"),
        ({"grid": {"ma_fast.timeperiod": {"start": 5}}}, "grid.ma_fast.timeperiod"),
        (
            {"grid": {"ma_fast.timeperiod": {"start": 1, "stop": 1e9, "step": 1e-9}}},
            "grid.ma_fast.timeperiod",
        ),
        ({"grid": {"ma_fast.timeperiod": {"start": 1, "stop": "x"}}}, "grid.ma_fast.timeperiod"),
        ({"grid": {"ma_fast.timeperiod": [0, 5]}}, "grid.ma_fast.timeperiod"),
        ({"grid": {"nosuch.timeperiod": [5]}}, "grid.nosuch.timeperiod"),
        ({"grid": {"": [5]}}, "grid"),
        ({"grid": {" ": [5]}}, "grid. "),
        ({"grid": {"a b.c": [5]}}, "grid.a b.c"),
        ({"grid": {"x=y": [5]}}, "grid.x=y"),
        ({"grid": {"bad path!": [5]}}, "grid.bad path!"),
        ({"grid": {"ma_fast.timeperiod\n": [5]}}, "grid.ma_fast.timeperiod\n"),
        ({"start": "9999-12-31", "end": "9999-12-31"}, "start"),
        ({"end": "9999-12-31"}, "end"),
        ({"metric": "vibes"}, "metric"),
        ({"constraint": "ma_fast.timeperiod > 1000"}, "constraint"),
        ({"constraint": "rubbish"}, "constraint"),
    ],
)
def test_bad_sweeps_are_400(
    auth_client: APIClient, sweep_body: dict, change: dict, field: str
) -> None:
    body = {**sweep_body, **change}
    if "grid" in change:
        body.pop("constraint")  # it names ma_slow, which these grids do not sweep
    response = auth_client.post("/api/backtest/sweeps", body, format="json")
    assert response.status_code == 400, response.content
    assert field in [e["field"] for e in response.json()["errors"]]
    assert not BacktestSweep.objects.exists()


def test_sweep_size_cap(auth_client: APIClient, sweep_body: dict, settings) -> None:
    settings.BACKTESTS = {**settings.BACKTESTS, "MAX_SWEEP_COMBINATIONS": 5}
    response = auth_client.post("/api/backtest/sweeps", sweep_body, format="json")
    assert response.status_code == 400
    assert "at most 5" in response.json()["detail"]
    assert not BacktestSweep.objects.exists()


def test_a_chunk_delivered_twice_counts_once(
    auth_client: APIClient, sweep_body: dict, settings
) -> None:
    settings.BACKTESTS = {**settings.BACKTESTS, "SWEEP_MIN_CHUNKS": 1}
    sweep_id = auth_client.post("/api/backtest/sweeps", sweep_body, format="json").json()["id"]
    assert sweeps.sweep_chunk_execute(sweep_id=sweep_id, index=0) == "done"
    assert sweeps.sweep_chunk_execute(sweep_id=sweep_id, index=0) == "skipped"
    sweep = BacktestSweep.objects.get(pk=sweep_id)
    assert sweep.chunks_done == 1
    assert sweep.status == RunStatus.DONE  # one chunk of 100 holds all six combinations
    assert SweepChunk.objects.get(sweep=sweep, index=0).status == RunStatus.DONE


def test_cancel_and_cross_user(auth_client: APIClient, sweep_body: dict, make_user) -> None:
    sweep_id = auth_client.post("/api/backtest/sweeps", sweep_body, format="json").json()["id"]
    other = APIClient()
    other.force_authenticate(make_user())
    status = BacktestSweep.objects.get(pk=sweep_id).status
    assert other.get(f"/api/backtest/sweeps/{sweep_id}").status_code == 404
    assert other.post(f"/api/backtest/sweeps/{sweep_id}/cancel").status_code == 404
    assert BacktestSweep.objects.get(pk=sweep_id).status == status != RunStatus.CANCELLED
    assert (
        auth_client.post(f"/api/backtest/sweeps/{sweep_id}/cancel").json()["status"] == "cancelled"
    )
    assert sweeps.sweep_chunk_execute(sweep_id=sweep_id, index=0) == "skipped"


def test_a_chunk_whose_worker_keeps_dying_fails_the_sweep(
    auth_client: APIClient, sweep_body: dict, settings
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    sweep_id = auth_client.post("/api/backtest/sweeps", sweep_body, format="json").json()["id"]
    SweepChunk.objects.filter(sweep_id=sweep_id).update(
        status=RunStatus.RUNNING,
        attempts=settings.BACKTESTS["MAX_ATTEMPTS"],
        lease_until=timezone.now() - timedelta(days=1),
    )
    assert sweeps.sweeps_reap() == 0
    sweep = BacktestSweep.objects.get(pk=sweep_id)
    assert sweep.status == RunStatus.FAILED
    assert "stopped 3 times" in sweep.error


def test_a_lost_chunk_is_requeued_and_its_dead_worker_cannot_count_it(
    auth_client: APIClient, sweep_body: dict, django_capture_on_commit_callbacks
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from workers.leases import Lease

    sweep_id = auth_client.post("/api/backtest/sweeps", sweep_body, format="json").json()["id"]
    chunk = SweepChunk.objects.get(sweep_id=sweep_id, index=0)
    SweepChunk.objects.filter(pk=chunk.pk).update(
        status=RunStatus.RUNNING, attempts=1, lease_until=timezone.now() - timedelta(seconds=1)
    )
    with django_capture_on_commit_callbacks(execute=True):  # eager: the re-sent chunk runs
        assert sweeps.sweeps_reap() == 1
    chunk.refresh_from_db()
    assert (chunk.status, chunk.attempts) == (RunStatus.DONE, 2)
    sweep = BacktestSweep.objects.get(pk=sweep_id)
    dead = Lease(SweepChunk, chunk.pk, 1, RunStatus.RUNNING)  # the first worker wakes up
    assert sweeps._chunk_done(dead, sweep, 0, [], sweep.data_hash) == "skipped"
    assert BacktestSweep.objects.get(pk=sweep_id).chunks_done == 1


def test_sweeps_count_towards_the_concurrency_cap(
    auth_client: APIClient, sweep_body: dict, settings
) -> None:
    settings.BACKTESTS = {**settings.BACKTESTS, "MAX_CONCURRENT_RUNS": 1}
    assert auth_client.post("/api/backtest/sweeps", sweep_body, format="json").status_code == 202
    refused = auth_client.post("/api/backtest/sweeps", sweep_body, format="json")
    assert refused.status_code == 429 and "concurrent runs" in refused.json()["detail"]
    assert BacktestSweep.objects.count() == 1


def test_chunks_that_read_different_data_fail_the_sweep(
    auth_client: APIClient, sweep_body: dict, settings
) -> None:
    settings.BACKTESTS = {**settings.BACKTESTS, "SWEEP_CHUNK": 4, "SWEEP_MIN_CHUNKS": 1}
    sweep_id = auth_client.post("/api/backtest/sweeps", sweep_body, format="json").json()["id"]
    assert sweeps.sweep_chunk_execute(sweep_id=sweep_id, index=0) == "done"
    BacktestSweep.objects.filter(pk=sweep_id).update(data_hash="md1:someone-else's-candles")
    assert sweeps.sweep_chunk_execute(sweep_id=sweep_id, index=1) == "failed"
    sweep = BacktestSweep.objects.get(pk=sweep_id)
    assert sweep.status == RunStatus.FAILED
    assert "different candles" in sweep.error


@pytest.mark.parametrize("combinations", [1, 5, 23, 24, 25, 100, 890, 5000])
def test_chunks_split_a_sweep_evenly_and_cover_it(combinations: int, settings) -> None:
    settings.BACKTESTS = {**settings.BACKTESTS, "SWEEP_CHUNK": 100, "SWEEP_MIN_CHUNKS": 24}
    total = sweeps.chunks_for(combinations)
    assert total == max(min(combinations, 24), math.ceil(combinations / 100))
    parts = [range(combinations)[sweeps.chunk_slice(combinations, total, i)] for i in range(total)]
    assert all(len(p) > 0 for p in parts)  # no empty chunk (it would fail its sweep)
    assert max(map(len, parts)) - min(map(len, parts)) <= 1  # even: no worker waits on one
    assert [i for p in parts for i in p] == list(range(combinations))


def test_a_workers_chunks_of_one_sweep_read_the_candles_once(
    auth_client: APIClient, sweep_body: dict, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.BACKTESTS = {**settings.BACKTESTS, "SWEEP_CHUNK": 2, "SWEEP_MIN_CHUNKS": 1}
    reads = []
    real = sweeps.md.candles_load
    monkeypatch.setattr(sweeps.md, "candles_load", lambda **kw: reads.append(1) or real(**kw))
    sweep_id = auth_client.post("/api/backtest/sweeps", sweep_body, format="json").json()["id"]
    for index in range(3):
        assert sweeps.sweep_chunk_execute(sweep_id=sweep_id, index=index) == "done"
    assert len(reads) == 1
    sweep = BacktestSweep.objects.get(pk=sweep_id)
    assert sweep.status == RunStatus.DONE and len(sweep.results) == 6
