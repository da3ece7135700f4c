"""Limits before work: a health report's expected bars are counted from the calendar, and a
range too long is refused before its timeline is built."""

from __future__ import annotations

import time
import tracemalloc
from datetime import date

import pytest
from rest_framework.test import APIClient

from marketdata import validation
from marketdata.models import Instrument
from marketdata.services.demo import demo_candles_seed
from marketdata.validation import expected_bar_count, expected_timestamps

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("timeframe", ["1m", "5m", "15m", "1h", "1d"])
@pytest.mark.parametrize(
    ("start", "end"),
    [(date(2024, 1, 1), date(2024, 12, 31)), (date(2024, 10, 28), date(2024, 11, 4))],
)
def test_the_count_is_what_the_timeline_holds(timeframe: str, start: date, end: date) -> None:
    built = expected_timestamps(start, end, timeframe=timeframe, exchange="NSE")
    assert expected_bar_count(start, end, timeframe=timeframe, exchange="NSE") == len(built)


def test_a_century_of_minutes_is_refused_unbuilt(
    auth_client: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo_candles_seed(symbols=("NIFTY",), days=3, end=date(2026, 6, 30), seed=7)
    nifty = Instrument.objects.get(symbol="NIFTY")

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the expected timeline was built before the range was checked")

    url = f"/api/marketdata/instruments/{nifty.pk}/health"
    small = {"timeframe": "1m", "start": "2026-06-29", "end": "2026-06-30"}
    assert auth_client.get(url, small).status_code == 200  # imports and caches warmed up
    monkeypatch.setattr(validation, "expected_timestamps", refuse)
    query = {"timeframe": "1m", "start": "1990-01-02", "end": "2100-12-30"}
    tracemalloc.start()
    began = time.perf_counter()
    try:
        response = auth_client.get(url, query)
        elapsed = time.perf_counter() - began
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 400, response.content
    assert [e["field"] for e in response.json()["errors"]] == ["end"]
    assert "10,558,120 1m bars" in response.json()["detail"]
    assert peak < 8 * 1024 * 1024, f"peak {peak:,} bytes"  # building it took ~700 MB
    assert elapsed < 10, f"{elapsed:.2f} s"
