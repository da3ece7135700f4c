"""Reads for strategies, always scoped to the acting user (another user's id is a 404)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from algobacktester.accounts.models import User

from .models import Strategy, StrategyVersion


def strategy_list(*, user: User, search: str | None = None) -> QuerySet[Strategy]:
    qs = Strategy.objects.filter(owner=user)
    return qs.filter(name__icontains=search) if search else qs


def strategy_get(*, user: User, strategy_id: int) -> Strategy:
    return get_object_or_404(Strategy, pk=strategy_id, owner=user)


def strategy_version_list(*, user: User, strategy: Strategy) -> QuerySet[StrategyVersion]:
    return StrategyVersion.objects.filter(owner=user, strategy=strategy)


def strategy_version_get(
    *, user: User, strategy_id: int, number: int | None = None
) -> StrategyVersion:
    """A strategy's version by number, or its current one."""
    strategy = strategy_get(user=user, strategy_id=strategy_id)
    return get_object_or_404(
        StrategyVersion,
        owner=user,
        strategy=strategy,
        number=number if number is not None else strategy.version,
    )


def version_get(*, user: User, version_id: int) -> StrategyVersion:
    """A version by its own id, even after its strategy was deleted."""
    return get_object_or_404(StrategyVersion, pk=version_id, owner=user)
