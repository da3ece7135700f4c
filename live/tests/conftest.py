"""Fixtures of the live tests: NIFTY candles (synthetic or real), a paper account, strategies."""

from __future__ import annotations

import numpy as np
import pytest

from engine.bars import Bars
from engine.graph.testing import random_walk_bars

DAYS = 3


@pytest.fixture(autouse=True)
def _live_settings(settings):
    """No embedded replay thread (tests drive the feed), any hour, a fast order rate."""
    settings.LIVE = {**getattr(settings, "LIVE", {}), "EMBEDDED_FEED": False}
    settings.TRADES = {
        **settings.TRADES,
        "DEFAULT_RISK": {
            **settings.TRADES["DEFAULT_RISK"],
            "trading_hours": None,
            "max_orders_per_second": 1000,
        },
        "PAPER": {**settings.TRADES["PAPER"], "square_off": None},
    }
    from live.services import runners_clear

    runners_clear()
    yield
    runners_clear()


def store_bars(instrument, bars: Bars) -> None:
    from marketdata.frames import BarFrame
    from marketdata.storage import candles_upsert

    candles_upsert(instrument_id=instrument.pk, timeframe="1m", frame=BarFrame.from_bars(bars))


def synthetic_bars(days: int = DAYS, seed: int = 7) -> Bars:
    """Three days of one-minute NIFTY-like bars from 2024-01-01 (Mon) on consecutive days."""
    bars = random_walk_bars(375 * days, seed=seed, start="2024-01-01")
    scale = 21_000 / 1_000  # NIFTY-sized prices on the same 0.05 grid shape
    o, h, lo, c = (
        np.round(a * scale / 0.05) * 0.05 for a in (bars.open, bars.high, bars.low, bars.close)
    )
    return Bars.from_arrays(bars.ts, o, h, lo, c, bars.volume)


@pytest.fixture
def nifty(db):
    from marketdata.models import Instrument

    return Instrument.objects.create(
        exchange="NSE",
        segment="IDX_I",
        symbol="NIFTY",
        security_id="13",
        kind="index",
        lot_size=75,
        tick_size="0.05",
    )


@pytest.fixture
def paper(user):
    from trades.services.accounts import account_connect

    return account_connect(
        user=user,
        broker="paper",
        name="Paper",
        paper={"starting_cash": "1000000000", "slippage_bps": 0},
    )


def strategy_of(user, key: str):
    from strategies.services import strategy_create
    from strategies.templates import template_get

    template = template_get(key)
    assert template is not None
    return strategy_create(owner=user, name=template.name, graph=template.graph)


@pytest.fixture
def day(nifty):
    """One ORB day stored for NIFTY: the breakout enters at bar 127, hits its target at 203."""
    return store_day(nifty)


def store_day(instrument, days: int = 1, seed: int = 4) -> Bars:
    """Store ``synthetic_bars(days, seed)`` for the instrument and return them (with the
    default seed the opening-range breakout enters at bar 127, hits its target at 203)."""
    from django.db import transaction

    bars = synthetic_bars(days=days, seed=seed)
    with transaction.atomic():
        store_bars(instrument, bars)
    return bars


def start_session(
    user,
    instrument,
    account,
    key: str = "opening_range_breakout",
    *,
    strategy=None,
    start: str = "2024-01-01",
    end: str | None = None,
    run: bool = True,
    **kw,
):
    """A replayed session of the template ``key`` (or ``strategy``) on the instrument and
    account from ``start`` (to ``end``) at full speed, started unless ``run`` is False;
    ``kw`` goes to ``session_create`` as it is (lots, options, risk_overrides...)."""
    from decimal import Decimal

    from live import services

    strategy = strategy or strategy_of(user, key)
    replay = (
        {"start": start, "speed": 0} if end is None else {"start": start, "end": end, "speed": 0}
    )
    session = services.session_create(
        user=user,
        strategy_id=strategy.pk,
        version=None,
        account_id=account.pk,
        instrument_ref=instrument.pk,
        capital=Decimal("100000000"),
        replay=replay,
        **kw,
    )
    return services.session_start(session=session) if run else session
