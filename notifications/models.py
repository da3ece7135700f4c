"""Alert rules, per-user preferences, deliveries (the history) and daily quota counters.

A :class:`Delivery` is one message on one channel for one event. Its unique
``(owner, channel, dedupe_key)`` makes a second delivery of the same event
impossible, and status changes are conditional UPDATEs (``queued → sending``),
so a task that runs twice sends once (docs/adr/0006-notification-delivery.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from workers.leases import LeasedJob

from .constants import Channel, EventType

MAX_COOLDOWN_SECONDS = 7 * 24 * 3600


class NotificationPreference(models.Model):
    """One row per user, created on first read."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email = models.EmailField(blank=True, help_text="Blank: the account's email.")
    phone = models.CharField(max_length=16, blank=True, help_text="Set only once verified.")
    phone_verified_at = models.DateTimeField(null=True, blank=True)
    # {event_type: [channel, ...]}; an event type missing here uses the settings' defaults.
    event_channels = models.JSONField(default=dict, blank=True)
    webhook_url = models.URLField(max_length=500, blank=True)
    webhook_secret = models.TextField(blank=True, help_text="Encrypted; shown once.")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"


class PhoneVerification(models.Model):
    """A code sent by SMS; only its hash is stored. Limited attempts, short expiry."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="phone_verifications"
    )
    phone = models.CharField(max_length=16)
    code_hash = models.CharField(max_length=64)
    attempts = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.user_id}:{self.phone}"


class AlertRule(models.Model):
    class Kind(models.TextChoices):
        EVENT = "event"
        MARKET = "market"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_rules"
    )
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    event_type = models.CharField(max_length=32, choices=EventType.choices, blank=True)
    # Market rules: the instrument's symbol (e.g. NIFTY), a timeframe and a condition graph.
    instrument = models.CharField(max_length=64, blank=True)
    timeframe = models.CharField(max_length=8, blank=True)
    condition = models.JSONField(null=True, blank=True)
    message = models.CharField(max_length=500, blank=True)
    channels = models.JSONField(default=list)
    cooldown_seconds = models.PositiveIntegerField(default=0)
    # Both set: the rule fires only between these IST wall-clock times (may wrap midnight).
    active_from = models.TimeField(null=True, blank=True)
    active_to = models.TimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    webhook_url = models.URLField(max_length=500, blank=True)
    webhook_secret = models.TextField(blank=True, help_text="Encrypted; shown once.")
    last_fired_at = models.DateTimeField(null=True, blank=True)
    last_bar_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=("owner", "kind", "is_active"), name="ntf_rule_owner_kind"),
            models.Index(fields=("kind", "is_active"), name="ntf_rule_kind_active"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(cooldown_seconds__lte=MAX_COOLDOWN_SECONDS), name="ntf_rule_cooldown"
            ),
            models.CheckConstraint(
                condition=Q(kind="market") | ~Q(event_type=""), name="ntf_rule_event_has_type"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class Delivery(LeasedJob):
    """Claimed ``queued → sending`` with the shared lease (workers.leases), never taken over:
    a lapsed ``sending`` lease is closed as "outcome unknown", not re-sent."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        SENDING = "sending"
        SENT = "sent"
        FAILED = "failed"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_deliveries"
    )
    rule = models.ForeignKey(
        AlertRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    event_type = models.CharField(max_length=32)
    dedupe_key = models.CharField(max_length=200)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    destination = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    reason = models.CharField(max_length=500, blank=True)
    quota_counted = models.BooleanField(default=False)
    provider_id = models.CharField(max_length=100, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=("owner", "channel", "dedupe_key"), name="ntf_delivery_once"
            ),
        ]
        indexes = [
            models.Index(fields=("owner", "-created_at"), name="ntf_delivery_owner"),
            models.Index(fields=("status", "next_attempt_at"), name="ntf_delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.dedupe_key} ({self.status})"


class QuotaUsage(models.Model):
    """Messages counted against a user's daily cap, one row per (user, channel, IST day).

    Incremented by ``UPDATE … SET count = count + 1 WHERE count < cap``: two workers
    can never both take the last unit."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_quota"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("user", "channel", "day"), name="ntf_quota_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.channel}:{self.day}={self.count}"
