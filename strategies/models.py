"""Strategies (per user, editable) and their immutable versions (pinned by runs)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class Strategy(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="strategies"
    )
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True, max_length=5000)
    graph = models.JSONField()
    version = models.PositiveIntegerField(default=1)  # number of the current version
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-updated_at", "-id")
        constraints = [
            models.UniqueConstraint(fields=("owner", "name"), name="strategy_name_unique_per_owner")
        ]

    def __str__(self) -> str:
        return self.name


class StrategyVersion(models.Model):
    """A snapshot made on every change. Never updated; survives its strategy's deletion,
    so backtests and live sessions that pinned it stay readable."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="strategy_versions"
    )
    strategy = models.ForeignKey(
        Strategy, on_delete=models.SET_NULL, null=True, blank=True, related_name="versions"
    )
    strategy_name = models.CharField(max_length=150)
    number = models.PositiveIntegerField()
    graph = models.JSONField()
    graph_hash = models.CharField(max_length=64)
    valid = models.BooleanField(default=False)  # whether the engine accepts it as a whole
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-number",)
        constraints = [
            models.UniqueConstraint(fields=("strategy", "number"), name="strategy_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.strategy_name} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:  # deletion of the strategy nulls the link by UPDATE, not here
            raise ValueError("strategy versions are immutable")
        super().save(*args, **kwargs)
