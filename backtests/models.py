"""Backtest runs, their trades, and parameter sweeps.

A run's result is a function of (strategy version, data snapshot hash, config, engine
version), all stored on the row (Architecture decision 4).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from workers.leases import LeasedJob


class RunStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)
FINISHED = (RunStatus.DONE, RunStatus.FAILED, RunStatus.CANCELLED)


class RunSpec(models.Model):
    """What a run or a sweep is of: whose, which pinned strategy version, which data, how."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="%(class)ss"
    )
    strategy = models.ForeignKey(
        "strategies.Strategy",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="%(class)ss",
    )
    strategy_version = models.ForeignKey(
        "strategies.StrategyVersion", on_delete=models.CASCADE, related_name="%(class)ss"
    )
    instrument = models.ForeignKey(
        "marketdata.Instrument", on_delete=models.PROTECT, related_name="%(class)ss"
    )
    timeframe = models.CharField(max_length=8)
    start = models.DateField()
    end = models.DateField()
    config = models.JSONField(help_text="capital, fees, sizing, fill policy, slippage …")

    class Meta:
        abstract = True


class BacktestRun(RunSpec, LeasedJob):
    # Exactly-once: a worker claims the run (workers.leases), holding a lease it renews; only
    # the holder of the current attempt may write the result.
    status = models.CharField(
        max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True
    )
    progress = models.FloatField(default=0.0)
    error = models.TextField(blank=True)
    data_hash = models.CharField(max_length=80, blank=True)
    engine_version = models.CharField(max_length=20, blank=True)
    bars = models.PositiveIntegerField(default=0)
    stats = models.JSONField(null=True, blank=True)
    equity_curve = models.JSONField(null=True, blank=True)
    drawdown_curve = models.JSONField(null=True, blank=True)
    rejections = models.JSONField(null=True, blank=True)  # the first 1,000
    rejected_entries = models.JSONField(
        default=dict, blank=True, help_text="every refused entry, counted by reason"
    )
    # end_of_data keep_open: the position still open after the last bar, marked at its close
    # (equity and return include it; the trade list holds closed trades only).
    open_position = models.JSONField(null=True, blank=True)
    # The result part of GET /api/backtest/{id} (stats, stats_display, curves, rejections, …)
    # as JSON bytes, rendered once with times in ``result_zone`` (the owner's zone when the
    # run finished): a read sends these bytes instead of rendering JSON fields again
    # (docs/adr/0012-results-as-data.md). Empty for older runs until first read.
    result_body = models.BinaryField(null=True, blank=True, editable=False)
    result_zone = models.CharField(max_length=64, blank=True, editable=False)
    # Where a finished run's time went, ms by stage: claim, read (candles and their hash),
    # engine, store (trades and row, to the commit), notify (events), progress (lease renewals).
    stage_ms = models.JSONField(null=True, blank=True, editable=False)
    rerun_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="reruns"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=("owner", "status"), name="bt_owner_status"),
            models.Index(fields=("status", "lease_until"), name="bt_status_lease"),
        ]

    def __str__(self) -> str:
        return f"backtest {self.pk} ({self.status})"


class BacktestTrade(models.Model):
    """One closed trade. Money is Decimal here (the engine works in float64)."""

    run = models.ForeignKey(BacktestRun, on_delete=models.CASCADE, related_name="trades")
    seq = models.PositiveIntegerField()
    side = models.CharField(max_length=5)
    entry_time = models.DateTimeField()
    exit_time = models.DateTimeField()
    entry_price = models.DecimalField(max_digits=18, decimal_places=4)
    exit_price = models.DecimalField(max_digits=18, decimal_places=4)
    quantity = models.DecimalField(max_digits=18, decimal_places=4)
    pnl = models.DecimalField(max_digits=18, decimal_places=2)
    return_pct = models.FloatField(null=True)
    charges = models.DecimalField(max_digits=14, decimal_places=2)
    charges_breakdown = models.JSONField(default=dict)
    exit_reason = models.CharField(max_length=16)
    bars_held = models.PositiveIntegerField(default=0)
    option = models.JSONField(
        null=True,
        blank=True,
        help_text="an option leg's contract, premiums, lots, premium source and group",
    )

    class Meta:
        ordering = ("run", "seq")
        constraints = [models.UniqueConstraint(fields=("run", "seq"), name="bt_trade_unique_seq")]

    def __str__(self) -> str:
        return f"trade {self.seq} of backtest {self.run_id}"


class BacktestSweep(RunSpec):
    grid = models.JSONField(help_text='{"node.param": [values]}')
    metric = models.CharField(max_length=40)
    status = models.CharField(
        max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True
    )
    combinations = models.PositiveIntegerField()
    chunks_total = models.PositiveIntegerField()
    chunks_done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    data_hash = models.CharField(max_length=80, blank=True)
    engine_version = models.CharField(max_length=20, blank=True)
    results = models.JSONField(null=True, blank=True, help_text="one row per combination")
    best = models.JSONField(null=True, blank=True)
    heatmap = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"sweep {self.pk} ({self.status})"

    @property
    def progress(self) -> float:
        return round(100.0 * self.chunks_done / self.chunks_total, 1) if self.chunks_total else 0.0


class SweepChunk(LeasedJob):
    """A slice of a sweep's combinations, computed by one task; unique per index, so a
    task that runs twice cannot count its chunk twice. Claimed like a run (workers.leases)."""

    sweep = models.ForeignKey(BacktestSweep, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    rows = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ("sweep", "index")
        constraints = [
            models.UniqueConstraint(fields=("sweep", "index"), name="bt_sweep_chunk_unique")
        ]

    def __str__(self) -> str:
        return f"chunk {self.index} of sweep {self.sweep_id}"
