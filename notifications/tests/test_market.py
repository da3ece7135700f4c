"""Market-condition rules: validated graphs, evaluation on the latest closed bar, once a bar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from engine.bars import Bars
from engine.graph.examples import document, edge, node
from notifications import services
from notifications.models import AlertRule, Delivery
from notifications.tasks import market_rules_evaluate_task

pytestmark = pytest.mark.django_db
START = datetime(2026, 11, 23, 3, 45, tzinfo=UTC)  # Monday 09:15 IST
CLOSES = np.concatenate([np.linspace(100, 90, 50), [90.0, 112.0]])  # crosses EMA 20 on the last bar


def close_above_ema(timeframe: str = "5m") -> dict:
    """ "NIFTY 5m close crosses above EMA 20"."""
    return document(
        "close crosses above EMA 20",
        [
            node("close", "source", field="close"),
            node("ema", "indicator", indicator="EMA", timeperiod=20),
            node("cross", "condition", op="crosses_above"),
            node("fire", "entry", side="long"),
        ],
        [
            edge("close.out", "ema.price"),
            edge("close.out", "cross.a"),
            edge("ema.out", "cross.b"),
            edge("cross.out", "fire.when"),
        ],
        timeframe,
    )


def _bars(closes: np.ndarray = CLOSES) -> Bars:
    ts = np.array(
        [int((START + timedelta(minutes=5 * i)).timestamp()) * 10**9 for i in range(len(closes))]
    )
    return Bars.from_arrays(ts, closes, closes + 1, closes - 1, closes)


AFTER_LAST_CLOSE = START + timedelta(minutes=5 * len(CLOSES), seconds=10)


def _loader(bars: Bars):
    def load(*, symbol, timeframe, start, end):
        assert (symbol, timeframe) == ("NIFTY", "5m")
        return bars

    return load


def _market_rule(user, **fields) -> AlertRule:
    base = {
        "name": "NIFTY x EMA20",
        "kind": "market",
        "instrument": "NIFTY",
        "timeframe": "5m",
        "condition": close_above_ema(),
        "channels": ["push"],
    }
    return AlertRule.objects.create(owner=user, **{**base, **fields})


def test_fires_once_per_bar_even_when_evaluated_twice(user, notif_settings) -> None:
    rule = _market_rule(user)
    load = _loader(_bars())
    assert services.market_rules_evaluate(now=AFTER_LAST_CLOSE, loader=load) == 1
    assert (
        services.market_rules_evaluate(now=AFTER_LAST_CLOSE + timedelta(seconds=30), loader=load)
        == 0
    )
    delivery = Delivery.objects.get()
    assert delivery.rule == rule and delivery.event_type == "market.condition"
    assert delivery.dedupe_key.endswith("bar:2026-11-23T08:00:00+00:00")  # the bar's start
    assert "close 112" in delivery.body


def test_the_forming_bar_is_not_evaluated(user, notif_settings) -> None:
    _market_rule(user)
    early = AFTER_LAST_CLOSE - timedelta(minutes=1)  # the crossing bar has not closed yet
    assert services.market_rules_evaluate(now=early, loader=_loader(_bars())) == 0


def test_no_crossing_no_alert_and_stale_bars_are_ignored(user, notif_settings) -> None:
    _market_rule(user)
    flat = _bars(np.full(len(CLOSES), 100.0))
    assert services.market_rules_evaluate(now=AFTER_LAST_CLOSE, loader=_loader(flat)) == 0
    late = AFTER_LAST_CLOSE + timedelta(hours=20)
    assert services.market_rules_evaluate(now=late, loader=_loader(_bars())) == 0
    assert not Delivery.objects.exists()


def test_a_loader_failure_is_recorded_on_the_rule(user, notif_settings) -> None:
    rule = _market_rule(user)

    def broken(**kwargs):
        raise LookupError("no candles")

    assert services.market_rules_evaluate(now=AFTER_LAST_CLOSE, loader=broken) == 0
    rule.refresh_from_db()
    assert rule.last_error == "candles unavailable: no candles"


def _instrument_with_candles():
    from marketdata.models import Candle, Instrument

    instrument = Instrument.objects.create(symbol="NIFTY", exchange="NSE", segment="IDX_I")
    bars = _bars()
    Candle.objects.bulk_create(
        Candle(
            instrument=instrument,
            timeframe="5m",
            ts=datetime.fromtimestamp(int(t) / 1e9, tz=UTC),
            open=c,
            high=c + 1,
            low=c - 1,
            close=c,
        )
        for t, c in zip(bars.ts, bars.close, strict=True)
    )
    return instrument


def test_end_to_end_with_market_data_and_the_api(auth_client, notif_settings, monkeypatch) -> None:
    _instrument_with_candles()
    response = auth_client.post(
        "/api/notifications/rules",
        {
            "name": "NIFTY x EMA20",
            "kind": "market",
            "instrument": "nifty",
            "condition": close_above_ema(),
            "channels": ["push"],
        },
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["instrument"], response.json()["timeframe"]) == ("NIFTY", "5m")
    monkeypatch.setattr("django.utils.timezone.now", lambda: AFTER_LAST_CLOSE)
    assert market_rules_evaluate_task.apply().get() == 1
    assert Delivery.objects.get().channel == "push"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"condition": {"nodes": "x"}}, "condition"),
        ({"condition": "close > ema"}, "condition"),
        ({"condition": close_above_ema(), "timeframe": "15m"}, "timeframe"),
        ({"instrument": "NOPE"}, "instrument"),
        ({"instrument": ""}, "instrument"),
        ({"event_type": "order.filled"}, "event_type"),
    ],
)
def test_market_rule_validation(auth_client, changes, field) -> None:
    _instrument_with_candles()
    body = {
        "name": "m",
        "kind": "market",
        "instrument": "NIFTY",
        "condition": close_above_ema(),
        "channels": ["push"],
        **changes,
    }
    response = auth_client.post("/api/notifications/rules", body)
    assert response.status_code == 400, response.json()
    assert field in [e["field"] for e in response.json()["errors"]], response.json()
    assert not AlertRule.objects.exists()


def test_a_graph_without_an_entry_node_is_refused() -> None:
    doc = close_above_ema()
    doc["nodes"] = [n for n in doc["nodes"] if n["kind"] != "entry"]
    doc["edges"] = [e for e in doc["edges"] if not e["to"].startswith("fire")]
    _, problems = services.condition_compile(doc)
    assert problems


def test_market_rules_read_the_nse_index_before_a_bse_namesake(db) -> None:
    from datetime import datetime, timedelta

    from marketdata.models import Instrument
    from marketdata.services.demo import demo_candles_seed
    from notifications.services.market import candles_load

    Instrument.objects.create(exchange="BSE", segment="IDX_I", symbol="NIFTY", kind="index")
    demo_candles_seed(symbols=("NIFTY",), days=1, end=datetime(2026, 6, 30).date(), seed=3)
    nse = Instrument.objects.get(symbol="NIFTY", exchange="NSE")
    start = datetime(2026, 6, 30, 9, 0)
    bars = candles_load(symbol="NIFTY", timeframe="1m", start=start, end=start + timedelta(hours=8))
    assert len(bars) == 375  # the BSE row has no candles; the NSE index has the day
    assert nse.candles.count() == 375
