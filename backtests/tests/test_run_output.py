"""What a run answers beyond its trades: a keep_open position, times in the caller's zone,
display rounding to the tick, sweeps' display rows, ETags, gzip and the result rendered once."""

from __future__ import annotations

import csv
import gzip
import io
import json
import zoneinfo

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from algobacktester.jsonout import dumps
from backtests import presentation, storage
from backtests.api import serializers
from backtests.models import BacktestRun, BacktestTrade
from strategies.services import strategy_update

pytestmark = pytest.mark.django_db


def _run(client: APIClient, body: dict, capture) -> dict:
    with capture(execute=True):
        response = client.post("/api/backtest", body, format="json")
    assert response.status_code == 202, response.content
    return client.get(f"/api/backtest/{response.json()['id']}").json()


def _without_exit(strategy) -> None:
    """The SMA cross with its exit gate removed: one entry, never closed."""
    graph = strategy.graph
    graph["nodes"] = [n for n in graph["nodes"] if n["id"] not in ("flat", "sell", "cross_down")]
    graph["edges"] = [
        e
        for e in graph["edges"]
        if not any(e[end].startswith(("flat.", "sell.", "cross_down.")) for end in ("from", "to"))
    ]
    strategy_update(strategy=strategy, data={"graph": graph})


def test_keep_open_position_is_in_the_detail_the_reason_and_the_csv(
    auth_client: APIClient, run_body: dict, sma_strategy, django_capture_on_commit_callbacks
) -> None:
    _without_exit(sma_strategy)
    body = {**run_body, "end_of_data": "keep_open"}
    detail = _run(auth_client, body, django_capture_on_commit_callbacks)
    assert detail["status"] == "done", detail["error"]
    trades = auth_client.get(f"/api/backtest/{detail['id']}/trades").json()
    assert trades["count"] == detail["stats"]["trades"] == 0 and trades["results"] == []
    pos = detail["open_position"]
    assert pos["side"] == "long" and pos["qty"] == 2.0 and pos["entries"] == 1
    assert pos["entry_time"].endswith("+05:30")
    assert pos["display"]["unrealised_pnl"] == f"{pos['unrealised_pnl']:.2f}"
    assert pos["display"]["mark_price"] == f"{pos['mark_price']:.2f}"
    # Equity includes the marked position, which is why the run must show it.
    assert detail["stats"]["equity_final"] == pytest.approx(100000 + pos["unrealised_pnl"])
    assert detail["no_trades_reason"] == (
        f"No closed trades: one long position opened {pos['entry_time']} is still open "
        "(end_of_data keep_open); see open_position."
    )
    text = auth_client.get(f"/api/backtest/{detail['id']}/trades.csv").content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1
    assert rows[0]["exit_reason"] == "open" and rows[0]["seq"] == "" and rows[0]["exit_time"] == ""
    assert rows[0]["entry_time"] == pos["entry_time"]
    assert rows[0]["exit_price"] == pos["display"]["mark_price"]
    assert rows[0]["pnl"] == pos["display"]["unrealised_pnl"]

    auth_client.patch("/api/auth/me", {"timezone": "Europe/London"}, format="json")
    again = auth_client.get(f"/api/backtest/{detail['id']}").json()
    assert again["open_position"]["entry_time"][-6:] in ("+00:00", "+01:00")


def test_a_closed_run_has_no_open_position(
    auth_client: APIClient, run_body: dict, django_capture_on_commit_callbacks
) -> None:
    detail = _run(auth_client, run_body, django_capture_on_commit_callbacks)
    assert detail["open_position"] is None
    text = auth_client.get(f"/api/backtest/{detail['id']}/trades.csv").content.decode()
    assert all(r["exit_reason"] != "open" for r in csv.DictReader(io.StringIO(text)))


def test_raw_stats_times_and_display_prices_follow_the_user(
    auth_client: APIClient, run_body: dict, django_capture_on_commit_callbacks
) -> None:
    auth_client.patch("/api/auth/me", {"timezone": "UTC"}, format="json")
    detail = _run(auth_client, run_body, django_capture_on_commit_callbacks)
    assert detail["stats"]["start"].endswith("+00:00"), detail["stats"]["start"]
    assert detail["stats"]["end"].endswith("+00:00")
    trades = auth_client.get(f"/api/backtest/{detail['id']}/trades").json()
    shown = trades["results"][0]["display"]
    assert len(shown["entry_price"].split(".")[1]) == 2, shown  # the tick 0.05, not 0.0500
    assert len(shown["exit_price"].split(".")[1]) == 2


