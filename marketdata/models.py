"""Market data shared by every user: instruments, candles, ingestion runs, quarantine.

Candles are float64 (market data, not money); timestamps are UTC and label the bar start.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from workers.leases import LeasedJob

from . import timeframes


class Instrument(models.Model):
    class Exchange(models.TextChoices):
        NSE = "NSE"
        BSE = "BSE"

    class Segment(models.TextChoices):
        # Dhan's exchange-segment names, used verbatim in its API calls.
        INDEX = "IDX_I", "Index"
        NSE_EQ = "NSE_EQ", "NSE equity"
        NSE_FNO = "NSE_FNO", "NSE derivatives"
        BSE_EQ = "BSE_EQ", "BSE equity"
        BSE_FNO = "BSE_FNO", "BSE derivatives"

    class Kind(models.TextChoices):
        INDEX = "index"
        EQUITY = "equity"
        FUTURE = "future"
        OPTION = "option"

    class OptionType(models.TextChoices):
        CALL = "CE"
        PUT = "PE"

    exchange = models.CharField(max_length=3, choices=Exchange.choices, default=Exchange.NSE)
    segment = models.CharField(max_length=8, choices=Segment.choices, default=Segment.INDEX)
    symbol = models.CharField(max_length=64)
    name = models.CharField(max_length=128, blank=True)
    security_id = models.CharField(
        max_length=32, blank=True, help_text="The provider's id (Dhan SEM_SMST_SECURITY_ID)."
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.INDEX)
    underlying = models.CharField(max_length=32, blank=True, db_index=True)
    expiry = models.DateField(null=True, blank=True)
    strike = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    option_type = models.CharField(max_length=2, choices=OptionType.choices, blank=True)
    lot_size = models.PositiveIntegerField(default=1)
    tick_size = models.DecimalField(max_digits=10, decimal_places=4, default="0.05")
    strike_step = models.PositiveIntegerField(null=True, blank=True)
    listed_on = models.DateField(
        null=True,
        blank=True,
        help_text="First day the contract is known to trade (from the earliest stored source "
        "row); empty when unknown, which counts as listed on any day up to expiry.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("exchange", "symbol")
        constraints = [
            models.UniqueConstraint(
                fields=("exchange", "segment", "symbol"), name="md_instrument_unique_symbol"
            ),
            models.CheckConstraint(
                condition=~Q(kind="option") | Q(option_type__in=("CE", "PE")),
                name="md_instrument_option_has_type",
            ),
            # One row per listed option series, whichever source (Dhan master, NSE file,
            # chain snapshot) named it first; later sources update it in place.
            models.UniqueConstraint(
                fields=("exchange", "underlying", "expiry", "strike", "option_type"),
                condition=Q(kind="option"),
                name="md_instrument_unique_option",
            ),
        ]
        indexes = [
            models.Index(fields=("segment", "security_id"), name="md_instrument_secid"),
            # The option chain of one underlying on a day: by expiry, then strike and side.
            models.Index(
                fields=("underlying", "expiry", "strike", "option_type"),
                condition=Q(kind="option"),
                name="md_instrument_chain",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.exchange}:{self.symbol}"


class Candle(models.Model):
    """One bar. The key (instrument, timeframe, ts) is the primary key and the only index.

    No id column and no database foreign-key constraint: on bulk loads PostgreSQL checks a
    foreign key row by row, which cost more than the load itself (bench/bench_marketdata.py).
    Integrity is kept by the loader, which locks the instrument row (FOR KEY SHARE) for each
    chunk, and by deleting candles through the ORM cascade.
    """

    pk = models.CompositePrimaryKey("instrument", "timeframe", "ts")
    instrument = models.ForeignKey(
        Instrument, on_delete=models.CASCADE, related_name="candles", db_constraint=False
    )
    timeframe = models.CharField(max_length=4, choices=timeframes.CHOICES)
    ts = models.DateTimeField(help_text="Bar start, UTC.")
    open = models.FloatField()
    high = models.FloatField()
    low = models.FloatField()
    close = models.FloatField()
    volume = models.FloatField(default=0.0)
    open_interest = models.FloatField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.timeframe} {self.ts:%Y-%m-%d %H:%M}"


class IngestionRun(LeasedJob):
    """One load of bars or instruments. Claimed, renewed and reaped with the shared lease
    (workers.leases): ``attempts``, ``lease_until`` and ``lease_holder`` come from there."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    class Kind(models.TextChoices):
        FETCH = "fetch", "Fetch a range from a provider"
        FILE = "file", "Import a CSV/Parquet file"
        INSTRUMENTS = "instruments", "Sync the instrument master"
        SEED = "seed", "Seed synthetic demo bars"
        OPTION_FILE = "option_file", "Import an option file (NSE EOD, chain snapshots)"
        OPTION_FETCH = "option_fetch", "Fetch expired option premiums (Dhan rolling)"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.FETCH)
    provider = models.CharField(max_length=32)
    instrument = models.ForeignKey(
        Instrument, null=True, blank=True, on_delete=models.CASCADE, related_name="runs"
    )
    timeframe = models.CharField(max_length=4, choices=timeframes.CHOICES, blank=True)
    start = models.DateTimeField(null=True, blank=True)
    end = models.DateTimeField(null=True, blank=True)
    options = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    rows_received = models.PositiveIntegerField(default=0)
    rows_inserted = models.PositiveIntegerField(default=0)
    rows_updated = models.PositiveIntegerField(default=0)
    rows_unchanged = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    anomalies = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            # One active fetch per instrument and timeframe: a second request joins the first.
            models.UniqueConstraint(
                fields=("instrument", "timeframe"),
                condition=Q(status__in=("queued", "running"), kind="fetch"),
                name="md_run_one_active_fetch",
            ),
        ]
        indexes = [models.Index(fields=("status", "lease_until"), name="md_run_lease")]

    def __str__(self) -> str:
        return f"run {self.pk} {self.kind} {self.provider} {self.status}"

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class TrackedInstrument(models.Model):
    """What the nightly job keeps fresh: one row per instrument, timeframe and provider."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="tracked")
    timeframe = models.CharField(max_length=4, choices=timeframes.CHOICES, default="1m")
    provider = models.CharField(max_length=32, default="dhan")
    history_days = models.PositiveIntegerField(
        default=365, help_text="How far back the first fetch reaches when nothing is stored."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("instrument", "timeframe", "provider"), name="md_tracked_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument} {self.timeframe} via {self.provider}"


class QuarantinedCandle(models.Model):
    """A row that failed a hard check: kept with the reason, never silently dropped."""

    run = models.ForeignKey(
        IngestionRun, null=True, blank=True, on_delete=models.CASCADE, related_name="quarantined"
    )
    # Empty for an option-file row that names no contract we can resolve (a bad expiry,
    # strike or type): the row is kept with its run and reason all the same.
    instrument = models.ForeignKey(
        Instrument,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="quarantined",
    )
    timeframe = models.CharField(max_length=4, choices=timeframes.CHOICES)
    ts = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=32, db_index=True)
    detail = models.CharField(max_length=255, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "ts")
        indexes = [
            models.Index(fields=("instrument", "timeframe", "ts"), name="md_quarantine_bar"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.timeframe} {self.ts} {self.reason}"


class ImpliedVolatility(models.Model):
    """At-the-money implied volatility of one expiry of an underlying at one time.

    The engine's ``model`` premium source prices legs from the underlying and an IV input;
    this is that input where the market told us one: the option-chain snapshots (the mean of
    the ATM call's and put's IV) and Dhan's rolling ATM series. India VIX, the other input,
    is stored as ordinary candles of the INDIAVIX index. ``iv`` is annualised, a fraction
    (0.12 = 12 %).
    """

    class Source(models.TextChoices):
        CHAIN = "chain_snapshot", "NSE option-chain snapshot"
        DHAN = "dhan_rolling", "Dhan expired-options (rolling) data"

    underlying = models.CharField(max_length=32)
    ts = models.DateTimeField(help_text="Observation time, UTC.")
    expiry = models.DateField()
    strike = models.DecimalField(
        max_digits=12, decimal_places=2, help_text="The ATM strike the IV was read at."
    )
    iv = models.FloatField()
    source = models.CharField(max_length=16, choices=Source.choices)
    run = models.ForeignKey(
        IngestionRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("underlying", "ts", "expiry")
        constraints = [
            models.UniqueConstraint(
                fields=("underlying", "source", "expiry", "ts"), name="md_iv_unique_sample"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.underlying} {self.expiry} {self.ts:%Y-%m-%d %H:%M} iv {self.iv:.4f}"
