"""Live and paper sessions: the session, its steps (one per bar, idempotent) and its log.

ARCHITECTURE decision 11, docs/adr/0016-live-sessions.md. A session's state is persisted on
its row after every step (the state machine's vector, position, protective levels, day
counters, last bar); the streaming evaluator is rebuilt from the session's own steps, which
store their bars. ``SessionStep`` is unique per (session, bar): a duplicated or redelivered
step task finds its row and changes nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

ACTIVE_STATUSES = ("running", "paused")


class LiveSession(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft"
        RUNNING = "running"
        PAUSED = "paused"  # no new entries; exits and protective levels keep working
        STOPPED = "stopped"
        HALTED = "halted"  # stopped by a guardrail or a reconciliation mismatch: see reason

    class Feed(models.TextChoices):
        REPLAY = "replay"  # stored candles played by `manage.py live_feed` (or in-process)
        MARKET = "market"  # the broker's market feed (Dhan v2): not available yet (docs/live.md)

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_sessions"
    )
    name = models.CharField(max_length=120, blank=True)
    strategy_version = models.ForeignKey(
        "strategies.StrategyVersion", on_delete=models.PROTECT, related_name="live_sessions"
    )
    account = models.ForeignKey(
        "trades.BrokerAccount", on_delete=models.PROTECT, related_name="live_sessions"
    )
    instrument = models.ForeignKey(
        "marketdata.Instrument", on_delete=models.PROTECT, related_name="live_sessions"
    )
    timeframe = models.CharField(max_length=8)
    lots = models.PositiveIntegerField(default=1)
    risk_overrides = models.JSONField(default=dict, blank=True)
    # {"start": "09:05", "stop": "15:35", "muhurat": false} (IST; live/schedule.py); {}: none
    schedule = models.JSONField(default=dict, blank=True)
    # The trading day the schedule last started the session on (its claim: one start a day).
    schedule_day = models.DateField(null=True, blank=True)
    feed = models.CharField(max_length=8, choices=Feed.choices, default=Feed.REPLAY)
    # replay: {"start": "2024-01-01", "end": "2024-01-05", "speed": 60.0} (speed 0: as fast as possible)
    replay = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    status_reason = models.CharField(max_length=300, blank=True)
    # Persisted state (engine.live.LiveRunner.snapshot + what the dashboard shows).
    state = models.JSONField(default=dict, blank=True)
    position = models.FloatField(default=0.0)  # units, signed
    average_price = models.FloatField(null=True, blank=True)
    levels = models.JSONField(null=True, blank=True)  # protective levels the feed checks ticks on
    day_pnl = models.FloatField(default=0.0)
    last_bar = models.DateTimeField(null=True, blank=True)
    steps = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            # Two sessions can never trade the same slot.
            models.UniqueConstraint(
                fields=("owner", "strategy_version", "account", "instrument"),
                condition=Q(status__in=ACTIVE_STATUSES),
                name="live_one_active_session_per_slot",
            )
        ]

    def __str__(self) -> str:
        return f"live session {self.pk} ({self.status})"


class SessionStep(models.Model):
    """One bar of one session, done exactly once (the unique key), with the bar it read."""

    class Source(models.TextChoices):
        FEED = "feed"
        CATCH_UP = "catch_up"  # a missed bar replayed from stored candles

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="step_rows")
    bar_ts = models.DateTimeField()
    seq = models.PositiveIntegerField()
    bar = models.JSONField()  # [ts_ns, open, high, low, close, volume]
    next_ts = models.BigIntegerField(null=True, blank=True)
    signal = models.JSONField(default=dict)
    force_exit = models.BooleanField(default=False)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.FEED)
    attempt = models.CharField(max_length=200, blank=True, help_text="host:pid that did it")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("session", "seq")
        constraints = [
            models.UniqueConstraint(fields=("session", "bar_ts"), name="live_step_unique_bar"),
            models.UniqueConstraint(fields=("session", "seq"), name="live_step_unique_seq"),
        ]

    def __str__(self) -> str:
        return f"step {self.seq} of session {self.session_id}"


class SessionOrder(models.Model):
    """An order intent of a session, keyed (session, bar, leg, intent) like its client id."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="intents")
    order = models.OneToOneField("trades.Order", on_delete=models.CASCADE, related_name="+")
    bar_ts = models.DateTimeField()
    leg = models.CharField(max_length=40, default="main")
    intent = models.CharField(max_length=40)  # entry, exit
    reason = models.CharField(max_length=20, blank=True)
    engine_price = models.FloatField(null=True, blank=True)
    engine_quantity = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("bar_ts", "id")

    def __str__(self) -> str:
        return f"{self.intent} of session {self.session_id} at {self.bar_ts}"


class SessionEvent(models.Model):
    class Kind(models.TextChoices):
        STATE = "state"  # started, paused, stopped, halted, resumed, caught up
        SIGNAL = "signal"
        ORDER = "order"
        FILL = "fill"
        GUARDRAIL = "guardrail"
        ERROR = "error"

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    bar_ts = models.DateTimeField(null=True, blank=True)
    message = models.CharField(max_length=300)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("id",)
        indexes = [models.Index(fields=("session", "id"), name="live_event_session_id")]

    def __str__(self) -> str:
        return f"{self.kind} of session {self.session_id}: {self.message}"


class FeedLease(models.Model):
    """Leader lease of a feed: one active feed per broker login (``name``); a second copy of
    ``live_feed`` waits until the holder stops renewing."""

    name = models.CharField(max_length=120, unique=True)
    holder = models.CharField(max_length=200, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"feed {self.name} held by {self.holder or 'nobody'}"


class DriftReport(models.Model):
    """One session day compared with a backtest of the bars the session read that day
    (live/drift.py). Rebuilt when the day gained steps since it was built (``bars``)."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="drift")
    day = models.DateField()  # the IST trading day
    bars = models.PositiveIntegerField()  # the session's steps on that day when built
    report = models.JSONField(default=dict)
    built_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("session", "day")
        constraints = [
            models.UniqueConstraint(fields=("session", "day"), name="live_drift_one_per_day")
        ]

    def __str__(self) -> str:
        return f"drift of session {self.session_id} on {self.day}"
