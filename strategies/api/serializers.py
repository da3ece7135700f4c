from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from engine.sim.layout import RULE_NAMES

from ..models import Strategy, StrategyVersion


class WarningSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="no_exit, no_stop, no_square_off, unused_indicator")
    node = serializers.CharField(allow_null=True)
    field = serializers.CharField()
    message = serializers.CharField()


class StrategyOutputSerializer(serializers.ModelSerializer):
    valid = serializers.SerializerMethodField()
    warnings = serializers.SerializerMethodField()

    class Meta:
        model = Strategy
        fields = (
            "id",
            "name",
            "description",
            "graph",
            "version",
            "valid",
            "warnings",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def get_valid(self, obj: Strategy) -> bool:
        from engine.graph import validate

        return not validate(obj.graph)

    @extend_schema_field(WarningSerializer(many=True))
    def get_warnings(self, obj: Strategy) -> list[dict[str, Any]]:
        from ..services import api_warnings

        return api_warnings(obj.graph)


class StrategyListSerializer(serializers.ModelSerializer):
    CONTEXT_FREE = True  # built once per process (algobacktester.api.pagination.represent)

    class Meta:
        model = Strategy
        fields = ("id", "name", "description", "version", "created_at", "updated_at")
        read_only_fields = fields


class StrategyInputSerializer(serializers.Serializer):
    """Writable fields only: owner, version and ids are never taken from the request."""

    name = serializers.CharField(max_length=150)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    graph = serializers.JSONField(required=False)

    def validate_name(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("must not be blank")
        return value.strip()


class VersionOutputSerializer(serializers.ModelSerializer):
    strategy = serializers.IntegerField(source="strategy_id", allow_null=True)
    warnings = serializers.SerializerMethodField()

    class Meta:
        model = StrategyVersion
        fields = (
            "id",
            "strategy",
            "strategy_name",
            "number",
            "graph",
            "graph_hash",
            "valid",
            "warnings",
            "created_at",
        )
        read_only_fields = fields

    @extend_schema_field(WarningSerializer(many=True))
    def get_warnings(self, obj: StrategyVersion) -> list[dict[str, Any]]:
        from ..services import api_warnings

        return api_warnings(obj.graph)


class ValidateOutputSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    version = serializers.IntegerField()
    timeframe = serializers.CharField()
    errors = serializers.ListField(child=serializers.DictField())
    warnings = WarningSerializer(many=True)


class ValidateErrorSerializer(serializers.Serializer):
    """A 400 in the project's error shape, plus the verdict and its warnings."""

    detail = serializers.CharField()
    code = serializers.CharField()
    valid = serializers.BooleanField()
    version = serializers.IntegerField()
    timeframe = serializers.CharField()
    errors = serializers.ListField(child=serializers.DictField())
    warnings = WarningSerializer(many=True)


class LevelSerializer(serializers.Serializer):
    """A stop, target or trailing level; an unknown key is a 400, not silently dropped."""

    value = serializers.FloatField(min_value=1e-9, max_value=1e9)
    unit = serializers.ChoiceField(choices=("points", "percent"), default="points")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["unit"] == "percent" and attrs["value"] > 100:
            raise serializers.ValidationError({"value": ["a percent is at most 100"]})
        return attrs

    def to_internal_value(self, data: Any) -> Any:
        _refuse_unknown(self, data, "is not a level key (value, unit)")
        return super().to_internal_value(data)


def _refuse_unknown(serializer: serializers.Serializer, data: Any, message: str) -> None:
    if isinstance(data, dict):
        unknown = sorted(set(data) - set(serializer.fields))
        if unknown:
            raise serializers.ValidationError({str(k)[:60]: [message] for k in unknown})


class DurationSerializer(serializers.Serializer):
    """A cooldown or minimum hold: a whole number of bars, seconds or minutes."""

    value = serializers.IntegerField(min_value=0, max_value=100_000)
    unit = serializers.ChoiceField(choices=("bars", "seconds", "minutes"), default="bars")

    def to_internal_value(self, data: Any) -> Any:
        _refuse_unknown(self, data, "is not a duration key (value, unit)")
        return super().to_internal_value(data)


class RiskSerializer(serializers.Serializer):
    """The strategy's risk settings (``graph.settings.risk``); omitted means off."""

    stop_loss = LevelSerializer(required=False, allow_null=True)
    target = LevelSerializer(required=False, allow_null=True)
    trailing_stop = LevelSerializer(required=False, allow_null=True)
    max_trades_per_day = serializers.IntegerField(
        min_value=1, max_value=10_000, required=False, allow_null=True
    )
    daily_max_loss = serializers.FloatField(
        min_value=1e-9, max_value=1e15, required=False, allow_null=True, help_text="rupees"
    )
    per_trade_max_loss = serializers.FloatField(
        min_value=1e-9, max_value=1e15, required=False, allow_null=True, help_text="rupees"
    )
    square_off = serializers.RegexField(
        r"^([01]\d|2[0-3]):[0-5]\d$",
        required=False,
        allow_null=True,
        help_text="HH:MM IST, e.g. 15:15",
        error_messages={"invalid": "must be HH:MM, e.g. 15:15"},
    )
    cooldown_bars = serializers.IntegerField(min_value=0, max_value=100_000, required=False)
    min_hold_bars = serializers.IntegerField(min_value=0, max_value=100_000, required=False)
    # Intraday rules (docs/strategy-language.md "Intraday rules"); the engine checks values.
    cooldown = DurationSerializer(required=False, allow_null=True)
    min_hold = DurationSerializer(required=False, allow_null=True)
    entry_cutoff = serializers.RegexField(
        r"^([01]\d|2[0-3]):[0-5]\d$",
        required=False,
        allow_null=True,
        help_text="HH:MM IST: no new entries from then on (before square_off)",
        error_messages={"invalid": "must be HH:MM, e.g. 14:30"},
    )
    stop_at = serializers.CharField(
        max_length=130, required=False, allow_null=True, help_text="'node.port': a graph level"
    )
    target_at = serializers.CharField(
        max_length=130, required=False, allow_null=True, help_text="'node.port': a graph level"
    )
    trailing_activation = LevelSerializer(required=False, allow_null=True)
    move_stop_to_cost = LevelSerializer(required=False, allow_null=True)
    daily_loss_check = serializers.ChoiceField(choices=("close", "bar"), required=False)
    exit_priority = serializers.ListField(
        child=serializers.ChoiceField(choices=RULE_NAMES),
        required=False,
        allow_null=True,
        help_text="which exit wins when several fire on one bar; absent: price order",
    )

    def to_internal_value(self, data: Any) -> Any:
        _refuse_unknown(self, data, "is not a risk setting")
        return super().to_internal_value(data)


class RiskOutputSerializer(RiskSerializer):
    version = serializers.IntegerField(help_text="The strategy version these settings are in")


class IndicatorNodeInputSerializer(serializers.Serializer):
    type = serializers.CharField(max_length=64, help_text="Catalogue name, e.g. EMA, SUPERTREND")
    params = serializers.DictField(required=False, default=dict)
    timeframe = serializers.CharField(
        max_length=8, required=False, help_text="Higher timeframe of its inputs, e.g. 15m"
    )
    id = serializers.CharField(max_length=64, required=False, help_text="Node id to use")
    inputs = serializers.DictField(
        child=serializers.CharField(max_length=130),
        required=False,
        help_text="input port → 'node.port' (default: price fields)",
    )


Operand = serializers.JSONField


class ConditionNodeInputSerializer(serializers.Serializer):
    op = serializers.CharField(max_length=32, help_text="crosses_above, >, rising, between …")
    a = serializers.JSONField(help_text="'node' or 'node.port' or a number")
    b = serializers.JSONField(required=False)
    low = serializers.JSONField(required=False)
    high = serializers.JSONField(required=False)
    n = serializers.IntegerField(required=False, min_value=1, max_value=100_000)
    id = serializers.CharField(max_length=64, required=False)


class ActionNodeInputSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=("buy", "sell", "short", "cover", "option_leg", "wait"))
    when = serializers.CharField(
        max_length=130,
        required=False,
        help_text="Condition (bool) node that fires it via a new gate",
    )
    after = serializers.CharField(
        max_length=64, required=False, help_text="Gate or action node it follows (instead of when)"
    )
    side = serializers.ChoiceField(
        choices=("long", "short"),
        required=False,
        help_text="Gate side for option legs (default long)",
    )
    gate = serializers.ChoiceField(
        choices=("entry", "exit"),
        required=False,
        help_text="Gate kind for option legs (default entry)",
    )
    params = serializers.DictField(required=False, default=dict)
    id = serializers.CharField(max_length=64, required=False)


class EdgeInputSerializer(serializers.Serializer):
    source = serializers.CharField(max_length=130, help_text="node.port")
    target = serializers.CharField(max_length=130, help_text="node.port")

    def to_internal_value(self, data: Any) -> Any:
        # The document calls them from/to; accept both spellings.
        if isinstance(data, dict) and "from" in data:
            data = {"source": data.get("from"), "target": data.get("to")}
        return super().to_internal_value(data)


class NodeCreatedSerializer(serializers.Serializer):
    id = serializers.CharField()
    node = serializers.DictField()
    edges = serializers.ListField(child=serializers.DictField())
    version = serializers.IntegerField()


class NodeOutputSerializer(serializers.Serializer):
    node = serializers.DictField()
    incoming = serializers.ListField(child=serializers.DictField())
    outgoing = serializers.ListField(child=serializers.DictField())


class ExportSerializer(serializers.Serializer):
    format = serializers.CharField()
    format_version = serializers.IntegerField()
    name = serializers.CharField(max_length=150)
    description = serializers.CharField(allow_blank=True, required=False, max_length=5000)
    graph = serializers.JSONField()


class StrategyImportSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=("algobacktester.strategy",))
    format_version = serializers.IntegerField(min_value=1, max_value=1)
    name = serializers.CharField(max_length=150)
    description = serializers.CharField(allow_blank=True, required=False, max_length=5000)
    graph = serializers.JSONField()


class TemplateOutputSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    graph = serializers.DictField()


class CloneInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150, required=False)


class IndicatorCatalogueSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    groups = serializers.ListField(child=serializers.CharField())
    results = serializers.ListField(child=serializers.DictField())
