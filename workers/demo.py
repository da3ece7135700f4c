"""Demo data for embedded mode: a user, synthetic candles, the templates, one finished run.

Idempotent: running it again leaves what exists and adds nothing twice.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from algobacktester.accounts.models import User
from backtests.models import BacktestRun, RunStatus
from backtests.services import backtest_request
from marketdata.models import Instrument
from marketdata.services.demo import demo_candles_seed
from strategies.models import Strategy
from strategies.services import strategy_clone
from strategies.templates import template_list

DEMO_EMAIL = "demo@algobacktester.local"
DEMO_DAYS = 60
DEMO_TEMPLATE = "ema_20_50_cross"


@dataclass(frozen=True, slots=True)
class DemoReport:
    user: User
    password: str | None  # only when the user was just created
    candles: dict[str, int]
    strategies_created: int
    backtest: BacktestRun | None


def demo_seed(*, days: int = DEMO_DAYS) -> DemoReport:
    user, password = demo_user_ensure()
    candles = demo_candles_seed(symbols=("NIFTY", "BANKNIFTY"), days=days, seed=2026)
    created = demo_strategies_ensure(user=user)
    return DemoReport(user, password, candles, created, demo_backtest_ensure(user=user, days=days))


def demo_user_ensure() -> tuple[User, str | None]:
    existing = User.objects.filter(email=DEMO_EMAIL).first()
    if existing:
        return existing, None
    password = os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(12)
    return User.objects.create_user(DEMO_EMAIL, password, name="Demo Trader"), password


def demo_strategies_ensure(*, user: User) -> int:
    created = 0
    for template in template_list():
        if not Strategy.objects.filter(owner=user, name=template.name).exists():
            strategy_clone(
                owner=user,
                name=template.name,
                description=template.description,
                graph=template.graph,
            )
            created += 1
    return created


def demo_backtest_ensure(*, user: User, days: int) -> BacktestRun | None:
    """One finished NIFTY backtest of the EMA 20/50 template over the seeded days."""
    done = BacktestRun.objects.filter(owner=user, status=RunStatus.DONE).first()
    if done:
        return done
    strategy = Strategy.objects.get(
        owner=user, name=next(t.name for t in template_list() if t.key == DEMO_TEMPLATE)
    )
    nifty = Instrument.objects.get(symbol="NIFTY", kind=Instrument.Kind.INDEX)
    first, last = _seeded_range(nifty)
    config = {
        "capital": 2_000_000,
        "sizing": {"mode": "lots", "value": 1},
        "fees": {"model": "india_futures", "params": {}},
        "slippage": {"ticks": 1},
    }
    with transaction.atomic():
        run = backtest_request(
            user=user,
            strategy_id=strategy.pk,
            instrument_ref=nifty.pk,
            start=first,
            end=last,
            config=config,
        )
    run.refresh_from_db()  # eager mode: it ran on commit
    return run


def _seeded_range(instrument: Instrument) -> tuple[date, date]:
    from zoneinfo import ZoneInfo

    from django.db.models import Max, Min

    span = instrument.candles.filter(timeframe="1m").aggregate(first=Min("ts"), last=Max("ts"))
    ist = ZoneInfo("Asia/Kolkata")
    return span["first"].astimezone(ist).date(), span["last"].astimezone(ist).date()
