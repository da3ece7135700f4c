"""A strategy with option legs runs through POST /api/backtest trading premiums, or is refused
before it is queued with the field named; a sweep still refuses legs."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from backtests.models import BacktestRun, BacktestSweep, BacktestTrade
from engine.graph import example_documents
from engine.graph.examples import edge
from strategies.services import strategy_create

pytestmark = pytest.mark.django_db

MODEL = {"premium_source": "model", "iv": 0.13}


@pytest.fixture
def put_strategy(user):
    return strategy_create(
        owner=user, name="EMA cross sells a put", graph=example_documents()["ema_atm_put"]
    )


@pytest.fixture
def leg_body(run_body: dict, put_strategy) -> dict:
    body = {k: v for k, v in run_body.items() if k != "sizing"}
    return {**body, "strategy": put_strategy.pk, "capital": "2000000"}


def _post(client: APIClient, body: dict):
    return client.post("/api/backtest", body, format="json")


def _fields(response) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


def test_a_leg_run_without_a_premium_source_names_it(auth_client, leg_body) -> None:
    response = _post(auth_client, leg_body)
    assert response.status_code == 400, response.content
    assert _fields(response) == ["options.premium_source"]
    assert not BacktestRun.objects.exists()


@pytest.mark.parametrize(
    ("options", "field", "text"),
    [
        ({"premium_source": "model"}, "options.iv", "need an iv"),
        ({"premium_source": "real"}, "options.premium_source", "none are stored"),
        ({"premium_source": "real", "iv": 0.2}, "options.iv", "use no IV"),
        (
            {"premium_source": "model", "iv": 0.2, "iv_series": "auto"},
            "options.iv_series",
            "not both",
        ),
        ({"premium_source": "model", "iv_series": "atm_iv"}, "options.iv_series", "no stored"),
        ({"premium_source": "bs"}, "options.premium_source", ""),
    ],
)
def test_options_missing_what_their_source_needs_are_refused(
    auth_client, leg_body, options: dict, field: str, text: str
) -> None:
    response = _post(auth_client, {**leg_body, "options": options})
    assert response.status_code == 400, response.content
    assert field in _fields(response)
    assert text in response.content.decode()
    assert not BacktestRun.objects.exists()


def test_sizing_beside_legs_and_options_without_legs_are_refused(
    auth_client, leg_body, run_body
) -> None:
    sized = _post(auth_client, {**leg_body, "options": MODEL, "sizing": {"mode": "lots"}})
    assert sized.status_code == 400 and _fields(sized) == ["sizing"]
    plain = _post(auth_client, {**run_body, "options": MODEL})
    assert plain.status_code == 400 and _fields(plain) == ["options"]


def test_a_model_leg_run_trades_put_premiums_never_the_index(
    auth_client, leg_body, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(auth_client, {**leg_body, "options": MODEL})
    assert response.status_code == 202, response.content
    detail = auth_client.get(f"/api/backtest/{response.json()['id']}").json()
    assert detail["status"] == "done", detail["error"]
    run = BacktestRun.objects.get()
    assert run.config["options"]["premium_source"] == "model"
    assert detail["stats"]["premium_source"] == "model"
    assert set(detail["stats"]["leg_stats"]) == {"sell_put"}
    trades = list(BacktestTrade.objects.filter(run=run))
    assert trades, "the EMA 20/50 cross fires on ten days of demo bars"
    for t in trades:
        assert t.option["option_type"] == "PE" and t.option["position"] == "sell"
        assert t.option["premium_source"] == "model"
        assert float(t.entry_price) == pytest.approx(t.option["premium_in"], abs=1e-4)
        assert float(t.entry_price) < 2_000  # a premium, not the index
        assert t.option["units"] == t.option["lots"] * t.option["lot_size"]
    page = auth_client.get(f"/api/backtest/{run.pk}/trades").json()
    shown = page["results"][0]["option"]
    assert shown["contract"].startswith("NIFTY ") and shown["premium_source"] == "model"
    csv_lines = auth_client.get(f"/api/backtest/{run.pk}/trades.csv").content.decode().splitlines()
    header, first = csv_lines[0].split(","), csv_lines[1].split(",")
    assert header[-10:] == [
        "contract",
        "expiry",
        "strike",
        "option_type",
        "position",
        "lots",
        "units",
        "premium_source",
        "group",
        "leg",
    ]
    assert first[header.index("contract")] == shown["contract"]


def test_a_leg_fired_by_an_exit_gate_is_not_executable(auth_client, user, leg_body) -> None:
    graph = example_documents()["ema_atm_put"]
    graph["edges"] = [e for e in graph["edges"] if e["to"] != "sell_put.trigger"]
    graph["edges"].append(edge("flat.fire", "sell_put.trigger"))
    strategy = strategy_create(owner=user, name="Exit leg", graph=graph)
    response = _post(auth_client, {**leg_body, "strategy": strategy.pk, "options": MODEL})
    assert response.status_code == 400, response.content
    error = response.json()
    assert error["code"] == "not_executable"
    assert {e["node"] for e in error["errors"]} == {"sell_put", "go_long"}


def test_an_option_leg_sweep_is_refused(auth_client, leg_body) -> None:
    body = {
        **leg_body,
        "grid": {"ma_fast.timeperiod": [10, 20]},
        "metric": "return_pct",
    }
    response = auth_client.post("/api/backtest/sweeps", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["node"] == "sell_put"
    assert "not in sweeps" in response.json()["errors"][0]["message"]
    assert not BacktestSweep.objects.exists()


def test_an_order_quantity_beside_a_size_from_equity_is_a_400(auth_client, user, run_body) -> None:
    graph = example_documents()["sma_cross"]
    for n in graph["nodes"]:
        if n["id"] == "buy":
            n["params"]["quantity"] = 2
    strategy = strategy_create(owner=user, name="Two lots", graph=graph)
    body = {**run_body, "strategy": strategy.pk, "sizing": {"mode": "percent", "value": 10}}
    response = _post(auth_client, body)
    assert response.status_code == 400, response.content
    assert _fields(response) == ["sizing.mode"]


def _stored_contracts(day, strikes, lot: int = 65) -> None:
    """Option rows of the NIFTY weekly expiring on ``day`` with one day of 1m candles:
    every CE at 100 + 0.01 x minute, every PE flat at 80."""
    from datetime import datetime, time
    from decimal import Decimal

    import numpy as np
    import pandas as pd

    from engine.markets.calendar import IST
    from marketdata import services
    from marketdata.frames import BarFrame
    from marketdata.models import Instrument

    start = int(pd.Timestamp(datetime.combine(day, time(9, 15), tzinfo=IST)).value)
    ts = start + np.arange(375, dtype=np.int64) * 60_000_000_000
    for strike in strikes:
        for right in ("CE", "PE"):
            row = Instrument.objects.create(
                exchange="NSE",
                segment=Instrument.Segment.NSE_FNO,
                symbol=f"NIFTY-{day:%Y-%m-%d}-{strike}-{right}",
                kind=Instrument.Kind.OPTION,
                underlying="NIFTY",
                expiry=day,
                strike=Decimal(strike),
                option_type=right,
                lot_size=lot,
                tick_size=Decimal("0.05"),
                security_id=f"{strike}{right}",
            )
            c = 100 + 0.01 * np.arange(375) if right == "CE" else np.full(375, 80.0)
            frame = BarFrame.build(ts, c, c, c, c, np.full(375, 10.0), None)
            services.candles_ingest(instrument=row, timeframe="1m", frame=frame)


def test_a_straddle_on_stored_premiums_trades_the_stored_contracts(
    auth_client, user, run_body, nifty, django_capture_on_commit_callbacks
) -> None:
    from datetime import date

    from marketdata import selectors as md

    day = date(2026, 6, 30)  # a Tuesday: that week's NIFTY expiry (Tuesdays from Sep 2025)
    bars = md.candles_load(instrument=nifty, timeframe="1m", start=day, end=day)
    spot = float(bars.close[4])  # 09:19's close decides
    atm = round(spot / 50) * 50
    _stored_contracts(day, range(atm - 150, atm + 151, 50))
    strategy = strategy_create(
        owner=user, name="Straddle", graph=example_documents()["short_straddle_0920"]
    )
    body = {k: v for k, v in run_body.items() if k != "sizing"}
    body |= {"strategy": strategy.pk, "start": "2026-06-30", "end": "2026-06-30"}
    body |= {"capital": "2000000", "fees": {"model": "zero"}}
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(auth_client, {**body, "options": {"premium_source": "real"}})
    assert response.status_code == 202, response.content
    detail = auth_client.get(f"/api/backtest/{response.json()['id']}").json()
    assert detail["status"] == "done", detail["error"]
    trades = {t.option["option_type"]: t for t in BacktestTrade.objects.all()}
    ce, pe = trades["CE"], trades["PE"]
    assert ce.option["strike"] == pe.option["strike"] == float(atm)
    assert ce.option["expiry"] == "2026-06-30" and ce.option["premium_source"] == "real"
    # sold at the 09:20 open (minute 5) and bought back at the 15:15 square-off (minute 360)
    assert ce.option["premium_in"] == pytest.approx(100.05)
    assert ce.option["premium_out"] == pytest.approx(103.60)
    assert float(ce.pnl) == pytest.approx(-(103.60 - 100.05) * 65, abs=0.01)
    assert float(pe.pnl) == pytest.approx(0.0, abs=0.01)
    assert ce.exit_reason == pe.exit_reason == "square_off"
    assert ce.option["group"] == pe.option["group"]
