from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ..models import Strategy, StrategyVersion


class StrategyOutputSerializer(serializers.ModelSerializer):
    valid = serializers.SerializerMethodField()

    class Meta:
        model = Strategy
        fields = ("id", "name", "description", "graph", "version", "valid", "created_at",
                  "updated_at")  # fmt: skip
        read_only_fields = fields

    def get_valid(self, obj: Strategy) -> bool:
        from engine.graph import validate

        return not validate(obj.graph)


class StrategyListSerializer(serializers.ModelSerializer):
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

    class Meta:
        model = StrategyVersion
        fields = ("id", "strategy", "strategy_name", "number", "graph", "graph_hash", "valid",
                  "created_at")  # fmt: skip
        read_only_fields = fields


class ValidateOutputSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    version = serializers.IntegerField()
    timeframe = serializers.CharField()
    errors = serializers.ListField(child=serializers.DictField())


class IndicatorNodeInputSerializer(serializers.Serializer):
    type = serializers.CharField(max_length=64, help_text="Catalogue name, e.g. EMA, SUPERTREND")
    params = serializers.DictField(required=False, default=dict)
    timeframe = serializers.CharField(max_length=8, required=False,
                                      help_text="Higher timeframe of its inputs, e.g. 15m")  # fmt: skip
    id = serializers.CharField(max_length=64, required=False, help_text="Node id to use")
    inputs = serializers.DictField(child=serializers.CharField(max_length=130), required=False,
                                   help_text="input port → 'node.port' (default: price fields)")  # fmt: skip


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
    when = serializers.CharField(max_length=130, required=False,
                                 help_text="Condition (bool) node that fires it via a new gate")  # fmt: skip
    after = serializers.CharField(max_length=64, required=False,
                                  help_text="Gate or action node it follows (instead of when)")  # fmt: skip
    side = serializers.ChoiceField(choices=("long", "short"), required=False,
                                   help_text="Gate side for option legs (default long)")  # fmt: skip
    gate = serializers.ChoiceField(choices=("entry", "exit"), required=False,
                                   help_text="Gate kind for option legs (default entry)")  # fmt: skip
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
