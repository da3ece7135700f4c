"""Names shared by models, services and the API: channels, event types, statuses."""

from __future__ import annotations

from django.db import models


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    PUSH = "push", "In-app push"
    WEBHOOK = "webhook", "Webhook"


class EventType(models.TextChoices):
    BACKTEST_FINISHED = "backtest.finished", "Backtest finished"
    BACKTEST_FAILED = "backtest.failed", "Backtest failed"
    ORDER_FILLED = "order.filled", "Order filled"
    ORDER_REJECTED = "order.rejected", "Order rejected"
    LIVE_ENTRY = "live.entry", "Live session entered"
    LIVE_EXIT = "live.exit", "Live session exited"
    LIVE_GUARDRAIL = "live.guardrail", "Live guardrail hit"
    INGESTION_FAILED = "ingestion.failed", "Ingestion failed (operators)"


# Events about the platform rather than a trader's own work: only staff receive them.
OPERATOR_EVENTS = frozenset({EventType.INGESTION_FAILED.value})

# Kinds of delivery that are not events a rule can subscribe to.
SEND_NOW = "alert.manual"
MARKET_CONDITION = "market.condition"
PHONE_VERIFY = "phone.verify"

# Channels that cost money per message and are capped per user per day.
QUOTA_CHANNELS = frozenset({Channel.EMAIL.value, Channel.SMS.value})
QUOTA_LABELS = {Channel.EMAIL.value: "email", Channel.SMS.value: "SMS"}


def quota_reason(channel: str) -> str:
    return f"daily {QUOTA_LABELS[channel]} quota reached"


# A market rule hears a bar only while it is news: within its timeframe plus this slack of
# its close. The evaluator and the rules' "can fire" answer read the same figure.
FRESH_SLACK_SECONDS = 300