def test_answers_carry_an_etag_honour_if_none_match_and_gzip(
    auth_client: APIClient, run_body: dict, django_capture_on_commit_callbacks
) -> None:
    detail = _run(auth_client, run_body, django_capture_on_commit_callbacks)
    for url in (f"/api/backtest/{detail['id']}", f"/api/backtest/{detail['id']}/trades"):
        first = auth_client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate")
        assert first.status_code == 200 and first["Content-Encoding"] == "gzip", url
        assert json.loads(gzip.decompress(first.content)) == auth_client.get(url).json()
        tag = first["ETag"]
        same = auth_client.get(url, HTTP_IF_NONE_MATCH=f'"other", W/{tag}')
        assert same.status_code == 304 and same.content == b"" and same["ETag"] == tag
        assert auth_client.get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200
    # A change the answer shows is a new tag.
    tag = auth_client.get(f"/api/backtest/{detail['id']}")["ETag"]
    auth_client.patch("/api/auth/me", {"timezone": "UTC"}, format="json")
    moved = auth_client.get(f"/api/backtest/{detail['id']}", HTTP_IF_NONE_MATCH=tag)
    assert moved.status_code == 200 and moved["ETag"] != tag


def test_the_result_part_is_rendered_once_and_older_runs_on_first_read(
    auth_client: APIClient, run_body: dict, django_capture_on_commit_callbacks
) -> None:
    detail = _run(auth_client, run_body, django_capture_on_commit_callbacks)
    run = BacktestRun.objects.get(pk=detail["id"])
    assert run.result_zone == "Asia/Kolkata" and json.loads(run.result_body)["stats"]
    assert {"claim", "read", "engine", "store", "progress"} <= set(run.stage_ms)
    # A run stored before the bytes existed answers the same, and keeps them from then on.
    BacktestRun.objects.filter(pk=run.pk).update(result_body=None, result_zone="")
    storage._KEPT.clear()  # as another web process, which has not served it yet
    assert auth_client.get(f"/api/backtest/{run.pk}").json() == detail
    assert BacktestRun.objects.get(pk=run.pk).result_zone == "Asia/Kolkata"


def test_sweeps_answer_display_rows(
    auth_client: APIClient, run_body: dict, django_capture_on_commit_callbacks
) -> None:
    # Two weeks: too few days for an annualised ratio (null), so rank by return.
    sweep = {**run_body, "grid": {"ma_fast.timeperiod": [3, 5]}, "metric": "return_pct"}
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post("/api/backtest/sweeps", sweep, format="json")
    detail = auth_client.get(f"/api/backtest/sweeps/{response.json()['id']}").json()
    best, shown = detail["best"], detail["best_display"]
    assert shown["ma_fast.timeperiod"] == best["ma_fast.timeperiod"]  # a parameter, as is
    assert shown["return_pct"] == f"{best['return_pct']:.2f}"
    assert shown["equity_final"] == f"{best['equity_final']:.2f}"
    assert len(detail["results_display"]) == len(detail["results"]) == 2
    assert detail["results_display"][0]["win_rate_pct"] == presentation.to_step(
        detail["results"][0]["win_rate_pct"], "0.01"
    )


def test_every_engine_rejection_reason_has_help() -> None:
    from engine.sim.layout import REJECT_REASONS

    assert set(REJECT_REASONS.values()) <= set(presentation.REJECTION_HELP)
    for reason in REJECT_REASONS.values():
        text = presentation.no_trades_reason(stats={"trades": 0}, counts={reason: 3}, bars=10)
        assert "see the engine docs" not in text
        assert presentation.REJECTION_HELP[reason] in text


def test_prices_show_the_ticks_own_places() -> None:
    from decimal import Decimal

    assert presentation.to_step(Decimal("23532.4000"), Decimal("0.0500")) == "23532.40"
    assert presentation.to_step(23532.43, "1") == "23532"
    assert presentation.to_step(23535, "10") == "23540"


def test_close_at_end_true_with_keep_open_is_a_400(auth_client: APIClient, run_body: dict) -> None:
    body = {**run_body, "close_at_end": True, "end_of_data": "keep_open"}
    response = auth_client.post("/api/backtest", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == "end_of_data"
    assert "contradicts close_at_end=true" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "UTC"])
def test_trade_rows_are_what_the_trade_serializer_answers(
    auth_client: APIClient, run_body: dict, django_capture_on_commit_callbacks, zone: str
) -> None:
    auth_client.patch("/api/auth/me", {"timezone": zone}, format="json")
    detail = _run(auth_client, run_body, django_capture_on_commit_callbacks)
    run = BacktestRun.objects.select_related("instrument").get(pk=detail["id"])
    trades = BacktestTrade.objects.filter(run=run).order_by("seq")
    tick = run.instrument.tick_size
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        fast = serializers.trade_rows(list(trades.values(*serializers.TRADE_VALUES)), tick=tick)
        slow = serializers.TradeSerializer(trades, many=True, context={"tick_size": tick}).data
    assert len(fast) > 10 and json.loads(dumps(fast)) == json.loads(dumps(slow))
    page = auth_client.get(f"/api/backtest/{run.pk}/trades?page_size=200").json()["results"]
    assert page == json.loads(dumps(fast))[:200]
