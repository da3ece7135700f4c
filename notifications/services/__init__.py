"""Writes of the notifications app. Other apps call :func:`event_notify` (and, for
platform events, :func:`operator_notify`); nothing else here is a public hook."""

from .deliveries import (
    SendOutcome,
    backoff_seconds,
    deliveries_create,
    deliveries_requeue_due,
    delivery_send,
    quota_left,
    quota_take,
)
from .events import alert_send, event_notify, event_text, operator_notify, rule_cooldown_take
from .market import condition_compile, market_rules_evaluate
from .preferences import (
    phone_verification_confirm,
    phone_verification_start,
    preferences_update,
)
from .rules import rule_create, rule_delete, rule_update

__all__ = [
    "SendOutcome",
    "alert_send",
    "backoff_seconds",
    "condition_compile",
    "deliveries_create",
    "deliveries_requeue_due",
    "delivery_send",
    "event_notify",
    "event_text",
    "market_rules_evaluate",
    "operator_notify",
    "phone_verification_confirm",
    "phone_verification_start",
    "preferences_update",
    "quota_left",
    "quota_take",
    "rule_cooldown_take",
    "rule_create",
    "rule_delete",
    "rule_update",
]
