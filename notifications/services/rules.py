"""Alert rules: event rules and market-condition rules, validated before they are saved."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction

from algobacktester.errors import InvalidInput

from ..constants import OPERATOR_EVENTS, Channel, EventType
from ..crypto import secret_encrypt, secret_generate
from ..models import MAX_COOLDOWN_SECONDS, AlertRule
from ..selectors import preferences_for
from .market import condition_compile, instrument_check

EDITABLE = (
    "name",
    "event_type",
    "instrument",
    "condition",
    "message",
    "channels",
    "cooldown_seconds",
    "active_from",
    "active_to",
    "is_active",
    "webhook_url",
)


@transaction.atomic
def rule_create(
    *, user: Any, kind: str, name: str, channels: list[str], **fields: Any
) -> AlertRule:
    """Create a rule. A rule with its own ``webhook_url`` gets a signing secret, returned
    once as ``rule.new_webhook_secret`` (only its encrypted form is stored)."""
    limit = settings.NOTIFICATIONS["MAX_RULES_PER_USER"]
    if AlertRule.objects.filter(owner=user).count() >= limit:
        raise InvalidInput({"non_field_errors": [f"at most {limit} alert rules per user"]})
    unknown = set(fields) - set(EDITABLE) - {"timeframe"}
    if unknown:
        raise TypeError(f"unexpected fields {sorted(unknown)}")
    rule = AlertRule(owner=user, kind=kind, name=name, channels=channels)
    _apply(rule, fields)
    _clean(rule, user=user, requested_timeframe=fields.get("timeframe"))
    rule.new_webhook_secret = _maybe_new_secret(rule, rotate=False)  # type: ignore[attr-defined]
    rule.save()
    return rule


@transaction.atomic
def rule_update(
    *, rule: AlertRule, user: Any, data: Mapping[str, Any], rotate_webhook_secret: bool = False
) -> AlertRule:
    """Partial update (the kind is fixed). ``rotate_webhook_secret`` issues a new secret."""
    rule = AlertRule.objects.select_for_update().get(pk=rule.pk, owner=user)
    _apply(rule, {k: v for k, v in data.items() if k in EDITABLE})
    _clean(rule, user=user, requested_timeframe=data.get("timeframe"))
    rule.new_webhook_secret = _maybe_new_secret(rule, rotate=rotate_webhook_secret)  # type: ignore[attr-defined]
    rule.save()
    return rule


def rule_delete(*, rule: AlertRule) -> None:
    rule.delete()  # deliveries keep their history (rule set to NULL)


def _apply(rule: AlertRule, fields: Mapping[str, Any]) -> None:
    for key, value in fields.items():
        if key in EDITABLE:
            setattr(rule, key, "" if value is None and key in ("webhook_url", "message") else value)


def _maybe_new_secret(rule: AlertRule, *, rotate: bool) -> str | None:
    if not rule.webhook_url:
        rule.webhook_secret = ""
        return None
    if rule.webhook_secret and not rotate:
        return None
    secret = secret_generate()
    rule.webhook_secret = secret_encrypt(secret)
    return secret


def _clean(rule: AlertRule, *, user: Any, requested_timeframe: str | None) -> None:
    errors: dict[str, list[str]] = {}
    channels_check(channels=rule.channels, user=user, rule=rule, errors=errors)
    if not 0 <= rule.cooldown_seconds <= MAX_COOLDOWN_SECONDS:
        errors["cooldown_seconds"] = [f"must be between 0 and {MAX_COOLDOWN_SECONDS} (7 days)"]
    if (rule.active_from is None) != (rule.active_to is None):
        errors["active_to" if rule.active_to is None else "active_from"] = [
            "set both active_from and active_to (IST), or neither"
        ]
    if rule.active_from is not None and rule.active_from == rule.active_to:
        errors["active_to"] = ["must differ from active_from"]
    if rule.kind == AlertRule.Kind.EVENT:
        _clean_event(rule, user=user, errors=errors)
    else:
        _clean_market(rule, requested_timeframe=requested_timeframe, errors=errors)
    if errors:
        raise InvalidInput(errors)


def _clean_event(rule: AlertRule, *, user: Any, errors: dict[str, list[str]]) -> None:
    if rule.event_type not in EventType.values:
        errors["event_type"] = [f"must be one of {', '.join(EventType.values)}"]
    elif rule.event_type in OPERATOR_EVENTS and not user.is_staff:
        errors["event_type"] = [f"'{rule.event_type}' is for operators (staff users) only"]
    for name in ("instrument", "condition"):
        if getattr(rule, name):
            errors[name] = ["only market rules take an instrument and a condition"]
    rule.timeframe = ""


def _clean_market(
    rule: AlertRule, *, requested_timeframe: str | None, errors: dict[str, list[str]]
) -> None:
    if rule.event_type:
        errors["event_type"] = ["market rules take no event_type"]
    if not rule.instrument:
        errors["instrument"] = ["required for a market rule, e.g. NIFTY"]
    else:
        problem = instrument_check(symbol=rule.instrument)
        if problem:
            errors["instrument"] = [problem]
    if not rule.condition:
        errors["condition"] = ["required for a market rule: a strategy-language graph"]
        return
    timeframe, problems = condition_compile(rule.condition)
    if problems:
        errors["condition"] = problems
    elif requested_timeframe and requested_timeframe != timeframe:
        errors["timeframe"] = [f"the condition's settings.timeframe is '{timeframe}'"]
    else:
        rule.timeframe = timeframe or ""


def channels_check(
    *, channels: Any, user: Any, rule: AlertRule | None, errors: dict[str, list[str]]
) -> None:
    """Shared by rules and preferences: known, unique, and each one deliverable."""
    if not isinstance(channels, list) or not channels:
        errors["channels"] = [f"a non-empty list of: {', '.join(Channel.values)}"]
        return
    unknown = [c for c in channels if c not in Channel.values]
    if unknown:
        errors["channels"] = [f"unknown channel(s) {unknown}; one of {', '.join(Channel.values)}"]
        return
    if len(set(channels)) != len(channels):
        errors["channels"] = ["list each channel once"]
        return
    prefs = preferences_for(user=user)
    if Channel.SMS in channels and not (prefs.phone and prefs.phone_verified_at):
        errors["channels"] = ["sms needs a verified phone number (POST preferences/phone/verify)"]
    elif (
        Channel.WEBHOOK in channels
        and not (rule is not None and rule.webhook_url)
        and not prefs.webhook_url
    ):
        errors["channels"] = ["webhook needs a webhook_url (on the rule or in preferences)"]
