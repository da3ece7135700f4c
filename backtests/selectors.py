"""Reads for backtests, always scoped to the acting user (another user's id is a 404)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from algobacktester.accounts.models import User

from .models import BacktestRun, BacktestSweep, BacktestTrade


def backtest_list(
    *, user: User, strategy_id: int | None = None, status: str | None = None
) -> QuerySet[BacktestRun]:
    qs = BacktestRun.objects.filter(owner=user).select_related("instrument", "strategy_version")
    if strategy_id is not None:
        qs = qs.filter(strategy_id=strategy_id)
    if status:
        qs = qs.filter(status=status)
    return qs.defer(*RESULT_COLUMNS)


# The stored result: large, read only by the run's own answer.
RESULT_COLUMNS = ("equity_curve", "drawdown_curve", "rejections", "result_body")


def backtest_get(*, user: User, run_id: int) -> BacktestRun:
    return get_object_or_404(
        BacktestRun.objects.select_related("instrument", "strategy_version").defer(*RESULT_COLUMNS),
        pk=run_id,
        owner=user,
    )


def backtest_detail(*, user: User, run_id: int) -> BacktestRun:
    """The run without its result columns: ``backtests.storage.result_body`` reads the
    rendered bytes when this process does not already hold them, and the JSON columns only
    to render them again (another zone, a run stored before the bytes existed)."""
    return backtest_get(user=user, run_id=run_id)


def backtest_trades(*, run: BacktestRun) -> QuerySet[BacktestTrade]:
    return BacktestTrade.objects.filter(run=run).order_by("seq")


def sweep_list(*, user: User) -> QuerySet[BacktestSweep]:
    return BacktestSweep.objects.filter(owner=user).defer("results", "heatmap")


def sweep_get(*, user: User, sweep_id: int) -> BacktestSweep:
    return get_object_or_404(BacktestSweep, pk=sweep_id, owner=user)
