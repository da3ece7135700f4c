"""Fixtures of the trades tests: an instrument with fresh one-minute candles, accounts."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from .fake_dhan import FakeDhan, token_for


@pytest.fixture(autouse=True)
def _any_hour(settings):
    """Tests run at any time of day: the default trading-hours rule would refuse at night."""
    settings.TRADES = {
        **settings.TRADES,
        "DEFAULT_RISK": {**settings.TRADES["DEFAULT_RISK"], "trading_hours": None},
        "PAPER": {**settings.TRADES["PAPER"], "square_off": None},
    }


def candles_until_now(instrument, *, minutes: int = 30, price: float = 100.0, step: float = 0.0):
    """One-minute bars ending at the last whole minute: the paper broker's quote is fresh."""
    from marketdata.models import Candle

    end = timezone.now().replace(second=0, microsecond=0)
    rows = []
    for i in range(minutes, 0, -1):
        close = price + step * (minutes - i)
        rows.append(
            Candle(
                instrument=instrument,
                timeframe="1m",
                ts=end - timedelta(minutes=i),
                open=close,
                high=close + 0.5,
                low=close - 0.5,
                close=close,
                volume=100,
            )
        )
    Candle.objects.filter(instrument=instrument, timeframe="1m").delete()
    Candle.objects.bulk_create(rows)
    return rows[-1].close


@pytest.fixture
def equity(db):
    from marketdata.models import Instrument

    instrument = Instrument.objects.create(
        exchange="NSE",
        segment="NSE_EQ",
        symbol="TESTCO",
        security_id="2885",
        kind="equity",
        lot_size=1,
        tick_size="0.05",
    )
    candles_until_now(instrument, price=100.0)
    return instrument


@pytest.fixture
def option(db):
    from marketdata.models import Instrument

    instrument = Instrument.objects.create(
        exchange="NSE",
        segment="NSE_FNO",
        symbol="NIFTY-TEST-24000-CE",
        security_id="40001",
        kind="option",
        option_type="CE",
        underlying="NIFTY",
        strike="24000",
        lot_size=65,
        tick_size="0.05",
    )
    candles_until_now(instrument, price=120.0)
    return instrument


@pytest.fixture
def paper_account(user):
    from trades.services.accounts import account_connect

    return account_connect(
        user=user,
        broker="paper",
        name="Paper",
        paper={"starting_cash": "100000", "slippage_bps": 0},
    )


@pytest.fixture
def fake(settings):
    token = token_for(f"CANARY{uuid.uuid4().hex}")
    server = FakeDhan(token=token, client_id=str(uuid.uuid4().int)[:10]).start()
    settings.DHAN_BASE_URL = server.base_url
    settings.DHAN_TIMEOUT_SECONDS = 1
    settings.DHAN_MAX_RETRIES = 2
    server.timeout_seconds = 2.5
    yield server
    server.stop()


@pytest.fixture
def dhan(user, fake):
    from trades.services.accounts import account_connect

    return account_connect(
        user=user,
        broker="dhan",
        name="Dhan",
        credentials={"client_id": fake.client_id, "access_token": fake.token},
    )
