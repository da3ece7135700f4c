"""Backtests through the API, in eager mode: request, results, re-run, failures, limits."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from backtests.models import BacktestRun, BacktestTrade, RunStatus
from engine.graph import example_documents
from strategies.services import strategy_create, strategy_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(auth_client: APIClient, sma_strategy) -> APIClient:
    return auth_client  # sma_strategy belongs to auth_client.user (the same `user` fixture)


def submit(client: APIClient, body: dict, capture) -> dict:
    with capture(execute=True):
        response = client.post("/api/backtest", body, format="json")
    assert response.status_code == 202, response.content
    return response.json()


def fields(response) -> list:
    return [e["field"] for e in response.json()["errors"]]


def test_request_runs_and_stores_results(
    client: APIClient, run_body: dict, django_capture_on_commit_callbacks
) -> None:
    accepted = submit(client, run_body, django_capture_on_commit_callbacks)
    detail = client.get(f"/api/backtest/{accepted['id']}").json()
    assert detail["status"] == "done", detail["error"]
    assert detail["progress"] == 100.0
    assert detail["bars"] == 3750
    trades = client.get(f"/api/backtest/{accepted['id']}/trades").json()
    assert "trades" not in detail  # paged at /trades
    assert detail["stats"]["trades"] == trades["count"] > 0
    assert detail["strategy_version"]["number"] == 1
    assert detail["data_hash"] and detail["engine_version"]
    assert len(detail["equity_curve"]) == 2000
    assert detail["equity_curve"][0][1] == pytest.approx(100000.0)
    trade = trades["results"][0]
    assert float(trade["quantity"]) == 2.0
    assert trade["exit_reason"] in {"signal", "end"}
    pnl = sum(float(t.pnl) for t in BacktestTrade.objects.filter(run_id=accepted["id"]))
    assert pnl == pytest.approx(detail["stats"]["equity_final"] - 100000.0, abs=0.05)


def test_rerun_gives_identical_trades(
    client: APIClient, run_body: dict, django_capture_on_commit_callbacks
) -> None:
    first = submit(client, run_body, django_capture_on_commit_callbacks)["id"]
    # Editing the strategy afterwards must not change what a re-run of the pinned version does.
    strategy = BacktestRun.objects.get(pk=first).strategy
    graph = example_documents()["sma_cross"]
    graph["nodes"][1]["params"]["timeperiod"] = 3
    strategy_update(strategy=strategy, data={"graph": graph})
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(f"/api/backtest/{first}/rerun")
    assert again.status_code == 202
    second = again.json()["id"]

    def rows(rid: int) -> list:
        return list(
            BacktestTrade.objects.filter(run_id=rid).values_list(
                "side", "entry_time", "exit_time", "entry_price", "exit_price", "quantity", "pnl"
            )
        )

    assert rows(first) == rows(second)
    a, b = BacktestRun.objects.get(pk=first), BacktestRun.objects.get(pk=second)
    assert (a.data_hash, a.strategy_version_id, a.stats) == (
        b.data_hash,
        b.strategy_version_id,
        b.stats,
    )
    assert b.rerun_of_id == first


def test_missing_candles_fail_with_a_readable_reason(
    client: APIClient, run_body: dict, django_capture_on_commit_callbacks
) -> None:
    body = {**run_body, "start": "2024-01-01", "end": "2024-03-31"}
    run_id = submit(client, body, django_capture_on_commit_callbacks)["id"]
    detail = client.get(f"/api/backtest/{run_id}").json()
    assert detail["status"] == "failed"
    assert detail["error"] == (
        "no NIFTY 1m candles between 2024-01-01 and 2024-03-31: import or ingest them first"
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"start": "2026-13-01"}, "start"),
        ({"start": "9999-12-31", "end": "9999-12-31"}, "start"),
        ({"end": "9999-12-31"}, "end"),
        ({"start": "0001-01-01"}, "start"),
        ({"end": "2026-06-01"}, "end"),
        ({"instrument": 999999}, "instrument"),
        ({"instrument": "NOSUCH"}, "instrument"),
        ({"instrument": ["NIFTY"]}, "instrument"),
        ({"capital": "-5"}, "capital"),
        ({"capital": "abc"}, "capital"),
        ({"fees": {"model": "nope"}}, "fees.model"),
        ({"fees": {"model": "percent", "params": {"bogus": 1}}}, "fees.model"),
        ({"sizing": {"mode": "percent", "value": 150}}, "sizing.value"),
        ({"sizing": {"mode": "magic"}}, "sizing.mode"),
        ({"fill": "tomorrow"}, "fill"),
        ({"timeframe": "5m"}, "timeframe"),
        ({"strategy": "x"}, "strategy"),
        ({"strategy": 10**30}, "strategy"),
        ({"instrument": 10**30}, "instrument"),
        ({"version": 9}, None),
    ],
)
def test_bad_requests_are_4xx_naming_the_field(
    client: APIClient, run_body: dict, change: dict, field: str | None
) -> None:
    response = client.post("/api/backtest", {**run_body, **change}, format="json")
    if field is None:
        assert response.status_code == 404
        assert fields(response) == ["version"]
    else:
        assert response.status_code == 400, response.content
        assert field in fields(response)
    assert not BacktestRun.objects.exists()


def test_an_invalid_strategy_version_is_refused(client: APIClient, run_body: dict, user) -> None:
    draft = strategy_create(owner=user, name="Draft")
    response = client.post("/api/backtest", {**run_body, "strategy": draft.pk}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_graph"
    assert "not runnable" in response.json()["detail"]
    assert not BacktestRun.objects.exists()


def test_bar_cap_is_a_400_before_queueing(client: APIClient, run_body: dict, settings) -> None:
    settings.BACKTESTS = {**settings.BACKTESTS, "MAX_BARS": 1000}
    response = client.post("/api/backtest", run_body, format="json")
    assert response.status_code == 400
    assert fields(response) == ["end"]
    assert not BacktestRun.objects.exists()


def test_concurrent_run_cap_is_429(client: APIClient, run_body: dict, settings) -> None:
    settings.BACKTESTS = {**settings.BACKTESTS, "MAX_CONCURRENT_RUNS": 2}
    for _ in range(2):  # not executed: they stay queued
        assert client.post("/api/backtest", run_body, format="json").status_code == 202
    response = client.post("/api/backtest", run_body, format="json")
    assert response.status_code == 429
    assert "concurrent runs" in response.json()["detail"]
    assert BacktestRun.objects.count() == 2


def test_cancel_delete_and_csv(
    client: APIClient, run_body: dict, django_capture_on_commit_callbacks
) -> None:
    queued = client.post("/api/backtest", run_body, format="json").json()["id"]
    cancelled = client.post(f"/api/backtest/{queued}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    again = client.post(f"/api/backtest/{queued}/cancel")
    assert again.status_code == 400
    assert fields(again) == ["status"]

    done = submit(client, run_body, django_capture_on_commit_callbacks)["id"]
    csv = client.get(f"/api/backtest/{done}/trades.csv")
    assert csv.status_code == 200
    lines = csv.content.decode().strip().splitlines()
    assert lines[0].startswith("seq,side,entry_time")
    assert len(lines) - 1 == BacktestTrade.objects.filter(run_id=done).count()

    assert client.delete(f"/api/backtest/{done}").status_code == 204
    assert client.get(f"/api/backtest/{done}").status_code == 404
    assert not BacktestTrade.objects.filter(run_id=done).exists()


def test_list_filters(
    client: APIClient, run_body: dict, django_capture_on_commit_callbacks
) -> None:
    submit(client, run_body, django_capture_on_commit_callbacks)
    client.post("/api/backtest", run_body, format="json")  # stays queued
    assert client.get("/api/backtest").json()["count"] == 2
    assert client.get("/api/backtest?status=done").json()["count"] == 1
    assert client.get(f"/api/backtest?strategy={run_body['strategy']}").json()["count"] == 2
    assert client.get("/api/backtest?strategy=0").json()["count"] == 0
    for query, field in [
        ("strategy=99999999999999999999999", "strategy"),
        ("status=weird", "status"),
        ("strategy=abc", "strategy"),
    ]:
        bad = client.get(f"/api/backtest?{query}")
        assert bad.status_code == 400 and fields(bad) == [field], query


def test_trades_are_paginated(
    client: APIClient, run_body: dict, django_capture_on_commit_callbacks
) -> None:
    run_id = submit(client, run_body, django_capture_on_commit_callbacks)["id"]
    total = BacktestTrade.objects.filter(run_id=run_id).count()
    page = client.get(f"/api/backtest/{run_id}/trades?page=2&page_size=5").json()
    assert page["count"] == total
    assert [t["seq"] for t in page["results"]] == list(range(6, 11))
    assert page["next"].endswith("page=3&page_size=5") and page["previous"]
    assert client.get(f"/api/backtest/{run_id}/trades?page=9999").status_code == 404
    moved = client.get(f"/api/backtest/{run_id}?trades_page=2")  # not silently ignored
    assert moved.status_code == 400 and fields(moved) == ["trades_page"]


def test_cross_user_runs_are_404(
    client: APIClient, run_body: dict, make_user, django_capture_on_commit_callbacks
) -> None:
    run_id = submit(client, run_body, django_capture_on_commit_callbacks)["id"]
    other = APIClient()
    other.force_authenticate(make_user())
    for method, url in [
        ("get", f"/api/backtest/{run_id}"),
        ("delete", f"/api/backtest/{run_id}"),
        ("post", f"/api/backtest/{run_id}/cancel"),
        ("post", f"/api/backtest/{run_id}/rerun"),
        ("get", f"/api/backtest/{run_id}/trades.csv"),
    ]:
        assert getattr(other, method)(url).status_code == 404, (method, url)
    assert other.get("/api/backtest").json()["count"] == 0
    # nor can another user run a strategy that is not theirs
    foreign = other.post("/api/backtest", run_body, format="json")
    assert foreign.status_code == 404
    assert fields(foreign) == ["strategy"]
    assert BacktestRun.objects.get(pk=run_id).status == RunStatus.DONE
