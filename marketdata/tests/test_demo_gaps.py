"""The demo data has no jump between its months (it used to open a month up to 25% away)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest

from engine.markets.calendar import IST
from marketdata.models import Candle, Instrument
from marketdata.providers.base import InstrumentRef
from marketdata.providers.synthetic import SyntheticProvider
from marketdata.services.demo import demo_candles_seed

MAX_OVERNIGHT_GAP = 0.05  # real NIFTY: about 5% on the worst night of 2020 (the COVID crash)


def _overnight_gaps(opens: np.ndarray, closes: np.ndarray) -> np.ndarray:
    return np.abs(opens[1:] / closes[:-1] - 1.0)


@pytest.mark.parametrize("symbol", ["NIFTY", "BANKNIFTY"])
@pytest.mark.parametrize("seed", [0, 7])
def test_largest_overnight_gap_over_three_years(symbol: str, seed: int) -> None:
    ref = InstrumentRef(symbol=symbol, exchange="NSE", segment="IDX_I", security_id="")
    frame = SyntheticProvider(seed=seed).fetch(
        instrument=ref,
        timeframe="1d",
        start=datetime(2024, 1, 1, tzinfo=UTC),
        end=datetime(2026, 11, 1, tzinfo=UTC),
    )
    gaps = _overnight_gaps(frame.open, frame.close)
    assert gaps.max() < MAX_OVERNIGHT_GAP
    months = np.array([datetime.fromtimestamp(t / 1e9, IST).month for t in frame.ts])
    at_month_start = gaps[months[1:] != months[:-1]]
    assert len(at_month_start) == 33 and at_month_start.max() < 0.001


@pytest.mark.django_db
def test_seeded_demo_minutes_join_across_months() -> None:
    demo_candles_seed(symbols=("NIFTY",), days=60, end=date(2026, 6, 30), seed=0)
    nifty = Instrument.objects.get(symbol="NIFTY")
    rows = Candle.objects.filter(instrument=nifty, timeframe="1m").order_by("ts")
    ts, o, c = (np.array(x) for x in zip(*rows.values_list("ts", "open", "close"), strict=True))
    days = np.array([t.astimezone(IST).date() for t in ts])
    new_day = days[1:] != days[:-1]
    gaps = np.abs(o[1:][new_day] / c[:-1][new_day] - 1.0)
    assert len(gaps) == 59
    assert gaps.max() < MAX_OVERNIGHT_GAP
