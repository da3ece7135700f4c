"""Serializers with explicit writable fields: ids, owner, status and secrets are read-only."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from algobacktester.accounts.models import phone_validator
from algobacktester.api.fields import InstrumentRefField
from algobacktester.api.timezones import local_iso
from algobacktester.errors import InvalidInput

from ..constants import Channel, EventType
from ..models import MAX_COOLDOWN_SECONDS, AlertRule, Delivery, NotificationPreference
from ..selectors import rule_readiness


def _channels(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.ChoiceField(choices=Channel.choices),
        min_length=1,
        max_length=len(Channel.values),
        **kwargs,
    )


class WebhookUrlField(serializers.URLField):
    """http(s) only; the host is checked again at send time (private hosts refused)."""

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError("must be an http:// or https:// URL")
        return value


# --- send now ----------------------------------------------------------------------------


class AlertSendInputSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=1000)
    subject = serializers.CharField(max_length=200, required=False, allow_blank=True)
    channels = _channels()
    dedupe_key = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="Optional idempotency key: a repeated key sends nothing new.",
    )


# Times an event's data carries (stored UTC), shown in the caller's zone.
DATA_TIMES = ("bar_start",)


class DeliveryOutputSerializer(serializers.ModelSerializer):
    data = serializers.SerializerMethodField(
        help_text="the event's data; its times (bar_start) in your time zone"
    )

    class Meta:
        model = Delivery
        fields = (
            "id",
            "rule",
            "channel",
            "event_type",
            "subject",
            "body",
            "data",
            "destination",
            "status",
            "reason",
            "attempts",
            "provider_id",
            "next_attempt_at",
            "created_at",
            "sent_at",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.DictField())
    def get_data(self, delivery: Delivery) -> Any:
        data = delivery.data
        if not isinstance(data, dict):
            return data
        return {k: _local(v) if k in DATA_TIMES else v for k, v in data.items()}


def _local(value: Any) -> Any:
    try:
        return local_iso(value) if isinstance(value, str) else value
    except ValueError:  # not a time after all: as stored
        return value


class AlertSendOutputSerializer(serializers.Serializer):
    deliveries = DeliveryOutputSerializer(many=True)


# --- rules --------------------------------------------------------------------------------


class RuleInputSerializer(serializers.Serializer):
    """Create (all required fields) or update (``partial=True``)."""

    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=AlertRule.Kind.choices)
    event_type = serializers.ChoiceField(
        choices=EventType.choices, required=False, allow_blank=True
    )
    instrument = serializers.CharField(max_length=64, required=False, allow_blank=True)
    timeframe = serializers.CharField(max_length=8, required=False, allow_blank=True)
    condition = serializers.JSONField(required=False, allow_null=True)
    message = serializers.CharField(max_length=500, required=False, allow_blank=True)
    channels = _channels()
    cooldown_seconds = serializers.IntegerField(
        min_value=0, max_value=MAX_COOLDOWN_SECONDS, required=False
    )
    active_from = serializers.TimeField(required=False, allow_null=True, help_text="IST, HH:MM")
    active_to = serializers.TimeField(required=False, allow_null=True, help_text="IST, HH:MM")
    is_active = serializers.BooleanField(required=False)
    webhook_url = WebhookUrlField(max_length=500, required=False, allow_blank=True)
    rotate_webhook_secret = serializers.BooleanField(
        required=False, default=False, help_text="Update only: issue a new signing secret."
    )

    def validate_condition(self, value: Any) -> Any:
        if value is not None and not isinstance(value, dict):
            raise serializers.ValidationError("must be a strategy-language graph (a JSON object)")
        return value

    def validate_instrument(self, value: str) -> str:
        """A symbol (stored), or an id or ``EXCHANGE:SYMBOL`` standing for its symbol,
        resolved as backtests resolve theirs."""
        from marketdata.selectors import instrument_by_ref

        if not value.strip():
            return ""  # event rules have no instrument
        ref = InstrumentRefField().run_validation(value)
        try:
            return instrument_by_ref(ref=ref).symbol
        except InvalidInput as exc:  # the same message, on this field
            raise serializers.ValidationError(exc.detail["instrument"]) from exc


class RuleUpdateInputSerializer(RuleInputSerializer):
    kind = serializers.ChoiceField(choices=AlertRule.Kind.choices, required=False)

    def validate_kind(self, value: str) -> str:
        if self.instance is not None and value != self.instance.kind:
            raise serializers.ValidationError("the kind of a rule cannot change")
        return value


class RuleOutputSerializer(serializers.ModelSerializer):
    webhook_secret = serializers.SerializerMethodField(
        help_text="Returned once, when the secret is created or rotated; otherwise null."
    )
    can_fire = serializers.SerializerMethodField()
    why = serializers.SerializerMethodField()

    class Meta:
        model = AlertRule
        fields = (
            "id",
            "name",
            "kind",
            "event_type",
            "instrument",
            "timeframe",
            "condition",
            "message",
            "channels",
            "cooldown_seconds",
            "active_from",
            "active_to",
            "is_active",
            "webhook_url",
            "webhook_secret",
            "last_fired_at",
            "last_bar_at",
            "last_error",
            "can_fire",
            "why",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_webhook_secret(self, obj: AlertRule) -> str | None:
        return getattr(obj, "new_webhook_secret", None)

    @extend_schema_field(
        serializers.BooleanField(
            help_text="Whether the next evaluation could fire the rule (see why)"
        )
    )
    def get_can_fire(self, obj: AlertRule) -> bool:
        return self._readiness(obj)["can_fire"]

    @extend_schema_field(serializers.CharField(allow_null=True, help_text="Why it cannot fire"))
    def get_why(self, obj: AlertRule) -> str | None:
        return self._readiness(obj)["why"]

    def _readiness(self, obj: AlertRule) -> dict[str, Any]:
        if not hasattr(obj, "_readiness"):  # one look-up serves both fields
            obj._readiness = rule_readiness(rule=obj)
        return obj._readiness


# --- preferences --------------------------------------------------------------------------


class PreferencesInputSerializer(serializers.Serializer):
    email = serializers.EmailField(required=False, allow_blank=True)
    event_channels = serializers.DictField(
        child=serializers.ListField(
            child=serializers.ChoiceField(choices=Channel.choices), max_length=4
        ),
        required=False,
        help_text='Channels per event type, e.g. {"backtest.finished": ["push", "email"]}.',
    )
    webhook_url = WebhookUrlField(max_length=500, required=False, allow_blank=True)
    rotate_webhook_secret = serializers.BooleanField(required=False, default=False)


class QuotaSerializer(serializers.Serializer):
    used = serializers.IntegerField()
    limit = serializers.IntegerField()


class PreferencesOutputSerializer(serializers.ModelSerializer):
    account_email = serializers.EmailField(source="user.email")
    phone_verified = serializers.SerializerMethodField()
    event_channels = serializers.SerializerMethodField()
    webhook_secret = serializers.SerializerMethodField(
        help_text="Returned once, when the secret is created or rotated; otherwise null."
    )
    quota = serializers.SerializerMethodField()

    class Meta:
        model = NotificationPreference
        fields = (
            "email",
            "account_email",
            "phone",
            "phone_verified",
            "event_channels",
            "webhook_url",
            "webhook_secret",
            "quota",
        )
        read_only_fields = fields

    def get_phone_verified(self, obj: NotificationPreference) -> bool:
        return bool(obj.phone and obj.phone_verified_at)

    @extend_schema_field(
        serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    )
    def get_event_channels(self, obj: NotificationPreference) -> dict[str, list[str]]:
        return self.context["event_channels"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_webhook_secret(self, obj: NotificationPreference) -> str | None:
        return getattr(obj, "new_webhook_secret", None)

    @extend_schema_field(serializers.DictField(child=QuotaSerializer()))
    def get_quota(self, obj: NotificationPreference) -> dict[str, dict[str, int]]:
        return self.context["quota"]


class PhoneVerifyInputSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=16, validators=[phone_validator])
    code = serializers.RegexField(
        r"^\d{6}$",
        required=False,
        help_text="Omit to send a code; include to confirm it.",
        error_messages={"invalid": "the code is 6 digits"},
    )


class PhoneVerifySentSerializer(serializers.Serializer):
    sent = serializers.BooleanField()
    phone = serializers.CharField()
    expires_at = serializers.DateTimeField()


# --- history filters ------------------------------------------------------------------------


class HistoryFilterSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    status = serializers.ChoiceField(choices=Delivery.Status.choices, required=False)
    rule = serializers.IntegerField(min_value=1, max_value=2**62, required=False)
