from __future__ import annotations

import pytest
from django.core.management import call_command

from backtests.models import BacktestRun, RunStatus
from marketdata.models import Candle
from strategies.models import Strategy
from strategies.templates import template_list
from workers.demo import DEMO_EMAIL, demo_seed

pytestmark = pytest.mark.django_db


def test_demo_seed_gives_a_newcomer_results(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks
) -> None:
    monkeypatch.setenv("DEMO_PASSWORD", "demo-pass-123")
    with django_capture_on_commit_callbacks(execute=True):
        report = demo_seed(days=3)
    assert report.user.email == DEMO_EMAIL
    assert report.user.check_password("demo-pass-123")
    assert report.password == "demo-pass-123"
    assert report.candles == {"NIFTY": 1125, "BANKNIFTY": 1125}
    created = Strategy.objects.filter(owner=report.user).count()
    assert created == report.strategies_created == len(template_list()) == 9
    run = BacktestRun.objects.get(owner=report.user)
    assert run.status == RunStatus.DONE, run.error
    assert run.stats["trades"] > 0


def test_demo_seed_is_idempotent(django_capture_on_commit_callbacks, capsys) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--days", "2")
    first = capsys.readouterr().out
    assert "password:" in first
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--days", "2")
    second = capsys.readouterr().out
    assert "password" not in second
    assert "template strategies added: 0" in second
    assert BacktestRun.objects.count() == 1
    assert Candle.objects.count() == 2 * 750
